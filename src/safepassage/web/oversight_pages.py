"""The oversight page of supervisors: break-glass access (open, review) and export requests (ask,
approve or reject another's, download one's own approved export once). Thin: the rules live in
``security.breakglass`` and ``registry.exporting``; a refused act comes back as a message."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from safepassage.registry import exporting, services
from safepassage.security import breakglass, shredding
from safepassage.security.grants import ExportState, GrantedRecord, ShredState
from safepassage.security.policy import Actor, Permission
from safepassage.shared.errors import DomainError, NotFound
from safepassage.shared.ids import parse_id
from safepassage.web.labels import N_
from safepassage.web.registry_pages import site_choices, sites_for
from safepassage.web.render import PageRoute, gettext_for, redirect, render
from safepassage.web.security import FormDep, Page, check_csrf, flash, get_container

router = APIRouter(route_class=PageRoute, include_in_schema=False, dependencies=[Depends(check_csrf)])

Overseer = Annotated[Actor, Depends(Page(Permission.APPROVE))]
BreakGlasser = Annotated[Actor, Depends(Page(Permission.BREAK_GLASS))]
Exporter = Annotated[Actor, Depends(Page(Permission.REGISTRY_EXPORT))]
Shredder = Annotated[Actor, Depends(Page(Permission.SHRED))]
Eraser = Annotated[Actor, Depends(Page(Permission.ERASE))]


@router.get("/oversight")
def oversight(request: Request, actor: Overseer) -> Response:
    container = get_container(request)
    grants = breakglass.list_break_glass(container.uow(), actor=actor, limit=50)
    exports = exporting.list_export_requests(container.uow(), actor=actor, limit=50)
    shreds = (
        shredding.list_shred_requests(container.uow(), actor=actor) if actor.can(Permission.SHRED) else []
    )
    return render(
        request,
        "oversight.html",
        grants=grants,
        exports=exports,
        sites=site_choices(sites_for(container.uow(), actor)),
        default_minutes=container.settings.break_glass_minutes,
        pending=ExportState.PENDING,
        shreds=shreds,
        shred_pending=ShredState.PENDING,
        approved=ExportState.APPROVED,
    )


def _refused(request: Request, exc: DomainError) -> Response:
    details = "; ".join(f"{p.field}: {p.reason}" for p in exc.problems)
    flash(request, f"{exc.message}{' (' + details + ')' if details else ''}")
    return redirect("/oversight")


def _id(value: object) -> uuid.UUID:
    parsed = parse_id(str(value or ""))
    if parsed is None:
        raise NotFound("no such record")
    return parsed


@router.post("/oversight/break-glass")
def open_break_glass(request: Request, data: FormDep, actor: BreakGlasser) -> Response:
    container = get_container(request)
    try:
        kind = GrantedRecord(str(data.get("record_kind") or "person"))
        record_id = _id(data.get("record_id"))
        minutes_text = str(data.get("minutes") or "").strip()
        minutes = int(minutes_text) if minutes_text.isdigit() else container.settings.break_glass_minutes
        breakglass.open_break_glass(
            container.uow(),
            record_kind=kind,
            record_id=record_id,
            reason=str(data.get("reason") or ""),
            minutes=minutes,
            actor=actor,
        )
    except DomainError as exc:
        return _refused(request, exc)
    flash(request, gettext_for(request)(N_("Access opened. It is on the audit trail and will be reviewed.")))
    return redirect(f"/{'persons' if kind == GrantedRecord.PERSON else 'households'}/{record_id}")


@router.post("/oversight/break-glass/{grant_id}/review")
def review_break_glass(request: Request, grant_id: uuid.UUID, data: FormDep, actor: Overseer) -> Response:
    try:
        breakglass.review_break_glass(
            get_container(request).uow(), grant_id, note=str(data.get("note") or ""), actor=actor
        )
    except DomainError as exc:
        return _refused(request, exc)
    flash(request, gettext_for(request)(N_("Review recorded.")))
    return redirect("/oversight")


@router.post("/oversight/exports")
def request_export(request: Request, data: FormDep, actor: Exporter) -> Response:
    site = parse_id(str(data.get("site_id") or ""))
    try:
        asked = exporting.request_export(
            get_container(request).uow(),
            purpose=str(data.get("purpose") or ""),
            actor=actor,
            site_id=site,
            partner=str(data.get("partner") or "").strip() or None,
        )
    except DomainError as exc:
        return _refused(request, exc)
    gettext = gettext_for(request)
    flash(
        request,
        gettext(N_("Export ready to download."))
        if asked.state == ExportState.APPROVED
        else gettext(N_("Export asked for: another supervisor must approve it.")),
    )
    return redirect("/oversight")


@router.post("/oversight/exports/{request_id}/decision")
def decide_export(request: Request, request_id: uuid.UUID, data: FormDep, actor: Overseer) -> Response:
    try:
        exporting.decide_export(
            get_container(request).uow(),
            request_id,
            approve=data.get("decision") == "approve",
            note=str(data.get("note") or "").strip() or None,
            actor=actor,
        )
    except DomainError as exc:
        return _refused(request, exc)
    flash(request, gettext_for(request)(N_("Decision recorded.")))
    return redirect("/oversight")


@router.get("/oversight/exports/{request_id}/file")
def export_file(request: Request, request_id: uuid.UUID, actor: Exporter) -> Response:
    try:
        out = exporting.produce_export_file(get_container(request).uow(), request_id, actor=actor)
    except DomainError as exc:
        return _refused(request, exc)
    return FileResponse(
        out,
        media_type="text/csv",
        filename=out.name,
        headers={"Cache-Control": "no-store"},
        background=BackgroundTask(exporting.discard_export_file, out),
    )


@router.post("/oversight/shred")
def request_shred(request: Request, data: FormDep, actor: Shredder) -> Response:
    try:
        shredding.request_shred(
            get_container(request).uow(),
            _id(data.get("site_id")),
            reason=str(data.get("reason") or ""),
            actor=actor,
        )
    except DomainError as exc:
        return _refused(request, exc)
    flash(
        request, gettext_for(request)(N_("Shred asked for: a second supervisor of the site must approve it."))
    )
    return redirect("/oversight")


@router.post("/oversight/shred/{request_id}/{decision}")
def decide_shred(request: Request, request_id: uuid.UUID, decision: str, actor: Shredder) -> Response:
    gettext = gettext_for(request)
    try:
        if decision == "approve":
            shredding.approve_shred(get_container(request).uow(), request_id, actor=actor)
            message = gettext(N_("The site's protected data is destroyed."))
        elif decision == "reject":
            shredding.reject_shred(get_container(request).uow(), request_id, actor=actor)
            message = gettext(N_("Decision recorded."))
        else:
            raise NotFound("no such decision")
    except DomainError as exc:
        return _refused(request, exc)
    flash(request, message)
    return redirect("/oversight")


@router.post("/oversight/erase")
def erase_person(request: Request, data: FormDep, actor: Eraser) -> Response:
    try:
        services.erase_person(
            get_container(request).uow(),
            _id(data.get("person_id")),
            actor=actor,
            reason=str(data.get("reason") or ""),
        )
    except DomainError as exc:
        return _refused(request, exc)
    flash(request, gettext_for(request)(N_("The person's data is erased.")))
    return redirect("/oversight")
