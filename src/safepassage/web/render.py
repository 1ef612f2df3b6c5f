"""Templates: one Jinja2 environment per language, the page context, the error pages, and the
route class that turns errors into pages (never a traceback, never JSON on a page)."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import uuid
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException

from safepassage import __version__
from safepassage.security.policy import Permission
from safepassage.sessions import SESSION_LANG
from safepassage.shared.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from safepassage.shared.i18n import speaking
from safepassage.shared.ids import short
from safepassage.web import i18n, labels
from safepassage.web.security import (
    CsrfRejected,
    LoginRequired,
    csrf_token,
    get_container,
    pop_flash,
)

log = logging.getLogger("safepassage.web")

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"

# Pages hold personal data: never cached, never framed, scripts and styles only from this server.
HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
}


def when(value: dt.datetime | dt.date | None) -> str:
    """A time as UTC, to the minute; a date as ISO (unambiguous in every language)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


@functools.cache
def environment(lang: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    translations = i18n.translations(lang)
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    gettext = translations.gettext
    env.globals.update(
        lang=lang,
        dir=i18n.direction(lang),
        languages=i18n.LANGUAGE_NAMES,
        version=__version__,
        label=functools.partial(labels.label, gettext),
        options=functools.partial(labels.options, gettext),
        action=functools.partial(labels.action, gettext),
        entity=functools.partial(labels.entity, gettext),
        birth=functools.partial(labels.birth_date, gettext),
        short=short,
        P=Permission,
    )
    env.filters["when"] = when
    return env


def page_language(request: Request) -> str:
    """The language of this page; a ``?lang=`` choice is kept in the session for the next ones."""
    asked = i18n.supported(request.query_params.get("lang"))
    if asked is not None:
        request.session[SESSION_LANG] = asked
    settings = get_container(request).settings
    return i18n.choose_language(
        asked=asked,
        remembered=request.session.get(SESSION_LANG),
        accept_language=request.headers.get("accept-language"),
        default=settings.default_language,
    )


def gettext_for(request: Request) -> labels.Gettext:
    """Plain gettext in the page's language, for messages made in Python (flash, form errors)."""
    return i18n.translations(page_language(request)).gettext


def language_links(request: Request, here: str | None) -> dict[str, str]:
    path = here or (request.url.path if request.method == "GET" else "/")
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in {"lang", "cursor"}]
    if here is not None:
        params = []
    return {code: f"{path}?{urlencode([*params, ('lang', code)])}" for code in i18n.LANGUAGES}


def render(
    request: Request, template: str, *, status: int = 200, here: str | None = None, **context: Any
) -> HTMLResponse:
    """Render ``template`` in the page's language. ``here`` is the page a language link goes back to
    (given when a POST re-shows a page)."""
    lang = page_language(request)
    html = (
        environment(lang)
        .get_template(template)
        .render(
            request=request,
            user=getattr(request.state, "actor", None),
            csrf_token=csrf_token(request),
            flash=pop_flash(request),
            language_links=language_links(request, here),
            **context,
        )
    )
    return HTMLResponse(html, status_code=status, headers=HEADERS)


# --- errors as pages -------------------------------------------------------------------------------

_STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (NotFound, 404),
    (Forbidden, 403),
    (Conflict, 409),
    (Invalid, 422),
)


_PAGES = frozenset({403, 404, 409, 413, 422})


def error_status(exc: DomainError) -> int:
    return next((status for cls, status in _STATUS if isinstance(exc, cls)), 400)


def error_page(request: Request, status: int, *, detail: str | None = None) -> HTMLResponse:
    return render(request, "error.html", status=status, status_code=status, detail=detail, here="/")


class PageRoute(APIRoute):
    """Runs a page and turns what can go wrong into a page: the login form, 403, 404, 409, 422, 500."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                gettext = gettext_for(request)
                # refusals made for this page in its language, the codes in them by their labels
                with speaking(gettext, functools.partial(labels.label, gettext)):
                    return await handler(request)
            except LoginRequired:
                target = request.url.path if request.method == "GET" else "/"
                if request.url.query and request.method == "GET":
                    target += "?" + request.url.query
                return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)
            except CsrfRejected:
                return error_page(request, 403, detail="csrf")
            except DomainError as exc:
                return error_page(request, error_status(exc), detail=exc.message)
            except RequestValidationError:
                return error_page(request, 404)
            except StarletteHTTPException as exc:  # a form too large to read, say
                return error_page(request, exc.status_code if exc.status_code in _PAGES else 400)
            except Exception:
                reference = uuid.uuid4().hex[:12]
                log.exception("unexpected error %s on %s %s", reference, request.method, request.url.path)
                return error_page(request, 500, detail=reference)

        return page_handler


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})
