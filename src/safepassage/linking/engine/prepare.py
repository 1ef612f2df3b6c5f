"""Records to comparable columns, in parallel for large lists.

Validation and feature derivation are pure Python (transliteration, phone parsing) and cost about
0.1 ms a record: a million records take a minute and a half on one core. Above
``parallel_above`` records the work is split into chunks handed to worker processes (forked, so the
records are not copied up front); results come back in input order, so the output is the same as
with one process.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from safepassage.linking.engine.features import feature_table, features_of
from safepassage.linking.engine.records import PersonRecord, Problem, validate_records

__all__ = ["Prepared", "prepare"]

_CHUNK = 50_000
_shared: dict[str, Any] = {}


@dataclass(frozen=True)
class Prepared:
    """The feature table of the valid records (sorted by record id), the problems found (by row)
    and the malformed records. Feature rows are built and turned into Arrow a chunk at a time, so a
    million of them never sit in memory as Python dicts."""

    table: pa.Table
    problems: list[Problem]
    malformed: list[PersonRecord]


def _chunk(
    records: Sequence[PersonRecord],
    rows: Sequence[int],
    known: Sequence[Problem],
    regions: tuple[str, ...],
) -> tuple[pa.Table, list[Problem], list[PersonRecord]]:
    checked = validate_records(records, rows=rows, known_problems=known, phone_regions=regions)
    table = feature_table([features_of(clean) for clean in checked.valid])
    return table, [p for p in checked.problems if p not in known], checked.malformed


def _work(start: int, stop: int) -> tuple[pa.Table, list[Problem], list[PersonRecord]]:
    return _chunk(
        _shared["records"][start:stop], _shared["rows"][start:stop], _shared["known"], _shared["regions"]
    )


def prepare(
    records: Sequence[PersonRecord],
    *,
    rows: Sequence[int] | None = None,
    known_problems: Sequence[Problem] = (),
    phone_regions: tuple[str, ...] = ("SY", "RU"),
    workers: int | None = None,
    parallel_above: int = 100_000,
    chunk: int = _CHUNK,
) -> Prepared:
    """Validate ``records`` and derive their features (see ``records.validate_records``)."""
    numbers = list(rows) if rows is not None else list(range(1, len(records) + 1))
    workers = workers or os.cpu_count() or 1
    can_fork = "fork" in multiprocessing.get_all_start_methods()
    # Repeated and empty ids are decided in order over the whole list, before splitting it.
    unique = validate_records(
        [PersonRecord(record_id=r.record_id, given_name="x") for r in records], rows=numbers
    )
    id_problems = [p for p in unique.problems if p.field == "record_id"]
    dropped = {p.row for p in id_problems}
    kept = [i for i, n in enumerate(numbers) if n not in dropped]
    kept_records = [records[i] for i in kept]
    kept_rows = [numbers[i] for i in kept]
    known = list(known_problems)
    bounds = [(i, min(i + chunk, len(kept_records))) for i in range(0, len(kept_records), chunk)]
    parts: list[tuple[pa.Table, list[Problem], list[PersonRecord]]]
    if len(records) <= parallel_above or workers < 2 or not can_fork or len(bounds) < 2:
        parts = [_chunk(kept_records[a:b], kept_rows[a:b], known, phone_regions) for a, b in bounds]
    else:
        _shared.update(records=kept_records, rows=kept_rows, known=known, regions=phone_regions)
        try:
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                parts = list(pool.map(_work, *zip(*bounds, strict=True)))
        finally:
            _shared.clear()
    tables = [table for table, _, _ in parts] or [feature_table([])]
    table = pa.concat_tables(tables).sort_by("unique_id")
    problems = id_problems + [p for p in known if p.row not in dropped]
    problems += [p for _, part, _ in parts for p in part]
    problems.sort(key=lambda p: (p.row, p.field))
    malformed = [record for _, _, part in parts for record in part]
    return Prepared(table, problems, malformed)
