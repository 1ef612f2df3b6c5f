"""Signed-in sessions, shared by the pages and the API.

Signing in puts the user's id and the time it happened in the signed session cookie; a session older
than ``session_max_age_seconds`` is over, however often it was used. Framework-free: the functions
take the session mapping (``request.session``).
"""

from __future__ import annotations

import secrets
from collections.abc import MutableMapping
from typing import Any

from safepassage.bootstrap import Container
from safepassage.security import services as security
from safepassage.security.policy import Actor
from safepassage.shared.ids import parse_id

SESSION_USER = "user_id"
SESSION_ISSUED = "issued"
SESSION_CSRF = "csrf"
SESSION_LANG = "lang"
CLOCK_SKEW_SECONDS = 300

Session = MutableMapping[str, Any]


def session_actor(session: Session, container: Container) -> Actor | None:
    """The actor of the session, or None when nobody is signed in or the session is over (then it
    is cleared)."""
    user_id = parse_id(str(session.get(SESSION_USER, "")))
    if user_id is None:
        return None
    issued = session.get(SESSION_ISSUED)
    age = container.clock.now().timestamp() - issued if isinstance(issued, int | float) else None
    if age is None or age > container.settings.session_max_age_seconds or age < -CLOCK_SKEW_SECONDS:
        end_session(session)
        return None
    return security.actor_for_user_id(container.uow(), user_id)


def start_session(session: Session, container: Container, actor: Actor) -> None:
    """A fresh session for ``actor``: nothing of the anonymous one is kept but its language."""
    lang = session.get(SESSION_LANG)
    session.clear()
    session[SESSION_USER] = str(actor.user_id)
    session[SESSION_ISSUED] = int(container.clock.now().timestamp())
    session[SESSION_CSRF] = secrets.token_urlsafe(32)
    if lang:
        session[SESSION_LANG] = lang


def end_session(session: Session) -> None:
    lang = session.get(SESSION_LANG)
    session.clear()
    if lang:
        session[SESSION_LANG] = lang
