"""Oversight API: break-glass access to out-of-scope records, and export requests with a second
approver. Thin: the rules live in ``security.breakglass`` and ``registry.exporting``."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from safepassage.api.deps import Allowed, ContainerDep, UowDep
from safepassage.registry import exporting, services
from safepassage.security import breakglass, shredding
from safepassage.security.policy import Actor, Permission
from safepassage.security.schemas import (
    BreakGlassOpen,
    BreakGlassRead,
    EraseRequest,
    ExportDecision,
    ExportRequestCreate,
    ExportRequestRead,
    ReviewNote,
    ShredDone,
    ShredRequestCreate,
    ShredRequestRead,
)

router = APIRouter(prefix="/api/v1")

BreakGlass = Annotated[Actor, Depends(Allowed(Permission.BREAK_GLASS))]
Approver = Annotated[Actor, Depends(Allowed(Permission.APPROVE))]
Exporter = Annotated[Actor, Depends(Allowed(Permission.REGISTRY_EXPORT))]
Shredder = Annotated[Actor, Depends(Allowed(Permission.SHRED))]
Eraser = Annotated[Actor, Depends(Allowed(Permission.ERASE))]


@router.post("/break-glass", status_code=201, tags=["oversight"])
def open_break_glass(
    cmd: BreakGlassOpen, uow: UowDep, container: ContainerDep, actor: BreakGlass
) -> dict[str, uuid.UUID]:
    """Open one record outside your sites, with a written reason, for a limited time (flagged)."""
    grant_id = breakglass.open_break_glass(
        uow,
        record_kind=cmd.record_kind,
        record_id=cmd.record_id,
        reason=cmd.reason,
        minutes=cmd.minutes or container.settings.break_glass_minutes,
        actor=actor,
    )
    return {"id": grant_id}


@router.get("/break-glass", tags=["oversight"])
def list_break_glass(uow: UowDep, actor: Approver, unreviewed: bool = False) -> list[BreakGlassRead]:
    return breakglass.list_break_glass(uow, actor=actor, unreviewed_only=unreviewed)


@router.post("/break-glass/{grant_id}/end", status_code=204, tags=["oversight"])
def end_break_glass(grant_id: uuid.UUID, uow: UowDep, actor: BreakGlass) -> None:
    breakglass.end_break_glass(uow, grant_id, actor=actor)


@router.post("/break-glass/{grant_id}/review", status_code=204, tags=["oversight"])
def review_break_glass(grant_id: uuid.UUID, cmd: ReviewNote, uow: UowDep, actor: Approver) -> None:
    breakglass.review_break_glass(uow, grant_id, note=cmd.note, actor=actor)


@router.post("/exports", status_code=201, tags=["oversight"])
def request_export(cmd: ExportRequestCreate, uow: UowDep, actor: Exporter) -> ExportRequestRead:
    """Ask for an export. Over 100 rows it is ``pending`` until a second supervisor decides."""
    request = exporting.request_export(
        uow, purpose=cmd.purpose, actor=actor, site_id=cmd.site_id, partner=cmd.partner
    )
    return ExportRequestRead.model_validate(request)


@router.get("/exports", tags=["oversight"])
def list_exports(uow: UowDep, actor: Exporter) -> list[ExportRequestRead]:
    return [ExportRequestRead.model_validate(r) for r in exporting.list_export_requests(uow, actor=actor)]


@router.post("/exports/{request_id}/decision", tags=["oversight"])
def decide_export(
    request_id: uuid.UUID, cmd: ExportDecision, uow: UowDep, actor: Approver
) -> ExportRequestRead:
    decided = exporting.decide_export(uow, request_id, approve=cmd.approve, note=cmd.note, actor=actor)
    return ExportRequestRead.model_validate(decided)


@router.get("/exports/{request_id}/file", tags=["oversight"], response_class=FileResponse)
def export_file(request_id: uuid.UUID, uow: UowDep, actor: Exporter) -> FileResponse:
    """The approved export's CSV, once, to the one who asked for it. Every row carries ``export_id``."""
    out = exporting.produce_export_file(uow, request_id, actor=actor)
    return FileResponse(
        out,
        media_type="text/csv",
        filename=out.name,
        background=BackgroundTask(exporting.discard_export_file, out),
    )


@router.post("/sites/{site_id}/shred-requests", status_code=201, tags=["oversight"])
def request_shred(
    site_id: uuid.UUID, cmd: ShredRequestCreate, uow: UowDep, actor: Shredder
) -> dict[str, uuid.UUID]:
    """Ask to destroy the site's data keys; a second supervisor of the site must approve."""
    return {"id": shredding.request_shred(uow, site_id, reason=cmd.reason, actor=actor)}


@router.get("/shred-requests", tags=["oversight"])
def list_shred_requests(uow: UowDep, actor: Shredder) -> list[ShredRequestRead]:
    return [ShredRequestRead.model_validate(r) for r in shredding.list_shred_requests(uow, actor=actor)]


@router.post("/shred-requests/{shred_id}/approve", tags=["oversight"])
def approve_shred(shred_id: uuid.UUID, uow: UowDep, actor: Shredder) -> ShredDone:
    """The second supervisor approves: the site's protected data is unreadable from now on, for ever."""
    report = shredding.approve_shred(uow, shred_id, actor=actor)
    return ShredDone(site_id=report.site_id, versions=report.versions, files_destroyed=report.files_destroyed)


@router.post("/shred-requests/{shred_id}/reject", status_code=204, tags=["oversight"])
def reject_shred(shred_id: uuid.UUID, uow: UowDep, actor: Shredder) -> None:
    shredding.reject_shred(uow, shred_id, actor=actor)


@router.post("/persons/{person_id}/erase", tags=["oversight"])
def erase_person(person_id: uuid.UUID, cmd: EraseRequest, uow: UowDep, actor: Eraser) -> dict[str, int]:
    """Erase the person's personal data; non-identifying counts and the audit chain stay."""
    report = services.erase_person(uow, person_id, actor=actor, reason=cmd.reason)
    return {"persons": len(report.person_ids), "values_removed": report.values_removed}
