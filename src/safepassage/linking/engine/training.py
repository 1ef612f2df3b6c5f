"""Training the model: u by random sampling (fixed seed), m by EM on blocking rules, deterministic.

At a million records EM over every blocked pair costs more than it teaches: the model is trained on
a deterministic subset of at most ``max_training_records`` records, chosen by a hash of the family
name's sound key so that the records of one person (which share that key in any script) stay
together and EM still sees true matches. The trained parameters are then used on the whole table.
"""

from __future__ import annotations

import logging
import math
import zlib
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from splink import Linker, block_on
from splink.internals.blocking_rule_creator import BlockingRuleCreator

from safepassage.linking.engine.backends import Backend
from safepassage.linking.engine.model import settings_creator, training_rules

__all__ = ["TrainingOptions", "train_model", "training_subset"]

for _name in ("splink", "splink.internals"):
    logging.getLogger(_name).setLevel(logging.ERROR)


@dataclass(frozen=True)
class TrainingOptions:
    """How to train: the seed for u sampling, how many pairs to sample, the training subset size.

    ``u_max_pairs``: 10,000,000 random pairs. With 2,000,000 the seed alone moved precision by 0.005
    and recall by 0.014 at 100,000 records (seeds 7 and 42); with 10,000,000 by 0.0006 and 0.0009,
    for about 15 s more of training there."""

    seed: int = 42
    u_max_pairs: float = 1e7
    max_training_records: int = 150_000
    recall_of_deterministic_rules: float = 0.6


def training_subset(features: pa.Table, max_records: int) -> pa.Table:
    """At most about ``max_records`` rows, whole sound-key groups at a time, the same every run."""
    n = features.num_rows
    if n <= max_records:
        return features
    keys = features.column("k_family").to_pylist()
    buckets = 1000
    keep_below = max(1, int(buckets * max_records / n))
    mask = [zlib.crc32((key or "").encode()) % buckets < keep_below for key in keys]
    return features.filter(pa.array(mask))


def train_model(backend: Backend, features: pa.Table, options: TrainingOptions) -> dict[str, Any]:
    """Train on ``features`` and return the model as Splink's JSON-able dict.

    u is sampled from the whole table (random pairs are cheap at any size, and a subset chosen by
    family name would make family names look commoner than they are); m and the prior odds are
    learnt by EM on the subset, the prior odds then scaled to the whole table."""
    db_api = backend.db_api()
    whole = backend.register(db_api, features, "__sp_training")
    linker = Linker(whole, settings_creator(), log_level=logging.ERROR)
    deterministic: list[str | BlockingRuleCreator] = [block_on(*keys) for keys in _SURE]
    linker.training.estimate_probability_two_random_records_match(
        deterministic, recall=options.recall_of_deterministic_rules
    )
    # in chunks of about 2,000,000 pairs: the counts (and so u) are the same as in one pass, the
    # memory that of one chunk (one pass of 10,000,000 pairs took 3.5 GB on FEBRL4's 10,000 records)
    linker.training.estimate_u_using_random_sampling(
        max_pairs=options.u_max_pairs,
        seed=options.seed,
        min_count_per_level=None,
        num_chunks=max(1, math.ceil(options.u_max_pairs / _U_CHUNK_PAIRS)),
    )
    table = training_subset(features, options.max_training_records)
    if table.num_rows < features.num_rows:
        with_u: dict[str, Any] = linker.misc.save_model_to_json()
        part = backend.register(db_api, table, "__sp_training_subset")
        linker = Linker(part, with_u, log_level=logging.ERROR)
    for i, rule in enumerate(training_rules()):
        # The first session also re-estimates the prior odds from what EM found in its block: the
        # deterministic estimate above only starts EM off (its recall is a guess).
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule,
            fix_u_probabilities=True,
            populate_probability_two_random_records_match_from_trained_values=(i == 0),
        )
    model: dict[str, Any] = linker.misc.save_model_to_json()
    if table.num_rows < features.num_rows:
        # The prior odds learnt on the subset hold for the subset. For the whole table they are
        # scaled by how much denser near-certain duplicates (the deterministic rules) are there.
        dense_whole, dense_part = _sure_pair_density(features), _sure_pair_density(table)
        if dense_part > 0:
            model["probability_two_random_records_match"] *= dense_whole / dense_part
    return _canonical(model)


def _canonical(model: dict[str, Any]) -> dict[str, Any]:
    """The model without Splink's random linker id and with its probabilities to 10 significant
    digits: DuckDB's parallel sums differ in the last bits from run to run, the model must not."""
    model.pop("linker_uid", None)
    key = "probability_two_random_records_match"
    model[key] = float(f"{model[key]:.10g}")
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            for name in ("m_probability", "u_probability"):
                if isinstance(level.get(name), float):
                    level[name] = float(f"{level[name]:.10g}")
    return model


_U_CHUNK_PAIRS = 2e6

_SURE = (("given_sk", "family_sk", "father_sk", "by"), ("doc", "by"))


def _sure_pair_density(table: pa.Table) -> float:
    """Pairs agreeing on a deterministic rule, over all pairs of ``table``."""
    n = table.num_rows
    if n < 2:
        return 0.0
    pairs = 0
    for keys in _SURE:
        present = table.select(list(keys)).drop_null()
        counts: list[int] = (
            present.group_by(list(keys)).aggregate([([], "count_all")])["count_all"].to_pylist()
        )
        pairs += sum(c * (c - 1) // 2 for c in counts)
    total = float(n * (n - 1)) / 2.0
    return float(pairs) / total
