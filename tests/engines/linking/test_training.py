"""Training is deterministic: the same records and seed give the same model, clusters and pairs."""

from __future__ import annotations

import pytest

from safepassage.linking.engine import LinkSettings, TrainingOptions, link
from tests.engines.linking.synthetic import records

pytestmark = pytest.mark.slow


def test_same_input_and_seed_train_the_same_model_and_link_the_same_way():
    people, truth = records(450, seed=3)
    settings = LinkSettings(
        min_training_records=1000, training=TrainingOptions(seed=5, max_training_records=1500)
    )
    first = link(people, settings)
    second = link(list(reversed(people)), settings)
    assert first.trained and second.trained
    assert first.model == second.model
    assert first.clusters == second.clusters
    assert first.pairs.to_pylist() == second.pairs.to_pylist()
    # and the trained model links: most true pairs found, few false ones
    found = [
        (p["record_id_l"], p["record_id_r"]) for p in first.pairs.to_pylist() if p["match_probability"] >= 0.9
    ]
    right = sum(truth[a] == truth[b] for a, b in found)
    assert found and right / len(found) > 0.8
