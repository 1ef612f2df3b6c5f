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
    # the prior odds re-estimated on the scored pairs: never above the trained ones, and the
    # duplicates they expect are of the order of the true pairs
    calibration = first.calibration
    assert calibration is not None and calibration == second.calibration
    assert calibration.prior <= first.model["probability_two_random_records_match"]
    true_pairs = sum(
        1 for i, a in enumerate(sorted(truth)) for b in sorted(truth)[i + 1 :] if truth[a] == truth[b]
    )
    assert 0.5 * true_pairs < calibration.expected_pairs < 1.5 * true_pairs


def test_a_list_too_short_to_train_on_is_not_calibrated():
    people, _ = records(20, seed=3)
    result = link(people)
    assert not result.trained
    assert result.calibration is None
