"""What erasing a person removes from the movement records (called by the registry's erasure).

A frozen manifest is a snapshot that later corrections do not change, but an erasure does: the
person's row keeps its place, its id (the registry's tombstone), sex, category, tier, place and group,
so the manifest's counts and the leg's accountability (manifested, boarded, arrived, no-shows) stay
exactly as they were; the names, date of birth, nationality and travel document (type, number,
expiry) become ``«erased»``. A plan's summary lists the persons holding a group back with their
reasons (which can quote a document's expiry): those lines keep the id and lose the reasons. A
boarding pass keeps its number, leg and validity but no longer says which language the person reads.
Scans hold no personal values (who: an id; where, when, by whom) and are kept for accountability.

Every copy is reached, whichever sites the legs concern: for this step the transaction's row scope
is widened to every site (``safepassage.all_sites``, PostgreSQL), then restored. The caller holds the
erase permission and has checked the person is in its scope.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, cast, or_, select, text, update

from safepassage.movements.models import BoardingPass, Manifest, MovementPlan, PlanAssignment
from safepassage.uow import UnitOfWork

ERASED = "«erased»"
ERASED_FIELDS = (
    "family_name",
    "given_names",
    "birth_date",
    "nationality",
    "document_type",
    "document_number",
    "document_expiry",
)
_ALL_SITES = text("SELECT set_config('safepassage.all_sites', :on, true)")


@dataclass(frozen=True)
class MovementErasure:
    manifest_entries: int  # rows of frozen manifests scrubbed
    plan_reasons: int  # held-back lines of plan summaries scrubbed
    passes: int  # boarding passes whose language was removed


def erase_from_movements(uow: UnitOfWork, person_ids: Sequence[uuid.UUID]) -> MovementErasure:
    """Scrub the persons from frozen manifests, plan summaries and passes (the caller's transaction)."""
    if not person_ids:
        return MovementErasure(0, 0, 0)
    session = uow.session
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        session.execute(_ALL_SITES, {"on": "on"})
    try:
        ids = {str(i) for i in person_ids}
        legs = select(PlanAssignment.leg_id).where(PlanAssignment.person_id.in_(person_ids))
        passed = select(BoardingPass.leg_id).where(BoardingPass.person_id.in_(person_ids))
        entries = 0
        for manifest in session.scalars(
            select(Manifest).where(or_(Manifest.leg_id.in_(legs), Manifest.leg_id.in_(passed)))
        ):
            rows, n = _scrub_entries(manifest.entries, ids)
            if n:
                manifest.entries = rows  # a new list: the JSON column sees the change
                entries += n
        reasons = 0
        # a person held back has no assignment: the plans are found by the id in their summary
        mentioned = or_(*(cast(MovementPlan.summary, String).contains(i) for i in sorted(ids)))
        for plan in session.scalars(select(MovementPlan).where(mentioned)):
            summary, n = _scrub_summary(plan.summary, ids)
            if n:
                plan.summary = summary
                reasons += n
        result = session.execute(
            update(BoardingPass)
            .where(BoardingPass.person_id.in_(person_ids), BoardingPass.language != "en")
            .values(language="en")
            .execution_options(synchronize_session=False)
        )
        session.flush()
    finally:
        if postgres:
            session.execute(_ALL_SITES, {"on": "on" if uow.actor_scope.all_sites else "off"})
    return MovementErasure(entries, reasons, int(getattr(result, "rowcount", 0) or 0))


def _scrub_entries(entries: list[dict[str, Any]], ids: set[str]) -> tuple[list[dict[str, Any]], int]:
    out, n = [], 0
    for entry in entries:
        if entry.get("person_id") in ids and any(
            entry.get(f) not in ("", None, ERASED) for f in ERASED_FIELDS
        ):
            entry = entry | {f: ERASED for f in ERASED_FIELDS if entry.get(f) not in ("", None)}
            n += 1
        out.append(entry)
    return out, n


def _scrub_summary(summary: dict[str, Any], ids: set[str]) -> tuple[dict[str, Any], int]:
    n = 0
    held = []
    for group in summary.get("groups_held", []):
        reasons = []
        for line in group.get("reasons", []):
            person, _, rest = str(line).partition(": ")
            if person in ids and rest != ERASED:
                line, n = f"{person}: {ERASED}", n + 1
            reasons.append(line)
        held.append(group | {"reasons": reasons})
    return (summary | {"groups_held": held}, n) if n else (summary, 0)
