"""The person page and what a clerk or caseworker does from it: record what the person says now
(intention), consent given or withdrawn, check in and out, add a spelling, a phone or a document,
correct the basic fields, and (for roles allowed to) see and record protection attributes.

Every action is a small POST form that calls one service (``safepassage.registry.services``), as the
API does; success redirects back to the page with a message (Post/Redirect/Get); a problem shows the
page again with the message next to the field and what was typed (422, or 409 for a conflict with
the current state).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from fastapi import APIRouter, Depends, Request, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from safepassage.registry import queries, schemas, services
from safepassage.registry.protection import stated_purpose
from safepassage.security.policy import Actor, Permission, require
from safepassage.shared.errors import Conflict, Invalid, NotFound
from safepassage.uow import UnitOfWork
from safepassage.web.forms import FieldError
from safepassage.web.labels import N_
from safepassage.web.person_forms import PersonForms, correction, payload, protection_changes
from safepassage.web.registry_pages import site_choices, site_namer, sites_for
from safepassage.web.render import PageRoute, gettext_for, redirect, render
from safepassage.web.security import (
    FormDep,
    ProtectionReader,
    ProtectionWriter,
    Reader,
    Writer,
    check_csrf,
    flash,
    get_container,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False, dependencies=[Depends(check_csrf)])

SHOW_PROTECTION = "protection"  # GET /persons/{id}?show=protection: the purpose form


def _page(
    request: Request,
    actor: Actor,
    person_id: uuid.UUID,
    *,
    show_protection: bool = False,
    purpose: str | None = None,
    purpose_problem: str | None = None,
    failed: tuple[str, FormData, PersonForms] | None = None,
    status: int = 200,
) -> Response:
    """The person page; with ``failed`` (the name of a form, what it sent, its problems), that form
    shown again as it was sent, with its problems. ``show_protection`` opens the protection
    attributes for ``purpose`` (audited)."""
    container = get_container(request)
    uow = container.uow()
    found = queries.get_person(
        uow, person_id, actor=actor, include_protection=show_protection, purpose=purpose
    )
    history = queries.history(uow, person_id, actor=actor) if actor.can(Permission.HISTORY_READ) else None
    sites = sites_for(uow, actor)
    forms = PersonForms.of(found, today=container.clock.now().date())
    if failed is not None:
        forms.show_again(*failed)
    return render(
        request,
        "person.html",
        status=status,
        here=f"/persons/{person_id}",
        person=found,
        history=history,
        site_name=site_namer(sites),
        sites=site_choices(sites),
        forms=forms,
        show_protection=show_protection,
        purpose=purpose or "",
        purpose_errors={"purpose": [FieldError(purpose_problem)]} if purpose_problem else {},
        can_write=actor.can(Permission.REGISTRY_WRITE),
        can_read_protection=actor.can(Permission.PROTECTED_READ),
        can_write_protection=actor.can(Permission.PROTECTED_WRITE),
    )


@router.get("/persons/{person_id}")
def person(person_id: uuid.UUID, request: Request, actor: Reader) -> Response:
    """The person; ``?show=protection`` asks a role that may read the protection attributes why it
    opens them (a role that may not: 403). They open only by POSTing that purpose (below), so the
    purpose never travels in an address (logs, history, Referer)."""
    if request.query_params.get("show") != SHOW_PROTECTION:
        return _page(request, actor, person_id)
    require(actor, Permission.PROTECTED_READ)
    return _page(request, actor, person_id, purpose="")


@router.post("/persons/{person_id}/protection/open")
def open_protection(
    person_id: uuid.UUID, request: Request, data: FormDep, actor: ProtectionReader
) -> Response:
    """The person with the protection attributes, opened for the purpose the form states (audited).
    Too short a purpose: the form again, with why (422). The page is the answer to the POST, not a
    redirect: a redirect would put the purpose back in an address."""
    purpose = str(data.get("purpose") or "")
    try:
        stated_purpose(purpose)
    except Invalid:
        problem = gettext_for(request)(N_("Say why you open them (at least 5 characters)."))
        return _page(request, actor, person_id, purpose=purpose, purpose_problem=problem, status=422)
    return _page(request, actor, person_id, show_protection=True, purpose=purpose)


def _act(
    request: Request,
    actor: Actor,
    person_id: uuid.UUID,
    data: FormData,
    name: str,
    run: Callable[[UnitOfWork], object],
    done: str,
    *,
    section: str,
) -> Response:
    """Run the action of form ``name``; back to the page with ``done`` said, or with the problems."""
    gettext = gettext_for(request)
    problems = PersonForms()
    try:
        run(get_container(request).uow())
    except ValidationError as exc:
        problems.add_validation_error(name, exc, gettext)
        return _page(request, actor, person_id, failed=(name, data, problems), status=422)
    except (Invalid, Conflict, NotFound) as exc:  # an unknown person: the page again is the 404 page
        problems.add_refusal(name, exc, gettext)
        status = 409 if isinstance(exc, Conflict) else 422
        return _page(request, actor, person_id, failed=(name, data, problems), status=status)
    flash(request, gettext(done))
    return redirect(f"/persons/{person_id}#{section}")


@router.post("/persons/{person_id}/intention")
def state_intention(person_id: uuid.UUID, request: Request, data: FormDep, actor: Writer) -> Response:
    def run(uow: UnitOfWork) -> None:
        cmd = schemas.IntentionCreate.model_validate(payload("statement", data))
        services.state_intention(uow, person_id, cmd, actor=actor)

    return _act(
        request,
        actor,
        person_id,
        data,
        "statement",
        run,
        N_("The intention is recorded."),
        section="intention",
    )


@router.post("/persons/{person_id}/consent")
def record_consent(person_id: uuid.UUID, request: Request, data: FormDep, actor: Writer) -> Response:
    def run(uow: UnitOfWork) -> None:
        cmd = schemas.ConsentCreate.model_validate(payload("consent", data))
        services.record_consent(uow, person_id, cmd, actor=actor)

    return _act(
        request,
        actor,
        person_id,
        data,
        "consent",
        run,
        N_("The consent decision is recorded."),
        section="consent",
    )


@router.post("/persons/{person_id}/check-in")
def check_in(person_id: uuid.UUID, request: Request, data: FormDep, actor: Writer) -> Response:
    def run(uow: UnitOfWork) -> None:
        cmd = schemas.CheckIn.model_validate(payload("checkin", data))
        services.check_in(uow, person_id, cmd, actor=actor)

    return _act(request, actor, person_id, data, "checkin", run, N_("Checked in."), section="stays")


@router.post("/persons/{person_id}/check-out")
def check_out(person_id: uuid.UUID, request: Request, data: FormDep, actor: Writer) -> Response:
    def run(uow: UnitOfWork) -> None:
        services.check_out(uow, person_id, schemas.CheckOut(), actor=actor)

    return _act(request, actor, person_id, data, "checkout", run, N_("Checked out."), section="stays")


@router.post("/persons/{person_id}/spellings")
def add_spelling(person_id: uuid.UUID, request: Request, data: FormDep, actor: Writer) -> Response:
    def run(uow: UnitOfWork) -> None:
        cmd = schemas.SpellingCreate.model_validate(payload("spelling", data))
        services.add_spelling(uow, person_id, cmd, actor=actor)

    return _act(
        request, actor, person_id, data, "spelling", run, N_("The spelling is added."), section="names"
    )


@router.post("/persons/{person_id}/phones")
def add_phone(person_id: uuid.UUID, request: Request, data: FormDep, actor: Writer) -> Response:
    def run(uow: UnitOfWork) -> None:
        cmd = schemas.PhoneCreate.model_validate(payload("phone", data))
        services.add_phone(uow, person_id, cmd, actor=actor)

    return _act(request, actor, person_id, data, "phone", run, N_("The phone is added."), section="phones")


@router.post("/persons/{person_id}/documents")
def add_document(person_id: uuid.UUID, request: Request, data: FormDep, actor: Writer) -> Response:
    def run(uow: UnitOfWork) -> None:
        cmd = schemas.DocumentCreate.model_validate(payload("document", data))
        services.add_document(uow, person_id, cmd, actor=actor)

    return _act(
        request, actor, person_id, data, "document", run, N_("The document is added."), section="documents"
    )


@router.post("/persons/{person_id}/details")
def correct_details(person_id: uuid.UUID, request: Request, data: FormDep, actor: Writer) -> Response:
    changes = correction(data)
    if not changes:
        flash(request, gettext_for(request)(N_("Nothing was changed.")))
        return redirect(f"/persons/{person_id}")

    def run(uow: UnitOfWork) -> None:
        cmd = schemas.PersonUpdate.model_validate(changes)
        services.update_person(uow, person_id, cmd, actor=actor)

    return _act(
        request, actor, person_id, data, "person", run, N_("The corrections are saved."), section="details"
    )


@router.post("/persons/{person_id}/protection")
def record_protection(
    person_id: uuid.UUID, request: Request, data: FormDep, actor: ProtectionWriter
) -> Response:
    """Protection attributes (``registry.protected.write``). The answer never shows what is recorded
    (a role may write them without being allowed to read them)."""
    changes = protection_changes(data)
    if not changes:
        flash(request, gettext_for(request)(N_("Nothing was changed.")))
        return redirect(f"/persons/{person_id}")

    def run(uow: UnitOfWork) -> None:
        cmd = schemas.PersonUpdate(protection=schemas.ProtectionInput.model_validate(changes))
        services.update_person(uow, person_id, cmd, actor=actor)

    return _act(
        request,
        actor,
        person_id,
        data,
        "protection",
        run,
        N_("The protection details are saved."),
        section="protection",
    )
