"""What every solver needs before it optimises: which legs each group may take, who is pinned.

- Eligible: the leg leaves from the group's origin site, is open (planned or boarding, never
  departed, arrived or cancelled), its admission rules admit the group's tier, and it has room for
  the whole group on each of the four resources when empty (a group that may split needs room for
  one of its parts). A leg that is *boarding* when a previous plan is given is frozen: only the
  groups already on it stay, nobody is added.
- Pinned: a group holding a boarding pass (or on a boarding leg) keeps its previous leg, unless the
  leg is gone (cancelled, departed, no longer listed, or no longer from the group's origin) or
  shrank below the pinned groups on it (then they are all re-planned, preferring to stay).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from safepassage.movements.planner.model import Group, Leg, LegStatus, Placement, Problem

EPS = 1e-6


@dataclass(frozen=True)
class Load:
    """Use of a leg's four resources."""

    seats: float = 0
    lap: float = 0
    stretchers: float = 0
    baggage: float = 0

    def __add__(self, other: Load) -> Load:
        return Load(
            self.seats + other.seats,
            self.lap + other.lap,
            self.stretchers + other.stretchers,
            self.baggage + other.baggage,
        )

    def fits(self, leg: Leg) -> bool:
        return (
            self.seats <= leg.seats + EPS
            and self.lap <= leg.lap_places + EPS
            and self.stretchers <= leg.stretcher_places + EPS
            and self.baggage <= leg.baggage_kg + EPS
        )


def load_of(p: Placement) -> Load:
    return Load(p.persons, p.infants, p.stretchers, p.baggage_kg)


def group_load(g: Group) -> Load:
    return Load(g.persons, g.infants, g.stretchers, g.baggage_kg)


def part_baggage(g: Group, persons: int, infants: int, stretchers: int) -> float:
    """A part's share of its group's baggage: in proportion to its people."""
    people = persons + infants + stretchers
    if people == g.people:
        return g.baggage_kg
    return g.baggage_kg * people / g.people if g.people else 0.0


def whole(g: Group, leg_id: str) -> Placement:
    return Placement(g.group_id, leg_id, g.persons, g.infants, g.stretchers, g.baggage_kg)


@dataclass(frozen=True)
class Prepared:
    groups: dict[str, Group]
    legs: dict[str, Leg]
    eligible: dict[str, tuple[str, ...]]  # group id → leg ids, earliest departure first
    pinned: dict[str, tuple[Placement, ...]]  # group id → its kept placement(s)
    previous_legs: dict[str, tuple[str, ...]]  # group id → the legs it had in the previous plan
    previous_parts: dict[str, dict[str, Placement]]  # group id → leg id → previous placement
    shrunk: tuple[str, ...]  # legs that shrank below their pinned groups

    def residual(self) -> dict[str, Load]:
        """Each leg's use by the pinned groups."""
        used: dict[str, Load] = defaultdict(Load)
        for parts in self.pinned.values():
            for p in parts:
                used[p.leg_id] = used[p.leg_id] + load_of(p)
        return used


def _could_take(g: Group, leg: Leg) -> bool:
    if g.may_split is not None:  # room for at least one part: a person, or a stretcher
        one = (leg.seats >= 1 and g.persons > 0) or (leg.stretcher_places >= 1 and g.stretchers > 0)
        return one and leg.baggage_kg + EPS >= g.baggage_kg / max(g.people, 1)
    return group_load(g).fits(leg)


def prepare(problem: Problem) -> Prepared:
    groups = {g.group_id: g for g in problem.groups}
    legs = {leg.leg_id: leg for leg in problem.legs}
    previous = problem.previous
    previous_parts: dict[str, dict[str, Placement]] = defaultdict(dict)
    if previous is not None:
        for p in previous.placements:
            if p.group_id in groups:
                previous_parts[p.group_id][p.leg_id] = p
    frozen = previous is not None

    # Pins: boarding-pass holders and everyone on a boarding leg keep their leg if it still fits.
    candidates: dict[str, list[Placement]] = defaultdict(list)
    for gid, parts in previous_parts.items():
        g = groups[gid]
        boarded = previous is not None and gid in previous.boarded
        for leg_id, p in parts.items():
            leg = legs.get(leg_id)
            if leg is None or not leg.status.open or leg.origin_site != g.origin_site:
                continue
            if not problem.policy.admits(leg_id, g.tier):
                continue
            if boarded or leg.status == LegStatus.BOARDING:
                if g.may_split is None:
                    candidates[leg_id].append(whole(g, leg_id))
                else:
                    pe, inf, st = min(p.persons, g.persons), min(p.infants, g.infants), 0
                    st = min(p.stretchers, g.stretchers)
                    if inf and not pe:
                        inf = 0
                    candidates[leg_id].append(
                        Placement(gid, leg_id, pe, inf, st, part_baggage(g, pe, inf, st))
                    )
    pinned: dict[str, list[Placement]] = defaultdict(list)
    shrunk = []
    for leg_id, placed in sorted(candidates.items()):
        total = Load()
        for p in placed:
            total = total + load_of(p)
        if not total.fits(legs[leg_id]):
            shrunk.append(leg_id)
            continue
        for p in placed:
            if p.people:
                pinned[p.group_id].append(p)
    # A pinned whole group is done; a pinned split group may still place its other members.

    eligible: dict[str, tuple[str, ...]] = {}
    ordered = sorted(legs.values(), key=lambda leg: (leg.departure, leg.leg_id))
    by_origin: dict[str, list[Leg]] = defaultdict(list)
    for leg in ordered:
        if leg.status.open:
            by_origin[leg.origin_site].append(leg)
    for g in groups.values():
        ok = []
        for leg in by_origin.get(g.origin_site, []):
            if not problem.policy.admits(leg.leg_id, g.tier):
                continue
            if (
                frozen
                and leg.status == LegStatus.BOARDING
                and leg.leg_id not in previous_parts.get(g.group_id, {})
            ):
                continue
            if _could_take(g, leg):
                ok.append(leg.leg_id)
        eligible[g.group_id] = tuple(ok)
    return Prepared(
        groups=groups,
        legs=legs,
        eligible=eligible,
        pinned={k: tuple(v) for k, v in pinned.items()},
        previous_legs={k: tuple(v) for k, v in previous_parts.items()},
        previous_parts=dict(previous_parts),
        shrunk=tuple(shrunk),
    )
