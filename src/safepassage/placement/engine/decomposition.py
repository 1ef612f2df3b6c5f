"""The optimiser's typed problem and solution, and the column layout the LP and MILP share.

Why types (FIELD-NOTES): a MILP with one binary per household-region pair finds no feasible
solution in 300 s at 10,000 households, while the LP relaxation is easy and nearly integral.
Households with identical consumption, eligibility and values form one *type*; a column
``x[t, r]`` counts households of type t placed in region r, under rows ``sum_r x <= n_t`` per type,
one capacity row per region and resource, and optional minimum-fill rows. The LP relaxation is
solved by price-and-fix (``pricefix.py``) from Lagrangian prices (``lagrangian.py``) and rounded by a
MILP over its split and near-tied types, the rest kept where the LP put them (``neighbourhood.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import highspy
import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
INF = highspy.kHighsInf


@dataclass(frozen=True)
class TypedProblem:
    """The optimiser's input: types (rows) and regions (columns). Picklable for a child process.

    ``count`` may be fractional for types that are forecasts (dynamic mode); only ``integral`` types
    are rounded and repaired. ``persons_col`` is the index of the quota resource in ``use``.
    """

    count: FloatArray  # T
    integral: BoolArray  # T
    use: FloatArray  # T x K
    value: FloatArray  # T x R
    eligible: BoolArray  # T x R
    capacity: FloatArray  # R x K
    min_persons: FloatArray  # R
    persons_col: int = 0


@dataclass(frozen=True)
class TypedSolution:
    """``assign[t, r]``: households of type t placed in region r (fractional only for forecasts)."""

    assign: FloatArray
    objective: float
    bound: float
    status: str
    lp_objective: float
    capacity_duals: FloatArray
    rounds: int = 0
    columns: int = 0
    repaired: int = 0
    seconds: float = 0.0
    notes: tuple[str, ...] = field(default=())


def _column_entries(
    problem: TypedProblem, t: IntArray, r: IntArray, with_min: bool
) -> tuple[NDArray[np.int32], NDArray[np.int32], FloatArray]:
    """CSC arrays (starts, row indices, values) for columns (t, r); rows: types, R*K capacities, R mins."""
    n_types, k_res = problem.use.shape
    n_regions = problem.capacity.shape[0]
    col_ids: list[IntArray] = [np.arange(len(t))]
    rows: list[IntArray] = [t]
    vals: list[FloatArray] = [np.ones(len(t))]
    for k in range(k_res):
        a = problem.use[t, k]
        nz = np.flatnonzero(a > 0)
        col_ids.append(nz)
        rows.append(n_types + r[nz] * k_res + k)
        vals.append(a[nz])
    if with_min:
        a = problem.use[t, problem.persons_col]
        nz = np.flatnonzero(a > 0)
        col_ids.append(nz)
        rows.append(n_types + n_regions * k_res + r[nz])
        vals.append(a[nz])
    cid = np.concatenate(col_ids)
    order = np.argsort(cid, kind="stable")
    counts = np.bincount(cid, minlength=len(t))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int32)
    return (
        starts,
        np.concatenate(rows)[order].astype(np.int32),
        np.asarray(np.concatenate(vals)[order], dtype=np.float64),
    )
