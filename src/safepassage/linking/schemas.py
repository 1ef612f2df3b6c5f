"""Linking workflow inputs and outputs: pydantic models; the API and the pages never see ORM objects."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, Field

from safepassage.linking.duplicates import PossibleDuplicate
from safepassage.linking.models import Band, PairStatus
from safepassage.registry.schemas import HouseholdRead


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RunCreate(Strict):
    floor: float = Field(default=0.5, gt=0.0, le=1.0, description="Pairs below are not stored.")
    near_certain: float = Field(default=0.99, gt=0.0, le=1.0, description="The bulk-acceptable band.")


class RunRead(BaseModel):
    id: uuid.UUID
    started_at: dt.datetime
    finished_at: dt.datetime | None
    started_by: str
    persons: int
    pairs: int
    near_certain: int
    uncertain: int
    kept_apart: int
    trained: bool


class Decision(Strict):
    reason: str = Field(default="", max_length=2000)


class BandAcceptance(Strict):
    reason: str = Field(default="", max_length=2000)


class MergeCreate(Strict):
    survivor_id: uuid.UUID | None = None
    reason: str = Field(default="", max_length=2000)


class Unmerge(Strict):
    reason: str = Field(min_length=1, max_length=2000)


class PersonSide(BaseModel):
    """One side of a pair as the reviewer sees it (identifying fields only for those who may)."""

    id: uuid.UUID
    site_code: str
    household_id: uuid.UUID | None
    given_name: str
    father_name: str
    family_name: str
    other_spellings: list[str]
    sex: str
    birth_date: str
    birth_place: str
    nationality: str
    document_number: str | None = None
    phone: str | None = None
    merged_into_id: uuid.UUID | None = None


class PairRead(BaseModel):
    id: uuid.UUID
    run_id: uuid.UUID
    band: Band
    status: PairStatus
    probability: float
    match_weight: float
    explanation: str
    levels: dict[str, str]
    a: PersonSide
    b: PersonSide


class MergeRead(BaseModel):
    id: uuid.UUID
    survivor_id: uuid.UUID
    merged_id: uuid.UUID
    merged_at: dt.datetime
    merged_by: str
    reason: str
    moved: dict[str, int]
    undone_at: dt.datetime | None
    undone_by: str | None
    undo_reason: str | None


class RegisteredHousehold(HouseholdRead):
    """The registration answer: the household as written, and who its members may duplicate."""

    possible_duplicates: list[PossibleDuplicate] = Field(default_factory=list)
    duplicates_checked: bool = Field(
        default=True,
        description="False when the members were not checked: the caller asked not to "
        "(check_duplicates=false), or the server's index of the registry is still being built after a "
        "start (minutes at a million persons). The batch linking run compares them later either way.",
    )


class TracingCreate(Strict):
    """What a relative can tell: any field may be empty but a given or a family name."""

    site_id: uuid.UUID
    given_name: str = Field(default="", max_length=200)
    father_name: str = Field(default="", max_length=200)
    family_name: str = Field(default="", max_length=200)
    sex: str = Field(default="", pattern=r"^[MF]?$")
    approx_birth_year: int | None = Field(default=None, ge=1880, le=2100)
    age_tolerance_years: int = Field(default=3, ge=0, le=30)
    place: str = Field(default="", max_length=200)
    relationship: str = Field(default="", max_length=80, description="Of the sought person to the requester.")
    requester_person_id: uuid.UUID | None = None
    requester_name: str = Field(default="", max_length=200)
    caseworker: str = Field(default="", max_length=80, description="Notified of new strong candidates.")


class TracingCandidateRead(BaseModel):
    """A candidate; ``person_id`` and ``name`` only when the reader may open the person."""

    person_id: uuid.UUID | None
    name: str | None
    site_code: str
    score: float
    strong: bool
    explanation: str
    found_at: dt.datetime


class TracingRead(BaseModel):
    id: uuid.UUID
    site_id: uuid.UUID
    status: str
    given_name: str
    father_name: str
    family_name: str
    sex: str
    approx_birth_year: int | None
    age_tolerance_years: int
    place: str
    relationship: str
    requester_name: str
    caseworker: str
    created_at: dt.datetime
    created_by: str
    checked_at: dt.datetime | None
    candidates: list[TracingCandidateRead] = Field(default_factory=list)


class NotificationRead(BaseModel):
    id: uuid.UUID
    request_id: uuid.UUID | None
    message: str
    created_at: dt.datetime
    read_at: dt.datetime | None
