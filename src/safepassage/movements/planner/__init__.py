"""The movement planner: pure (no database, no web stack); a MILP behind a solver protocol.

    plan = plan_movements(Problem(groups, legs, policy, previous), HighsSolver())

Every plan is a proposal: a movement planner accepts it (the database workflow audits that). The
plan is checked by the independent :func:`verify` before it is returned; a violation is a bug and
raises :class:`PlanRejected` rather than hand out a plan that breaks a hard constraint.
"""

from __future__ import annotations

from typing import Protocol

from safepassage.movements.planner.greedy import GreedySolver
from safepassage.movements.planner.highs import HighsSolver
from safepassage.movements.planner.model import (
    Change,
    Group,
    Leg,
    LegStatus,
    LevelResult,
    Outcome,
    Placement,
    Plan,
    PreviousPlan,
    Problem,
    SplitPermission,
)
from safepassage.movements.planner.policy import (
    AdmissionRule,
    Policy,
    SolverSettings,
    Tier,
    default_policy,
    load_policy,
    parse_policy,
)
from safepassage.movements.planner.verify import Violation, verify


class Solver(Protocol):
    """What plans: the exact :class:`HighsSolver`, or the :class:`GreedySolver` baseline and fake."""

    name: str

    def solve(self, problem: Problem) -> Plan: ...


class PlanRejected(Exception):
    """A solver returned a plan that breaks a hard constraint: a bug, never shown as a plan."""

    def __init__(self, violations: list[Violation]) -> None:
        super().__init__("; ".join(str(v) for v in violations[:5]))
        self.violations = violations


def plan_movements(problem: Problem, solver: Solver | None = None) -> Plan:
    """Plan (or re-plan, when ``problem.previous`` is set) and verify the result from scratch."""
    plan = (solver or HighsSolver()).solve(problem)
    violations = verify(problem, plan)
    if violations:
        raise PlanRejected(violations)
    return plan


__all__ = [
    "AdmissionRule",
    "Change",
    "GreedySolver",
    "Group",
    "HighsSolver",
    "Leg",
    "LegStatus",
    "LevelResult",
    "Outcome",
    "Placement",
    "Plan",
    "PlanRejected",
    "Policy",
    "PreviousPlan",
    "Problem",
    "Solver",
    "SolverSettings",
    "SplitPermission",
    "Tier",
    "Violation",
    "default_policy",
    "load_policy",
    "parse_policy",
    "plan_movements",
    "verify",
]
