"""A prepared index of a registry: new registrations checked, tracing requests answered, no retraining.

``LinkIndex`` holds the registry's comparable columns in the backend with their term frequencies
computed once, and a trained model. A new record (or a batch of them) is compared only with the
registry records it shares a blocking key with, and scored with the model's parameters as they are:
the "possible duplicate of ..." check a clerk sees while registering someone.

Tracing (``trace``) takes what a relative can say about the person sought: names in any script,
some missing, an approximate birth year with a tolerance, a place, a relationship. Candidates are
records that share a name key with the request; they are ranked by the model's match weight over
the fields the request gives, with the birth year judged against the request's own tolerance
(inside it: a small bonus growing as the years get closer; outside: left out).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from splink import Linker
from splink.internals.realtime import compare_records

from safepassage.linking.engine.backends import Backend, DuckDBBackend
from safepassage.linking.engine.explain import explain_table, level_names
from safepassage.linking.engine.features import features_of
from safepassage.linking.engine.link import feature_table, tf_columns
from safepassage.linking.engine.model import blocking_rules
from safepassage.linking.engine.prepare import prepare
from safepassage.linking.engine.prior import prior_model, without_term_frequencies
from safepassage.linking.engine.records import PersonRecord, Problem, validate_records

__all__ = ["Candidate", "LinkIndex", "TracingRequest"]

_NEW = "new:"  # prefix of the ids of records scored against the index (kept apart from registry ids)
_TRACE_BATCH = 200  # requests scored together: bounds the candidate table in memory
_TRACE_FLOOR = -20.0  # match weight below which a candidate is not worth ranking (a relative, say)
# l is the request, r the registry. A request's year and tolerance bound the one-name rules.
_TRACE_RULES = [
    "l.k_given = r.k_given AND l.k_family = r.k_family",
    "l.k_given = r.k_given AND l.k_father = r.k_father",
    "l.k_family = r.k_family AND l.k_father = r.k_father",
    "l.k_given = r.k_given AND abs(l.k_year - r.k_year) <= l.k_tol",
    "l.k_family = r.k_family AND l.k_given IS NULL AND abs(l.k_year - r.k_year) <= l.k_tol",
    "l.k_given = r.k_given AND l.k_family IS NULL AND l.k_year IS NULL",
]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A registry record proposed for a new record or a tracing request, with the reasons.

    ``score`` ranks candidates: the match weight (bits of evidence) for tracing, the match
    probability for a new record. ``levels`` maps each field to the level it reached."""

    record_id: str
    score: float
    match_probability: float
    match_weight: float
    explanation: str
    levels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TracingRequest:
    """What a relative can tell about the person sought (any field may be empty)."""

    request_id: str
    given_name: str = ""
    father_name: str = ""
    family_name: str = ""
    sex: str = ""
    approx_birth_year: int | None = None
    age_tolerance_years: int = 3
    birth_place: str = ""
    relationship: str = ""


class LinkIndex:
    """The registry prepared for one-at-a-time checks and tracing (see module docstring).

    ``model`` defaults to the engine's prior model; term frequencies are counted in the registry
    (not at all below ``min_records_for_term_frequencies`` records)."""

    def __init__(
        self,
        records: Sequence[PersonRecord],
        model: dict[str, Any] | None = None,
        *,
        backend: Backend | None = None,
        phone_regions: tuple[str, ...] = ("SY", "RU"),
        min_records_for_term_frequencies: int = 2000,
    ) -> None:
        self.backend = backend or DuckDBBackend()
        self.phone_regions = phone_regions
        prepared = prepare(records, phone_regions=phone_regions)
        self.problems: list[Problem] = prepared.problems
        self.size = prepared.table.num_rows
        self.model = model or prior_model()
        if self.size < min_records_for_term_frequencies:  # a short list says nothing of name frequencies
            self.model = without_term_frequencies(self.model)
        self._names = level_names(self.model)
        self._db_api = self.backend.db_api()
        self._registry = self.backend.register(self._db_api, prepared.table, "__sp_registry")
        self._linker = Linker(self._registry, self.model, log_level=logging.ERROR)
        self._tf: dict[str, dict[str, float]] = {}
        for column in tf_columns(self.model):
            tf_table = self.backend.to_arrow(self._linker.table_management.compute_tf_table(column))
            self._tf[column] = dict(
                zip(
                    tf_table.column(column).to_pylist(),
                    tf_table.column(f"tf_{column}").to_pylist(),
                    strict=True,
                )
            )
        self._batches = 0
        self._fast = isinstance(self.backend, DuckDBBackend)
        digest = hashlib.sha256(json.dumps(self.model, sort_keys=True).encode()).hexdigest()[:16]
        self._cache_key = f"safepassage-new-record-{digest}"

    def _register_batch(self, rows: list[dict[str, Any]]) -> Any:
        self._batches += 1
        return self.backend.register(self._db_api, feature_table(rows), f"__sp_batch_{self._batches}")

    def _score(
        self,
        rows: list[dict[str, Any]],
        rules: Sequence[Any],
        *,
        keep: int | None = None,
        floor: float | None = None,
    ) -> pa.Table:
        """Score ``rows`` against the registry; with ``keep``, only each row's ``keep`` best candidates
        (by match weight) leave the backend."""
        if not rows or self.size == 0:
            return explain_table(_empty_predictions(), self._names, id_columns=("unique_id_l", "unique_id_r"))
        batch = self._register_batch(rows)
        predictions = self._linker.inference.predict_between(
            batch,
            self._registry,
            blocking_rules_to_generate_predictions=list(rules),
            threshold_match_weight=floor,
            warning_mode="never",
        )
        if keep is not None:
            # a Splink-made table name and an int: nothing from the user reaches this SQL
            window = "row_number() OVER (PARTITION BY unique_id_l ORDER BY match_weight DESC, unique_id_r)"
            ranked = f"SELECT *, {window} AS sp_rank FROM {predictions.physical_name}"  # noqa: S608
            sql = f"SELECT * FROM ({ranked}) WHERE sp_rank <= {int(keep)}"  # noqa: S608
            best = self._linker.misc.query_sql(sql)  # type: ignore[no-untyped-call]
            predictions.drop_table_from_database_and_remove_from_cache()
            predictions = best
        table = self.backend.to_arrow(predictions)
        predictions.drop_table_from_database_and_remove_from_cache()
        batch.drop_table_from_database_and_remove_from_cache(force_non_splink_table=True)
        if table.num_rows == 0:
            table = _empty_predictions()
        return explain_table(table, self._names, id_columns=("unique_id_l", "unique_id_r"))

    def score_new_records(
        self, records: Sequence[PersonRecord], *, min_probability: float = 0.5, top: int = 10
    ) -> dict[str, list[Candidate]]:
        """For each new record (by record_id), the registry records it may duplicate, most probable
        first, at or above ``min_probability``. Malformed new records get an empty list."""
        checked = validate_records(records, phone_regions=self.phone_regions)
        rows = []
        for clean in checked.valid:
            row = features_of(clean)
            row["unique_id"] = _NEW + str(row["unique_id"])
            rows.append(row)
        explained = self._score(rows, blocking_rules())
        found: dict[str, list[Candidate]] = {r.record_id.strip(): [] for r in records}
        for row in explained.to_pylist():
            if row["match_probability"] < min_probability:
                continue
            new_id, registry_id = _sides(row)
            found.setdefault(new_id, []).append(_candidate(row, registry_id, row["match_probability"]))
        return {k: sorted(v, key=lambda c: (-c.score, c.record_id))[:top] for k, v in found.items()}

    def score_new_record(
        self, record: PersonRecord, *, min_probability: float = 0.5, top: int = 10
    ) -> list[Candidate]:
        """The registry records a new registration may duplicate (see ``score_new_records``).

        On DuckDB this is the clerk's path, within a second at a million records: the blocking keys
        are looked up with one parameterised query, and the candidates scored with Splink's
        real-time comparison, whose SQL is generated once and reused."""
        if not self._fast:
            result = self.score_new_records([record], min_probability=min_probability, top=top)
            return result.get(record.record_id.strip(), [])
        checked = validate_records([record], phone_regions=self.phone_regions)
        if not checked.valid or self.size == 0:
            return []
        new = features_of(checked.valid[0])
        new["unique_id"] = _NEW + str(new["unique_id"])
        candidates = self._candidates(new)
        if candidates.num_rows == 0:
            return []
        for column, lookup in self._tf.items():
            new[f"tf_{column}"] = lookup.get(new[column])
            values = candidates.column(column).to_pylist()
            candidates = candidates.append_column(
                f"tf_{column}", pa.array([lookup.get(v) for v in values], pa.float64())
            )
        left = {name: new.get(name) for name in candidates.column_names}
        scored = compare_records(left, candidates, self.model, self._db_api, sql_cache_key=self._cache_key)
        table = self.backend.to_arrow(scored)
        scored.drop_table_from_database_and_remove_from_cache(force_non_splink_table=True)
        self._drop_compared()
        explained = explain_table(table, self._names, id_columns=("unique_id_l", "unique_id_r"))
        found = [
            _candidate(row, _sides(row)[1], row["match_probability"])
            for row in explained.to_pylist()
            if row["match_probability"] >= min_probability
        ]
        return sorted(found, key=lambda c: (-c.score, c.record_id))[:top]

    def _drop_compared(self) -> None:
        """Splink's real-time comparison leaves its two input tables behind: drop them."""
        connection = self._db_api._con
        names = connection.sql(
            "SELECT table_name, table_type FROM information_schema.tables "
            "WHERE table_name LIKE '__splink__compare_records_%'"
        ).fetchall()
        for name, kind in names:
            connection.execute(f'DROP {"VIEW" if kind == "VIEW" else "TABLE"} IF EXISTS "{name}"')

    def _candidates(self, new: dict[str, Any]) -> pa.Table:
        """Registry records sharing a blocking key with ``new`` (the model's own rules)."""
        clauses: list[str] = []
        params: list[Any] = []
        for rule in blocking_rules():
            if isinstance(rule, str):  # one-sided "l.a = r.b": the registry's b equals the new a
                left, right = re.findall(r"[lr]\.(\w+)", rule)
                pairs = [(right, new[left])]
            else:
                sql = rule.get_blocking_rule("duckdb").blocking_rule_sql
                pairs = [(column, new[column]) for column in re.findall(r'l\."?(\w+)"?\s*=', sql)]
            if all(value is not None for _, value in pairs):
                clauses.append("(" + " AND ".join(f'"{column}" = ?' for column, _ in pairs) + ")")
                params.extend(value for _, value in pairs)
        if not clauses:
            return pa.table({"unique_id": pa.array([], pa.string())})
        where = " OR ".join(clauses)
        sql = f"SELECT * FROM {self._registry.physical_name} WHERE {where}"  # noqa: S608 - values bound
        result: pa.Table = self._db_api._con.sql(sql, params=params).to_arrow_table()
        return result

    def trace(self, requests: Sequence[TracingRequest], *, top: int = 10) -> dict[str, list[Candidate]]:
        """Ranked candidates for each tracing request (by request_id), best first, at most ``top``."""
        rows: list[dict[str, Any]] = []
        wanted: dict[str, TracingRequest] = {}
        for request in requests:
            record = PersonRecord(
                record_id=request.request_id,
                given_name=request.given_name,
                father_name=request.father_name,
                family_name=request.family_name,
                sex=request.sex if request.sex in ("M", "F") else "",
                birth_place=request.birth_place,
            )
            checked = validate_records([record], phone_regions=self.phone_regions)
            if not checked.valid:  # neither a given nor a family name: nothing to look for
                continue
            row = features_of(checked.valid[0])
            row["unique_id"] = _NEW + request.request_id
            row["k_year"] = request.approx_birth_year
            row["k_tol"] = max(0, request.age_tolerance_years)
            rows.append(row)
            wanted[request.request_id] = request
        years = self._years()
        found: dict[str, list[Candidate]] = {r.request_id: [] for r in requests}
        explained_rows: list[dict[str, Any]] = []
        for start in range(0, len(rows), _TRACE_BATCH):
            batch = rows[start : start + _TRACE_BATCH]
            explained_rows += self._score(
                batch, _TRACE_RULES, keep=5 * top + 20, floor=_TRACE_FLOOR
            ).to_pylist()
        for row in explained_rows:
            request_id, registry_id = _sides(row)
            request = wanted[request_id]
            bonus, note = _age_term(request, years.get(registry_id))
            if bonus is None:
                continue
            score = round(row["match_weight"] + bonus, 3)
            candidate = _candidate(row, registry_id, score)
            if note:
                candidate = Candidate(
                    candidate.record_id,
                    candidate.score,
                    candidate.match_probability,
                    candidate.match_weight,
                    f"{note}; {candidate.explanation}" if candidate.explanation else note,
                    candidate.levels,
                )
            found[request_id].append(candidate)
        return {k: sorted(v, key=lambda c: (-c.score, c.record_id))[:top] for k, v in found.items()}

    def _years(self) -> dict[str, int | None]:
        if not hasattr(self, "_year_cache"):
            table = self.backend.to_arrow(self._registry)
            self._year_cache: dict[str, int | None] = dict(
                zip(table.column("unique_id").to_pylist(), table.column("by").to_pylist(), strict=True)
            )
        return self._year_cache


def _age_term(request: TracingRequest, year: int | None) -> tuple[float | None, str]:
    """Bonus (bits) for the birth year against the request's tolerance; None when outside it."""
    if request.approx_birth_year is None:
        return 0.0, ""
    if year is None:
        return 0.0, "age: not recorded"
    gap = abs(year - request.approx_birth_year)
    tolerance = max(0, request.age_tolerance_years)
    if gap > tolerance:
        return None, ""
    bonus = 3.0 * (1.0 - gap / (tolerance + 1))
    return bonus, f"age: born {year}, {gap} year(s) from the estimate (+{bonus:.1f})"


def _sides(row: dict[str, Any]) -> tuple[str, str]:
    left, right = str(row["unique_id_l"]), str(row["unique_id_r"])
    if left.startswith(_NEW):
        return left[len(_NEW) :], right
    return right[len(_NEW) :], left


def _candidate(row: dict[str, Any], record_id: str, score: float) -> Candidate:
    levels = {key[: -len("_level")]: value for key, value in row.items() if key.endswith("_level")}
    return Candidate(
        record_id, score, row["match_probability"], row["match_weight"], row["explanation"], levels
    )


def _empty_predictions() -> pa.Table:
    return pa.table(
        {
            "unique_id_l": pa.array([], pa.string()),
            "unique_id_r": pa.array([], pa.string()),
            "match_probability": pa.array([], pa.float64()),
            "match_weight": pa.array([], pa.float64()),
        }
    )
