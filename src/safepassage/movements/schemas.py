"""Movement schemas: what the API, pages and CLI send and receive. Never ORM objects."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from safepassage.movements.models import Checkpoint, LegKind, PlaceKind, PlanStatus, ScanOutcome
from safepassage.movements.planner import LegStatus


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("give a time zone (e.g. 2026-03-01T08:00:00Z)")
    return value


class LegCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    kind: LegKind
    origin_site_id: uuid.UUID
    destination_site_id: uuid.UUID
    departure_at: dt.datetime
    seats: int = Field(ge=0, le=100_000)
    lap_places: int = Field(default=0, ge=0, le=100_000)
    stretcher_places: int = Field(default=0, ge=0, le=100_000)
    baggage_kg: float = Field(default=0.0, ge=0, le=10_000_000)

    _tz = field_validator("departure_at")(_aware)


class LegChange(BaseModel):
    """Delay or re-size a leg; the fields given change (a re-plan is then needed)."""

    model_config = ConfigDict(extra="forbid")

    departure_at: dt.datetime | None = None
    seats: int | None = Field(default=None, ge=0, le=100_000)
    lap_places: int | None = Field(default=None, ge=0, le=100_000)
    stretcher_places: int | None = Field(default=None, ge=0, le=100_000)
    baggage_kg: float | None = Field(default=None, ge=0, le=10_000_000)
    reason: str = Field(default="", max_length=500)

    _tz = field_validator("departure_at")(_aware)


class LegStatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: LegStatus
    reason: str = Field(default="", max_length=500)


class LegRead(BaseModel):
    id: uuid.UUID
    code: str
    kind: LegKind
    origin_site_id: uuid.UUID
    origin_site_code: str
    destination_site_id: uuid.UUID
    destination_site_code: str
    departure_at: dt.datetime
    seats: int
    lap_places: int
    stretcher_places: int
    baggage_kg: float
    status: LegStatus
    status_reason: str | None
    manifest_frozen: bool


class TravelGroupCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    household_ids: list[uuid.UUID] = Field(min_length=1, max_length=200)


class SplitPermissionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=10, max_length=1000)


class TravelGroupRead(BaseModel):
    id: uuid.UUID
    name: str
    origin_site_id: uuid.UUID
    household_ids: list[uuid.UUID]
    split_allowed_by: str | None
    split_reason: str | None


class PlanRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    origin_site_id: uuid.UUID
    reason: str | None = Field(default=None, max_length=500)


class EligibilityRead(BaseModel):
    person_id: uuid.UUID
    household_id: uuid.UUID | None
    name: str
    eligible: bool
    reasons: list[str]
    tier: int
    place: PlaceKind


class AssignmentRead(BaseModel):
    person_id: uuid.UUID
    group_key: str
    leg_code: str | None
    place: PlaceKind
    tier: int
    previous_leg_code: str | None
    change_reason: str | None


class PlanRead(BaseModel):
    id: uuid.UUID
    origin_site_id: uuid.UUID
    status: PlanStatus
    proposed_at: dt.datetime
    proposed_by: str
    accepted_at: dt.datetime | None
    accepted_by: str | None
    reason: str | None
    solver: str
    outcome: str
    gap: float | None
    summary: dict[str, Any]
    assignments: list[AssignmentRead] = Field(default_factory=list)


class PassRead(BaseModel):
    id: uuid.UUID
    number: str
    person_id: uuid.UUID
    leg_code: str
    place: PlaceKind
    language: str
    issued_at: dt.datetime
    revoked_at: dt.datetime | None
    revoked_reason: str | None


class ScanIn(BaseModel):
    """One scan as the device made it. ``token`` (the QR code), ``pass_number`` (typed) or
    ``person_id`` says who; ``client_id`` (made once by the device) makes the upload idempotent."""

    model_config = ConfigDict(extra="forbid")

    client_id: str = Field(min_length=8, max_length=80, pattern=r"^[A-Za-z0-9._:-]+$")
    token: str | None = Field(default=None, max_length=600)
    pass_number: str | None = Field(default=None, max_length=20)
    person_id: uuid.UUID | None = None
    checkpoint: Checkpoint
    site_id: uuid.UUID
    leg_id: uuid.UUID | None = None
    device_at: dt.datetime

    _tz = field_validator("device_at")(_aware)


class ScanBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scans: list[ScanIn] = Field(min_length=1, max_length=1000)


class ScanResult(BaseModel):
    client_id: str
    outcome: ScanOutcome
    reason: str | None
    duplicate: bool  # already received: nothing changed
    person_id: uuid.UUID | None
    leg_code: str | None


class ScanBatchResult(BaseModel):
    accepted: int
    rejected: int
    duplicates: int
    results: list[ScanResult]


class ScanRead(BaseModel):
    client_id: str
    outcome: ScanOutcome
    reason: str | None
    checkpoint: Checkpoint
    site_id: uuid.UUID | None
    leg_code: str | None
    device_at: dt.datetime
    received_at: dt.datetime
    recorded_by: str


class PersonMovement(BaseModel):
    """A person's state derived from every scan (ordered by device time), and the scans."""

    person_id: uuid.UUID
    state: str  # not_seen, checked_in, boarded, arrived
    where_site_id: uuid.UUID | None
    on_leg_code: str | None
    scans: list[ScanRead]


class LegAccountability(BaseModel):
    leg_id: uuid.UUID
    leg_code: str
    status: LegStatus
    manifested: int
    checked_in: int
    boarded: int
    arrived: int
    no_shows: list[uuid.UUID]  # manifested, not boarded, once the leg has left
    unaccounted: list[uuid.UUID]  # boarded, not arrived, once the leg has arrived
    not_on_manifest: list[uuid.UUID]  # boarded without being on the manifest


class SitePresence(BaseModel):
    site_id: uuid.UUID
    present: list[uuid.UUID]
    count: int
