"""Checkpoint scans: recording a batch (idempotent, order-independent) and what they add up to.

A scan is a fact from a device: this pass (or person) at this checkpoint, at this site, at this time
on the device. ``client_id``, made once by the device, makes an upload idempotent: a scan received
twice is stored once and answered the same way. Nothing is updated in place: a person's state is
derived from all their accepted scans ordered by device time (``person_state``), so scans made
offline and uploaded late, in any order, give the same state as scans uploaded at once.

Each scan is judged on its own, with its reason: a forged or altered token, a revoked pass (unless
the device scanned it before the revocation), a pass for another leg, a checkpoint at the wrong site
(check-in and boarding at the leg's origin, arrival at its destination), a site that is not one of
the scanner's. One bad scan never refuses the batch.

Presence. Where a person is now is derived from the same scans: their latest accepted scan says
"at the assembly point of S" (check-in), "on leg L" (boarding) or "at S" (arrival). ``present_at``
lists who is at a site now by their scans, and each batch of accepted scans brings the registry's
site stays (its occupancy) in line with the same latest scans (``movements.presence``).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Select, Table, bindparam, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from safepassage.movements import presence, schemas
from safepassage.movements.models import BoardingPass, Checkpoint, Scan, ScanOutcome, TransportLeg
from safepassage.movements.passes import BadToken, normalise_number, read_token
from safepassage.movements.planner import LegStatus
from safepassage.security.policy import Actor, Permission, require
from safepassage.shared.ids import new_id
from safepassage.uow import UnitOfWork


@dataclass
class _Lookups:
    passes_by_id: dict[uuid.UUID, BoardingPass]
    passes_by_number: dict[str, BoardingPass]
    passes_by_person_leg: dict[tuple[uuid.UUID, uuid.UUID], BoardingPass]
    legs: dict[uuid.UUID, TransportLeg]


_BY = {"ids": BoardingPass.id, "numbers": BoardingPass.number, "persons": BoardingPass.person_id}


@functools.cache
def _passes_statement(kinds: tuple[str, ...]) -> Select[tuple[BoardingPass, TransportLeg]]:
    """The passes named by ``kinds`` of reference (ids, numbers, persons), with their legs: one
    statement per combination, built once (its values bound at each call)."""
    return (
        select(BoardingPass, TransportLeg)
        .join(TransportLeg, TransportLeg.id == BoardingPass.leg_id)
        .where(or_(*(_BY[k].in_(bindparam(k, expanding=True)) for k in kinds)))
    )


def _lookups(uow: UnitOfWork, scans: Sequence[schemas.ScanIn], claims: dict[str, uuid.UUID]) -> _Lookups:
    s = uow.session
    ids = set(claims.values())
    numbers = {normalise_number(x.pass_number) for x in scans if x.pass_number}
    persons = {x.person_id for x in scans if x.person_id is not None}
    # every pass the batch names, with its leg, in one round trip (a checkpoint waits on each one)
    wanted = {"ids": list(ids), "numbers": list(numbers), "persons": list(persons)}
    kinds = tuple(sorted(k for k, v in wanted.items() if v))
    passes: list[BoardingPass] = []
    legs: dict[uuid.UUID, TransportLeg] = {}
    if kinds:
        rows = s.execute(_passes_statement(kinds), {k: wanted[k] for k in kinds}).tuples()
        for boarding, leg in rows:
            passes.append(boarding)
            legs[leg.id] = leg
    named = {x.leg_id for x in scans if x.leg_id is not None} - set(legs)
    if named:
        legs |= {leg.id: leg for leg in s.scalars(select(TransportLeg).where(TransportLeg.id.in_(named)))}
    by_person_leg: dict[tuple[uuid.UUID, uuid.UUID], BoardingPass] = {}
    for p in sorted(passes, key=lambda p: (p.revoked_at is None, p.issued_at)):
        by_person_leg[(p.person_id, p.leg_id)] = p  # a valid pass wins over a revoked one
    return _Lookups({p.id: p for p in passes}, {p.number: p for p in passes}, by_person_leg, legs)


def _judge(
    scan: schemas.ScanIn, actor: Actor, found: _Lookups, claim: uuid.UUID | None, bad: str | None
) -> tuple[str | None, BoardingPass | None]:
    """(reason it is rejected or None, the pass)."""
    if bad is not None:
        return bad, None
    if not actor.covers(scan.site_id):
        return "this site is not one of your sites", None
    boarding: BoardingPass | None = None
    if claim is not None:
        boarding = found.passes_by_id.get(claim)
        if boarding is None:
            return "no such pass (signed, but not issued here)", None
    elif scan.pass_number:
        boarding = found.passes_by_number.get(normalise_number(scan.pass_number))
        if boarding is None:
            return f"no pass numbered {scan.pass_number}", None
    elif scan.person_id is not None:
        if scan.leg_id is None:
            return "a scan by person id needs the leg", None
        boarding = found.passes_by_person_leg.get((scan.person_id, scan.leg_id))
        if boarding is None:
            return "this person holds no pass for this leg", None
    else:
        return "say who: a pass code, a pass number or a person id", None
    if scan.leg_id is not None and scan.leg_id != boarding.leg_id:
        leg = found.legs.get(boarding.leg_id)
        return f"the pass is for leg {leg.code if leg else boarding.leg_id}, not this one", boarding
    if boarding.revoked_at is not None and scan.device_at >= boarding.revoked_at:
        return f"pass revoked: {boarding.revoked_reason or 'no reason given'}", boarding
    leg = found.legs[boarding.leg_id]
    if leg.status is LegStatus.CANCELLED and scan.checkpoint is not Checkpoint.ARRIVAL:
        return f"leg {leg.code} is cancelled", boarding
    where = leg.destination_site_id if scan.checkpoint is Checkpoint.ARRIVAL else leg.origin_site_id
    if scan.site_id != where:
        what = "its destination" if scan.checkpoint is Checkpoint.ARRIVAL else "its origin"
        return f"{scan.checkpoint.value} for leg {leg.code} is scanned at {what}, not at this site", boarding
    return None, boarding


def _result(scan: Scan, duplicate: bool, legs: dict[uuid.UUID, TransportLeg]) -> schemas.ScanResult:
    leg = legs.get(scan.leg_id) if scan.leg_id else None
    return schemas.ScanResult(
        client_id=scan.client_id,
        outcome=scan.outcome,
        reason=scan.reason,
        duplicate=duplicate,
        person_id=scan.person_id,
        leg_code=leg.code if leg else None,
    )


def record_scans(
    uow: UnitOfWork, batch: schemas.ScanBatch, *, actor: Actor, public_key: Ed25519PublicKey
) -> schemas.ScanBatchResult:
    """Store a batch of scans (each judged on its own); a scan already received is answered as then.
    The rows go in with one ``INSERT ... ON CONFLICT DO NOTHING`` (the unique client id): a scan
    already stored (sent twice, or two uploads racing) is skipped by the database and answered as a
    duplicate.
    Accepted scans then move their persons' presence in the registry (``movements.presence``).
    The upload is one audit entry (counts, a digest of the new scans' ids, the stays moved), whatever
    its size: the entries are appended under the audit chain's head lock, which every writer queues for."""
    require(actor, Permission.MOVEMENTS_SCAN)
    unique = list({x.client_id: x for x in batch.scans}.values())
    claims: dict[str, uuid.UUID] = {}
    named: set[uuid.UUID] = set()
    bad: dict[str, str] = {}
    for x in unique:
        if x.token:
            try:
                claim = read_token(public_key, x.token)
            except BadToken as exc:
                bad[x.client_id] = str(exc)
            else:
                claims[x.client_id] = claim.pass_id
                named.add(claim.person_id)
    # the persons the signed passes name join the row scope from the transaction's start (handed over
    # with the actor's sites, no statement of its own): presence may move only them (nothing else
    # this service reads is scoped by person); persons named otherwise are added by presence
    scoped = actor if actor.all_sites else replace(actor, granted_records=actor.granted_records | named)
    with uow.acting(scoped):
        found = _lookups(uow, unique, claims)
        now = uow.now()
        judged: dict[str, Scan] = {}
        for x in unique:
            reason, boarding = _judge(x, actor, found, claims.get(x.client_id), bad.get(x.client_id))
            judged[x.client_id] = Scan(
                id=new_id(),
                client_id=x.client_id,
                outcome=ScanOutcome.REJECTED if reason else ScanOutcome.ACCEPTED,
                reason=reason,
                person_id=boarding.person_id if boarding else None,
                pass_id=boarding.id if boarding else None,
                checkpoint=x.checkpoint,
                site_id=x.site_id if actor.covers(x.site_id) else None,
                leg_id=boarding.leg_id if boarding else None,
                device_at=x.device_at,
                received_at=now,
                recorded_by=actor.username,
                by_token=x.token is not None,
            )
        stored = _insert_new(uow, judged)
        new = [scan for scan, duplicate in stored.values() if not duplicate]
        if new:
            accepted = [s for s in new if s.outcome is ScanOutcome.ACCEPTED]
            # the last read of this transaction: the audit append and the commit follow
            moved = presence.follow_scans(uow, accepted, actor=actor, restore=False)
            # one entry for the upload: its scans (the rows themselves say who, where and when) and
            # the stays they moved (their per-row entries folded in; the change records keep each row)
            uow.audit(
                "movement.scans.recorded",
                entity="scans",
                site_id=batch.scans[0].site_id if actor.covers(batch.scans[0].site_id) else None,
                details={
                    "accepted": len(accepted),
                    "rejected": len(new) - len(accepted),
                    "scans_digest": presence.digest_of([s.id for s in new]),
                    "presence_moved": moved,
                    "transaction_id": str(uow.session.info["transaction_id"]),
                    **presence.fold_stay_events(uow),
                },
            )
            uow.commit()
        results = [_result(*stored[x.client_id], found.legs) for x in batch.scans]
    return schemas.ScanBatchResult(
        accepted=sum(1 for r in results if r.outcome is ScanOutcome.ACCEPTED and not r.duplicate),
        rejected=sum(1 for r in results if r.outcome is ScanOutcome.REJECTED and not r.duplicate),
        duplicates=sum(1 for r in results if r.duplicate),
        results=results,
    )


_TABLE: Table = Scan.__table__  # type: ignore[assignment]
_COLUMNS = tuple(c.key for c in _TABLE.columns)


def _insert_new(uow: UnitOfWork, judged: dict[str, Scan]) -> dict[str, tuple[Scan, bool]]:
    """Insert the judged scans, skipping client ids already stored; each client id's scan as stored
    and whether it was there before (a duplicate). A duplicate recorded where the actor cannot see it
    (row-level security: another site's scan) is answered as received before, without its details."""
    s = uow.session
    insert = postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert
    rows = [{key: getattr(scan, key) for key in _COLUMNS} for scan in judged.values()]
    # no conflict target: naming one needs SELECT on it, which row-level security turns into "the new
    # row must be visible", and a scan at a site not the actor's is stored visible to nobody
    # rows as parameters (executemany), not literal VALUES: the statement compiles once and is cached
    statement = insert(_TABLE).on_conflict_do_nothing().execution_options(preserve_rowcount=True)
    result = s.execute(statement, rows)
    stored = {client_id: (scan, False) for client_id, scan in judged.items()}
    inserted = int(getattr(result, "rowcount", -1))
    if inserted == len(rows):
        return stored
    ours = {scan.id for scan in judged.values()}
    visible = {
        scan.client_id: scan
        for scan in s.scalars(
            select(Scan).where(Scan.client_id.in_(list(judged))).execution_options(populate_existing=True)
        )
    }
    invisible = [client_id for client_id in judged if client_id not in visible]
    # our own rows that we may not see (a scan at a site not ours): what the count says is left
    ours_unseen = inserted - sum(1 for scan in visible.values() if scan.id in ours)
    for client_id in judged:
        there = visible.get(client_id)
        if there is None and ours_unseen != len(invisible):
            hidden = Scan(
                client_id=client_id,
                outcome=ScanOutcome.REJECTED,
                reason="received before, at a site that is not one of yours",
            )
            stored[client_id] = (hidden, True)
        elif there is not None and there.id not in ours:
            stored[client_id] = (there, True)
    return stored


# --- derived state -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class State:
    state: str  # not_seen, checked_in, boarded, arrived
    site_id: uuid.UUID | None
    leg_id: uuid.UUID | None


_STATE = {
    Checkpoint.ASSEMBLY_CHECK_IN: "checked_in",
    Checkpoint.BOARDING: "boarded",
    Checkpoint.ARRIVAL: "arrived",
}


def person_state(scans: Iterable[Scan]) -> State:
    """The state the accepted scans add up to, whatever order they arrived in: the latest by device
    time (the client id breaks ties) decides."""
    accepted = sorted(
        (s for s in scans if s.outcome is ScanOutcome.ACCEPTED), key=lambda s: (s.device_at, s.client_id)
    )
    if not accepted:
        return State("not_seen", None, None)
    last = accepted[-1]
    site = None if last.checkpoint is Checkpoint.BOARDING else last.site_id
    return State(_STATE[last.checkpoint], site, last.leg_id)


def present_at(uow: UnitOfWork, site_id: uuid.UUID) -> list[uuid.UUID]:
    """Persons whose latest accepted scan puts them at ``site_id`` now (checked in there for a leg
    leaving it, or arrived there)."""
    ranked = (
        select(
            Scan.person_id,
            Scan.site_id,
            Scan.checkpoint,
            func.row_number()
            .over(partition_by=Scan.person_id, order_by=(Scan.device_at.desc(), Scan.client_id.desc()))
            .label("rank"),
        )
        .where(Scan.outcome == ScanOutcome.ACCEPTED, Scan.person_id.is_not(None))
        .subquery()
    )
    rows = uow.session.execute(
        select(ranked.c.person_id)
        .where(ranked.c.rank == 1, ranked.c.site_id == site_id, ranked.c.checkpoint != Checkpoint.BOARDING)
        .order_by(ranked.c.person_id)
    )
    return [r[0] for r in rows]


def scans_of(uow: UnitOfWork, person_id: uuid.UUID, *, actor: Actor) -> list[Scan]:
    """The person's scans at the actor's sites (every site for the system), by device time."""
    stmt = select(Scan).where(Scan.person_id == person_id).order_by(Scan.device_at, Scan.client_id)
    if not actor.all_sites:
        stmt = stmt.where(Scan.site_id.in_(sorted(actor.site_ids)))
    return list(uow.session.scalars(stmt))
