"""The pages' entry point: ``install(app, container)`` mounts the static files and every page router;
this module also holds the start page and signing in and out."""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

from safepassage.bootstrap import Container
from safepassage.security import services as security
from safepassage.web import household_pages, i18n, import_pages, person_pages, registry_pages
from safepassage.web.render import STATIC_DIR, PageRoute, redirect, render
from safepassage.web.security import (
    Anyone,
    FormDep,
    check_csrf,
    end_session,
    get_container,
    safe_next,
    start_session,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False, dependencies=[Depends(check_csrf)])

ROUTERS = (
    router,
    registry_pages.router,
    person_pages.router,
    household_pages.router,
    import_pages.router,
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


@router.get("/login")
def login_form(request: Request, actor: Anyone) -> Response:
    target = safe_next(request.query_params.get("next"))
    if actor is not None:
        return redirect(target)
    return render(request, "login.html", next=target, username="", failed=False)


@router.post("/login")
def login(request: Request, form: FormDep, _: Anyone) -> Response:
    username = str(form.get("username") or "").strip()
    password = str(form.get("password") or "")
    target = safe_next(str(form.get("next") or ""))
    actor = None
    if username and password:
        actor = security.authenticate(get_container(request).uow(), username, password)
    if actor is None:
        return render(
            request, "login.html", status=401, here="/login", next=target, username=username, failed=True
        )
    start_session(request, actor)
    return redirect(target)


@router.post("/logout")
def logout(request: Request, _: Anyone) -> Response:
    end_session(request)
    return redirect("/login")
