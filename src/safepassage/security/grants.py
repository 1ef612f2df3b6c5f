"""Break-glass grants: a supervisor's time-limited access to one record outside their sites.

A grant names the record (a person or a household), the site it belongs to, the written reason and
when it ends. It is never extended: a new need is a new grant, with a new reason. Every opening and
every read made under a grant is flagged in the audit trail for review by another supervisor.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from safepassage.db import Base, UTCDateTime, code_column
from safepassage.shared.ids import new_id


class GrantedRecord(StrEnum):
    PERSON = "person"
    HOUSEHOLD = "household"


class BreakGlassGrant(Base):
    __tablename__ = "break_glass_grants"
    __table_args__ = (Index("ix_break_glass_grants_user_expiry", "user_id", "expires_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    username: Mapped[str] = mapped_column(String(80))
    record_kind: Mapped[GrantedRecord] = mapped_column(code_column(GrantedRecord))
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"))
    reason: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reviewed_by: Mapped[str | None] = mapped_column(String(80))
    review_note: Mapped[str | None] = mapped_column(Text)

    def active_at(self, now: dt.datetime) -> bool:
        return self.ended_at is None and self.opened_at <= now < self.expires_at


class ExportState(StrEnum):
    PENDING = "pending"  # waits for a second supervisor
    APPROVED = "approved"
    REJECTED = "rejected"
    PRODUCED = "produced"  # the file was written; a request is used once


class ExportRequest(Base):
    """An export of persons, asked for with a purpose. Over ``APPROVAL_ROWS`` rows, or with protected
    fields, it waits for a second supervisor. The file carries the request's id in every row (the
    export's mark), so a copy found elsewhere says where it came from."""

    __tablename__ = "export_requests"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    requested_by: Mapped[str] = mapped_column(String(120))
    requested_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    purpose: Mapped[str] = mapped_column(Text)
    site_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sites.id"))
    partner: Mapped[str | None] = mapped_column(String(120))
    field_classes: Mapped[str] = mapped_column(String(80))  # comma-separated FieldClass values
    row_count: Mapped[int]  # counted when asked; the file holds at most this many rows
    state: Mapped[ExportState] = mapped_column(code_column(ExportState))
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)
    produced_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    produced_rows: Mapped[int | None]


class ShredState(StrEnum):
    PENDING = "pending"  # waits for a second supervisor
    DONE = "done"  # approved: the site's keys are destroyed
    REJECTED = "rejected"


class ShredRequest(Base):
    """A supervisor's request to destroy a site's data keys (crypto-shredding), waiting for a second
    supervisor of the site. It lapses unless approved within ``SHRED_REQUEST_MINUTES``."""

    __tablename__ = "shred_requests"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"))
    requested_by: Mapped[str] = mapped_column(String(120))
    requested_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    reason: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    state: Mapped[ShredState] = mapped_column(code_column(ShredState))
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
