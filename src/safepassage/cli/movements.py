"""``safepassage plan-movements``: the movement planner on CSV files, no database.

Reads GROUPS.csv, LEGS.csv and POLICY.toml (and, to re-plan, the previous assignments and who holds
a boarding pass), plans with the exact solver (or the greedy baseline), checks the plan with the
independent verifier, and writes assignments.csv, summary.json, problems.csv and changes.csv into
OUTDIR. Valid rows are planned even when others are rejected; exit code 2 says some were.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from safepassage.movements.planner import (
    GreedySolver,
    HighsSolver,
    Plan,
    PlanRejected,
    PreviousPlan,
    Problem,
    Solver,
    load_policy,
    plan_movements,
)
from safepassage.movements.planner.csvfiles import (
    FileRejected,
    RowProblem,
    read_assignments,
    read_boarded,
    read_groups,
    read_legs,
)
from safepassage.shared.errors import Invalid

console = Console()
err = Console(stderr=True)


class SolverName(StrEnum):
    HIGHS = "highs"
    GREEDY = "greedy"


def _fail(message: str, code: int) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


def _write_problems(out: Path, problems: list[RowProblem]) -> None:
    with (out / "problems.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "row", "column", "reason"])
        for p in problems:
            writer.writerow([p.file, p.row, p.column, p.reason])
    for p in problems[:50]:
        err.print(f"[yellow]rejected:[/yellow] {p}")
    if len(problems) > 50:
        err.print(f"... and {len(problems) - 50} more in {out / 'problems.csv'}")


def _write_assignments(out: Path, problem: Problem, plan: Plan) -> None:
    parts = defaultdict(list)
    for p in plan.placements:
        parts[p.group_id].append(p)
    with (out / "assignments.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["group_id", "leg_id", "persons", "infants", "stretchers"])
        for g in problem.groups:
            mine = parts.get(g.group_id, [])
            for p in mine:
                writer.writerow([g.group_id, p.leg_id, p.persons, p.infants, p.stretchers])
            left = (
                g.persons - sum(p.persons for p in mine),
                g.infants - sum(p.infants for p in mine),
                g.stretchers - sum(p.stretchers for p in mine),
            )
            if any(left):
                writer.writerow([g.group_id, "", *left])


def _write_changes(out: Path, plan: Plan) -> None:
    with (out / "changes.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["group_id", "previous_leg", "new_leg", "people", "reason"])
        for c in plan.changes:
            writer.writerow([c.group_id, c.previous_leg or "", c.new_leg or "", c.people, c.reason])


def summarise(problem: Problem, plan: Plan, rejected: int) -> dict[str, Any]:
    """What summary.json holds (also what the benchmark prints)."""
    tiers = problem.policy.ranks
    moved = {t: 0 for t in tiers}
    waiting = {t: 0 for t in tiers}
    tier_of = {g.group_id: g.tier for g in problem.groups}
    for g in problem.groups:
        waiting[g.tier] += g.people
    legs = {leg.leg_id: leg for leg in problem.legs}
    use: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for p in plan.placements:
        moved[tier_of[p.group_id]] += p.people
        u = use[p.leg_id]
        u[0] += 1
        u[1] += p.persons
        u[2] += p.infants
        u[3] += p.stretchers
        u[4] += p.baggage_kg
    gaps = [level.gap for level in plan.levels]
    tier_levels = plan.levels[: len(tiers)]
    tier_bound = [lv.bound for lv in tier_levels]
    people_bound = None if any(b is None for b in tier_bound) else sum(b for b in tier_bound if b is not None)
    people_moved = sum(moved.values())
    return {
        "operation": problem.policy.name,
        "solver": plan.solver,
        "outcome": plan.outcome.value,
        "solve_seconds": round(plan.solve_seconds, 3),
        "verified": True,
        "groups": {
            "planned": len(problem.groups),
            "rejected_rows": rejected,
            "moved": len(set(p.group_id for p in plan.placements)),
        },
        "people_moved_by_tier": {str(t): moved[t] for t in tiers},
        "people_waiting_by_tier": {str(t): waiting[t] for t in tiers},
        "people_moved": people_moved,
        "people_moved_bound": people_bound,
        "seats_used": int(sum(u[1] for u in use.values())),
        "seats_on_used_legs": int(sum(legs[lid].seats for lid in use)),
        "objective": [
            {
                "level": lv.name,
                "sense": lv.sense,
                "value": lv.value,
                "bound": lv.bound,
                "gap": lv.gap,
                "status": lv.status,
            }
            for lv in plan.levels
        ],
        "gap": None if any(g is None for g in gaps) else max((g for g in gaps if g is not None), default=0.0),
        "legs": [
            {
                "leg_id": lid,
                "groups": int(use[lid][0]),
                "seats": f"{int(use[lid][1])}/{legs[lid].seats}",
                "lap_places": f"{int(use[lid][2])}/{legs[lid].lap_places}",
                "stretcher_places": f"{int(use[lid][3])}/{legs[lid].stretcher_places}",
                "baggage_kg": f"{use[lid][4]:.1f}/{legs[lid].baggage_kg:g}",
            }
            for lid in sorted(use)
        ],
        "changes": len(plan.changes),
        "notes": list(plan.notes),
    }


def _print_summary(summary: dict[str, Any]) -> None:
    table = Table("tier", "people moved", "people waiting")
    for tier, moved in summary["people_moved_by_tier"].items():
        table.add_row(tier, str(moved), str(summary["people_waiting_by_tier"][tier]))
    console.print(table)
    levels = Table("level", "value", "bound", "gap", "status")
    for lv in summary["objective"]:
        gap = "-" if lv["gap"] is None else f"{100 * lv['gap']:.3f}%"
        bound = "-" if lv["bound"] is None else f"{lv['bound']:g}"
        levels.add_row(lv["level"], f"{lv['value']:g}", bound, gap, lv["status"])
    console.print(levels)
    console.print(
        f"{summary['solver']}: {summary['outcome']} in {summary['solve_seconds']:.1f} s; "
        f"seats used {summary['seats_used']}; changes {summary['changes']}"
    )
    for note in summary["notes"]:
        err.print(f"[yellow]note:[/yellow] {note}")


def register(app: typer.Typer) -> None:
    @app.command("plan-movements")
    def plan_movements_command(
        groups: Annotated[Path, typer.Option(help="GROUPS.csv: who waits where, by tier.")],
        legs: Annotated[Path, typer.Option(help="LEGS.csv: legs with their four capacities.")],
        policy: Annotated[Path, typer.Option(help="POLICY.toml: tiers, admission rules, solver settings.")],
        out: Annotated[Path, typer.Option(help="Directory to write the plan into (created if needed).")],
        solver: Annotated[
            SolverName, typer.Option(help="highs (exact, proves a gap) or greedy (priority-first baseline).")
        ] = SolverName.HIGHS,
        time_limit: Annotated[
            float | None, typer.Option(min=0.1, help="Seconds for the whole solve (default: the policy's).")
        ] = None,
        gap: Annotated[
            float | None,
            typer.Option(
                min=0.0, max=0.99, help="Relative gap that counts as proven (default: the policy's)."
            ),
        ] = None,
        threads: Annotated[
            int | None,
            typer.Option(min=1, max=64, help="Origin sites solved at once (default: the policy's)."),
        ] = None,
        previous: Annotated[
            Path | None,
            typer.Option(help="The accepted plan's assignments.csv: re-plan with minimal disruption."),
        ] = None,
        boarded: Annotated[
            Path | None, typer.Option(help="CSV with a group_id column: groups holding boarding passes.")
        ] = None,
    ) -> None:
        """Plan movements from CSV files: assignments.csv and summary.json in OUTDIR."""
        problems: list[RowProblem] = []
        try:
            the_policy = load_policy(policy)
            group_list, bad = read_groups(groups, the_policy.ranks)
            problems += bad
            leg_list, bad = read_legs(legs)
            problems += bad
            previous_plan = None
            if previous is not None:
                by_id = {g.group_id: g for g in group_list}
                placements, known, bad = read_assignments(previous, by_id)
                problems += bad
                holders: set[str] = set()
                if boarded is not None:
                    holders, bad = read_boarded(boarded)
                    problems += bad
                previous_plan = PreviousPlan(tuple(placements), frozenset(known), frozenset(holders))
            elif boarded is not None:
                raise _fail("--boarded needs --previous (the plan those boarding passes belong to)", 2)
        except FileRejected as exc:
            raise _fail(str(exc.problem), 2) from None
        except Invalid as exc:
            err.print(f"[red]error:[/red] {policy.name}: {exc.message}")
            for field_problem in exc.problems:
                err.print(f"  {field_problem.field}: {field_problem.reason}")
            raise typer.Exit(2) from None
        known_legs = {leg.leg_id for leg in leg_list}
        out.mkdir(parents=True, exist_ok=True)
        problem = Problem(tuple(group_list), tuple(leg_list), the_policy, previous_plan)
        engine: Solver = (
            GreedySolver()
            if solver == SolverName.GREEDY
            else HighsSolver(time_limit=time_limit, gap=gap, threads=threads)
        )
        if previous_plan is not None:
            for p in previous_plan.placements:
                if p.leg_id not in known_legs:
                    err.print(
                        f"[yellow]note:[/yellow] previous leg {p.leg_id} is not in {legs.name}: "
                        "treated as gone"
                    )
        try:
            plan = plan_movements(problem, engine)
        except PlanRejected as exc:
            for v in exc.violations[:20]:
                err.print(f"  {v}")
            raise _fail("the plan failed the independent check (a bug): nothing written", 1) from None
        _write_assignments(out, problem, plan)
        if previous_plan is not None:
            _write_changes(out, plan)
        summary = summarise(problem, plan, len({(p.file, p.row) for p in problems}))
        (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        _print_summary(summary)
        _write_problems(out, problems)
        if problems:
            rows = len({(p.file, p.row) for p in problems})
            err.print(f"[yellow]{rows} rows rejected[/yellow]: see {out / 'problems.csv'}")
            raise typer.Exit(2)
        console.print(f"plan written to {out}")
