"""Family tracing: recall@1 and recall@10 of requests written as a relative would, on the cross-script
benchmark's data set (``bench/linking/generator.py``: registry records with ground truth, and tracing
requests with partial names in the requester's script and an approximate age), two rankings side by
side on the same prepared index in one run:

- **engine**: ``LinkIndex.trace`` alone (the request as written);
- **ours**: ``linking.ranking.trace_ranked`` (what ``safepassage trace`` and the tracing pages use):
  the request also read with the names swapped and without its given name, one line per person.

A request is a hit at k when a record of the sought person is among the first k lines. Breakdown by
what the request gives (a lone given name, given and family), by stated tolerance, by script.

    flock /tmp/sp-bench.lock .venv/bin/python bench/bench_tracing.py --records 100000
    .venv/bin/python bench/bench_tracing.py --data /tmp/sp-xs-100000-7   # a data set already made
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import _common as c  # noqa: E402

c.use_src_from_argv()


def _dataset(records: int, seed: int, requests: int, cache: Path) -> Path:
    from linking.generator import generate

    out = cache / f"sp-trace-{records}-{seed}-{requests}"
    if not (out / "manifest.json").exists():
        out.mkdir(parents=True, exist_ok=True)
        generate(out, records, seed, requests)
    return out


def _script(text: str) -> str:
    from safepassage.shared.text import detect_script

    return str(detect_script(text).value) if text else "none"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, help="A data set made by bench/linking/generator.py.")
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--requests", type=int, default=2_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--cache-dir", type=Path, default=Path(tempfile.gettempdir()))
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--src", help="Import safepassage from this src directory (a worktree).")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    from safepassage.linking.engine import LinkIndex, read_records_csv, read_requests_csv
    from safepassage.linking.ranking import trace_ranked

    print(f"machine: {c.machine_line()}")
    data = args.data or _dataset(args.records, args.seed, args.requests, args.cache_dir)
    registry = read_records_csv(data / "records.csv")
    requests, _ = read_requests_csv(data / "requests.csv")
    with (data / "truth.csv").open(encoding="utf-8") as handle:
        entity = {row["record_id"]: row["entity_id"] for row in csv.DictReader(handle)}
    with (data / "requests_truth.csv").open(encoding="utf-8") as handle:
        sought = {row["request_id"]: row["entity_id"] for row in csv.DictReader(handle)}
    print(f"data: {data} ({len(registry.records):,} records, {len(requests):,} requests)")
    t0 = time.perf_counter()
    index = LinkIndex(registry.records)
    print(f"index built in {time.perf_counter() - t0:.1f} s")
    by_id = {r.record_id: r for r in registry.records}

    def records_of(ids: Any) -> dict[str, Any]:
        return {i: by_id[i] for i in ids if i in by_id}

    rankers = {
        "engine": lambda: index.trace(requests, top=args.top),
        "ours": lambda: trace_ranked([index], requests, top=args.top, records_of=records_of),
    }
    figures: dict[str, Any] = {"data": str(data), "records": len(registry.records), "requests": len(requests)}
    for name, run in rankers.items():
        t = time.perf_counter()
        found = run()
        seconds = time.perf_counter() - t
        hits1 = hits10 = 0
        kinds: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for q in requests:
            e = sought[q.request_id]
            lines = [entity[x.record_id] for x in found.get(q.request_id, [])]
            h1 = bool(lines) and lines[0] == e
            h10 = e in lines[: args.top]
            hits1 += h1
            hits10 += h10
            what = (
                "lone given name"
                if not q.family_name
                else "lone family name"
                if not q.given_name
                else "given and family"
            )
            for kind in (
                what,
                "tolerance >= 3" if q.age_tolerance_years >= 3 else "tolerance < 3",
                "script " + _script(q.given_name or q.family_name),
            ):
                kinds[kind][0] += h10
                kinds[kind][1] += 1
        n = len(requests)
        print(f"\n{name:7} recall@1 {hits1 / n:.4f}  recall@{args.top} {hits10 / n:.4f}  ({seconds:.1f} s)")
        for kind in sorted(kinds):
            hit, total = kinds[kind]
            print(f"    {kind:22} recall@{args.top} {hit / total:.3f} ({total} requests)")
        figures[name] = {
            "recall1": round(hits1 / n, 4),
            "recall10": round(hits10 / n, 4),
            "seconds": round(seconds, 1),
            "by_kind": {k: {"recall10": round(h / t, 4), "requests": t} for k, (h, t) in kinds.items()},
        }
    print(f"\npeak RSS {_peak():.2f} GB")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


def _peak() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


if __name__ == "__main__":
    sys.exit(main())
