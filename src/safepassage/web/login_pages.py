"""Signing in and out: the password, then for supervisors and administrators the second factor (a
code from an authenticator app), enrolled right after the password when the account has none yet.

Until the second factor is right nobody is signed in: the cookie holds only a pending sign-in that
lapses after five minutes, so a supervisor without a second factor can do nothing but enrol one.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request, Response
from starlette.datastructures import FormData

from safepassage import sessions
from safepassage.security import services as security
from safepassage.security.accounts import SecondFactor
from safepassage.security.policy import Actor
from safepassage.security.totp import begin_enrolment, verify
from safepassage.shared.errors import DomainError
from safepassage.web.render import PageRoute, error_page, redirect, render
from safepassage.web.security import (
    Anyone,
    FormDep,
    check_csrf,
    client_address,
    end_session,
    get_container,
    safe_next,
    start_session,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False, dependencies=[Depends(check_csrf)])

_STEP_PAGE = {SecondFactor.VERIFY: "/login/code", SecondFactor.ENROL: "/login/enrol"}


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
    container = get_container(request)
    accepted = None
    if username and password:
        accepted = security.check_password(
            container.uow(),
            username,
            password,
            address=client_address(request),
            limits=sessions.login_limits(container),
        )
    if accepted is None:
        return render(
            request, "login.html", status=401, here="/login", next=target, username=username, failed=True
        )
    if accepted.second_factor is SecondFactor.NONE:
        actor = security.actor_for_user_id(container.uow(), accepted.user_id, address=client_address(request))
        if actor is None:
            return redirect("/login")
        start_session(request, actor)
        return redirect(target)
    sessions.begin_pending(request.session, container, accepted)
    return redirect(f"{_STEP_PAGE[accepted.second_factor]}?{urlencode({'next': target})}")


def _pending(request: Request, step: SecondFactor) -> sessions.Pending | None:
    found = sessions.pending(request.session, get_container(request))
    return found if found is not None and found.step is step else None


def _verify_code(
    request: Request, pending: sessions.Pending, form: FormData, *, confirm: bool
) -> Actor | None:
    """The code the form gives for the pending sign-in (``confirm``: the first one, which completes an
    enrolment), checked with the account's and the address's limits."""
    container = get_container(request)
    return verify(
        container.uow(),
        pending.user_id,
        str(form.get("code") or ""),
        key=sessions.totp_key(container),
        address=client_address(request),
        limits=sessions.login_limits(container),
        confirm=confirm,
    )


@router.get("/login/code")
def code_form(request: Request, _: Anyone) -> Response:
    target = safe_next(request.query_params.get("next"))
    if _pending(request, SecondFactor.VERIFY) is None:
        return redirect("/login")
    return render(request, "login_code.html", next=target, failed=False)


@router.post("/login/code")
def code(request: Request, form: FormDep, _: Anyone) -> Response:
    target = safe_next(str(form.get("next") or ""))
    pending = _pending(request, SecondFactor.VERIFY)
    if pending is None:
        return redirect("/login")
    actor = _verify_code(request, pending, form, confirm=False)
    if actor is None:
        return render(request, "login_code.html", status=401, here="/login", next=target, failed=True)
    start_session(request, actor)
    return redirect(target)


def _enrol_page(request: Request, pending: sessions.Pending, target: str, *, failed: bool) -> Response:
    container = get_container(request)
    try:
        enrolment = begin_enrolment(container.uow(), pending.user_id, key=sessions.totp_key(container))
    except DomainError as exc:
        return error_page(request, 409, detail=exc.message)
    return render(
        request,
        "login_enrol.html",
        status=401 if failed else 200,
        here="/login",
        next=target,
        failed=failed,
        secret=" ".join(enrolment.secret[i : i + 4] for i in range(0, len(enrolment.secret), 4)),
        qr_svg=enrolment.qr_svg(),
    )


@router.get("/login/enrol")
def enrol_form(request: Request, _: Anyone) -> Response:
    pending = _pending(request, SecondFactor.ENROL)
    if pending is None:
        return redirect("/login")
    return _enrol_page(request, pending, safe_next(request.query_params.get("next")), failed=False)


@router.post("/login/enrol")
def enrol(request: Request, form: FormDep, _: Anyone) -> Response:
    target = safe_next(str(form.get("next") or ""))
    pending = _pending(request, SecondFactor.ENROL)
    if pending is None:
        return redirect("/login")
    actor = _verify_code(request, pending, form, confirm=True)
    if actor is None:
        return _enrol_page(request, pending, target, failed=True)
    start_session(request, actor)
    return redirect(target)


@router.post("/logout")
def logout(request: Request, _: Anyone) -> Response:
    end_session(request)
    return redirect("/login")
