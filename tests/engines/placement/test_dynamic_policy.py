"""Dynamic mode's policy: scarce capacity kept for later arrivals, capacity held across weeks,
deterministic per seed; and the hindsight optimum it is measured against."""

from __future__ import annotations

import numpy as np
import pytest

from safepassage.placement.engine import PlacementPolicy, TieMode, build_instance
from safepassage.placement.engine.dynamic import place_dynamic
from safepassage.placement.engine.hindsight import hindsight_optimum, max_placed
from tests.engines.placement.factories import household, random_instance, region
from tests.engines.placement.verifier import violations

POLICY = PlacementPolicy(ties=TieMode.HARD, placement_weight=3.0, time_limit=5.0)


def _scarce_instance() -> tuple[list[list], list[np.ndarray], list, list, np.ndarray]:  # type: ignore[type-arg]
    """R0 alone treats dialysis and has one flat; R1 has flats but no dialysis. In week 1 an
    ordinary household arrives that would do a little better in R0; in week 2 a household needing
    dialysis arrives. The forecast (past arrivals) says dialysis households do come."""
    regions = [
        region("R0", housing_small=1, dialysis=1, quota_persons=10),
        region("R1", housing_small=5, quota_persons=20),
    ]
    ordinary = household("H1")
    dialysis = household("H2", needs=("dialysis",))
    batches = [[ordinary], [dialysis]]
    scores = [np.array([[1.2, 1.0]]), np.array([[1.0, 0.0]])]
    pool = [household(f"P{i}", needs=("dialysis",) if i % 2 else ()) for i in range(10)]
    pool_scores = np.tile([1.0, 0.9], (10, 1))
    pool_scores[1::2, 1] = 0.0
    return batches, scores, regions, pool, pool_scores


def test_scarce_need_capacity_is_kept_for_a_later_arrival_where_myopic_takes_it() -> None:
    batches, scores, regions, pool, pool_scores = _scarce_instance()
    common = {"forecast_pool": pool, "forecast_scores": pool_scores, "expected_total": 2}
    dynamic = place_dynamic(batches, scores, regions, POLICY, pool_size=10, **common)  # type: ignore[arg-type]
    myopic = place_dynamic(batches, scores, regions, POLICY, pool_size=0, **common)  # type: ignore[arg-type]
    assert myopic.region.tolist() == [0, -1]  # the flat in R0 went to the ordinary household
    assert dynamic.region.tolist() == [1, 0]  # kept for the dialysis household, which came
    assert dynamic.expected_outcome > myopic.expected_outcome
    assert dynamic.objective > myopic.objective


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_capacity_is_never_exceeded_across_weeks(seed: int) -> None:
    households, regions, scores = random_instance(seed, n=48, m=4)
    pool, _, pool_scores = random_instance(seed + 100, n=60, m=4)
    batches = [households[i : i + 8] for i in range(0, 48, 8)]
    batch_scores = [scores[i : i + 8] for i in range(0, 48, 8)]
    result = place_dynamic(
        batches, batch_scores, regions, POLICY, forecast_pool=pool, forecast_scores=pool_scores, pool_size=30
    )
    mapping = {
        hid: (regions[j].region_id if j >= 0 else None)
        for hid, j in zip(result.household_ids, result.region, strict=True)
    }
    assert violations(households, regions, POLICY, mapping) == []
    placed = np.flatnonzero(result.region >= 0)
    assert result.expected_outcome == pytest.approx(float(scores[placed, result.region[placed]].sum()))


def test_the_same_seed_gives_the_same_placement() -> None:
    households, regions, scores = random_instance(7, n=40, m=4)
    pool, _, pool_scores = random_instance(8, n=60, m=4)
    batches = [households[i : i + 10] for i in range(0, 40, 10)]
    batch_scores = [scores[i : i + 10] for i in range(0, 40, 10)]
    forecast = {"forecast_pool": pool, "forecast_scores": pool_scores, "pool_size": 20}
    runs = [place_dynamic(batches, batch_scores, regions, POLICY, **forecast) for _ in range(2)]  # type: ignore[arg-type]
    assert runs[0].region.tolist() == runs[1].region.tolist()
    assert runs[0].expected_outcome == runs[1].expected_outcome


def test_the_hindsight_optimum_bounds_the_dynamic_outcome_at_its_placed_count() -> None:
    households, regions, scores = random_instance(11, n=60, m=4)
    pool, _, pool_scores = random_instance(12, n=80, m=4)
    batches = [households[i : i + 15] for i in range(0, 60, 15)]
    batch_scores = [scores[i : i + 15] for i in range(0, 60, 15)]
    result = place_dynamic(
        batches, batch_scores, regions, POLICY, forecast_pool=pool, forecast_scores=pool_scores, pool_size=40
    )
    placed = int((result.region >= 0).sum())
    instance = build_instance(households, regions, scores, POLICY)
    best = hindsight_optimum(instance, scores, min_placed=placed, time_limit=10.0)
    assert result.expected_outcome <= best.bound + 1e-6
    assert best.objective <= best.bound + 1e-6
    assert placed <= max_placed(instance) + 1e-3
    mapping = {
        h.household_id: (regions[j].region_id if j >= 0 else None)
        for h, j in zip(households, best.region, strict=True)
    }
    assert violations(households, regions, POLICY, mapping) == []
    rows = np.flatnonzero(best.region >= 0)
    assert best.objective == pytest.approx(float(scores[rows, best.region[rows]].sum()))


def test_the_hindsight_refuses_a_placed_count_no_placement_reaches() -> None:
    households, regions, scores = random_instance(11, n=60, m=4)
    instance = build_instance(households, regions, scores, POLICY)
    with pytest.raises(ValueError, match="no placement places 61 households"):
        hindsight_optimum(instance, scores, min_placed=61)
