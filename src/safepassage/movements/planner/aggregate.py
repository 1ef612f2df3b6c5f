"""From groups to a compact model per origin site: identical groups become one integer variable.

Legs from different origin sites share no group, so each origin is an independent sub-problem
(solved in its own process). Within one, whole groups with the same tier, persons, infants,
stretchers, baggage, eligible legs and previous leg are interchangeable in every constraint and
every objective level, so the model counts *how many* of them go on each leg (an integer) instead
of deciding each one (a binary): the same optimum, far fewer variables. Who exactly goes is decided
afterwards by registration time (earliest registered first, on the earliest legs). Groups allowed
to split keep their own part variables.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from safepassage.movements.planner.model import Group, Placement, Problem
from safepassage.movements.planner.objective import hours_after, level_names, reference_time
from safepassage.movements.planner.prepare import Prepared, part_baggage

ClassKey = tuple[int, int, int, int, float, tuple[int, ...], int]


@dataclass(frozen=True)
class Spec:
    """One origin site's model, in plain tuples so it pickles cheaply into a child process."""

    origin: str
    leg_ids: tuple[str, ...]
    seats: tuple[float, ...]  # capacities left after pinned groups
    lap: tuple[float, ...]
    stretchers: tuple[float, ...]
    baggage: tuple[float, ...]
    seats_total: tuple[float, ...]
    pinned_people: tuple[float, ...]
    hours: tuple[float, ...]
    weights: tuple[float, ...]  # departure weight per tier rank - 1
    levels: tuple[tuple[str, str], ...]
    # classes of identical whole groups
    cls_tier: tuple[int, ...]
    cls_persons: tuple[int, ...]
    cls_infants: tuple[int, ...]
    cls_stretchers: tuple[int, ...]
    cls_baggage: tuple[float, ...]
    cls_count: tuple[int, ...]
    cls_legs: tuple[tuple[int, ...], ...]
    cls_prev: tuple[int, ...]  # previous leg index, -1 for none
    # groups allowed to split (what is left of them after pinned parts)
    sp_tier: tuple[int, ...]
    sp_persons: tuple[int, ...]
    sp_infants: tuple[int, ...]
    sp_stretchers: tuple[int, ...]
    sp_per_person_kg: tuple[float, ...]
    sp_legs: tuple[tuple[int, ...], ...]
    sp_prev: tuple[tuple[tuple[int, int], ...], ...]  # (leg index, people before) pairs

    @property
    def size(self) -> int:
        return sum(len(legs) for legs in self.cls_legs) + 3 * sum(len(legs) for legs in self.sp_legs)


@dataclass(frozen=True)
class Component:
    spec: Spec
    members: tuple[tuple[str, ...], ...]  # per class: group ids, earliest registered first
    split_ids: tuple[str, ...]
    pinned: tuple[Placement, ...]


def _order(g: Group) -> tuple[object, ...]:
    return (g.registered_at, g.group_id)


def build_components(problem: Problem, prep: Prepared) -> list[Component]:
    ref = reference_time(problem.legs)
    levels = tuple(level_names(problem))
    weights = tuple(t.departure_weight for t in problem.policy.tiers)
    residual = prep.residual()
    by_origin: dict[str, list[Group]] = defaultdict(list)
    for g in prep.groups.values():
        by_origin[g.origin_site].append(g)
    origins = sorted({leg.origin_site for leg in problem.legs if leg.status.open} & set(by_origin))
    components = []
    for origin in origins:
        legs = sorted(
            (leg for leg in problem.legs if leg.origin_site == origin and leg.status.open),
            key=lambda leg: (leg.departure, leg.leg_id),
        )
        index = {leg.leg_id: i for i, leg in enumerate(legs)}
        used = [residual.get(leg.leg_id) for leg in legs]
        classes: dict[ClassKey, list[Group]] = defaultdict(list)
        splits: list[Group] = []
        pinned: list[Placement] = []
        for g in sorted(by_origin[origin], key=_order):
            pins = prep.pinned.get(g.group_id, ())
            pinned.extend(pins)
            if pins and g.may_split is None:
                continue
            eligible = tuple(
                index[lid] for lid in prep.eligible[g.group_id] if all(p.leg_id != lid for p in pins)
            )
            if not eligible:
                continue
            if g.may_split is not None:
                splits.append(g)
                continue
            before = prep.previous_legs.get(g.group_id, ())
            prev = index.get(before[0], -1) if len(before) == 1 else -1
            key = (g.tier, g.persons, g.infants, g.stretchers, g.baggage_kg, eligible, prev)
            classes[key].append(g)
        keys = list(classes)
        sp_left = []
        for g in splits:
            pins = prep.pinned.get(g.group_id, ())
            sp_left.append(
                (
                    g.persons - sum(p.persons for p in pins),
                    g.infants - sum(p.infants for p in pins),
                    g.stretchers - sum(p.stretchers for p in pins),
                )
            )
        spec = Spec(
            origin=origin,
            leg_ids=tuple(leg.leg_id for leg in legs),
            seats=tuple(leg.seats - (u.seats if u else 0) for leg, u in zip(legs, used, strict=True)),
            lap=tuple(leg.lap_places - (u.lap if u else 0) for leg, u in zip(legs, used, strict=True)),
            stretchers=tuple(
                leg.stretcher_places - (u.stretchers if u else 0) for leg, u in zip(legs, used, strict=True)
            ),
            baggage=tuple(
                leg.baggage_kg - (u.baggage if u else 0) for leg, u in zip(legs, used, strict=True)
            ),
            seats_total=tuple(float(leg.seats) for leg in legs),
            pinned_people=tuple((u.seats + u.lap + u.stretchers) if u else 0.0 for u in used),
            hours=tuple(hours_after(leg, ref) for leg in legs),
            weights=weights,
            levels=levels,
            cls_tier=tuple(k[0] for k in keys),
            cls_persons=tuple(k[1] for k in keys),
            cls_infants=tuple(k[2] for k in keys),
            cls_stretchers=tuple(k[3] for k in keys),
            cls_baggage=tuple(k[4] for k in keys),
            cls_count=tuple(len(classes[k]) for k in keys),
            cls_legs=tuple(k[5] for k in keys),
            cls_prev=tuple(k[6] for k in keys),
            sp_tier=tuple(g.tier for g in splits),
            sp_persons=tuple(left[0] for left in sp_left),
            sp_infants=tuple(left[1] for left in sp_left),
            sp_stretchers=tuple(left[2] for left in sp_left),
            sp_per_person_kg=tuple(g.baggage_kg / g.people if g.people else 0.0 for g in splits),
            sp_legs=tuple(
                tuple(
                    index[lid]
                    for lid in prep.eligible[g.group_id]
                    if all(p.leg_id != lid for p in prep.pinned.get(g.group_id, ()))
                )
                for g in splits
            ),
            sp_prev=tuple(
                tuple(
                    (index[lid], p.people)
                    for lid, p in sorted(prep.previous_parts.get(g.group_id, {}).items())
                    if lid in index
                )
                for g in splits
            ),
        )
        components.append(
            Component(
                spec=spec,
                members=tuple(tuple(g.group_id for g in classes[k]) for k in keys),
                split_ids=tuple(g.group_id for g in splits),
                pinned=tuple(pinned),
            )
        )
    return components


def disaggregate(
    problem: Problem,
    component: Component,
    counts: list[list[tuple[int, int]]],
    parts: list[list[tuple[int, int, int, int]]],
) -> list[Placement]:
    """Named placements from a solution: per class ``(leg index, how many)``; per split group
    ``(leg index, persons, infants, stretchers)``. Within a class the earliest registered groups
    take the earliest legs (and are the ones moved when not all are)."""
    groups = {g.group_id: g for g in problem.groups}
    spec = component.spec
    out = list(component.pinned)
    for members, legs in zip(component.members, counts, strict=True):
        queue = iter(members)
        for leg_index, how_many in sorted(legs):
            for _ in range(how_many):
                g = groups[next(queue)]
                out.append(
                    Placement(
                        g.group_id, spec.leg_ids[leg_index], g.persons, g.infants, g.stretchers, g.baggage_kg
                    )
                )
    for gid, mine in zip(component.split_ids, parts, strict=True):
        g = groups[gid]
        for leg_index, pe, inf, st in mine:
            if pe + inf + st:
                out.append(Placement(gid, spec.leg_ids[leg_index], pe, inf, st, part_baggage(g, pe, inf, st)))
    return out
