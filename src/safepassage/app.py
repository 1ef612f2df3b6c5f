"""The ASGI application: API, web pages and static files on one server."""

from __future__ import annotations

import gc
import logging

from fastapi import FastAPI
from starlette.middleware.sessions import SessionMiddleware

from safepassage import __version__
from safepassage.api import audit, auth, errors, linking, movements, oversight, placement, registry, users
from safepassage.api.idempotency import IdempotencyMiddleware
from safepassage.bootstrap import Container
from safepassage.web import headers, pages


def create_app(container: Container) -> FastAPI:
    logging.basicConfig(level=container.settings.log_level)
    app = FastAPI(
        title="SafePassage",
        version=__version__,
        summary="Humanitarian evacuation and resettlement: registry API.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.container = container
    errors.install(app)
    app.include_router(auth.router)
    app.include_router(users.router)
    app.include_router(registry.router)
    app.include_router(audit.router)
    app.include_router(oversight.router)
    app.include_router(movements.router)
    app.include_router(placement.router)
    app.include_router(linking.router)
    pages.install(app, container)
    app.add_middleware(IdempotencyMiddleware, container=container)
    app.add_middleware(
        SessionMiddleware,
        secret_key=container.secret_key(),
        session_cookie="safepassage_session",
        max_age=container.settings.session_max_age_seconds,
        same_site="strict",
        https_only=container.settings.https,
    )
    headers.install(app, https=container.settings.https)
    # Everything made so far (routes, models, settings, compiled patterns) lives as long as the
    # process. Frozen out of the collector's reach, it is no longer walked by every full collection
    # (40-60 ms each on this heap: a p99 spike on whichever request triggers one).
    gc.freeze()
    return app


def app_from_settings() -> FastAPI:
    """The app as ``safepassage serve`` builds it, from the settings alone: the factory a server
    imports by name (``safepassage serve --workers N``, ``uvicorn --factory
    safepassage.app:app_from_settings``), each worker process building its own container."""
    from safepassage.bootstrap import bootstrap

    return create_app(bootstrap())
