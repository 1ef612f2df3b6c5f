"""``safepassage place`` and ``place-synthetic``: the placement engine from files, for a batch.

Thin: reads the three CSV files, trains the outcome model on the history, places, measures the two
baselines under the same constraints, writes placements.csv and report.json. Proposals only: nothing
is applied to anyone (a placement officer reviews them in the application).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from numpy.typing import NDArray
from rich.console import Console

from safepassage.placement import synthetic
from safepassage.placement.engine import (
    DecompositionSolver,
    GradientBoostingModel,
    GreedySolver,
    HistoryRecord,
    Household,
    MilpSolver,
    PlacementPlan,
    PlacementPolicy,
    Region,
    Solver,
    TieMode,
    build_instance,
    first_come_first_served,
    place,
    proportional,
    read_history,
    read_households,
    read_regions,
    total,
)
from safepassage.placement.engine.csvio import check_references
from safepassage.placement.engine.dynamic import place_dynamic
from safepassage.placement.engine.plan import plan_from_regions
from safepassage.placement.engine.report import build_report, write_placements, write_report

console = Console()
err = Console(stderr=True)


def _solver(name: str) -> Solver:
    if name == "milp":
        return MilpSolver(isolate=True)
    if name == "greedy":
        return GreedySolver()
    return DecompositionSolver(isolate=True)


def register(app: typer.Typer) -> None:
    @app.command("place")
    def place_command(
        households: Annotated[Path, typer.Option("--households", help="H.csv: the households to place.")],
        regions: Annotated[Path, typer.Option("--regions", help="R.csv: regions and their capacities.")],
        history: Annotated[Path, typer.Option("--history", help="X.csv: past placements with outcomes.")],
        out: Annotated[Path, typer.Option("--out", help="Directory for placements.csv and report.json.")],
        seed: Annotated[int, typer.Option("--seed", help="Seed of the model's data split and training.")] = 0,
        time_limit: Annotated[
            float,
            typer.Option("--time-limit", min=1.0, help="Seconds for the optimiser (hard deadline: +15 s)."),
        ] = 60.0,
        ties: Annotated[
            TieMode,
            typer.Option(
                "--ties", help="hard: a tied household goes to its tie region or nowhere; weighted: a bonus."
            ),
        ] = TieMode.HARD,
        tie_weight: Annotated[
            float, typer.Option("--tie-weight", min=0.0, help="Bonus for the tie region (weighted ties).")
        ] = 0.5,
        preference_weight: Annotated[
            float,
            typer.Option(
                "--preference-weight",
                min=0.0,
                help="Bonus for the first preference (halved for the second, ...).",
            ),
        ] = 0.1,
        min_fill: Annotated[
            float,
            typer.Option(
                "--min-fill",
                min=0.0,
                max=1.0,
                help="Each region gets at least this fraction of its fair share (by quota) of the arrivals.",
            ),
        ] = 0.0,
        official_language: Annotated[
            list[str] | None,
            typer.Option("--official-language", help="Language(s) that need no language course (repeat)."),
        ] = None,
        gap_target: Annotated[
            float, typer.Option("--gap-target", min=0.0, help="Relative gap to stop at.")
        ] = 0.001,
        solver: Annotated[
            str, typer.Option("--solver", help="decomposition (default), milp or greedy.")
        ] = "decomposition",
        dynamic: Annotated[
            bool,
            typer.Option(
                "--dynamic",
                help="Place week by week in arrival_week order, keeping capacity for later weeks.",
            ),
        ] = False,
    ) -> None:
        """Propose a region for every household: outcome model + optimiser, explained, with baselines."""
        if solver not in ("decomposition", "milp", "greedy"):
            err.print(f"[red]error:[/red] --solver must be decomposition, milp or greedy, not '{solver}'")
            raise typer.Exit(2)
        for path in (households, regions, history):
            if not path.is_file():
                err.print(f"[red]error:[/red] {path}: no such file")
                raise typer.Exit(2)
        policy = PlacementPolicy(
            ties=ties,
            tie_weight=tie_weight,
            preference_weight=preference_weight,
            official_languages=tuple(lang.lower() for lang in official_language or ["de"]),
            min_fill=min_fill,
            time_limit=time_limit,
            gap_target=gap_target,
            seed=seed,
        )
        reg = read_regions(regions)
        hh = read_households(households)
        hist = read_history(history, reg.records)
        problems = [*reg.problems, *hh.problems, *hist.problems]
        for problem in problems[:50]:
            err.print(f"[yellow]rejected:[/yellow] {problem}")
        if len(problems) > 50:
            err.print(f"... and {len(problems) - 50} more rejected rows (all listed in report.json)")
        if not reg.records:
            err.print("[red]error:[/red] no valid region: nothing can be placed")
            raise typer.Exit(2)
        try:
            model = GradientBoostingModel.fit(
                hist.records, reg.records, official_languages=policy.official_languages, seed=seed
            )
        except ValueError as exc:
            err.print(f"[red]error:[/red] the outcome model cannot be trained: {exc}")
            raise typer.Exit(2) from None
        scores = model.predict(hh.records, reg.records)
        plan = place(hh.records, reg.records, scores, policy, solver=_solver(solver))
        instance = build_instance(hh.records, reg.records, scores, policy)
        hindsight = None
        if dynamic:
            if any(h.arrival_week is None for h in hh.records):
                err.print("[red]error:[/red] --dynamic needs an arrival_week on every household")
                raise typer.Exit(2)
            hindsight = plan
            plan = _dynamic_plan(hh.records, reg.records, scores, policy, hist.records, model)
        weighted = policy.ties is TieMode.WEIGHTED
        baselines = {}
        for name, region in (
            ("first_come_first_served", first_come_first_served(instance, weighted_ties=weighted)),
            ("proportional", proportional(instance, weighted_ties=weighted)),
        ):
            placed = region >= 0
            baselines[name] = (
                total(instance.score, region),
                int(placed.sum()),
                int(instance.persons[placed].sum()),
            )
        if hindsight is not None:
            baselines["hindsight_optimum"] = (
                hindsight.expected_outcome,
                hindsight.placed_households,
                hindsight.placed_persons,
            )
        report = build_report(
            plan,
            policy=policy,
            metrics=model.metrics,
            baselines=baselines,
            rejected=[str(p) for p in problems],
            warnings=check_references(hh.records, reg.records),
        )
        out.mkdir(parents=True, exist_ok=True)
        write_placements(out / "placements.csv", plan)
        write_report(out / "report.json", report)
        s = plan.stats
        console.print(
            f"placed {plan.placed_households} of {len(plan.proposals)} households "
            f"({plan.placed_persons} persons); "
            f"expected employed adults {plan.expected_outcome:.1f}"
        )
        console.print(
            f"objective {s.objective:.2f}, proven bound {s.bound:.2f}, gap {s.gap:.4%} "
            f"({s.gap_outcome:.4%} of the outcome part), {s.status}"
        )
        m = model.metrics
        console.print(
            f"model on held-out history: AUC {m.auc:.3f}, Brier {m.brier:.4f}, calibration error {m.ece:.4f}"
        )
        for name, (outcome, placed_n, _) in baselines.items():
            g = report["baselines"][name]["gain_of_plan"]
            console.print(
                f"{name}: {outcome:.1f} expected ({placed_n} placed); gain of the plan {g:+.1%}"
                if g is not None
                else f"{name}: {outcome:.1f}"
            )
        console.print(f"written: {out / 'placements.csv'}, {out / 'report.json'}")
        if problems:
            raise typer.Exit(2)

    def _dynamic_plan(
        households: Sequence[Household],
        regions: Sequence[Region],
        scores: NDArray[np.float64],
        policy: PlacementPolicy,
        history: Sequence[HistoryRecord],
        model: GradientBoostingModel,
    ) -> PlacementPlan:
        start = time.monotonic()
        weeks = sorted({h.arrival_week or 0 for h in households})
        order = [[i for i, h in enumerate(households) if h.arrival_week == w] for w in weeks]
        pool = [r.household for r in history]
        result = place_dynamic(
            [[households[i] for i in idx] for idx in order],
            [scores[idx] for idx in order],
            regions,
            policy,
            forecast_pool=pool,
            forecast_scores=model.predict(pool, regions),
            expected_total=len(households),
        )
        by_id = dict(zip(result.household_ids, result.region, strict=True))
        region = np.array([by_id[h.household_id] for h in households], dtype=np.int64)
        instance = build_instance(households, regions, scores, policy)
        return plan_from_regions(instance, region, None, "dynamic", time.monotonic() - start)

    @app.command("place-synthetic")
    def place_synthetic(
        out: Annotated[Path, typer.Option("--out", help="Directory for H.csv, R.csv and X.csv.")],
        households: Annotated[int, typer.Option("--households", min=1, help="Households to place.")] = 2000,
        regions: Annotated[int, typer.Option("--regions", min=1, max=250, help="Regions.")] = 89,
        history: Annotated[
            int, typer.Option("--history", min=50, help="Past placements with outcomes.")
        ] = 20000,
        slack: Annotated[
            float,
            typer.Option("--slack", min=0.1, help="Capacity over the households' needs (1.05 = 5% spare)."),
        ] = 1.05,
        weeks: Annotated[
            int, typer.Option("--weeks", min=0, help="Add an arrival_week column over this many weeks.")
        ] = 0,
        seed: Annotated[int, typer.Option("--seed", help="Same seed, same files.")] = 1,
    ) -> None:
        """Write synthetic demo inputs with a known ground truth (never real people)."""
        region_list, truth = synthetic.generate_regions(regions, seed=seed)
        hh = synthetic.generate_households(households, region_list, seed=seed + 1, weeks=weeks)
        region_list = synthetic.size_capacities(region_list, hh, slack=slack, seed=seed)
        hist = synthetic.generate_history(history, region_list, truth, seed=seed + 2)
        out.mkdir(parents=True, exist_ok=True)
        synthetic.write_households(out / "H.csv", hh)
        synthetic.write_regions(out / "R.csv", region_list)
        synthetic.write_history(out / "X.csv", hist)
        console.print(
            f"written: {out / 'H.csv'} ({households}), {out / 'R.csv'} ({regions}), "
            f"{out / 'X.csv'} ({history})"
        )
