"""Movement models: legs, travel groups, plans and their assignments, manifests, boarding passes, scans.

State transitions are methods here, with no session inside. A plan is a *proposal* until a movement
planner accepts it; nothing here applies solver output by itself. A manifest is a frozen snapshot,
written once when boarding starts. Scans are facts (who scanned what, where, when on the device);
a person's movement state is derived from all their scans, never stored, so scans uploaded late and
out of order give the same state (``movements.tracking``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safepassage.db import Base, JSONType, UTCDateTime, code_column
from safepassage.movements.planner import LegStatus
from safepassage.shared.errors import Conflict, FieldProblem, Invalid
from safepassage.shared.i18n import say
from safepassage.shared.ids import new_id


class LegKind(StrEnum):
    FLIGHT = "flight"
    CONVOY = "convoy"
    SHIP = "ship"


class PlanStatus(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    SUPERSEDED = "superseded"  # a later plan was accepted, or a newer proposal replaced this one


class PlaceKind(StrEnum):
    """What a person occupies on a leg."""

    SEAT = "seat"
    LAP = "lap"  # an infant under two, on an adult's lap
    STRETCHER = "stretcher"


class Checkpoint(StrEnum):
    ASSEMBLY_CHECK_IN = "assembly_check_in"
    BOARDING = "boarding"
    ARRIVAL = "arrival"


class ScanOutcome(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"


# Allowed leg status changes (cancelling is possible until departure).
_NEXT: dict[LegStatus, frozenset[LegStatus]] = {
    LegStatus.PLANNED: frozenset({LegStatus.BOARDING, LegStatus.CANCELLED}),
    LegStatus.BOARDING: frozenset({LegStatus.DEPARTED, LegStatus.CANCELLED, LegStatus.PLANNED}),
    LegStatus.DEPARTED: frozenset({LegStatus.ARRIVED}),
    LegStatus.ARRIVED: frozenset(),
    LegStatus.CANCELLED: frozenset(),
}


class TransportLeg(Base):
    """A flight, convoy or ship from one site to another, with its four capacities."""

    __tablename__ = "movement_legs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[LegKind] = mapped_column(code_column(LegKind))
    origin_site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"), index=True)
    destination_site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"), index=True)
    departure_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    seats: Mapped[int] = mapped_column(Integer)
    lap_places: Mapped[int] = mapped_column(Integer, default=0)
    stretcher_places: Mapped[int] = mapped_column(Integer, default=0)
    baggage_kg: Mapped[float] = mapped_column(Float, default=0.0)
    status: Mapped[LegStatus] = mapped_column(code_column(LegStatus), default=LegStatus.PLANNED)
    status_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    def move_to(self, status: LegStatus, *, at: dt.datetime, reason: str | None = None) -> None:
        if status == self.status:
            return
        if status not in _NEXT[self.status]:
            raise Conflict(
                say(
                    "leg %(code)s is %(status)s: it cannot become %(next)s",
                    code=self.code,
                    status=self.status,
                    next=status,
                )
            )
        if status is LegStatus.CANCELLED and not (reason or "").strip():
            raise Invalid(
                say("cancelling a leg needs a reason"), problems=[FieldProblem("reason", say("required"))]
            )
        self.status = status
        self.status_reason = reason
        self.updated_at = at

    def change(
        self,
        *,
        at: dt.datetime,
        departure_at: dt.datetime | None = None,
        seats: int | None = None,
        lap_places: int | None = None,
        stretcher_places: int | None = None,
        baggage_kg: float | None = None,
    ) -> list[str]:
        """Delay or re-size a leg that has not left; the names of the fields that changed."""
        if self.status not in (LegStatus.PLANNED, LegStatus.BOARDING):
            raise Conflict(
                say(
                    "leg %(code)s is %(status)s: it can no longer change",
                    code=self.code,
                    status=self.status,
                )
            )
        changed = []
        for name, value in (
            ("departure_at", departure_at),
            ("seats", seats),
            ("lap_places", lap_places),
            ("stretcher_places", stretcher_places),
            ("baggage_kg", baggage_kg),
        ):
            if value is not None and getattr(self, name) != value:
                setattr(self, name, value)
                changed.append(name)
        if changed:
            self.updated_at = at
        return changed


class TravelGroup(Base):
    """Several households that travel together (relatives, neighbours, a carer's family). Never split
    across legs unless a supervisor allowed it, with a reason."""

    __tablename__ = "movement_travel_groups"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    origin_site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(80))
    split_allowed_by: Mapped[str | None] = mapped_column(String(80))
    split_reason: Mapped[str | None] = mapped_column(Text)
    split_allowed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    members: Mapped[list[TravelGroupMember]] = relationship(
        cascade="all, delete-orphan", order_by="TravelGroupMember.household_id"
    )

    def allow_split(self, *, by: str, reason: str, at: dt.datetime) -> None:
        if len(reason.strip()) < 10:
            raise Invalid(
                say("say why this group may be split (at least 10 characters)"),
                problems=[FieldProblem("reason", say("at least 10 characters"))],
            )
        self.split_allowed_by, self.split_reason, self.split_allowed_at = by, reason.strip(), at

    def revoke_split(self) -> None:
        self.split_allowed_by = self.split_reason = None
        self.split_allowed_at = None


class TravelGroupMember(Base):
    __tablename__ = "movement_travel_group_members"

    group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("movement_travel_groups.id", ondelete="CASCADE"), primary_key=True
    )
    # a household belongs to one travel group at most
    household_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("households.id"), primary_key=True, unique=True
    )


class MovementPlan(Base):
    """A proposal from the planner for the legs leaving one site; applied only once accepted."""

    __tablename__ = "movement_plans"
    __table_args__ = (Index("ix_movement_plans_site_status", "origin_site_id", "status"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    origin_site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"))
    status: Mapped[PlanStatus] = mapped_column(code_column(PlanStatus), default=PlanStatus.PROPOSED)
    proposed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    proposed_by: Mapped[str] = mapped_column(String(80))
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    accepted_by: Mapped[str | None] = mapped_column(String(80))
    superseded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    based_on_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("movement_plans.id"))
    reason: Mapped[str | None] = mapped_column(Text)  # why it was asked for (e.g. "leg AF-7 cancelled")
    solver: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(40))
    gap: Mapped[float | None] = mapped_column(Float)  # the largest relative gap proven over the levels
    summary: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    assignments: Mapped[list[PlanAssignment]] = relationship(
        cascade="all, delete-orphan", order_by="PlanAssignment.id"
    )

    def accept(self, *, by: str, at: dt.datetime) -> None:
        if self.status is not PlanStatus.PROPOSED:
            raise Conflict(
                say("this plan is %(status)s: only a proposal can be accepted", status=self.status)
            )
        self.status, self.accepted_by, self.accepted_at = PlanStatus.ACCEPTED, by, at

    def supersede(self, *, at: dt.datetime) -> None:
        if self.status is not PlanStatus.SUPERSEDED:
            self.status, self.superseded_at = PlanStatus.SUPERSEDED, at


class PlanAssignment(Base):
    """One person in a plan: their group (household or travel group), and their leg (none: not moved
    by this plan, with the reason)."""

    __tablename__ = "movement_plan_assignments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    plan_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("movement_plans.id", ondelete="CASCADE"), index=True
    )
    group_key: Mapped[str] = mapped_column(String(80))  # "household:<id>" or "group:<id>"
    household_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("households.id"))
    travel_group_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("movement_travel_groups.id"))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"), index=True)
    leg_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("movement_legs.id"), index=True)
    place: Mapped[PlaceKind] = mapped_column(code_column(PlaceKind))
    tier: Mapped[int] = mapped_column(Integer)
    previous_leg_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("movement_legs.id"))
    change_reason: Mapped[str | None] = mapped_column(Text)


class Manifest(Base):
    """Who is on a leg, frozen when boarding starts: later plans and registry corrections do not
    change it. ``entries`` is the snapshot (identifying fields: only roles that may read them see it)."""

    __tablename__ = "movement_manifests"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    leg_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("movement_legs.id"), unique=True)
    plan_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("movement_plans.id"))
    frozen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    frozen_by: Mapped[str] = mapped_column(String(80))
    entries: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    counts: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class BoardingPass(Base):
    """A person's pass for one leg. The printed QR code carries a token signed with the boarding-pass
    key (``movements.passes``); ``number`` is what a checkpoint types when the camera fails."""

    __tablename__ = "movement_boarding_passes"
    __table_args__ = (Index("ix_movement_boarding_passes_person_leg", "person_id", "leg_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"), index=True)
    leg_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("movement_legs.id"), index=True)
    plan_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("movement_plans.id"))
    group_key: Mapped[str] = mapped_column(String(80))
    place: Mapped[PlaceKind] = mapped_column(code_column(PlaceKind))
    language: Mapped[str] = mapped_column(String(8), default="en")
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    issued_by: Mapped[str] = mapped_column(String(80))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(Text)

    @property
    def valid(self) -> bool:
        return self.revoked_at is None

    def revoke(self, *, at: dt.datetime, reason: str) -> None:
        if self.revoked_at is None:
            self.revoked_at, self.revoked_reason = at, reason


class Scan(Base):
    """One checkpoint scan, as the device made it. ``client_id`` (made by the device) makes uploads
    idempotent: the same scan sent twice is stored once. Rejected scans are kept with their reason."""

    __tablename__ = "movement_scans"
    __table_args__ = (
        UniqueConstraint("client_id", name="uq_movement_scans_client_id"),
        Index("ix_movement_scans_person_device", "person_id", "device_at"),
        Index("ix_movement_scans_leg", "leg_id", "checkpoint"),
        Index("ix_movement_scans_site", "site_id", "device_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(String(80))
    outcome: Mapped[ScanOutcome] = mapped_column(code_column(ScanOutcome))
    reason: Mapped[str | None] = mapped_column(Text)
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id"))
    pass_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("movement_boarding_passes.id"))
    checkpoint: Mapped[Checkpoint] = mapped_column(code_column(Checkpoint))
    site_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sites.id"))
    leg_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("movement_legs.id"))
    device_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(80))
    by_token: Mapped[bool] = mapped_column(Boolean, default=False)  # scanned QR vs typed number/id


__all__ = [
    "BoardingPass",
    "Checkpoint",
    "LegKind",
    "Manifest",
    "MovementPlan",
    "PlaceKind",
    "PlanAssignment",
    "PlanStatus",
    "Scan",
    "ScanOutcome",
    "TransportLeg",
    "TravelGroup",
    "TravelGroupMember",
]


def _track_history() -> None:
    from safepassage.history import track

    track(TransportLeg)
    track(TravelGroup)


_track_history()
