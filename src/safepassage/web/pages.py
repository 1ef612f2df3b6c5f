"""The pages' entry point: ``install(app, container)`` mounts the static files and every page router;
this module also holds the start page (signing in and out: ``login_pages``)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI, Response
from fastapi.staticfiles import StaticFiles

from safepassage.bootstrap import Container
from safepassage.web import (
    account_pages,
    audit_pages,
    household_pages,
    i18n,
    import_pages,
    linking_pages,
    login_pages,
    movement_pages,
    oversight_pages,
    person_pages,
    placement_pages,
    registry_pages,
)
from safepassage.web.render import STATIC_DIR, PageRoute, redirect
from safepassage.web.security import Anyone, check_csrf

router = APIRouter(route_class=PageRoute, include_in_schema=False, dependencies=[Depends(check_csrf)])

ROUTERS = (
    router,
    login_pages.router,
    account_pages.router,
    registry_pages.router,
    person_pages.router,
    household_pages.router,
    import_pages.router,
    oversight_pages.router,
    audit_pages.router,
    movement_pages.router,
    placement_pages.router,
    linking_pages.router,
)


def install(app: FastAPI, container: Container) -> None:
    """Mount the pages on ``app``; the catalogues are loaded (compiled if need be) now, not on first use."""
    del container  # the pages take it from app.state per request, as the API does
    i18n.load_all()
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for page_router in ROUTERS:
        app.include_router(page_router)


@router.get("/")
def home(actor: Anyone) -> Response:
    return redirect("/persons" if actor is not None else "/login")
