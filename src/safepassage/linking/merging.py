"""Merging an accepted pair, and undoing it exactly.

A merge keeps both person records. The merged person is marked ``merged_into_id = survivor`` (lists,
searches and plans skip it), its identity documents, phones, consents and stated intentions move to
the survivor (so that a search for the document finds the one record), and it leaves its household.
Its names, site stays and change history stay on its own record. ``LinkMerge.snapshot`` keeps the
ids of every moved row per table and the household membership (household, relationship, and the
household's status when the merged person was its only member), which is all an unmerge needs:
rows move back by id, the membership is restored, ``merged_into_id`` is cleared.

An unmerge says the merge was wrong: the pair's decision becomes a rejection (with the unmerge's
reason), so later runs keep the two apart.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update

from safepassage.linking.models import CandidatePair, LinkDecision, LinkMerge, PairStatus, Verdict
from safepassage.linking.services import get_pair_or_raise
from safepassage.registry.codes import HouseholdStatus, Relationship
from safepassage.registry.models import (
    ConsentRecord,
    Document,
    Household,
    IntentionStatement,
    Person,
    Phone,
)
from safepassage.security.policy import Actor, Permission, require, require_record
from safepassage.shared.errors import Conflict, FieldProblem, Invalid, NotFound
from safepassage.shared.i18n import say
from safepassage.uow import UnitOfWork

#: The rows that follow the merged person to the survivor, by snapshot key.
MOVED: dict[str, Any] = {
    "documents": Document,
    "phones": Phone,
    "consents": ConsentRecord,
    "intentions": IntentionStatement,
}


def _person(uow: UnitOfWork, person_id: uuid.UUID, *, actor: Actor) -> Person:
    person = uow.session.get(Person, person_id)
    if person is None:
        raise NotFound(say("person not found"))
    require_record(actor, person.site_id, person.id, what="person")
    return person


def merge_pair(
    uow: UnitOfWork,
    pair_id: uuid.UUID,
    *,
    survivor_id: uuid.UUID | None = None,
    reason: str = "",
    actor: Actor,
) -> uuid.UUID:
    """Merge an accepted pair (the survivor: the one named, else the earlier registered)."""
    require(actor, Permission.LINKING_MERGE)
    with uow.acting(actor):
        pair = get_pair_or_raise(uow, pair_id, actor=actor)
        if pair.status is not PairStatus.ACCEPTED:
            raise Conflict(say("only an accepted pair is merged; this one is %(status)s", status=pair.status))
        a = _person(uow, pair.person_a_id, actor=actor)
        b = _person(uow, pair.person_b_id, actor=actor)
        if survivor_id is not None and survivor_id not in (a.id, b.id):
            raise Invalid(
                say("the survivor must be one of the pair"),
                problems=[FieldProblem("survivor_id", say("not in pair"))],
            )
        if survivor_id is None:
            survivor, merged = sorted((a, b), key=lambda p: (p.created_at, str(p.id)))
        else:
            survivor, merged = (a, b) if survivor_id == a.id else (b, a)
        for person in (survivor, merged):
            if person.merged_into_id is not None:
                raise Conflict(say("person %(id)s is merged already", id=person.id))
        snapshot = _move_out(uow, merged, survivor)
        now = uow.now()
        merged.merged_into_id = survivor.id
        merged.updated_at = now
        survivor.updated_at = now
        pair.status = PairStatus.MERGED
        decision = uow.session.scalar(
            select(LinkDecision.id).where(
                LinkDecision.person_a_id == pair.person_a_id, LinkDecision.person_b_id == pair.person_b_id
            )
        )
        record = LinkMerge(
            survivor_id=survivor.id,
            merged_id=merged.id,
            decision_id=decision,
            snapshot=snapshot,
            merged_at=now,
            merged_by=actor.username,
            reason=reason.strip(),
        )
        uow.session.add(record)
        uow.session.flush()
        uow.audit(
            "linking.merged",
            entity="person",
            entity_id=merged.id,
            site_id=merged.site_id,
            details={
                "survivor": str(survivor.id),
                "pair": str(pair.id),
                "merge": str(record.id),
                "moved": {k: len(v) for k, v in snapshot["rows"].items()},
            },
        )
        uow.commit()
        return record.id


def _move_out(uow: UnitOfWork, merged: Person, survivor: Person) -> dict[str, Any]:
    rows: dict[str, list[str]] = {}
    for key, model in MOVED.items():
        ids = list(uow.session.scalars(select(model.id).where(model.person_id == merged.id)))
        rows[key] = sorted(str(i) for i in ids)
        if ids:
            uow.session.execute(update(model).where(model.id.in_(ids)).values(person_id=survivor.id))
    household: dict[str, Any] | None = None
    if merged.household_id is not None:
        home = uow.session.get(Household, merged.household_id)
        assert home is not None  # a foreign key
        others = [m for m in home.members if m.id != merged.id and m.merged_into_id is None]
        if merged.relationship_to_head == Relationship.HEAD and others:
            raise Conflict(
                say("the merged person heads a household with other members: name another head first")
            )
        household = {
            "id": str(home.id),
            "relationship": merged.relationship_to_head.value,
            "status": home.status.value,
            "merged_into_id": str(home.merged_into_id) if home.merged_into_id else None,
        }
        home.members.remove(merged)
        if not others:
            home.status = HouseholdStatus.MERGED
            home.merged_into_id = survivor.household_id
            home.updated_at = uow.now()
    uow.session.expire(survivor)
    return {"rows": rows, "household": household}


def unmerge(uow: UnitOfWork, merge_id: uuid.UUID, *, reason: str, actor: Actor) -> None:
    """Undo a merge: both records as they were before it; the pair is kept apart from now on."""
    require(actor, Permission.LINKING_MERGE)
    reason = reason.strip()
    if not reason:
        raise Invalid(say("say why the merge was wrong"), problems=[FieldProblem("reason", say("required"))])
    with uow.acting(actor):
        record = uow.session.get(LinkMerge, merge_id)
        if record is None:
            raise NotFound(say("merge not found"))
        survivor = _person(uow, record.survivor_id, actor=actor)
        merged = _person(uow, record.merged_id, actor=actor)
        if record.undone_at is not None:
            raise Conflict(say("this merge is undone already"))
        for key, model in MOVED.items():
            ids = [uuid.UUID(i) for i in record.snapshot.get("rows", {}).get(key, [])]
            if ids:
                uow.session.execute(
                    update(model)
                    .where(model.id.in_(ids), model.person_id == survivor.id)
                    .values(person_id=merged.id)
                )
        membership = record.snapshot.get("household")
        if membership is not None:
            home = uow.session.get(Household, uuid.UUID(membership["id"]))
            if home is not None:
                home.status = HouseholdStatus(membership["status"])
                home.merged_into_id = (
                    uuid.UUID(membership["merged_into_id"]) if membership["merged_into_id"] else None
                )
                merged.relationship_to_head = Relationship(membership["relationship"])
                home.members.append(merged)
                home.updated_at = uow.now()
        now = uow.now()
        merged.merged_into_id = None
        merged.updated_at = now
        survivor.updated_at = now
        record.undone_at = now
        record.undone_by = actor.username
        record.undo_reason = reason
        _keep_apart(uow, record, reason, actor=actor)
        uow.session.expire(survivor)
        uow.audit(
            "linking.unmerged",
            entity="person",
            entity_id=merged.id,
            site_id=merged.site_id,
            details={"survivor": str(survivor.id), "merge": str(record.id)},
        )
        uow.commit()


def _keep_apart(uow: UnitOfWork, record: LinkMerge, reason: str, *, actor: Actor) -> None:
    a, b = sorted((record.survivor_id, record.merged_id), key=str)
    decision = uow.session.scalar(
        select(LinkDecision).where(LinkDecision.person_a_id == a, LinkDecision.person_b_id == b)
    )
    if decision is None:
        decision = LinkDecision(person_a_id=a, person_b_id=b)
        uow.session.add(decision)
    decision.verdict = Verdict.REJECTED
    decision.decided_by = actor.username
    decision.decided_at = uow.now()
    decision.reason = f"unmerged: {reason}"
    uow.session.execute(
        update(CandidatePair)
        .where(CandidatePair.person_a_id == a, CandidatePair.person_b_id == b)
        .where(CandidatePair.status == PairStatus.MERGED)
        .values(status=PairStatus.REJECTED)
    )
