"""Rounding the LP by a MILP over its neighbourhood: the split types and the types that could move.

Keeping the LP's integral part and placing only the split households into what it leaves moves
nobody, and what it leaves is in crumbs (a few persons of quota here, a school place there): at
20,000 households that lost 0.25 % of the objective. Under the LP's duals every type's options
(each eligible region's reduced value ``value - use . y``, and 0 for staying unplaced) show which
types are settled: one whose best option beats its second by a clear lead stays where the LP put it
in any good integral plan. The types whose best options (nearly) tie are the ones an integral plan
can trade: these, with every type the LP splits, are *freed*. Each freed type gets a general-integer
column for each region within ``window`` of its best option (and wherever the LP placed it); every
other type keeps its LP placement, which is integral. HiGHS then solves this small MILP over the
capacity the kept placements leave, from the LP's rounded-down placement as its start.

The MILP is restricted, never relaxed: whatever it returns is feasible for every capacity, and the
bound stays the one the LP proved. The freed set grows with ``budget`` (columns), not with the number
of households.
"""

from __future__ import annotations

import highspy
import numpy as np

from safepassage.placement.engine.columns import Entries, add_columns, capacity_entries
from safepassage.placement.engine.decomposition import INF, BoolArray, FloatArray, TypedProblem
from safepassage.placement.engine.lagrangian import priced


def _lead(reduced: FloatArray) -> FloatArray:
    """Per type: its best option's lead over the second (options: eligible regions and unplaced)."""
    n_types, n_regions = reduced.shape
    options = np.concatenate(
        [np.where(np.isfinite(reduced), reduced, -1e300), np.zeros((n_types, 1))], axis=1
    )
    two = -np.partition(-options, 1, axis=1)[:, :2] if n_regions > 0 else np.zeros((n_types, 2))
    return np.asarray(two[:, 0] - two[:, 1], dtype=np.float64)


def freed_types(
    p: TypedProblem, x: FloatArray, y_cap: FloatArray, *, budget: int, window: float
) -> tuple[BoolArray, BoolArray]:
    """Which types the MILP frees, and the columns (T x R) it gives them.

    Every integral type the LP splits is freed; then the others by how small their lead is, until
    the columns reach ``budget``. Types with forecast (fractional) counts are never freed.
    """
    reduced = priced(p, y_cap, None)
    whole = np.floor(x + 1e-6)
    split = p.integral & ((x - whole) > 1e-6).any(axis=1)
    top = np.maximum(reduced.max(axis=1, initial=-np.inf), 0.0)
    near = (np.isfinite(reduced) & (reduced >= (top - window)[:, None])) | (x > 1e-6)
    near &= p.eligible
    lead = _lead(reduced)
    lead[split] = -1.0
    lead[~p.integral | ~near.any(axis=1)] = np.inf
    order = np.argsort(lead, kind="stable")
    order = order[np.isfinite(lead[order])]
    used = np.cumsum(near[order].sum(axis=1))
    m = max(int(np.searchsorted(used, budget, side="right")), int(split.sum()))
    free = np.zeros(len(p.count), dtype=bool)
    free[order[:m]] = True
    return free, near & free[:, None]


def round_by_neighbourhood(
    p: TypedProblem,
    x: FloatArray,
    y_cap: FloatArray,
    *,
    time_limit: float,
    abs_gap: float,
    enough: float = np.inf,
    need_min: bool = True,
    budget: int = 3000,
    window: float = 0.05,
) -> FloatArray | None:
    """An integral placement (forecast types keep their LP values) or None if HiGHS found none.

    ``abs_gap``: HiGHS stops once its solution is within this of its own bound (in objective units),
    or once the whole placement's objective reaches ``enough``.
    ``need_min``: keep the minimum-fill rows (else they are dropped, for when they cannot be met).
    """
    free, cols = freed_types(p, x, y_cap, budget=budget, window=window)
    kept = np.where(free[:, None], 0.0, np.where(p.integral[:, None], np.floor(x + 1e-6), x))
    residual = p.capacity - kept.T @ p.use
    short = np.maximum(p.min_persons - kept.T @ p.use[:, p.persons_col], 0.0) if need_min else None
    t, r = np.nonzero(cols)
    if len(t) == 0:
        return kept
    types = np.flatnonzero(free)
    type_row = np.full(len(p.count), -1, dtype=np.int64)
    type_row[types] = np.arange(len(types))
    n_regions, k_res = p.capacity.shape
    with_min = short is not None and bool((short > 0).any())
    lo = [np.full(len(types), -INF), np.full(n_regions * k_res, -INF)]
    up = [p.count[types].astype(np.float64), np.maximum(residual.reshape(-1), 0.0)]
    if with_min and short is not None:
        lo.append(short)
        up.append(np.full(n_regions, INF))
    low, upp = np.concatenate(lo), np.concatenate(up)
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", max(time_limit, 0.1))
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", max(abs_gap, 1e-6))
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 0)
    no_entries = np.zeros(0, dtype=np.int32)
    h.addRows(len(low), low, upp, 0, np.zeros(len(low), dtype=np.int32), no_entries, np.zeros(0))
    entries: list[Entries] = [(np.arange(len(t)), type_row[t], np.ones(len(t)))]
    entries += capacity_entries(p, t, r, base=len(types), with_min=with_min)
    add_columns(h, p.value[t, r], p.count[t], entries, integer=True)
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    # The LP's placement rounded down fits every capacity: HiGHS starts from it (unless a
    # minimum-fill row rejects it, then HiGHS looks for its own first solution).
    start = highspy.HighsSolution()
    start.col_value = list(np.floor(x[t, r] + 1e-6))
    start.value_valid = True
    h.setSolution(start)
    kept_value = float((kept * p.value).sum())

    def stop_when_enough(event: highspy.HighsCallbackEvent) -> None:
        if kept_value + event.data_out.mip_primal_bound >= enough:
            event.interrupt()

    if np.isfinite(enough):
        h.cbMipInterrupt.subscribe(stop_when_enough)
    h.run()
    if h.getInfo().primal_solution_status != 2:
        return None
    out = kept.copy()
    out[t, r] += np.maximum(np.rint(np.asarray(h.getSolution().col_value, dtype=np.float64)), 0.0)
    return out
