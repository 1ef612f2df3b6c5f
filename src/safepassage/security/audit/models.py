"""The audit trail's tables: the entries (a hash chain), its head (the last link, signed) and the
signed checkpoints. The application appends to ``audit_entries`` and ``audit_checkpoints`` and never
changes or deletes a row: SQLite triggers and PostgreSQL grants (migration 0003) refuse it."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from safepassage.db import Base, JSONType, UTCDateTime

GENESIS = "0" * 64  # the previous hash of the first entry
HEAD_ID = 1  # the head is a single row


class AuditEntry(Base):
    """One audited act. ``hash`` is SHA-256 over the canonical serialisation of every other column
    (``chain.entry_hash``), ``prev_hash`` included: change, drop or move one entry and the chain breaks."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_actor_seq", "actor", "seq"),
        Index("ix_audit_entries_at", "at"),
        Index("ix_audit_entries_flagged_seq", "flagged", "seq"),
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(80))
    role: Mapped[str | None] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(80))
    entity: Mapped[str | None] = mapped_column(String(60))
    entity_id: Mapped[str | None] = mapped_column(String(120))
    site_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    purpose: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(200))
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The chain's last link, signed with the key outside the database at every append. Appenders
    take this row's lock first (an UPDATE), so they append one after the other."""

    __tablename__ = "audit_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str | None] = mapped_column(String(200))
    key_id: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class AuditCheckpoint(Base):
    """A signed statement "the chain's entry ``seq`` has hash ``hash``", written every N entries and
    on demand, and copied to a file outside the database."""

    __tablename__ = "audit_checkpoints"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    signature: Mapped[str] = mapped_column(String(200))
    key_id: Mapped[str] = mapped_column(String(40))
