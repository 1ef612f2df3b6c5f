"""Quick quality and speed check of the linking engine on the tests' synthetic population.

    flock /tmp/sp-bench.lock .venv/bin/python bench/linking_engine/quick_eval.py [--families N]

Prints pairwise precision, recall, F1 (from clusters), the share of sibling pairs falsely merged,
time and peak memory. For tuning only: the benchmark proper is bench/bench_linking_crossscript.py.
"""

from __future__ import annotations

import argparse
import itertools
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.engines.linking.synthetic import population, records  # noqa: E402

from safepassage.linking.engine.link import LinkSettings, link  # noqa: E402


def pairs_of(groups: dict[str, list[str]]) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for members in groups.values():
        out.update(itertools.combinations(sorted(members), 2))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--families", type=int, default=2000)
    parser.add_argument("--threshold", type=float, default=0.9)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--prior", action="store_true", help="use the prior model (no training)")
    args = parser.parse_args()
    people = {p.person_id: p for p in population(args.families, args.seed)}
    recs, truth = records(args.families, args.seed)
    start = time.perf_counter()
    settings = LinkSettings(threshold=args.threshold, min_training_records=10**9 if args.prior else 2000)
    result = link(recs, settings)
    elapsed = time.perf_counter() - start
    true_groups: dict[str, list[str]] = defaultdict(list)
    for rid, pid in truth.items():
        true_groups[str(pid)].append(rid)
    found_groups: dict[str, list[str]] = defaultdict(list)
    for rid, cid in result.clusters.items():
        found_groups[cid].append(rid)
    true_pairs, found = pairs_of(true_groups), pairs_of(found_groups)
    tp = len(true_pairs & found)
    precision = tp / len(found) if found else 1.0
    recall = tp / len(true_pairs) if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    relatives = merged = 0
    for a, b in found | {p for p in itertools.combinations(sorted(truth), 2)} if len(truth) < 3000 else found:
        pa_, pb = people[truth[a]], people[truth[b]]
        if pa_.person_id != pb.person_id and pa_.family_id == pb.family_id:
            relatives += 1
            merged += (a, b) in found
    false_relatives = sum(
        1
        for a, b in found
        if truth[a] != truth[b] and people[truth[a]].family_id == people[truth[b]].family_id
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"records {len(recs)}  trained {result.trained}  time {elapsed:.1f}s  peak {peak:.0f} MB")
    print(f"precision {precision:.4f}  recall {recall:.4f}  F1 {f1:.4f}  false pairs {len(found) - tp}")
    print(f"false pairs between relatives {false_relatives}  scored pairs {result.pairs.num_rows}")
    del relatives, merged


if __name__ == "__main__":
    main()
