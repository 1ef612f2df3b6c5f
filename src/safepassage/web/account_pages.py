"""The account page: one's own sessions and API tokens (revoke one, end them all), and for
supervisors and administrators the emergency action "end every session at a site" (a site overrun, a
device lost): every account working there is signed out at its next request."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request, Response

from safepassage.registry import queries
from safepassage.security import services as security
from safepassage.security.policy import Actor, Permission
from safepassage.shared.errors import Invalid
from safepassage.shared.ids import parse_id
from safepassage.web.labels import N_
from safepassage.web.render import PageRoute, gettext_for, redirect, render
from safepassage.web.security import FormDep, Page, SignedIn, check_csrf, flash, get_container

router = APIRouter(route_class=PageRoute, include_in_schema=False, dependencies=[Depends(check_csrf)])

SiteManager = Depends(Page(Permission.SITE_MANAGE))


def _sites_to_end(request: Request, actor: Actor) -> list[tuple[str, str]]:
    """The sites whose sessions this actor may end: any (administrators), else their own."""
    if not actor.can(Permission.SITE_MANAGE):
        return []
    sites = queries.list_sites(get_container(request).uow(), actor=actor)
    anywhere = actor.can(Permission.USER_MANAGE)
    return [(str(s.id), f"{s.code} — {s.name}") for s in sites if anywhere or actor.covers(s.id)]


@router.get("/account")
def account(request: Request, actor: SignedIn) -> Response:
    uow = get_container(request).uow()
    return render(
        request,
        "account.html",
        sessions=security.open_sessions(uow, actor.username, actor=actor),
        tokens=security.list_tokens(uow, actor.username, actor=actor),
        sites=_sites_to_end(request, actor),
    )


@router.post("/account/sessions/end")
def end_my_sessions(request: Request, actor: SignedIn) -> Response:
    """Sign out everywhere, this browser included."""
    security.end_sessions_of_user(get_container(request).uow(), actor.username, actor=actor)
    return redirect("/login")


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(request: Request, token_id: uuid.UUID, actor: SignedIn) -> Response:
    security.revoke_token(get_container(request).uow(), token_id, actor=actor)
    flash(request, gettext_for(request)(N_("The token is revoked.")))
    return redirect("/account")


@router.post("/account/site-sessions/end")
def end_site_sessions(request: Request, form: FormDep, actor: Actor = SiteManager) -> Response:
    site_id = parse_id(str(form.get("site_id") or ""))
    if site_id is None:
        raise Invalid("choose a site")
    ended = security.end_sessions_of_site(get_container(request).uow(), site_id, actor=actor)
    flash(request, gettext_for(request)(N_("%(count)d sessions ended.")) % {"count": ended})
    return redirect("/account")
