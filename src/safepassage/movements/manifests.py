"""Manifests: who is on a leg, with the fields airlines and border authorities expect.

A manifest is frozen when boarding starts (``freeze``): a snapshot of the accepted plan's persons on
the leg, with their Latin names as in the travel document, sex, date of birth, nationality and
document. Later plans, corrections and erasures do not change it. Before boarding, ``current`` gives
the same rows from the accepted plan, marked as not frozen. Identifying fields (documents): only roles
that may read them get a manifest (``require_field``).
"""

from __future__ import annotations

import csv
import io
import uuid
from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from safepassage.movements.models import Manifest, MovementPlan, PlanAssignment, PlanStatus, TransportLeg
from safepassage.registry.codes import DocumentType, NamePart
from safepassage.registry.models import Person
from safepassage.security.policy import Access, Actor, FieldClass, Permission, require, require_field
from safepassage.shared.text import Script, detect_script, to_latin
from safepassage.uow import UnitOfWork

COLUMNS = (
    "seq",
    "family_name",
    "given_names",
    "sex",
    "birth_date",
    "nationality",
    "document_type",
    "document_number",
    "document_expiry",
    "category",
    "tier",
    "place",
    "group",
    "person_id",
)

# Documents in the order a border officer would rather see them.
_DOCUMENT_ORDER = [
    DocumentType.PASSPORT,
    DocumentType.EMERGENCY_TRAVEL_DOCUMENT,
    DocumentType.NATIONAL_ID,
    DocumentType.REFUGEE_ID,
    DocumentType.RESIDENCE_PERMIT,
]


def latin_name(person: Person, part: NamePart) -> str:
    """The name as a travel document prints it: a Latin spelling recorded for the part if any (the
    document's own), else the primary spelling transliterated."""
    spellings = [n for n in person.names if n.part == part]
    for name in spellings:
        if detect_script(name.text) is Script.LATIN:
            return name.text.upper()
    primary = person.primary_name(part)
    return to_latin(primary.text).upper() if primary is not None else ""


def entry_for(person: Person | None, assignment: PlanAssignment) -> dict[str, Any]:
    row: dict[str, Any] = {
        "person_id": str(assignment.person_id),
        "tier": assignment.tier,
        "place": assignment.place.value,
        "group": assignment.group_key,
    }
    if person is None:  # not visible to whoever froze it (row-level security): still on the leg
        return row | {c: "" for c in COLUMNS if c not in row and c != "seq"}
    document = next(
        (d for t in _DOCUMENT_ORDER for d in person.documents if d.type == t),
        person.documents[0] if person.documents else None,
    )
    given = " ".join(
        x for x in (latin_name(person, NamePart.GIVEN), latin_name(person, NamePart.FATHER)) if x
    )
    return row | {
        "family_name": latin_name(person, NamePart.FAMILY),
        "given_names": given,
        "sex": {"female": "F", "male": "M", "other": "X"}.get(person.sex.value, ""),
        "birth_date": person.birth_date.iso() if person.birth_year else "",
        "nationality": (person.nationalities or [""])[0],
        "document_type": document.type.value if document else "",
        "document_number": document.number if document else "",
        "document_expiry": document.expiry_date.isoformat() if document and document.expiry_date else "",
        "category": person.category.value,
    }


def _accepted_assignments(
    uow: UnitOfWork, leg: TransportLeg
) -> tuple[uuid.UUID | None, list[PlanAssignment]]:
    plan_id = uow.session.scalar(
        select(MovementPlan.id).where(
            MovementPlan.origin_site_id == leg.origin_site_id, MovementPlan.status == PlanStatus.ACCEPTED
        )
    )
    if plan_id is None:
        return None, []
    rows = uow.session.scalars(
        select(PlanAssignment)
        .where(PlanAssignment.plan_id == plan_id, PlanAssignment.leg_id == leg.id)
        .order_by(PlanAssignment.group_key, PlanAssignment.id)
    ).all()
    return plan_id, list(rows)


def _entries(uow: UnitOfWork, assignments: list[PlanAssignment]) -> list[dict[str, Any]]:
    ids = [a.person_id for a in assignments]
    persons = {
        p.id: p
        for p in uow.session.scalars(
            select(Person)
            .where(Person.id.in_(ids))
            .options(selectinload(Person.names), selectinload(Person.documents))
        )
    }
    entries = [entry_for(persons.get(a.person_id), a) for a in assignments]
    for i, entry in enumerate(entries, start=1):
        entry["seq"] = i
    return entries


def counts(entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "total": len(entries),
        "by_category": dict(sorted(Counter(e.get("category") or "unknown" for e in entries).items())),
        "by_tier": {str(k): v for k, v in sorted(Counter(int(e["tier"]) for e in entries).items())},
        "by_place": dict(sorted(Counter(e["place"] for e in entries).items())),
    }


def freeze(uow: UnitOfWork, leg: TransportLeg, *, by: str) -> Manifest:
    """Snapshot the leg's persons of the accepted plan (inside the caller's transaction)."""
    existing = uow.session.scalar(select(Manifest).where(Manifest.leg_id == leg.id))
    if existing is not None:
        return existing
    plan_id, assignments = _accepted_assignments(uow, leg)
    entries = _entries(uow, assignments)
    manifest = Manifest(
        leg_id=leg.id,
        plan_id=plan_id,
        frozen_at=uow.now(),
        frozen_by=by,
        entries=entries,
        counts=counts(entries),
    )
    uow.session.add(manifest)
    uow.audit(
        "movement.manifest.frozen",
        entity="leg",
        entity_id=leg.id,
        site_id=leg.origin_site_id,
        details={"persons": len(entries)},
    )
    return manifest


def manifest_rows(
    uow: UnitOfWork, leg: TransportLeg, *, actor: Actor
) -> tuple[bool, list[dict[str, Any]], dict[str, Any]]:
    """(frozen?, rows, counts) of a leg: the frozen snapshot, or the accepted plan's rows until then.
    The caller has checked the leg is in scope; reading it is audited (documents are identifying)."""
    require(actor, Permission.MOVEMENTS_PLAN)
    require_field(actor, FieldClass.IDENTIFYING, Access.READ)
    frozen = uow.session.scalar(select(Manifest).where(Manifest.leg_id == leg.id))
    if frozen is not None:
        rows, tallies = list(frozen.entries), dict(frozen.counts)
    else:
        _, assignments = _accepted_assignments(uow, leg)
        rows = _entries(uow, assignments)
        tallies = counts(rows)
    uow.audit(
        "movement.manifest.read",
        entity="leg",
        entity_id=leg.id,
        site_id=leg.origin_site_id,
        details={"persons": len(rows), "frozen": frozen is not None, "field_classes": ["identifying"]},
    )
    return frozen is not None, rows, tallies


def to_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue()
