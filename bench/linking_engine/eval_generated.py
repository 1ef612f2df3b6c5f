"""Engine-only quality and speed on the cross-script generator's data (bench/linking/generator.py).

    .venv/bin/python -m bench.linking.generator --records 100000 --out /tmp/lk100k
    flock /tmp/sp-bench.lock .venv/bin/python bench/linking_engine/eval_generated.py /tmp/lk100k

Links records.csv in this process (no CLI, no CSV writing), then prints pairwise precision, recall
and F1 from the clusters, false merges among relatives by relation, time and peak memory. For
tuning the engine; bench/bench_linking_crossscript.py is the benchmark of record.
"""

from __future__ import annotations

import argparse
import csv
import resource
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from safepassage.linking.engine.link import LinkSettings, link  # noqa: E402
from safepassage.linking.engine.records import read_records_csv  # noqa: E402


def _c2(n: int) -> int:
    return n * (n - 1) // 2


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data", type=Path)
    parser.add_argument("--threshold", type=float, default=0.9)
    parser.add_argument("--show", type=int, default=0, help="print this many missed and false pairs")
    parser.add_argument("--floor", type=float, default=0.5, help="lowest probability of the pairs kept")
    parser.add_argument("--apart", type=float, default=0.8, help="cannot-link bound of the chaining guard")
    parser.add_argument("--level", default="", help="show only missed pairs at this given-name level")
    args = parser.parse_args()
    start = time.perf_counter()
    read = read_records_csv(args.data / "records.csv")
    result = link(
        read.records,
        LinkSettings(threshold=args.threshold, pairs_floor=args.floor, cannot_link_below=args.apart),
        rows=read.rows,
        known_problems=read.problems,
    )
    elapsed = time.perf_counter() - start
    with (args.data / "truth.csv").open(encoding="utf-8") as handle:
        truth = {row["record_id"]: row["entity_id"] for row in csv.DictReader(handle)}
    clusters = result.clusters
    joint: Counter[tuple[str, str]] = Counter((clusters[r], truth[r]) for r in truth if r in clusters)
    per_cluster: Counter[str] = Counter(clusters[r] for r in truth if r in clusters)
    per_entity: Counter[str] = Counter(truth.values())
    tp = sum(_c2(n) for n in joint.values())
    found = sum(_c2(n) for n in per_cluster.values())
    true = sum(_c2(n) for n in per_entity.values())
    precision = tp / found if found else 1.0
    recall = tp / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    merged: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    with (args.data / "relations.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            counts = merged[row["relation"]]
            counts[1] += 1
            counts[0] += clusters.get(row["record_id_l"]) == clusters.get(row["record_id_r"])
    all_merged = sum(v[0] for v in merged.values())
    all_rel = sum(v[1] for v in merged.values())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"records {len(read.records)}  trained {result.trained}  {elapsed:.1f} s  peak {peak:.0f} MB")
    print(f"precision {precision:.4f}  recall {recall:.4f}  F1 {f1:.4f}  pairs found {found} true {true}")
    detail = "  ".join(f"{k} {v[0]}/{v[1]}" for k, v in sorted(merged.items()))
    print(f"relatives merged {all_merged}/{all_rel} = {all_merged / max(1, all_rel):.4%}  {detail}")
    if args.show:
        records = {r.record_id: r for r in read.records}
        pairs = {(p["record_id_l"], p["record_id_r"]): p for p in result.pairs.to_pylist()}
        by_entity: dict[str, list[str]] = defaultdict(list)
        for rid, ent in truth.items():
            by_entity[ent].append(rid)
        shown = 0
        levels: Counter[str] = Counter()
        for members in by_entity.values():
            for i, a in enumerate(sorted(members)):
                for b in sorted(members)[i + 1 :]:
                    if clusters[a] != clusters[b]:
                        p = pairs.get((a, b))
                        levels[
                            p["given_name_level"] + " / " + p["family_name_level"] if p else "not scored"
                        ] += 1
        for level, count in levels.most_common(25):
            print(f"{count:6d}  {level}")
        for members in by_entity.values():
            for i, a in enumerate(sorted(members)):
                for b in sorted(members)[i + 1 :]:
                    p = pairs.get((a, b))
                    wanted = p is not None and (not args.level or p["given_name_level"] == args.level)
                    if clusters[a] != clusters[b] and shown < args.show and wanted:
                        shown += 1
                        print(
                            "MISS", p["match_probability"] if p else "-", records[a], records[b], sep="\n  "
                        )
                        if p:
                            print("  ", p["explanation"])
        shown = 0
        for (a, b), p in pairs.items():
            if p["match_probability"] >= args.threshold and truth[a] != truth[b] and shown < args.show:
                shown += 1
                print(
                    "FALSE",
                    p["match_probability"],
                    records[a],
                    records[b],
                    "  " + p["explanation"],
                    sep="\n  ",
                )


if __name__ == "__main__":
    main()
