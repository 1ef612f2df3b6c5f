"""Every proposal explains itself: predicted outcome, the next-best region and why it was not chosen.

The next-best region is the one with the highest predicted outcome plus bonuses other than the
chosen one, over all regions. If it is not better, the chosen region is the best. If it is better,
the first reason that holds is given: a medical need it does not serve, a hard family tie elsewhere,
a capacity it never had, its quota or another resource now full, or (when it still has room) the
capacity the optimiser kept for households that gain more there (its shadow price).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from safepassage.placement.engine.instance import Instance
from safepassage.placement.engine.types import MEDICAL_RESOURCES, RESOURCES, Proposal, ReasonCode, Resource

_NAMES = {
    Resource.QUOTA_PERSONS: "quota (persons)",
    Resource.HOUSING_SMALL: "small housing units",
    Resource.HOUSING_LARGE: "large housing units",
    Resource.SCHOOL_PLACES: "school places",
    Resource.KINDERGARTEN_PLACES: "kindergarten places",
    Resource.DIALYSIS: "dialysis places",
    Resource.ONCOLOGY: "oncology places",
    Resource.DISABILITY: "disability-service places",
    Resource.LANGUAGE_COURSE: "language-course places",
}
_MEDICAL = [RESOURCES.index(r) for r in MEDICAL_RESOURCES]
_QUOTA = RESOURCES.index(Resource.QUOTA_PERSONS)


def _missing_service(inst: Instance, i: int, j: int) -> str:
    for k in _MEDICAL:
        if inst.use[i, k] > 0 and inst.capacity[j, k] == 0:
            return RESOURCES[k].value
    return "a needed service"


def _short(use: NDArray[np.int64], room: NDArray[np.int64]) -> int | None:
    """The first resource (quota first) the household needs more of than ``room`` holds."""
    short = np.flatnonzero(use > room)
    return int(short[0]) if len(short) else None


def _why_not(
    inst: Instance, i: int, j2: int, residual: NDArray[np.int64], duals: NDArray[np.float64]
) -> tuple[ReasonCode, str]:
    name = inst.region_ids[j2]
    if not inst.need_ok[i, j2]:
        return ReasonCode.NEED, f"{name} offers no {_missing_service(inst, i, j2)}"
    tie = int(inst.tie_index[i])
    if tie >= 0 and tie != j2 and not inst.eligible[i, j2]:
        return ReasonCode.TIE, f"hard family tie to {inst.region_ids[tie]}"
    never = _short(inst.use[i], inst.capacity[j2])
    if never is not None:
        return (
            ReasonCode.CAPACITY,
            f"{name} has only {inst.capacity[j2, never]} {_NAMES[RESOURCES[never]]} in all",
        )
    full = _short(inst.use[i], residual[j2])
    if full is not None:
        code = ReasonCode.QUOTA if full == _QUOTA else ReasonCode.CAPACITY
        return code, f"{name}'s {_NAMES[RESOURCES[full]]} are taken by other households"
    cost = duals[j2] * inst.use[i]
    k = int(np.argmax(cost))
    if cost[k] > 1e-9:
        code = ReasonCode.QUOTA if k == _QUOTA else ReasonCode.CAPACITY
        return code, (
            f"{name}'s {_NAMES[RESOURCES[k]]} are worth more to other households "
            f"(shadow price {duals[j2, k]:.3f} per place)"
        )
    return ReasonCode.CAPACITY, f"{name}'s remaining capacity was used for households that gain more there"


def _unplaced(inst: Instance, i: int, residual: NDArray[np.int64]) -> tuple[ReasonCode, str]:
    tie = int(inst.tie_index[i])
    served = np.flatnonzero(inst.need_ok[i])
    if len(served) == 0:
        return (
            ReasonCode.UNPLACED_NEED,
            f"no region offers {_missing_service(inst, i, 0) if inst.use[i, _MEDICAL].any() else 'them'}",
        )
    candidates = np.flatnonzero(inst.eligible[i])
    if len(candidates) == 0 and tie >= 0 and not inst.need_ok[i, tie]:
        return ReasonCode.UNPLACED_TIE, (
            f"hard family tie to {inst.region_ids[tie]}, which offers no {_missing_service(inst, i, tie)}"
        )
    if len(candidates) == 0 and tie >= 0:
        k = _short(inst.use[i], inst.capacity[tie])
        what = _NAMES[RESOURCES[k]] if k is not None else "capacity"
        return ReasonCode.UNPLACED_TIE, f"hard family tie to {inst.region_ids[tie]}, which has too few {what}"
    if len(candidates) == 0:
        k = _short(inst.use[i], inst.capacity.max(axis=0))
        what = _NAMES[RESOURCES[k]] if k is not None else "capacity"
        return ReasonCode.UNPLACED_CAPACITY, f"no region has enough {what} for this household"
    shortages = [_short(inst.use[i], residual[j]) for j in candidates]
    if any(s is None for s in shortages):
        return ReasonCode.UNPLACED_SOLVER, "capacity is left but the solver did not place it (stopped early)"
    counts = np.bincount([s for s in shortages if s is not None], minlength=len(RESOURCES))
    k = int(np.argmax(counts))
    if counts[k] == len(candidates):
        if tie >= 0 and len(candidates) == 1:
            return (
                ReasonCode.UNPLACED_CAPACITY,
                f"{inst.region_ids[tie]} has no {_NAMES[RESOURCES[k]]} left for it",
            )
        return ReasonCode.UNPLACED_CAPACITY, f"no region has {_NAMES[RESOURCES[k]]} left for it"
    return ReasonCode.UNPLACED_CAPACITY, (
        f"every eligible region ({len(candidates)}) is full for it, most often on {_NAMES[RESOURCES[k]]}"
    )


def explain(inst: Instance, region: NDArray[np.int64], duals: NDArray[np.float64]) -> tuple[Proposal, ...]:
    """One proposal per household, in input order."""
    placed = region >= 0
    used = np.zeros_like(inst.capacity)
    np.add.at(used, region[placed], inst.use[placed])
    residual = inst.capacity - used
    total = inst.score + inst.bonus
    n, m = total.shape
    proposals: list[Proposal] = []
    for i in range(n):
        j = int(region[i])
        row = total[i].copy()
        if j >= 0:
            row[j] = -np.inf
        j2 = int(np.argmax(row)) if m > (1 if j >= 0 else 0) else -1
        next_id = inst.region_ids[j2] if j2 >= 0 else None
        next_score = float(inst.score[i, j2]) if j2 >= 0 else None
        if j < 0:
            code, reason = _unplaced(inst, i, residual)
            proposals.append(Proposal(inst.household_ids[i], None, None, next_id, next_score, code, reason))
            continue
        if j2 < 0 or total[i, j2] <= total[i, j] + 1e-12:
            code = ReasonCode.BEST
            reason = (
                "the highest expected outcome among all regions"
                if j2 < 0
                else (f"the highest expected outcome; next best {next_id} ({next_score:.2f})")
            )
        else:
            code, reason = _why_not(inst, i, j2, residual, duals)
        proposals.append(
            Proposal(
                inst.household_ids[i],
                inst.region_ids[j],
                float(inst.score[i, j]),
                next_id,
                next_score,
                code,
                reason,
            )
        )
    return tuple(proposals)
