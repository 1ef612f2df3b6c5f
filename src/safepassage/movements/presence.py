"""Scans move presence: who is at a site now feeds the registry's site occupancy.

The registry keeps presence as site stays (``SiteStay``: checked in at, checked out at; a site's
occupancy counts its open stays). An accepted scan says where its person was at its device time:
at the assembly point of the leg's origin (check-in), on the leg (boarding: at no site), at the
leg's destination (arrival). ``follow_scans`` brings the stays in line with the person's *latest*
accepted scan, by device time (the client id breaks ties), as ``scans.person_state`` derives it:

- if the registry already knows something as recent (a stay opened or closed at or after that
  scan's time: a later check-in by a clerk, a later scan), nothing changes;
- a check-in or an arrival at S: the open stay is at S already, or it is closed at the scan's time
  and a stay at S opens then;
- boarding: the open stay, wherever it is, is closed at the scan's time.

So it is idempotent (the same scan again changes nothing) and order-independent for what is open
now: scans uploaded late and in any order leave the same open stays (the same occupancy) as scans
uploaded at once. A late scan also shortens a closed stay it falls inside when it puts the person
elsewhere (a boarding scan uploaded after the arrival ends the origin's stay at boarding, not at
arrival). What a late scan cannot do is add a stay in the past: a check-in uploaded after a later
arrival leaves no closed stay at the assembly point (its scan is kept, and the movement history
shows it).

Row-level security: a destination's clerks may not see the registry record of a person registered
elsewhere. The pass scanned at their site is the right to move that person's presence, and only
that: for this step of the transaction the person's records are added to the actor's row scope
(``safepassage.record_ids``, as a break-glass grant would, without its reach beyond this service),
and the scope is restored after the write (the scan service, which only appends its audit entry
and commits afterwards, leaves it to the end of its transaction). The scan service hands the
persons its signed passes name over with the actor's sites when its transaction begins (it reads
nothing scoped by person before this step), so for scans by pass code no statement is needed here;
persons found by a typed pass number or a person id are added here.

The latest scans and the stays that can matter are read in one statement (each latest scan joined
to its person's stays): a checkpoint waits on every round trip.

Audit. The history listener writes a change record per stay written and queues an audit entry per
written row. A scan batch folds the latter into its own single entry (``fold_stay_events``): the
number of stays opened and changed and a digest of their ids, beside the transaction id that the
change records carry, as the bulk import records one entry per batch. Every entry costs time under
the audit chain's head lock, which every writer of the database queues for.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, or_, select, text
from sqlalchemy.orm import Session

from safepassage.movements.models import Checkpoint, Scan, ScanOutcome
from safepassage.registry.models import SiteStay
from safepassage.security.policy import Actor
from safepassage.uow import AUDIT_QUEUE, AuditEvent, UnitOfWork

_SET_RECORDS = text("SELECT set_config('safepassage.record_ids', :ids, true)")


def follow_scans(uow: UnitOfWork, new: Sequence[Scan], *, actor: Actor, restore: bool = True) -> int:
    """Bring the site stays of the persons of ``new`` (accepted scans just stored) in line with their
    latest accepted scans; how many persons' presence moved. ``restore=False`` leaves the widened row
    scope to the end of the transaction (one round trip less): only for a caller that reads nothing
    more before it commits."""
    persons = sorted({s.person_id for s in new if s.person_id is not None})
    if not persons:
        return 0
    session = uow.session
    scope = uow.actor_scope.record_ids
    # the transaction's scope may hold them already (the scan service adds the persons its signed
    # passes name): then no statement
    widened = (
        session.get_bind().dialect.name == "postgresql"
        and not actor.all_sites
        and not scope.issuperset(persons)
    )
    granted = sorted(str(r) for r in scope)
    if widened:
        session.execute(_SET_RECORDS, {"ids": ",".join(granted + [str(p) for p in persons])})
    try:
        # the stays that can matter: open ones, and those ending at or after the earliest new scan
        # (an older stay can neither hold a new scan nor be as recent as the latest scan)
        since = min(s.device_at for s in new)
        latest, stays = _latest_and_stays(session, persons, since)
        arrived: dict[uuid.UUID, list[Scan]] = defaultdict(list)
        for scan in new:
            if scan.person_id is not None:
                arrived[scan.person_id].append(scan)
        moved = 0
        for person in persons:
            mine = stays[person]
            for scan in arrived[person]:
                _shorten(mine, scan, actor.username)
            if person in latest and _follow(session, person, mine, latest[person], actor.username):
                moved += 1
        session.flush()
    finally:
        if widened and restore:
            session.execute(_SET_RECORDS, {"ids": ",".join(granted)})
    return moved


def fold_stay_events(uow: UnitOfWork) -> dict[str, Any]:
    """Take the audit events the history listener queued for site stays in this transaction off the
    queue, and say what they were, for the caller's own entry: how many stays were opened
    (``site_stay.create``) and changed (``site_stay.update``), and ``stays_digest``, SHA-256 over
    their sorted ``action:stay id`` lines (the change records of the same transaction id list the same
    rows: an auditor recomputes it). Empty when no stay was written."""
    queue: list[AuditEvent] = uow.session.info.get(AUDIT_QUEUE, [])
    table = SiteStay.__tablename__
    stays = [e for e in queue if e.entity == table]
    if not stays:
        return {}
    queue[:] = [e for e in queue if e.entity != table]
    lines = sorted(f"{e.action}:{e.entity_id}" for e in stays)
    return {
        "stays_opened": sum(1 for e in stays if e.action.endswith(".create")),
        "stays_changed": sum(1 for e in stays if e.action.endswith(".update")),
        "stays_digest": hashlib.sha256("\n".join(lines).encode()).hexdigest(),
    }


def digest_of(ids: Sequence[uuid.UUID]) -> str:
    """SHA-256 over the sorted ids, one per line: what an audit entry says of the rows it stands for."""
    return hashlib.sha256("\n".join(sorted(str(i) for i in ids)).encode()).hexdigest()


@dataclass(frozen=True)
class _Last:
    """A person's latest accepted scan: what ``_follow`` needs of it."""

    checkpoint: Checkpoint
    site_id: uuid.UUID | None
    device_at: dt.datetime


@functools.cache
def _latest_and_stays_statement() -> Select[Any]:
    """The statement of ``_latest_and_stays``, built once (``persons`` and ``since`` bound at each
    call): building it anew cost more CPU than running it."""
    ranked = (
        select(
            Scan.person_id,
            Scan.checkpoint,
            Scan.site_id,
            Scan.device_at,
            func.row_number()
            .over(partition_by=Scan.person_id, order_by=(Scan.device_at.desc(), Scan.client_id.desc()))
            .label("rank"),
        )
        .where(Scan.person_id.in_(bindparam("persons", expanding=True)), Scan.outcome == ScanOutcome.ACCEPTED)
        .subquery()
    )
    last = select(ranked).where(ranked.c.rank == 1).subquery()
    return select(last.c.person_id, last.c.checkpoint, last.c.site_id, last.c.device_at, SiteStay).outerjoin(
        SiteStay, and_(SiteStay.person_id == last.c.person_id, _matters())
    )


def _matters() -> ColumnElement[bool]:
    """A stay that can matter to scans from ``since`` on: open, or ending at or after it."""
    return or_(SiteStay.checked_out_at.is_(None), SiteStay.checked_out_at >= bindparam("since"))


def _latest_and_stays(
    session: Session, persons: list[uuid.UUID], since: dt.datetime
) -> tuple[dict[uuid.UUID, _Last], dict[uuid.UUID, list[SiteStay]]]:
    """Each person's latest accepted scan by device time (the client id breaks ties), and their stays
    open or ending at or after ``since``: one statement (the latest scans, each joined to its
    person's stays), on the checkpoint's path."""
    rows = session.execute(_latest_and_stays_statement(), {"persons": persons, "since": since})
    latest: dict[uuid.UUID, _Last] = {}
    stays: dict[uuid.UUID, list[SiteStay]] = defaultdict(list)
    for person, checkpoint, site, at, stay in rows:
        latest[person] = _Last(checkpoint, site, at)
        if stay is not None:
            stays[person].append(stay)
    # a person with no accepted scan in sight (none here: the caller's own new scans are theirs) still
    # has the stays a late scan may shorten
    unseen = [p for p in persons if p not in latest]
    if unseen:
        unseen_stays = select(SiteStay).where(SiteStay.person_id.in_(unseen), _matters())
        for stay in session.scalars(unseen_stays, {"since": since}):
            stays[stay.person_id].append(stay)
    return latest, stays


def _where(scan: Scan | _Last) -> uuid.UUID | None:
    """The site a scan puts its person at (none on board)."""
    return None if scan.checkpoint is Checkpoint.BOARDING else scan.site_id


def _shorten(stays: list[SiteStay], scan: Scan, by: str) -> None:
    """A closed stay that a late scan falls inside, putting the person elsewhere, ends at the scan."""
    for stay in stays:
        out = stay.checked_out_at
        if out is not None and stay.checked_in_at < scan.device_at < out and stay.site_id != _where(scan):
            stay.checked_out_at, stay.checked_out_by = scan.device_at, by


def _follow(session: Session, person: uuid.UUID, stays: list[SiteStay], last: _Last, by: str) -> bool:
    known = [s.checked_in_at for s in stays] + [s.checked_out_at for s in stays if s.checked_out_at]
    if known and last.device_at <= max(known):
        return False  # the registry knows something as recent: a later check-in, a later scan
    target = _where(last)
    current = next((s for s in stays if s.checked_out_at is None), None)
    if current is not None and current.site_id == target:
        return False
    if current is None and target is None:
        return False
    if current is not None:
        current.checked_out_at, current.checked_out_by = last.device_at, by
    if target is not None:
        stay = SiteStay(person_id=person, site_id=target, checked_in_at=last.device_at, checked_in_by=by)
        session.add(stay)
        stays.append(stay)
    return True
