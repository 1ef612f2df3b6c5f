"""Security headers on every response: pages, API, static files, redirects and error answers.

- ``Content-Security-Policy``: scripts, styles and images only from this server (no inline script:
  the pages' one script is /static/site.js), no framing (``frame-ancestors 'none'``), forms only to
  this server, no ``<base>``. The API's documentation page (Swagger UI) loads its bundle from a CDN
  and starts it with an inline script: that one page, which holds no personal data, gets a policy
  allowing exactly that.
- ``Strict-Transport-Security`` when the server is configured as served over https
  (``SAFEPASSAGE_HTTPS``): two years, subdomains included, so the next visit never tries plain http.
- ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY`` (older browsers),
  ``Referrer-Policy: no-referrer`` (addresses of records never leave in a Referer header),
  ``Cross-Origin-Opener-Policy: same-origin``, ``Permissions-Policy`` (no camera, microphone,
  geolocation for other origins).
- ``Cache-Control: no-store`` on everything but the static files: pages and API answers carry
  personal data and must not linger in a shared computer's cache or a proxy.

The middleware wraps the whole application, outside Starlette's own error middleware, so even a
500 answer carries the headers (``install``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data: https://fastapi.tiangolo.com; "
    "style-src 'self' https://cdn.jsdelivr.net; script-src 'self' https://cdn.jsdelivr.net 'unsafe-inline'; "
    "object-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
DOCS_PATHS = frozenset({"/api/docs", "/api/docs/oauth2-redirect"})
HSTS = "max-age=63072000; includeSubDomains"
FIXED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


class SecurityHeaders:
    """ASGI middleware: sets the headers above on every HTTP response."""

    def __init__(self, app: ASGIApp, *, https: bool = False) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in FIXED.items():
                    headers[name] = value
                headers["Content-Security-Policy"] = DOCS_CSP if path in DOCS_PATHS else CSP
                if self.https:
                    headers["Strict-Transport-Security"] = HSTS
                if not path.startswith("/static/"):
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install(app: Any, *, https: bool) -> None:
    """Wrap ``app``'s whole middleware stack (Starlette builds it on first use), error middleware
    included, so that no answer escapes the headers."""
    build: Callable[[], ASGIApp] = app.build_middleware_stack

    def build_with_headers() -> ASGIApp:
        return SecurityHeaders(build(), https=https)

    app.build_middleware_stack = build_with_headers
