"""The operation's movement policy: the planner's policy (tiers, tier-only legs, solver settings) and
who may be planned at all (``[eligibility]``), in one TOML file (setting ``movement_policy_file``).

The planner reads ``[operation]``, ``[[tiers]]``, ``[[admission]]`` and ``[solver]``
(``movements.planner.policy``); this module reads ``[eligibility]`` and checks that every needs code a
tier names is one the registry knows (or a derived code below). Every problem is reported at once,
with its key path, as an :class:`Invalid`.

Derived codes, computed from sex and birth date at the leg's departure, so tiers can say "women and
children" without anybody recording it as a need: ``woman`` (female, 18 or older), ``child`` (under
18), ``small_child`` (under 5), ``infant`` (under 2), ``older_person`` (60 or older).
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safepassage.movements.planner import Policy, parse_policy
from safepassage.registry.codes import DocumentType, EvacuationCategory, SpecificNeed
from safepassage.shared.errors import Invalid, ProblemCollector

DERIVED_CODES = frozenset({"woman", "child", "small_child", "infant", "older_person"})

DEFAULT_POLICY_TOML = """\
[operation]
name = "default"

[eligibility]
# Admitted on every leg.
categories = ["citizen", "family_of_citizen", "staff"]
# A usable travel document: one of these, unexpired at departure (an emergency travel document is
# accepted whatever its expiry: it is issued for this journey).
travel_documents = ["passport", "emergency_travel_document"]
# Needs codes that put a person on a stretcher place instead of a seat.
stretcher_needs = []
# Baggage allowance counted per seated person and per infant, in kilograms.
baggage_kg_per_person = 20.0
baggage_kg_per_infant = 10.0

[[tiers]]
rank = 1
name = "serious medical condition, unaccompanied or separated children"
needs = ["serious_medical_condition", "unaccompanied_child", "separated_child"]
departure_weight = 8.0

[[tiers]]
rank = 2
name = "pregnant or lactating, older persons at risk, single parents"
needs = ["pregnant_or_lactating", "older_person_at_risk", "single_parent"]
departure_weight = 4.0

[[tiers]]
rank = 3
name = "women and children"
needs = ["woman_at_risk", "child_at_risk", "woman", "child"]
departure_weight = 2.0

[[tiers]]
rank = 4
name = "everyone else"
needs = []
departure_weight = 1.0
"""


@dataclass(frozen=True)
class AgreedLegs:
    """Categories admitted only on some legs (e.g. at-risk nationals on the legs a host agreed to)."""

    legs: frozenset[str]
    categories: frozenset[EvacuationCategory]
    reason: str


@dataclass(frozen=True)
class Eligibility:
    categories: frozenset[EvacuationCategory]
    agreed_legs: tuple[AgreedLegs, ...]
    travel_documents: frozenset[DocumentType]
    stretcher_needs: frozenset[SpecificNeed]
    baggage_kg_per_person: float
    baggage_kg_per_infant: float

    def leg_categories(self, leg_code: str) -> frozenset[EvacuationCategory]:
        """Every category admitted on this leg."""
        extra = [rule.categories for rule in self.agreed_legs if leg_code in rule.legs]
        return self.categories.union(*extra)

    def restricted(self, category: EvacuationCategory) -> frozenset[str] | None:
        """None when the category goes on any leg; else the legs it is admitted on (maybe none)."""
        if category in self.categories:
            return None
        return frozenset().union(*[r.legs for r in self.agreed_legs if category in r.categories])


@dataclass(frozen=True)
class OperationPolicy:
    planner: Policy
    eligibility: Eligibility


_ELIGIBILITY_KEYS = {
    "categories",
    "agreed_legs",
    "travel_documents",
    "stretcher_needs",
    "baggage_kg_per_person",
    "baggage_kg_per_infant",
}


def _codes(problems: ProblemCollector, where: str, raw: Any, enum: type[Any]) -> frozenset[Any]:
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        problems.add(where, "must be a list of strings")
        return frozenset()
    out = set()
    for value in raw:
        try:
            out.add(enum(value))
        except ValueError:
            known = ", ".join(m.value for m in enum)
            problems.add(where, f"{value!r} is not one of: {known}")
    return frozenset(out)


def _number(problems: ProblemCollector, where: str, raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or raw < 0:
        problems.add(where, "must be a number of kilograms, 0 or more")
        return 0.0
    return float(raw)


def _eligibility(raw: Any, problems: ProblemCollector) -> Eligibility:
    if not isinstance(raw, dict):
        problems.add("eligibility", "must be a table")
        raw = {}
    for key in sorted(set(raw) - _ELIGIBILITY_KEYS):
        problems.add(
            f"eligibility.{key}", f"unknown key (expected one of: {', '.join(sorted(_ELIGIBILITY_KEYS))})"
        )
    agreed = []
    rules = raw.get("agreed_legs", [])
    if not isinstance(rules, list):
        problems.add("eligibility.agreed_legs", "must be an array of [[eligibility.agreed_legs]] tables")
        rules = []
    for i, rule in enumerate(rules):
        where = f"eligibility.agreed_legs[{i}]"
        if not isinstance(rule, dict):
            problems.add(where, "must be a table")
            continue
        for key in sorted(set(rule) - {"legs", "categories", "reason"}):
            problems.add(f"{where}.{key}", "unknown key (expected legs, categories, reason)")
        legs = rule.get("legs")
        if not isinstance(legs, list) or not legs or not all(isinstance(x, str) and x for x in legs):
            problems.add(f"{where}.legs", "must be a non-empty list of leg codes")
            legs = []
        agreed.append(
            AgreedLegs(
                frozenset(legs),
                _codes(problems, f"{where}.categories", rule.get("categories"), EvacuationCategory),
                str(rule.get("reason", "")),
            )
        )
    documents = _codes(
        problems,
        "eligibility.travel_documents",
        raw.get("travel_documents", ["passport", "emergency_travel_document"]),
        DocumentType,
    )
    return Eligibility(
        categories=_codes(
            problems,
            "eligibility.categories",
            raw.get("categories", ["citizen", "family_of_citizen", "staff"]),
            EvacuationCategory,
        ),
        agreed_legs=tuple(agreed),
        travel_documents=documents,
        stretcher_needs=_codes(
            problems, "eligibility.stretcher_needs", raw.get("stretcher_needs", []), SpecificNeed
        ),
        baggage_kg_per_person=_number(
            problems, "eligibility.baggage_kg_per_person", raw.get("baggage_kg_per_person", 20.0)
        ),
        baggage_kg_per_infant=_number(
            problems, "eligibility.baggage_kg_per_infant", raw.get("baggage_kg_per_infant", 10.0)
        ),
    )


def parse_operation_policy(data: Mapping[str, Any]) -> OperationPolicy:
    """Validate a policy already read from TOML: every problem at once, by key path."""
    problems = ProblemCollector()
    data = dict(data)
    eligibility = _eligibility(data.pop("eligibility", {}), problems)
    known_needs = {n.value for n in SpecificNeed} | DERIVED_CODES
    for i, tier in enumerate(data.get("tiers") or []):
        needs = tier.get("needs", []) if isinstance(tier, dict) else []
        for code in needs if isinstance(needs, list) else []:
            if isinstance(code, str) and code not in known_needs:
                problems.add(f"tiers[{i}].needs", f"{code!r} is neither a needs code nor a derived code")
    try:
        planner = parse_policy(data)
    except Invalid as exc:
        problems.problems.extend(exc.problems)
        planner = None
    problems.raise_if_any("the movement policy has errors")
    assert planner is not None
    return OperationPolicy(planner, eligibility)


def load_operation_policy(path: Path | None) -> OperationPolicy:
    """The policy in ``path`` (the setting ``movement_policy_file``), or the built-in default."""
    if path is None:
        return parse_operation_policy(tomllib.loads(DEFAULT_POLICY_TOML))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise Invalid(f"the movement policy {path} is not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise Invalid(f"the movement policy {path} cannot be read: {exc}") from None
    return parse_operation_policy(data)


@functools.lru_cache(maxsize=4)
def _cached(path: Path | None, mtime_ns: int) -> OperationPolicy:
    del mtime_ns  # part of the cache key: an edited file is read again
    return load_operation_policy(path)


def policy_for(path: Path | None) -> OperationPolicy:
    """The policy of the setting ``movement_policy_file``, read again when the file changes."""
    if path is None:
        return _cached(None, 0)
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise Invalid(f"the movement policy {path} cannot be read: {exc.strerror}") from None
    return _cached(path, mtime)
