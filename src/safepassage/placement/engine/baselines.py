"""What practice does without an optimiser, measured under the same constraints.

- First come, first served: households in arrival order, each to the first region in the regions
  file's order that serves its needs, respects a hard tie and has capacity left (the tie region first
  when ties are weighted). Regions fill one after the other, as a fixed rota does.
- Proportional: households in arrival order, each to the eligible region with capacity left whose
  quota is least filled after taking it: regions receive households in proportion to their quota
  (the distribution keys of federal states work so).

Neither reads the outcome model: they are the "before" of the gains the report shows.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from safepassage.placement.engine.instance import Instance
from safepassage.placement.engine.types import RESOURCES, Resource

IntArray = NDArray[np.int64]
_QUOTA = RESOURCES.index(Resource.QUOTA_PERSONS)


def _run(inst: Instance, proportional: bool, weighted_ties: bool) -> IntArray:
    n = inst.eligible.shape[0]
    residual = inst.capacity.astype(np.int64).copy()
    quota = np.maximum(inst.capacity[:, _QUOTA].astype(np.float64), 1.0)
    region = np.full(n, -1, dtype=np.int64)
    for i in range(n):
        fits = inst.eligible[i] & (inst.use[i][None, :] <= residual).all(axis=1)
        if not fits.any():
            continue
        tie = int(inst.tie_index[i])
        if weighted_ties and tie >= 0 and fits[tie]:
            j = tie
        elif proportional:
            fill = (inst.capacity[:, _QUOTA] - residual[:, _QUOTA] + inst.use[i, _QUOTA]) / quota
            j = int(np.argmin(np.where(fits, fill, np.inf)))
        else:
            j = int(np.argmax(fits))
        region[i] = j
        residual[j] -= inst.use[i]
    return region


def first_come_first_served(inst: Instance, *, weighted_ties: bool = False) -> IntArray:
    return _run(inst, proportional=False, weighted_ties=weighted_ties)


def proportional(inst: Instance, *, weighted_ties: bool = False) -> IntArray:
    return _run(inst, proportional=True, weighted_ties=weighted_ties)


def total(matrix: NDArray[np.float64], region: IntArray) -> float:
    """The sum of ``matrix[h, region[h]]`` over placed households (predicted or true outcomes)."""
    rows = np.flatnonzero(region >= 0)
    return float(matrix[rows, region[rows]].sum())
