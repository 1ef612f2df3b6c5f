"""The independent verifier on seeded random instances, for both solvers; exact never worse."""

from __future__ import annotations

import dataclasses
import random

import pytest

from safepassage.movements.planner import (
    GreedySolver,
    HighsSolver,
    LegStatus,
    Placement,
    Plan,
    PreviousPlan,
    Problem,
    plan_movements,
    verify,
)
from safepassage.movements.planner.synthetic import generate

from .factories import policy

SEEDS = range(50)


def _instance(seed: int) -> Problem:
    rng = random.Random(seed)
    inst = generate(
        rng.randint(5, 60),
        rng.randint(4, 8),
        seed=seed,
        capacity_ratio=rng.uniform(0.3, 1.2),
        split_share=0.5,
        baggage_step=rng.choice((1, 5)),
    )
    legs = list(inst.legs)
    for i in rng.sample(range(len(legs)), k=1):
        legs[i] = dataclasses.replace(legs[i], status=LegStatus.CANCELLED)
    return Problem(inst.groups, tuple(legs), policy(time_limit_s=10.0, mip_rel_gap=0.0))


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_both_solvers_pass_the_verifier_and_exact_is_never_worse(seed):
    pb = _instance(seed)
    exact = plan_movements(pb, HighsSolver())  # plan_movements verifies too; check again explicitly
    greedy = plan_movements(pb, GreedySolver())
    assert verify(pb, exact) == []
    assert verify(pb, greedy) == []
    tiers = len(pb.policy.tiers)
    exact_tiers = [lv.value for lv in exact.levels[:tiers]]
    greedy_tiers = [lv.value for lv in greedy.levels[:tiers]]
    assert exact_tiers >= greedy_tiers  # lexicographic comparison, tier 1 first
    for lv in exact.levels[:tiers]:
        assert lv.bound is not None and lv.value <= lv.bound + 1e-9


def test_the_verifier_catches_each_broken_rule():
    pb = _instance(3)
    plan = plan_movements(pb, GreedySolver())
    groups = {g.group_id: g for g in pb.groups}
    legs = {leg.leg_id: leg for leg in pb.legs}
    cancelled = next(leg for leg in pb.legs if leg.status == LegStatus.CANCELLED)
    whole = next(g for g in pb.groups if g.may_split is None and g.persons >= 2)
    other_origin = next(leg for leg in pb.legs if leg.origin_site != whole.origin_site and leg.status.open)

    def with_(*extra: Placement) -> Plan:
        kept = tuple(p for p in plan.placements if p.group_id not in {e.group_id for e in extra})
        return dataclasses.replace(plan, placements=kept + extra)

    def rules(bad: Plan) -> set[str]:
        return {v.rule for v in verify(pb, bad)}

    w = groups[whole.group_id]
    assert "leg not open" in rules(
        with_(Placement(w.group_id, cancelled.leg_id, w.persons, w.infants, w.stretchers, w.baggage_kg))
    )
    assert "origin mismatch" in rules(
        with_(Placement(w.group_id, other_origin.leg_id, w.persons, w.infants, w.stretchers, w.baggage_kg))
    )
    same = [leg for leg in pb.legs if leg.origin_site == w.origin_site and leg.status.open]
    half = w.persons // 2
    share = w.baggage_kg * half / w.people
    split = with_(
        Placement(w.group_id, same[0].leg_id, half, 0, 0, share),
    )
    assert "family split" in rules(split)
    big = dataclasses.replace(legs[same[0].leg_id])
    flood = with_(
        *(
            Placement(g.group_id, big.leg_id, g.persons, g.infants, g.stretchers, g.baggage_kg)
            for g in pb.groups
            if g.origin_site == big.origin_site and g.may_split is None
        )
    )
    assert "capacity exceeded" in rules(flood)


@pytest.mark.parametrize("seed", range(15))
def test_replans_pass_the_verifier_and_keep_boarding_pass_holders(seed):
    pb = _instance(100 + seed)
    first = plan_movements(pb, HighsSolver())
    rng = random.Random(seed)
    legs = list(pb.legs)
    for i in rng.sample(range(len(legs)), k=2):
        leg = legs[i]
        legs[i] = rng.choice(
            [
                dataclasses.replace(leg, status=LegStatus.CANCELLED),
                dataclasses.replace(leg, seats=leg.seats // 2, baggage_kg=leg.baggage_kg / 2),
                dataclasses.replace(leg, status=LegStatus.BOARDING),
            ]
        )
    boarded = frozenset(p.group_id for p in first.placements if rng.random() < 0.4)
    groups = [g for g in pb.groups if rng.random() > 0.1]  # some left
    previous = PreviousPlan(first.placements, frozenset(g.group_id for g in pb.groups), boarded)
    again = Problem(tuple(groups), tuple(legs), pb.policy, previous)
    for solver in (HighsSolver(), GreedySolver()):
        plan = plan_movements(again, solver)  # verifies pins, boarding legs, capacities, families
        assert verify(again, plan) == []
        before = {(p.group_id, p.leg_id, p.people) for p in first.placements}
        after = {(p.group_id, p.leg_id, p.people) for p in plan.placements}
        changed = {gid for gid, _, _ in before ^ after}
        assert changed == {c.group_id for c in plan.changes}
