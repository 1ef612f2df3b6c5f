"""Where the engine loses recall on the generator's data: each missed true pair by its own score.

    flock /tmp/sp-bench.lock .venv/bin/python bench/linking_engine/missed_pairs.py /tmp/lk100k [--floor 0.01]

A true pair (two records of one person) is missed when its records end in different clusters. This
counts the missed pairs by where they were lost: not scored at or above ``--floor`` (never blocked,
or vetoed), scored below 0.5, scored between 0.5 and the threshold, or scored at or above the
threshold but held apart by the chaining guard; then the commonest name and date levels of the
scored ones, and of the false pairs at or above the threshold. For tuning; not a benchmark of record.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from safepassage.linking.engine.link import LinkSettings, link  # noqa: E402
from safepassage.linking.engine.records import read_records_csv  # noqa: E402

LEVELS = ["given_name_level", "family_name_level", "birth_date_level"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data", type=Path)
    parser.add_argument("--threshold", type=float, default=0.9)
    parser.add_argument("--apart", type=float, default=0.8)
    parser.add_argument("--floor", type=float, default=0.01)
    args = parser.parse_args()
    read = read_records_csv(args.data / "records.csv")
    start = time.perf_counter()
    settings = LinkSettings(threshold=args.threshold, pairs_floor=args.floor, cannot_link_below=args.apart)
    result = link(read.records, settings, rows=read.rows, known_problems=read.problems)
    elapsed = time.perf_counter() - start
    with (args.data / "truth.csv").open(encoding="utf-8") as handle:
        truth = {row["record_id"]: row["entity_id"] for row in csv.DictReader(handle)}
    clusters = result.clusters
    columns = ["record_id_l", "record_id_r", "match_probability", *LEVELS]
    pairs = {(p["record_id_l"], p["record_id_r"]): p for p in result.pairs.select(columns).to_pylist()}
    by_entity: dict[str, list[str]] = defaultdict(list)
    for rid, entity in truth.items():
        by_entity[entity].append(rid)
    where: Counter[str] = Counter()
    levels: Counter[str] = Counter()
    true_pairs = 0
    for members in by_entity.values():
        members.sort()
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                true_pairs += 1
                if clusters.get(a) == clusters.get(b):
                    continue
                pair = pairs.get((a, b))
                if pair is None:
                    where[f"not scored at or above {args.floor}"] += 1
                    continue
                p = pair["match_probability"]
                band = "below 0.5" if p < 0.5 else "0.5 to threshold" if p < args.threshold else "held apart"
                where[band] += 1
                if band != "held apart":
                    levels[f"{band}: " + " / ".join(pair[c] for c in LEVELS)] += 1
    missed = sum(where.values())
    print(f"{elapsed:.1f} s; {true_pairs} true pairs, {missed} missed")
    for band, count in where.most_common():
        print(f"{count:8d}  {count / max(1, missed):6.1%}  {band}")
    for level, count in levels.most_common(20):
        print(f"{count:8d}  {level}")
    false: Counter[str] = Counter()
    for (a, b), pair in pairs.items():
        if pair["match_probability"] >= args.threshold and truth.get(a) != truth.get(b):
            false[" / ".join(pair[c] for c in LEVELS)] += 1
    print("false pairs at or above the threshold, by level:")
    for level, count in false.most_common(10):
        print(f"{count:8d}  {level}")


if __name__ == "__main__":
    main()
