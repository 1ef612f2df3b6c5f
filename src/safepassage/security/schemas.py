"""What the API says about break-glass grants and export requests (never ORM objects)."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, Field

from safepassage.security.grants import ExportState, GrantedRecord, ShredState


class BreakGlassOpen(BaseModel):
    record_kind: GrantedRecord
    record_id: uuid.UUID
    reason: str = Field(
        description="Who asked, why it could not wait, why no one at the record's site could."
    )
    minutes: int | None = Field(default=None, description="How long; the configured default when left out.")


class BreakGlassRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    username: str
    record_kind: GrantedRecord
    record_id: uuid.UUID
    site_id: uuid.UUID
    reason: str
    opened_at: dt.datetime
    expires_at: dt.datetime
    ended_at: dt.datetime | None
    reviewed_at: dt.datetime | None
    reviewed_by: str | None
    review_note: str | None


class ReviewNote(BaseModel):
    note: str


class ExportRequestCreate(BaseModel):
    purpose: str = Field(description="Who receives the export and why.")
    site_id: uuid.UUID | None = None
    partner: str | None = Field(
        default=None, description="Only persons consenting to share with this partner."
    )


class ExportDecision(BaseModel):
    approve: bool
    note: str | None = None


class ExportRequestRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    requested_by: str
    requested_at: dt.datetime
    purpose: str
    site_id: uuid.UUID | None
    partner: str | None
    field_classes: str
    row_count: int
    state: ExportState
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_note: str | None
    produced_at: dt.datetime | None
    produced_rows: int | None


class ShredRequestCreate(BaseModel):
    reason: str = Field(description="Why the site's protected data must be destroyed now.")


class ShredRequestRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    site_id: uuid.UUID
    requested_by: str
    reason: str
    requested_at: dt.datetime
    expires_at: dt.datetime
    state: ShredState
    decided_by: str | None
    decided_at: dt.datetime | None


class ShredDone(BaseModel):
    site_id: uuid.UUID
    versions: list[int]
    files_destroyed: int


class EraseRequest(BaseModel):
    reason: str = Field(description="Why the person's data is erased (a request of theirs, retention).")
