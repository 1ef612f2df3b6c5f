"""Placement records: regions and their capacities per period, what the placement officer records
about a household, the history the outcome model learns from, runs of the engine and their proposals,
and the placements a person decided.

Every table is named ``placement_...`` (the registry's migrations leave those to revision 0006).
A proposal is only a proposal: a household is placed when a placement officer accepts or overrides
one, which writes its ``PlacementAssignment`` (one per household, the database enforces it). The
capacity left in a region for a period is that period's capacity minus what the assignments of the
period use, so a later run for new arrivals places only unplaced households into what is left.
Capacities are per period (``placement.periods``: a month or a quarter); a run plans for one period.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safepassage.db import Base, JSONType, UTCDateTime, code_column
from safepassage.placement.engine import Education, Region, Resource
from safepassage.placement.periods import Period
from safepassage.shared.ids import new_id

#: The capacities a region records, in the engine's order (quota first).
CAPACITIES: tuple[str, ...] = tuple(r.value for r in Resource)


class ProposalStatus(StrEnum):
    PROPOSED = "proposed"  # waiting for a placement officer
    ACCEPTED = "accepted"  # placed where the engine proposed
    OVERRIDDEN = "overridden"  # placed elsewhere, by a person, with a reason
    REJECTED = "rejected"  # not placed; the household stays for a later run
    SUPERSEDED = "superseded"  # a later run proposed again for this household
    WITHDRAWN = "withdrawn"  # an accepted or overridden placement undone, with a reason
    NOT_ELIGIBLE = "not_eligible"  # listed with the reason (consent); no proposal can be decided


class RunStatus(StrEnum):
    QUEUED = "queued"  # waiting for the worker
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # the message says why; nothing was proposed


class Eligibility(StrEnum):
    """Why a household of a run gets no proposal at all (its row is ``not_eligible``)."""

    NO_CONSENT = "no_consent"  # an adult member has not consented to resettlement
    CONSENT_WITHDRAWN = "consent_withdrawn"  # an adult member withdrew the consent


DECIDED = (ProposalStatus.ACCEPTED, ProposalStatus.OVERRIDDEN, ProposalStatus.REJECTED)


class PlacementRegion(Base):
    """A receiving region: what the outcome model reads, and its capacities per period."""

    __tablename__ = "placement_regions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    unemployment_rate: Mapped[float] = mapped_column(Float, default=0.0)
    communities: Mapped[list[str]] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    capacities: Mapped[list[PlacementCapacity]] = relationship(
        back_populates="region", order_by="PlacementCapacity.period_start"
    )

    def to_engine(self, capacity: PlacementCapacity | None, used: dict[str, int] | None = None) -> Region:
        """The engine's region with what is left of the period's capacity (none recorded: nothing)."""
        taken = used or {}
        total = capacity.values() if capacity is not None else dict.fromkeys(CAPACITIES, 0)
        left = {name: max(total[name] - int(taken.get(name, 0)), 0) for name in CAPACITIES}
        return Region(
            region_id=self.code,
            unemployment_rate=self.unemployment_rate,
            communities=tuple(sorted(self.communities or [])),
            **left,
        )


class PlacementCapacity(Base):
    """What a region can take in one period (a month or a quarter), resource by resource."""

    __tablename__ = "placement_capacities"
    __table_args__ = (UniqueConstraint("region_id", "period"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    region_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("placement_regions.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))  # 2026-11 or 2026-Q4
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)  # the first day after
    quota_persons: Mapped[int] = mapped_column(Integer, default=0)
    housing_small: Mapped[int] = mapped_column(Integer, default=0)
    housing_large: Mapped[int] = mapped_column(Integer, default=0)
    school_places: Mapped[int] = mapped_column(Integer, default=0)
    kindergarten_places: Mapped[int] = mapped_column(Integer, default=0)
    dialysis: Mapped[int] = mapped_column(Integer, default=0)
    oncology: Mapped[int] = mapped_column(Integer, default=0)
    disability: Mapped[int] = mapped_column(Integer, default=0)
    language_course: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(80))

    region: Mapped[PlacementRegion] = relationship(back_populates="capacities")

    @property
    def span(self) -> Period:
        return Period.parse(self.period)

    def capacity(self, resource: Resource | str) -> int:
        value: int = getattr(self, Resource(resource).value)
        return value

    def values(self) -> dict[str, int]:
        return {name: self.capacity(name) for name in CAPACITIES}

    def set_values(self, values: dict[str, int]) -> list[str]:
        """Set the capacities given; the names of those that changed."""
        changed = []
        for name in CAPACITIES:
            if name in values and values[name] is not None and self.capacity(name) != int(values[name]):
                setattr(self, name, int(values[name]))
                changed.append(name)
        return changed


class PlacementProfile(Base):
    """What the registry lacks and the placement officer records about a household (all optional)."""

    __tablename__ = "placement_profiles"

    household_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), primary_key=True
    )
    education_max: Mapped[Education | None] = mapped_column(code_column(Education))
    occupation: Mapped[str | None] = mapped_column(String(80))
    # persons needing a specialised service the registry's codes do not name (disability is DS there)
    dialysis_persons: Mapped[int] = mapped_column(Integer, default=0)
    oncology_persons: Mapped[int] = mapped_column(Integer, default=0)
    tie_region_code: Mapped[str | None] = mapped_column(String(40))  # where relatives live
    preferences: Mapped[list[str]] = mapped_column(JSONType, default=list)  # region codes, best first
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(80))


class PlacementHistory(Base):
    """A past placement and its outcome (the engine's X.csv row), for the outcome model to learn from."""

    __tablename__ = "placement_history"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    household_key: Mapped[str] = mapped_column(String(80), unique=True)
    region_code: Mapped[str] = mapped_column(String(40), index=True)
    adults: Mapped[int] = mapped_column(Integer)
    children_0_5: Mapped[int] = mapped_column(Integer, default=0)
    children_6_17: Mapped[int] = mapped_column(Integer, default=0)
    elderly: Mapped[int] = mapped_column(Integer, default=0)
    languages: Mapped[list[str]] = mapped_column(JSONType, default=list)
    education_max: Mapped[Education] = mapped_column(code_column(Education))
    occupation: Mapped[str] = mapped_column(String(80))
    needs: Mapped[list[str]] = mapped_column(JSONType, default=list)
    employed_adults_90d: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(200))
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    imported_by: Mapped[str] = mapped_column(String(80))


class PlacementRun(Base):
    """One run of the engine: who, when, over which sites, and what the engine reported."""

    __tablename__ = "placement_runs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    created_by: Mapped[str] = mapped_column(String(80))
    period: Mapped[str] = mapped_column(String(7))  # the capacity period it plans for
    status: Mapped[RunStatus] = mapped_column(code_column(RunStatus), default=RunStatus.QUEUED)
    progress: Mapped[float] = mapped_column(Float, default=0.0)  # 0 to 1
    stage: Mapped[str] = mapped_column(String(40), default="queued")
    error: Mapped[str | None] = mapped_column(Text)  # why it failed, for the officer
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    worker: Mapped[str | None] = mapped_column(String(120))  # host:pid running it
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # what was asked
    households: Mapped[int] = mapped_column(Integer, default=0)
    not_eligible: Mapped[int] = mapped_column(Integer, default=0)
    placed_households: Mapped[int] = mapped_column(Integer, default=0)
    placed_persons: Mapped[int] = mapped_column(Integer, default=0)
    expected_outcome: Mapped[float] = mapped_column(Float, default=0.0)
    objective: Mapped[float] = mapped_column(Float, default=0.0)
    bound: Mapped[float | None] = mapped_column(Float)
    gap: Mapped[float | None] = mapped_column(Float)
    method: Mapped[str] = mapped_column(String(40), default="")
    solver_status: Mapped[str] = mapped_column(String(80), default="")
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    # held-out model quality, the policy used, the engine's notes, the sites it covered
    report: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    proposals: Mapped[list[PlacementProposal]] = relationship(
        back_populates="run", order_by="PlacementProposal.position"
    )


class PlacementProposal(Base):
    """One household's proposed region (or none, with the reason) and its explanation; then the
    decision a person took on it."""

    __tablename__ = "placement_proposals"
    __table_args__ = (Index("ix_placement_proposals_household_status", "household_id", "status"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("placement_runs.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    persons: Mapped[int] = mapped_column(Integer)
    use: Mapped[dict[str, int]] = mapped_column(JSONType, default=dict)  # per resource, as the engine counts
    region_code: Mapped[str | None] = mapped_column(String(40))
    predicted_outcome: Mapped[float | None] = mapped_column(Float)
    next_best_code: Mapped[str | None] = mapped_column(String(40))
    next_best_outcome: Mapped[float | None] = mapped_column(Float)
    reason_code: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)  # the engine's sentence (English)
    # what the pages need to say why in any language: region, resource, counts (codes, never prose)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[ProposalStatus] = mapped_column(
        code_column(ProposalStatus), default=ProposalStatus.PROPOSED, index=True
    )
    decided_region_code: Mapped[str | None] = mapped_column(String(40))
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(Text)

    run: Mapped[PlacementRun] = relationship(back_populates="proposals")


class PlacementAssignment(Base):
    """A decided placement: the household goes to the region. One per household (the primary key);
    what it uses is kept with it, so the capacity left never depends on who can see the household."""

    __tablename__ = "placement_assignments"

    household_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), primary_key=True
    )
    region_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("placement_regions.id"), index=True)
    period: Mapped[str] = mapped_column(String(7), index=True)  # counts against this period's capacity
    proposal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("placement_proposals.id"))
    persons: Mapped[int] = mapped_column(Integer)
    use: Mapped[dict[str, int]] = mapped_column(JSONType, default=dict)
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[str] = mapped_column(String(80))

    region: Mapped[PlacementRegion] = relationship()


__all__ = [
    "CAPACITIES",
    "DECIDED",
    "Eligibility",
    "PlacementAssignment",
    "PlacementCapacity",
    "PlacementHistory",
    "PlacementProfile",
    "PlacementProposal",
    "PlacementRegion",
    "PlacementRun",
    "ProposalStatus",
    "RunStatus",
]
