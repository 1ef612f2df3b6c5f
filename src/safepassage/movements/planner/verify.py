"""An independent check of every hard constraint of a plan, from scratch.

Deliberately shares no code with the model builders or the greedy (only the dataclasses and the
policy's admission rule), so a bug in how a solver builds its constraints cannot also hide here.
Used by the tests on random instances and by the CLI before it writes any output.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from safepassage.movements.planner.model import LegStatus, Plan, Problem

TOLERANCE = 1e-6


@dataclass(frozen=True)
class Violation:
    """One broken hard constraint: which rule, and which group or leg."""

    rule: str
    subject: str
    detail: str

    def __str__(self) -> str:
        return f"{self.rule} ({self.subject}): {self.detail}"


def verify(problem: Problem, plan: Plan) -> list[Violation]:
    out: list[Violation] = []
    groups = {g.group_id: g for g in problem.groups}
    legs = {leg.leg_id: leg for leg in problem.legs}
    seats: dict[str, float] = defaultdict(float)
    lap: dict[str, float] = defaultdict(float)
    stretchers: dict[str, float] = defaultdict(float)
    baggage: dict[str, float] = defaultdict(float)
    parts: dict[str, list[tuple[str, int, int, int]]] = defaultdict(list)

    for p in plan.placements:
        g, leg = groups.get(p.group_id), legs.get(p.leg_id)
        if g is None:
            out.append(Violation("unknown group", p.group_id, f"placed on {p.leg_id}"))
            continue
        if leg is None:
            out.append(Violation("unknown leg", p.leg_id, f"group {p.group_id} placed on it"))
            continue
        if min(p.persons, p.infants, p.stretchers) < 0 or p.baggage_kg < -TOLERANCE:
            out.append(Violation("negative count", p.group_id, f"on {p.leg_id}"))
        if leg.status in (LegStatus.CANCELLED, LegStatus.DEPARTED, LegStatus.ARRIVED):
            out.append(Violation("leg not open", p.leg_id, f"{leg.status.value}, carries {p.group_id}"))
        if leg.origin_site != g.origin_site:
            out.append(
                Violation(
                    "origin mismatch",
                    p.group_id,
                    f"waits at {g.origin_site}, leg {p.leg_id} leaves {leg.origin_site}",
                )
            )
        for rule in problem.policy.admission:
            if p.leg_id in rule.legs and g.tier not in rule.tiers:
                out.append(Violation("not admitted", p.group_id, f"tier {g.tier} on {p.leg_id}"))
        if p.infants > 0 and p.persons < 1:
            out.append(
                Violation("infant without an adult", p.group_id, f"{p.infants} infant(s) alone on {p.leg_id}")
            )
        expected_bag = g.baggage_kg * (p.persons + p.infants + p.stretchers) / max(g.people, 1)
        if abs(p.baggage_kg - expected_bag) > TOLERANCE * max(1.0, g.baggage_kg):
            out.append(Violation("baggage not with its people", p.group_id, f"on {p.leg_id}"))
        seats[p.leg_id] += p.persons
        lap[p.leg_id] += p.infants
        stretchers[p.leg_id] += p.stretchers
        baggage[p.leg_id] += p.baggage_kg
        parts[p.group_id].append((p.leg_id, p.persons, p.infants, p.stretchers))

    for lid, leg in legs.items():
        for name, used, cap in (
            ("seats", seats[lid], leg.seats),
            ("lap places", lap[lid], leg.lap_places),
            ("stretcher places", stretchers[lid], leg.stretcher_places),
            ("baggage kg", baggage[lid], leg.baggage_kg),
        ):
            if used > cap + TOLERANCE * max(1.0, cap):
                out.append(Violation("capacity exceeded", lid, f"{name}: {used:g} > {cap:g}"))

    for gid, mine in parts.items():
        g = groups[gid]
        leg_ids = [m[0] for m in mine]
        if len(set(leg_ids)) != len(leg_ids):
            out.append(Violation("group listed twice on a leg", gid, ", ".join(sorted(leg_ids))))
        total = (sum(m[1] for m in mine), sum(m[2] for m in mine), sum(m[3] for m in mine))
        if g.may_split is None:
            if len(mine) > 1:
                out.append(Violation("family split", gid, f"across {', '.join(sorted(leg_ids))}"))
            elif total != (g.persons, g.infants, g.stretchers):
                out.append(Violation("family split", gid, f"only {total} of the group on {leg_ids[0]}"))
        elif total[0] > g.persons or total[1] > g.infants or total[2] > g.stretchers:
            out.append(Violation("more people than the group", gid, f"{total}"))

    out.extend(_check_pins(problem, plan))
    return out


def _check_pins(problem: Problem, plan: Plan) -> list[Violation]:
    """Boarding-pass holders keep their leg unless it is gone or shrank below them; a boarding leg
    takes nobody new."""
    previous = problem.previous
    if previous is None:
        return []
    out = []
    groups = {g.group_id: g for g in problem.groups}
    legs = {leg.leg_id: leg for leg in problem.legs}
    now = {(p.group_id, p.leg_id): p for p in plan.placements}
    before = {(p.group_id, p.leg_id): p for p in previous.placements}
    for p in plan.placements:
        leg = legs.get(p.leg_id)
        if leg is not None and leg.status == LegStatus.BOARDING and (p.group_id, p.leg_id) not in before:
            out.append(Violation("added to a boarding leg", p.group_id, p.leg_id))
    held: dict[str, list[tuple[str, float, float, float, float]]] = defaultdict(list)
    for (gid, lid), p in before.items():
        g, leg = groups.get(gid), legs.get(lid)
        if g is None or leg is None or leg.status not in (LegStatus.PLANNED, LegStatus.BOARDING):
            continue
        if leg.origin_site != g.origin_site or not problem.policy.admits(lid, g.tier):
            continue
        if gid in previous.boarded or leg.status == LegStatus.BOARDING:
            need: tuple[int, int, int, float]
            if g.may_split is None:
                need = (g.persons, g.infants, g.stretchers, g.baggage_kg)
            else:
                pe, st = min(p.persons, g.persons), min(p.stretchers, g.stretchers)
                inf = min(p.infants, g.infants) if pe else 0
                need = (pe, inf, st, g.baggage_kg * (pe + inf + st) / max(g.people, 1))
            held[lid].append((gid, *need))
    for lid, holders in held.items():
        leg = legs[lid]
        fits = (
            sum(h[1] for h in holders) <= leg.seats
            and sum(h[2] for h in holders) <= leg.lap_places
            and sum(h[3] for h in holders) <= leg.stretcher_places
            and sum(h[4] for h in holders) <= leg.baggage_kg + TOLERANCE * max(1.0, leg.baggage_kg)
        )
        if not fits:
            continue  # the leg shrank below its holders: they may be re-planned
        for gid, seats_held, lap_held, stretchers_held, _ in holders:
            kept = now.get((gid, lid))
            if (
                kept is None
                or kept.persons < seats_held
                or kept.infants < lap_held
                or kept.stretchers < stretchers_held
            ):
                out.append(Violation("boarding pass holder moved", gid, f"off {lid}"))
    return out
