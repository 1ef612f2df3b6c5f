"""Break-glass use cases: open an out-of-scope record with a written reason, end it, review it.

The grant opens exactly one record (a person, or a household with its members) for a set time
(``break_glass_minutes``); it is flagged in the audit trail, and another supervisor reviews it. The
actor built for each request carries the records its unexpired grants open (``active_grants``), and
``security.policy.require_record`` lets those through.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from safepassage.registry.models import Household, Person
from safepassage.security.grants import BreakGlassGrant, GrantedRecord
from safepassage.security.policy import Actor, Permission, require
from safepassage.security.schemas import BreakGlassRead
from safepassage.shared.errors import Conflict, FieldProblem, Forbidden, Invalid, NotFound
from safepassage.shared.i18n import say
from safepassage.uow import UnitOfWork

MIN_REASON = 20
MAX_MINUTES = 24 * 60


def active_grants(session: Session, user_id: uuid.UUID, now: dt.datetime) -> frozenset[uuid.UUID]:
    """The ids of every record the user's unexpired grants open: the granted persons and households,
    and the members of granted households."""
    rows = session.execute(
        select(BreakGlassGrant.record_kind, BreakGlassGrant.record_id).where(
            BreakGlassGrant.user_id == user_id,
            BreakGlassGrant.ended_at.is_(None),
            BreakGlassGrant.opened_at <= now,
            BreakGlassGrant.expires_at > now,
        )
    ).all()
    if not rows:
        return frozenset()
    opened = {record_id for _, record_id in rows}
    households = [record_id for kind, record_id in rows if kind == GrantedRecord.HOUSEHOLD]
    if households:
        opened.update(session.scalars(select(Person.id).where(Person.household_id.in_(households))))
    return frozenset(opened)


def open_break_glass(
    uow: UnitOfWork,
    *,
    record_kind: GrantedRecord,
    record_id: uuid.UUID,
    reason: str,
    minutes: int,
    actor: Actor,
) -> uuid.UUID:
    """Open one record outside the actor's sites for ``minutes``. The reason is written for the
    reviewer: who asked, why it could not wait, why no one at the record's site could do it."""
    require(actor, Permission.BREAK_GLASS)
    if actor.user_id is None:
        raise Forbidden(say("break-glass access is given to a signed-in supervisor, not to a process"))
    reason = " ".join(reason.split())
    problems = []
    if len(reason) < MIN_REASON:
        problems.append(
            FieldProblem(
                "reason", say("write at least %(n)s characters: the reviewer needs them", n=MIN_REASON)
            )
        )
    if not 1 <= minutes <= MAX_MINUTES:
        problems.append(FieldProblem("minutes", say("between 1 and %(max)s", max=MAX_MINUTES)))
    if problems:
        raise Invalid(say("break-glass access needs a reason and a duration"), problems=problems)
    with uow.acting(actor):
        model = Person if record_kind == GrantedRecord.PERSON else Household
        site_id = uow.session.scalar(select(model.site_id).where(model.id == record_id))
        if site_id is None:
            raise NotFound(say("%(kind)s %(id)s does not exist", kind=record_kind, id=record_id))
        if actor.covers(site_id):
            raise Conflict(say("this %(kind)s is at one of your sites: open it as usual", kind=record_kind))
        now = uow.now()
        grant = BreakGlassGrant(
            user_id=actor.user_id,
            username=actor.username,
            record_kind=record_kind,
            record_id=record_id,
            site_id=site_id,
            reason=reason,
            opened_at=now,
            expires_at=now + dt.timedelta(minutes=minutes),
        )
        uow.session.add(grant)
        uow.session.flush()
        uow.audit(
            "breakglass.open",
            entity=record_kind.value,
            entity_id=record_id,
            site_id=site_id,
            purpose=reason,
            details={"grant_id": str(grant.id), "minutes": minutes},
            flagged=True,
        )
        uow.commit()
        return grant.id


def end_break_glass(uow: UnitOfWork, grant_id: uuid.UUID, *, actor: Actor) -> None:
    """End a grant before it expires (its holder, or any supervisor)."""
    require(actor, Permission.BREAK_GLASS)
    with uow.acting(actor):
        grant = uow.session.get(BreakGlassGrant, grant_id)
        if grant is None:
            raise NotFound(say("break-glass grant %(id)s does not exist", id=grant_id))
        if grant.ended_at is None:
            grant.ended_at = uow.now()
            uow.audit(
                "breakglass.end",
                entity=grant.record_kind.value,
                entity_id=grant.record_id,
                site_id=grant.site_id,
            )
        uow.commit()


def review_break_glass(uow: UnitOfWork, grant_id: uuid.UUID, *, note: str, actor: Actor) -> None:
    """Another supervisor reviews a grant: was it justified? The note goes on record."""
    require(actor, Permission.APPROVE)
    note = " ".join(note.split())
    if not note:
        raise Invalid(say("write what the review found"), problems=[FieldProblem("note", say("required"))])
    with uow.acting(actor):
        grant = uow.session.get(BreakGlassGrant, grant_id)
        if grant is None:
            raise NotFound(say("break-glass grant %(id)s does not exist", id=grant_id))
        if grant.user_id == actor.user_id:
            raise Forbidden(say("a break-glass access is reviewed by another supervisor"))
        if grant.reviewed_at is not None:
            raise Conflict(say("this grant has been reviewed already"))
        grant.reviewed_at = uow.now()
        grant.reviewed_by = actor.username
        grant.review_note = note
        uow.audit(
            "breakglass.review",
            entity=grant.record_kind.value,
            entity_id=grant.record_id,
            site_id=grant.site_id,
            details={"grant_id": str(grant.id)},
        )
        uow.commit()


def list_break_glass(
    uow: UnitOfWork, *, actor: Actor, unreviewed_only: bool = False, limit: int = 200
) -> list[BreakGlassRead]:
    """Grants, newest first, for the supervisors who review them and the auditors."""
    if not (actor.can(Permission.APPROVE) or actor.can(Permission.AUDIT_READ)):
        raise Forbidden(say("only supervisors and auditors see break-glass grants"))
    with uow:
        stmt = select(BreakGlassGrant).order_by(BreakGlassGrant.opened_at.desc()).limit(limit)
        if unreviewed_only:
            stmt = stmt.where(BreakGlassGrant.reviewed_at.is_(None))
        return [BreakGlassRead.model_validate(g) for g in uow.session.scalars(stmt)]
