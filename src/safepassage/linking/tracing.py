"""Family tracing: a relative's request, its ranked candidates with reasons, re-checked as people
register, and the caseworker told of new strong candidates.

A request is checked against the whole registry at once (``LinkIndex.trace`` over the duplicate
check's cached index and the persons registered since it was built), and again by
``recheck_open_requests`` (after a batch run, and from ``safepassage linking trace-recheck``, which a
cron can call). A candidate not seen before whose score reaches ``STRONG`` bits makes a notification
for the request's caseworker (a row shown on the tracing page; no e-mail).

Tracing looks across every site (families are separated across them): a request is a record of
its own site; its candidates at sites the reader may not open are shown with their site and
reasons, never their name or id.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from safepassage.linking.duplicates import CHECKER
from safepassage.linking.engine import Candidate
from safepassage.linking.engine import TracingRequest as EngineRequest
from safepassage.linking.models import (
    LinkNotification,
    TracingCandidate,
    TracingRequest,
    TracingStatus,
)
from safepassage.linking.ranking import trace_ranked
from safepassage.linking.records import person_record, persons_by_id
from safepassage.linking.schemas import (
    NotificationRead,
    TracingCandidateRead,
    TracingCreate,
    TracingRead,
)
from safepassage.registry.models import Person, Site
from safepassage.registry.scoping import in_scope
from safepassage.security.policy import SYSTEM, Actor, Permission, require, require_record, require_site
from safepassage.shared.errors import Conflict, FieldProblem, Invalid, NotFound
from safepassage.shared.i18n import say
from safepassage.uow import UnitOfWork

STRONG = 10.0  # bits of evidence (match weight with the age term) from which a candidate is strong
TOP = 10


def _engine_request(request: TracingRequest) -> EngineRequest:
    return EngineRequest(
        request_id=str(request.id),
        given_name=request.given_name,
        father_name=request.father_name,
        family_name=request.family_name,
        sex=request.sex,
        approx_birth_year=request.approx_birth_year,
        age_tolerance_years=request.age_tolerance_years,
        birth_place=request.place,
        relationship=request.relationship,
    )


def _search(uow: UnitOfWork, requests: list[TracingRequest]) -> dict[uuid.UUID, list[Candidate]]:
    if not requests:
        return {}
    wanted = [_engine_request(r) for r in requests]
    # Every record is its own candidate here (no records_of): a new record of a person already
    # proposed (registered again, perhaps at another site) is news for the caseworker, not noise.
    found = trace_ranked(CHECKER.indexes(uow), wanted, top=TOP)
    return {r.id: found.get(str(r.id), []) for r in requests}


def _store(uow: UnitOfWork, request: TracingRequest, candidates: list[Candidate]) -> int:
    """Keep new candidates; notify the caseworker of new strong ones. Returns how many were new."""
    known = set(
        uow.session.scalars(
            select(TracingCandidate.person_id).where(TracingCandidate.request_id == request.id)
        )
    )
    alive = {
        p.id
        for p in persons_by_id(uow, [uuid.UUID(c.record_id) for c in candidates]).values()
        if p.merged_into_id is None and p.names  # not merged, not erased since the index was built
    }
    now = uow.now()
    added = 0
    for c in candidates:
        pid = uuid.UUID(c.record_id)
        if pid in known or pid not in alive:
            continue
        strong = c.score >= STRONG
        uow.session.add(
            TracingCandidate(
                request_id=request.id,
                person_id=pid,
                score=c.score,
                strong=strong,
                explanation=c.explanation,
                found_at=now,
            )
        )
        added += 1
        if strong:
            uow.session.add(
                LinkNotification(
                    recipient=request.caseworker,
                    request_id=request.id,
                    person_id=pid,
                    message=f"tracing request {str(request.id)[:8]}: a new strong candidate ({c.score:.1f})",
                    created_at=now,
                )
            )
    request.checked_at = now
    return added


def create_request(uow: UnitOfWork, cmd: TracingCreate, *, actor: Actor) -> uuid.UUID:
    require(actor, Permission.TRACING_REQUEST)
    if not (cmd.given_name or cmd.family_name):
        raise Invalid(
            say("a tracing request needs a given or a family name"),
            problems=[FieldProblem("given_name", say("required"))],
        )
    with uow.acting(actor):
        if uow.session.get(Site, cmd.site_id) is None:
            raise NotFound(say("site not found"))
        require_site(actor, cmd.site_id)
        if cmd.requester_person_id is not None:
            requester = uow.session.get(Person, cmd.requester_person_id)
            if requester is None:
                raise NotFound(say("person not found"))
            require_record(actor, requester.site_id, requester.id, what="person")
        request = TracingRequest(
            **cmd.model_dump(exclude={"caseworker"}),
            caseworker=cmd.caseworker or actor.username,
            created_at=uow.now(),
            created_by=actor.username,
        )
        uow.session.add(request)
        uow.session.flush()
        found = _search(uow, [request])
        added = _store(uow, request, found.get(request.id, []))
        uow.audit(
            "tracing.requested",
            entity="tracing_request",
            entity_id=request.id,
            site_id=request.site_id,
            details={"candidates": added},
        )
        uow.commit()
        return request.id


def recheck_open_requests(uow: UnitOfWork, *, actor: Actor = SYSTEM) -> int:
    """Search again for every open request (new registrations); returns how many new candidates."""
    require(actor, Permission.TRACING_REQUEST)
    with uow.acting(actor):
        requests = list(
            uow.session.scalars(
                select(TracingRequest).where(
                    TracingRequest.status == TracingStatus.OPEN, in_scope(TracingRequest.site_id, actor)
                )
            )
        )
        found = _search(uow, requests)
        added = sum(_store(uow, r, found.get(r.id, [])) for r in requests)
        uow.audit("tracing.rechecked", details={"requests": len(requests), "new_candidates": added})
        uow.commit()
        return added


def _get(uow: UnitOfWork, request_id: uuid.UUID, *, actor: Actor) -> TracingRequest:
    request = uow.session.get(TracingRequest, request_id)
    if request is None:
        raise NotFound(say("tracing request not found"))
    require_record(actor, request.site_id, request.id, what="tracing request")
    return request


def close_request(uow: UnitOfWork, request_id: uuid.UUID, *, actor: Actor) -> None:
    require(actor, Permission.TRACING_REQUEST)
    with uow.acting(actor):
        request = _get(uow, request_id, actor=actor)
        if request.status is TracingStatus.CLOSED:
            raise Conflict(say("this tracing request is closed already"))
        request.status = TracingStatus.CLOSED
        uow.audit("tracing.closed", entity="tracing_request", entity_id=request.id, site_id=request.site_id)
        uow.commit()


def _read(uow: UnitOfWork, request: TracingRequest, *, actor: Actor) -> TracingRead:
    rows = list(
        uow.session.scalars(
            select(TracingCandidate)
            .where(TracingCandidate.request_id == request.id)
            .order_by(TracingCandidate.score.desc())
        )
    )
    persons = persons_by_id(uow, [r.person_id for r in rows])
    codes = {site: code for site, code in uow.session.execute(select(Site.id, Site.code)).tuples()}
    candidates = []
    for row in rows:
        person = persons.get(row.person_id)
        if person is None or person.merged_into_id is not None:
            continue
        visible = actor.may_open(person.site_id, person.id)
        record = person_record(person)
        name = " ".join(x for x in (record.given_name, record.father_name, record.family_name) if x)
        candidates.append(
            TracingCandidateRead(
                person_id=person.id if visible else None,
                name=name if visible else None,
                site_code=codes.get(person.site_id, ""),
                score=row.score,
                strong=row.strong,
                explanation=row.explanation,
                found_at=row.found_at,
            )
        )
    data = {k: getattr(request, k) for k in TracingRead.model_fields if k not in ("candidates", "status")}
    return TracingRead(**data, status=request.status.value, candidates=candidates)


def get_request(uow: UnitOfWork, request_id: uuid.UUID, *, actor: Actor) -> TracingRead:
    require(actor, Permission.TRACING_REQUEST)
    with uow.acting(actor):
        return _read(uow, _get(uow, request_id, actor=actor), actor=actor)


def list_requests(uow: UnitOfWork, *, actor: Actor, limit: int = 200) -> list[TracingRead]:
    require(actor, Permission.TRACING_REQUEST)
    with uow.acting(actor):
        requests = uow.session.scalars(
            select(TracingRequest)
            .where(in_scope(TracingRequest.site_id, actor))
            .order_by(TracingRequest.created_at.desc())
            .limit(limit)
        )
        return [_read(uow, r, actor=actor) for r in requests]


def my_notifications(uow: UnitOfWork, *, actor: Actor, unread_only: bool = False) -> list[NotificationRead]:
    """The actor's own notifications (newest first)."""
    require(actor, Permission.TRACING_REQUEST)
    with uow.acting(actor):
        stmt = select(LinkNotification).where(LinkNotification.recipient == actor.username)
        if unread_only:
            stmt = stmt.where(LinkNotification.read_at.is_(None))
        rows = uow.session.scalars(stmt.order_by(LinkNotification.created_at.desc()).limit(200))
        return [NotificationRead.model_validate(r, from_attributes=True) for r in rows]
