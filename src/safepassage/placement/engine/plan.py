"""``place``: households and regions in, a plan of explained proposals out.

Households are aggregated into types (identical consumption, eligibility and values: the optimiser
cannot tell them apart), the solver places types, and the plan hands households their regions back
in input order, each with its explanation.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from safepassage.placement.engine.decomposition import TypedProblem, TypedSolution
from safepassage.placement.engine.explain import explain
from safepassage.placement.engine.instance import Instance, build_instance
from safepassage.placement.engine.solvers import DecompositionSolver, Solver
from safepassage.placement.engine.types import (
    RESOURCES,
    Household,
    PlacementPlan,
    PlacementPolicy,
    Region,
    Resource,
    SolveStats,
    Utilisation,
)

IntArray = NDArray[np.int64]
_PERSONS = RESOURCES.index(Resource.QUOTA_PERSONS)


def aggregate(instance: Instance) -> tuple[IntArray, IntArray]:
    """(first household of each type, type of each household): rows equal in use, eligibility, value."""
    key = np.ascontiguousarray(
        np.hstack([instance.use.astype(np.float64), instance.eligible.astype(np.float64), instance.value])
    )
    void = key.view(np.dtype((np.void, key.dtype.itemsize * key.shape[1]))).reshape(-1)
    _, first, inverse = np.unique(void, return_index=True, return_inverse=True)
    return first.astype(np.int64), np.asarray(inverse, dtype=np.int64).reshape(-1)


def typed_problem(instance: Instance, first: IntArray, inverse: IntArray) -> TypedProblem:
    return TypedProblem(
        count=np.bincount(inverse, minlength=len(first)).astype(np.float64),
        integral=np.ones(len(first), dtype=bool),
        use=instance.use[first].astype(np.float64),
        value=instance.value[first],
        eligible=instance.eligible[first],
        capacity=instance.capacity.astype(np.float64),
        min_persons=instance.min_persons,
        persons_col=_PERSONS,
    )


def disaggregate(assign: NDArray[np.float64], inverse: IntArray, n_regions: int) -> IntArray:
    """Region index per household (-1: unplaced), households of a type filled in input order."""
    region = np.full(len(inverse), -1, dtype=np.int64)
    order = np.argsort(inverse, kind="stable")
    counts = np.bincount(inverse, minlength=assign.shape[0])
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    whole = np.rint(assign).astype(np.int64)
    for t in np.flatnonzero(whole.sum(axis=1) > 0):
        members = order[starts[t] : starts[t] + counts[t]]
        regions = np.repeat(np.arange(n_regions), whole[t])[: len(members)]
        region[members[: len(regions)]] = regions
    return region


def utilisation(instance: Instance, region: IntArray) -> tuple[Utilisation, ...]:
    placed = region >= 0
    used = np.zeros_like(instance.capacity)
    np.add.at(used, region[placed], instance.use[placed])
    return tuple(
        Utilisation(rid, res, int(used[j, k]), int(instance.capacity[j, k]))
        for j, rid in enumerate(instance.region_ids)
        for k, res in enumerate(RESOURCES)
    )


def plan_from_regions(
    instance: Instance, region: IntArray, solution: TypedSolution | None, method: str, seconds: float
) -> PlacementPlan:
    """The plan for a region per household: explanations, totals, and the solver's proof if any."""
    placed = region >= 0
    rows = np.flatnonzero(placed)
    objective = float(instance.value[rows, region[rows]].sum())
    outcome = float(instance.score[rows, region[rows]].sum())
    duals = (
        solution.capacity_duals
        if solution is not None
        else np.zeros_like(instance.capacity, dtype=np.float64)
    )
    bound = solution.bound if solution is not None else float("nan")
    bound = max(bound, objective) if np.isfinite(bound) else bound
    absolute = bound - objective
    without_weight = objective - instance.placement_weight * int(placed.sum())
    stats = SolveStats(
        method=method,
        status=solution.status if solution is not None else "heuristic",
        objective=objective,
        bound=bound,
        gap=absolute / abs(bound) if np.isfinite(bound) and bound else 0.0 if bound == 0 else float("nan"),
        gap_outcome=absolute / without_weight
        if without_weight > 0
        else 0.0
        if absolute == 0
        else float("nan"),
        seconds=seconds,
        lp_rounds=solution.rounds if solution is not None else 0,
        columns=solution.columns if solution is not None else 0,
        repaired=solution.repaired if solution is not None else 0,
        notes=solution.notes if solution is not None else (),
    )
    return PlacementPlan(
        proposals=explain(instance, region, duals),
        expected_outcome=outcome,
        placed_households=int(placed.sum()),
        placed_persons=int(instance.persons[placed].sum()),
        stats=stats,
        utilisation=utilisation(instance, region),
    )


def place(
    households: Sequence[Household],
    regions: Sequence[Region],
    score: NDArray[np.float64],
    policy: PlacementPolicy,
    *,
    solver: Solver | None = None,
) -> PlacementPlan:
    """Place every household it can, maximising the predicted outcome plus bonuses under every constraint.

    ``score`` is the outcome model's households x regions matrix (expected employed adults).
    """
    start = time.monotonic()
    chosen: Solver = solver if solver is not None else DecompositionSolver()
    instance = build_instance(households, regions, score, policy)
    first, inverse = aggregate(instance)
    problem = typed_problem(instance, first, inverse)
    solution = chosen.solve(problem, time_limit=policy.time_limit, gap_target=policy.gap_target)
    region = disaggregate(solution.assign, inverse, len(regions))
    plan = plan_from_regions(instance, region, solution, chosen.name, time.monotonic() - start)
    stats = plan.stats
    return PlacementPlan(
        proposals=plan.proposals,
        expected_outcome=plan.expected_outcome,
        placed_households=plan.placed_households,
        placed_persons=plan.placed_persons,
        stats=SolveStats(**{**stats.__dict__, "types": len(first)}),
        utilisation=plan.utilisation,
    )
