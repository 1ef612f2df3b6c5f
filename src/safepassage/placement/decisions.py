"""The decisions a placement officer takes on proposals: accept, reject, override, withdraw.

Each is audited in the same transaction. An override is refused with the reason when the region does
not offer a service the household needs (a hard need) or has too little left of a capacity; an accept
is checked the same way, since other decisions may have used the capacity since the run. A decision
on a household that changed since the run (members, ages, needs) or is no longer active is refused: the
proposal was made for a household that no longer exists as it was, and so is one whose members no
longer all consent to resettlement. A placement counts against the capacity of its run's period.
Withdrawing a decided placement frees its capacity; the next run proposes the household again.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from safepassage.placement.engine import PlacementPolicy, consumption
from safepassage.placement.engine.types import MEDICAL_RESOURCES
from safepassage.placement.features import consent_gap, current_members, engine_household
from safepassage.placement.models import (
    CAPACITIES,
    PlacementAssignment,
    PlacementCapacity,
    PlacementProfile,
    PlacementProposal,
    PlacementRegion,
    ProposalStatus,
)
from safepassage.placement.periods import Period
from safepassage.placement.runs import RESOURCE_NAMES, period_capacities, used_in
from safepassage.registry.codes import HouseholdStatus
from safepassage.registry.models import Household
from safepassage.security.policy import Actor, Permission, require, require_record
from safepassage.shared.errors import Conflict, FieldProblem, Invalid, NotFound
from safepassage.shared.i18n import say
from safepassage.uow import UnitOfWork


def _open_proposal(
    uow: UnitOfWork, proposal_id: uuid.UUID, actor: Actor
) -> tuple[PlacementProposal, Household]:
    proposal = uow.session.get(PlacementProposal, proposal_id)
    household = uow.session.get(Household, proposal.household_id) if proposal is not None else None
    if proposal is None or household is None:
        raise NotFound(say("proposal not found"))
    require_record(actor, household.site_id, household.id, what="proposal")
    if proposal.status is ProposalStatus.NOT_ELIGIBLE:
        raise Conflict(
            f"this household is not eligible ({proposal.reason}): record the consent and run again"
        )
    if proposal.status is not ProposalStatus.PROPOSED:
        raise Conflict(say("this proposal was %(status)s already", status=proposal.status))
    if uow.session.get(PlacementAssignment, household.id) is not None:
        raise Conflict(say("this household is placed already"))
    if household.status is not HouseholdStatus.ACTIVE:
        raise Conflict(
            say(
                "this household is %(status)s now: run again for its new household",
                status=household.status,
            )
        )
    if _current_use(uow, proposal, household) != {k: int(v) for k, v in (proposal.use or {}).items()}:
        raise Conflict(
            say(
                "the household has changed since the run (members, ages or needs): "
                "run again for a new proposal"
            )
        )
    gap = consent_gap(current_members(household), uow.now().date())
    if gap is not None:
        raise Conflict(f"since the run, the household is {gap.sentence}: it cannot be placed")
    return proposal, household


def _current_use(uow: UnitOfWork, proposal: PlacementProposal, household: Household) -> dict[str, int]:
    """What the household needs of each resource today, counted as the run counted it."""
    languages = (proposal.run.report or {}).get("policy", {}).get("official_languages") or ["de"]
    profile = uow.session.get(PlacementProfile, household.id)
    built, _ = engine_household(household, profile, uow.now().date())
    policy = PlacementPolicy(official_languages=tuple(languages))
    return dict(zip(CAPACITIES, consumption(built, policy), strict=True))


def check_fits(
    region: PlacementRegion,
    capacity: PlacementCapacity | None,
    period: Period,
    use: dict[str, int],
    used: dict[str, int],
) -> None:
    """Refuse a placement that breaks a hard need (Invalid) or the period's capacity (Conflict)."""
    if not region.active:
        raise Invalid(
            say("region %(code)s is closed", code=region.code),
            problems=[FieldProblem("region", say("closed"))],
        )
    if capacity is None:
        reason = f"{region.code} has no capacities recorded for {period.code}"
        raise Conflict(
            reason, problems=[FieldProblem("region", say("no capacities for %(period)s", period=period.code))]
        )
    for resource in MEDICAL_RESOURCES:
        if use.get(resource.value, 0) > 0 and capacity.capacity(resource) == 0:
            reason = f"{region.code} offers no {resource.value} service, which the household needs"
            raise Invalid(reason, problems=[FieldProblem("region", reason)])
    for name in CAPACITIES:
        need = int(use.get(name, 0))
        left = capacity.capacity(name) - int(used.get(name, 0))
        if need > max(left, 0):
            what = RESOURCE_NAMES[name]
            raise Conflict(
                f"{region.code} has {max(left, 0)} {what} left in {capacity.period}; "
                f"the household needs {need}",
                problems=[FieldProblem("region", say("not enough %(what)s", what=what))],
            )


def _place(
    uow: UnitOfWork,
    proposal: PlacementProposal,
    household: Household,
    region_code: str,
    *,
    status: ProposalStatus,
    reason: str,
    actor: Actor,
) -> None:
    region = uow.session.scalar(
        select(PlacementRegion).where(PlacementRegion.code == region_code).with_for_update()
    )
    if region is None:
        raise Invalid(
            f"region {region_code} not found", problems=[FieldProblem("region", say("no such region"))]
        )
    period = Period.parse(proposal.run.period)
    capacity = period_capacities(uow, period, [region.id]).get(region.id)
    used = used_in(uow, {region.id: capacity}).get(region.id, {}) if capacity is not None else {}
    check_fits(region, capacity, period, proposal.use, used)
    now = uow.now()
    uow.session.add(
        PlacementAssignment(
            household_id=household.id,
            region_id=region.id,
            period=period.code,
            proposal_id=proposal.id,
            persons=proposal.persons,
            use=dict(proposal.use),
            decided_at=now,
            decided_by=actor.username,
        )
    )
    _decide(uow, proposal, household, status=status, region=region.code, reason=reason, actor=actor)


def _decide(
    uow: UnitOfWork,
    proposal: PlacementProposal,
    household: Household,
    *,
    status: ProposalStatus,
    region: str | None,
    reason: str,
    actor: Actor,
) -> None:
    proposal.status = status
    proposal.decided_region_code = region
    proposal.decided_by = actor.username
    proposal.decided_at = uow.now()
    proposal.decision_reason = reason or None
    uow.audit(
        f"placement.proposal.{status.value}",
        entity="household",
        entity_id=household.id,
        site_id=household.site_id,
        details={
            "proposal": str(proposal.id),
            "run": str(proposal.run_id),
            "proposed_region": proposal.region_code,
            "region": region,
            "reason": reason[:500],
        },
    )
    try:
        uow.commit()
    except IntegrityError:
        uow.rollback()
        raise Conflict(say("this household was placed by someone else a moment ago")) from None


def _reason(text: str, *, required: bool) -> str:
    reason = " ".join(text.split())
    if required and len(reason) < 3:
        raise Invalid(say("give the reason"), problems=[FieldProblem("reason", say("is required"))])
    return reason


def accept_proposal(uow: UnitOfWork, proposal_id: uuid.UUID, *, reason: str = "", actor: Actor) -> None:
    """Place the household where the engine proposed (checked again: capacity may be gone since)."""
    require(actor, Permission.PLACEMENT_DECIDE)
    text = _reason(reason, required=False)
    with uow.acting(actor):
        proposal, household = _open_proposal(uow, proposal_id, actor)
        if proposal.region_code is None:
            raise Conflict(say("no region was proposed for this household: override to a region, or reject"))
        _place(
            uow,
            proposal,
            household,
            proposal.region_code,
            status=ProposalStatus.ACCEPTED,
            reason=text,
            actor=actor,
        )


def reject_proposal(uow: UnitOfWork, proposal_id: uuid.UUID, *, reason: str, actor: Actor) -> None:
    """Decline the proposal; the household stays unplaced for a later run."""
    require(actor, Permission.PLACEMENT_DECIDE)
    text = _reason(reason, required=True)
    with uow.acting(actor):
        proposal, household = _open_proposal(uow, proposal_id, actor)
        _decide(
            uow, proposal, household, status=ProposalStatus.REJECTED, region=None, reason=text, actor=actor
        )


def override_proposal(
    uow: UnitOfWork, proposal_id: uuid.UUID, *, region: str, reason: str, actor: Actor
) -> None:
    """Place the household in another region, with a reason; refused if it breaks a need or a capacity."""
    require(actor, Permission.PLACEMENT_DECIDE)
    text = _reason(reason, required=True)
    code = region.strip()
    with uow.acting(actor):
        proposal, household = _open_proposal(uow, proposal_id, actor)
        if code == proposal.region_code:
            raise Invalid(
                say("that is the proposed region: accept the proposal instead"),
                problems=[FieldProblem("region", say("the proposed region"))],
            )
        _place(uow, proposal, household, code, status=ProposalStatus.OVERRIDDEN, reason=text, actor=actor)


def withdraw_placement(uow: UnitOfWork, proposal_id: uuid.UUID, *, reason: str, actor: Actor) -> None:
    """Undo an accepted or overridden placement (the family declined, the housing fell through): the
    region's capacity is freed and the household is proposed again by the next run. The decision it
    undoes stays on the audit trail."""
    require(actor, Permission.PLACEMENT_DECIDE)
    text = _reason(reason, required=True)
    with uow.acting(actor):
        proposal = uow.session.get(PlacementProposal, proposal_id)
        household = uow.session.get(Household, proposal.household_id) if proposal is not None else None
        if proposal is None or household is None:
            raise NotFound(say("proposal not found"))
        require_record(actor, household.site_id, household.id, what="proposal")
        assignment = uow.session.get(PlacementAssignment, household.id)
        if proposal.status not in (ProposalStatus.ACCEPTED, ProposalStatus.OVERRIDDEN) or (
            assignment is None or assignment.proposal_id != proposal.id
        ):
            raise Conflict(
                f"this proposal is {proposal.status.value}: only a decided placement can be withdrawn"
            )
        region = proposal.decided_region_code
        uow.session.delete(assignment)
        _decide(
            uow, proposal, household, status=ProposalStatus.WITHDRAWN, region=region, reason=text, actor=actor
        )


__all__ = [
    "accept_proposal",
    "check_fits",
    "override_proposal",
    "reject_proposal",
    "withdraw_placement",
]
