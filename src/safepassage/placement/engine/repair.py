"""From the LP's fractional solution to whole households: keep the integral part, repair the rest.

The repair MILP has one general-integer variable per leftover type and region where one household of
the type still fits; it is small however many households there are (the LP splits at most about one
household per binding capacity row). A greedy pass then places anyone still unplaced where capacity is
left (in dynamic mode, even into capacity the forecast had reserved: placing now beats a forecast).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import highspy
import numpy as np

from safepassage.placement.engine.decomposition import INF, FloatArray, TypedProblem, TypedSolution
from safepassage.placement.engine.lagrangian import solve_dual
from safepassage.placement.engine.milp import solve_milp
from safepassage.placement.engine.pricefix import solve_fixed_lp


def _fits(p: TypedProblem, residual: FloatArray) -> np.ndarray:
    """T x R: one household of type t fits region r's residual capacity (and is eligible there)."""
    ok = p.eligible.copy()
    for k in range(p.use.shape[1]):
        ok &= p.use[:, k][:, None] <= residual[:, k][None, :] + 1e-9
    return ok


def _repair_milp(
    p: TypedProblem, left: FloatArray, residual: FloatArray, need_min: FloatArray, time_limit: float
) -> FloatArray | None:
    fits = _fits(p, residual) & (left[:, None] > 0)
    t, r = np.nonzero(fits)
    if len(t) == 0:
        return np.zeros_like(p.value)
    if len(t) > 200_000 or time_limit < 0.2:
        return None
    types = np.unique(t)
    type_row = {int(v): i for i, v in enumerate(types)}
    n_regions, k_res = p.capacity.shape
    n_type_rows = len(types)
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", time_limit)
    h.setOptionValue("mip_rel_gap", 1e-6)
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 0)
    with_min = bool((need_min > 0).any())
    lo = [np.full(n_type_rows, -INF), np.full(n_regions * k_res, -INF)]
    up = [left[types], residual.reshape(-1)]
    if with_min:
        lo.append(need_min)
        up.append(np.full(n_regions, INF))
    low, upp = np.concatenate(lo), np.concatenate(up)
    h.addRows(
        len(low), low, upp, 0, np.zeros(len(low), dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros(0)
    )
    rows_t = np.array([type_row[int(v)] for v in t], dtype=np.int64)
    cols: list[np.ndarray] = [np.arange(len(t))]
    rows: list[np.ndarray] = [rows_t]
    vals: list[np.ndarray] = [np.ones(len(t))]
    for k in range(k_res):
        a = p.use[t, k]
        nz = np.flatnonzero(a > 0)
        cols.append(nz)
        rows.append(n_type_rows + r[nz] * k_res + k)
        vals.append(a[nz])
    if with_min:
        a = p.use[t, p.persons_col]
        nz = np.flatnonzero(a > 0)
        cols.append(nz)
        rows.append(n_type_rows + n_regions * k_res + r[nz])
        vals.append(a[nz])
    cid = np.concatenate(cols)
    order = np.argsort(cid, kind="stable")
    starts = np.concatenate([[0], np.cumsum(np.bincount(cid, minlength=len(t)))[:-1]]).astype(np.int32)
    h.addCols(
        len(t),
        p.value[t, r],
        np.zeros(len(t)),
        left[t].astype(np.float64),
        len(cid),
        starts,
        np.concatenate(rows)[order].astype(np.int32),
        np.concatenate(vals)[order],
    )
    h.changeColsIntegrality(
        len(t), np.arange(len(t), dtype=np.int32), np.full(len(t), highspy.HighsVarType.kInteger)
    )
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    h.run()
    status = h.getModelStatus()
    if (
        status not in (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kTimeLimit)
        or h.getInfo().primal_solution_status != 2
    ):
        return None
    y = np.rint(np.asarray(h.getSolution().col_value, dtype=np.float64))
    out = np.zeros_like(p.value)
    out[t, r] = np.maximum(y, 0.0)
    return out


def _greedy_fill(p: TypedProblem, left: FloatArray, residual: FloatArray) -> FloatArray:
    """Each leftover household, best value first, to its best region where it still fits."""
    out = np.zeros_like(p.value)
    order = np.argsort(-np.where(p.eligible, p.value, -np.inf).max(axis=1, initial=-np.inf), kind="stable")
    for t in order:
        while left[t] > 0.5:
            fits = p.eligible[t] & (p.use[t][None, :] <= residual + 1e-9).all(axis=1)
            if not fits.any():
                break
            r = int(np.argmax(np.where(fits, p.value[t], -np.inf)))
            out[t, r] += 1
            left[t] -= 1
            residual[r] -= p.use[t]
    return out


def solve_typed(
    p: TypedProblem,
    *,
    time_limit: float = 60.0,
    gap_target: float = 1e-3,
    threads: int = 1,
    exact_pairs: int = 150_000,
    release_forecast: bool = True,
    dual_share: float = 0.3,
    progress: Callable[[float], None] | None = None,
) -> TypedSolution:
    """Lagrangian prices, LP by column generation, integral part kept, split households repaired
    exactly, rest greedy. ``dual_share`` of the time limit at most goes to the Lagrangian prices."""
    start = time.monotonic()
    notes: list[str] = []
    seed = _greedy_fill(p, np.where(p.integral, p.count, 0.0), p.capacity.astype(np.float64).copy())
    # Lagrangian prices first (vectorised, no LP): a proven bound, and the prices that fix most types
    # for the LP (``pricefix.py``).
    dual = solve_dual(p, time_limit=dual_share * time_limit)
    if progress is not None:
        progress(dual.bound)
    lp = solve_fixed_lp(
        p,
        dual.prices,
        time_limit=time_limit * 0.85 - (time.monotonic() - start),
        gap_target=gap_target,
        threads=threads,
        initial_bound=dual.bound,
    )
    x, lp_obj, bound, y_cap, status = lp.x, lp.objective, lp.bound, lp.capacity_duals, lp.status
    if progress is not None:
        progress(bound)
    integral = p.integral[:, None]
    whole = np.where(integral, np.floor(x + 1e-6), x)
    left = np.where(p.integral, np.rint(p.count - whole.sum(axis=1)), 0.0)
    left = np.maximum(left, 0.0)
    residual = p.capacity - whole.T @ p.use
    placed_persons = whole.T @ p.use[:, p.persons_col]
    need_min = np.maximum(p.min_persons - placed_persons, 0.0)
    remaining = time_limit - (time.monotonic() - start)
    extra = _repair_milp(p, left, residual, need_min, min(remaining, max(5.0, 0.1 * time_limit)))
    if extra is None and (need_min > 0).any():
        notes.append("repair could not meet the minimum fill exactly; placed without it")
        extra = _repair_milp(p, left, residual, np.zeros_like(need_min), max(remaining * 0.5, 0.5))
    if extra is None:
        notes.append("repair MILP gave no solution in time; greedy repair used")
        extra = np.zeros_like(p.value)
    repaired = int(extra.sum())
    left = left - extra.sum(axis=1)
    residual = residual - extra.T @ p.use
    # Forecast capacity (fractional types) is released for anyone still unplaced now, unless the
    # caller keeps it (dynamic mode defers such households to the next batch instead).
    forecast_use = np.where(integral, 0.0, whole).T @ p.use
    greedy = _greedy_fill(p, left, residual + forecast_use if release_forecast else residual)
    repaired += int(greedy.sum())
    assign = whole + extra + greedy
    objective = float((assign * p.value).sum())
    seed_objective = float((seed * p.value).sum())
    if p.integral.all() and not (p.min_persons > 0).any() and seed_objective > objective:
        # The LP stopped too early to beat the greedy placement that seeded it: keep the greedy one
        # (only without fairness floors, which the greedy placement ignores).
        assign, objective = seed, seed_objective
        notes.append("the greedy seed beat the rounded LP (the LP stopped early): greedy placement kept")
    bound = max(bound, objective)
    remaining = time_limit - (time.monotonic() - start)
    pairs = int(p.eligible.sum())
    if (
        (bound - objective) > gap_target * abs(bound)
        and p.integral.all()
        and pairs <= exact_pairs
        and remaining > 1.0
    ):
        # Small instance: the LP splits a large share of households; finish with the exact MILP
        # from this placement, and keep whichever bound is tighter.
        exact = solve_milp(p, time_limit=remaining, gap_target=gap_target, start_assign=assign)
        if exact.objective > objective + 1e-9:
            assign, objective = exact.assign, exact.objective
            notes.append("finished by the exact MILP (small instance)")
        bound = max(min(bound, exact.bound), objective)
    if status != "optimal":
        notes.append(
            f"LP stopped ({status}) before its optimum: the bound is the best Lagrangian bound found"
        )
    return TypedSolution(
        assign=assign,
        objective=objective,
        bound=bound,
        status=status,
        lp_objective=lp_obj,
        capacity_duals=y_cap,
        rounds=lp.rounds,
        columns=lp.columns,
        repaired=repaired,
        seconds=time.monotonic() - start,
        notes=tuple(notes),
    )
