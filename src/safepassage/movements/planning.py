"""Planning: from the registry to the planner's groups, the planner's answer stored as a proposal,
and a movement planner's acceptance. Nothing is applied until a person accepts it (audited).

Groups. A household is a group; a travel group (several households) is one group. The group's
members are its persons who intend to leave now; if one of them may not be planned (no consent, no
usable document...), the whole group waits, with that member's reasons: the planner never moves part
of a family because a child's papers are missing. Seats for everyone but infants surely under two
(lap places) and persons whose needs the policy puts on a stretcher; baggage by the policy's
allowance per person and per infant. The group's tier is its best member's; its registration time
its earliest household's. Only a travel group a supervisor allowed to split may be split.

Categories admitted only on agreed legs: the groups holding such a person are planned first on those
legs only; everyone else is then planned on every leg with the capacity left.

Re-planning: the last accepted plan is handed to the planner (``PreviousPlan``) with the groups
holding boarding passes, so that they keep their leg unless it is gone; the proposal lists who moved
and why. Accepting it supersedes the old plan and revokes the passes of persons whose leg changed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from safepassage.movements.eligibility import Assessment, assess
from safepassage.movements.models import (
    BoardingPass,
    MovementPlan,
    PlaceKind,
    PlanAssignment,
    PlanStatus,
    TransportLeg,
    TravelGroup,
)
from safepassage.movements.operation import OperationPolicy
from safepassage.movements.planner import (
    Group,
    HighsSolver,
    Leg,
    Placement,
    Plan,
    PreviousPlan,
    Problem,
    Solver,
    SplitPermission,
    plan_movements,
)
from safepassage.registry.models import Person, SiteStay
from safepassage.security.policy import Actor, Permission, require, require_site
from safepassage.shared.errors import Conflict, NotFound
from safepassage.shared.i18n import say
from safepassage.uow import UnitOfWork


@dataclasses.dataclass
class _Group:
    key: str
    household_ids: list[uuid.UUID]
    travel_group: TravelGroup | None
    members: list[Assessment] = dataclasses.field(default_factory=list)
    held: list[str] = dataclasses.field(default_factory=list)
    registered_at: dt.datetime | None = None


def _open_legs(uow: UnitOfWork, origin: uuid.UUID) -> list[TransportLeg]:
    return list(
        uow.session.scalars(
            select(TransportLeg)
            .where(TransportLeg.origin_site_id == origin)
            .order_by(TransportLeg.departure_at, TransportLeg.code)
        )
    )


def accepted_plan(uow: UnitOfWork, origin: uuid.UUID) -> MovementPlan | None:
    return uow.session.scalar(
        select(MovementPlan)
        .where(MovementPlan.origin_site_id == origin, MovementPlan.status == PlanStatus.ACCEPTED)
        .options(selectinload(MovementPlan.assignments))
    )


def _arriving(uow: UnitOfWork, origin: uuid.UUID) -> set[uuid.UUID]:
    """Persons an accepted plan takes to ``origin`` on a leg that has not been cancelled."""
    rows = uow.session.scalars(
        select(PlanAssignment.person_id)
        .join(MovementPlan, MovementPlan.id == PlanAssignment.plan_id)
        .join(TransportLeg, TransportLeg.id == PlanAssignment.leg_id)
        .where(MovementPlan.status == PlanStatus.ACCEPTED, TransportLeg.destination_site_id == origin)
        .where(TransportLeg.status != "cancelled")
    )
    return set(rows)


def candidates(uow: UnitOfWork, origin: uuid.UUID, arriving: set[uuid.UUID]) -> list[Person]:
    """Persons registered at, staying at, or on their way to ``origin``, with what assessing needs."""
    at_site = select(SiteStay.person_id).where(SiteStay.site_id == origin, SiteStay.checked_out_at.is_(None))
    stmt = (
        select(Person)
        .where(Person.merged_into_id.is_(None))
        .where(or_(Person.site_id == origin, Person.id.in_(at_site), Person.id.in_(sorted(arriving))))
        .options(
            selectinload(Person.names),
            selectinload(Person.documents),
            selectinload(Person.needs),
            selectinload(Person.consents),
            selectinload(Person.stays),
        )
        .order_by(Person.id)
    )
    return list(uow.session.scalars(stmt))


def assess_site(
    uow: UnitOfWork, origin: uuid.UUID, policy: OperationPolicy, legs: list[TransportLeg] | None = None
) -> list[tuple[Person, Assessment]]:
    legs = legs if legs is not None else _open_legs(uow, origin)
    usable = [leg for leg in legs if leg.status.open]
    departure = min((leg.departure_at for leg in usable), default=uow.now()).date()
    arriving = _arriving(uow, origin)
    codes = [leg.code for leg in usable]
    return [
        (
            p,
            assess(
                p,
                origin_site_id=origin,
                departure=departure,
                policy=policy,
                leg_codes=codes,
                arriving=arriving,
            ),
        )
        for p in candidates(uow, origin, arriving)
    ]


def _groups(uow: UnitOfWork, origin: uuid.UUID, assessed: list[tuple[Person, Assessment]]) -> list[_Group]:
    travel = uow.session.scalars(
        select(TravelGroup)
        .where(TravelGroup.origin_site_id == origin)
        .options(selectinload(TravelGroup.members))
    ).all()
    of_household: dict[uuid.UUID, TravelGroup] = {m.household_id: g for g in travel for m in g.members}
    groups: dict[str, _Group] = {}
    for person, a in assessed:
        if person.intention.value != "leave_now":
            continue  # staying is their choice: it holds nobody else back
        household = person.household_id or person.id
        tg = of_household.get(household)
        key = f"group:{tg.id}" if tg is not None else f"household:{household}"
        group = groups.setdefault(key, _Group(key, [], tg))
        if household not in group.household_ids:
            group.household_ids.append(household)
        group.members.append(a)
        if group.registered_at is None or a.registered_at < group.registered_at:
            group.registered_at = a.registered_at
        if not a.eligible:
            group.held.append(f"{a.person_id}: " + "; ".join(a.reasons))
    return list(groups.values())


def _planner_group(g: _Group, origin_code: str, policy: OperationPolicy) -> Group:
    seats = sum(1 for m in g.members if m.place is PlaceKind.SEAT)
    laps = sum(1 for m in g.members if m.place is PlaceKind.LAP)
    stretchers = sum(1 for m in g.members if m.place is PlaceKind.STRETCHER)
    e = policy.eligibility
    split = None
    if g.travel_group is not None and g.travel_group.split_allowed_by:
        split = SplitPermission(g.travel_group.split_allowed_by, g.travel_group.split_reason or "")
    return Group(
        group_id=g.key,
        origin_site=origin_code,
        persons=seats,
        infants=laps,
        stretchers=stretchers,
        baggage_kg=seats * e.baggage_kg_per_person + laps * e.baggage_kg_per_infant,
        tier=min(m.tier for m in g.members),
        registered_at=g.registered_at or dt.datetime.min.replace(tzinfo=dt.UTC),
        may_split=split,
    )


def _planner_leg(leg: TransportLeg, origin_code: str, used: dict[str, list[float]]) -> Leg:
    u = used.get(leg.code, [0, 0, 0, 0.0])
    return Leg(
        leg_id=leg.code,
        origin_site=origin_code,
        destination_site=str(leg.destination_site_id),
        departure=leg.departure_at,
        seats=max(leg.seats - int(u[0]), 0),
        lap_places=max(leg.lap_places - int(u[1]), 0),
        stretcher_places=max(leg.stretcher_places - int(u[2]), 0),
        baggage_kg=max(leg.baggage_kg - u[3], 0.0),
        status=leg.status,
    )


def _previous(
    plan: MovementPlan | None, boarded: set[str], legs: dict[uuid.UUID, str], policy: OperationPolicy
) -> PreviousPlan | None:
    if plan is None:
        return None
    e = policy.eligibility
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for a in plan.assignments:
        if a.leg_id is not None and a.leg_id in legs:
            c = counts[(a.group_key, legs[a.leg_id])]
            c[[PlaceKind.SEAT, PlaceKind.LAP, PlaceKind.STRETCHER].index(a.place)] += 1
    placements = tuple(
        Placement(g, leg, pe, inf, st, pe * e.baggage_kg_per_person + inf * e.baggage_kg_per_infant)
        for (g, leg), (pe, inf, st) in sorted(counts.items())
    )
    known = frozenset(a.group_key for a in plan.assignments)
    return PreviousPlan(placements, known, frozenset(boarded & known))


def _stages(groups: list[_Group]) -> list[tuple[frozenset[str] | None, list[_Group]]]:
    """Groups restricted to agreed legs first (one stage per set of legs), then everyone else."""
    by_legs: dict[frozenset[str] | None, list[_Group]] = defaultdict(list)
    for g in groups:
        restricted = [m.only_legs for m in g.members if m.only_legs is not None]
        legs = frozenset.intersection(*restricted) if restricted else None
        by_legs[legs].append(g)
    ordered = sorted((k for k in by_legs if k is not None), key=sorted)
    return [(k, by_legs[k]) for k in ordered] + ([(None, by_legs[None])] if None in by_legs else [])


def _solve(
    plannable: list[_Group],
    legs: list[TransportLeg],
    origin_code: str,
    policy: OperationPolicy,
    previous: PreviousPlan | None,
    solver: Solver,
) -> tuple[list[Placement], list[Plan]]:
    used: dict[str, list[float]] = {}
    placements: list[Placement] = []
    plans: list[Plan] = []
    for allowed, stage in _stages(plannable):
        stage_legs = [leg for leg in legs if allowed is None or leg.code in allowed]
        groups = tuple(_planner_group(g, origin_code, policy) for g in stage)
        keys = {g.group_id for g in groups}
        prev = None
        if previous is not None:
            prev = PreviousPlan(
                tuple(p for p in previous.placements if p.group_id in keys),
                previous.known_groups & keys,
                previous.boarded & keys,
            )
        problem = Problem(
            groups, tuple(_planner_leg(leg, origin_code, used) for leg in stage_legs), policy.planner, prev
        )
        plan = plan_movements(problem, solver)
        plans.append(plan)
        for p in plan.placements:
            u = used.setdefault(p.leg_id, [0, 0, 0, 0.0])
            u[0] += p.persons
            u[1] += p.infants
            u[2] += p.stretchers
            u[3] += p.baggage_kg
            placements.append(p)
    return placements, plans


def _allocate(group: _Group, parts: list[Placement]) -> dict[uuid.UUID, str | None]:
    """Persons of a group onto its placements: whole households first, so that a split keeps each
    household (and its infants with its adults) together as far as the counts allow."""
    out: dict[uuid.UUID, str | None] = {m.person_id: None for m in group.members}
    left = {
        p.leg_id: {PlaceKind.SEAT: p.persons, PlaceKind.LAP: p.infants, PlaceKind.STRETCHER: p.stretchers}
        for p in parts
    }
    by_household: dict[uuid.UUID | None, list[Assessment]] = defaultdict(list)
    for m in group.members:
        by_household[m.household_id].append(m)
    for members in by_household.values():
        for leg, room in sorted(left.items(), key=lambda kv: -sum(kv[1].values())):
            need = {k: sum(1 for m in members if m.place is k) for k in PlaceKind}
            if all(room[k] >= need[k] for k in PlaceKind):
                for m in members:
                    out[m.person_id] = leg
                    room[m.place] -= 1
                break
        else:
            for m in sorted(members, key=lambda m: m.place is PlaceKind.LAP):  # adults before infants
                spare = next((lg for lg, r in left.items() if r[m.place] > 0), None)
                if spare is not None:
                    out[m.person_id] = spare
                    left[spare][m.place] -= 1
    return out


def _summary(
    plans: list[Plan], groups: list[_Group], held: list[_Group], changes: list[dict[str, Any]]
) -> dict[str, Any]:
    levels = [
        {
            "name": lv.name,
            "sense": lv.sense,
            "value": lv.value,
            "bound": lv.bound,
            "gap": lv.gap,
            "status": lv.status,
        }
        for plan in plans
        for lv in plan.levels
    ]
    return {
        "groups": len(groups) + len(held),
        "groups_plannable": len(groups),
        "groups_held": [{"group": g.key, "reasons": g.held} for g in held],
        "levels": levels,
        "changes": changes,
        "notes": [n for plan in plans for n in plan.notes],
        "solve_seconds": round(sum(p.solve_seconds for p in plans), 3),
    }


def propose_plan(
    uow: UnitOfWork,
    origin_site_id: uuid.UUID,
    *,
    actor: Actor,
    policy: OperationPolicy,
    solver: Solver | None = None,
    reason: str | None = None,
) -> uuid.UUID:
    """Plan (or re-plan) the legs leaving ``origin_site_id``; store it as a proposal; its id."""
    require(actor, Permission.MOVEMENTS_PLAN)
    require_site(actor, origin_site_id, what="origin site")
    with uow.acting(actor):
        all_legs = _open_legs(uow, origin_site_id)
        if not any(leg.status.open for leg in all_legs):
            raise Conflict(say("no planned or boarding leg leaves this site"))
        # legs that have left are history: their persons keep their assignment and are not re-planned
        gone = {leg.id for leg in all_legs if leg.status.value in ("departed", "arrived")}
        legs = [leg for leg in all_legs if leg.id not in gone]
        origin_code = str(origin_site_id)
        previous_plan = accepted_plan(uow, origin_site_id)
        settled = [a for a in previous_plan.assignments if a.leg_id in gone] if previous_plan else []
        left = {a.person_id for a in settled}
        codes = {leg.id: leg.code for leg in legs}
        by_code = {leg.code: leg for leg in legs}
        boarded = set(
            uow.session.scalars(
                select(BoardingPass.group_key)
                .join(TransportLeg, TransportLeg.id == BoardingPass.leg_id)
                .where(TransportLeg.origin_site_id == origin_site_id, BoardingPass.revoked_at.is_(None))
            )
        )
        assessed = [(p, a) for p, a in assess_site(uow, origin_site_id, policy, legs) if p.id not in left]
        groups = _groups(uow, origin_site_id, assessed)
        plannable = [g for g in groups if not g.held]
        held = [g for g in groups if g.held]
        placements, plans = _solve(
            plannable,
            legs,
            origin_code,
            policy,
            _previous(previous_plan, boarded, codes, policy),
            solver or HighsSolver(),
        )
        before: dict[uuid.UUID, uuid.UUID | None] = (
            {a.person_id: a.leg_id for a in previous_plan.assignments} if previous_plan else {}
        )
        reasons = {c.group_id: c.reason for plan in plans for c in plan.changes}
        now = uow.now()
        for stale in uow.session.scalars(
            select(MovementPlan).where(
                MovementPlan.origin_site_id == origin_site_id, MovementPlan.status == PlanStatus.PROPOSED
            )
        ):
            stale.supersede(at=now)
        plan = MovementPlan(
            origin_site_id=origin_site_id,
            proposed_at=now,
            proposed_by=actor.username,
            based_on_id=previous_plan.id if previous_plan else None,
            reason=reason,
            solver=plans[0].solver if plans else "none",
            outcome=next((p.outcome.value for p in plans if p.outcome.value != "optimal"), "optimal"),
            gap=max((lv.gap or 0.0 for p in plans for lv in p.levels), default=0.0),
        )
        for a in settled:
            plan.assignments.append(
                PlanAssignment(
                    group_key=a.group_key,
                    household_id=a.household_id,
                    travel_group_id=a.travel_group_id,
                    person_id=a.person_id,
                    leg_id=a.leg_id,
                    place=a.place,
                    tier=a.tier,
                    previous_leg_id=a.leg_id,
                    change_reason=None,
                )
            )
        parts: dict[str, list[Placement]] = defaultdict(list)
        for p in placements:
            parts[p.group_id].append(p)
        changes: list[dict[str, Any]] = []
        for g in plannable:
            legs_of = _allocate(g, parts.get(g.key, []))
            tier = min(m.tier for m in g.members)  # the group's: the family moves at its best member's
            for m in g.members:
                code = legs_of[m.person_id]
                leg_id = by_code[code].id if code else None
                old = before.get(m.person_id)
                moved = previous_plan is not None and old != leg_id
                why = reasons.get(g.key) if moved else None
                if moved:
                    why = why or ("new in this plan" if m.person_id not in before else "moved by the planner")
                plan.assignments.append(
                    PlanAssignment(
                        group_key=g.key,
                        household_id=m.household_id,
                        travel_group_id=g.travel_group.id if g.travel_group else None,
                        person_id=m.person_id,
                        leg_id=leg_id,
                        place=m.place,
                        tier=tier,
                        previous_leg_id=old,
                        change_reason=why,
                    )
                )
            if any(a.group_key == g.key and a.change_reason for a in plan.assignments):
                changes.append({"group": g.key, "reason": reasons.get(g.key, "new or moved")})
        plan.summary = _summary(plans, plannable, held, changes)
        plan.summary["moved_by_tier"] = _moved_by_tier(plan.assignments)
        uow.session.add(plan)
        uow.session.flush()
        uow.audit(
            "movement.plan.proposed",
            entity="plan",
            entity_id=plan.id,
            site_id=origin_site_id,
            details={
                "reason": reason,
                "persons_moved": sum(1 for a in plan.assignments if a.leg_id),
                "groups_held": len(held),
                "changes": len(changes),
                "gap": plan.gap,
            },
        )
        uow.commit()
        return plan.id


def _moved_by_tier(assignments: list[PlanAssignment]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for a in assignments:
        row = out.setdefault(str(a.tier), {"moved": 0, "waiting": 0})
        row["moved" if a.leg_id else "waiting"] += 1
    return dict(sorted(out.items()))


def get_plan_or_raise(uow: UnitOfWork, plan_id: uuid.UUID, *, actor: Actor) -> MovementPlan:
    plan = uow.session.scalar(
        select(MovementPlan).where(MovementPlan.id == plan_id).options(selectinload(MovementPlan.assignments))
    )
    if plan is None or not actor.covers(plan.origin_site_id):
        raise NotFound(say("plan %(id)s not found", id=plan_id))
    return plan


def accept_plan(uow: UnitOfWork, plan_id: uuid.UUID, *, actor: Actor) -> int:
    """A movement planner accepts a proposal (audited): it becomes the plan in force for its site,
    the plan it replaces is superseded, and passes for a leg a person no longer takes are revoked.
    Returns how many passes were revoked."""
    require(actor, Permission.MOVEMENTS_PLAN)
    with uow.acting(actor):
        plan = get_plan_or_raise(uow, plan_id, actor=actor)
        require_site(actor, plan.origin_site_id, what="origin site")
        now = uow.now()
        current = accepted_plan(uow, plan.origin_site_id)
        plan.accept(by=actor.username, at=now)
        if current is not None and current.id != plan.id:
            current.supersede(at=now)
            uow.session.flush()
        legs = {a.person_id: a.leg_id for a in plan.assignments}
        revoked = 0
        passes = uow.session.scalars(
            select(BoardingPass)
            .join(TransportLeg, TransportLeg.id == BoardingPass.leg_id)
            .where(TransportLeg.origin_site_id == plan.origin_site_id, BoardingPass.revoked_at.is_(None))
        ).all()
        for p in passes:
            if legs.get(p.person_id) != p.leg_id:
                p.revoke(at=now, reason="the accepted plan moved this person to another leg or none")
                revoked += 1
        uow.audit(
            "movement.plan.accepted",
            entity="plan",
            entity_id=plan.id,
            site_id=plan.origin_site_id,
            details={
                "persons_moved": sum(1 for a in plan.assignments if a.leg_id),
                "superseded": str(current.id) if current else None,
                "passes_revoked": revoked,
                "gap": plan.gap,
            },
        )
        uow.commit()
        return revoked
