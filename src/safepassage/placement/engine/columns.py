"""Columns into a HiGHS model from their nonzeros given in any order.

Every model of the placement engine (the price-and-fix LP, the neighbourhood rounding, the hindsight
and the weekly two-stage programmes) builds its columns as lists of (column, row, coefficient)
arrays, one per kind of row (the household type's count, each resource of each region, the minimum
fill). HiGHS takes columns in compressed-column form: the nonzeros grouped by column, with where each
column starts. This is that conversion, once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import highspy
import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from safepassage.placement.engine.decomposition import TypedProblem

Entries = tuple[npt.NDArray[np.integer[Any]], npt.NDArray[np.integer[Any]], npt.NDArray[np.floating[Any]]]


def add_columns(
    h: highspy.Highs,
    cost: npt.ArrayLike,
    upper: npt.ArrayLike,
    entries: Sequence[Entries],
    *,
    integer: bool = False,
) -> int:
    """Add ``len(cost)`` columns with lower bound 0 and the given ``upper`` bounds to ``h``.
    ``entries``: (column among the new ones, row, coefficient) arrays. With ``integer``, the new
    columns are integer. Returns the index of the first new column."""
    cost = np.asarray(cost, dtype=np.float64)
    n = len(cost)
    col = np.concatenate([c for c, _, _ in entries]) if entries else np.zeros(0, dtype=np.int64)
    row = np.concatenate([r for _, r, _ in entries]) if entries else np.zeros(0, dtype=np.int64)
    val = np.concatenate([v for _, _, v in entries]) if entries else np.zeros(0)
    order = np.argsort(col, kind="stable")
    starts = np.concatenate([[0], np.cumsum(np.bincount(col, minlength=n))[:-1]]).astype(np.int32)
    first = int(h.getNumCol())
    h.addCols(
        n,
        cost,
        np.zeros(n),
        np.asarray(upper, dtype=np.float64),
        len(col),
        starts,
        row[order].astype(np.int32),
        np.asarray(val[order], dtype=np.float64),
    )
    if integer and n:
        h.changeColsIntegrality(
            n, np.arange(first, first + n, dtype=np.int32), np.full(n, highspy.HighsVarType.kInteger)
        )
    return first


def capacity_entries(
    p: TypedProblem,
    t: npt.NDArray[np.integer[Any]],
    r: npt.NDArray[np.integer[Any]],
    *,
    base: int,
    with_min: bool,
) -> list[Entries]:
    """The nonzeros of columns (type ``t[i]`` in region ``r[i]``) in the capacity rows, numbered from
    ``base``: row ``base + region * resources + resource``; with ``with_min``, each region's
    minimum-fill row (persons) after them."""
    n_regions, k_res = p.capacity.shape
    entries: list[Entries] = []
    for k in range(k_res):
        a = p.use[t, k]
        nz = np.flatnonzero(a > 0)
        entries.append((nz, base + r[nz] * k_res + k, a[nz]))
    if with_min:
        a = p.use[t, p.persons_col]
        nz = np.flatnonzero(a > 0)
        entries.append((nz, base + n_regions * k_res + r[nz], a[nz]))
    return entries
