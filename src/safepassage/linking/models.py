"""Linking workflow records: batch runs and the candidate pairs they found, people's decisions on
pairs, reversible merges, tracing requests with their candidates, and notifications to caseworkers.

Every table is named ``linking_...`` (revision 0007). Nothing here merges anything by itself: a run
stores candidate pairs in bands; a person accepts or rejects a pair (a ``LinkDecision``, keyed on the
unordered pair, so a rejected pair stays apart in every later run); a supervisor merges an accepted
pair, and the ``LinkMerge`` keeps what is needed to undo it exactly.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from safepassage.db import Base, JSONType, UTCDateTime, code_column
from safepassage.shared.ids import new_id


class Band(StrEnum):
    NEAR_CERTAIN = "near_certain"  # a supervisor may accept the whole band at once
    UNCERTAIN = "uncertain"  # one by one, in the review queue


class PairStatus(StrEnum):
    OPEN = "open"  # waiting in the queue
    ACCEPTED = "accepted"  # the same person: may be merged
    REJECTED = "rejected"  # two people: kept apart by later runs
    MERGED = "merged"  # accepted and merged
    SUPERSEDED = "superseded"  # a later run scored the pair again


class Verdict(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class TracingStatus(StrEnum):
    OPEN = "open"  # re-checked as new registrations arrive
    CLOSED = "closed"  # found, or given up


def pair_key(a: uuid.UUID, b: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    """The unordered pair in its stored order (smaller id first)."""
    return (a, b) if str(a) < str(b) else (b, a)


class LinkRun(Base):
    """One batch run over the registry: who started it, with which settings, what it found."""

    __tablename__ = "linking_runs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    started_by: Mapped[str] = mapped_column(String(80))
    settings: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    persons: Mapped[int] = mapped_column(Integer, default=0)
    pairs: Mapped[int] = mapped_column(Integer, default=0)
    near_certain: Mapped[int] = mapped_column(Integer, default=0)
    uncertain: Mapped[int] = mapped_column(Integer, default=0)
    kept_apart: Mapped[int] = mapped_column(Integer, default=0)  # pairs a decision already settled
    trained: Mapped[bool] = mapped_column(Boolean, default=False)


class CandidatePair(Base):
    """Two person records a run found alike, in a band, with the engine's explanation."""

    __tablename__ = "linking_pairs"
    __table_args__ = (
        UniqueConstraint("run_id", "person_a_id", "person_b_id"),
        Index("ix_linking_pairs_status_band", "status", "band"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("linking_runs.id"), index=True)
    person_a_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"), index=True)
    person_b_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"), index=True)
    probability: Mapped[float] = mapped_column(Float)
    match_weight: Mapped[float] = mapped_column(Float)
    band: Mapped[Band] = mapped_column(code_column(Band))
    explanation: Mapped[str] = mapped_column(Text, default="")
    levels: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[PairStatus] = mapped_column(code_column(PairStatus), default=PairStatus.OPEN)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class LinkDecision(Base):
    """A person's word on an unordered pair: the same person, or two people. One per pair; a new
    decision replaces the old (the audit trail keeps both)."""

    __tablename__ = "linking_decisions"
    __table_args__ = (UniqueConstraint("person_a_id", "person_b_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    person_a_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"), index=True)
    person_b_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"), index=True)
    verdict: Mapped[Verdict] = mapped_column(code_column(Verdict))
    pair_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("linking_pairs.id"))
    decided_by: Mapped[str] = mapped_column(String(80))
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text, default="")


class LinkMerge(Base):
    """A merge of ``merged_id`` into ``survivor_id`` and what undoing it needs (``snapshot``: the ids
    of the rows that moved, per table, and the merged person's household membership)."""

    __tablename__ = "linking_merges"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    survivor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"), index=True)
    merged_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"), index=True)
    decision_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("linking_decisions.id"))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    merged_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    merged_by: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(Text, default="")
    undone_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    undone_by: Mapped[str | None] = mapped_column(String(80))
    undo_reason: Mapped[str | None] = mapped_column(Text)


class TracingRequest(Base):
    """A relative looking for someone: what they can tell, who asks, who follows it up."""

    __tablename__ = "linking_tracing_requests"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"), index=True)
    requester_person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id"))
    requester_name: Mapped[str] = mapped_column(String(200), default="")
    caseworker: Mapped[str] = mapped_column(String(80))
    given_name: Mapped[str] = mapped_column(String(200), default="")
    father_name: Mapped[str] = mapped_column(String(200), default="")
    family_name: Mapped[str] = mapped_column(String(200), default="")
    sex: Mapped[str] = mapped_column(String(1), default="")
    approx_birth_year: Mapped[int | None] = mapped_column(Integer)
    age_tolerance_years: Mapped[int] = mapped_column(Integer, default=3)
    place: Mapped[str] = mapped_column(String(200), default="")
    relationship: Mapped[str] = mapped_column(String(80), default="")
    status: Mapped[TracingStatus] = mapped_column(code_column(TracingStatus), default=TracingStatus.OPEN)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(80))
    checked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class TracingCandidate(Base):
    """A registered person proposed for a tracing request, ranked, with the reasons."""

    __tablename__ = "linking_tracing_candidates"
    __table_args__ = (UniqueConstraint("request_id", "person_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("linking_tracing_requests.id"), index=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"), index=True)
    score: Mapped[float] = mapped_column(Float)
    strong: Mapped[bool] = mapped_column(Boolean, default=False)
    explanation: Mapped[str] = mapped_column(Text, default="")
    found_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class LinkNotification(Base):
    """Something a caseworker should look at (a new strong tracing candidate); seen on a page."""

    __tablename__ = "linking_notifications"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    recipient: Mapped[str] = mapped_column(String(80), index=True)
    request_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("linking_tracing_requests.id"))
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id"))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
