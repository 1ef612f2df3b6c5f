"""Recall@1 and recall@10 of ``safepassage trace`` output against the generator's request truth.

.venv/bin/python bench/linking_engine/trace_recall.py DATA_DIR CANDIDATES.csv
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from pathlib import Path


def main() -> None:
    data, candidates = Path(sys.argv[1]), Path(sys.argv[2])
    with (data / "truth.csv").open(encoding="utf-8") as handle:
        entity = {row["record_id"]: row["entity_id"] for row in csv.DictReader(handle)}
    with (data / "requests_truth.csv").open(encoding="utf-8") as handle:
        sought = {row["request_id"]: row["entity_id"] for row in csv.DictReader(handle)}
    ranked: dict[str, list[str]] = defaultdict(list)
    with candidates.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            ranked[row["request_id"]].append(row["record_id"])
    hits1 = sum(1 for q, e in sought.items() if ranked[q][:1] and entity[ranked[q][0]] == e)
    hits10 = sum(1 for q, e in sought.items() if any(entity[r] == e for r in ranked[q][:10]))
    n = len(sought)
    print(f"requests {n}  recall@1 {hits1 / n:.4f}  recall@10 {hits10 / n:.4f}")


if __name__ == "__main__":
    main()
