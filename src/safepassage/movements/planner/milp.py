"""The exact model of one origin site as a HiGHS MILP: columns, rows, and each level's costs.

Columns: for each class of identical groups and each eligible leg, how many of them go (integer);
for each group that may split, its persons, infants and stretchers on each leg (integers), and
(when re-planning) how many of them stay on a leg they had (continuous); for each leg, whether it
carries anybody (binary, for the empty-seats level). Rows: each class at most its count; each split
group at most its members, infants only beside a seated person of the part; each leg's four
capacities (after pinned groups); a leg carries people only if it is used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import highspy
import numpy as np
from scipy import sparse

from safepassage.movements.planner.aggregate import Spec
from safepassage.movements.planner.objective import DEPARTURE, EMPTY, KEPT

INF = math.inf


@dataclass
class Model:
    """Column layout and cost vectors of one component's MILP."""

    lp: highspy.HighsLp
    n_cols: int
    cls_cols: list[list[tuple[int, int]]]  # per class: (column, leg index)
    cls_rows: list[int]  # per class: its "at most count" row, -1 when it has one leg
    sp_cols: list[list[tuple[int, int, int, int]]]  # per split group: (leg, p col, i col, s col)
    kept_cols: list[tuple[int, int]]  # (k column, split group)
    y_cols: list[int]
    col_tier: np.ndarray  # tier rank per column (0 for y and k)
    col_lb: np.ndarray
    col_ub: np.ndarray
    integer: np.ndarray


class _Builder:
    def __init__(self) -> None:
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.integer: list[bool] = []
        self.tier: list[int] = []
        self.rows_lo: list[float] = []
        self.rows_hi: list[float] = []
        self.r: list[int] = []
        self.c: list[int] = []
        self.v: list[float] = []

    def col(self, lo: float, hi: float, integer: bool, tier: int) -> int:
        self.lower.append(lo)
        self.upper.append(hi)
        self.integer.append(integer)
        self.tier.append(tier)
        return len(self.lower) - 1

    def row(self, lo: float, hi: float, entries: list[tuple[int, float]]) -> None:
        i = len(self.rows_lo)
        self.rows_lo.append(lo)
        self.rows_hi.append(hi)
        for col, val in entries:
            if val:
                self.r.append(i)
                self.c.append(col)
                self.v.append(val)


def build(spec: Spec) -> Model:
    b = _Builder()
    n_legs = len(spec.leg_ids)
    seats: list[list[tuple[int, float]]] = [[] for _ in range(n_legs)]
    lap: list[list[tuple[int, float]]] = [[] for _ in range(n_legs)]
    stretch: list[list[tuple[int, float]]] = [[] for _ in range(n_legs)]
    bag: list[list[tuple[int, float]]] = [[] for _ in range(n_legs)]
    people: list[list[tuple[int, float]]] = [[] for _ in range(n_legs)]
    cls_cols: list[list[tuple[int, int]]] = []
    cls_rows: list[int] = []
    for c, legs in enumerate(spec.cls_legs):
        cols = []
        for leg in legs:
            col = b.col(0, spec.cls_count[c], True, spec.cls_tier[c])
            cols.append((col, leg))
            seats[leg].append((col, spec.cls_persons[c]))
            lap[leg].append((col, spec.cls_infants[c]))
            stretch[leg].append((col, spec.cls_stretchers[c]))
            bag[leg].append((col, spec.cls_baggage[c]))
            people[leg].append((col, spec.cls_persons[c] + spec.cls_infants[c] + spec.cls_stretchers[c]))
        if len(cols) > 1:
            cls_rows.append(len(b.rows_lo))
            b.row(-INF, spec.cls_count[c], [(col, 1.0) for col, _ in cols])
        else:
            cls_rows.append(-1)
        cls_cols.append(cols)
    sp_cols: list[list[tuple[int, int, int, int]]] = []
    kept_cols: list[tuple[int, int]] = []
    for s, legs in enumerate(spec.sp_legs):
        tier, beta = spec.sp_tier[s], spec.sp_per_person_kg[s]
        total_p, total_i, total_s = spec.sp_persons[s], spec.sp_infants[s], spec.sp_stretchers[s]
        cols4 = []
        before = dict(spec.sp_prev[s])
        for leg in legs:
            p = b.col(0, total_p, True, tier)
            i = b.col(0, total_i, True, tier)
            st = b.col(0, total_s, True, tier)
            cols4.append((leg, p, i, st))
            b.row(-INF, 0, [(i, 1.0), (p, -float(total_i))])  # infants only beside a seated person
            seats[leg].append((p, 1.0))
            lap[leg].append((i, 1.0))
            stretch[leg].append((st, 1.0))
            for col in (p, i, st):
                bag[leg].append((col, beta))
                people[leg].append((col, 1.0))
            if leg in before:
                k = b.col(0, before[leg], False, 0)
                kept_cols.append((k, s))
                b.row(-INF, 0, [(k, 1.0), (p, -1.0), (i, -1.0), (st, -1.0)])
        for pos, total in ((1, total_p), (2, total_i), (3, total_s)):
            b.row(-INF, total, [(entry[pos], 1.0) for entry in cols4])
        sp_cols.append(cols4)
    y_cols = []
    for leg in range(n_legs):
        for entries, cap in (
            (seats[leg], spec.seats[leg]),
            (lap[leg], spec.lap[leg]),
            (stretch[leg], spec.stretchers[leg]),
            (bag[leg], spec.baggage[leg]),
        ):
            if entries:
                b.row(-INF, max(cap, 0.0), entries)
        y = b.col(1.0 if spec.pinned_people[leg] > 0 else 0.0, 1.0, True, 0)
        y_cols.append(y)
        most = max(spec.seats[leg], 0) + max(spec.lap[leg], 0) + max(spec.stretchers[leg], 0)
        if people[leg]:
            b.row(-INF, 0, [*people[leg], (y, -float(most))])

    lp = highspy.HighsLp()
    n = len(b.lower)
    lp.num_col_ = n
    lp.num_row_ = len(b.rows_lo)
    lp.col_cost_ = np.zeros(n)
    lp.col_lower_ = np.array(b.lower, dtype=float)
    lp.col_upper_ = np.array(b.upper, dtype=float)
    lp.row_lower_ = np.array(b.rows_lo, dtype=float)
    lp.row_upper_ = np.array(b.rows_hi, dtype=float)
    matrix = sparse.csc_matrix((b.v, (b.r, b.c)), shape=(len(b.rows_lo), n))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr
    lp.a_matrix_.index_ = matrix.indices
    lp.a_matrix_.value_ = matrix.data
    lp.integrality_ = [
        highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous for flag in b.integer
    ]
    return Model(
        lp,
        n,
        cls_cols,
        cls_rows,
        sp_cols,
        kept_cols,
        y_cols,
        np.array(b.tier),
        np.array(b.lower, dtype=float),
        np.array(b.upper, dtype=float),
        np.array(b.integer, dtype=bool),
    )


def level_cost(spec: Spec, model: Model, name: str) -> np.ndarray:
    cost = np.zeros(model.n_cols)
    for c, cols in enumerate(model.cls_cols):
        people = spec.cls_persons[c] + spec.cls_infants[c] + spec.cls_stretchers[c]
        tier = spec.cls_tier[c]
        for col, leg in cols:
            if name == f"tier {tier} people" or (name == KEPT and spec.cls_prev[c] == leg):
                cost[col] = people
            elif name == DEPARTURE:
                cost[col] = people * spec.weights[tier - 1] * spec.hours[leg]
            elif name == EMPTY:
                cost[col] = -spec.cls_persons[c]
    for s, cols4 in enumerate(model.sp_cols):
        tier = spec.sp_tier[s]
        for leg, p, i, st in cols4:
            if name == f"tier {tier} people":
                cost[[p, i, st]] = 1.0
            elif name == DEPARTURE:
                cost[[p, i, st]] = spec.weights[tier - 1] * spec.hours[leg]
            elif name == EMPTY:
                cost[p] = -1.0
    if name == KEPT:
        for k, _ in model.kept_cols:
            cost[k] = 1.0
    if name == EMPTY:
        for leg, y in enumerate(model.y_cols):
            cost[y] = spec.seats_total[leg]
    return cost


def top_up(spec: Spec, model: Model, x: np.ndarray, tier: int) -> np.ndarray:
    """A feasible start for a tier level: ``x`` plus as many groups of ``tier`` as fit, largest first,
    each on its earliest leg with room."""
    x = x.copy()
    room = np.array([spec.seats, spec.lap, spec.stretchers, spec.baggage], dtype=float)
    for c, cols in enumerate(model.cls_cols):
        need = np.array(
            [spec.cls_persons[c], spec.cls_infants[c], spec.cls_stretchers[c], spec.cls_baggage[c]]
        )
        for col, leg in cols:
            room[:, leg] -= need * x[col]
    for cols4 in model.sp_cols:
        for leg, p, i, st in cols4:
            room[0, leg] -= x[p]
            room[1, leg] -= x[i]
            room[2, leg] -= x[st]
    for s, cols4 in enumerate(model.sp_cols):
        beta = spec.sp_per_person_kg[s]
        for leg, p, i, st in cols4:
            room[3, leg] -= beta * (x[p] + x[i] + x[st])
    order = sorted(
        (c for c in range(len(model.cls_cols)) if spec.cls_tier[c] == tier),
        key=lambda c: -(spec.cls_persons[c] + spec.cls_infants[c] + spec.cls_stretchers[c]),
    )
    for c in order:
        need = np.array(
            [spec.cls_persons[c], spec.cls_infants[c], spec.cls_stretchers[c], spec.cls_baggage[c]]
        )
        left = spec.cls_count[c] - sum(x[col] for col, _ in model.cls_cols[c])
        prev = spec.cls_prev[c]  # re-planning: the leg they had first
        for col, leg in sorted(model.cls_cols[c], key=lambda cl: cl[1] != prev):
            if left <= 0:
                break
            fit = left
            for r in range(4):
                if need[r] > 0:
                    fit = min(fit, math.floor((room[r, leg] + 1e-9) / need[r]))
            if fit > 0:
                x[col] += fit
                room[:, leg] -= need * fit
                left -= fit
    return x


def tier_ceiling(spec: Spec, model: Model, tier: int) -> float:
    """Every person of this tier in the component: an upper bound on the tier level."""
    total = 0.0
    for c in range(len(model.cls_cols)):
        if spec.cls_tier[c] == tier and model.cls_cols[c]:
            total += spec.cls_count[c] * (spec.cls_persons[c] + spec.cls_infants[c] + spec.cls_stretchers[c])
    for s in range(len(model.sp_cols)):
        if spec.sp_tier[s] == tier and model.sp_cols[s]:
            total += spec.sp_persons[s] + spec.sp_infants[s] + spec.sp_stretchers[s]
    return total


def read_solution(
    spec: Spec, model: Model, x: tuple[float, ...]
) -> tuple[list[list[tuple[int, int]]], list[list[tuple[int, int, int, int]]]]:
    counts = [[(leg, round(x[col])) for col, leg in cols if round(x[col]) > 0] for cols in model.cls_cols]
    parts = [
        [(leg, round(x[p]), round(x[i]), round(x[st])) for leg, p, i, st in cols4] for cols4 in model.sp_cols
    ]
    return counts, parts
