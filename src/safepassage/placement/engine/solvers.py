"""The solver protocol and its implementations: decomposition (default), plain MILP, greedy (fake).

HiGHS can run past its own time limit on large models (FIELD-NOTES), so a solver may run in a child
process with a hard deadline; the child reports every bound it proves, and when it is stopped the
parent still knows the best proven bound and falls back to the greedy solution.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import time
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from safepassage.placement.engine.decomposition import TypedProblem, TypedSolution
from safepassage.placement.engine.milp import solve_milp, trivial_bound
from safepassage.placement.engine.repair import _greedy_fill, solve_typed


class Solver(Protocol):
    """Places the types of a :class:`TypedProblem`; returns counts per type and region, and a bound."""

    @property
    def name(self) -> str: ...

    def solve(self, problem: TypedProblem, *, time_limit: float, gap_target: float) -> TypedSolution: ...


@dataclass(frozen=True)
class GreedySolver:
    """Best value first, each household to its best region that still fits. No optimality claim."""

    name: str = "greedy"

    def solve(self, problem: TypedProblem, *, time_limit: float, gap_target: float) -> TypedSolution:
        start = time.monotonic()
        assign = _greedy_fill(problem, problem.count.copy(), problem.capacity.astype(np.float64).copy())
        objective = float((assign * problem.value).sum())
        bound = max(trivial_bound(problem), objective)
        return TypedSolution(
            assign=assign,
            objective=objective,
            bound=bound,
            status="heuristic",
            lp_objective=float("nan"),
            capacity_duals=np.zeros_like(problem.capacity, dtype=np.float64),
            seconds=time.monotonic() - start,
            notes=("greedy: the bound ignores capacities",),
        )


def _child(out: Any, method: str, problem: TypedProblem, kwargs: dict[str, Any]) -> None:
    def progress(bound: float) -> None:
        out.put(("bound", bound))

    fn = solve_typed if method == "decomposition" else solve_milp
    out.put(("done", fn(problem, progress=progress, **kwargs)))


def run_with_deadline(
    method: str,
    problem: TypedProblem,
    *,
    time_limit: float,
    gap_target: float,
    deadline: float,
    threads: int = 1,
) -> tuple[TypedSolution | None, float | None]:
    """Run ``decomposition`` or ``milp`` in a child process killed at ``deadline`` seconds.

    Returns the solution (None when stopped) and the best bound the child reported.
    """
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    kwargs: dict[str, Any] = {"time_limit": time_limit, "gap_target": gap_target}
    if method == "decomposition":
        kwargs["threads"] = threads
    proc = ctx.Process(target=_child, args=(out, method, problem, kwargs), daemon=True)
    proc.start()
    best: float | None = None
    stop = time.monotonic() + deadline
    result: TypedSolution | None = None
    while True:
        try:
            kind, payload = out.get(timeout=max(0.05, min(1.0, stop - time.monotonic())))
        except queue.Empty:
            if time.monotonic() >= stop or not proc.is_alive():
                break
            continue
        if kind == "bound":
            best = payload if best is None else min(best, payload)
        else:
            result = payload
            break
    if proc.is_alive():
        proc.join(timeout=0.5 if result is not None else 0.0)
    if proc.is_alive():
        proc.kill()
    proc.join()
    return result, best


@dataclass(frozen=True)
class DecompositionSolver:
    """LP column generation + exact repair (HiGHS). ``isolate`` runs it in a child with a hard deadline."""

    threads: int = 1
    isolate: bool = False
    grace: float = 15.0
    name: str = "decomposition"

    def solve(self, problem: TypedProblem, *, time_limit: float, gap_target: float) -> TypedSolution:
        if not self.isolate:
            return solve_typed(problem, time_limit=time_limit, gap_target=gap_target, threads=self.threads)
        result, bound = run_with_deadline(
            "decomposition",
            problem,
            time_limit=time_limit,
            gap_target=gap_target,
            deadline=time_limit + self.grace,
            threads=self.threads,
        )
        if result is not None:
            return result
        fallback = GreedySolver().solve(problem, time_limit=time_limit, gap_target=gap_target)
        proven = bound if bound is not None else fallback.bound
        return TypedSolution(
            assign=fallback.assign,
            objective=fallback.objective,
            bound=max(proven, fallback.objective),
            status="deadline",
            lp_objective=float("nan"),
            capacity_duals=fallback.capacity_duals,
            seconds=time_limit + self.grace,
            notes=(
                "the solver was stopped at its hard deadline; greedy placement with the best bound it proved",
            ),
        )


@dataclass(frozen=True)
class MilpSolver:
    """The plain MILP (exact on small instances; the benchmark's comparison at large ones)."""

    isolate: bool = False
    grace: float = 15.0
    name: str = "milp"

    def solve(self, problem: TypedProblem, *, time_limit: float, gap_target: float) -> TypedSolution:
        if not self.isolate:
            return solve_milp(problem, time_limit=time_limit, gap_target=gap_target)
        result, bound = run_with_deadline(
            "milp", problem, time_limit=time_limit, gap_target=gap_target, deadline=time_limit + self.grace
        )
        if result is not None:
            return result
        empty = np.zeros_like(problem.value)
        return TypedSolution(
            assign=empty,
            objective=0.0,
            bound=bound if bound is not None else trivial_bound(problem),
            status="killed at hard deadline, no solution",
            lp_objective=float("nan"),
            capacity_duals=np.zeros_like(problem.capacity, dtype=np.float64),
            seconds=time_limit + self.grace,
        )
