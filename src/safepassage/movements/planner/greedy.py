"""Priority-first greedy: the baseline every exact plan is measured against, and a fake for tests.

Groups in tier order, then registration order; each goes whole onto its previous leg if it still
fits (re-planning), else onto the earliest eligible leg with room on all four resources; a group
allowed to split fills legs in departure order, infants only beside a seated person of their group.
No bound is proven, so the plan's outcome is ``heuristic``.
"""

from __future__ import annotations

import time
from collections import defaultdict

from safepassage.movements.planner.model import Group, Leg, Outcome, Placement, Plan, Problem
from safepassage.movements.planner.prepare import (
    EPS,
    Load,
    Prepared,
    group_load,
    load_of,
    part_baggage,
    prepare,
    whole,
)
from safepassage.movements.planner.results import finish_plan


def _room(leg: Leg, used: Load) -> Load:
    return Load(
        leg.seats - used.seats,
        leg.lap_places - used.lap,
        leg.stretcher_places - used.stretchers,
        leg.baggage_kg - used.baggage,
    )


def _fits(need: Load, room: Load) -> bool:
    return (
        need.seats <= room.seats + EPS
        and need.lap <= room.lap + EPS
        and need.stretchers <= room.stretchers + EPS
        and need.baggage <= room.baggage + EPS
    )


def _split_part(g: Group, left: tuple[int, int, int], room: Load) -> tuple[int, int, int]:
    """The largest part of what is left of a group that fits this room (infants beside a seat)."""
    pe = int(min(left[0], max(room.seats, 0) + EPS))
    st = int(min(left[2], max(room.stretchers, 0) + EPS))
    inf = int(min(left[1], max(room.lap, 0) + EPS)) if pe else 0
    per = g.baggage_kg / g.people if g.people else 0.0
    while pe + inf + st and per * (pe + inf + st) > room.baggage + EPS:
        # shed the stretcher first, then an infant, then a seated person (and the infants it holds)
        if st:
            st -= 1
        elif inf:
            inf -= 1
        else:
            pe -= 1
            if not pe:
                inf = 0
    return pe, inf, st


def greedy_placements(prep: Prepared, order: list[Group]) -> list[Placement]:
    used: dict[str, Load] = defaultdict(Load)
    placements: list[Placement] = []
    for parts in prep.pinned.values():
        for p in parts:
            used[p.leg_id] = used[p.leg_id] + load_of(p)
            placements.append(p)
    for g in order:
        pinned = prep.pinned.get(g.group_id, ())
        if pinned and g.may_split is None:
            continue
        legs = [lid for lid in prep.eligible[g.group_id] if all(p.leg_id != lid for p in pinned)]
        previous = [lid for lid in prep.previous_legs.get(g.group_id, ()) if lid in legs]
        if g.may_split is None:
            need = group_load(g)
            for lid in previous + legs:
                if _fits(need, _room(prep.legs[lid], used[lid])):
                    used[lid] = used[lid] + need
                    placements.append(whole(g, lid))
                    break
            continue
        left = (
            g.persons - sum(p.persons for p in pinned),
            g.infants - sum(p.infants for p in pinned),
            g.stretchers - sum(p.stretchers for p in pinned),
        )
        for lid in previous + [x for x in legs if x not in previous]:
            if not any(left):
                break
            pe, inf, st = _split_part(g, left, _room(prep.legs[lid], used[lid]))
            if pe + inf + st == 0:
                continue
            part = Placement(g.group_id, lid, pe, inf, st, part_baggage(g, pe, inf, st))
            used[lid] = used[lid] + load_of(part)
            placements.append(part)
            left = (left[0] - pe, left[1] - inf, left[2] - st)
    return placements


def priority_order(groups: list[Group]) -> list[Group]:
    return sorted(groups, key=lambda g: (g.tier, g.registered_at, g.group_id))


class GreedySolver:
    """Priority-first greedy behind the same protocol as the exact solver."""

    name = "greedy"

    def solve(self, problem: Problem) -> Plan:
        started = time.perf_counter()
        prep = prepare(problem)
        placements = greedy_placements(prep, priority_order(list(problem.groups)))
        return finish_plan(
            problem,
            placements,
            bounds={},
            statuses={},
            outcome=Outcome.HEURISTIC,
            solver=self.name,
            seconds=time.perf_counter() - started,
        )
