"""Signed-in sessions, shared by the pages and the API.

The signed session cookie carries a random session token; the session itself lives in the database
(``security.web_sessions``), read at every request, so signing out, disabling the account or ending
every session of a site is refused at the next request, and the idle (15 minutes) and absolute
(12 hours) timeouts hold whatever the browser keeps.

Between the password and the second factor the cookie holds a *pending* sign-in (the account's id,
which step is next, and when the password was right); it signs nobody in and lapses after five
minutes. Framework-free: the functions take the session mapping (``request.session``).
"""

from __future__ import annotations

import dataclasses
import secrets
import uuid
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from safepassage.bootstrap import Container
from safepassage.security import services as security
from safepassage.security.accounts import LoginLimits, PasswordAccepted, SecondFactor
from safepassage.security.breakglass import active_grants
from safepassage.security.policy import Actor, Permission
from safepassage.security.web_sessions import SessionTimeouts
from safepassage.shared.ids import parse_id

SESSION_TOKEN = "sid"  # noqa: S105 - the cookie key, not a secret
SESSION_CSRF = "csrf"
SESSION_LANG = "lang"
PENDING_USER = "pending_user"
PENDING_STEP = "pending_step"
PENDING_AT = "pending_at"
PENDING_SECONDS = 300

Session = MutableMapping[str, Any]


def _fresh(session: Session) -> None:
    """Empty the cookie but for its language; a new CSRF token (never one from before signing in)."""
    lang = session.get(SESSION_LANG)
    session.clear()
    session[SESSION_CSRF] = secrets.token_urlsafe(32)
    if lang:
        session[SESSION_LANG] = lang


def login_limits(container: Container) -> LoginLimits:
    return LoginLimits.from_settings(container.settings)


def totp_key(container: Container) -> bytes:
    return security.sealing_key(container.secret_key())


def with_grants(container: Container, actor: Actor) -> Actor:
    """``actor`` with the records their unexpired break-glass grants open. Only roles that may
    break glass have any: the others are spared the query."""
    if actor.user_id is None or not actor.can(Permission.BREAK_GLASS):
        return actor
    with container.uow() as uow:
        granted = active_grants(uow.session, actor.user_id, uow.now())
    return dataclasses.replace(actor, granted_records=granted) if granted else actor


def session_actor(session: Session, container: Container, *, address: str | None = None) -> Actor | None:
    """The actor of the session, or None when nobody is signed in or the session is over (then the
    cookie is emptied)."""
    token = session.get(SESSION_TOKEN)
    if not isinstance(token, str) or not token:
        return None
    actor = security.web_sessions.resume(
        container.uow(), token, timeouts=SessionTimeouts.from_settings(container.settings), address=address
    )
    if actor is None:
        _fresh(session)
        return None
    return with_grants(container, actor)


def start_session(
    session: Session,
    container: Container,
    actor: Actor,
    *,
    address: str | None = None,
    user_agent: str | None = None,
) -> None:
    """A fresh session for ``actor``: nothing of the anonymous one is kept but its language."""
    if actor.user_id is None:
        raise ValueError("only an account can have a web session")
    _fresh(session)
    session[SESSION_TOKEN] = security.open_session(
        container.uow(), actor.user_id, address=address, user_agent=user_agent
    )


def end_session(session: Session, container: Container) -> None:
    """Sign out: the session's row is ended (a copy of the cookie opens nothing), the cookie emptied."""
    token = session.get(SESSION_TOKEN)
    if isinstance(token, str) and token:
        security.end_session(container.uow(), token)
    _fresh(session)


# --- between the password and the second factor --------------------------------------------------------


@dataclass(frozen=True)
class Pending:
    user_id: uuid.UUID
    step: SecondFactor


def begin_pending(session: Session, container: Container, accepted: PasswordAccepted) -> None:
    _fresh(session)
    session[PENDING_USER] = str(accepted.user_id)
    session[PENDING_STEP] = accepted.second_factor.value
    session[PENDING_AT] = int(container.clock.now().timestamp())


def pending(session: Session, container: Container) -> Pending | None:
    """The pending sign-in, if the password was right less than five minutes ago."""
    user_id = parse_id(str(session.get(PENDING_USER, "")))
    at = session.get(PENDING_AT)
    step = session.get(PENDING_STEP)
    if user_id is None or not isinstance(at, int) or step not in {s.value for s in SecondFactor}:
        return None
    age = container.clock.now().timestamp() - at
    if age > PENDING_SECONDS or age < -PENDING_SECONDS:
        _fresh(session)
        return None
    return Pending(user_id, SecondFactor(step))
