"""Engine-only FEBRL4 check, in this process: precision, recall and F1 over pairs across the two files.

    flock /tmp/sp-bench.lock .venv/bin/python bench/linking_engine/febrl_eval.py /tmp/febrl --show 10

The FEBRL4 files are written into the directory first when they are not there. For tuning the
engine (no CLI, no baselines); bench/bench_febrl.py is the benchmark of record. With
``--show N`` it prints N missed pairs with their explanation ("not scored": never blocked, or vetoed
below the pairs floor).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.linking.febrl import entity_of, write_files  # noqa: E402

from safepassage.linking.engine.link import LinkSettings, link  # noqa: E402
from safepassage.linking.engine.records import read_records_csv  # noqa: E402


def _cross_pairs(groups: dict[str, list[str]], source: dict[str, str]) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for members in groups.values():
        for i, a in enumerate(sorted(members)):
            for b in sorted(members)[i + 1 :]:
                if source[a] != source[b]:
                    out.add((a, b))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data", type=Path, help="directory holding febrl4_batch.csv")
    parser.add_argument("--show", type=int, default=0)
    args = parser.parse_args()
    if not (args.data / "febrl4_batch.csv").exists():
        write_files(args.data)
    read = read_records_csv(args.data / "febrl4_batch.csv")
    records = {r.record_id: r for r in read.records}
    source = {r.record_id: r.source for r in read.records}
    start = time.perf_counter()
    settings = LinkSettings(pairs_floor=0.0001)
    result = link(read.records, settings, rows=read.rows, known_problems=read.problems)
    elapsed = time.perf_counter() - start
    clusters: dict[str, list[str]] = defaultdict(list)
    entities: dict[str, list[str]] = defaultdict(list)
    for rid, cluster in result.clusters.items():
        clusters[cluster].append(rid)
        entities[entity_of(rid)].append(rid)
    found, true = _cross_pairs(clusters, source), _cross_pairs(entities, source)
    tp = len(found & true)
    precision, recall = tp / max(1, len(found)), tp / max(1, len(true))
    f1 = 2 * precision * recall / max(1e-12, precision + recall)
    print(f"{elapsed:.1f} s  precision {precision:.4f}  recall {recall:.4f}  F1 {f1:.4f}")
    missed = sorted(true - found)
    print(f"missed {len(missed)}, false {len(found - true)}")
    pairs = {(p["record_id_l"], p["record_id_r"]): p for p in result.pairs.to_pylist()}
    random.Random(2).shuffle(missed)
    for a, b in missed[: args.show]:
        for rid in (a, b):
            r = records[rid]
            fields = (r.given_name, r.family_name, r.birth_date, r.birth_place, r.document_number)
            print("   ", " | ".join(fields))
        pair = pairs.get((a, b)) or pairs.get((b, a))
        print("    =>", f"{pair['match_probability']:.3f} {pair['explanation']}" if pair else "not scored")


if __name__ == "__main__":
    main()
