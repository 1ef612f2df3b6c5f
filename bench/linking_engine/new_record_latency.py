"""Latency of checking one new registration against a prepared registry (``LinkIndex``).

    flock /tmp/sp-bench.lock .venv/bin/python bench/linking_engine/new_record_latency.py \
        RECORDS.csv [--checks 50]

Builds the index from RECORDS.csv (the cross-script generator's records), then checks ``--checks``
new registrations one at a time: copies of registry records (half of them written in another
script by the generator already, so real duplicates) under new ids. Prints the build time, the
median and 95th percentile of one check, and how often the copied record came back first.
Target (issue 4): one check within 1 s at 1,000,000 persons.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from safepassage.linking.engine import LinkIndex, read_records_csv  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("records", type=Path)
    parser.add_argument("--checks", type=int, default=50)
    args = parser.parse_args()
    read = read_records_csv(args.records)
    start = time.perf_counter()
    index = LinkIndex(read.records)
    built = time.perf_counter() - start
    rng = random.Random(11)
    sample = rng.sample(read.records, args.checks)
    times: list[float] = []
    first = 0
    index.score_new_record(replace(sample[0], record_id="warm-up"))
    for i, record in enumerate(sample):
        new = replace(record, record_id=f"new-{i}", phone="")
        began = time.perf_counter()
        found = index.score_new_record(new)
        times.append(time.perf_counter() - began)
        first += bool(found) and found[0].record_id == record.record_id
    times.sort()
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    print(f"registry {index.size:,} records; index built in {built:.1f} s; peak RSS {peak:.2f} GB")
    print(
        f"one check: median {statistics.median(times) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms "
        f"(target 1 s: {'met' if p95 <= 1.0 else 'not met'}); the record itself ranked first in "
        f"{first}/{len(sample)}"
    )


if __name__ == "__main__":
    main()
