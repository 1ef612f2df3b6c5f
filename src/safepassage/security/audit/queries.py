"""The read side for auditors: entries newest first, filtered, keyset-paginated on ``seq``; and the
verification report. Entries hold no protected value, so nothing here needs masking."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import or_, select

from safepassage.security.audit.chain import VerifyReport
from safepassage.security.audit.models import AuditEntry
from safepassage.security.audit.signing import PublicKeys
from safepassage.security.audit.verify import verify_chain
from safepassage.security.policy import Actor, Permission, require
from safepassage.shared.errors import Invalid
from safepassage.uow import UnitOfWork

MAX_PAGE = 500


class AuditEntryRead(BaseModel):
    seq: int
    id: uuid.UUID
    at: dt.datetime
    actor: str
    role: str | None
    action: str
    entity: str | None
    entity_id: str | None
    site_id: uuid.UUID | None
    purpose: str | None
    address: str | None
    flagged: bool
    details: dict[str, Any]
    hash: str


class AuditPage(BaseModel):
    items: list[AuditEntryRead]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= to get the next (older) page; null on the last."
    )


class ProblemRead(BaseModel):
    seq: int
    kind: str
    message: str


class VerifyRead(BaseModel):
    intact: bool
    entries: int
    last_seq: int
    head_seq: int | None
    checkpoints: int
    file_checkpoints: int
    first_broken_seq: int | None
    first_kind: str | None
    problems: list[ProblemRead]

    @classmethod
    def of(cls, report: VerifyReport) -> VerifyRead:
        first = report.first
        return cls(
            intact=report.intact,
            entries=report.entries,
            last_seq=report.last_seq,
            head_seq=report.head_seq,
            checkpoints=report.checkpoints,
            file_checkpoints=report.file_checkpoints,
            first_broken_seq=first.seq if first else None,
            first_kind=first.kind.value if first else None,
            problems=[ProblemRead(seq=p.seq, kind=p.kind.value, message=p.message) for p in report.problems],
        )


def _cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        return int(cursor)
    except ValueError:
        raise Invalid("the cursor is not one this service gave out") from None


def list_entries(
    uow: UnitOfWork,
    *,
    actor: Actor,
    username: str | None = None,
    action: str | None = None,
    flagged: bool | None = None,
    since: dt.datetime | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> AuditPage:
    """Entries newest first. ``action`` matches the code or a dotted prefix (``person`` matches
    ``person.update``)."""
    require(actor, Permission.AUDIT_READ)
    limit = max(1, min(limit or uow.page_size, MAX_PAGE))
    stmt = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit + 1)
    before = _cursor(cursor)
    if before is not None:
        stmt = stmt.where(AuditEntry.seq < before)
    if username:
        stmt = stmt.where(AuditEntry.actor == username)
    if action:
        prefix = action.rstrip(".") + "."
        stmt = stmt.where(or_(AuditEntry.action == action, AuditEntry.action.startswith(prefix)))
    if flagged is not None:
        stmt = stmt.where(AuditEntry.flagged.is_(flagged))
    if since is not None:
        if since.tzinfo is None:
            raise Invalid("since: give a time zone (e.g. 2026-01-31T08:00:00Z)")
        stmt = stmt.where(AuditEntry.at >= since)
    with uow:
        rows = list(uow.session.scalars(stmt))
        more = len(rows) > limit
        items = [AuditEntryRead.model_validate(r, from_attributes=True) for r in rows[:limit]]
    return AuditPage(items=items, next_cursor=str(items[-1].seq) if more and items else None)


def verify(
    uow: UnitOfWork, keys: PublicKeys, *, actor: Actor, checkpoint_file: Path | None = None
) -> VerifyReport:
    require(actor, Permission.AUDIT_READ)
    with uow:
        return verify_chain(uow.session, keys, checkpoint_file)
