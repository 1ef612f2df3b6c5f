"""One week of dynamic placement: the batch placed whole against scenarios of who is still to come.

The week's model is a two-stage sample-average programme solved by HiGHS as one MILP:
- first stage: one binary per eligible (batch household, region); each household is placed once or
  waits for the next week;
- second stage, per scenario s: one continuous variable per eligible (forecast household, region),
  up to the arrivals that household stands for (``Scenario.weight``);
- capacity rows per scenario: the batch's use plus scenario s's use within the capacity left, so
  every scenario must fit beside the same batch decision;
- objective: the batch's value plus the mean over scenarios of the forecast's value.

With one scenario this is the re-solved certainty-equivalent (fluid) programme; with several it keeps
capacity that is scarce in *some* plausible futures, not only in the average one. The batch is
integral in the model itself (no rounding after an LP), which matters: a week's batch is small, so
the LP splits a large share of it. The forecast households stay continuous (they stand for arrivals
that have not come, and only the batch's decision is kept).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import highspy
import numpy as np
from numpy.typing import NDArray

from safepassage.placement.engine.columns import Entries, add_columns

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
INF = highspy.kHighsInf


@dataclass(frozen=True)
class WeekBlock:
    """Rows of households in one block of the week's model: consumption, eligibility and value."""

    use: IntArray  # n x K
    eligible: BoolArray  # n x R
    value: FloatArray  # n x R
    count: FloatArray  # n: arrivals each row stands for (1 for the batch)
    integral: bool = False  # whole households (the batch always; a clairvoyant forecast too)


@dataclass(frozen=True)
class WeekDecision:
    """Region per batch household (-1: waits), the model's objective and HiGHS's status;
    ``solved`` is False when HiGHS found no placement in time (then everyone waits)."""

    region: IntArray
    objective: float
    status: str
    solved: bool


def solve_week(
    batch: WeekBlock,
    scenarios: Sequence[WeekBlock],
    capacity: IntArray,
    *,
    time_limit: float,
    gap: float = 1e-6,
) -> WeekDecision:
    """Place the batch (integral) against every scenario's forecast (continuous, mean value)."""
    n_regions, k_res = capacity.shape
    n_s = max(len(scenarios), 1)
    blocks: list[tuple[WeekBlock, int, float]] = [(batch, -1, 1.0)]
    blocks += [(sc, s, 1.0 / n_s) for s, sc in enumerate(scenarios)]
    # rows: one "placed at most count" row per household of every block, then per scenario R*K capacities
    household_rows = sum(len(b.count) for b, _, _ in blocks)
    cap_rows = n_s * n_regions * k_res
    lower = np.full(household_rows + cap_rows, -INF)
    upper = np.concatenate(
        [np.concatenate([b.count for b, _, _ in blocks]), np.tile(capacity.reshape(-1), n_s)]
    ).astype(np.float64)
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("time_limit", max(float(time_limit), 0.5))
    h.setOptionValue("mip_rel_gap", float(gap))
    h.addRows(len(lower), lower, upper, 0, np.zeros(len(lower), dtype=np.int32), np.zeros(0, np.int32), [])
    offset = 0
    batch_cols: tuple[IntArray, IntArray] = (np.zeros(0, np.int64), np.zeros(0, np.int64))
    for block, s, share in blocks:
        rows_i, cols_j = np.nonzero(block.eligible)
        entries: list[Entries] = [(np.arange(len(rows_i)), offset + rows_i, np.ones(len(rows_i)))]
        # the batch uses capacity in every scenario; a scenario's forecast only in its own rows
        for scen in range(n_s) if s < 0 else (s,):
            base = household_rows + scen * n_regions * k_res
            for k in range(k_res):
                a = block.use[rows_i, k].astype(np.float64)
                nz = np.flatnonzero(a > 0)
                entries.append((nz, base + cols_j[nz] * k_res + k, a[nz]))
        add_columns(
            h,
            share * block.value[rows_i, cols_j],
            block.count[rows_i],
            entries,
            integer=bool(s < 0 or block.integral),
        )
        if s < 0:
            batch_cols = (rows_i, cols_j)
        offset += len(block.count)
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    h.run()
    region = np.full(len(batch.count), -1, dtype=np.int64)
    status = h.modelStatusToString(h.getModelStatus())
    solved = h.getInfo().primal_solution_status == 2
    if solved:
        x = np.asarray(h.getSolution().col_value[: len(batch_cols[0])], dtype=np.float64)
        chosen = x > 0.5
        region[batch_cols[0][chosen]] = batch_cols[1][chosen]
    return WeekDecision(
        region=region, objective=float(h.getInfo().objective_function_value), status=status, solved=solved
    )
