"""Crypto-shredding from the web and the API: one supervisor asks, a second supervisor of the same
site approves, and the site's data keys are destroyed (``security.keys.usecases.shred_site``, the
same act as ``safepassage site shred``). Both are signed in with their second factor; the request
lapses after ``SHRED_REQUEST_MINUTES``. Nothing about it can be undone."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from safepassage.registry.models import Site
from safepassage.security.grants import ShredRequest, ShredState
from safepassage.security.keys.usecases import ShredReport, shred_site
from safepassage.security.policy import Actor, Permission, Role, require, require_site
from safepassage.shared.errors import Conflict, FieldProblem, Forbidden, Invalid, NotFound
from safepassage.shared.i18n import say
from safepassage.uow import UnitOfWork

SHRED_REQUEST_MINUTES = 30
MIN_REASON = 10


def request_shred(uow: UnitOfWork, site_id: uuid.UUID, *, reason: str, actor: Actor) -> uuid.UUID:
    require(actor, Permission.SHRED)
    reason = " ".join(reason.split())
    if len(reason) < MIN_REASON:
        raise Invalid(
            say("say why the site's protected data must be destroyed"),
            problems=[FieldProblem("reason", say("at least %(n)s characters", n=MIN_REASON))],
        )
    with uow.acting(actor):
        if uow.session.get(Site, site_id) is None:
            raise NotFound(say("site %(id)s does not exist", id=site_id))
        require_site(actor, site_id)
        now = uow.now()
        request = ShredRequest(
            site_id=site_id,
            requested_by=actor.username,
            requested_by_id=actor.user_id,
            reason=reason,
            requested_at=now,
            expires_at=now + dt.timedelta(minutes=SHRED_REQUEST_MINUTES),
            state=ShredState.PENDING,
        )
        uow.session.add(request)
        uow.session.flush()
        uow.audit(
            "site.shred_requested",
            entity="site",
            entity_id=site_id,
            site_id=site_id,
            purpose=reason,
            details={"request_id": str(request.id)},
            flagged=True,
        )
        uow.commit()
        return request.id


def _pending_request(uow: UnitOfWork, request_id: uuid.UUID, actor: Actor) -> ShredRequest:
    """The request, of one of the actor's sites, still waiting for a decision."""
    request = uow.session.get(ShredRequest, request_id)
    if request is None:
        raise NotFound(say("shred request %(id)s does not exist", id=request_id))
    require_site(actor, request.site_id)
    if request.state != ShredState.PENDING:
        raise Conflict(say("this shred request is %(state)s", state=request.state))
    return request


def approve_shred(uow: UnitOfWork, request_id: uuid.UUID, *, actor: Actor) -> ShredReport:
    """The second supervisor's approval: the site's keys are destroyed now."""
    require(actor, Permission.SHRED)
    with uow.acting(actor):
        request = _pending_request(uow, request_id, actor)
        if uow.now() >= request.expires_at:
            raise Conflict(say("this shred request has lapsed: ask again"))
        if request.requested_by == actor.username:
            raise Forbidden(say("a shred is approved by a second supervisor, not by the one who asked"))
        requester = Actor(
            username=request.requested_by,
            role=Role.SUPERVISOR,
            user_id=request.requested_by_id,
            site_ids=frozenset({request.site_id}),
        )
        site_id, reason = request.site_id, request.reason
        request.state = ShredState.DONE
        request.decided_by = actor.username
        request.decided_at = uow.now()
        uow.commit()
    return shred_site(uow, site_id, actor=requester, approver=actor, reason=reason)


def reject_shred(uow: UnitOfWork, request_id: uuid.UUID, *, actor: Actor) -> None:
    require(actor, Permission.SHRED)
    with uow.acting(actor):
        request = _pending_request(uow, request_id, actor)
        request.state = ShredState.REJECTED
        request.decided_by = actor.username
        request.decided_at = uow.now()
        uow.audit("site.shred_rejected", entity="site", entity_id=request.site_id, site_id=request.site_id)
        uow.commit()


def list_shred_requests(uow: UnitOfWork, *, actor: Actor, limit: int = 50) -> list[ShredRequest]:
    """Requests for the actor's sites, newest first."""
    require(actor, Permission.SHRED)
    with uow.acting(actor):
        stmt = select(ShredRequest).order_by(ShredRequest.requested_at.desc()).limit(limit)
        if not actor.all_sites:
            stmt = stmt.where(ShredRequest.site_id.in_(sorted(actor.site_ids)))
        rows = list(uow.session.scalars(stmt))
        uow.session.expunge_all()
        return rows
