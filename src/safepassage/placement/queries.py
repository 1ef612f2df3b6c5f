"""The read side of placement: regions with their utilisation, runs, proposals, profiles. Never mutates.

Proposals are shown only for households of the reader's sites; regions, runs and utilisation are not
records of anyone and are shown to every reader with ``placement.read``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from safepassage.placement.models import (
    CAPACITIES,
    PlacementAssignment,
    PlacementCapacity,
    PlacementHistory,
    PlacementProfile,
    PlacementProposal,
    PlacementRegion,
    PlacementRun,
    ProposalStatus,
)
from safepassage.placement.periods import Period, current_period
from safepassage.placement.runs import parse_period, period_capacities, used_in
from safepassage.placement.schemas import ProfileRead, ProposalRead, RegionRead, ResourceUse, RunRead
from safepassage.registry.codes import HouseholdStatus
from safepassage.registry.models import Household, Person
from safepassage.registry.scoping import in_scope
from safepassage.security.policy import Actor, Permission, require, require_record
from safepassage.shared.errors import NotFound
from safepassage.shared.i18n import say
from safepassage.uow import UnitOfWork

MAX_PAGE = 500


def list_regions(
    uow: UnitOfWork, *, actor: Actor, include_closed: bool = True, period: str | None = None
) -> list[RegionRead]:
    """Every region with its capacities for ``period`` (default: the current month; a region that
    records quarters shows the quarter holding it), what the period's decided placements use, and
    what is left."""
    require(actor, Permission.PLACEMENT_READ)
    with uow.acting(actor):
        span = parse_period(period, current_period(uow.now().date()))
        query = select(PlacementRegion).order_by(PlacementRegion.code)
        if not include_closed:
            query = query.where(PlacementRegion.active.is_(True))
        regions = list(uow.session.scalars(query))
        capacities = period_capacities(uow, span, [r.id for r in regions])
        used = used_in(uow, capacities)
        recorded: dict[uuid.UUID, list[str]] = {}
        for region_id, code in uow.session.execute(
            select(PlacementCapacity.region_id, PlacementCapacity.period).order_by(
                PlacementCapacity.period_start
            )
        ):
            recorded.setdefault(region_id, []).append(code)
        placed = _placed_households(uow, capacities)
        out = []
        for region in regions:
            capacity = capacities.get(region.id)
            taken = used.get(region.id, {})
            resources = []
            for name in CAPACITIES:
                total, use = (capacity.capacity(name) if capacity else 0), int(taken.get(name, 0))
                resources.append(
                    ResourceUse(
                        resource=name,
                        capacity=total,
                        used=use,
                        left=total - use,
                        share=use / total if total > 0 else 0.0,
                    )
                )
            out.append(
                RegionRead(
                    id=region.id,
                    code=region.code,
                    name=region.name,
                    latitude=region.latitude,
                    longitude=region.longitude,
                    unemployment_rate=region.unemployment_rate,
                    communities=list(region.communities or []),
                    active=region.active,
                    period=span.code,
                    capacity_period=capacity.period if capacity else None,
                    periods=recorded.get(region.id, []),
                    placed_households=int(placed.get(region.id, 0)),
                    resources=resources,
                )
            )
        return out


def _placed_households(
    uow: UnitOfWork, capacities: dict[uuid.UUID, PlacementCapacity]
) -> dict[uuid.UUID, int]:
    wanted = {region_id: set(c.span.codes_within()) for region_id, c in capacities.items()}
    if not wanted:
        return {}
    counts: dict[uuid.UUID, int] = {}
    for region_id, period, n in uow.session.execute(
        select(PlacementAssignment.region_id, PlacementAssignment.period, func.count())
        .where(PlacementAssignment.region_id.in_(list(wanted)))
        .group_by(PlacementAssignment.region_id, PlacementAssignment.period)
    ):
        if period in wanted[region_id]:
            counts[region_id] = counts.get(region_id, 0) + int(n)
    return counts


def known_periods(uow: UnitOfWork, *, actor: Actor, open_only: bool = False) -> list[str]:
    """The current month and every period some region records capacities for, in time order (with
    ``open_only``: the current month first, then the periods not ended yet)."""
    require(actor, Permission.PLACEMENT_READ)
    with uow.acting(actor):
        today = uow.now().date()
        current = current_period(today)
        codes = set(uow.session.scalars(select(PlacementCapacity.period).distinct()))
        codes.add(current.code)
        periods = sorted(Period.parse(c) for c in codes)
        if open_only:
            later = [p for p in periods if p.end > today and p.code != current.code]
            return [current.code, *(p.code for p in later)]
        return [p.code for p in periods]


def _run_read(run: PlacementRun, pending: int = 0) -> RunRead:
    return RunRead(
        id=run.id,
        created_at=run.created_at,
        created_by=run.created_by,
        period=run.period,
        status=run.status,
        stage=run.stage,
        progress=run.progress,
        error=run.error,
        started_at=run.started_at,
        finished_at=run.finished_at,
        households=run.households,
        not_eligible=run.not_eligible,
        placed_households=run.placed_households,
        placed_persons=run.placed_persons,
        expected_outcome=run.expected_outcome,
        objective=run.objective,
        bound=run.bound,
        gap=run.gap,
        method=run.method,
        solver_status=run.solver_status,
        seconds=run.seconds,
        report=dict(run.report or {}),
        pending=pending,
    )


def list_runs(uow: UnitOfWork, *, actor: Actor, limit: int = 20) -> list[RunRead]:
    require(actor, Permission.PLACEMENT_READ)
    with uow.acting(actor):
        runs = list(
            uow.session.scalars(select(PlacementRun).order_by(PlacementRun.created_at.desc()).limit(limit))
        )
        return [_run_read(r) for r in runs]


def get_run(uow: UnitOfWork, run_id: uuid.UUID, *, actor: Actor) -> RunRead:
    require(actor, Permission.PLACEMENT_READ)
    with uow.acting(actor):
        run = uow.session.get(PlacementRun, run_id)
        if run is None:
            raise NotFound(say("run not found"))
        pending = uow.session.scalar(
            select(func.count())
            .select_from(PlacementProposal)
            .join(Household, Household.id == PlacementProposal.household_id)
            .where(
                PlacementProposal.run_id == run.id,
                PlacementProposal.status == ProposalStatus.PROPOSED,
                in_scope(Household.site_id, actor),
            )
        )
        return _run_read(run, int(pending or 0))


def latest_run_id(uow: UnitOfWork, *, actor: Actor) -> uuid.UUID | None:
    require(actor, Permission.PLACEMENT_READ)
    with uow.acting(actor):
        return uow.session.scalar(select(PlacementRun.id).order_by(PlacementRun.created_at.desc()).limit(1))


def list_proposals(
    uow: UnitOfWork,
    *,
    actor: Actor,
    run_id: uuid.UUID | None = None,
    status: ProposalStatus | None = None,
    household_id: uuid.UUID | None = None,
    limit: int = 200,
) -> list[ProposalRead]:
    """Proposals of households in the reader's sites, in the run's order (two queries, no N+1)."""
    require(actor, Permission.PLACEMENT_READ)
    with uow.acting(actor):
        query = (
            select(PlacementProposal, Household)
            .join(Household, Household.id == PlacementProposal.household_id)
            .where(in_scope(Household.site_id, actor))
            .options(selectinload(Household.members).selectinload(Person.names))
            .order_by(PlacementProposal.run_id.desc(), PlacementProposal.position)
            .limit(min(limit, MAX_PAGE))
        )
        if run_id is not None:
            query = query.where(PlacementProposal.run_id == run_id)
        if status is not None:
            query = query.where(PlacementProposal.status == status)
        if household_id is not None:
            query = query.where(PlacementProposal.household_id == household_id)
        rows = uow.session.execute(query).all()
        return [_proposal_read(p, h) for p, h in rows]


def _proposal_read(p: PlacementProposal, household: Household) -> ProposalRead:
    head = household.head
    return ProposalRead(
        id=p.id,
        run_id=p.run_id,
        household_id=p.household_id,
        head_name=head.display_name() if head is not None else "—",
        persons=p.persons,
        use=dict(p.use or {}),
        region=p.region_code,
        predicted_outcome=p.predicted_outcome,
        next_best_region=p.next_best_code,
        next_best_outcome=p.next_best_outcome,
        reason_code=p.reason_code,
        reason=p.reason,
        detail=dict(p.detail or {}),
        status=p.status,
        decided_region=p.decided_region_code,
        decided_by=p.decided_by,
        decided_at=p.decided_at,
        decision_reason=p.decision_reason,
    )


def get_profile(uow: UnitOfWork, household_id: uuid.UUID, *, actor: Actor) -> ProfileRead:
    require(actor, Permission.PLACEMENT_READ)
    with uow.acting(actor):
        household = uow.session.get(Household, household_id)
        if household is None:
            raise NotFound(say("household not found"))
        require_record(actor, household.site_id, household.id, what="household")
        profile = uow.session.get(PlacementProfile, household_id)
        if profile is None:
            return ProfileRead(
                household_id=household_id,
                education_max=None,
                occupation=None,
                dialysis_persons=0,
                oncology_persons=0,
                tie_region=None,
                preferences=[],
                updated_at=None,
                updated_by=None,
            )
        return ProfileRead(
            household_id=household_id,
            education_max=profile.education_max,
            occupation=profile.occupation,
            dialysis_persons=profile.dialysis_persons,
            oncology_persons=profile.oncology_persons,
            tie_region=profile.tie_region_code,
            preferences=list(profile.preferences or []),
            updated_at=profile.updated_at,
            updated_by=profile.updated_by,
        )


def history_summary(uow: UnitOfWork, *, actor: Actor) -> dict[str, int]:
    """Households of the stored history per region code (what the outcome model can learn from)."""
    require(actor, Permission.PLACEMENT_READ)
    with uow.acting(actor):
        rows = uow.session.execute(
            select(PlacementHistory.region_code, func.count()).group_by(PlacementHistory.region_code)
        ).all()
        return {str(code): int(n) for code, n in rows}


@dataclass(frozen=True)
class UnplacedHousehold:
    household_id: uuid.UUID
    head_name: str
    persons: int
    has_profile: bool
    pending: bool  # a proposal waits for a decision


def unplaced_households(uow: UnitOfWork, *, actor: Actor, limit: int = 50) -> list[UnplacedHousehold]:
    """Active households of the reader's sites not placed yet, oldest first (for their profiles)."""
    require(actor, Permission.PLACEMENT_READ)
    with uow.acting(actor):
        households = list(
            uow.session.scalars(
                select(Household)
                .where(
                    Household.status == HouseholdStatus.ACTIVE,
                    in_scope(Household.site_id, actor),
                    Household.id.not_in(select(PlacementAssignment.household_id)),
                )
                .options(selectinload(Household.members).selectinload(Person.names))
                .order_by(Household.id)
                .limit(min(limit, MAX_PAGE))
            )
        )
        ids = [h.id for h in households]
        profiled = set(
            uow.session.scalars(
                select(PlacementProfile.household_id).where(PlacementProfile.household_id.in_(ids))
            )
        )
        pending = set(
            uow.session.scalars(
                select(PlacementProposal.household_id).where(
                    PlacementProposal.household_id.in_(ids),
                    PlacementProposal.status == ProposalStatus.PROPOSED,
                )
            )
        )
        out = []
        for h in households:
            members = [m for m in h.members if m.merged_into_id is None]
            head = h.head
            out.append(
                UnplacedHousehold(
                    household_id=h.id,
                    head_name=head.display_name() if head is not None else "—",
                    persons=len(members),
                    has_profile=h.id in profiled,
                    pending=h.id in pending,
                )
            )
        return out
