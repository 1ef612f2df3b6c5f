"""The prior model: parameters trained once on a synthetic population, shipped with the engine.

A list of a few hundred records is too small for EM to learn from. Such lists (and the tests' golden
sets) are scored with this model, trained by ``bench/linking_engine/train_prior.py`` on synthetic
data (never real people) with the same comparisons as ``model.py``. Retrain it whenever the
comparisons change: ``prior_model()`` refuses a file whose comparisons no longer match.
"""

from __future__ import annotations

import copy
import functools
import json
from importlib import resources
from typing import Any

from safepassage.linking.engine.model import settings_creator

__all__ = ["PRIOR_MODEL_FILE", "prior_model", "without_term_frequencies"]

PRIOR_MODEL_FILE = "prior_model.json"


def _shape(model: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [
        (c["output_column_name"], [str(level.get("label_for_charts")) for level in c["comparison_levels"]])
        for c in model["comparisons"]
    ]


@functools.cache
def _load() -> dict[str, Any]:
    text = resources.files(__package__).joinpath(PRIOR_MODEL_FILE).read_text(encoding="utf-8")
    model: dict[str, Any] = json.loads(text)
    expected = settings_creator().create_settings_dict("duckdb")
    if _shape(model) != _shape(expected):
        raise RuntimeError(f"{PRIOR_MODEL_FILE} was trained for other comparisons: retrain it")
    return model


def prior_model() -> dict[str, Any]:
    """A copy of the shipped model (Splink JSON dict)."""
    return copy.deepcopy(_load())


def without_term_frequencies(model: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``model`` with no term-frequency adjustment: name frequencies counted in a list of
    twenty records say nothing about the population (a family's surname would look common)."""
    plain = copy.deepcopy(model)
    for comparison in plain["comparisons"]:
        for level in comparison["comparison_levels"]:
            for key in ("tf_adjustment_column", "tf_adjustment_weight", "tf_minimum_u_value"):
                level.pop(key, None)
    return plain
