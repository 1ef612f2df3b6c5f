"""The engine's vocabulary: households, regions, history, policy in; proposals and a plan out.

Plain frozen dataclasses so that the database workflow (proposal review by a placement officer) can
build them from its rows and store what comes back without the engine knowing about either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Resource(StrEnum):
    """A capacity a region offers per period; the order is the column order of R.csv."""

    QUOTA_PERSONS = "quota_persons"
    HOUSING_SMALL = "housing_small"
    HOUSING_LARGE = "housing_large"
    SCHOOL_PLACES = "school_places"
    KINDERGARTEN_PLACES = "kindergarten_places"
    DIALYSIS = "dialysis"
    ONCOLOGY = "oncology"
    DISABILITY = "disability"
    LANGUAGE_COURSE = "language_course"


RESOURCES: tuple[Resource, ...] = tuple(Resource)
#: Needs that are hard: a household with one goes only where the region offers the service.
MEDICAL_RESOURCES: tuple[Resource, ...] = (Resource.DIALYSIS, Resource.ONCOLOGY, Resource.DISABILITY)
#: A household of this many persons or more needs a large housing unit.
LARGE_HOUSEHOLD = 6


class Education(StrEnum):
    NONE = "none"
    PRIMARY = "primary"
    SECONDARY = "secondary"
    VOCATIONAL = "vocational"
    TERTIARY = "tertiary"


EDUCATION_RANK: dict[Education, int] = {e: i for i, e in enumerate(Education)}


class TieMode(StrEnum):
    """How a family tie to a region counts: ``hard`` places the household there or nowhere."""

    HARD = "hard"
    WEIGHTED = "weighted"


@dataclass(frozen=True)
class Household:
    """One arriving household as the placement sees it (no names: the engine needs none)."""

    household_id: str
    adults: int
    children_0_5: int = 0
    children_6_17: int = 0
    elderly: int = 0
    languages: tuple[str, ...] = ()
    education_max: Education = Education.NONE
    occupation: str = "none"
    needs: tuple[str, ...] = ()
    tie_region: str | None = None
    preferences: tuple[str, ...] = ()
    arrival_week: int | None = None

    @property
    def persons(self) -> int:
        return self.adults + self.children_0_5 + self.children_6_17 + self.elderly


@dataclass(frozen=True)
class Region:
    """A receiving region: capacities for the period and what the outcome model reads about it."""

    region_id: str
    quota_persons: int
    housing_small: int
    housing_large: int
    school_places: int
    kindergarten_places: int
    dialysis: int
    oncology: int
    disability: int
    language_course: int
    unemployment_rate: float
    communities: tuple[str, ...] = ()

    def capacity(self, resource: Resource) -> int:
        value: int = getattr(self, resource.value)
        return value


@dataclass(frozen=True)
class HistoryRecord:
    """A past placement and its outcome: how many of the household's adults were employed at 90 days."""

    household: Household
    region_id: str
    employed_adults_90d: int


@dataclass(frozen=True)
class PlacementPolicy:
    """The choices a placement officer's organisation makes; passed in, never read from the environment.

    ``placement_weight`` is added to every placed household's value so that placing one more
    household always outweighs a better predicted outcome for another (``None``: one more than the
    largest predicted outcome). ``min_fill`` asks every region to receive at least that fraction of
    its fair share of the arriving persons (in proportion to its quota, at most its quota, in whole
    persons, rounded down): fairness
    between regions. Where needs or ties make a floor unreachable, the plan says so in its notes.
    """

    ties: TieMode = TieMode.HARD
    tie_weight: float = 0.5
    preference_weight: float = 0.1
    official_languages: tuple[str, ...] = ("de",)
    min_fill: float = 0.0
    placement_weight: float | None = None
    time_limit: float = 60.0
    gap_target: float = 0.001
    seed: int = 0


class ReasonCode(StrEnum):
    """Why the next-best region was not chosen, or why a household is unplaced."""

    BEST = "best"  # the chosen region is the best for this household
    CAPACITY = "capacity"  # the better region's capacity is used (or worth more) for others
    QUOTA = "quota"  # the better region's quota in persons is reached
    NEED = "need"  # the region does not offer a service the household needs
    TIE = "tie"  # a hard family tie keeps the household in its tie region
    UNPLACED_NEED = "unplaced_need"
    UNPLACED_TIE = "unplaced_tie"
    UNPLACED_CAPACITY = "unplaced_capacity"
    UNPLACED_SOLVER = "unplaced_solver"


@dataclass(frozen=True)
class Proposal:
    """One household's proposed region with its explanation. A proposal, never a decision."""

    household_id: str
    region_id: str | None
    predicted_outcome: float | None
    next_best_region: str | None
    next_best_outcome: float | None
    reason_code: ReasonCode
    reason: str


@dataclass(frozen=True)
class Utilisation:
    region_id: str
    resource: Resource
    used: int
    capacity: int


@dataclass(frozen=True)
class SolveStats:
    """What the optimiser proved: objective, bound, gap, and how it got there.

    ``gap`` is (bound - objective) / bound on the optimised objective; ``gap_outcome`` divides the
    same absolute gap by the objective without the placement weights (outcome and bonuses only), the
    stricter figure, since the weights inflate the objective.
    """

    method: str
    status: str
    objective: float
    bound: float
    gap: float
    seconds: float
    gap_outcome: float = 0.0
    lp_rounds: int = 0
    columns: int = 0
    types: int = 0
    repaired: int = 0
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlacementPlan:
    """Every household exactly once, with the totals the report shows."""

    proposals: tuple[Proposal, ...]
    expected_outcome: float
    placed_households: int
    placed_persons: int
    stats: SolveStats
    utilisation: tuple[Utilisation, ...] = field(default=())

    def region_of(self) -> dict[str, str | None]:
        return {p.household_id: p.region_id for p in self.proposals}
