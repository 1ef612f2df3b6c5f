"""The lexicographic objective, level by level, and its value for any set of placements.

Levels, in order (an earlier level is never traded for a later one):

1. ``tier 1 people`` … ``tier N people``: people moved in each tier (maximise), one level per tier;
2. ``people kept``, only when re-planning: people who stay on their previous leg (maximise), so
   among plans equal on the tiers the fewest people change leg;
3. ``departure cost``: Σ people × tier weight × hours after the earliest open departure (minimise),
   so higher tiers get the earlier legs;
4. ``empty seats``: seats left empty on legs that carry anybody (minimise): fill legs, free the rest.

Every solver reports these values, so plans from different solvers compare on the same scale.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from safepassage.movements.planner.model import Leg, Placement, Problem

KEPT = "people kept"
DEPARTURE = "departure cost"
EMPTY = "empty seats"


def tier_level(rank: int) -> str:
    return f"tier {rank} people"


def level_names(problem: Problem) -> list[tuple[str, str]]:
    names = [(tier_level(r), "max") for r in problem.policy.ranks]
    if problem.previous is not None:
        names.append((KEPT, "max"))
    names += [(DEPARTURE, "min"), (EMPTY, "min")]
    return names


def reference_time(legs: Iterable[Leg]) -> float:
    """The earliest open departure, as a POSIX timestamp: departure costs count hours after it."""
    times = [leg.departure.timestamp() for leg in legs if leg.status.open]
    return min(times) if times else 0.0


def hours_after(leg: Leg, ref: float) -> float:
    return max(0.0, (leg.departure.timestamp() - ref) / 3600.0)


def evaluate(problem: Problem, placements: Iterable[Placement]) -> dict[str, float]:
    """Each level's value for these placements (what any solver reports beside its bound)."""
    groups = {g.group_id: g for g in problem.groups}
    legs = {leg.leg_id: leg for leg in problem.legs}
    ref = reference_time(problem.legs)
    values: dict[str, float] = {name: 0.0 for name, _ in level_names(problem)}
    seats_used: dict[str, int] = defaultdict(int)
    used_legs: set[str] = set()
    previous: dict[tuple[str, str], int] = {}
    if problem.previous is not None:
        for p in problem.previous.placements:
            previous[(p.group_id, p.leg_id)] = p.people
    for p in placements:
        g, leg = groups[p.group_id], legs[p.leg_id]
        values[tier_level(g.tier)] += p.people
        weight = problem.policy.tier(g.tier).departure_weight
        values[DEPARTURE] += p.people * weight * hours_after(leg, ref)
        seats_used[p.leg_id] += p.persons
        if p.people:
            used_legs.add(p.leg_id)
        if problem.previous is not None:
            values[KEPT] += min(p.people, previous.get((p.group_id, p.leg_id), 0))
    values[EMPTY] = float(sum(legs[lid].seats - seats_used[lid] for lid in used_legs))
    return values
