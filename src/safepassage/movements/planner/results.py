"""Turning a solver's placements into a :class:`Plan`: merged parts, level values, and the changes
since the previous plan with a reason a movement planner can read ("leg L7 cancelled")."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from safepassage.movements.planner.model import (
    Change,
    Group,
    LevelResult,
    Outcome,
    Placement,
    Plan,
    Problem,
)
from safepassage.movements.planner.objective import evaluate, level_names
from safepassage.movements.planner.prepare import Load, load_of, part_baggage


def merge(problem: Problem, placements: Iterable[Placement]) -> tuple[Placement, ...]:
    """One placement per group and leg (parts on the same leg added up), in a stable order."""
    groups = {g.group_id: g for g in problem.groups}
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for p in placements:
        c = counts[(p.group_id, p.leg_id)]
        c[0] += p.persons
        c[1] += p.infants
        c[2] += p.stretchers
    out = []
    for (gid, lid), (pe, inf, st) in sorted(counts.items()):
        if pe + inf + st:
            out.append(Placement(gid, lid, pe, inf, st, part_baggage(groups[gid], pe, inf, st)))
    return tuple(out)


def _leg_gone_reason(problem: Problem, group: Group, leg_id: str) -> str | None:
    legs = {leg.leg_id: leg for leg in problem.legs}
    leg = legs.get(leg_id)
    if leg is None:
        return f"leg {leg_id} no longer listed"
    if not leg.status.open:
        return f"leg {leg_id} {leg.status.value}"
    if leg.origin_site != group.origin_site:
        return f"leg {leg_id} no longer leaves from {group.origin_site}"
    if not problem.policy.admits(leg_id, group.tier):
        return f"leg {leg_id} no longer admits tier {group.tier}"
    previous = problem.previous
    assert previous is not None
    load = Load()
    for p in previous.placements:
        if p.leg_id == leg_id:
            load = load + load_of(p)
    if not load.fits(leg):
        return f"leg {leg_id} capacity reduced"
    return None


def compute_changes(problem: Problem, placements: tuple[Placement, ...]) -> tuple[Change, ...]:
    previous = problem.previous
    if previous is None:
        return ()
    groups = {g.group_id: g for g in problem.groups}
    before: dict[str, dict[str, int]] = defaultdict(dict)
    for p in previous.placements:
        before[p.group_id][p.leg_id] = before[p.group_id].get(p.leg_id, 0) + p.people
    after: dict[str, dict[str, int]] = defaultdict(dict)
    for p in placements:
        after[p.group_id][p.leg_id] = after[p.group_id].get(p.leg_id, 0) + p.people
    tiers_on: dict[str, set[str]] = defaultdict(set)
    for p in placements:
        tiers_on[p.leg_id].add(p.group_id)
    changes = []
    for gid in sorted(set(before) | set(after)):
        old, new = before.get(gid, {}), after.get(gid, {})
        if old == new:
            continue
        old_legs = "+".join(sorted(old)) or None
        new_legs = "+".join(sorted(new)) or None
        group = groups.get(gid)
        if group is None:
            changes.append(Change(gid, old_legs, None, sum(old.values()), "left the operation"))
            continue
        people = group.people
        if not old:
            known = gid in previous.known_groups
            reason = f"moved up: seats freed on {new_legs}" if known else f"new group: placed on {new_legs}"
            changes.append(Change(gid, None, new_legs, people, reason))
            continue
        reasons = []
        for lid in sorted(old):
            if new.get(lid, 0) >= old[lid]:
                continue
            gone = _leg_gone_reason(problem, group, lid)
            if gone is None:
                newcomers = tiers_on[lid] - set(p.group_id for p in previous.placements if p.leg_id == lid)
                better = any(groups[o].tier < group.tier for o in newcomers if o in groups)
                gone = (
                    f"bumped from {lid} by higher-priority groups"
                    if better
                    else f"re-planned: places on {lid} went to a better plan"
                )
            reasons.append(gone)
        if not reasons:
            reasons.append("more of the group placed")
        changes.append(Change(gid, old_legs, new_legs, people, "; ".join(reasons)))
    return tuple(changes)


def finish_plan(
    problem: Problem,
    placements: Iterable[Placement],
    *,
    bounds: Mapping[str, float | None],
    statuses: Mapping[str, str],
    outcome: Outcome,
    solver: str,
    seconds: float,
    notes: tuple[str, ...] = (),
) -> Plan:
    merged = merge(problem, placements)
    values = evaluate(problem, merged)
    levels = tuple(
        LevelResult(
            name,
            sense,
            values[name],
            bounds.get(name),
            statuses.get(name, "heuristic" if outcome == Outcome.HEURISTIC else "unknown"),
        )
        for name, sense in level_names(problem)
    )
    return Plan(
        placements=merged,
        levels=levels,
        outcome=outcome,
        solver=solver,
        solve_seconds=seconds,
        changes=compute_changes(problem, merged),
        notes=notes,
    )
