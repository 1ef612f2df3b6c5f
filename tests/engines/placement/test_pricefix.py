"""Price-and-fix LP: from any prices it reaches the LP optimum of the whole problem, its bound is
never below the exact optimum, fixing that overdraws a capacity is undone by the LP, and the plan
built on it is feasible by the independent verifier with an honest gap."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog

from safepassage.placement.engine import MilpSolver, PlacementPolicy, TieMode, build_instance, place
from safepassage.placement.engine.decomposition import TypedProblem, TypedSolution
from safepassage.placement.engine.lagrangian import solve_dual
from safepassage.placement.engine.plan import aggregate, typed_problem
from safepassage.placement.engine.pricefix import solve_fixed_lp
from safepassage.placement.engine.repair import solve_typed
from tests.engines.placement.factories import household, random_instance, region
from tests.engines.placement.verifier import violations


def _problem(seed: int, min_fill: float = 0.0) -> TypedProblem:
    households, regions, scores = random_instance(seed, n=40, m=4)
    policy = PlacementPolicy(ties=TieMode.HARD if seed % 2 else TieMode.WEIGHTED, min_fill=min_fill)
    inst = build_instance(households, regions, scores, policy)
    first, inverse = aggregate(inst)
    return typed_problem(inst, first, inverse)


def _lp_optimum(p: TypedProblem) -> float:
    """The LP relaxation over every eligible pair, written out densely for scipy's linprog."""
    t, r = np.nonzero(p.eligible)
    n_regions, k_res = p.capacity.shape
    rows = [np.zeros((len(p.count), len(t)))]
    rows[0][t, np.arange(len(t))] = 1.0
    cap = np.zeros((n_regions * k_res, len(t)))
    for k in range(k_res):
        cap[r * k_res + k, np.arange(len(t))] = p.use[t, k]
    fill = np.zeros((n_regions, len(t)))
    fill[r, np.arange(len(t))] = -p.use[t, p.persons_col]
    a = np.vstack([rows[0], cap, fill])
    b = np.concatenate([p.count, p.capacity.reshape(-1), -p.min_persons])
    result = linprog(-p.value[t, r], A_ub=a, b_ub=b, bounds=(0, None), method="highs")
    assert result.status == 0
    return float(-result.fun)


def _exact(p: TypedProblem) -> TypedSolution:
    solution = MilpSolver().solve(p, time_limit=20.0, gap_target=0.0)
    assert solution.status == "optimal"
    return solution


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("start", ["zero", "searched", "random"])
def test_reaches_the_lp_optimum_from_any_prices_and_bounds_the_exact_optimum(seed: int, start: str) -> None:
    p = _problem(seed)
    if start == "zero":
        prices = np.zeros_like(p.capacity)
    elif start == "searched":
        prices = solve_dual(p, time_limit=5.0).prices
    else:
        prices = np.random.default_rng(seed).exponential(0.5, size=p.capacity.shape)
    lp = solve_fixed_lp(p, prices, time_limit=20.0, gap_target=0.0, margin=0.05, window=0.1)
    optimum = _lp_optimum(p)
    assert lp.status == "optimal"
    assert lp.objective == pytest.approx(optimum, rel=1e-7, abs=1e-6)
    # Complementary slackness over all types: the bound from its duals is the LP optimum itself.
    assert lp.bound == pytest.approx(optimum, rel=1e-7, abs=1e-6)
    assert lp.bound >= _exact(p).objective - 1e-6
    # The solution respects every row of the whole LP.
    assert (lp.x >= -1e-9).all() and (lp.x[~p.eligible] == 0).all()
    assert (lp.x.sum(axis=1) <= p.count + 1e-6).all()
    assert (lp.x.T @ p.use <= p.capacity + 1e-6).all()


@pytest.mark.parametrize("seed", range(4))
def test_with_minimum_fill_rows_the_bound_still_holds(seed: int) -> None:
    p = _problem(seed, min_fill=0.2)
    assert (p.min_persons > 0).any()
    lp = solve_fixed_lp(p, np.zeros_like(p.capacity), time_limit=20.0, gap_target=0.0)
    assert lp.status == "optimal"
    assert lp.bound >= _lp_optimum(p) - 1e-6
    assert lp.objective == pytest.approx(_lp_optimum(p), rel=1e-7, abs=1e-6)


def test_fixing_that_overdraws_a_capacity_is_cut_back_by_the_lp() -> None:
    # Everyone is far better off in R0 (margin 1.0), so zero prices fix all 30 households there,
    # using 30 small units where R0 has 10: the residual capacity is -20. The LP must cut them back
    # and send the rest to R1.
    households = [household(f"H{i}", adults=2) for i in range(30)]
    regions = [region("R0", housing_small=10), region("R1", housing_small=40)]
    scores = np.zeros((30, 2))
    scores[:, 0] = 1.0 + np.linspace(0.0, 0.2, 30)
    inst = build_instance(households, regions, scores, PlacementPolicy())
    first, inverse = aggregate(inst)
    p = typed_problem(inst, first, inverse)
    lp = solve_fixed_lp(p, np.zeros_like(p.capacity), time_limit=20.0, gap_target=0.0, margin=0.5)
    assert lp.status == "optimal"
    assert (lp.x.T @ p.use <= p.capacity + 1e-6).all()
    assert lp.x[:, 0].sum() == pytest.approx(10.0)
    assert lp.x[:, 1].sum() == pytest.approx(20.0)
    assert lp.objective == pytest.approx(_lp_optimum(p))
    assert lp.rounds >= 2  # the fixed types were opened after the first LP


@pytest.mark.parametrize("seed", range(10))
def test_plan_without_the_exact_finish_is_feasible_and_its_gap_honest(seed: int) -> None:
    households, regions, scores = random_instance(seed, n=30 + seed, m=3 + seed % 3)
    policy = PlacementPolicy(ties=TieMode.HARD if seed % 2 else TieMode.WEIGHTED, time_limit=10.0)

    class PriceFixOnly:
        name = "price-and-fix"

        def solve(self, problem: TypedProblem, *, time_limit: float, gap_target: float) -> TypedSolution:
            return solve_typed(problem, time_limit=time_limit, gap_target=gap_target, exact_pairs=0)

    plan = place(households, regions, scores, policy, solver=PriceFixOnly())
    ids = [p.household_id for p in plan.proposals]
    assert violations(households, regions, policy, plan.region_of(), household_ids_once=ids) == []
    inst = build_instance(households, regions, scores, policy)
    first, inverse = aggregate(inst)
    exact = _exact(typed_problem(inst, first, inverse))
    assert plan.stats.objective <= exact.objective + 1e-6
    assert plan.stats.bound >= exact.objective - 1e-6
    assert plan.stats.gap == pytest.approx((plan.stats.bound - plan.stats.objective) / plan.stats.bound)
