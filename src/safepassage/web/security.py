"""Who may open a page, and the CSRF check of every form.

Every page route declares its permission through a dependency, as the API does with ``Allowed``:
``Page(Permission.X)`` (signed in, and the role grants X) or ``Public()`` (the login page). Both carry
``__permission__``, so a test lists every page route and fails for one that declares none.

Signing in opens a server-side session (``safepassage.sessions``) whose token the signed cookie
carries (the API's ``current_actor`` reads the same cookie); it is over after 15 idle minutes, after
12 hours however often it is used, and at once when it is ended. Every router of the pages checks the
CSRF token on every POST.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from safepassage import sessions
from safepassage.bootstrap import Container
from safepassage.security.policy import Actor, Permission, require
from safepassage.sessions import SESSION_CSRF

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


def client_address(request: Request) -> str | None:
    """The peer's address (behind a proxy, uvicorn's ``--forwarded-allow-ips`` makes it the client's)."""
    return request.client.host if request.client is not None else None


def signed_in_actor(request: Request) -> Actor | None:
    """The actor of the session, or None when nobody is signed in or the session is over."""
    return sessions.session_actor(request.session, get_container(request), address=client_address(request))


def start_session(request: Request, actor: Actor) -> None:
    sessions.start_session(
        request.session,
        get_container(request),
        actor,
        address=client_address(request),
        user_agent=request.headers.get("user-agent"),
    )


def end_session(request: Request) -> None:
    sessions.end_session(request.session, get_container(request))


def Page(permission: Permission) -> Callable[[Request], Actor]:
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


def Public() -> Callable[[Request], Actor | None]:
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
ProtectionWriter = Annotated[Actor, Depends(Page(Permission.PROTECTED_WRITE))]
ProtectionReader = Annotated[Actor, Depends(Page(Permission.PROTECTED_READ))]
