"""Batch runs and the review queue: candidate pairs in bands, people's decisions on them.

A run scores every active person of the actor's sites with the engine (``link``) and stores each
pair at or above the review floor in a band: **near-certain** (at or above ``near_certain``) or
**uncertain**. A pair somebody already decided on (either way) is not queued again: a rejected pair
stays apart, an accepted one waits for its merge. Open pairs of earlier runs are superseded, so the
queue always shows the latest scores. Nothing is merged here (``linking.merging`` does that, on
request).

Site scope: a pair is visible, and may be decided on, only by someone who may open both persons (in
scope, or a break-glass grant): a pair across two sites needs a reviewer of both.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select, update

from safepassage.linking.duplicates import CHECKER
from safepassage.linking.engine import LinkSettings, link
from safepassage.linking.models import (
    Band,
    CandidatePair,
    LinkDecision,
    LinkRun,
    PairStatus,
    Verdict,
    pair_key,
)
from safepassage.linking.records import active_persons, person_record
from safepassage.registry.models import Person
from safepassage.registry.scoping import in_scope
from safepassage.security.policy import Actor, Permission, require
from safepassage.shared.errors import Conflict, FieldProblem, Invalid, NotFound
from safepassage.shared.i18n import say
from safepassage.uow import UnitOfWork


@dataclass(frozen=True)
class RunOptions:
    """``floor``: pairs below are not stored; ``near_certain``: the bulk-acceptable band starts
    here; ``cluster_threshold``: handed to the engine for its clusters (the queue ignores them)."""

    floor: float = 0.5
    near_certain: float = 0.99
    cluster_threshold: float = 0.9

    def check(self) -> None:
        if not 0.0 < self.floor <= self.near_certain <= 1.0:
            raise Invalid(
                say("the bands need 0 < floor <= near_certain <= 1"),
                problems=[FieldProblem("floor", say("out of order with near_certain"))],
            )


def band_of(probability: float, options: RunOptions) -> Band:
    return Band.NEAR_CERTAIN if probability >= options.near_certain else Band.UNCERTAIN


def decided_pairs(uow: UnitOfWork) -> dict[tuple[uuid.UUID, uuid.UUID], Verdict]:
    rows = uow.session.execute(
        select(LinkDecision.person_a_id, LinkDecision.person_b_id, LinkDecision.verdict)
    )
    return {(a, b): v for a, b, v in rows}


def run_batch(uow: UnitOfWork, options: RunOptions | None = None, *, actor: Actor) -> uuid.UUID:
    """Score the actor's sites (the CLI operator and the system: every site) and queue the pairs."""
    require(actor, Permission.LINKING_MERGE)
    options = options or RunOptions()
    options.check()
    with uow.acting(actor):
        started = uow.now()
        persons = active_persons(uow, actor=actor)
        records = [person_record(p) for p in persons]
        settings = LinkSettings(threshold=options.cluster_threshold, pairs_floor=options.floor)
        result = link(records, settings)
        decided = decided_pairs(uow)
        run = LinkRun(
            started_at=started,
            started_by=actor.username,
            settings={
                "floor": options.floor,
                "near_certain": options.near_certain,
                "cluster_threshold": options.cluster_threshold,
            },
            persons=len(records),
            trained=result.trained,
        )
        uow.session.add(run)
        uow.session.flush()
        uow.session.execute(
            update(CandidatePair)
            .where(CandidatePair.status == PairStatus.OPEN)
            .where(CandidatePair.person_a_id.in_(select(Person.id).where(in_scope(Person.site_id, actor))))
            .values(status=PairStatus.SUPERSEDED)
        )
        seen: set[tuple[uuid.UUID, uuid.UUID]] = set()
        for row in result.pairs.to_pylist():
            probability = float(row["match_probability"])
            if probability < options.floor:
                continue
            key = pair_key(uuid.UUID(row["record_id_l"]), uuid.UUID(row["record_id_r"]))
            if key in seen:
                continue
            seen.add(key)
            if key in decided:
                run.kept_apart += 1
                continue
            band = band_of(probability, options)
            levels = {k[: -len("_level")]: v for k, v in row.items() if k.endswith("_level")}
            uow.session.add(
                CandidatePair(
                    run_id=run.id,
                    person_a_id=key[0],
                    person_b_id=key[1],
                    probability=probability,
                    match_weight=float(row.get("match_weight") or 0.0),
                    band=band,
                    explanation=str(row.get("explanation") or ""),
                    levels=levels,
                    created_at=started,
                )
            )
            run.pairs += 1
            if band is Band.NEAR_CERTAIN:
                run.near_certain += 1
            else:
                run.uncertain += 1
        run.finished_at = uow.now()
        uow.audit(
            "linking.run",
            entity="linking_run",
            entity_id=run.id,
            details={
                "persons": run.persons,
                "pairs": run.pairs,
                "near_certain": run.near_certain,
                "uncertain": run.uncertain,
                "kept_apart": run.kept_apart,
            },
        )
        uow.commit()
    if actor.all_sites:  # the whole registry was read: the duplicate check's index, refreshed
        CHECKER.install(records, started)
    return run.id


# --- decisions ------------------------------------------------------------------------------------


def _sites(uow: UnitOfWork, pair: CandidatePair) -> dict[uuid.UUID, uuid.UUID]:
    rows = uow.session.execute(
        select(Person.id, Person.site_id).where(Person.id.in_([pair.person_a_id, pair.person_b_id]))
    )
    return {pid: site for pid, site in rows}


def may_see_pair(actor: Actor, sites: dict[uuid.UUID, uuid.UUID], a: uuid.UUID, b: uuid.UUID) -> bool:
    """Both persons must be open to the actor (in scope, or by break-glass)."""
    return all(p in sites and actor.may_open(sites[p], p) for p in (a, b))


def get_pair_or_raise(uow: UnitOfWork, pair_id: uuid.UUID, *, actor: Actor) -> CandidatePair:
    pair = uow.session.get(CandidatePair, pair_id)
    if pair is None or not may_see_pair(actor, _sites(uow, pair), pair.person_a_id, pair.person_b_id):
        raise NotFound(say("candidate pair not found"))
    return pair


def _record_decision(
    uow: UnitOfWork, pair: CandidatePair, verdict: Verdict, reason: str, *, actor: Actor
) -> LinkDecision:
    decision = uow.session.scalar(
        select(LinkDecision).where(
            LinkDecision.person_a_id == pair.person_a_id, LinkDecision.person_b_id == pair.person_b_id
        )
    )
    now = uow.now()
    if decision is None:
        decision = LinkDecision(person_a_id=pair.person_a_id, person_b_id=pair.person_b_id)
        uow.session.add(decision)
    decision.verdict = verdict
    decision.pair_id = pair.id
    decision.decided_by = actor.username
    decision.decided_at = now
    decision.reason = reason
    pair.status = PairStatus.ACCEPTED if verdict is Verdict.ACCEPTED else PairStatus.REJECTED
    uow.session.flush()
    uow.audit(
        f"linking.pair.{verdict.value}",
        entity="linking_pair",
        entity_id=pair.id,
        details={
            "person_a": str(pair.person_a_id),
            "person_b": str(pair.person_b_id),
            "band": pair.band.value,
            "probability": pair.probability,
            "reason_given": bool(reason),
        },
    )
    return decision


def decide_pair(
    uow: UnitOfWork, pair_id: uuid.UUID, verdict: Verdict, *, reason: str = "", actor: Actor
) -> uuid.UUID:
    """Accept (the same person) or reject (two people) one pair; a rejection needs a reason."""
    require(actor, Permission.LINKING_REVIEW)
    reason = reason.strip()
    if verdict is Verdict.REJECTED and not reason:
        raise Invalid(say("say why these are two people"), problems=[FieldProblem("reason", say("required"))])
    with uow.acting(actor):
        pair = get_pair_or_raise(uow, pair_id, actor=actor)
        if pair.status not in (PairStatus.OPEN, PairStatus.ACCEPTED, PairStatus.REJECTED):
            raise Conflict(say("this pair is %(status)s", status=pair.status))
        decision = _record_decision(uow, pair, verdict, reason, actor=actor)
        uow.commit()
        return decision.id


def accept_band(uow: UnitOfWork, run_id: uuid.UUID, *, reason: str = "", actor: Actor) -> list[uuid.UUID]:
    """A supervisor accepts every open near-certain pair of a run that they may see (one audit
    entry per pair). Returns the accepted pairs' ids; merging them is a further, separate act."""
    require(actor, Permission.LINKING_MERGE)
    with uow.acting(actor):
        if uow.session.get(LinkRun, run_id) is None:
            raise NotFound(say("link run not found"))
        pairs = list(
            uow.session.scalars(
                select(CandidatePair)
                .where(
                    CandidatePair.run_id == run_id,
                    CandidatePair.band == Band.NEAR_CERTAIN,
                    CandidatePair.status == PairStatus.OPEN,
                )
                .order_by(CandidatePair.id)
            )
        )
        accepted = []
        for pair in pairs:
            if may_see_pair(actor, _sites(uow, pair), pair.person_a_id, pair.person_b_id):
                _record_decision(uow, pair, Verdict.ACCEPTED, reason or "near-certain band", actor=actor)
                accepted.append(pair.id)
        uow.audit(
            "linking.band.accepted", entity="linking_run", entity_id=run_id, details={"pairs": len(accepted)}
        )
        uow.commit()
        return accepted
