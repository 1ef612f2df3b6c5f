"""What each household consumes and where it may go: the numbers the optimiser works on.

Resource use per household (documented in docs/placement.md):
- quota: its persons; housing: one small unit, or one large unit when it has 6 persons or more;
- school places: its children 6-17; kindergarten places: its children 0-5;
- dialysis, oncology, disability: one place per mention of the need (``dialysis;dialysis`` = two
  persons on dialysis); these needs are hard: the household goes only where the service exists;
- language-course places: its adults, unless the household speaks an official language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from safepassage.placement.engine.types import (
    LARGE_HOUSEHOLD,
    MEDICAL_RESOURCES,
    RESOURCES,
    Household,
    PlacementPolicy,
    Region,
    Resource,
    TieMode,
)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
K = len(RESOURCES)
_INDEX = {r: i for i, r in enumerate(RESOURCES)}


def consumption(household: Household, policy: PlacementPolicy) -> list[int]:
    """The household's use of each resource, in ``RESOURCES`` order (the same in every region)."""
    use = [0] * K
    use[_INDEX[Resource.QUOTA_PERSONS]] = household.persons
    large = household.persons >= LARGE_HOUSEHOLD
    use[_INDEX[Resource.HOUSING_LARGE if large else Resource.HOUSING_SMALL]] = 1
    use[_INDEX[Resource.SCHOOL_PLACES]] = household.children_6_17
    use[_INDEX[Resource.KINDERGARTEN_PLACES]] = household.children_0_5
    for resource in MEDICAL_RESOURCES:
        use[_INDEX[resource]] = household.needs.count(resource.value)
    speaks = any(lang in policy.official_languages for lang in household.languages)
    use[_INDEX[Resource.LANGUAGE_COURSE]] = 0 if speaks else household.adults
    return use


@dataclass(frozen=True)
class Instance:
    """Arrays over households (rows) and regions (columns); ``value`` is what the optimiser maximises."""

    household_ids: tuple[str, ...]
    region_ids: tuple[str, ...]
    use: IntArray  # H x K
    capacity: IntArray  # R x K
    score: FloatArray  # H x R predicted outcome
    bonus: FloatArray  # H x R preference and weighted-tie bonuses
    value: FloatArray  # H x R placement weight + score + bonus
    eligible: BoolArray  # H x R
    need_ok: BoolArray  # H x R: the region offers every medical service the household needs
    tie_index: IntArray  # H: region index of a known tie, -1 without
    min_persons: FloatArray  # R: persons each region must receive (fairness floor)
    placement_weight: float

    @property
    def persons(self) -> IntArray:
        return self.use[:, _INDEX[Resource.QUOTA_PERSONS]]


def build_instance(
    households: Sequence[Household], regions: Sequence[Region], score: FloatArray, policy: PlacementPolicy
) -> Instance:
    """Consumption, eligibility (hard needs, hard ties, fit) and values with bonuses."""
    n, m = len(households), len(regions)
    region_index = {r.region_id: j for j, r in enumerate(regions)}
    use = np.array([consumption(h, policy) for h in households], dtype=np.int64).reshape(n, K)
    capacity = np.array([[r.capacity(res) for res in RESOURCES] for r in regions], dtype=np.int64).reshape(
        m, K
    )
    medical = [_INDEX[res] for res in MEDICAL_RESOURCES]
    need_ok = np.ones((n, m), dtype=bool)
    for k in medical:
        need_ok &= ~((use[:, k][:, None] > 0) & (capacity[:, k][None, :] == 0))
    fits = np.ones((n, m), dtype=bool)
    for k in range(K):
        fits &= use[:, k][:, None] <= capacity[:, k][None, :]
    tie_index = np.array([region_index.get(h.tie_region or "", -1) for h in households], dtype=np.int64)
    eligible = need_ok & fits
    bonus = np.zeros((n, m))
    for i, h in enumerate(households):
        for rank, region_id in enumerate(h.preferences, start=1):
            j = region_index.get(region_id)
            if j is not None:
                bonus[i, j] += policy.preference_weight / rank
    tied = np.flatnonzero(tie_index >= 0)
    if policy.ties is TieMode.HARD:
        mask = np.zeros((len(tied), m), dtype=bool)
        mask[np.arange(len(tied)), tie_index[tied]] = True
        eligible[tied] &= mask
    else:
        bonus[tied, tie_index[tied]] += policy.tie_weight
    score = np.asarray(score, dtype=np.float64).reshape(n, m)
    top = float(score.max()) if score.size else 0.0
    weight = policy.placement_weight if policy.placement_weight is not None else 1.0 + max(top, 0.0)
    value = weight + score + bonus
    # Fairness floor: each region receives at least ``min_fill`` of its share (by quota) of the
    # arriving persons, never more than its quota.
    quota = np.array([r.quota_persons for r in regions], dtype=np.float64)
    arriving = float(use[:, _INDEX[Resource.QUOTA_PERSONS]].sum())
    share = quota / quota.sum() * arriving if quota.sum() > 0 else np.zeros(m)
    min_persons = np.floor(policy.min_fill * np.minimum(quota, share) + 1e-9)
    return Instance(
        household_ids=tuple(h.household_id for h in households),
        region_ids=tuple(r.region_id for r in regions),
        use=use,
        capacity=capacity,
        score=score,
        bonus=bonus,
        value=value,
        eligible=eligible,
        need_ok=need_ok,
        tie_index=tie_index,
        min_persons=min_persons,
        placement_weight=weight,
    )
