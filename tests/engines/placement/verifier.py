"""An independent feasibility check of a placement, written from the rules in docs/placement.md.

It shares no code with the optimiser: consumption, eligibility and ties are recomputed here from the
households' and regions' own fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from safepassage.placement.engine import Household, PlacementPolicy, Region, TieMode

MEDICAL = ("dialysis", "oncology", "disability")


def needs_of(h: Household, official: Sequence[str]) -> dict[str, int]:
    size = h.adults + h.children_0_5 + h.children_6_17 + h.elderly
    use = {
        "quota_persons": size,
        "housing_small": 1 if size < 6 else 0,
        "housing_large": 1 if size >= 6 else 0,
        "school_places": h.children_6_17,
        "kindergarten_places": h.children_0_5,
        "language_course": 0 if set(h.languages) & set(official) else h.adults,
    }
    for m in MEDICAL:
        use[m] = sum(1 for n in h.needs if n == m)
    return use


def violations(
    households: Sequence[Household],
    regions: Sequence[Region],
    policy: PlacementPolicy,
    region_of: Mapping[str, str | None],
    *,
    household_ids_once: Sequence[str] | None = None,
) -> list[str]:
    """Every broken rule, as sentences; an empty list means the placement is feasible."""
    problems: list[str] = []
    by_id = {r.region_id: r for r in regions}
    ids = [h.household_id for h in households]
    if household_ids_once is not None and sorted(household_ids_once) != sorted(ids):
        problems.append("the plan does not list every household exactly once")
    used: dict[str, dict[str, int]] = {r.region_id: {} for r in regions}
    for h in households:
        rid = region_of.get(h.household_id)
        if rid is None:
            continue
        if rid not in by_id:
            problems.append(f"{h.household_id}: unknown region {rid}")
            continue
        region = by_id[rid]
        use = needs_of(h, policy.official_languages)
        for m in MEDICAL:
            if use[m] > 0 and getattr(region, m) == 0:
                problems.append(f"{h.household_id}: needs {m}, which {rid} does not offer")
        if policy.ties is TieMode.HARD and h.tie_region in by_id and h.tie_region != rid:
            problems.append(f"{h.household_id}: hard tie to {h.tie_region} but placed in {rid}")
        for key, amount in use.items():
            used[rid][key] = used[rid].get(key, 0) + amount
    quota_total = sum(r.quota_persons for r in regions)
    arriving = sum(needs_of(h, policy.official_languages)["quota_persons"] for h in households)
    for r in regions:
        fair = min(r.quota_persons, r.quota_persons * arriving / quota_total) if quota_total else 0.0
        for key, amount in used[r.region_id].items():
            if amount > getattr(r, key):
                problems.append(f"{r.region_id}: {key} used {amount} > capacity {getattr(r, key)}")
        persons = used[r.region_id].get("quota_persons", 0)
        if persons < int(policy.min_fill * fair + 1e-9):
            problems.append(f"{r.region_id}: {persons} persons, below the minimum fill")
    return problems
