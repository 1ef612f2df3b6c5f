"""Change history: who changed what, when, from which value to which.

A ``before_flush`` listener writes one ``ChangeRecord`` per created or deleted row and one per changed
column of an updated row, for every tracked model, in the same transaction as the change itself, so no
service can forget it. The actor comes from the session (``uow.actor``). Protected fields are recorded
as changed, never with their values.

The same listener queues one audit event per written row (``person.update`` with the names of the
changed fields and their classes, never a value); ``uow.commit()`` appends them to the audit chain.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import json
import re
import uuid
from typing import Any

from sqlalchemy import Index, String, Text, Uuid, event, insert, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column

from safepassage.db import Base, UTCDateTime
from safepassage.shared.ids import new_id
from safepassage.uow import AUDIT_QUEUE, AuditEvent

MASK = "«protected»"


class ChangeRecord(Base):
    __tablename__ = "change_records"
    __table_args__ = (Index("ix_change_records_subject", "subject_id", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(10))  # create, update, delete
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(80))
    subject_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # the person, household or site it concerns
    field: Mapped[str | None] = mapped_column(String(60))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    transaction_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def _text(value: Any) -> str | None:
    plain = _plain(value)
    if plain is None:
        return None
    return plain if isinstance(plain, str) else json.dumps(plain, ensure_ascii=False, sort_keys=True)


class Tracking:
    """What to record for one model: its subject column and which fields are masked. The model's
    column and key names are looked up once, on first use (the listener runs on every flush)."""

    def __init__(self, model: type[Any], subject: str, masked: frozenset[str], skip: frozenset[str]) -> None:
        self.model = model
        self.subject = subject
        self.masked = masked
        self.skip = skip | {"updated_at", "created_at"}

    @functools.cached_property
    def columns(self) -> list[str]:
        return [attr.key for attr in inspect(self.model).column_attrs if attr.key not in self.skip]

    @functools.cached_property
    def action(self) -> str:
        """The audit action's prefix: ``PersonName`` → ``person_name``."""
        return re.sub(r"(?<!^)(?=[A-Z])", "_", self.model.__name__).lower()

    @functools.cached_property
    def site_attr(self) -> str | None:
        """The attribute naming the row's site, for the audit entry (a site is its own)."""
        if "site_id" in self.columns:
            return "site_id"
        return "id" if getattr(self.model, "__tablename__", "") == "sites" else None

    @functools.cached_property
    def keys(self) -> list[str]:
        mapper = inspect(self.model)
        return [mapper.get_property_by_column(col).key for col in mapper.primary_key]


TRACKED: dict[type[Any], Tracking] = {}


def track(
    model: type[Any],
    *,
    subject: str = "id",
    masked: frozenset[str] = frozenset(),
    skip: frozenset[str] = frozenset(),
) -> None:
    TRACKED[model] = Tracking(model, subject, masked, skip)


def _row(
    info: dict[str, Any], now: dt.datetime, tracking: Tracking, obj: Any, action: str, field: str | None,
    old: Any, new: Any,
) -> dict[str, Any]:  # fmt: skip
    masked = field in tracking.masked if field else False
    return {
        "id": new_id(),
        "at": now,
        "actor": info.get("actor", "system"),
        "action": action,
        "entity": type(obj).__tablename__,
        "entity_id": ":".join(str(_plain(getattr(obj, key))) for key in tracking.keys),
        "subject_id": getattr(obj, tracking.subject),
        "field": field,
        "old_value": MASK if masked and old is not None else _text(old),
        "new_value": MASK if masked and new is not None else _text(new),
        "transaction_id": info["transaction_id"],
    }


def _event(
    info: dict[str, Any], now: dt.datetime, tracking: Tracking, obj: Any, op: str, fields: list[str]
) -> AuditEvent:
    """The audit event of one written row: field names and classes only, never values."""
    details: dict[str, Any] = {"fields": sorted(fields)} if fields else {}
    if tracking.masked.intersection(fields):
        details["classes"] = ["protected"]
    subject = getattr(obj, tracking.subject, None)
    entity_id = ":".join(str(_plain(getattr(obj, key))) for key in tracking.keys)
    if subject is not None and str(subject) != entity_id:
        details["subject"] = str(subject)
    return AuditEvent(
        at=now,
        actor=info.get("actor", "system"),
        role=info.get("actor_role"),
        action=f"{tracking.action}.{op}",
        entity=type(obj).__tablename__,
        entity_id=entity_id,
        site_id=obj.__dict__.get(tracking.site_attr) if tracking.site_attr else None,
        address=info.get("actor_address"),
        details=details,
    )


def _snapshot(tracking: Tracking, obj: Any) -> dict[str, Any]:
    values = obj.__dict__  # loaded column values (a snapshot is taken of new or deleted rows only)
    out: dict[str, Any] = {}
    for key in tracking.columns:
        value = values[key] if key in values else getattr(obj, key)
        out[key] = MASK if key in tracking.masked and value is not None else _plain(value)
    return out


@event.listens_for(Session, "after_flush")
def _write_history(session: Session, _context: Any) -> None:
    """After the flush (keys and foreign keys are known) and before its history is reset, write the
    change records with one Core insert on the same connection: same transaction, no second flush."""
    info = session.info
    if "transaction_id" not in info:
        return  # a session outside a unit of work (migrations, maintenance) keeps no history
    now = info["now"]()  # one moment for the whole flush
    rows: list[dict[str, Any]] = []
    events: list[AuditEvent] = info.setdefault(AUDIT_QUEUE, [])
    for obj in session.new:
        tracking = TRACKED.get(type(obj))
        if tracking is not None:
            snapshot = _snapshot(tracking, obj)
            rows.append(_row(info, now, tracking, obj, "create", None, None, snapshot))
            events.append(
                _event(info, now, tracking, obj, "create", [k for k, v in snapshot.items() if v is not None])
            )
    for obj in session.dirty:
        tracking = TRACKED.get(type(obj))
        if tracking is None:
            continue
        state = inspect(obj)
        changed: list[str] = []
        for key in tracking.columns:
            hist = state.attrs[key].history
            if not hist.has_changes():
                continue
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if _plain(old) != _plain(new):
                rows.append(_row(info, now, tracking, obj, "update", key, old, new))
                changed.append(key)
        if changed:
            events.append(_event(info, now, tracking, obj, "update", changed))
    for obj in session.deleted:
        tracking = TRACKED.get(type(obj))
        if tracking is not None:
            rows.append(_row(info, now, tracking, obj, "delete", None, _snapshot(tracking, obj), None))
            events.append(_event(info, now, tracking, obj, "delete", []))
    if rows:
        session.connection().execute(insert(ChangeRecord), rows)
