"""Rounding an LP optimum into a plan, and improving a plan a few legs at a time.

The LP relaxation of a level places nearly every group whole: on these models a few hundred of
~60,000 columns are fractional, all on the legs where a resource binds (baggage, mostly). So, as
FIELD-NOTES found for placement, keeping what the LP placed whole and re-solving only the rest
exactly is close to the optimum and takes a second, where the full MILP takes minutes.

- :func:`round_lp`: every class column rounded down; groups of earlier tiers that lost their place
  by rounding (their class must keep how many are moved, so the earlier levels hold) go back on a
  leg the LP used for them, making room by taking groups of the level's own tier off if needed;
- :meth:`Packing.reoptimise`: a small exact MILP over the columns of one, two or three legs
  (everything else held), better or equal by construction. Two modes: ``fill`` (a tier level:
  any unmoved group of that tier may come in, and the groups of earlier tiers on those legs may
  change legs among them, each class keeping how many of it are there, so the earlier tiers keep
  their value) and ``conserve`` (later levels: every class keeps how many of it are on those
  legs, they only change legs, and the levels fixed before keep their value on those legs, so
  they keep it in all);
- :meth:`Packing.improve`: every leg once, then passes over the legs, each cut into pairs and
  then into triples at random; it stops when a whole pass changes nothing (or at the time, or
  at the value asked for). Measured at the airbase (tier 3, 35 legs): letting the earlier tiers
  change legs within a pair or triple reached 4,049 people where holding them reached 4,047-4,049,
  and at Damascus 3,875 against 3,874.

Only the aggregated class columns are touched; the columns of groups allowed to split, and the
"leg used" columns, stay as they are (the caller sets the latter).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Sequence

import highspy
import numpy as np
from scipy import sparse

from safepassage.movements.planner.aggregate import Spec
from safepassage.movements.planner.milp import Model

TOL = 1e-7
SMALL_MILP_S = 0.5  # each local re-solve: its best plan after this long is taken (never worse)


class Packing:
    """Per-column arrays of one component's class columns, for rounding and local re-solves."""

    def __init__(self, spec: Spec, model: Model) -> None:
        self.spec, self.model = spec, model
        n = model.n_cols
        self.n_legs = len(spec.leg_ids)
        self.col_cls = np.full(n, -1, dtype=np.int64)
        self.col_leg = np.full(n, -1, dtype=np.int64)
        for c, cols in enumerate(model.cls_cols):
            for col, leg in cols:
                self.col_cls[col] = c
                self.col_leg[col] = leg
        self.class_cols = np.flatnonzero(self.col_cls >= 0)
        self.need = np.array(
            [spec.cls_persons, spec.cls_infants, spec.cls_stretchers, spec.cls_baggage], dtype=float
        ).T.reshape(-1, 4)
        self.tier = np.array(spec.cls_tier, dtype=np.int64)
        self.count = np.array(spec.cls_count, dtype=float)
        self.cap = np.array([spec.seats, spec.lap, spec.stretchers, spec.baggage], dtype=float).reshape(4, -1)
        self.col_tier = np.zeros(n, dtype=np.int64)
        self.col_tier[self.class_cols] = self.tier[self.col_cls[self.class_cols]]
        # the "kept" column of each split group on each leg it had before (re-planning), in the
        # order the model builder made them
        self.kept_of: dict[tuple[int, int], int] = {}
        kept = iter(model.kept_cols)
        for s, cols4 in enumerate(model.sp_cols):
            before = dict(spec.sp_prev[s])
            for leg, *_ in cols4:
                if leg in before:
                    k, owner = next(kept)
                    assert owner == s
                    self.kept_of[(s, leg)] = k

    # ----- bookkeeping
    def room(self, x: np.ndarray) -> np.ndarray:
        """Each leg's four resources left (4 × legs) with the plan ``x``, split groups included."""
        used = np.zeros((self.n_legs, 4))
        cols = self.class_cols[x[self.class_cols] > 0.5]
        np.add.at(used, self.col_leg[cols], self.need[self.col_cls[cols]] * x[cols, None])
        for s, cols4 in enumerate(self.model.sp_cols):
            beta = self.spec.sp_per_person_kg[s]
            for leg, p, i, st in cols4:
                used[leg] += (x[p], x[i], x[st], beta * (x[p] + x[i] + x[st]))
        return self.cap - used.T

    def moved(self, x: np.ndarray) -> np.ndarray:
        """How many groups of each class the plan moves."""
        out = np.zeros(len(self.count))
        np.add.at(out, self.col_cls[self.class_cols], x[self.class_cols])
        return out

    # ----- rounding
    def round_lp(self, x: np.ndarray, lp_x: np.ndarray, tier: int) -> np.ndarray | None:
        """``lp_x`` rounded down, earlier tiers made whole again (each class as many moved as in
        ``x``); None when a group of an earlier tier finds no leg even after taking groups of
        ``tier`` off (then hold the earlier tiers where they are and round that LP instead)."""
        out = x.copy()
        cols = self.class_cols
        out[cols] = np.floor(lp_x[cols] + 1e-6)
        for s, cols4 in enumerate(self.model.sp_cols):
            if self.spec.sp_tier[s] != tier:  # earlier tiers as in x; later ones are not moved yet
                continue
            before = dict(self.spec.sp_prev[s])
            for leg, p, i, st in cols4:
                out[p] = math.floor(lp_x[p] + 1e-6)
                out[st] = math.floor(lp_x[st] + 1e-6)
                out[i] = math.floor(lp_x[i] + 1e-6) if out[p] >= 1 else 0.0  # infants beside a seat
                if (s, leg) in self.kept_of:
                    out[self.kept_of[(s, leg)]] = min(before[leg], out[p] + out[i] + out[st])
        room = self.room(out)
        if np.any(room < -1e-6):
            return None
        # an earlier tier's class keeps at least as many moved as in x (the LP may have moved more)
        short = self.moved(x) - self.moved(out)
        for c in np.flatnonzero((self.tier < tier) & (short > 0.5)):
            mine = [(lp_x[col] - out[col], col, leg) for col, leg in self.model.cls_cols[c]]
            mine.sort(reverse=True)
            for _ in range(round(short[c])):
                if not self._put_back(out, room, int(c), mine, tier):
                    return None
        return out

    def _put_back(
        self, x: np.ndarray, room: np.ndarray, c: int, legs: list[tuple[float, int, int]], tier: int
    ) -> bool:
        need = self.need[c]
        for _, col, leg in legs:
            if np.all(need <= room[:, leg] + 1e-9):
                x[col] += 1
                room[:, leg] -= need
                return True
        for _, col, leg in legs:
            mine = self.class_cols[
                (self.col_leg[self.class_cols] == leg)
                & (self.col_tier[self.class_cols] == tier)
                & (x[self.class_cols] > 0.5)
            ]
            freed = room[:, leg] + (self.need[self.col_cls[mine]] * x[mine, None]).sum(axis=0)
            if not np.all(need <= freed + 1e-9):
                continue
            # take off the groups that carry fewest people per kilogram of baggage first
            people = self.need[self.col_cls[mine], :3].sum(axis=1)
            order = mine[np.argsort(people / np.maximum(self.need[self.col_cls[mine], 3], 1.0))]
            for other in order:
                while x[other] > 0.5 and not np.all(need <= room[:, leg] + 1e-9):
                    x[other] -= 1
                    room[:, leg] += self.need[self.col_cls[other]]
            x[col] += 1
            room[:, leg] -= need
            return True
        return False

    # ----- local exact re-solves
    def reoptimise(
        self,
        x: np.ndarray,
        legs: Sequence[int],
        cost: np.ndarray,
        maximise: bool,
        *,
        tier: int | None,
        upper: np.ndarray,
        held: Sequence[tuple[np.ndarray, bool]] = (),
        time_limit: float = 1.0,
    ) -> bool:
        """Re-solve the class columns of ``legs`` exactly (see the module text); ``x`` is changed in
        place when the result is at least as good. ``held`` are earlier levels (cost, maximised)
        that must not get worse on these legs. Returns whether ``x`` changed."""
        cols = self.class_cols[np.isin(self.col_leg[self.class_cols], legs)]
        cols = cols[upper[cols] > 0.5]
        if tier is not None:
            cols = cols[self.col_tier[cols] <= tier]
        if len(cols) == 0:
            return False
        current = x[cols].copy()
        classes = self.col_cls[cols]
        here = np.zeros(len(self.count))
        np.add.at(here, classes, current)
        # fill: the level's tier may take any group not moved yet; every other class (earlier tiers
        # in fill mode, all of them in conserve mode) keeps how many of it are on these legs
        fill = self.tier == tier
        avail = np.where(fill, self.count - self.moved(x) + here, here)
        keep = cols[(avail[classes] > 0.5) & (upper[cols] > 0.5)]
        k = len(keep)
        if k == 0:
            return False
        room = self.room(x)
        rows_r: list[np.ndarray] = []
        rows_c: list[np.ndarray] = []
        vals: list[np.ndarray] = []
        lo: list[float] = []
        hi: list[float] = []
        local = {leg: i for i, leg in enumerate(legs)}
        freed = np.zeros((4, len(legs)))
        np.add.at(freed.T, [local[int(v)] for v in self.col_leg[cols]], self.need[classes] * current[:, None])
        keep_leg = np.array([local[int(v)] for v in self.col_leg[keep]], dtype=np.int64)
        keep_need = self.need[self.col_cls[keep]]
        j = np.arange(k)
        for r in range(4):
            mask = keep_need[:, r] != 0
            rows_r.append(4 * keep_leg[mask] + r)
            rows_c.append(j[mask])
            vals.append(keep_need[mask, r])
        for leg in legs:
            for r in range(4):
                lo.append(-math.inf)
                hi.append(max(room[r, leg] + freed[r, local[leg]], 0.0))
        n_rows = 4 * len(legs)
        keep_cls = self.col_cls[keep]
        order = np.argsort(keep_cls, kind="stable")
        bounds = np.minimum(upper[keep], avail[keep_cls])
        uniq, first, sizes = np.unique(keep_cls[order], return_index=True, return_counts=True)
        for c, start, size in zip(uniq, first, sizes, strict=True):
            if size == 1 and fill[c]:
                continue
            members = order[start : start + size]
            rows_r.append(np.full(size, n_rows))
            rows_c.append(members)
            vals.append(np.ones(size))
            lo.append(-math.inf if fill[c] else avail[c])
            hi.append(avail[c])
            n_rows += 1
        for level_cost, level_max in held:
            entries = level_cost[keep]
            mask = entries != 0
            if not np.any(mask):
                continue
            before = float(level_cost[cols] @ current)
            rows_r.append(np.full(int(mask.sum()), n_rows))
            rows_c.append(j[mask])
            vals.append(entries[mask])
            slack = 1e-7 * max(1.0, abs(before))
            lo.append(before - slack if level_max else -math.inf)
            hi.append(math.inf if level_max else before + slack)
            n_rows += 1
        start_x = np.zeros(k)
        pos = {int(col): i for i, col in enumerate(keep)}
        for col, v in zip(cols, current, strict=True):
            if v > 0.5:
                start_x[pos[int(col)]] = v
        solution = _small_milp(
            cost[keep],
            bounds,
            np.concatenate(rows_r),
            np.concatenate(rows_c),
            np.concatenate(vals),
            np.array(lo),
            np.array(hi),
            maximise,
            start_x,
            time_limit,
        )
        if solution is None:
            return False
        old, new = float(cost[cols] @ current), float(cost[keep] @ solution)
        if (new < old + 1e-9) if maximise else (new > old - 1e-9):
            return False
        x[cols] = 0.0
        x[keep] = solution
        return True

    def improve(
        self,
        x: np.ndarray,
        cost: np.ndarray,
        maximise: bool,
        *,
        tier: int | None,
        upper: np.ndarray,
        held: Sequence[tuple[np.ndarray, bool]] = (),
        stop: float,
        good_enough: float | None = None,
        measure: np.ndarray | None = None,
        seed: int = 1,
    ) -> None:
        """Every leg once (a tier level), then passes: the legs shuffled and cut into pairs, then
        shuffled and cut into triples, each re-solved; until a whole pass changes nothing, until
        ``stop``, or until the level's value (``measure @ x``, ``cost`` by default) reaches
        ``good_enough``. Without the time and the value, it ends on its own: every change improves
        the level, which is bounded."""
        rng = random.Random(seed)  # noqa: S311 - a search order, not a secret
        level = cost if measure is None else measure

        def done() -> bool:
            if time.monotonic() >= stop:
                return True
            if good_enough is None:
                return False
            value = float(level @ x)
            return value >= good_enough - 1e-9 if maximise else value <= good_enough + 1e-9

        def resolve(legs: list[int]) -> bool:
            limit = min(SMALL_MILP_S, stop - time.monotonic())
            return self.reoptimise(
                x, legs, cost, maximise, tier=tier, upper=upper, held=held, time_limit=limit
            )

        if tier is not None:
            for leg in range(self.n_legs):
                if done():
                    return
                resolve([leg])
        sizes = [size for size in (2, 3) if size <= self.n_legs]
        changed = True
        while changed and sizes:
            changed = False
            for size in sizes:
                order = list(range(self.n_legs))
                rng.shuffle(order)
                for start in range(0, self.n_legs, size):
                    legs = order[start : start + size]
                    if len(legs) < size:  # the last piece borrows legs from the front
                        legs += [leg for leg in order if leg not in legs][: size - len(legs)]
                    if done():
                        return
                    changed |= resolve(legs)


def _small_milp(
    cost: np.ndarray,
    upper: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    vals: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    maximise: bool,
    start: np.ndarray,
    time_limit: float,
) -> np.ndarray | None:
    k = len(cost)
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("time_limit", max(time_limit, 0.05))
    lp = highspy.HighsLp()
    lp.num_col_ = k
    lp.num_row_ = len(lo)
    lp.col_cost_ = cost.astype(float)
    lp.col_lower_ = np.zeros(k)
    lp.col_upper_ = upper.astype(float)
    lp.row_lower_ = lo
    lp.row_upper_ = hi
    matrix = sparse.csc_matrix((vals, (rows, cols)), shape=(len(lo), k))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr
    lp.a_matrix_.index_ = matrix.indices
    lp.a_matrix_.value_ = matrix.data
    lp.integrality_ = [highspy.HighsVarType.kInteger] * k
    lp.sense_ = highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize
    h.passModel(lp)
    sol = highspy.HighsSolution()
    sol.col_value = list(start)
    sol.value_valid = True
    h.setSolution(sol)
    h.run()
    if h.getInfo().primal_solution_status != 2:
        return None
    out = np.round(np.array(h.getSolution().col_value))
    # never trust a re-solve blindly: bounds and rows checked again here
    if np.any(out < -TOL) or np.any(out > upper + TOL):
        return None
    act = np.zeros(len(lo))
    np.add.at(act, rows, vals * out[cols])
    slack_hi = 1e-6 * np.maximum(1.0, np.abs(np.where(np.isfinite(hi), hi, 0.0)))
    slack_lo = 1e-6 * np.maximum(1.0, np.abs(np.where(np.isfinite(lo), lo, 0.0)))
    if np.any(act > hi + slack_hi) or np.any(act < lo - slack_lo):
        return None
    return out
