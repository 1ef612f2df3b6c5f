"""The calibrated prior: the fixed point of "prior = expected share of duplicate pairs"."""

from __future__ import annotations

import math

import numpy as np
import pytest

from safepassage.linking.engine.calibration import calibrate_prior, log2_odds


def _weights(bayes_bits: list[float], prior: float) -> np.ndarray:
    return np.array(bayes_bits) + log2_odds(prior)


def test_an_over_confident_prior_comes_down_to_the_share_of_certain_pairs():
    # 1,000 records (499,500 pairs); 400 pairs of overwhelming evidence, 2,000 of strong evidence
    # against: about 400 duplicates, whatever the trained prior claimed
    trained = 1e-2
    weights = _weights([40.0] * 400 + [-20.0] * 2000, trained)
    result = calibrate_prior(weights, trained, 1000)
    assert result.prior == pytest.approx(400 / 499_500, rel=1e-3)
    assert result.expected_pairs == pytest.approx(400, rel=1e-3)
    assert result.shift_bits == pytest.approx(log2_odds(400 / 499_500) - log2_odds(trained), abs=1e-3)
    assert result.shift_bits < -3


def test_doubtful_pairs_count_by_their_posterior_at_the_calibrated_prior():
    trained = 1e-3
    records = 2000
    all_pairs = records * (records - 1) / 2
    # 100 certain pairs and 1,000 pairs whose evidence alone is 16 bits
    weights = _weights([60.0] * 100 + [16.0] * 1000, trained)
    result = calibrate_prior(weights, trained, records)
    posterior = 1 / (1 + 2 ** -(16 + log2_odds(result.prior)))
    assert result.prior == pytest.approx((100 + 1000 * posterior) / all_pairs, rel=1e-3)
    assert 100 < result.expected_pairs < 1100


def test_never_raises_the_prior_and_leaves_it_without_pairs():
    assert calibrate_prior(np.array([]), 1e-4, 500).prior == 1e-4
    assert calibrate_prior(np.array([]), 1e-4, 500).shift_bits == 0.0
    # every pair certain and a prior far below their share: stays where it was
    low = 1e-9
    result = calibrate_prior(_weights([50.0] * 300, low), low, 100)
    assert result.prior == low
    assert math.isclose(result.shift_bits, 0.0, abs_tol=1e-12)
