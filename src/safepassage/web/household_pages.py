"""Household pages: register a whole household with one form, see a household, change its head,
split it, merge another into it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import ValidationError

from safepassage.linking.duplicates import PossibleDuplicate
from safepassage.registry import queries, schemas, services
from safepassage.registry.codes import HouseholdStatus
from safepassage.security.policy import Actor, Permission
from safepassage.shared.dates import latest_today
from safepassage.shared.errors import Conflict, Invalid, NotFound
from safepassage.shared.ids import parse_id
from safepassage.uow import UnitOfWork
from safepassage.web import duplicate_warning
from safepassage.web.forms import FieldError, HouseholdForm, MemberBlock
from safepassage.web.labels import N_
from safepassage.web.registry_pages import site_choices, site_namer, sites_for
from safepassage.web.render import PageRoute, error_status, gettext_for, redirect, render
from safepassage.web.security import FormDep, Reader, Writer, check_csrf, flash, get_container

router = APIRouter(route_class=PageRoute, include_in_schema=False, dependencies=[Depends(check_csrf)])

# A registration form carries a one-time key; sending it twice (a double tap, a retry on a bad
# connection whose answer was lost) returns the household the first sending registered.
FORM_KEY_FIELD = "form_key"
FORM_KEY_PREFIX = "web-form:"


def _form_page(
    request: Request,
    form: HouseholdForm,
    actor: Actor,
    uow: UnitOfWork,
    *,
    form_key: str,
    status: int = 200,
    duplicates: list[PossibleDuplicate] | None = None,
    checked: str = "",
) -> Response:
    return render(
        request,
        "household_new.html",
        status=status,
        here="/households/new",
        form=form,
        form_key=form_key,
        sites=site_choices(sites_for(uow, actor)),
        blank=MemberBlock(0),
        fresh=status == 200 and not duplicates,
        duplicates=duplicates or [],
        checked=checked,
        anyway_field=duplicate_warning.ANYWAY_FIELD,
    )


@router.get("/households/new")
def new_household(request: Request, actor: Writer) -> Response:
    uow = get_container(request).uow()
    sites = sites_for(uow, actor)
    form = HouseholdForm.blank(site_id=str(sites[0].id) if len(sites) == 1 else "")
    return _form_page(request, form, actor, uow, form_key=str(uuid.uuid4()))


@router.post("/households/new")
def register_household(request: Request, data: FormDep, actor: Writer) -> Response:
    form = HouseholdForm.parse(data)
    gettext = gettext_for(request)
    container = get_container(request)
    uow = container.uow()
    form_key = str(parse_id(str(data.get(FORM_KEY_FIELD) or "")) or uuid.uuid4())
    form.precheck(
        today=latest_today(container.clock.now()),
        phone_region=container.settings.default_phone_region,
        gettext=gettext,
    )
    command = None
    try:
        command = form.command()
    except ValidationError as exc:
        form.add_validation_error(exc, gettext)
    if command is not None and not form.has_problems:
        source_key = FORM_KEY_PREFIX + form_key
        found: list[PossibleDuplicate] | None = []
        if not duplicate_warning.acknowledged(data.get(duplicate_warning.ANYWAY_FIELD), command):
            # the warning step: possible duplicates are shown before anything is registered
            found = duplicate_warning.draft_duplicates(
                uow, command, actor=actor, source_key=source_key, new_uow=container.uow
            )
            if found:
                checked = duplicate_warning.fingerprint(command)
                return _form_page(
                    request, form, actor, uow, form_key=form_key, duplicates=found, checked=checked
                )
        try:
            household_id = services.register_household(uow, command, actor=actor, source_key=source_key)
        except (Invalid, NotFound, Conflict) as exc:
            if exc.problems:
                form.add_problems(exc.problems, gettext)
            else:
                problem = FieldError(gettext(N_("The household cannot be registered.")), exc.message)
                form.general.append(problem)
        else:
            registered = (
                N_("The household is registered. Not checked for duplicates: the check is starting.")
                if found is None
                else N_("The household is registered.")
            )
            flash(request, gettext(registered))
            return redirect(f"/households/{household_id}")
    return _form_page(request, form, actor, uow, form_key=form_key, status=422)


def _household_page(
    request: Request,
    actor: Actor,
    household_id: uuid.UUID,
    *,
    problem: FieldError | None = None,
    status: int = 200,
) -> Response:
    uow = get_container(request).uow()
    household = queries.get_household(uow, household_id, actor=actor)
    history = queries.history(uow, household_id, actor=actor) if actor.can(Permission.HISTORY_READ) else None
    return render(
        request,
        "household.html",
        status=status,
        here=f"/households/{household_id}",
        household=household,
        history=history,
        site_name=site_namer(sites_for(uow, actor)),
        can_change=actor.can(Permission.REGISTRY_WRITE) and household.status == HouseholdStatus.ACTIVE,
        choices=[(str(p.id), p.display_name) for p in household.members],
        other_choices=[(str(p.id), p.display_name) for p in household.members if p.id != household.head_id],
        problem=problem,
    )


@router.get("/households/{household_id}")
def household(household_id: uuid.UUID, request: Request, actor: Reader) -> Response:
    return _household_page(request, actor, household_id)


def _change(
    request: Request,
    actor: Actor,
    household_id: uuid.UUID,
    change: Callable[[UnitOfWork], uuid.UUID | None],
    done: str,
) -> Response:
    """Run one change of a household; back to its page with what went wrong, or on to the result."""
    gettext = gettext_for(request)
    try:
        result = change(get_container(request).uow())
    except ValidationError as exc:
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:3])
        problem = FieldError(gettext(N_("Please check the form.")), detail)
        return _household_page(request, actor, household_id, problem=problem, status=422)
    except (Invalid, Conflict, NotFound) as exc:
        problem = FieldError(gettext(N_("This change cannot be made.")), exc.message)
        return _household_page(request, actor, household_id, problem=problem, status=error_status(exc))
    flash(request, gettext(done))
    return redirect(f"/households/{result or household_id}")


def _fields(data: Any, *names: str) -> dict[str, Any]:
    return {name: data.get(name) or None for name in names}


@router.post("/households/{household_id}/head")
def change_head(household_id: uuid.UUID, request: Request, data: FormDep, actor: Writer) -> Response:
    def change(uow: UnitOfWork) -> None:
        cmd = schemas.HeadChange.model_validate(_fields(data, "new_head_id", "former_head_becomes"))
        services.change_head(uow, household_id, cmd, actor=actor)

    return _change(request, actor, household_id, change, N_("The head of the household is changed."))


@router.post("/households/{household_id}/split")
def split(household_id: uuid.UUID, request: Request, data: FormDep, actor: Writer) -> Response:
    def change(uow: UnitOfWork) -> uuid.UUID:
        values = _fields(data, "new_head_id", "remaining_head_id")
        values["person_ids"] = [v for v in data.getlist("person_ids") if isinstance(v, str)]
        cmd = schemas.HouseholdSplit.model_validate(values)
        return services.split_household(uow, household_id, cmd, actor=actor)

    return _change(request, actor, household_id, change, N_("The household is split: this is the new one."))


@router.post("/households/{household_id}/merge")
def merge(household_id: uuid.UUID, request: Request, data: FormDep, actor: Writer) -> Response:
    def change(uow: UnitOfWork) -> None:
        values = _fields(data, "other_household_id", "relationship_of_other_head")
        if isinstance(values["other_household_id"], str):
            values["other_household_id"] = values["other_household_id"].strip()
        cmd = schemas.HouseholdMerge.model_validate(values)
        services.merge_households(uow, household_id, cmd, actor=actor)

    return _change(request, actor, household_id, change, N_("The other household is merged into this one."))
