"""The plain MILP over type-region pairs: exact on small instances, the benchmark's comparison at large."""

from __future__ import annotations

import time
from typing import Any

import highspy
import numpy as np

from safepassage.placement.engine.decomposition import INF, TypedProblem, TypedSolution, _column_entries


def trivial_bound(p: TypedProblem) -> float:
    """Every household at its best eligible region, capacities ignored: a bound any solver may quote."""
    best = np.where(p.eligible, p.value, -np.inf).max(axis=1, initial=-np.inf)
    return float(p.count @ np.maximum(best, 0.0))


def solve_milp(
    p: TypedProblem,
    *,
    time_limit: float,
    gap_target: float,
    progress: Any = None,
    start_assign: np.ndarray | None = None,
) -> TypedSolution:
    """The plain MILP: one integer variable per eligible type-region pair, solved by HiGHS directly.

    ``start_assign`` (a feasible placement) is given to HiGHS as its first incumbent.
    """
    began = time.monotonic()
    t, r = np.nonzero(p.eligible)
    n_types = len(p.count)
    n_regions, k_res = p.capacity.shape
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", float(gap_target))
    h.setOptionValue("random_seed", 0)
    with_min = bool((p.min_persons > 0).any())
    lo = [np.full(n_types, -INF), np.full(n_regions * k_res, -INF)]
    up = [p.count.astype(np.float64), p.capacity.reshape(-1).astype(np.float64)]
    if with_min:
        lo.append(p.min_persons)
        up.append(np.full(n_regions, INF))
    low, upp = np.concatenate(lo), np.concatenate(up)
    h.addRows(
        len(low), low, upp, 0, np.zeros(len(low), dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros(0)
    )
    starts, idx, vals = _column_entries(p, t.astype(np.int64), r.astype(np.int64), with_min)
    h.addCols(
        len(t), p.value[t, r], np.zeros(len(t)), p.count[t].astype(np.float64), len(idx), starts, idx, vals
    )
    integral = np.flatnonzero(p.integral[t]).astype(np.int32)
    h.changeColsIntegrality(len(integral), integral, np.full(len(integral), highspy.HighsVarType.kInteger))
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    if start_assign is not None:
        start = highspy.HighsSolution()
        start.col_value = list(start_assign[t, r].astype(np.float64))
        start.value_valid = True
        h.setSolution(start)
    h.run()
    info = h.getInfo()
    assign = np.zeros_like(p.value)
    has_solution = info.primal_solution_status == 2
    if has_solution:
        assign[t, r] = np.maximum(np.rint(np.asarray(h.getSolution().col_value)), 0.0)
    bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else trivial_bound(p)
    status = str(h.getModelStatus()).split(".")[-1].removeprefix("k").lower()
    return TypedSolution(
        assign=assign,
        objective=float((assign * p.value).sum()),
        bound=bound,
        status=status if has_solution else f"{status}, no feasible solution",
        lp_objective=float("nan"),
        capacity_duals=np.zeros_like(p.capacity, dtype=np.float64),
        seconds=time.monotonic() - began,
    )
