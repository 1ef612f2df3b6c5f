"""Batch linking: records in, clusters and explained pairs out.

``link(records, settings)`` validates the records, derives the comparable columns, trains the model
(or uses the one given), scores every blocked pair, clusters at the threshold with the chaining
guard, and explains each pair. Malformed rows come back as clusters of their own, with problems.

Nothing here merges anything: clusters are proposals for people to review (docs/code-style.md).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from splink import Linker, block_on

from safepassage.linking.engine.backends import Backend, DuckDBBackend
from safepassage.linking.engine.calibration import Calibration, calibrate_prior
from safepassage.linking.engine.clustering import cluster_pairs
from safepassage.linking.engine.explain import explain_table, level_names
from safepassage.linking.engine.features import feature_table
from safepassage.linking.engine.prepare import prepare
from safepassage.linking.engine.prior import prior_model, without_term_frequencies
from safepassage.linking.engine.records import PersonRecord, Problem
from safepassage.linking.engine.training import TrainingOptions, train_model

__all__ = ["TF_COLUMNS", "LinkResult", "LinkSettings", "feature_table", "link", "tf_columns"]

TF_COLUMNS = ("given_sk", "family_sk", "father_sk")
ID_COLUMNS = ("unique_id_l", "unique_id_r")


@dataclass(frozen=True)
class LinkSettings:
    """How to link.

    ``threshold``: match probability at or above which a pair joins a cluster. ``phone_regions``:
    numbering plans to read phones without a country code in (after the record's nationalities).
    ``pairs_floor``: pairs at or above this probability are returned (for review bands); it is
    never above ``threshold``.
    ``cannot_link_below``: pairs scored at or below this keep their groups apart (chaining guard).
    ``min_training_records``: below this many valid records the model is not trained; the prior
    model (without term-frequency adjustments: frequencies in a short list say nothing) or
    ``model`` is used. ``model``: a trained model (Splink JSON dict) to use as is.
    """

    threshold: float = 0.9
    pairs_floor: float = 0.5
    cannot_link_below: float = 0.8
    phone_regions: tuple[str, ...] = ("SY", "RU")
    min_training_records: int = 2000
    training: TrainingOptions = field(default_factory=TrainingOptions)
    model: dict[str, Any] | None = None


@dataclass(frozen=True)
class LinkResult:
    """``clusters``: record_id -> cluster_id for every record listed once (malformed ones alone).
    ``pairs``: scored pairs at or above the pairs floor with explanation columns (see ``explain``).
    ``trained``: whether the model was trained on these records (else the prior or given model).
    ``calibration``: for a trained model, its prior odds re-estimated on the scored pairs (see
    ``calibration``): how over-confident the probabilities are on this list. Reported, not used
    in the decision: a bar on calibrated probabilities held precision at 100,000 records but not
    at 1,000,000 (bench/RESULTS.md, 2026-11-23)."""

    clusters: dict[str, str]
    pairs: pa.Table
    problems: list[Problem]
    model: dict[str, Any]
    trained: bool
    malformed_ids: list[str]
    calibration: Calibration | None = None


def tf_columns(model: dict[str, Any]) -> list[str]:
    """The columns whose term frequencies the model uses (none for a model without adjustments)."""
    used = {
        str(level["tf_adjustment_column"])
        for comparison in model["comparisons"]
        for level in comparison["comparison_levels"]
        if level.get("tf_adjustment_column")
    }
    return [column for column in TF_COLUMNS if column in used]


def link(
    records: Sequence[PersonRecord],
    settings: LinkSettings | None = None,
    *,
    backend: Backend | None = None,
    rows: Sequence[int] | None = None,
    known_problems: Sequence[Problem] = (),
) -> LinkResult:
    """Link ``records`` (see module docstring). ``rows`` and ``known_problems`` carry row numbers
    and reading problems from a file; ``backend`` defaults to DuckDB in this process."""
    settings = settings or LinkSettings()
    backend = backend or DuckDBBackend()
    prepared = prepare(
        records, rows=rows, known_problems=known_problems, phone_regions=settings.phone_regions
    )
    features, problems, malformed = prepared.table, prepared.problems, prepared.malformed
    ids = [str(i) for i in features.column("unique_id").to_pylist()]
    trained = settings.model is None and len(ids) >= settings.min_training_records
    if settings.model is not None:
        model = settings.model
    elif trained:
        model = train_model(backend, features, settings.training)
    else:
        model = without_term_frequencies(prior_model())
    names = level_names(model)
    floor = min(settings.pairs_floor, settings.threshold)
    if len(ids) >= 2:
        scored, guard_pairs = _score(backend, features, model, floor, settings)
    else:
        scored, guard_pairs = None, []
    pair_triples: list[tuple[str, str, float]] = []
    if scored is not None:
        pair_triples = list(
            zip(
                scored.column("unique_id_l").to_pylist(),
                scored.column("unique_id_r").to_pylist(),
                scored.column("match_probability").to_pylist(),
                strict=True,
            )
        )
    clusters = cluster_pairs(
        ids,
        pair_triples + guard_pairs,
        threshold=settings.threshold,
        cannot_link_below=settings.cannot_link_below,
    )
    malformed_ids = [r.record_id.strip() for r in malformed]
    for rid in malformed_ids:
        clusters[rid] = rid
    calibration: Calibration | None = None
    if trained and scored is not None:
        calibration = calibrate_prior(
            scored.column("match_weight").to_numpy(zero_copy_only=False),
            float(model["probability_two_random_records_match"]),
            len(ids),
        )
    pairs = _explained(scored, names)
    return LinkResult(clusters, pairs, problems, model, trained, malformed_ids, calibration)


def _explained(scored: pa.Table | None, names: dict[str, dict[int, str]]) -> pa.Table:
    if scored is None or scored.num_rows == 0:
        empty = pa.table({"unique_id_l": pa.array([], pa.string()), "unique_id_r": pa.array([], pa.string())})
        for field_name in ("match_probability", "match_weight"):
            empty = empty.append_column(field_name, pa.array([], pa.float64()))
        table = empty
    else:
        table = scored
    explained = explain_table(table, names, id_columns=ID_COLUMNS)
    explained = explained.rename_columns(["record_id_l", "record_id_r", *explained.column_names[2:]])
    order = sorted(
        range(explained.num_rows),
        key=lambda i: (
            -explained["match_probability"][i].as_py(),
            explained["record_id_l"][i].as_py(),
            explained["record_id_r"][i].as_py(),
        ),
    )
    return explained.take(pa.array(order, pa.int64()))


def _score(
    backend: Backend, features: pa.Table, model: dict[str, Any], floor: float, settings: LinkSettings
) -> tuple[pa.Table, list[tuple[str, str, float]]]:
    """Blocked, scored pairs at or above ``floor``; then every pair inside each would-be cluster of
    three or more records (for the chaining guard)."""
    db_api = backend.db_api()
    splink_df = backend.register(db_api, features, "__sp_records")
    linker = Linker(splink_df, model, log_level=logging.ERROR)
    for column in tf_columns(model):
        linker.table_management.compute_tf_table(column)
    predictions = backend.to_arrow(
        linker.inference.predict(threshold_match_probability=floor, warning_mode="never")
    )
    triples = list(
        zip(
            predictions.column("unique_id_l").to_pylist(),
            predictions.column("unique_id_r").to_pylist(),
            predictions.column("match_probability").to_pylist(),
            strict=True,
        )
    )
    ids = features.column("unique_id").to_pylist()
    plain = cluster_pairs(ids, triples, threshold=settings.threshold, cannot_link_below=-1.0)
    sizes: dict[str, int] = {}
    for cluster in plain.values():
        sizes[cluster] = sizes.get(cluster, 0) + 1
    large = {rid: cluster for rid, cluster in plain.items() if sizes[cluster] >= 3}
    if not large:
        return predictions, []
    mask = pa.array([rid in large for rid in ids])
    subset = features.filter(mask)
    subset = subset.append_column(
        "comp", pa.array([large[rid] for rid in subset.column("unique_id").to_pylist()])
    )
    sub_df = backend.register(db_api, subset, "__sp_guard")
    within = backend.to_arrow(
        linker.inference.predict_within(
            sub_df, blocking_rules_to_generate_predictions=[block_on("comp")], warning_mode="never"
        )
    )
    guard = list(
        zip(
            within.column("unique_id_l").to_pylist(),
            within.column("unique_id_r").to_pylist(),
            within.column("match_probability").to_pylist(),
            strict=True,
        )
    )
    return predictions, guard
