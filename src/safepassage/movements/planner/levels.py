"""Solving one origin's model level by level (sequential lexicographic optimisation).

Why sequential: a single weighted objective would need a weight per tier larger than everything
below it (about 40,000⁴ ≈ 10¹⁸ at our sizes), beyond double precision, and a relative MIP gap on
such a sum says nothing about the lower tiers. Solved in turn, each level keeps a meaningful value,
bound and gap; after a level the row "this level ≥ the value reached" (≤ for minimised levels) is
added, so no later level can give any of it back. A level's bound holds given the levels before it.

Each level, cheapest first, stopping as soon as the gap asked for is proven:

1. a feasible start: the previous level's solution, topped up greedily with the level's tier;
   a tier level where everybody of the tier is moved is proven at once;
2. the LP relaxation: its optimum is the level's bound (rounded down for whole people);
3. for a tier level, a dive: the earlier tiers keep how many of each class are moved (so their
   levels hold) but may change legs; the LP of that is solved and rounded down (what it placed
   whole stays) and HiGHS re-solves the rest exactly on the room left. If that finds nothing, the
   same with the earlier tiers held where they are (smaller, faster, a little worse);
4. the full MILP, started from the best solution so far, for the time that is left (models of at
   most ``FULL_MILP_MAX_COLUMNS`` columns: on larger ones it proved nothing and overran its limit).

This runs inside a child process (see :mod:`.highs`); each level's result is sent as soon as it is
known, so a hard deadline still leaves the best plan proven so far.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np

from safepassage.movements.planner.aggregate import Spec
from safepassage.movements.planner.milp import Model, build, level_cost, tier_ceiling, top_up
from safepassage.movements.planner.objective import EMPTY, KEPT
from safepassage.movements.planner.repair import Packing

INF = math.inf
# Above this many columns the full MILP (dense level rows, dual simplex) proved nothing in 30 s on the
# benchmark and overran its time limit several-fold: the LP bound and the dive are all we run there.
FULL_MILP_MAX_COLUMNS = 15_000
# An interior-point optimum (no crossover) meets HiGHS's relative tolerances (1e-8 by default); its
# value is widened by this much before it is reported as a bound.
INTERIOR_MARGIN = 1e-6
# A level of whole people is fixed as "≥ its value" minus this (HiGHS's feasibility tolerance is 1e-7).
WHOLE_SLACK = 1e-6
# A tier level (not the last level) may use this share of the time left: the tier where capacity
# runs out needs most of it, and each later level is only worth anything once it holds.
TIER_SHARE = 0.7


@dataclass(frozen=True)
class LevelReport:
    index: int
    name: str
    value: float
    bound: float | None
    status: str
    solution: tuple[float, ...]


def _limit(h: highspy.Highs, seconds: float) -> float:
    """HiGHS measures ``time_limit`` against its run time summed over every ``run()`` of the
    instance, so an instance used again needs its limit moved on by what it has run already."""
    return float(h.getRunTime()) + max(seconds, 0.05)


def _ensure_y(model: Model, x: np.ndarray) -> np.ndarray:
    x = x.copy()
    for cols in model.cls_cols:
        for col, leg in cols:
            if x[col] > 0.5:
                x[model.y_cols[leg]] = 1.0
    for cols4 in model.sp_cols:
        for leg, p, i, st in cols4:
            if x[p] + x[i] + x[st] > 0.5:
                x[model.y_cols[leg]] = 1.0
    return x


class _Levels:
    def __init__(self, spec: Spec, time_limit: float, gap: float, threads: int) -> None:
        self.spec = spec
        self.gap = gap
        self.deadline = time.monotonic() + time_limit
        self.model = build(spec)
        self.cols = np.arange(self.model.n_cols, dtype=np.int32)
        self.int_types = [
            highspy.HighsVarType.kInteger if f else highspy.HighsVarType.kContinuous
            for f in self.model.integer
        ]
        h = highspy.Highs()  # type: ignore[no-untyped-call]
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", threads)
        h.setOptionValue("mip_rel_gap", gap)
        h.setOptionValue("random_seed", 1)
        h.passModel(self.model.lp)
        self.h = h
        self.fixed: list[tuple[float, float, np.ndarray, np.ndarray]] = []
        self.cost = np.zeros(self.model.n_cols)
        self.sense = highspy.ObjSense.kMaximize
        self.keep = level_cost(spec, self.model, KEPT) if (KEPT, "max") in spec.levels else None
        self.packing = Packing(spec, self.model)
        self.held_levels: list[tuple[np.ndarray, bool]] = []  # fixed levels after the tiers

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def _run(
        self, lower: np.ndarray, upper: np.ndarray, limit: float, start: np.ndarray | None
    ) -> np.ndarray | None:
        h = self.h
        h.changeColsBounds(self.model.n_cols, self.cols, lower, upper)
        h.setOptionValue("time_limit", _limit(h, limit))
        if start is not None:
            sol = highspy.HighsSolution()
            sol.col_value = list(start)
            sol.value_valid = True
            h.setSolution(sol)
        h.run()
        info = h.getInfo()
        if info.primal_solution_status != 2:
            return None
        x = np.array(h.getSolution().col_value)
        return x if len(x) == self.model.n_cols else None

    def _lp(
        self, lower: np.ndarray, upper: np.ndarray, limit: float, *, interior: bool = False
    ) -> tuple[float | None, np.ndarray | None]:
        """The LP relaxation in a fresh HiGHS instance, by primal simplex: on these models the dual
        simplex, and an instance that has solved MIPs, took 10 to 15 times longer (and an LP-only
        instance kept warm from level to level crawled: 47 iterations in 3 s after a level row;
        a fresh one given the previous level's basis took 3.7 times longer on tier 4). With
        ``interior``, the interior point method without crossover: 4 times faster than the
        simplex on the departure level, no basic solution (the value is all that is used)."""
        lp = highspy.Highs()  # type: ignore[no-untyped-call]
        lp.setOptionValue("output_flag", False)
        lp.setOptionValue("threads", 1)
        lp.setOptionValue("simplex_strategy", 4)
        if interior:  # the levels after the tiers: only the value is needed (see INTERIOR_MARGIN)
            lp.setOptionValue("solver", "ipm")
            lp.setOptionValue("run_crossover", "off")
        lp.setOptionValue("time_limit", max(limit, 0.05))
        relaxed = self.model.lp
        relaxed.integrality_ = [highspy.HighsVarType.kContinuous] * self.model.n_cols
        lp.passModel(relaxed)
        relaxed.integrality_ = self.int_types
        for lo, hi, entries, values in self.fixed:
            lp.addRow(lo, hi, len(entries), entries, values)
        lp.changeColsBounds(self.model.n_cols, self.cols, lower, upper)
        lp.changeColsCost(self.model.n_cols, self.cols, self.cost)
        lp.changeObjectiveSense(self.sense)
        lp.run()
        if lp.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None, None
        return lp.getInfo().objective_function_value, np.array(lp.getSolution().col_value)

    def _better(
        self, cost: np.ndarray, sense: str, x: np.ndarray, candidate: np.ndarray | None
    ) -> np.ndarray:
        if candidate is None:
            return x
        candidate = candidate.copy()
        candidate[self.model.integer] = np.round(candidate[self.model.integer])
        a, b = float(cost @ candidate), float(cost @ x)
        return candidate if (a > b + 1e-9 if sense == "max" else a < b - 1e-9) else x

    def _within(self, sense: str, value: float, bound: float | None) -> bool:
        if bound is None:
            return False
        diff = bound - value if sense == "max" else value - bound
        return diff <= max(self.gap * max(abs(bound), abs(value)), 1e-6)

    def _held_bounds(self, x: np.ndarray, upper: np.ndarray, tier: int) -> tuple[np.ndarray, np.ndarray]:
        """Column bounds with the tiers before ``tier`` held where they are in ``x``."""
        model = self.model
        lower, upper = model.col_lb.copy(), upper.copy()
        held = (model.col_tier > 0) & (model.col_tier < tier)
        lower[held] = x[held]
        upper[held] = x[held]
        lower[model.y_cols] = 1.0  # every leg may carry people; the empty-seats level decides later
        return lower, upper

    def _held_lp(
        self, cost: np.ndarray, x: np.ndarray, upper: np.ndarray, tier: int, limit: float
    ) -> np.ndarray | None:
        """The LP of ``tier`` with the earlier tiers held where they are in ``x``."""
        lower, upper = self._held_bounds(x, upper, tier)
        plain, self.cost = self.cost, cost
        try:
            _, lp_x = self._lp(lower, upper, limit)
        finally:
            self.cost = plain
        return lp_x

    def _with_keep(self, cost: np.ndarray) -> np.ndarray:
        """Re-planning: a dive's objective also prefers people on their previous leg, with a weight
        that keeps all of them worth less than one person of the level, so it only breaks ties."""
        if self.keep is None:
            return cost
        return cost + self.keep / (float(self.keep @ self.model.col_ub) + 1.0)

    def _repacked(self, x: np.ndarray, upper: np.ndarray, tier: int) -> tuple[Any, np.ndarray, np.ndarray]:
        """The relaxation of ``tier`` in a HiGHS of its own, where the earlier tiers keep only *how
        many* of each class are moved (not where), split groups and kept places stay as in ``x``;
        with the column bounds it was given."""
        model = self.model
        h = highspy.Highs()  # type: ignore[no-untyped-call]
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        h.setOptionValue("simplex_strategy", 4)
        relaxed = model.lp
        relaxed.integrality_ = [highspy.HighsVarType.kContinuous] * model.n_cols
        h.passModel(relaxed)
        relaxed.integrality_ = self.int_types
        lower, upper = model.col_lb.copy(), upper.copy()
        lower[model.y_cols] = 1.0
        for c, cols in enumerate(model.cls_cols):
            if 0 < self.spec.cls_tier[c] < tier:
                moved = float(sum(x[col] for col, _ in cols))
                if model.cls_rows[c] >= 0:
                    h.changeRowBounds(model.cls_rows[c], moved, moved)
                else:
                    for col, _ in cols:
                        lower[col] = upper[col] = x[col]
        for cols4 in model.sp_cols:
            for _, *part in cols4:
                lower[part] = upper[part] = x[part]
        for k, _ in model.kept_cols:
            upper[k] = x[k]
        h.changeColsBounds(model.n_cols, self.cols, lower, upper)
        return h, lower, upper

    def _repack_lp(
        self, cost: np.ndarray, x: np.ndarray, upper: np.ndarray, tier: int, limit: float
    ) -> np.ndarray | None:
        """The LP of ``tier`` where the earlier tiers keep only *how many* of each class are
        moved, not where: they may change legs to make room, so it is nearly the full LP."""
        model = self.model
        h, _, _ = self._repacked(x, upper, tier)
        h.changeColsCost(model.n_cols, self.cols, cost)
        h.changeObjectiveSense(self.sense)
        h.setOptionValue("time_limit", max(limit, 0.05))
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        return np.array(h.getSolution().col_value)

    def _round_dive(
        self,
        cost: np.ndarray,
        x: np.ndarray,
        upper: np.ndarray,
        tier: int,
        stop: float,
        bound: float | None,
        lp_x: np.ndarray | None,
    ) -> np.ndarray:
        """A tier level's plan from an LP optimum, rounded (:func:`.repair.Packing.round_lp`): the
        level's own LP (``lp_x``, already solved for the bound), else the LP where the earlier
        tiers keep their counts but may change legs, else the LP with them held, else the start
        itself; then each leg, and random pairs and triples of legs, re-solved exactly."""
        dive_cost = self._with_keep(cost)
        pk = self.packing
        # with previous legs to prefer, the level's own LP ignores them: start from the repacking LP
        candidate = None if lp_x is None or self.keep is not None else pk.round_lp(x, lp_x, tier)
        if candidate is None and stop - time.monotonic() > 0.1:
            lp_x = self._repack_lp(dive_cost, x, upper, tier, 0.5 * (stop - time.monotonic()))
            if lp_x is not None:
                candidate = pk.round_lp(x, lp_x, tier)
        if candidate is None and stop - time.monotonic() > 0.1:
            lp_x = self._held_lp(dive_cost, x, upper, tier, 0.4 * (stop - time.monotonic()))
            if lp_x is not None:
                candidate = pk.round_lp(x, lp_x, tier)
        if candidate is None:
            candidate = x.copy()
        target = None if bound is None else bound - self.gap * abs(bound)
        pk.improve(
            candidate, dive_cost, True, tier=tier, upper=upper, stop=stop, good_enough=target, measure=cost
        )
        return _ensure_y(self.model, candidate)

    def _restricted_dive(
        self, cost: np.ndarray, x: np.ndarray, upper: np.ndarray, tier: int, stop: float
    ) -> np.ndarray | None:
        """Re-planning: tiers before ``tier`` held where they are, the LP optimum of ``tier`` (also
        preferring previous legs) rounded down and what it split re-solved exactly by HiGHS."""
        model = self.model
        lower, upper = self._held_bounds(x, upper, tier)
        plain, self.cost = self.cost, self._with_keep(cost)
        try:
            _, lp_x = self._lp(lower, upper, 0.5 * (stop - time.monotonic()))
        finally:
            self.cost = plain
        if lp_x is None:
            return None
        floor = lower.copy()
        floor[model.integer] = np.maximum(np.floor(lp_x[model.integer] + 1e-7), lower[model.integer])
        self.h.setOptionValue("mip_rel_gap", 0.0)  # the dive is small: solve it exactly
        self.h.changeColsCost(model.n_cols, self.cols, self._with_keep(cost))
        try:
            return self._run(np.minimum(floor, upper), upper, stop - time.monotonic(), None)
        finally:
            self.h.setOptionValue("mip_rel_gap", self.gap)
            self.h.changeColsCost(model.n_cols, self.cols, cost)

    def _repack_dive(
        self, cost: np.ndarray, x: np.ndarray, upper: np.ndarray, tier: int, stop: float
    ) -> np.ndarray | None:
        """Re-planning: like the held dive, but the earlier tiers keep only *how many* of each class
        are moved, not where. Measured at 10,000 groups, these MILP dives changed half as many
        people's legs as rounding (6,735 against 15,030) and reached more of tier 3."""
        model = self.model
        h, lower, upper = self._repacked(x, upper, tier)
        h.changeColsCost(model.n_cols, self.cols, self._with_keep(cost))
        h.changeObjectiveSense(self.sense)
        h.setOptionValue("time_limit", _limit(h, 0.3 * (stop - time.monotonic())))
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        lp_x = np.array(h.getSolution().col_value)
        h.changeColsIntegrality(model.n_cols, self.cols, model.integer.astype(np.uint8))
        h.setOptionValue("simplex_strategy", 1)
        h.setOptionValue("mip_rel_gap", 0.0)
        floor = lower.copy()
        floor[model.integer] = np.maximum(np.floor(lp_x[model.integer] + 1e-7), lower[model.integer])
        h.changeColsBounds(model.n_cols, self.cols, np.minimum(floor, upper), upper)
        h.setOptionValue("time_limit", _limit(h, stop - time.monotonic()))
        h.run()
        if h.getInfo().primal_solution_status != 2:
            return None
        return np.array(h.getSolution().col_value)

    def solve(self, send: Callable[[LevelReport], None]) -> None:
        model = self.model
        x = _ensure_y(model, np.zeros(model.n_cols))
        levels = self.spec.levels
        for index, (name, sense) in enumerate(levels):
            cost = level_cost(self.spec, model, name)
            tier = int(name.split()[1]) if name.startswith("tier ") else None
            upper = model.col_ub.copy()
            if name == EMPTY:  # a leg counts as used only if it carries somebody
                x = x.copy()
                x[model.y_cols] = np.asarray(self.spec.pinned_people) > 0
                x = _ensure_y(model, x)
            if tier is not None:
                upper[model.col_tier > tier] = 0.0
                x = _ensure_y(model, top_up(self.spec, model, x, tier))
            whole = tier is not None or name == KEPT
            status, bound = "optimal", float(cost @ x)
            done = not np.any(cost) or (
                tier is not None and tier_ceiling(self.spec, model, tier) <= bound + 1e-9
            )
            if not done:
                if self.left() <= 0.05:
                    return
                share = 1.0 if index == len(levels) - 1 else max(0.5, 1.0 / (len(levels) - index))
                if tier is not None and index < len(levels) - 1:
                    share = TIER_SHARE  # the tier where capacity runs out needs the time
                stop = time.monotonic() + self.left() * share
                self.cost = cost
                self.sense = highspy.ObjSense.kMaximize if sense == "max" else highspy.ObjSense.kMinimize
                self.h.changeColsCost(model.n_cols, self.cols, cost)
                self.h.changeObjectiveSense(self.sense)
                interior = tier is None
                lp_value, lp_x = self._lp(model.col_lb, upper, stop - time.monotonic(), interior=interior)
                lp_bound = None
                if lp_value is not None:
                    if interior:  # an interior point is optimal to a tolerance: widen the bound by it
                        margin = INTERIOR_MARGIN * max(1.0, abs(lp_value))
                        lp_value = lp_value + margin if sense == "max" else lp_value - margin
                    lp_bound = math.floor(lp_value + 1e-6) if whole and sense == "max" else lp_value
                small = model.n_cols <= FULL_MILP_MAX_COLUMNS
                if tier is not None and not self._within(sense, float(cost @ x), lp_bound):
                    # the level's time: its search ends early when a pass finds nothing, and what is
                    # left goes to the full MILP below (small models) or the later levels. At Latakia
                    # (14,541 columns) the search alone reached 1,606 tier-3 people in 5.5 s, where
                    # a fifth of the time for it and the rest for the full MILP reached 1,604
                    dive_stop = stop
                    if self.keep is None:
                        rounded = self._round_dive(cost, x, upper, tier, dive_stop, lp_bound, lp_x)
                        x = _ensure_y(model, self._better(cost, sense, x, rounded))
                    else:  # re-planning: the MILP dives moved fewer people (see _repack_dive)
                        repack_stop = time.monotonic() + 0.7 * (stop - time.monotonic())
                        dive = self._repack_dive(cost, x, upper, tier, repack_stop)
                        x = _ensure_y(model, self._better(cost, sense, x, dive))
                        if dive is None:
                            dive = self._restricted_dive(cost, x, upper, tier, stop)
                            x = _ensure_y(model, self._better(cost, sense, x, dive))
                if tier is None and name != EMPTY and not self._within(sense, float(cost @ x), lp_bound):
                    moved = x.copy()  # every class keeps its count (so the tiers hold); legs change
                    target = None
                    if lp_bound is not None:
                        target = lp_bound * (1 - self.gap if sense == "max" else 1 + self.gap)
                    self.packing.improve(
                        moved,
                        cost,
                        sense == "max",
                        tier=None,
                        upper=model.col_ub,
                        held=self.held_levels,
                        stop=time.monotonic() + (0.2 if small else 0.5) * (stop - time.monotonic()),
                        good_enough=target,
                    )
                    x = _ensure_y(model, self._better(cost, sense, x, moved))
                mip_bound = None
                if (
                    small
                    and not self._within(sense, float(cost @ x), lp_bound)
                    and stop - time.monotonic() > 0.1
                ):
                    full = self._run(model.col_lb, upper, stop - time.monotonic(), x)
                    x = self._better(cost, sense, x, full)
                    raw = self.h.getInfo().mip_dual_bound
                    if math.isfinite(raw):
                        mip_bound = math.floor(raw + 1e-6) if whole and sense == "max" else raw
                candidates = [b for b in (lp_bound, mip_bound) if b is not None]
                value = float(cost @ x)
                found: float | None = None
                if candidates:
                    found = min(candidates) if sense == "max" else max(candidates)
                    found = max(found, value) if sense == "max" else min(found, value)
                bound = found  # type: ignore[assignment]
                status = "optimal" if self._within(sense, value, found) else "time limit"
            value = float(cost @ x)
            send(LevelReport(index, name, value, bound, status, tuple(x)))
            entries = np.flatnonzero(cost)
            if len(entries):
                if sense == "max" and whole:
                    # whole people: the level is an integer, so the row says exactly that. It said
                    # "≥ value - 0.5" before, and the next level's LP spent the half person of each
                    # earlier tier (at the airbase the tier-3 bound was 1.47 people weaker)
                    lo, hi = math.floor(value + 1e-6) - WHOLE_SLACK, INF
                elif sense == "max":
                    lo, hi = value - 1e-7 * max(1.0, abs(value)) - 1e-6, INF
                else:
                    lo, hi = -INF, value + 1e-7 * max(1.0, abs(value)) + 1e-6
                self.fixed.append((lo, hi, entries.astype(np.int32), cost[entries]))
                self.h.addRow(lo, hi, len(entries), entries.astype(np.int32), cost[entries])
                if tier is None:
                    self.held_levels.append((cost, sense == "max"))


def solve_levels(
    spec: Spec, *, time_limit: float, gap: float, threads: int = 1, send: Callable[[LevelReport], None]
) -> None:
    """Solve every level in turn and ``send`` each result as soon as it is known."""
    _Levels(spec, time_limit, gap, threads).solve(send)
