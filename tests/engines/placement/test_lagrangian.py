"""The Lagrangian prices: any non-negative prices give a bound at or above the exact optimum, the
searched prices a tighter one."""

from __future__ import annotations

import numpy as np
import pytest

from safepassage.placement.engine import MilpSolver, PlacementPolicy, TieMode, build_instance
from safepassage.placement.engine.lagrangian import lagrangian_bound, solve_dual
from safepassage.placement.engine.plan import aggregate, typed_problem
from tests.engines.placement.factories import random_instance


def _problem(seed: int, ties: TieMode):  # type: ignore[no-untyped-def]
    households, regions, scores = random_instance(seed, n=40, m=4)
    inst = build_instance(households, regions, scores, PlacementPolicy(ties=ties))
    first, inverse = aggregate(inst)
    return typed_problem(inst, first, inverse)


@pytest.mark.parametrize("seed", range(6))
def test_any_prices_bound_the_exact_optimum_and_the_search_tightens_it(seed: int) -> None:
    p = _problem(seed, TieMode.HARD if seed % 2 else TieMode.WEIGHTED)
    exact = MilpSolver().solve(p, time_limit=20.0, gap_target=0.0)
    assert exact.status == "optimal"
    rng = np.random.default_rng(seed)
    for _ in range(5):
        prices = rng.exponential(0.5, size=p.capacity.shape)
        assert lagrangian_bound(p, prices) >= exact.objective - 1e-6
    at_zero = lagrangian_bound(p, np.zeros_like(p.capacity))
    dual = solve_dual(p, time_limit=5.0)
    assert exact.objective - 1e-6 <= dual.bound <= at_zero + 1e-6
    assert dual.bound == pytest.approx(lagrangian_bound(p, dual.prices))
