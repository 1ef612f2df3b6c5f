"""The optimiser against an independent verifier, brute force, and the rules one by one."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from safepassage.placement.engine import (
    DecompositionSolver,
    GreedySolver,
    MilpSolver,
    PlacementPolicy,
    ReasonCode,
    TieMode,
    build_instance,
    first_come_first_served,
    place,
    proportional,
)
from tests.engines.placement.factories import household, random_instance, region
from tests.engines.placement.verifier import violations

SOLVER = DecompositionSolver()


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(30))
def test_random_instances_are_feasible_and_within_the_bound(seed: int) -> None:
    ties = TieMode.HARD if seed % 2 else TieMode.WEIGHTED
    policy = PlacementPolicy(ties=ties, time_limit=5.0)
    households, regions, scores = random_instance(seed, n=25 + seed, m=3 + seed % 4)
    plan = place(households, regions, scores, policy, solver=SOLVER)
    region_of = plan.region_of()
    assert (
        violations(
            households,
            regions,
            policy,
            region_of,
            household_ids_once=[p.household_id for p in plan.proposals],
        )
        == []
    )
    assert plan.stats.bound >= plan.stats.objective - 1e-6
    # Baselines obey the same rules.
    inst = build_instance(households, regions, scores, policy)
    for baseline in (first_come_first_served(inst), proportional(inst)):
        mapping = {
            h.household_id: (regions[j].region_id if j >= 0 else None)
            for h, j in zip(households, baseline, strict=True)
        }
        assert violations(households, regions, policy, mapping) == []
    # Every unplaced household carries a reason; every placed one its predicted outcome.
    for p in plan.proposals:
        if p.region_id is None:
            assert p.reason_code.value.startswith("unplaced") and p.reason
        else:
            assert p.predicted_outcome is not None


def _brute_force(households, regions, scores, policy) -> float:  # type: ignore[no-untyped-def]
    """The best objective over every assignment (unplaced included), by enumeration."""
    weight = policy.placement_weight
    best = -1.0
    options = [None, *range(len(regions))]
    for combo in itertools.product(options, repeat=len(households)):
        mapping = {
            h.household_id: (regions[j].region_id if j is not None else None)
            for h, j in zip(households, combo, strict=True)
        }
        if violations(households, regions, policy, mapping):
            continue
        value = 0.0
        for i, (h, j) in enumerate(zip(households, combo, strict=True)):
            if j is None:
                continue
            rid = regions[j].region_id
            value += weight + scores[i, j]
            if rid in h.preferences:
                value += policy.preference_weight / (h.preferences.index(rid) + 1)
            if policy.ties is TieMode.WEIGHTED and h.tie_region == rid:
                value += policy.tie_weight
        best = max(best, value)
    return best


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("solver", [DecompositionSolver(), MilpSolver()], ids=["decomposition", "milp"])
def test_small_instances_reach_the_brute_force_optimum(seed: int, solver: object) -> None:
    households, regions, scores = random_instance(100 + seed, n=6, m=3)
    policy = PlacementPolicy(
        ties=TieMode.WEIGHTED if seed % 2 else TieMode.HARD,
        placement_weight=3.0,
        gap_target=1e-9,
        time_limit=10.0,
    )
    optimum = _brute_force(households, regions, scores, policy)
    plan = place(households, regions, scores, policy, solver=solver)  # type: ignore[arg-type]
    assert plan.stats.objective == pytest.approx(optimum, abs=1e-6)
    assert plan.stats.bound >= optimum - 1e-6


def test_greedy_is_feasible_but_claims_no_optimum() -> None:
    households, regions, scores = random_instance(7, n=40, m=4)
    policy = PlacementPolicy()
    plan = place(households, regions, scores, policy, solver=GreedySolver())
    assert violations(households, regions, policy, plan.region_of()) == []
    assert plan.stats.status == "heuristic"


def test_dialysis_goes_only_where_dialysis_exists() -> None:
    regions = [region("A", dialysis=0), region("B", dialysis=2)]
    households = [household(f"H{i}", needs=("dialysis",)) for i in range(3)]
    scores = np.array([[2.0, 0.1]] * 3)  # the model prefers A, which cannot treat them
    plan = place(households, regions, scores, PlacementPolicy())
    placed = [p for p in plan.proposals if p.region_id]
    assert [p.region_id for p in placed] == ["B", "B"]
    assert all(p.reason_code is ReasonCode.NEED and "dialysis" in p.reason for p in placed)
    unplaced = [p for p in plan.proposals if p.region_id is None]
    assert len(unplaced) == 1
    assert unplaced[0].reason_code is ReasonCode.UNPLACED_CAPACITY and "dialysis" in unplaced[0].reason


def test_need_no_region_serves_is_explained() -> None:
    plan = place(
        [household("H", needs=("oncology",))], [region("A"), region("B")], np.ones((1, 2)), PlacementPolicy()
    )
    (p,) = plan.proposals
    assert p.region_id is None
    assert p.reason_code is ReasonCode.UNPLACED_NEED and "oncology" in p.reason


def test_hard_tie_keeps_household_in_its_tie_region_and_weighted_tie_is_a_bonus() -> None:
    regions = [region("A"), region("B")]
    households = [household("H", tie_region="B")]
    scores = np.array([[1.5, 1.0]])
    hard = place(households, regions, scores, PlacementPolicy(ties=TieMode.HARD))
    assert hard.proposals[0].region_id == "B"
    assert hard.proposals[0].reason_code is ReasonCode.TIE
    light = place(households, regions, scores, PlacementPolicy(ties=TieMode.WEIGHTED, tie_weight=0.2))
    assert light.proposals[0].region_id == "A"  # 1.5 > 1.0 + 0.2
    heavy = place(households, regions, scores, PlacementPolicy(ties=TieMode.WEIGHTED, tie_weight=0.8))
    assert heavy.proposals[0].region_id == "B"  # 1.0 + 0.8 > 1.5


def test_hard_tie_to_a_full_region_leaves_household_unplaced_with_reason() -> None:
    regions = [region("A"), region("B", quota_persons=2)]
    households = [household("H1", tie_region="B"), household("H2", tie_region="B")]
    plan = place(households, regions, np.ones((2, 2)), PlacementPolicy(ties=TieMode.HARD))
    assert sorted(str(p.region_id) for p in plan.proposals) == ["B", "None"]
    unplaced = next(p for p in plan.proposals if p.region_id is None)
    assert unplaced.reason_code is ReasonCode.UNPLACED_CAPACITY and "B" in unplaced.reason


def test_quota_is_never_exceeded_and_binding_quota_is_the_reason() -> None:
    regions = [region("A", quota_persons=4), region("B")]
    households = [household(f"H{i}") for i in range(4)]  # 2 persons each
    plan = place(households, regions, np.array([[2.0, 1.0]] * 4), PlacementPolicy())
    in_a = [p for p in plan.proposals if p.region_id == "A"]
    assert len(in_a) == 2
    others = [p for p in plan.proposals if p.region_id == "B"]
    assert len(others) == 2 and all(p.reason_code is ReasonCode.QUOTA for p in others)


def test_preferences_break_ties_between_equal_regions() -> None:
    regions = [region("A"), region("B"), region("C")]
    households = [household("H", preferences=("C", "B"))]
    plan = place(households, regions, np.ones((1, 3)), PlacementPolicy())
    assert plan.proposals[0].region_id == "C"


def test_minimum_fill_sends_households_to_a_less_attractive_region() -> None:
    regions = [region("A"), region("B", quota_persons=10)]
    households = [household(f"H{i}") for i in range(6)]
    scores = np.array([[2.0, 1.0]] * 6)
    policy = PlacementPolicy(min_fill=1.0)
    plan = place(households, regions, scores, policy)
    assert violations(households, regions, policy, plan.region_of()) == []
    # Fair shares of the 12 arriving persons: A 10.9 -> 10, B 1.1 -> 1 person: one household.
    assert sum(p.region_id == "B" for p in plan.proposals) == 1
    without = place(households, regions, scores, PlacementPolicy())
    assert sum(p.region_id == "B" for p in without.proposals) == 0


def test_large_household_needs_a_large_unit() -> None:
    regions = [region("A", housing_large=0), region("B", housing_large=1)]
    big = household("BIG", adults=2, children_6_17=4)
    plan = place([big], regions, np.array([[2.0, 1.0]]), PlacementPolicy())
    assert plan.proposals[0].region_id == "B"
    assert plan.proposals[0].reason_code is ReasonCode.CAPACITY


def test_nothing_fits_is_explained_not_crashed() -> None:
    plan = place(
        [household("H", adults=3)], [region("A", quota_persons=2)], np.ones((1, 1)), PlacementPolicy()
    )
    assert plan.proposals[0].region_id is None
    assert "quota" in plan.proposals[0].reason
    empty = place([household("H")], [], np.zeros((1, 0)), PlacementPolicy())
    assert empty.proposals[0].region_id is None and empty.proposals[0].reason


def test_same_seed_same_plan() -> None:
    households, regions, scores = random_instance(3, n=40, m=5)
    a = place(households, regions, scores, PlacementPolicy())
    b = place(households, regions, scores, PlacementPolicy())
    assert a.proposals == b.proposals
