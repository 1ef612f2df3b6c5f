"""Placement against the synthetic ground truth: batch and dynamic (weekly arrivals over a year).

The generator's truth (never seen by the model) scores every placement. Printed side by side:
- batch: our placement (model predictions) vs first-come-first-served vs proportional vs the
  hindsight optimum with the TRUTH (what an oracle would do): true expected employed adults;
- dynamic: the year's arrivals in weekly batches, each placed when it arrives (re-solved LP with a
  forecast of later arrivals), vs the hindsight optimum on the same arrivals (the whole year at once):
  objective ratio (target >= 99%), predicted and true outcome ratios; and a myopic weekly placement
  (each batch optimised alone, no forecast) for comparison.

    flock /tmp/sp-bench.lock .venv/bin/python bench/bench_placement_dynamic.py
    flock /tmp/sp-bench.lock .venv/bin/python bench/bench_placement_dynamic.py --per-week 100

Exit code 0 always; nothing is asserted.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from safepassage.placement import synthetic
from safepassage.placement.engine import (
    GradientBoostingModel,
    PlacementPolicy,
    build_instance,
    first_come_first_served,
    place,
    proportional,
    total,
)
from safepassage.placement.engine.dynamic import place_dynamic


def _regions_of(plan, region_ids):  # type: ignore[no-untyped-def]
    index = {rid: j for j, rid in enumerate(region_ids)}
    return np.array([index[p.region_id] if p.region_id else -1 for p in plan.proposals], dtype=np.int64)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weeks", type=int, default=52)
    ap.add_argument("--per-week", type=int, default=60)
    ap.add_argument("--regions", type=int, default=89)
    ap.add_argument("--history", type=int, default=20_000)
    ap.add_argument("--slack", type=float, default=1.05)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--pool", type=int, default=600, help="forecast households sampled per week")
    ap.add_argument("--now-bonus", type=float, default=0.0, help="value added to placing an arrival now")
    args = ap.parse_args()
    n = args.weeks * args.per_week

    regions, truth = synthetic.generate_regions(args.regions, seed=args.seed)
    households = synthetic.generate_households(n, regions, seed=args.seed + 1, weeks=args.weeks)
    regions = synthetic.size_capacities(regions, households, slack=args.slack, seed=args.seed)
    history = synthetic.generate_history(args.history, regions, truth, seed=args.seed + 2)
    model = GradientBoostingModel.fit(history, regions, seed=args.seed)
    scores = model.predict(households, regions)
    true = truth.expected(households, regions)
    ids = [r.region_id for r in regions]
    m = model.metrics
    print(
        f"{n} households over {args.weeks} weeks, {args.regions} regions; model AUC {m.auc:.3f}, ECE {m.ece:.4f}"  # noqa: E501
    )
    weight = 1.0 + float(max(scores.max(), true.max()))
    policy = PlacementPolicy(placement_weight=weight, time_limit=args.time_limit)

    print("\n== batch: true expected employed adults (the generator's truth) ==")
    t = time.monotonic()
    ours = place(households, regions, scores, policy)
    ours_r = _regions_of(ours, ids)
    ours_s = time.monotonic() - t
    oracle = place(households, regions, true, policy)
    oracle_r = _regions_of(oracle, ids)
    inst = build_instance(households, regions, scores, policy)
    rows = [
        ("ours (model)", ours_r, f"{ours_s:.1f} s, gap {ours.stats.gap:.4%}"),
        ("first come, first served", first_come_first_served(inst), ""),
        ("proportional", proportional(inst), ""),
        ("hindsight optimum (truth)", oracle_r, f"gap {oracle.stats.gap:.4%}"),
    ]
    best_true = total(true, oracle_r)
    print(f"{'method':<28} {'placed':>7} {'true outcome':>13} {'of oracle':>10} {'predicted':>10}")
    for name, r, note in rows:
        print(
            f"{name:<28} {int((r >= 0).sum()):>7d} {total(true, r):>13.1f} {total(true, r) / best_true:>10.1%} {total(scores, r):>10.1f}  {note}"  # noqa: E501
        )
    for name, r, _ in rows[1:3]:
        print(f"gain of ours over {name}: true {total(true, ours_r) / total(true, r) - 1:+.1%}")

    print("\n== dynamic: weekly batches vs the hindsight optimum on the same arrivals ==")
    batches = [[h for h in households if h.arrival_week == w] for w in range(1, args.weeks + 1)]
    offsets = np.cumsum([0] + [len(b) for b in batches])
    batch_scores = [scores[offsets[i] : offsets[i + 1]] for i in range(len(batches))]
    batch_true = [true[offsets[i] : offsets[i + 1]] for i in range(len(batches))]
    pool = [r.household for r in history]
    pool_scores = model.predict(pool, regions)
    pool_true = truth.expected(pool, regions)
    for label, bscores, pscores, matrix, hindsight in (
        ("model", batch_scores, pool_scores, scores, ours),
        ("truth", batch_true, pool_true, true, oracle),
    ):
        t = time.monotonic()
        dyn = place_dynamic(
            batches,
            bscores,
            regions,
            policy,
            forecast_pool=pool,
            forecast_scores=pscores,
            pool_size=args.pool,
        )
        dyn_s = time.monotonic() - t
        myopic = place_dynamic(
            batches, bscores, regions, policy, forecast_pool=pool, forecast_scores=pscores, pool_size=0
        )
        h_obj, h_bound = hindsight.stats.objective, hindsight.stats.bound
        h_r = _regions_of(hindsight, ids)
        print(f"-- optimising the {label} --")
        print(
            f"{'policy':<28} {'objective':>11} {'of hindsight':>13} {'of bound':>9} {'placed':>7} {'outcome':>9} {'true':>9}"  # noqa: E501
        )
        for name, obj, r in (
            ("dynamic (forecast)", dyn.objective, dyn.region),
            ("myopic weekly", myopic.objective, myopic.region),
            ("hindsight (whole year)", h_obj, h_r),
        ):
            print(
                f"{name:<28} {obj:>11.1f} {obj / h_obj:>13.2%} {obj / h_bound:>9.2%} {int((r >= 0).sum()):>7d} {total(matrix, r):>9.1f} {total(true, r):>9.1f}"  # noqa: E501
            )
        ratio_outcome = total(matrix, dyn.region) / total(matrix, h_r)
        print(
            f"dynamic: {dyn_s:.1f} s for {args.weeks} weeks; outcome ratio to hindsight {ratio_outcome:.2%}; "
            f"target >= 99% of the hindsight optimum: {'MET' if dyn.objective / h_obj >= 0.99 else 'NOT MET'} (objective)"  # noqa: E501
        )


if __name__ == "__main__":
    main()
