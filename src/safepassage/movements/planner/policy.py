"""The operation's movement policy (POLICY.toml): tiers, admission rules per leg, solver settings.

Read with :mod:`tomllib` and validated all at once: every problem is reported with its key path
(``tiers[2].rank``) and reason, as an :class:`~safepassage.shared.errors.Invalid`. Unknown keys are
errors too, because a misspelt ``time_limt_s`` silently ignored would plan with the wrong limit.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safepassage.shared.errors import Invalid, ProblemCollector


@dataclass(frozen=True)
class Tier:
    """A priority tier: rank 1 goes first. ``needs`` are registry needs codes that put a person here."""

    rank: int
    name: str
    needs: frozenset[str]
    departure_weight: float


@dataclass(frozen=True)
class AdmissionRule:
    """Only these tiers may be planned on these legs (e.g. a medical evacuation flight)."""

    legs: frozenset[str]
    tiers: frozenset[int]
    reason: str


@dataclass(frozen=True)
class SolverSettings:
    time_limit_s: float = 30.0
    mip_rel_gap: float = 0.001
    threads: int = 2
    isolate: bool = True  # solve in child processes with a hard deadline (FIELD-NOTES)


@dataclass(frozen=True)
class Policy:
    tiers: tuple[Tier, ...]
    admission: tuple[AdmissionRule, ...] = ()
    solver: SolverSettings = SolverSettings()
    name: str = ""

    @property
    def ranks(self) -> tuple[int, ...]:
        return tuple(t.rank for t in self.tiers)

    def tier(self, rank: int) -> Tier:
        return self.tiers[rank - 1]

    def admits(self, leg_id: str, tier: int) -> bool:
        """Whether a leg's admission rules (if any) let a group of this tier on it."""
        return all(tier in rule.tiers for rule in self.admission if leg_id in rule.legs)

    def tier_for_needs(self, needs: Iterable[str]) -> int:
        """The highest-priority tier any of these needs codes reaches; the last tier otherwise.

        A group's tier is the best tier of any of its members (the family moves together)."""
        codes = set(needs)
        for tier in self.tiers:
            if tier.needs & codes:
                return tier.rank
        return self.tiers[-1].rank


def default_policy() -> Policy:
    """Four tiers after the issue's example; used by tests and as the documented starting point."""
    return Policy(
        tiers=(
            Tier(1, "urgent", frozenset({"serious_medical_condition", "unaccompanied_child"}), 8.0),
            Tier(
                2,
                "vulnerable",
                frozenset({"pregnant_or_lactating", "older_person_at_risk", "single_parent"}),
                4.0,
            ),
            Tier(3, "women and children", frozenset({"woman_at_risk", "child_at_risk"}), 2.0),
            Tier(4, "everyone else", frozenset(), 1.0),
        )
    )


_TOP_KEYS = {"operation", "tiers", "admission", "solver"}
_TIER_KEYS = {"rank", "name", "needs", "departure_weight"}
_RULE_KEYS = {"legs", "tiers", "reason"}
_SOLVER_KEYS = {"time_limit_s", "mip_rel_gap", "threads", "isolate"}


def load_policy(path: Path) -> Policy:
    """Read and validate POLICY.toml; an :class:`Invalid` lists every problem found."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise Invalid(f"{path.name} is not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise Invalid(f"cannot read {path.name}: {exc}") from None
    return parse_policy(data)


def _unknown(problems: ProblemCollector, where: str, data: Mapping[str, Any], known: set[str]) -> None:
    for key in sorted(set(data) - known):
        problems.add(f"{where}{key}", f"unknown key (expected one of: {', '.join(sorted(known))})")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _parse_tiers(raw: Any, problems: ProblemCollector) -> list[Tier]:
    if not isinstance(raw, list) or not raw:
        problems.add("tiers", "at least one [[tiers]] table is required")
        return []
    tiers: list[Tier] = []
    for i, item in enumerate(raw):
        where = f"tiers[{i}]."
        if not isinstance(item, dict):
            problems.add(f"tiers[{i}]", "must be a table")
            continue
        _unknown(problems, where, item, _TIER_KEYS)
        rank, name = item.get("rank"), item.get("name", f"tier {i + 1}")
        needs, weight = item.get("needs", []), item.get("departure_weight", 1.0)
        ok = True
        if not isinstance(rank, int) or isinstance(rank, bool) or rank != i + 1:
            problems.add(f"{where}rank", f"must be {i + 1}: ranks run 1, 2, 3... in order")
            ok = False
        if not isinstance(name, str) or not name.strip():
            problems.add(f"{where}name", "must be a non-empty string")
            ok = False
        if not isinstance(needs, list) or not all(isinstance(n, str) and n for n in needs):
            problems.add(f"{where}needs", "must be a list of needs codes (strings)")
            ok = False
        if not _number(weight) or weight <= 0:
            problems.add(f"{where}departure_weight", "must be a positive number")
            ok = False
        if ok:
            tiers.append(Tier(int(rank or 0), name.strip(), frozenset(needs), float(weight)))
    seen: dict[str, int] = {}
    for tier in tiers:
        for code in sorted(tier.needs):
            if code in seen:
                problems.add(f"tiers[{tier.rank - 1}].needs", f"{code!r} is already in tier {seen[code]}")
            seen.setdefault(code, tier.rank)
    return tiers


def _parse_admission(raw: Any, ranks: set[int], problems: ProblemCollector) -> list[AdmissionRule]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.add("admission", "must be an array of [[admission]] tables")
        return []
    rules = []
    for i, item in enumerate(raw):
        where = f"admission[{i}]."
        if not isinstance(item, dict):
            problems.add(f"admission[{i}]", "must be a table")
            continue
        _unknown(problems, where, item, _RULE_KEYS)
        legs, tiers, reason = item.get("legs"), item.get("tiers"), item.get("reason", "")
        ok = True
        if not isinstance(legs, list) or not legs or not all(isinstance(x, str) and x for x in legs):
            problems.add(f"{where}legs", "must be a non-empty list of leg ids")
            ok = False
        if (
            not isinstance(tiers, list)
            or not tiers
            or not all(isinstance(t, int) and not isinstance(t, bool) for t in tiers)
        ):
            problems.add(f"{where}tiers", "must be a non-empty list of tier ranks")
            ok = False
        elif ranks and not set(tiers) <= ranks:
            problems.add(f"{where}tiers", f"unknown tier(s) {sorted(set(tiers) - ranks)}")
            ok = False
        if not isinstance(reason, str):
            problems.add(f"{where}reason", "must be a string")
            ok = False
        if ok:
            assert isinstance(legs, list) and isinstance(tiers, list)
            rules.append(AdmissionRule(frozenset(legs), frozenset(tiers), str(reason)))
    return rules


def _parse_solver(raw: Any, problems: ProblemCollector) -> SolverSettings:
    if raw is None:
        return SolverSettings()
    if not isinstance(raw, dict):
        problems.add("solver", "must be a table")
        return SolverSettings()
    _unknown(problems, "solver.", raw, _SOLVER_KEYS)
    base = SolverSettings()
    limit = raw.get("time_limit_s", base.time_limit_s)
    gap = raw.get("mip_rel_gap", base.mip_rel_gap)
    threads = raw.get("threads", base.threads)
    isolate = raw.get("isolate", base.isolate)
    if not _number(limit) or limit <= 0:
        problems.add("solver.time_limit_s", "must be a positive number of seconds")
        limit = base.time_limit_s
    if not _number(gap) or not 0 <= gap < 1:
        problems.add("solver.mip_rel_gap", "must be a number from 0 (proven optimum) to below 1")
        gap = base.mip_rel_gap
    if not isinstance(threads, int) or isinstance(threads, bool) or not 1 <= threads <= 64:
        problems.add("solver.threads", "must be a whole number from 1 to 64")
        threads = base.threads
    if not isinstance(isolate, bool):
        problems.add("solver.isolate", "must be true or false")
        isolate = base.isolate
    return SolverSettings(float(limit), float(gap), threads, isolate)


def parse_policy(data: Mapping[str, Any]) -> Policy:
    """Validate a policy already read from TOML (or built in code): all problems at once."""
    problems = ProblemCollector()
    _unknown(problems, "", data, _TOP_KEYS)
    operation = data.get("operation", {})
    name = ""
    if not isinstance(operation, dict):
        problems.add("operation", "must be a table")
    else:
        _unknown(problems, "operation.", operation, {"name"})
        name = operation.get("name", "")
        if not isinstance(name, str):
            problems.add("operation.name", "must be a string")
            name = ""
    tiers = _parse_tiers(data.get("tiers"), problems)
    admission = _parse_admission(data.get("admission"), {t.rank for t in tiers}, problems)
    solver = _parse_solver(data.get("solver"), problems)
    problems.raise_if_any("the movement policy has errors")
    return Policy(tuple(tiers), tuple(admission), solver, name)
