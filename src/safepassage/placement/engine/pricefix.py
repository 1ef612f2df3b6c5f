"""The LP relaxation by price-and-fix: near-optimal prices settle most types, HiGHS the rest exactly.

Given capacity prices ``y`` (the Lagrangian dual's), each type's reduced value in region r is
``value[t, r] - use[t] . y[r]``. A type whose best reduced value beats its second best and zero by a
clear margin is almost surely placed whole in that region at the LP optimum: it is *fixed* there and
enters the LP as ONE column bounded by its count, with no type row (a column alone needs none). A type
whose best reduced value is clearly negative is fixed as unplaced (no column). Only the *open* types
get a type row and a column per region near their best. The LP thus has the capacity rows plus a few
thousand type rows instead of one per type, whatever the number of households; fixed columns may be
cut below their count by the LP, so capacities that the fixing alone would overdraw are handled.

The LP's duals ``y'`` then price every type again. Where some type would gain from a region it has no
column for (complementary slackness fails), it is opened with the regions near its new best, and the
LP is solved again (warm, in the same HiGHS instance). When no type gains, the LP over the few columns
is the LP over all of them, and ``L(y')`` (valid for any prices: see ``lagrangian.py``) equals it.
Every round's ``L(y')`` is a proven bound whatever happens; the best is reported.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np

from safepassage.placement.engine.columns import Entries, add_columns, capacity_entries
from safepassage.placement.engine.decomposition import INF, FloatArray, IntArray, TypedProblem
from safepassage.placement.engine.lagrangian import bound_at, priced

_TOL = 1e-7


@dataclass(frozen=True)
class FixedLp:
    """The LP's solution over all types, its objective, the best proven bound and what it took."""

    x: FloatArray  # T x R
    objective: float
    bound: float
    capacity_duals: FloatArray  # R x K
    status: str
    rounds: int
    columns: int
    open_types: int
    seconds: float


def _top_two(reduced: FloatArray) -> tuple[FloatArray, FloatArray, IntArray]:
    """Best and second-best reduced value per type (``-inf`` when absent) and the best region."""
    n_types, n_regions = reduced.shape
    if n_regions == 0:
        return np.full(n_types, -np.inf), np.full(n_types, -np.inf), np.zeros(n_types, dtype=np.int64)
    best_r = reduced.argmax(axis=1).astype(np.int64)
    best = reduced.max(axis=1)
    second = np.partition(reduced, -2, axis=1)[:, -2] if n_regions > 1 else np.full(n_types, -np.inf)
    return best, second, best_r


class _Lp:
    """Capacity rows (+ minimum-fill rows) and the open types' rows, kept warm in one HiGHS instance."""

    def __init__(self, p: TypedProblem, threads: int) -> None:
        self.p = p
        n_regions, k_res = p.capacity.shape
        self.with_min = bool((p.min_persons > 0).any())
        self.h = highspy.Highs()  # type: ignore[no-untyped-call]
        self.h.setOptionValue("output_flag", False)
        self.h.setOptionValue("threads", threads)
        self.h.setOptionValue("random_seed", 0)
        self.h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        lo = [np.full(n_regions * k_res, -INF)]
        up = [p.capacity.reshape(-1).astype(np.float64)]
        if self.with_min:
            lo.append(p.min_persons.astype(np.float64))
            up.append(np.full(n_regions, INF))
        low, upp = np.concatenate(lo), np.concatenate(up)
        no_entries = np.zeros(0, dtype=np.int32)
        self.h.addRows(len(low), low, upp, 0, np.zeros(len(low), dtype=np.int32), no_entries, np.zeros(0))
        self.n_rows = len(low)
        self.type_row = np.full(len(p.count), -1, dtype=np.int64)
        self.col_t: list[IntArray] = []
        self.col_r: list[IntArray] = []
        self.n_cols = 0
        self.slack_cols = 0
        if self.with_min:
            # Shortfall slacks keep the LP feasible; their penalty exceeds any value.
            penalty = 10.0 * (float(np.abs(p.value).max(initial=1.0)) + 1.0)
            self.h.addCols(
                n_regions,
                np.full(n_regions, -penalty),
                np.zeros(n_regions),
                np.full(n_regions, INF),
                n_regions,
                np.arange(n_regions, dtype=np.int32),
                (n_regions * k_res + np.arange(n_regions)).astype(np.int32),
                np.ones(n_regions),
            )
            self.slack_cols = self.n_cols = n_regions

    def open_rows(self, types: IntArray) -> None:
        """A type row ``sum_r x[t, r] <= count[t]`` for each newly opened type, over its columns so far."""
        types = types[self.type_row[types] < 0]
        if len(types) == 0:
            return
        have_t = np.concatenate(self.col_t) if self.col_t else np.zeros(0, dtype=np.int64)
        members = np.flatnonzero(np.isin(have_t, types)) + self.slack_cols
        owner = have_t[members - self.slack_cols]
        self.type_row[types] = self.n_rows + np.arange(len(types))
        order = np.argsort(owner, kind="stable")
        counts = np.bincount(self.type_row[owner] - self.n_rows, minlength=len(types))
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int32)
        self.h.addRows(
            len(types),
            np.full(len(types), -INF),
            self.p.count[types].astype(np.float64),
            len(members),
            starts,
            members[order].astype(np.int32),
            np.ones(len(members)),
        )
        self.n_rows += len(types)

    def add(self, t: IntArray, r: IntArray) -> None:
        """Columns (t, r), bounded by the type's count; in the type's row when it has one."""
        if len(t) == 0:
            return
        p = self.p
        has_row = np.flatnonzero(self.type_row[t] >= 0)
        entries: list[Entries] = [(has_row, self.type_row[t[has_row]], np.ones(len(has_row)))]
        entries += capacity_entries(p, t, r, base=0, with_min=self.with_min)
        add_columns(self.h, p.value[t, r], p.count[t], entries)
        self.col_t.append(t)
        self.col_r.append(r)
        self.n_cols += len(t)

    def solve(self, time_limit: float) -> str:
        # HiGHS counts its time limit over every run of the instance: add the time already spent.
        self.h.setOptionValue("time_limit", self.h.getRunTime() + max(time_limit, 0.1))
        self.h.run()
        return str(self.h.getModelStatus()).split(".")[-1].removeprefix("k").lower()


def _near(reduced: FloatArray, types: IntArray, top: FloatArray, window: float) -> tuple[IntArray, IntArray]:
    """(t, r) for the regions whose reduced value is within ``window`` of ``top[t]``."""
    sub = reduced[types]
    ok = np.isfinite(sub) & (sub >= (top[types] - window)[:, None])
    rows, cols = np.nonzero(ok)
    return types[rows], cols.astype(np.int64)


def solve_fixed_lp(
    p: TypedProblem,
    prices: FloatArray,
    *,
    time_limit: float,
    gap_target: float,
    threads: int = 1,
    margin: float = 0.02,
    window: float = 0.05,
    open_per_round: int = 6000,
    initial_bound: float | None = None,
) -> FixedLp:
    """The LP relaxation by price-and-fix from ``prices`` (R x K), to ``gap_target`` / 4 or the deadline.

    ``margin`` and ``window`` are in the objective's units: a type is fixed when its best reduced
    value beats the next (or zero) by more than ``margin``; an open type gets columns for the regions
    within ``window`` of its best.
    """
    start = time.monotonic()
    n_types, n_regions = p.value.shape
    y_cap = best_y = np.maximum(prices, 0.0)
    reduced = priced(p, y_cap, None)
    bound = bound_at(p, reduced, y_cap, None)
    if initial_bound is not None:
        bound = min(bound, initial_bound)
    best, second, best_r = _top_two(reduced)
    lead = best - np.maximum(second, 0.0)
    fixed_in = np.isfinite(best) & (lead > margin)
    fixed_out = np.isfinite(best) & (best < -margin)
    open_ = np.isfinite(best) & ~fixed_in & ~fixed_out
    lp = _Lp(p, threads)
    have = np.zeros((n_types, n_regions), dtype=bool)
    opened = np.flatnonzero(open_)
    lp.open_rows(opened)
    t_open, r_open = _near(reduced, opened, best, window)
    t_fix = np.flatnonzero(fixed_in)
    t_new = np.concatenate([t_fix, t_open])
    r_new = np.concatenate([best_r[t_fix], r_open])
    have[t_new, r_new] = True
    lp.add(t_new, r_new)
    x = np.zeros((n_types, n_regions))
    lp_obj, status, rounds = 0.0, "optimal", 0
    y_min: FloatArray | None = None
    n_cap = n_regions * p.capacity.shape[1]
    while lp.n_cols > lp.slack_cols:
        rounds += 1
        # Interior point (with crossover) for the first LP: about 2x faster than the simplex here;
        # the simplex after it, warm from the basis the crossover left.
        lp.h.setOptionValue("solver", "ipm" if rounds == 1 else "simplex")
        status = lp.solve(time_limit - (time.monotonic() - start))
        if status != "optimal":
            break
        lp_obj = float(lp.h.getInfo().objective_function_value)
        sol = lp.h.getSolution()
        row_dual = np.asarray(sol.row_dual, dtype=np.float64)
        y_cap = np.maximum(row_dual[:n_cap].reshape(n_regions, -1), 0.0)
        y_min = row_dual[n_cap : n_cap + n_regions] if lp.with_min else None
        values = np.asarray(sol.col_value, dtype=np.float64)[lp.slack_cols :]
        x = np.zeros((n_types, n_regions))
        x[np.concatenate(lp.col_t), np.concatenate(lp.col_r)] = np.maximum(values, 0.0)
        reduced = priced(p, y_cap, y_min)
        here = bound_at(p, reduced, y_cap, y_min)
        if here < bound:
            bound, best_y = here, y_cap
        elif y_min is None:
            # A restricted LP's duals overprice what it lacks: try them blended with the best prices.
            for alpha in (0.75, 0.5, 0.25):
                blend = best_y + alpha * (y_cap - best_y)
                here = bound_at(p, priced(p, blend, None), blend, None)
                if here < bound:
                    bound, best_y = here, blend
        if bound - lp_obj <= max(0.25 * gap_target, 1e-9) * max(1.0, abs(bound)):
            break
        if time.monotonic() - start > time_limit:
            status = "time_limit"
            break
        # What each type earns now: its row dual when open, its one column's reduced value when fixed.
        earns = np.zeros(n_types)
        has_row = lp.type_row >= 0
        earns[has_row] = np.maximum(row_dual[lp.type_row[has_row]], 0.0)
        t_fixed = np.flatnonzero(~has_row & have.any(axis=1))
        earns[t_fixed] = np.maximum(reduced[t_fixed, have[t_fixed].argmax(axis=1)], 0.0)
        top = reduced.max(axis=1, initial=-np.inf)
        gains = np.isfinite(top) & (top > earns + _TOL)
        if not gains.any():
            bound = min(bound, lp_obj)
            break
        if gains.sum() > open_per_round:  # the types that would gain most, each round
            worth = np.where(gains, p.count * (top - earns), -np.inf)
            gains = np.zeros(n_types, dtype=bool)
            gains[np.argpartition(-worth, open_per_round)[:open_per_round]] = True
        newly = np.flatnonzero(gains & ~has_row)
        lp.open_rows(newly)
        t_add, r_add = _near(reduced, np.flatnonzero(gains), top, window)
        keep = ~have[t_add, r_add] & (reduced[t_add, r_add] > earns[t_add] + _TOL)
        t_add, r_add = t_add[keep], r_add[keep]
        if len(t_add) == 0:
            bound = min(bound, lp_obj)  # every gain is within the tolerance: the LP optimum
            break
        have[t_add, r_add] = True
        lp.add(t_add, r_add)
    return FixedLp(
        x=x,
        objective=lp_obj,
        bound=max(bound, lp_obj),
        capacity_duals=y_cap,
        status=status,
        rounds=rounds,
        columns=lp.n_cols - lp.slack_cols,
        open_types=int((lp.type_row >= 0).sum()),
        seconds=time.monotonic() - start,
    )
