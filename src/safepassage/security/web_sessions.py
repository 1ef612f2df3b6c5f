"""Server-side web sessions: the cookie carries a random token, the ``web_sessions`` row says whether
it is still good. Every request reads the row (and the account), so ending a row, disabling the
account or ending every session of a site refuses the very next request.

A session is over when it was ended (signed out, disabled, ended by a supervisor or administrator),
when it has not been used for the idle timeout (15 minutes by default) or when it is older than the
absolute lifetime (12 hours), however often it is used.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from safepassage.config import Settings
from safepassage.security.actors import actor_of
from safepassage.security.models import User, UserSite, WebSession
from safepassage.security.policy import Actor, Permission, require
from safepassage.shared.errors import Forbidden, NotFound
from safepassage.shared.ids import new_id
from safepassage.uow import UnitOfWork

# last_seen_at is written at most this often: an idle timeout of 15 minutes does not need a write
# per request.
TOUCH_EVERY = dt.timedelta(seconds=30)


@dataclass(frozen=True)
class SessionTimeouts:
    idle: dt.timedelta = dt.timedelta(minutes=15)
    absolute: dt.timedelta = dt.timedelta(hours=12)

    @classmethod
    def from_settings(cls, settings: Settings) -> SessionTimeouts:
        return cls(
            idle=dt.timedelta(seconds=settings.session_idle_seconds),
            absolute=dt.timedelta(seconds=settings.session_max_age_seconds),
        )


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(uow: UnitOfWork, user_id: uuid.UUID, *, address: str | None, user_agent: str | None) -> str:
    """A new session for ``user_id``; returns the token for the cookie (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    with uow:
        now = uow.now()
        row = WebSession(
            id=new_id(),
            token_hash=token_hash(token),
            user_id=user_id,
            created_at=now,
            last_seen_at=now,
            address=(address or "")[:64] or None,
            user_agent=(user_agent or "")[:300] or None,
        )
        uow.session.add(row)
        uow.audit(
            "auth.sign_in",
            entity="web_sessions",
            entity_id=row.id,
            details={"user_id": str(user_id), "address": row.address},
        )
        uow.commit()
    return token


def resume(
    uow: UnitOfWork, token: str, *, timeouts: SessionTimeouts, address: str | None = None
) -> Actor | None:
    """The actor of the session ``token``, or None if it is unknown or over (then it is ended with
    the reason: idle, expired, disabled)."""
    with uow:
        row = uow.session.scalar(
            select(WebSession)
            .where(WebSession.token_hash == token_hash(token))
            .options(joinedload(WebSession.user))
        )
        if row is None or row.ended_at is not None:
            return None
        now = uow.now()
        reason = None
        if not row.user.is_active:
            reason = "disabled"
        elif now - row.created_at > timeouts.absolute or now < row.created_at - TOUCH_EVERY:
            reason = "expired"
        elif now - row.last_seen_at > timeouts.idle:
            reason = "idle"
        if reason is not None:
            row.ended_at, row.end_reason = now, reason
            uow.commit()
            return None
        if now - row.last_seen_at >= TOUCH_EVERY:
            row.last_seen_at = now
            uow.commit()
        return actor_of(row.user, address=address)


def end_session(uow: UnitOfWork, token: str, *, reason: str = "signed_out") -> None:
    with uow:
        uow.session.execute(
            update(WebSession)
            .where(WebSession.token_hash == token_hash(token), WebSession.ended_at.is_(None))
            .values(ended_at=uow.now(), end_reason=reason)
        )
        uow.commit()


def end_all(session: Session, user_ids: Iterable[uuid.UUID], now: dt.datetime, *, reason: str) -> int:
    """End every open session of ``user_ids`` (inside the caller's transaction); how many."""
    ids = list(user_ids)
    if not ids:
        return 0
    result = session.execute(
        update(WebSession)
        .where(WebSession.user_id.in_(ids), WebSession.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def end_sessions_of_user(uow: UnitOfWork, username: str, *, actor: Actor) -> int:
    """End every session of an account (one's own, or any with USER_MANAGE)."""
    if actor.username != username:
        require(actor, Permission.USER_MANAGE)
    with uow.acting(actor):
        user_id = uow.session.scalar(select(User.id).where(User.username == username.strip().lower()))
        if user_id is None:
            raise NotFound(f"user '{username}' does not exist")
        ended = end_all(uow.session, [user_id], uow.now(), reason=f"ended by {actor.username}")
        uow.audit("sessions.end_user", entity="users", entity_id=user_id, details={"ended": ended})
        uow.commit()
        return ended


def end_sessions_of_site(uow: UnitOfWork, site_id: uuid.UUID, *, actor: Actor) -> int:
    """End every session of every account working for ``site_id`` (a site overrun, a lost device):
    an administrator for any site, a supervisor for one of their own sites."""
    if not actor.can(Permission.USER_MANAGE):
        require(actor, Permission.SITE_MANAGE)
        if not actor.covers(site_id):
            raise Forbidden("this site is not one of your sites")
    with uow.acting(actor):
        user_ids = uow.session.scalars(select(UserSite.user_id).where(UserSite.site_id == site_id))
        ended = end_all(uow.session, user_ids, uow.now(), reason=f"site ended by {actor.username}")
        uow.audit(
            "sessions.end_site", entity="sites", site_id=site_id, details={"ended": ended}, flagged=True
        )
        uow.commit()
        return ended


@dataclass(frozen=True)
class SessionSummary:
    id: uuid.UUID
    username: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    address: str | None
    user_agent: str | None


def open_sessions(uow: UnitOfWork, username: str, *, actor: Actor) -> list[SessionSummary]:
    """The sessions of an account not yet ended (some may be past their timeouts, ended at next use)."""
    if actor.username != username:
        require(actor, Permission.USER_MANAGE)
    with uow:
        rows = uow.session.scalars(
            select(WebSession)
            .join(User, User.id == WebSession.user_id)
            .where(User.username == username.strip().lower(), WebSession.ended_at.is_(None))
            .order_by(WebSession.created_at)
        )
        return [
            SessionSummary(r.id, username, r.created_at, r.last_seen_at, r.address, r.user_agent)
            for r in rows
        ]
