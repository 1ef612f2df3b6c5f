"""The planner's inputs and outputs: plain frozen dataclasses, no database, no solver.

The database workflow (legs, manifests, boarding passes) builds these from its rows and reads the
plan back; the batch CLI builds them from CSV files. Nothing here knows where they came from.

Conventions, fixed here once so every part of the planner counts the same way:

- ``persons`` are the people who need a seat; ``infants`` (under two) sit on a lap place and are not
  in ``persons``; ``stretchers`` are patients who travel on a stretcher place *instead of* a seat
  and are not in ``persons`` either. A group's people are ``persons + infants + stretchers``.
- An infant travels with an adult of its group: a group (or a part of a split group) with infants
  must have at least one seated person.
- Baggage is in kilograms; a split group's parts carry baggage in proportion to their people.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from safepassage.movements.planner.policy import Policy


class LegStatus(StrEnum):
    PLANNED = "planned"
    BOARDING = "boarding"
    DEPARTED = "departed"
    ARRIVED = "arrived"
    CANCELLED = "cancelled"

    @property
    def open(self) -> bool:
        """A leg people can still be planned onto (boarding legs only keep who is already on them)."""
        return self in (LegStatus.PLANNED, LegStatus.BOARDING)


@dataclass(frozen=True)
class SplitPermission:
    """A supervisor's permission to split one group across legs, with the reason (audited upstream)."""

    approved_by: str
    reason: str


@dataclass(frozen=True)
class Group:
    """A household, or a travel group linking households: moved whole unless ``may_split`` is set."""

    group_id: str
    origin_site: str
    persons: int
    infants: int
    stretchers: int
    baggage_kg: float
    tier: int
    registered_at: dt.datetime
    may_split: SplitPermission | None = None

    @property
    def people(self) -> int:
        return self.persons + self.infants + self.stretchers


@dataclass(frozen=True)
class Leg:
    """A flight, convoy or ship from one site to another, with its four capacities."""

    leg_id: str
    origin_site: str
    destination_site: str
    departure: dt.datetime
    seats: int
    lap_places: int
    stretcher_places: int
    baggage_kg: float
    status: LegStatus = LegStatus.PLANNED


@dataclass(frozen=True)
class Placement:
    """Part of a group (the whole group unless it may split) on one leg."""

    group_id: str
    leg_id: str
    persons: int
    infants: int
    stretchers: int
    baggage_kg: float

    @property
    def people(self) -> int:
        return self.persons + self.infants + self.stretchers


@dataclass(frozen=True)
class PreviousPlan:
    """The last accepted plan, and which groups hold boarding passes, for re-planning.

    ``placements`` are the accepted plan's placements (only the moved groups); ``known_groups`` are
    every group the accepted plan considered (moved or not), so a group that is new can be told from
    one that waited; ``boarded`` are the ids of groups holding boarding passes.
    """

    placements: tuple[Placement, ...]
    known_groups: frozenset[str] = frozenset()
    boarded: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Problem:
    """Everything a solver needs: who, which legs, the policy, and (optionally) the last plan."""

    groups: tuple[Group, ...]
    legs: tuple[Leg, ...]
    policy: Policy
    previous: PreviousPlan | None = None


class Outcome(StrEnum):
    """How far a solve got: proven optimal (within the gap asked for), stopped early, or heuristic."""

    OPTIMAL = "optimal"  # every level proven within the policy's gap
    TIME_LIMIT = "time_limit"  # stopped by the time limit: a feasible plan, its gaps reported
    HEURISTIC = "heuristic"  # no bound proven (greedy)


@dataclass(frozen=True)
class LevelResult:
    """One level of the lexicographic objective: the value reached, the bound proven, the gap."""

    name: str
    sense: str  # "max" or "min"
    value: float
    bound: float | None
    status: str

    @property
    def gap(self) -> float | None:
        """Relative gap between the value and the proven bound (0 when equal; None without bound)."""
        if self.bound is None:
            return None
        diff = abs(self.bound - self.value)
        if diff <= 1e-9:
            return 0.0
        return diff / max(abs(self.bound), abs(self.value), 1e-9)


@dataclass(frozen=True)
class Change:
    """A group whose leg changed since the previous plan, and why, in words a planner can read."""

    group_id: str
    previous_leg: str | None
    new_leg: str | None
    people: int
    reason: str


@dataclass(frozen=True)
class Plan:
    """A proposal (never applied automatically): placements, the levels proven, and the changes."""

    placements: tuple[Placement, ...]
    levels: tuple[LevelResult, ...]
    outcome: Outcome
    solver: str
    solve_seconds: float
    changes: tuple[Change, ...] = ()
    notes: tuple[str, ...] = field(default=())
