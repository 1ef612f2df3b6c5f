"""Runs of the placement engine and the decisions a placement officer takes on their proposals.

A run reads the unplaced households of the officer's sites, builds the engine's households from the
registry and the placement profiles (``placement.features``), trains the outcome model on the stored
history, and places them into what is left of each region (capacity minus what decided placements
use). It stores the run and one proposal per household, and changes nothing else: no household is
placed until a person accepts or overrides its proposal (``docs/code-style.md``: never auto-apply
solver output). A later run for new arrivals places only households still unplaced, into what is
left; a household's earlier pending proposal is then superseded.

The decisions on the proposals are in ``placement.decisions``.
"""

from __future__ import annotations

import dataclasses
import math
import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from safepassage.placement.engine import (
    DecompositionSolver,
    GradientBoostingModel,
    HistoryRecord,
    PlacementPolicy,
    Solver,
    consumption,
    place,
)
from safepassage.placement.engine import Household as EngineHousehold
from safepassage.placement.engine.csvio import check_references
from safepassage.placement.features import engine_household
from safepassage.placement.models import (
    CAPACITIES,
    PlacementAssignment,
    PlacementHistory,
    PlacementProfile,
    PlacementProposal,
    PlacementRegion,
    PlacementRun,
    ProposalStatus,
)
from safepassage.placement.schemas import RunCreate
from safepassage.registry.codes import HouseholdStatus
from safepassage.registry.models import Household, Person
from safepassage.registry.scoping import in_scope
from safepassage.security.policy import Actor, Permission, require, require_site
from safepassage.shared.errors import Conflict, Invalid
from safepassage.uow import UnitOfWork

RESOURCE_NAMES = {
    "quota_persons": "persons of quota",
    "housing_small": "small housing units",
    "housing_large": "large housing units",
    "school_places": "school places",
    "kindergarten_places": "kindergarten places",
    "dialysis": "dialysis places",
    "oncology": "oncology places",
    "disability": "disability-service places",
    "language_course": "language-course places",
}
_CHUNK = 500
#: Above this many households the optimiser runs in a child process with a hard deadline (HiGHS can
#: overrun its own time limit on large models: FIELD-NOTES); below, in-process is faster.
ISOLATE_ABOVE = 2000


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return _finite(value)
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def used_by_region(
    uow: UnitOfWork, region_ids: Iterable[uuid.UUID] | None = None
) -> dict[uuid.UUID, dict[str, int]]:
    """What decided placements use in each region, per resource (every site's: capacity is shared)."""
    query = select(PlacementAssignment.region_id, PlacementAssignment.use)
    if region_ids is not None:
        query = query.where(PlacementAssignment.region_id.in_(list(region_ids)))
    used: dict[uuid.UUID, dict[str, int]] = defaultdict(lambda: dict.fromkeys(CAPACITIES, 0))
    for region_id, use in uow.session.execute(query):
        totals = used[region_id]
        for name in CAPACITIES:
            totals[name] += int((use or {}).get(name, 0))
    return dict(used)


def _history(uow: UnitOfWork, codes: set[str]) -> list[HistoryRecord]:
    rows = uow.session.scalars(
        select(PlacementHistory).where(PlacementHistory.region_code.in_(sorted(codes)))
    )
    return [
        HistoryRecord(
            EngineHousehold(
                household_id=row.household_key,
                adults=row.adults,
                children_0_5=row.children_0_5,
                children_6_17=row.children_6_17,
                elderly=row.elderly,
                languages=tuple(row.languages or ()),
                education_max=row.education_max,
                occupation=row.occupation,
                needs=tuple(row.needs or ()),
            ),
            row.region_code,
            row.employed_adults_90d,
        )
        for row in rows
    ]


def _unplaced_households(uow: UnitOfWork, actor: Actor, site_id: uuid.UUID | None) -> list[Household]:
    placed = select(PlacementAssignment.household_id)
    query = (
        select(Household)
        .where(
            Household.status == HouseholdStatus.ACTIVE,
            in_scope(Household.site_id, actor),
            Household.id.not_in(placed),
        )
        .options(selectinload(Household.members).selectinload(Person.needs))
        .order_by(Household.id)
    )
    if site_id is not None:
        query = query.where(Household.site_id == site_id)
    return list(uow.session.scalars(query))


def run_placement(
    uow: UnitOfWork, cmd: RunCreate, *, actor: Actor, solver: Solver | None = None
) -> uuid.UUID:
    """Propose a region for every unplaced household of the actor's sites. Applies nothing."""
    require(actor, Permission.PLACEMENT_PLAN)
    if cmd.site_id is not None:
        require_site(actor, cmd.site_id)
    official = tuple(sorted({lang.strip().lower() for lang in cmd.official_languages if lang.strip()}))
    policy = PlacementPolicy(
        ties=cmd.ties,
        tie_weight=cmd.tie_weight,
        preference_weight=cmd.preference_weight,
        official_languages=official or ("de",),
        min_fill=cmd.min_fill,
        time_limit=cmd.time_limit,
        seed=cmd.seed,
    )
    with uow.acting(actor):
        today = uow.now().date()
        regions = list(
            uow.session.scalars(
                select(PlacementRegion).where(PlacementRegion.active.is_(True)).order_by(PlacementRegion.code)
            )
        )
        if not regions:
            raise Conflict("there is no active region: import the regions first")
        used = used_by_region(uow)
        engine_regions = [r.to_engine(used.get(r.id)) for r in regions]
        history = _history(uow, {r.code for r in regions})
        households = _unplaced_households(uow, actor, cmd.site_id)
        profiles = {
            p.household_id: p
            for chunk in _chunks([h.id for h in households])
            for p in uow.session.scalars(
                select(PlacementProfile).where(PlacementProfile.household_id.in_(chunk))
            )
        }
        built = [engine_household(h, profiles.get(h.id), today) for h in households]
    inputs = [(h, comp) for h, comp in built if h.persons > 0]
    if not inputs:
        raise Conflict("every household of your sites is placed already: nothing to propose")
    engine_households = [h for h, _ in inputs]
    try:
        model = GradientBoostingModel.fit(
            history, engine_regions, official_languages=policy.official_languages, seed=cmd.seed
        )
    except ValueError as exc:
        raise Invalid(f"the outcome model cannot be trained: {exc}; import more history") from None
    scores = model.predict(engine_households, engine_regions)
    chosen = (
        solver if solver is not None else DecompositionSolver(isolate=len(engine_households) > ISOLATE_ABOVE)
    )
    plan = place(engine_households, engine_regions, scores, policy, solver=chosen)
    stats = plan.stats
    report = {
        "model": dataclasses.asdict(model.metrics),
        "history_households": len(history),
        "policy": {k: (v.value if hasattr(v, "value") else v) for k, v in dataclasses.asdict(policy).items()},
        "notes": list(stats.notes),
        "warnings": check_references(engine_households, engine_regions)[:100],
        "members_without_birth_date": sum(c.unknown_age for _, c in inputs),
        "gap_outcome": stats.gap_outcome,
        "sites": "all" if actor.all_sites else sorted(str(s) for s in actor.site_ids),
        "site_id": str(cmd.site_id) if cmd.site_id else None,
    }
    with uow.acting(actor):
        run = PlacementRun(
            created_at=uow.now(),
            created_by=actor.username,
            households=len(plan.proposals),
            placed_households=plan.placed_households,
            placed_persons=plan.placed_persons,
            expected_outcome=plan.expected_outcome,
            objective=stats.objective,
            bound=_finite(stats.bound),
            gap=_finite(stats.gap),
            method=stats.method,
            solver_status=stats.status[:80],
            seconds=stats.seconds,
            report=_clean(report),
        )
        uow.session.add(run)
        uow.session.flush()
        ids = [uuid.UUID(h.household_id) for h in engine_households]
        for chunk in _chunks(ids):
            uow.session.execute(
                update(PlacementProposal)
                .where(
                    PlacementProposal.household_id.in_(chunk),
                    PlacementProposal.status == ProposalStatus.PROPOSED,
                )
                .values(status=ProposalStatus.SUPERSEDED)
            )
        for position, (proposal, household) in enumerate(zip(plan.proposals, engine_households, strict=True)):
            use = dict(zip(CAPACITIES, consumption(household, policy), strict=True))
            uow.session.add(
                PlacementProposal(
                    run_id=run.id,
                    position=position,
                    household_id=uuid.UUID(proposal.household_id),
                    persons=household.persons,
                    use=use,
                    region_code=proposal.region_id,
                    predicted_outcome=_finite(proposal.predicted_outcome),
                    next_best_code=proposal.next_best_region,
                    next_best_outcome=_finite(proposal.next_best_outcome),
                    reason_code=proposal.reason_code.value,
                    reason=proposal.reason,
                    status=ProposalStatus.PROPOSED,
                )
            )
        uow.audit(
            "placement.run",
            entity="placement_run",
            entity_id=run.id,
            site_id=cmd.site_id,
            details={
                "households": run.households,
                "placed": run.placed_households,
                "method": run.method,
                "gap": run.gap,
                "history": len(history),
            },
        )
        uow.commit()
        return run.id


def _chunks(ids: list[uuid.UUID]) -> Iterable[list[uuid.UUID]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


__all__ = [
    "ISOLATE_ABOVE",
    "RESOURCE_NAMES",
    "run_placement",
    "used_by_region",
]
