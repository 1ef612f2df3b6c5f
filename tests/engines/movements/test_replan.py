"""Re-planning: boarding-pass holders keep their leg; nobody moves without need; every change says why."""

from __future__ import annotations

import dataclasses
import datetime as dt

from safepassage.movements.planner import (
    GreedySolver,
    HighsSolver,
    LegStatus,
    PreviousPlan,
    plan_movements,
    verify,
)

from .factories import T0, group, leg, problem


def _legs_of(plan):
    return {p.group_id: p.leg_id for p in plan.placements}


def _previous(pb, plan, boarded=()):
    return PreviousPlan(plan.placements, frozenset(g.group_id for g in pb.groups), frozenset(boarded))


def test_a_cancelled_leg_moves_only_its_own_people_when_there_is_room():
    groups = [group(f"g{i}", persons=2, tier=1 + i % 3) for i in range(6)]
    legs = [leg("L1", seats=4), leg("L2", seats=4), leg("L3", seats=8, departure=T0 + dt.timedelta(hours=3))]
    first = problem(groups, legs)
    plan = plan_movements(first, HighsSolver())
    before = _legs_of(plan)
    on_l1 = {g for g, lid in before.items() if lid == "L1"}
    assert on_l1
    legs2 = [dataclasses.replace(legs[0], status=LegStatus.CANCELLED), *legs[1:]]
    again = problem(groups, legs2, previous=_previous(first, plan))
    replan = plan_movements(again, HighsSolver())
    after = _legs_of(replan)
    moved = {g for g in before if after.get(g) != before[g]}
    assert moved == on_l1  # 6 groups x 2 = 12 seats needed, 12 left: nobody else needs to move
    assert all(c.reason == "leg L1 cancelled" for c in replan.changes)
    assert {c.group_id for c in replan.changes} == on_l1


def test_boarding_pass_holders_keep_their_leg_even_against_a_higher_tier():
    legs = [leg("L1", seats=2)]
    first = problem([group("t4", persons=2, tier=4)], legs)
    plan = plan_movements(first, HighsSolver())
    assert _legs_of(plan) == {"t4": "L1"}
    newcomer = group("t1", persons=2, tier=1)
    again = problem([group("t4", persons=2, tier=4), newcomer], legs, previous=_previous(first, plan, {"t4"}))
    for solver in (HighsSolver(), GreedySolver()):
        replan = plan_movements(again, solver)
        assert _legs_of(replan) == {"t4": "L1"}
    # without a boarding pass the tier-1 group takes the seats, and the change says why
    again = problem([group("t4", persons=2, tier=4), newcomer], legs, previous=_previous(first, plan))
    replan = plan_movements(again, HighsSolver())
    assert _legs_of(replan) == {"t1": "L1"}
    reasons = {c.group_id: c.reason for c in replan.changes}
    assert reasons["t4"] == "bumped from L1 by higher-priority groups"
    assert reasons["t1"] == "new group: placed on L1"


def test_a_leg_that_shrank_below_its_holders_releases_them():
    legs = [leg("L1", seats=4), leg("L2", seats=4, departure=T0 + dt.timedelta(hours=1))]
    groups = [group("a", persons=2, tier=2), group("b", persons=2, tier=2)]
    first = problem(groups, legs)
    plan = plan_movements(first, HighsSolver())
    assert set(_legs_of(plan).values()) == {"L1"}
    shrunk = [dataclasses.replace(legs[0], seats=2), legs[1]]
    again = problem(groups, shrunk, previous=_previous(first, plan, {"a", "b"}))
    replan = plan_movements(again, HighsSolver())
    after = _legs_of(replan)
    assert sorted(after.values()) == ["L1", "L2"]  # one stays, one moves: the fewest moves
    assert [c.reason for c in replan.changes] == ["leg L1 capacity reduced"]
    assert verify(again, replan) == []


def test_freed_seats_move_a_waiting_group_up_and_nobody_else_moves():
    legs = [leg("L1", seats=4), leg("L2", seats=2, departure=T0 + dt.timedelta(hours=2))]
    groups = [group("a", persons=4, tier=3), group("b", persons=2, tier=3), group("c", persons=2, tier=4)]
    first = problem(groups, legs)
    plan = plan_movements(first, HighsSolver())
    assert "c" not in _legs_of(plan)
    bigger = [dataclasses.replace(legs[0], seats=6), legs[1]]
    again = problem(groups, bigger, previous=_previous(first, plan))
    replan = plan_movements(again, HighsSolver())
    assert _legs_of(replan)["c"] == "L1"
    assert [(c.group_id, c.reason) for c in replan.changes] == [("c", "moved up: seats freed on L1")]


def test_a_group_that_left_is_reported_and_a_boarding_leg_takes_nobody_new():
    legs = [leg("L1", seats=4)]
    first = problem([group("a", persons=2, tier=1)], legs)
    plan = plan_movements(first, HighsSolver())
    boarding = [dataclasses.replace(legs[0], status=LegStatus.BOARDING)]
    again = problem([group("n", persons=2, tier=1)], boarding, previous=_previous(first, plan))
    replan = plan_movements(again, HighsSolver())
    assert replan.placements == ()
    assert [(c.group_id, c.reason) for c in replan.changes] == [("a", "left the operation")]
