"""Who may open a page, and the CSRF check of every form.

Every page route declares its permission through a dependency, as the API does with ``Allowed``:
``Page(Permission.X)`` (signed in, and the role grants X) or ``Public()`` (the login page). Both carry
``__permission__``, so a test lists every page route and fails for one that declares none.

Signing in puts the user's id and the time it happened in the signed session cookie (the API's
``current_actor`` reads the same key); a session older than ``session_max_age_seconds`` is over,
however often it was used. Every router of the pages checks the CSRF token on every POST.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from safepassage.bootstrap import Container
from safepassage.security import services as security
from safepassage.security.policy import Actor, Permission, require
from safepassage.shared.ids import parse_id

# The same key as safepassage.api.deps.SESSION_USER: one sign-in serves the pages and the API.
SESSION_USER = "user_id"
SESSION_ISSUED = "issued"
SESSION_CSRF = "csrf"
SESSION_LANG = "lang"
SESSION_FLASH = "flash"
CSRF_FIELD = "csrf_token"
MAX_FORM_FIELDS = 3000  # a household of 40 members has about 1,300 fields
MAX_FORM_FILES = 1


class LoginRequired(Exception):
    """Nobody is signed in (or the session is over): the page sends them to the login form."""


class CsrfRejected(Exception):
    """A POST without the session's CSRF token."""


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def signed_in_actor(request: Request) -> Actor | None:
    """The actor of the session, or None when nobody is signed in or the session is over."""
    user_id = parse_id(str(request.session.get(SESSION_USER, "")))
    if user_id is None:
        return None
    container = get_container(request)
    issued = request.session.get(SESSION_ISSUED)
    age = container.clock.now().timestamp() - issued if isinstance(issued, int | float) else None
    if age is None or age > container.settings.session_max_age_seconds or age < -300:
        end_session(request)
        return None
    return security.actor_for_user_id(container.uow(), user_id)


def start_session(request: Request, actor: Actor) -> None:
    """A fresh session for ``actor``: nothing of the anonymous one is kept but its language."""
    lang = request.session.get(SESSION_LANG)
    request.session.clear()
    request.session[SESSION_USER] = str(actor.user_id)
    request.session[SESSION_ISSUED] = int(get_container(request).clock.now().timestamp())
    request.session[SESSION_CSRF] = secrets.token_urlsafe(32)
    if lang:
        request.session[SESSION_LANG] = lang


def end_session(request: Request) -> None:
    lang = request.session.get(SESSION_LANG)
    request.session.clear()
    if lang:
        request.session[SESSION_LANG] = lang


def Page(permission: Permission) -> Callable[[Request], Actor]:  # noqa: N802 - reads like a declaration
    """A page dependency: the signed-in actor, if their role grants ``permission``. Nobody signed in
    → the login page; a role without the permission → the 403 page."""

    def dependency(request: Request) -> Actor:
        actor = signed_in_actor(request)
        if actor is None:
            raise LoginRequired
        request.state.actor = actor
        require(actor, permission)
        return actor

    dependency.__permission__ = permission  # type: ignore[attr-defined]
    return dependency


def Public() -> Callable[[Request], Actor | None]:  # noqa: N802
    """A page open to anyone (the login page); the actor, if someone is signed in, for the menu."""

    def dependency(request: Request) -> Actor | None:
        actor = signed_in_actor(request)
        request.state.actor = actor
        return actor

    dependency.__permission__ = "public"  # type: ignore[attr-defined]
    return dependency


def permission_of(call: object) -> object:
    return getattr(call, "__permission__", None)


# --- CSRF ------------------------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use."""
    token = request.session.get(SESSION_CSRF)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return token


async def read_form(request: Request) -> FormData:
    """The request's form, parsed once (Starlette keeps it) with limits fit for a household."""
    return await request.form(max_files=MAX_FORM_FILES, max_fields=MAX_FORM_FIELDS)


async def check_csrf(request: Request) -> None:
    """On POST, the form's ``csrf_token`` must be the session's. Set on every router of the pages."""
    if request.method != "POST":
        return
    form = await read_form(request)
    sent = form.get(CSRF_FIELD)
    expected = request.session.get(SESSION_CSRF)
    if not isinstance(sent, str) or not isinstance(expected, str) or not expected:
        raise CsrfRejected
    if not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfRejected


FormDep = Annotated[FormData, Depends(read_form)]


def flash(request: Request, message: str) -> None:
    """A message shown once, on the next page (after a redirect)."""
    request.session[SESSION_FLASH] = message


def pop_flash(request: Request) -> str | None:
    message = request.session.pop(SESSION_FLASH, None)
    return message if isinstance(message, str) else None


def safe_next(target: str | None, default: str = "/persons") -> str:
    """A local path to go to after signing in; anything else (another site) is refused."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


# --- what each page needs ----------------------------------------------------------------------------

Anyone = Annotated[Actor | None, Depends(Public())]
SignedIn = Annotated[Actor, Depends(Page(Permission.AUTHENTICATED))]
Reader = Annotated[Actor, Depends(Page(Permission.REGISTRY_READ))]
Writer = Annotated[Actor, Depends(Page(Permission.REGISTRY_WRITE))]
Importer = Annotated[Actor, Depends(Page(Permission.REGISTRY_IMPORT))]
