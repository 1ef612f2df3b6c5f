"""The exact solver: one HiGHS MILP per origin site, solved in child processes with hard deadlines.

HiGHS can run past its own time limit on large models (FIELD-NOTES), so with ``isolate`` (the
default) each origin's model runs in a child process that reports every level as soon as it is
proven; at the hard deadline the child is killed and the plan keeps what was proven. Origins are
independent sub-problems, so up to ``threads`` of them are solved at once. An origin that proves
nothing in time falls back to the greedy plan for its groups, and the plan says so.
"""

from __future__ import annotations

import math
import os
import pickle
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO

from safepassage.movements.planner.aggregate import Component, build_components, disaggregate
from safepassage.movements.planner.greedy import greedy_placements, priority_order
from safepassage.movements.planner.levels import LevelReport, solve_levels
from safepassage.movements.planner.milp import build, read_solution
from safepassage.movements.planner.model import Outcome, Placement, Plan, Problem
from safepassage.movements.planner.objective import EMPTY, evaluate, level_names
from safepassage.movements.planner.prepare import Prepared, prepare
from safepassage.movements.planner.results import finish_plan

GRACE_S = 2.0
COMBINE_S = 2.5  # kept back for reading the plans back and checking them (2-3 s at 10,000 groups)
STARTUP_S = 1.5  # a child interpreter importing numpy, scipy and highspy, before its clock starts


@dataclass
class _Run:
    component: Component
    reports: list[LevelReport] = field(default_factory=list)
    error: str | None = None
    killed: bool = False
    process: subprocess.Popen[bytes] | None = None
    reader: threading.Thread | None = None
    finished: threading.Event = field(default_factory=threading.Event)
    hard_deadline: float = 0.0


def _read(run: _Run, stream: IO[bytes]) -> None:
    """Collect the child's frames until it ends (runs in a thread per child)."""
    try:
        while True:
            message = pickle.load(stream)  # noqa: S301 - frames from the child we started
            if isinstance(message, LevelReport):
                run.reports.append(message)
            elif message == "done":
                break
            elif isinstance(message, str):
                run.error = message
                break
    except (EOFError, pickle.UnpicklingError, OSError):
        pass
    finally:
        run.finished.set()


def _child_env() -> dict[str, str]:
    """The child imports this very package, wherever it was imported from (a worktree, bench/)."""
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[3])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
    return env


class HighsSolver:
    """Exact lexicographic planner (HiGHS); ``time_limit``, ``gap``, ``threads`` and ``isolate``
    override the policy's solver settings when given."""

    name = "highs"

    def __init__(
        self,
        *,
        time_limit: float | None = None,
        gap: float | None = None,
        threads: int | None = None,
        isolate: bool | None = None,
    ) -> None:
        self.time_limit = time_limit
        self.gap = gap
        self.threads = threads
        self.isolate = isolate

    def solve(self, problem: Problem) -> Plan:
        started = time.perf_counter()
        clock = time.monotonic()
        settings = problem.policy.solver
        limit = self.time_limit if self.time_limit is not None else settings.time_limit_s
        gap = self.gap if self.gap is not None else settings.mip_rel_gap
        threads = self.threads if self.threads is not None else settings.threads
        isolate = self.isolate if self.isolate is not None else settings.isolate
        prep = prepare(problem)
        components = build_components(problem, prep)
        # largest first: each child gets a share of the time by the size of its model, and a small
        # origin started last still has its share. Smallest first (as before) made the two large
        # origins of the benchmark wait 9 s for the small ones
        runs = [_Run(c) for c in sorted(components, key=lambda c: -c.spec.size)]
        if isolate:
            # the time limit is the whole solve's: preparing the models and reading the plans back
            # count too (at 10,000 groups about 1.5 s and 1 s), so the children get what is left
            left = limit - (time.monotonic() - clock) - COMBINE_S
            _run_isolated(runs, max(left, 0.5), gap, threads)
        else:
            deadline = time.monotonic() + limit
            for run in runs:
                left = max(deadline - time.monotonic(), 0.01)
                solve_levels(
                    run.component.spec, time_limit=left, gap=gap, threads=threads, send=run.reports.append
                )
        return self._combine(problem, prep, runs, started)

    def _combine(self, problem: Problem, prep: Prepared, runs: list[_Run], started: float) -> Plan:
        names = level_names(problem)
        placements: list[Placement] = []
        bounds: dict[str, float | None] = {name: 0.0 for name, _ in names}
        statuses: dict[str, str] = {name: "optimal" for name, _ in names}
        notes: list[str] = []
        complete = True
        for run in runs:
            spec = run.component.spec
            proven = {r.name: r for r in run.reports}
            found: list[Placement] = list(run.component.pinned)
            if run.reports:
                model = build(spec)
                counts, parts = read_solution(spec, model, run.reports[-1].solution)
                found = disaggregate(problem, run.component, counts, parts)
            if len(run.reports) < len(names):
                # stopped early: keep what was reached, fill the rest greedily (tier order)
                ids = {g for members in run.component.members for g in members} | set(run.component.split_ids)
                held: dict[str, list[Placement]] = {}
                for p in found:
                    held.setdefault(p.group_id, []).append(p)
                cut = replace(prep, pinned={k: tuple(v) for k, v in held.items()})
                order = priority_order([prep.groups[gid] for gid in ids])
                found = [p for p in greedy_placements(cut, order) if p.group_id in ids or p.group_id in held]
                reached = run.reports[-1].name if run.reports else "nothing"
                notes.append(f"{spec.origin}: levels proven up to {reached}; the rest of its plan is greedy")
            placements.extend(found)
            if run.error:
                notes.append(f"{spec.origin}: solver error ({run.error})")
            if run.killed:
                notes.append(f"{spec.origin}: stopped at the hard deadline")
            # pinned groups are constants outside the model: add what they contribute to each level
            offsets = evaluate(problem, run.component.pinned)
            offsets[EMPTY] = -float(sum(p.persons for p in run.component.pinned))
            for name, _ in names:
                report = proven.get(name)
                if report is None or report.bound is None:
                    bounds[name] = None
                    statuses[name] = "not proven (time limit)"
                    complete = False
                    continue
                current = bounds[name]
                bounds[name] = None if current is None else current + report.bound + offsets[name]
                if report.status != "optimal":
                    statuses[name] = report.status
                    complete = False
        # groups of origins without a component (no open leg there) are simply not moved
        outcome = Outcome.OPTIMAL if complete else Outcome.TIME_LIMIT
        if not runs:
            bounds = {name: 0.0 for name, _ in names}
        return finish_plan(
            problem,
            placements,
            bounds=bounds,
            statuses=statuses,
            outcome=outcome,
            solver=self.name,
            seconds=time.perf_counter() - started,
            notes=tuple(notes),
        )


def _run_isolated(runs: list[_Run], limit: float, gap: float, slots: int) -> None:
    deadline = time.monotonic() + limit
    waiting = list(runs)
    active: list[_Run] = []
    env = _child_env()

    def start(run: _Run) -> None:
        now = time.monotonic()
        # a share of the time left in proportion to the square root of the model's size among those
        # not finished: the local search a tier level needs grows more slowly than the model (at
        # 10,000 groups it took 6, 11, 14 and 15 s at origins of 14,541 to 59,670 columns)
        pending = [run, *waiting, *active]
        weight = _weight(run) / sum(_weight(r) for r in pending)
        left = max(deadline - now - STARTUP_S, 0.5)
        budget = max(min(left, left * min(slots, len(pending)) * weight), 0.5)
        process = subprocess.Popen(
            [sys.executable, "-m", "safepassage.movements.planner.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        assert process.stdin is not None and process.stdout is not None
        pickle.dump((run.component.spec, budget, gap), process.stdin)
        process.stdin.close()
        run.process = process
        run.reader = threading.Thread(target=_read, args=(run, process.stdout), daemon=True)
        run.reader.start()
        # never past the solve's own deadline: an overrunning HiGHS in a re-plan
        # took the whole solve to 31.9 s of 30 (30.9 s with a 0.5 s grace); the plan keeps the levels reached
        run.hard_deadline = min(now + STARTUP_S + budget + max(GRACE_S, 0.1 * budget), deadline)
        active.append(run)

    try:
        while waiting or active:
            while waiting and len(active) < slots:
                start(waiting.pop(0))
            time.sleep(0.02)
            for run in list(active):
                if run.finished.is_set() or time.monotonic() > run.hard_deadline:
                    run.killed = not run.finished.is_set()
                    _stop(run)
                    active.remove(run)
    finally:  # interrupted (Ctrl-C, an error): no child outlives the solve
        for run in active:
            if run.process is not None and run.process.poll() is None:
                run.process.kill()


def _weight(run: _Run) -> float:
    return math.sqrt(run.component.spec.size + 1)


def _stop(run: _Run) -> None:
    process = run.process
    if process is None:
        return
    if process.poll() is None:
        try:
            process.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    if run.reader is not None:
        run.reader.join(timeout=5)
    if process.stdout is not None:
        process.stdout.close()
