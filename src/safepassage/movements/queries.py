"""The read side of movements: legs, plans, passes, accountability, presence. Never mutates.

Scope: legs (and what hangs on them) are visible to those who work at their origin or destination;
plans to those who work at their origin.
"""

from __future__ import annotations

import uuid

from sqlalchemy import or_, select

from safepassage.movements import schemas
from safepassage.movements.legs import get_leg_or_raise
from safepassage.movements.models import (
    BoardingPass,
    Checkpoint,
    Manifest,
    MovementPlan,
    Scan,
    ScanOutcome,
    TransportLeg,
    TravelGroup,
)
from safepassage.movements.operation import OperationPolicy
from safepassage.movements.planner import LegStatus
from safepassage.movements.planning import accepted_plan, assess_site, get_plan_or_raise
from safepassage.movements.scans import person_state, present_at, scans_of
from safepassage.registry.models import Site
from safepassage.security.policy import Actor, Permission, require, require_site
from safepassage.uow import UnitOfWork


def _codes(uow: UnitOfWork, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    return dict(uow.session.execute(select(Site.id, Site.code).where(Site.id.in_(ids))).tuples().all())


def leg_reads(uow: UnitOfWork, legs: list[TransportLeg]) -> list[schemas.LegRead]:
    sites = _codes(uow, {leg.origin_site_id for leg in legs} | {leg.destination_site_id for leg in legs})
    frozen = set(
        uow.session.scalars(select(Manifest.leg_id).where(Manifest.leg_id.in_([x.id for x in legs])))
    )
    return [
        schemas.LegRead(
            id=leg.id,
            code=leg.code,
            kind=leg.kind,
            origin_site_id=leg.origin_site_id,
            origin_site_code=sites.get(leg.origin_site_id, "?"),
            destination_site_id=leg.destination_site_id,
            destination_site_code=sites.get(leg.destination_site_id, "?"),
            departure_at=leg.departure_at,
            seats=leg.seats,
            lap_places=leg.lap_places,
            stretcher_places=leg.stretcher_places,
            baggage_kg=leg.baggage_kg,
            status=leg.status,
            status_reason=leg.status_reason,
            manifest_frozen=leg.id in frozen,
        )
        for leg in legs
    ]


def list_legs(
    uow: UnitOfWork, *, actor: Actor, site_id: uuid.UUID | None = None, include_closed: bool = True
) -> list[schemas.LegRead]:
    require(actor, Permission.MOVEMENTS_READ)
    with uow.acting(actor):
        stmt = select(TransportLeg).order_by(TransportLeg.departure_at, TransportLeg.code)
        if not actor.all_sites:
            sites = sorted(actor.site_ids)
            stmt = stmt.where(
                or_(TransportLeg.origin_site_id.in_(sites), TransportLeg.destination_site_id.in_(sites))
            )
        if site_id is not None:
            stmt = stmt.where(
                or_(TransportLeg.origin_site_id == site_id, TransportLeg.destination_site_id == site_id)
            )
        if not include_closed:
            stmt = stmt.where(TransportLeg.status.in_([LegStatus.PLANNED, LegStatus.BOARDING]))
        return leg_reads(uow, list(uow.session.scalars(stmt)))


def get_leg(uow: UnitOfWork, leg_id: uuid.UUID, *, actor: Actor) -> schemas.LegRead:
    require(actor, Permission.MOVEMENTS_READ)
    with uow.acting(actor):
        return leg_reads(uow, [get_leg_or_raise(uow, leg_id, actor=actor)])[0]


def plan_read(uow: UnitOfWork, plan: MovementPlan, *, with_assignments: bool = True) -> schemas.PlanRead:
    legs = (
        dict(uow.session.execute(select(TransportLeg.id, TransportLeg.code)).tuples().all())
        if with_assignments
        else {}
    )
    return schemas.PlanRead(
        id=plan.id,
        origin_site_id=plan.origin_site_id,
        status=plan.status,
        proposed_at=plan.proposed_at,
        proposed_by=plan.proposed_by,
        accepted_at=plan.accepted_at,
        accepted_by=plan.accepted_by,
        reason=plan.reason,
        solver=plan.solver,
        outcome=plan.outcome,
        gap=plan.gap,
        summary=dict(plan.summary),
        assignments=[
            schemas.AssignmentRead(
                person_id=a.person_id,
                group_key=a.group_key,
                leg_code=legs.get(a.leg_id) if a.leg_id else None,
                place=a.place,
                tier=a.tier,
                previous_leg_code=legs.get(a.previous_leg_id) if a.previous_leg_id else None,
                change_reason=a.change_reason,
            )
            for a in plan.assignments
        ]
        if with_assignments
        else [],
    )


def get_plan(uow: UnitOfWork, plan_id: uuid.UUID, *, actor: Actor) -> schemas.PlanRead:
    require(actor, Permission.MOVEMENTS_READ)
    with uow.acting(actor):
        return plan_read(uow, get_plan_or_raise(uow, plan_id, actor=actor))


def list_plans(uow: UnitOfWork, *, actor: Actor, site_id: uuid.UUID | None = None) -> list[schemas.PlanRead]:
    require(actor, Permission.MOVEMENTS_READ)
    with uow.acting(actor):
        stmt = select(MovementPlan).order_by(MovementPlan.proposed_at.desc()).limit(100)
        if not actor.all_sites:
            stmt = stmt.where(MovementPlan.origin_site_id.in_(sorted(actor.site_ids)))
        if site_id is not None:
            stmt = stmt.where(MovementPlan.origin_site_id == site_id)
        return [plan_read(uow, p, with_assignments=False) for p in uow.session.scalars(stmt)]


def list_passes(uow: UnitOfWork, leg_id: uuid.UUID, *, actor: Actor) -> list[schemas.PassRead]:
    require(actor, Permission.MOVEMENTS_READ)
    with uow.acting(actor):
        leg = get_leg_or_raise(uow, leg_id, actor=actor)
        rows = uow.session.scalars(
            select(BoardingPass)
            .where(BoardingPass.leg_id == leg.id)
            .order_by(BoardingPass.group_key, BoardingPass.id)
        )
        return [
            schemas.PassRead(
                id=p.id,
                number=p.number,
                person_id=p.person_id,
                leg_code=leg.code,
                place=p.place,
                language=p.language,
                issued_at=p.issued_at,
                revoked_at=p.revoked_at,
                revoked_reason=p.revoked_reason,
            )
            for p in rows
        ]


def travel_group_read(group: TravelGroup) -> schemas.TravelGroupRead:
    return schemas.TravelGroupRead(
        id=group.id,
        name=group.name,
        origin_site_id=group.origin_site_id,
        household_ids=[m.household_id for m in group.members],
        split_allowed_by=group.split_allowed_by,
        split_reason=group.split_reason,
    )


def _manifested(uow: UnitOfWork, leg: TransportLeg) -> set[uuid.UUID]:
    frozen = uow.session.scalar(select(Manifest).where(Manifest.leg_id == leg.id))
    if frozen is not None:
        return {uuid.UUID(e["person_id"]) for e in frozen.entries}
    plan = accepted_plan(uow, leg.origin_site_id)
    return {a.person_id for a in plan.assignments if a.leg_id == leg.id} if plan else set()


def leg_accountability(uow: UnitOfWork, leg_id: uuid.UUID, *, actor: Actor) -> schemas.LegAccountability:
    """Manifested vs checked in vs boarded vs arrived; no-shows once the leg has left; unaccounted
    for (boarded, not arrived) once it has arrived; anyone boarded who was not on the manifest."""
    require(actor, Permission.MOVEMENTS_READ)
    with uow.acting(actor):
        leg = get_leg_or_raise(uow, leg_id, actor=actor)
        manifested = _manifested(uow, leg)
        seen: dict[Checkpoint, set[uuid.UUID]] = {c: set() for c in Checkpoint}
        for person, checkpoint in uow.session.execute(
            select(Scan.person_id, Scan.checkpoint)
            .where(Scan.leg_id == leg.id, Scan.outcome == ScanOutcome.ACCEPTED)
            .distinct()
        ).tuples():
            if person is not None:
                seen[checkpoint].add(person)
        boarded, arrived = seen[Checkpoint.BOARDING], seen[Checkpoint.ARRIVAL]
        left = leg.status in (LegStatus.DEPARTED, LegStatus.ARRIVED)
        return schemas.LegAccountability(
            leg_id=leg.id,
            leg_code=leg.code,
            status=leg.status,
            manifested=len(manifested),
            checked_in=len(seen[Checkpoint.ASSEMBLY_CHECK_IN]),
            boarded=len(boarded),
            arrived=len(arrived),
            no_shows=sorted(manifested - boarded) if left else [],
            unaccounted=sorted(boarded - arrived) if leg.status is LegStatus.ARRIVED else [],
            not_on_manifest=sorted(boarded - manifested),
        )


def person_movement(uow: UnitOfWork, person_id: uuid.UUID, *, actor: Actor) -> schemas.PersonMovement:
    require(actor, Permission.MOVEMENTS_READ)
    with uow.acting(actor):
        scans = scans_of(uow, person_id, actor=actor)
        state = person_state(scans)
        legs = dict(
            uow.session.execute(
                select(TransportLeg.id, TransportLeg.code).where(
                    TransportLeg.id.in_({s.leg_id for s in scans if s.leg_id})
                )
            )
            .tuples()
            .all()
        )
        return schemas.PersonMovement(
            person_id=person_id,
            state=state.state,
            where_site_id=state.site_id,
            on_leg_code=legs.get(state.leg_id) if state.leg_id and state.state == "boarded" else None,
            scans=[
                schemas.ScanRead(
                    client_id=s.client_id,
                    outcome=s.outcome,
                    reason=s.reason,
                    checkpoint=s.checkpoint,
                    site_id=s.site_id,
                    leg_code=legs.get(s.leg_id) if s.leg_id else None,
                    device_at=s.device_at,
                    received_at=s.received_at,
                    recorded_by=s.recorded_by,
                )
                for s in scans
            ],
        )


def site_presence(uow: UnitOfWork, site_id: uuid.UUID, *, actor: Actor) -> schemas.SitePresence:
    require(actor, Permission.MOVEMENTS_READ)
    require_site(actor, site_id)
    with uow.acting(actor):
        present = present_at(uow, site_id)
        return schemas.SitePresence(site_id=site_id, present=present, count=len(present))


def eligibility_rows(
    uow: UnitOfWork, site_id: uuid.UUID, *, actor: Actor, policy: OperationPolicy
) -> list[schemas.EligibilityRead]:
    """Everyone who could leave from this site: eligible or not, and every reason why not."""
    require(actor, Permission.MOVEMENTS_PLAN)
    require_site(actor, site_id)
    with uow.acting(actor):
        return [
            schemas.EligibilityRead(
                person_id=a.person_id,
                household_id=a.household_id,
                name=p.display_name(),
                eligible=a.eligible,
                reasons=list(a.reasons),
                tier=a.tier,
                place=a.place,
            )
            for p, a in assess_site(uow, site_id, policy)
        ]
