"""Dynamic mode: batches placed in order stay feasible and never beat the hindsight bound."""

from __future__ import annotations

import numpy as np
import pytest

from safepassage.placement.engine import PlacementPolicy, TieMode, place
from safepassage.placement.engine.dynamic import place_dynamic
from tests.engines.placement.factories import random_instance
from tests.engines.placement.verifier import violations


def test_weekly_batches_are_feasible_and_below_the_hindsight_bound() -> None:
    households, regions, scores = random_instance(11, n=60, m=4)
    pool, _, pool_scores = random_instance(12, n=80, m=4)
    policy = PlacementPolicy(ties=TieMode.HARD, placement_weight=3.0, time_limit=5.0)
    batches = [households[i : i + 15] for i in range(0, 60, 15)]
    batch_scores = [scores[i : i + 15] for i in range(0, 60, 15)]
    result = place_dynamic(
        batches, batch_scores, regions, policy, forecast_pool=pool, forecast_scores=pool_scores, pool_size=40
    )
    assert result.household_ids == tuple(h.household_id for h in households)
    mapping = {
        hid: (regions[j].region_id if j >= 0 else None)
        for hid, j in zip(result.household_ids, result.region, strict=True)
    }
    assert violations(households, regions, policy, mapping) == []
    hindsight = place(households, regions, scores, policy)
    assert result.objective <= hindsight.stats.bound + 1e-6
    rows = np.flatnonzero(result.region >= 0)
    assert result.expected_outcome == pytest.approx(float(scores[rows, result.region[rows]].sum()))
    assert (result.region >= 0).sum() >= 0.8 * hindsight.placed_households
    assert result.objective >= 0.8 * hindsight.stats.objective
