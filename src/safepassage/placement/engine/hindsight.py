"""The hindsight optimum a dynamic policy is measured against: the whole year's arrivals at once.

A dynamic policy is judged on what it achieves for the households (the outcome) at the number of
households it places; comparing outcomes at different placed counts flatters whichever places fewer.
So the hindsight optimum here maximises the outcome over every placement of the same arrivals under
the same capacities, needs and ties that places **at least as many households** as the policy did
(``min_placed``): one extra row ``sum x >= min_placed`` on the assignment model. Its LP relaxation is
an upper bound on any such placement, so ``outcome / bound`` under-states the policy's true ratio
to the hindsight optimum. An integral hindsight plan is found too (households the LP places whole
keep their region, the rest are placed by a time-limited MILP over the capacity left, as many as fit
first); the integral optimum lies between its outcome and the bound.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np
from numpy.typing import NDArray

from safepassage.placement.engine.columns import Entries, add_columns
from safepassage.placement.engine.instance import Instance

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class Hindsight:
    """``region`` per household (-1 unplaced) of the best integral plan found; ``bound`` is proven."""

    region: IntArray
    objective: float
    bound: float
    lp_bound: float
    placed: int
    status: str
    seconds: float


def _model(
    use: IntArray,
    eligible: BoolArray,
    capacity: IntArray,
    cost: FloatArray,
    min_placed: float,
    integral: bool,
    time_limit: float,
) -> tuple[highspy.Highs, IntArray, IntArray]:
    """Assignment model over eligible pairs: one row per household, R*K capacities, placed count."""
    rows_i, cols_j = np.nonzero(eligible)
    n, m = eligible.shape
    k_res = capacity.shape[1]
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("time_limit", max(time_limit, 0.1))
    h.setOptionValue("mip_rel_gap", 1e-5)
    if not integral:
        h.setOptionValue("solver", "ipm")
    inf = highspy.kHighsInf
    # rows: one per household (at most one region), R*K capacities, one placed-count row
    lower = np.concatenate([np.full(n, -inf), np.full(m * k_res, -inf), [min_placed]])
    upper = np.concatenate([np.ones(n), np.asarray(capacity, dtype=np.float64).reshape(-1), [inf]])
    h.addRows(len(lower), lower, upper, 0, np.zeros(len(lower), dtype=np.int32), np.zeros(0, np.int32), [])
    count_row = n + m * k_res
    every = np.arange(len(rows_i))
    entries: list[Entries] = [
        (every, rows_i, np.ones(len(rows_i))),
        (every, np.full(len(rows_i), count_row, dtype=np.int64), np.ones(len(rows_i))),
    ]
    for k in range(k_res):
        a = use[rows_i, k].astype(np.float64)
        nz = np.flatnonzero(a > 0)
        entries.append((nz, n + cols_j[nz] * k_res + k, a[nz]))
    add_columns(h, cost[rows_i, cols_j], np.ones(len(rows_i)), entries, integer=integral)
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    return h, rows_i, cols_j


def _used(use: IntArray, region: IntArray, n_regions: int) -> IntArray:
    placed = region >= 0
    used = np.zeros((n_regions, use.shape[1]), dtype=np.int64)
    np.add.at(used, region[placed], use[placed])
    return used


def max_placed(instance: Instance, *, time_limit: float = 60.0) -> float:
    """The most households any placement of ``instance`` places, by its LP relaxation (an upper
    bound, to PDLP's tolerance of about 1e-6)."""
    h, _, _ = _model(
        instance.use,
        instance.eligible,
        instance.capacity,
        np.ones_like(instance.score),
        0.0,
        False,
        time_limit,
    )
    h.setOptionValue("solver", "pdlp")  # first-order: about 5 s here where the IPM takes 27 s
    h.run()
    return float(h.getInfo().objective_function_value)


def hindsight_optimum(
    instance: Instance,
    outcome: FloatArray,
    *,
    min_placed: int = 0,
    time_limit: float = 120.0,
) -> Hindsight:
    """Maximise ``outcome`` (households x regions) over placements of ``instance`` placing at least
    ``min_placed`` households: the LP bound, then the households the LP places whole kept and the
    rest placed by the MILP (within ``time_limit``), whose dual bound tightens the LP's."""
    start = time.monotonic()
    cost = np.asarray(outcome, dtype=np.float64)
    lp, rows_i, cols_j = _model(
        instance.use, instance.eligible, instance.capacity, cost, float(min_placed), False, time_limit
    )
    lp.setOptionValue("solver", "simplex")
    lp.run()
    if lp.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise ValueError(
            f"no placement places {min_placed} households ({lp.modelStatusToString(lp.getModelStatus())})"
        )
    lp_bound = float(lp.getInfo().objective_function_value)
    x = np.asarray(lp.getSolution().col_value, dtype=np.float64)
    # Households the LP places whole keep their region; the split and unplaced ones are placed by a
    # MILP over the residual capacity (as many as fit first, then the most outcome).
    region = np.full(cost.shape[0], -1, dtype=np.int64)
    whole = x > 1.0 - 1e-6
    region[rows_i[whole]] = cols_j[whole]
    rest = np.flatnonzero(region < 0)
    residual = instance.capacity - _used(instance.use, region, instance.capacity.shape[0])
    fits = instance.eligible[rest].copy()
    for k in range(residual.shape[1]):
        fits &= instance.use[rest, k][:, None] <= residual[:, k][None, :]
    weight = 1.0 + float(np.abs(cost).max(initial=0.0))
    h, sub_i, sub_j = _model(
        instance.use[rest],
        fits,
        residual,
        cost[rest] + weight,
        0.0,
        True,
        time_limit - (time.monotonic() - start),
    )
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    if h.getInfo().primal_solution_status == 2:
        chosen = np.asarray(h.getSolution().col_value) > 0.5
        region[rest[sub_i[chosen]]] = sub_j[chosen]
    placed = region >= 0
    objective = float(cost[np.flatnonzero(placed), region[placed]].sum())
    return Hindsight(
        region=region,
        objective=objective,
        bound=lp_bound,
        lp_bound=lp_bound,
        placed=int(placed.sum()),
        status=status,
        seconds=time.monotonic() - start,
    )
