"""Placement inputs and outputs: pydantic models; the API and the pages never see ORM objects."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from safepassage.placement.engine import Education, TieMode
from safepassage.placement.models import ProposalStatus, RunStatus

_CODE = r"^[A-Za-z0-9_.-]+$"
_PERIOD = r"^\d{4}-(\d{2}|[Qq][1-4])$"
PERIOD_HELP = "A month (2026-11) or a quarter (2026-Q4); default: the current month."


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RegionCapacities(Strict):
    quota_persons: int = Field(default=0, ge=0)
    housing_small: int = Field(default=0, ge=0)
    housing_large: int = Field(default=0, ge=0)
    school_places: int = Field(default=0, ge=0)
    kindergarten_places: int = Field(default=0, ge=0)
    dialysis: int = Field(default=0, ge=0)
    oncology: int = Field(default=0, ge=0)
    disability: int = Field(default=0, ge=0)
    language_course: int = Field(default=0, ge=0)


class RegionCreate(RegionCapacities):
    code: str = Field(min_length=1, max_length=40, pattern=_CODE)
    period: str | None = Field(default=None, pattern=_PERIOD, description=PERIOD_HELP)
    name: str = Field(default="", max_length=200)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    unemployment_rate: float = Field(default=0.0, ge=0.0, le=1.0, description="A share: 0.07 for 7%.")
    communities: list[str] = Field(default_factory=list, description="Languages with an existing community.")


class RegionUpdate(Strict):
    """Only the fields given change; capacities are those of ``period``."""

    period: str | None = Field(default=None, pattern=_PERIOD, description=PERIOD_HELP)
    name: str | None = Field(default=None, max_length=200)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    quota_persons: int | None = Field(default=None, ge=0)
    housing_small: int | None = Field(default=None, ge=0)
    housing_large: int | None = Field(default=None, ge=0)
    school_places: int | None = Field(default=None, ge=0)
    kindergarten_places: int | None = Field(default=None, ge=0)
    dialysis: int | None = Field(default=None, ge=0)
    oncology: int | None = Field(default=None, ge=0)
    disability: int | None = Field(default=None, ge=0)
    language_course: int | None = Field(default=None, ge=0)
    unemployment_rate: float | None = Field(default=None, ge=0.0, le=1.0)
    communities: list[str] | None = None
    active: bool | None = None


class CapacityUpdate(Strict):
    """A region's capacities for one period: the fields given replace, the others stay (0 when new)."""

    quota_persons: int | None = Field(default=None, ge=0)
    housing_small: int | None = Field(default=None, ge=0)
    housing_large: int | None = Field(default=None, ge=0)
    school_places: int | None = Field(default=None, ge=0)
    kindergarten_places: int | None = Field(default=None, ge=0)
    dialysis: int | None = Field(default=None, ge=0)
    oncology: int | None = Field(default=None, ge=0)
    disability: int | None = Field(default=None, ge=0)
    language_course: int | None = Field(default=None, ge=0)


class ResourceUse(BaseModel):
    resource: str
    capacity: int
    used: int
    left: int
    share: float  # used / capacity; 0 when there is no capacity


class RegionRead(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    latitude: float | None
    longitude: float | None
    unemployment_rate: float
    communities: list[str]
    active: bool
    period: str  # the period asked for
    capacity_period: str | None  # the recorded period that holds it (itself, or its quarter); None: none
    periods: list[str]  # every period this region has capacities for
    placed_households: int  # in the capacity period
    resources: list[ResourceUse]

    @property
    def quota(self) -> ResourceUse:
        return self.resources[0]


class ProfileUpdate(Strict):
    education_max: Education | None = None
    occupation: str | None = Field(default=None, max_length=80)
    dialysis_persons: int = Field(default=0, ge=0, le=50)
    oncology_persons: int = Field(default=0, ge=0, le=50)
    tie_region: str | None = Field(default=None, max_length=40, description="Region where relatives live.")
    preferences: list[str] = Field(
        default_factory=list, max_length=10, description="Region codes, best first."
    )


class ProfileRead(BaseModel):
    household_id: uuid.UUID
    education_max: Education | None
    occupation: str | None
    dialysis_persons: int
    oncology_persons: int
    tie_region: str | None
    preferences: list[str]
    updated_at: dt.datetime | None
    updated_by: str | None


class RunCreate(Strict):
    """What the organisation chooses for this run (``docs/placement.md`` explains each)."""

    site_id: uuid.UUID | None = Field(default=None, description="Only households of this site.")
    period: str | None = Field(default=None, pattern=_PERIOD, description=PERIOD_HELP)
    ties: TieMode = TieMode.HARD
    tie_weight: float = Field(default=0.5, ge=0.0)
    preference_weight: float = Field(default=0.1, ge=0.0)
    min_fill: float = Field(default=0.0, ge=0.0, le=1.0)
    official_languages: list[str] = Field(default_factory=lambda: ["de"], min_length=1)
    time_limit: float = Field(default=30.0, ge=1.0, le=600.0)
    seed: int = 0


class RunRead(BaseModel):
    id: uuid.UUID
    created_at: dt.datetime
    created_by: str
    period: str
    status: RunStatus
    stage: str
    progress: float  # 0 to 1
    error: str | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    households: int  # households the engine placed or explained
    not_eligible: int  # households listed without a proposal (consent)
    placed_households: int
    placed_persons: int
    expected_outcome: float
    objective: float
    bound: float | None
    gap: float | None
    method: str
    solver_status: str
    seconds: float
    report: dict[str, Any]
    pending: int = 0


class ProposalRead(BaseModel):
    id: uuid.UUID
    run_id: uuid.UUID
    household_id: uuid.UUID
    head_name: str
    persons: int
    use: dict[str, int]
    region: str | None
    predicted_outcome: float | None
    next_best_region: str | None
    next_best_outcome: float | None
    reason_code: str
    reason: str
    detail: dict[str, Any]
    status: ProposalStatus
    decided_region: str | None
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_reason: str | None


class Decision(Strict):
    reason: str = Field(default="", max_length=2000)


class Rejection(Strict):
    reason: str = Field(min_length=3, max_length=2000)


class Override(Strict):
    region: str = Field(min_length=1, max_length=40)
    reason: str = Field(min_length=3, max_length=2000)


class CsvUpload(Strict):
    csv: str = Field(min_length=1, description="The file's text, header first.")
    source: str = Field(default="api upload", max_length=200)


class RowProblemRead(BaseModel):
    row: int
    field: str
    reason: str


class ImportReport(BaseModel):
    accepted: int
    created: int = 0
    updated: int = 0
    problems: list[RowProblemRead]
