"""Rounding by the neighbourhood MILP: whole households, every capacity kept, never worse than the
LP rounded down, exact when everything is freed, forecast types untouched, same input same plan."""

from __future__ import annotations

import numpy as np
import pytest

from safepassage.placement.engine import MilpSolver, PlacementPolicy, TieMode, build_instance, place
from safepassage.placement.engine.decomposition import TypedProblem, TypedSolution
from safepassage.placement.engine.neighbourhood import freed_types, round_by_neighbourhood
from safepassage.placement.engine.plan import aggregate, typed_problem
from safepassage.placement.engine.pricefix import FixedLp, solve_fixed_lp
from safepassage.placement.engine.repair import solve_typed
from tests.engines.placement.factories import random_instance
from tests.engines.placement.verifier import violations


def _problem(seed: int, n: int = 60, m: int = 5) -> TypedProblem:
    households, regions, scores = random_instance(seed, n=n, m=m)
    policy = PlacementPolicy(ties=TieMode.HARD if seed % 2 else TieMode.WEIGHTED)
    inst = build_instance(households, regions, scores, policy)
    first, inverse = aggregate(inst)
    return typed_problem(inst, first, inverse)


def _lp(p: TypedProblem) -> FixedLp:
    lp = solve_fixed_lp(p, np.zeros_like(p.capacity), time_limit=20.0, gap_target=0.0)
    assert lp.status == "optimal"
    return lp


def _feasible(p: TypedProblem, a: np.ndarray) -> None:
    assert np.array_equal(a, np.rint(a)) and (a >= 0).all()
    assert (a[~p.eligible] == 0).all()
    assert (a.sum(axis=1) <= p.count + 1e-9).all()
    assert (a.T @ p.use <= p.capacity + 1e-9).all()


@pytest.mark.parametrize("seed", range(8))
def test_rounding_keeps_every_capacity_and_beats_the_lp_rounded_down(seed: int) -> None:
    p = _problem(seed)
    lp = _lp(p)
    a = round_by_neighbourhood(p, lp.x, lp.capacity_duals, time_limit=10.0, abs_gap=0.0, budget=40)
    assert a is not None
    _feasible(p, a)
    floor_value = float((np.floor(lp.x + 1e-6) * p.value).sum())
    assert float((a * p.value).sum()) >= floor_value - 1e-9
    assert float((a * p.value).sum()) <= lp.objective + 1e-6


@pytest.mark.parametrize("seed", range(6))
def test_everything_freed_is_the_exact_milp(seed: int) -> None:
    p = _problem(seed, n=40, m=4)
    lp = _lp(p)
    free, cols = freed_types(p, lp.x, lp.capacity_duals, budget=10**9, window=np.inf)
    assert free[p.eligible.any(axis=1)].all() and np.array_equal(cols, p.eligible)
    a = round_by_neighbourhood(
        p, lp.x, lp.capacity_duals, time_limit=20.0, abs_gap=0.0, budget=10**9, window=np.inf
    )
    assert a is not None
    _feasible(p, a)
    exact = MilpSolver().solve(p, time_limit=20.0, gap_target=0.0)
    assert exact.status == "optimal"
    assert float((a * p.value).sum()) == pytest.approx(exact.objective, abs=1e-6)


def test_split_types_are_freed_first_and_forecast_types_never() -> None:
    p = _problem(3)
    lp = _lp(p)
    split = ((lp.x - np.floor(lp.x + 1e-6)) > 1e-6).any(axis=1)
    free, _ = freed_types(p, lp.x, lp.capacity_duals, budget=0, window=0.05)
    assert np.array_equal(free, split)  # a zero budget still frees every split type
    forecast = TypedProblem(
        count=p.count,
        integral=np.zeros_like(p.integral),
        use=p.use,
        value=p.value,
        eligible=p.eligible,
        capacity=p.capacity,
        min_persons=p.min_persons,
        persons_col=p.persons_col,
    )
    free, cols = freed_types(forecast, lp.x, lp.capacity_duals, budget=10**9, window=1.0)
    assert not free.any() and not cols.any()
    a = round_by_neighbourhood(forecast, lp.x, lp.capacity_duals, time_limit=5.0, abs_gap=0.0)
    assert a is not None and np.array_equal(a, lp.x)


def test_same_input_same_rounding() -> None:
    p = _problem(5, n=80, m=6)
    lp = _lp(p)
    runs = [
        round_by_neighbourhood(p, lp.x, lp.capacity_duals, time_limit=10.0, abs_gap=0.0, budget=30)
        for _ in range(2)
    ]
    assert runs[0] is not None and runs[1] is not None
    assert np.array_equal(runs[0], runs[1])


@pytest.mark.parametrize("seed", range(6))
def test_plan_rounded_by_the_neighbourhood_is_feasible_and_its_bound_proven(seed: int) -> None:
    households, regions, scores = random_instance(seed + 20, n=50, m=4)
    policy = PlacementPolicy(ties=TieMode.HARD if seed % 2 else TieMode.WEIGHTED, time_limit=10.0)

    class NoExactFinish:
        name = "decomposition without the exact finish"

        def solve(self, problem: TypedProblem, *, time_limit: float, gap_target: float) -> TypedSolution:
            return solve_typed(problem, time_limit=time_limit, gap_target=gap_target, exact_pairs=0)

    plan = place(households, regions, scores, policy, solver=NoExactFinish())
    ids = [p.household_id for p in plan.proposals]
    assert violations(households, regions, policy, plan.region_of(), household_ids_once=ids) == []
    inst = build_instance(households, regions, scores, policy)
    first, inverse = aggregate(inst)
    exact = MilpSolver().solve(typed_problem(inst, first, inverse), time_limit=20.0, gap_target=0.0)
    assert exact.status == "optimal"
    assert plan.stats.bound >= exact.objective - 1e-6
    assert plan.stats.objective <= exact.objective + 1e-6
