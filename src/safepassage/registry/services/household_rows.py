"""A new household as rows: registration without the ORM unit of work.

Registering a household creates about 24 rows per person (the person, names, name tokens, documents,
phones, needs, the intention statement, consents, protection attributes, and one change record and
one audit entry per tracked row). Through the ORM, the unit of work's bookkeeping for them cost more
CPU than everything else in the request (bench/RESULTS.md, "Where the time goes"). Here the rows are
built as plain values and written with one multi-row INSERT per table, on the session's connection,
in the unit of work's transaction; ``uow.commit()`` then appends the audit entries and commits, as
for any other use case.

The rules are the same as through the ORM (``registration._build_person``): the same validation and
messages, names keyed by ``registry.naming``, documents and phones normalised by
``shared.reference``, protection attributes sealed by ``registry.protection.seal_protection``. The
change records and audit events are the ones the history listener (``safepassage.history``) writes
for the same rows, made by its own functions from the same values; a test compares the two paths
row by row.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Dialect, Table

from safepassage.db import Columns, insert_batches
from safepassage.history import MASK, TRACKED, ChangeRecord, Tracking, _plain, _text
from safepassage.registry import schemas
from safepassage.registry.codes import (
    ConsentPurpose,
    EvacuationCategory,
    HouseholdStatus,
    Intention,
    NamePart,
    Relationship,
)
from safepassage.registry.models import (
    ConsentRecord,
    Document,
    Household,
    IntentionStatement,
    NameToken,
    Person,
    PersonName,
    PersonNeed,
    Phone,
    ProtectionAttributes,
)
from safepassage.registry.naming import SpelledName, name_parts, spelled_names, tokens_of
from safepassage.registry.protection import seal_protection
from safepassage.shared.dates import PartialDate, latest_today
from safepassage.shared.errors import FieldProblem, Invalid
from safepassage.shared.i18n import say
from safepassage.shared.ids import new_id
from safepassage.shared.reference import document_number_key, normalise_phone
from safepassage.uow import AUDIT_QUEUE, AuditEvent, UnitOfWork

# Parents first, so every INSERT meets its foreign keys.
ORDER: tuple[type[Any], ...] = (
    Household,
    Person,
    PersonName,
    NameToken,
    Document,
    Phone,
    PersonNeed,
    IntentionStatement,
    ConsentRecord,
    ProtectionAttributes,
)
TABLES: dict[type[Any], Table] = {model: model.__table__ for model in ORDER}
WRITTEN: tuple[type[Any], ...] = (*ORDER, ChangeRecord)
DISPLAY_PARTS = (NamePart.GIVEN, NamePart.FATHER, NamePart.FAMILY)
CONSENT_FUTURE = dt.timedelta(minutes=5)


@dataclass
class HouseholdRows:
    """The rows of one new household, by model, in insertion order."""

    household_id: uuid.UUID
    rows: dict[type[Any], list[dict[str, Any]]] = field(default_factory=lambda: {m: [] for m in ORDER})
    members: list[schemas.PersonSummary] = field(default_factory=list)

    def add(self, model: type[Any], row: dict[str, Any]) -> None:
        self.rows[model].append(row)


@dataclass(frozen=True)
class Context:
    """What every row of one registration shares."""

    now: dt.datetime
    actor: str
    phone_region: str
    site_id: uuid.UUID
    category: EvacuationCategory
    intention: Intention
    stated_on: dt.date


def household_rows(
    uow: UnitOfWork, cmd: schemas.HouseholdCreate, ctx: Context, source_key: str | None
) -> HouseholdRows:
    """Validate ``cmd`` member by member (the first problem raises ``Invalid`` naming its field) and
    build every row of the new household."""
    hid = new_id()
    out = HouseholdRows(hid)
    out.add(Household, {
        "id": hid, "site_id": ctx.site_id, "status": HouseholdStatus.ACTIVE, "merged_into_id": None,
        "source_key": source_key, "created_at": ctx.now, "updated_at": ctx.now,
    })  # fmt: skip
    heads = 0
    for i, member in enumerate(cmd.members):
        _person_rows(uow, out, member, ctx, prefix=f"members.{i}.")
        heads += member.relationship_to_head == Relationship.HEAD
    if heads != 1:  # Household.check_one_head, for an active household
        raise Invalid(say("a household has exactly one head; this one would have %(heads)s", heads=heads))
    return out


def birth_and_phones(
    cmd: schemas.PersonCreate, *, today: dt.date, phone_region: str, prefix: str
) -> tuple[PartialDate, list[str]]:
    """The person's birth date read (as precise as given) and phones normalised; the first that cannot
    be is refused, naming its field (``prefix`` + ``birth_date`` or ``phones.N``)."""
    try:
        birth = cmd.birth_date.parse(today=today)
    except ValueError as exc:
        raise Invalid(str(exc), problems=[FieldProblem(f"{prefix}birth_date", str(exc))]) from None
    phones: list[str] = []
    for i, raw in enumerate(cmd.phones):
        try:
            phones.append(normalise_phone(raw, phone_region))
        except ValueError as exc:
            raise Invalid(str(exc), problems=[FieldProblem(f"{prefix}phones.{i}", str(exc))]) from None
    return birth, phones


def _person_rows(
    uow: UnitOfWork, out: HouseholdRows, cmd: schemas.PersonCreate, ctx: Context, *, prefix: str
) -> None:
    now = ctx.now
    birth, phones = birth_and_phones(
        cmd, today=latest_today(now), phone_region=ctx.phone_region, prefix=prefix
    )
    pid = new_id()
    intention = cmd.intention or ctx.intention
    category = cmd.category or ctx.category
    out.add(Person, {
        "id": pid, "household_id": out.household_id, "relationship_to_head": cmd.relationship_to_head,
        "site_id": ctx.site_id, "sex": cmd.sex, "birth_year": birth.year, "birth_month": birth.month,
        "birth_day": birth.day, "birth_precision": birth.precision, "birth_estimated": birth.estimated,
        "place_of_birth": cmd.place_of_birth, "nationalities": list(cmd.nationalities),
        "languages": list(cmd.languages), "category": category, "intention": intention,
        "intention_date": ctx.stated_on, "merged_into_id": None, "source_key": None, "created_at": now,
        "updated_at": now,
    })  # fmt: skip
    names = spelled_names(*name_parts(cmd))
    for n in names:
        out.add(PersonName, {
            "id": new_id(), "person_id": pid, "part": n.part, "position": n.position, "text": n.text,
            "script": n.script, "is_primary": n.is_primary, "latin_key": n.latin_key,
            "skeleton_key": n.skeleton_key,
        })  # fmt: skip
    for token in sorted(tokens_of(n.text for n in names)):
        out.add(NameToken, {"person_id": pid, "token": token})
    for d in cmd.documents:
        out.add(Document, {
            "id": new_id(), "person_id": pid, "type": d.type, "number": d.number,
            "number_key": document_number_key(d.number), "issuing_country": d.issuing_country,
            "expiry_date": d.expiry_date,
        })  # fmt: skip
    for e164 in dict.fromkeys(phones):
        out.add(Phone, {"id": new_id(), "person_id": pid, "e164": e164})
    needs = sorted(set(cmd.needs))
    for code in needs:
        out.add(PersonNeed, {"person_id": pid, "code": code})
    out.add(IntentionStatement, {
        "id": new_id(), "person_id": pid, "intention": intention, "stated_on": ctx.stated_on,
        "recorded_at": now, "recorded_by": ctx.actor,
    })  # fmt: skip
    for consent in cmd.consents:
        out.add(ConsentRecord, _consent_row(consent, pid, ctx))
    if cmd.protection is not None and not cmd.protection.is_empty():
        out.add(ProtectionAttributes, _protection_row(uow, pid, ctx.site_id, cmd.protection))
    out.members.append(
        schemas.PersonSummary(
            id=pid,
            household_id=out.household_id,
            display_name=_display(names, latin=False),
            latin_name=_display(names, latin=True),
            sex=cmd.sex,
            birth_date=schemas.BirthDateRead(
                value=PartialDate(birth.year, birth.month, birth.day, birth.estimated).iso(),
                precision=birth.precision,
                estimated=birth.estimated,
            ),
            category=category,
            intention=intention,
            site_id=ctx.site_id,
            needs=needs,
            relationship_to_head=cmd.relationship_to_head,
        )
    )


def _display(names: list[SpelledName], *, latin: bool) -> str:
    """``Person.display_name`` / ``Person.latin_display_name`` of these names."""
    primary = {n.part: n for n in names if n.is_primary}
    parts = [primary[p] for p in DISPLAY_PARTS if p in primary]
    if latin:
        return " ".join(n.latin_key.title() for n in parts if n.latin_key) or "—"
    return " ".join(n.text for n in parts) or "—"


def _consent_row(cmd: schemas.ConsentCreate, pid: uuid.UUID, ctx: Context) -> dict[str, Any]:
    """``registration.consent_record`` and ``Person.record_consent``'s checks, as a row."""
    decided = cmd.decided_at or ctx.now
    if decided > ctx.now + CONSENT_FUTURE:
        raise Invalid(
            say("consent cannot be dated in the future"),
            problems=[FieldProblem("decided_at", say("in the future"))],
        )
    if cmd.purpose == ConsentPurpose.PARTNER_SHARING and not cmd.partner:
        raise Invalid(say("consent to share needs the partner's name"), problems=[])
    if cmd.purpose != ConsentPurpose.PARTNER_SHARING and cmd.partner:
        raise Invalid(say("only consent to share names a partner"))
    return {
        "id": new_id(), "person_id": pid, "purpose": cmd.purpose, "partner": cmd.partner,
        "decision": cmd.decision, "method": cmd.method, "decided_at": decided, "recorded_at": ctx.now,
        "recorded_by": ctx.actor, "note": cmd.note,
    }  # fmt: skip


def _protection_row(
    uow: UnitOfWork, pid: uuid.UUID, site_id: uuid.UUID, cmd: schemas.ProtectionInput
) -> dict[str, Any]:
    """Sealed by ``seal_protection`` itself, on a person object that never joins the session."""
    stand_in = Person(id=pid, site_id=site_id)
    seal_protection(uow, stand_in, cmd.model_dump())
    attrs = stand_in.protection
    assert attrs is not None  # seal_protection always sets it
    row: dict[str, Any] = {c.key: getattr(attrs, c.key) for c in TABLES[ProtectionAttributes].columns}
    row["person_id"] = pid
    return row


# ---------------------------------------------------------------------------------------------------
# History and audit: what ``history._write_history`` writes for the same rows


def history(
    rows: HouseholdRows, info: dict[str, Any], now: dt.datetime
) -> tuple[list[dict[str, Any]], list[AuditEvent]]:
    """One ``create`` change record and one audit event per tracked row (``history._row``/``_event``
    for a new object, from the row's values)."""
    changes: list[dict[str, Any]] = []
    events: list[AuditEvent] = []
    actor = info.get("actor", "system")
    role, address, txn = info.get("actor_role"), info.get("actor_address"), info["transaction_id"]
    for model in ORDER:
        tracking = TRACKED.get(model)
        if tracking is None:
            continue
        entity = model.__tablename__
        action = f"{tracking.action}.create"
        for row in rows.rows[model]:
            snapshot = _snapshot(tracking, row)
            entity_id = ":".join(str(_plain(row[key])) for key in tracking.keys)
            subject = row[tracking.subject]
            changes.append({
                "id": new_id(), "at": now, "actor": actor, "action": "create", "entity": entity,
                "entity_id": entity_id, "subject_id": subject, "field": None, "old_value": None,
                "new_value": _text(snapshot), "transaction_id": txn,
            })  # fmt: skip
            fields = [k for k, v in snapshot.items() if v is not None]
            details: dict[str, Any] = {"fields": sorted(fields)} if fields else {}
            if tracking.masked.intersection(fields):
                details["classes"] = ["protected"]
            if subject is not None and str(subject) != entity_id:
                details["subject"] = str(subject)
            events.append(
                AuditEvent(
                    at=now,
                    actor=actor,
                    role=role,
                    action=action,
                    entity=entity,
                    entity_id=entity_id,
                    site_id=row.get(tracking.site_attr) if tracking.site_attr else None,
                    address=address,
                    details=details,
                )
            )
    return changes, events


def _snapshot(tracking: Tracking, row: dict[str, Any]) -> dict[str, Any]:
    masked = tracking.masked
    return {
        key: MASK if key in masked and row.get(key) is not None else _plain(row.get(key))
        for key in tracking.columns
    }


def write(uow: UnitOfWork, rows: HouseholdRows) -> None:
    """Insert the rows and their change records on the session's connection (the unit of work's
    transaction; on PostgreSQL in one round trip) and queue their audit events for ``uow.commit()``."""
    info = uow.session.info
    changes, events = history(rows, info, info["now"]())
    conn = uow.session.connection()
    tables = _columns(conn.dialect)
    batches = [(tables[model], [tables[model].row(r) for r in rows.rows[model]]) for model in ORDER]
    batches.append((tables[ChangeRecord], [tables[ChangeRecord].row(r) for r in changes]))
    insert_batches(conn, batches)
    info.setdefault(AUDIT_QUEUE, []).extend(events)


_COLUMNS: dict[str, dict[type[Any], Columns]] = {}


def _columns(dialect: Dialect) -> dict[type[Any], Columns]:
    """Each table's columns with the dialect's bind processing, made once per dialect."""
    if dialect.name not in _COLUMNS:
        _COLUMNS[dialect.name] = {model: Columns(model.__table__, dialect) for model in WRITTEN}
    return _COLUMNS[dialect.name]
