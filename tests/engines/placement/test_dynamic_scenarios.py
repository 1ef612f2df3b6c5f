"""Dynamic mode's weekly two-stage programme: a clairvoyant forecast reaches the hindsight optimum
(so the weekly model and the hindsight model agree), several scenarios stay feasible and
deterministic, and the week's batch is never split across regions."""

from __future__ import annotations

import numpy as np
import pytest

from safepassage.placement.engine import MilpSolver, PlacementPolicy, TieMode, build_instance, place
from safepassage.placement.engine.dynamic import clairvoyant, place_dynamic
from safepassage.placement.engine.weekly import WeekBlock, solve_week
from tests.engines.placement.factories import random_instance
from tests.engines.placement.verifier import violations

POLICY = PlacementPolicy(ties=TieMode.HARD, placement_weight=3.0, time_limit=10.0)


def _weekly(seed: int, n: int = 48, per_week: int = 8):  # type: ignore[no-untyped-def]
    households, regions, scores = random_instance(seed, n=n, m=4)
    batches = [households[i : i + per_week] for i in range(0, n, per_week)]
    batch_scores = [scores[i : i + per_week] for i in range(0, n, per_week)]
    return households, regions, scores, batches, batch_scores


def _mapping(result, regions):  # type: ignore[no-untyped-def]
    return {
        hid: (regions[j].region_id if j >= 0 else None)
        for hid, j in zip(result.household_ids, result.region, strict=True)
    }


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_the_clairvoyant_policy_reaches_the_hindsight_optimum(seed: int) -> None:
    """Re-solved each week over the batch and the actual later arrivals (whole households), the
    policy must end where the exact MILP over the whole year does: nothing is lost between weeks."""
    households, regions, scores, batches, batch_scores = _weekly(seed)
    result = place_dynamic(
        batches,
        batch_scores,
        regions,
        POLICY,
        forecast_pool=[],
        forecast_scores=np.zeros((0, len(regions))),
        forecast=clairvoyant(batches, batch_scores),
    )
    exact = place(households, regions, scores, POLICY, solver=MilpSolver())
    assert exact.stats.status == "optimal"
    assert result.objective == pytest.approx(exact.stats.objective, abs=1e-6)
    assert violations(households, regions, POLICY, _mapping(result, regions)) == []


def test_a_fluid_clairvoyant_stays_feasible_and_below_the_hindsight_optimum() -> None:
    households, regions, scores, batches, batch_scores = _weekly(6)
    result = place_dynamic(
        batches,
        batch_scores,
        regions,
        POLICY,
        forecast_pool=[],
        forecast_scores=np.zeros((0, len(regions))),
        forecast=clairvoyant(batches, batch_scores, integral=False),
    )
    exact = place(households, regions, scores, POLICY, solver=MilpSolver())
    assert result.objective <= exact.stats.objective + 1e-6
    assert violations(households, regions, POLICY, _mapping(result, regions)) == []


@pytest.mark.parametrize("seed", [3, 8])
def test_several_scenarios_are_feasible_and_deterministic(seed: int) -> None:
    households, regions, scores, batches, batch_scores = _weekly(seed)
    pool, _, pool_scores = random_instance(seed + 100, n=60, m=4)
    forecast = {"forecast_pool": pool, "forecast_scores": pool_scores, "pool_size": 20, "scenarios": 3}
    runs = [place_dynamic(batches, batch_scores, regions, POLICY, **forecast) for _ in range(2)]  # type: ignore[arg-type]
    assert runs[0].region.tolist() == runs[1].region.tolist()
    assert violations(households, regions, POLICY, _mapping(runs[0], regions)) == []
    placed = np.flatnonzero(runs[0].region >= 0)
    assert runs[0].expected_outcome == pytest.approx(float(scores[placed, runs[0].region[placed]].sum()))


def test_the_week_keeps_a_place_that_one_scenario_in_two_needs() -> None:
    """One flat with dialysis. The batch's ordinary household gains 0.5 there over elsewhere; in one
    scenario of two a dialysis household (value 3 there, nowhere else) comes. Mean gain of keeping:
    1.5 > 0.5, so the flat is kept; with the other scenario alone it is taken."""
    capacity = np.array([[1], [5]])
    batch = WeekBlock(
        use=np.array([[1]]),
        eligible=np.array([[True, True]]),
        value=np.array([[1.5, 1.0]]),
        count=np.ones(1),
    )
    comes = WeekBlock(np.array([[1]]), np.array([[True, False]]), np.array([[3.0, 0.0]]), np.ones(1))
    stays_away = WeekBlock(
        np.zeros((0, 1), dtype=np.int64), np.zeros((0, 2), bool), np.zeros((0, 2)), np.zeros(0)
    )
    both = solve_week(batch, [comes, stays_away], capacity, time_limit=5.0)
    only_away = solve_week(batch, [stays_away], capacity, time_limit=5.0)
    assert both.region.tolist() == [1]
    assert only_away.region.tolist() == [0]


def test_the_lp_method_still_places_feasibly() -> None:
    households, regions, scores, batches, batch_scores = _weekly(4)
    pool, _, pool_scores = random_instance(104, n=60, m=4)
    result = place_dynamic(
        batches,
        batch_scores,
        regions,
        POLICY,
        forecast_pool=pool,
        forecast_scores=pool_scores,
        pool_size=20,
        method="lp",
        time_limit_per_batch=2.0,
    )
    assert violations(households, regions, POLICY, _mapping(result, regions)) == []
    instance = build_instance(households, regions, scores, POLICY)
    assert result.objective <= float(instance.value.max(axis=1).clip(min=0).sum()) + 1e-6
