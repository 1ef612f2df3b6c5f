"""The demo comes with regions (with positions for the map) and a synthetic history: a run works."""

from __future__ import annotations

import pytest

from safepassage.demo.loader import load_demo
from safepassage.placement import queries, runs
from safepassage.placement.demo import DEMO_REGIONS, load_placement_demo
from safepassage.placement.schemas import RunCreate
from safepassage.security.policy import SYSTEM

pytestmark = pytest.mark.db


def test_the_demo_can_be_placed_out_of_the_box(container):
    load_demo(container, households=25, seed=3, actor=SYSTEM)
    regions = queries.list_regions(container.uow(), actor=SYSTEM)
    assert [r.code for r in regions] == sorted(code for code, *_ in DEMO_REGIONS)
    assert all(r.latitude is not None and r.quota.capacity > 0 for r in regions)
    assert sum(queries.history_summary(container.uow(), actor=SYSTEM).values()) == 3000
    assert not load_placement_demo(container, actor=SYSTEM)  # loaded once
    run_id = runs.run_placement(container.uow(), RunCreate(time_limit=20), actor=SYSTEM)
    run = queries.get_run(container.uow(), run_id, actor=SYSTEM)
    # about one household in ten has not consented to resettlement in the demo: listed, not proposed
    assert run.households + run.not_eligible == 25 and 0 < run.not_eligible < 6
    assert run.placed_households >= run.households - 3
    assert run.report["model"]["auc"] > 0.55  # the model learns something from the synthetic history
