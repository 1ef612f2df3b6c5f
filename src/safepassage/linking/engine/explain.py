"""Every scored pair explains itself: which fields agreed, at which level, with what weight.

Splink returns, per comparison, the level reached (``gamma_<field>``, a number) and its weight
(``mw_<field>``, log2 of m/u, plus ``mw_tf_adj_<field>`` for a term-frequency adjustment). Here they
become readable columns: ``<field>_level`` (the level's label, e.g. "same consonants, Arabic
script") and ``<field>_weight`` (the field's total weight in bits, positive for evidence of the same
person), and one ``explanation`` text listing the fields by weight, strongest first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from safepassage.linking.engine.model import COMPARISON_LABELS

__all__ = ["FieldEvidence", "LevelNames", "explain_table", "explanation_text", "level_names"]

LevelNames = dict[str, dict[int, str]]


@dataclass(frozen=True, slots=True)
class FieldEvidence:
    """One field's part in a pair's score."""

    field: str
    level: str
    weight: float


def level_names(model: Mapping[str, Any]) -> LevelNames:
    """Level labels by comparison and comparison-vector value, from a trained model's JSON dict
    (null levels are -1; the others count down from the most alike, as Splink numbers them)."""
    names: LevelNames = {}
    for comparison in model["comparisons"]:
        levels = comparison["comparison_levels"]
        counter = sum(1 for level in levels if not level.get("is_null_level")) - 1
        table: dict[int, str] = {}
        for level in levels:
            label = str(level.get("label_for_charts") or level["sql_condition"])
            if level.get("is_null_level"):
                table[-1] = label
            else:
                table[counter] = label
                counter -= 1
        names[comparison["output_column_name"]] = table
    return names


def explanation_text(evidence: Sequence[FieldEvidence]) -> str:
    """``given name: same spelling (+7.1); birth date: one year apart (+1.2); ...`` strongest first;
    fields not given on either side are left out."""
    shown = [e for e in evidence if e.level != "not given"]
    shown.sort(key=lambda e: (-abs(e.weight), e.field))
    return "; ".join(f"{COMPARISON_LABELS.get(e.field, e.field)}: {e.level} ({e.weight:+.1f})" for e in shown)


def _column(table: pa.Table, name: str) -> list[Any]:
    return table.column(name).to_pylist() if name in table.column_names else [None] * table.num_rows


def explain_table(predictions: pa.Table, names: LevelNames, *, id_columns: Sequence[str]) -> pa.Table:
    """Readable pairs: ``id_columns`` and ``match_probability`` from Splink's output (rounded to 6
    places so that runs agree to the digit), then ``match_weight``, ``<field>_level``,
    ``<field>_weight`` per comparison and ``explanation``."""
    columns: dict[str, list[Any]] = {name: predictions.column(name).to_pylist() for name in id_columns}
    columns["match_probability"] = [round(p, 6) for p in predictions.column("match_probability").to_pylist()]
    columns["match_weight"] = [round(w, 3) for w in predictions.column("match_weight").to_pylist()]
    parts: list[list[tuple[float, str, str]]] = [[] for _ in range(predictions.num_rows)]
    for field, labels in names.items():
        gammas = _column(predictions, f"gamma_{field}")
        weights = _column(predictions, f"mw_{field}")
        adjustments = _column(predictions, f"mw_tf_adj_{field}")
        shown = COMPARISON_LABELS.get(field, field)
        level_column = [labels.get(int(g), "?") if g is not None else "?" for g in gammas]
        weight_column = [
            round(float(w or 0.0) + float(a or 0.0), 3) for w, a in zip(weights, adjustments, strict=True)
        ]
        for i, (label, weight) in enumerate(zip(level_column, weight_column, strict=True)):
            if label != "not given":
                parts[i].append((-abs(weight), shown, f"{shown}: {label} ({weight:+.1f})"))
        columns[f"{field}_level"] = level_column
        columns[f"{field}_weight"] = weight_column
    columns["explanation"] = ["; ".join(text for _, _, text in sorted(row)) for row in parts]
    return pa.table(columns)
