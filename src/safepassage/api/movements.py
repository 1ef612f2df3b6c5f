"""Movements API: legs, travel groups, eligibility, plans (proposed, accepted), manifests, boarding
passes, checkpoint scans, accountability and presence."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Response

from safepassage.api.deps import Allowed, ContainerDep, UowDep
from safepassage.movements import documents, legs, passes, planning, queries, scans, schemas
from safepassage.movements.operation import policy_for
from safepassage.security.policy import Actor, Permission

router = APIRouter(prefix="/api/v1", tags=["movements"])

Reader = Annotated[Actor, Depends(Allowed(Permission.MOVEMENTS_READ))]
Planner = Annotated[Actor, Depends(Allowed(Permission.MOVEMENTS_PLAN))]
Manager = Annotated[Actor, Depends(Allowed(Permission.MOVEMENTS_MANAGE))]
Scanner = Annotated[Actor, Depends(Allowed(Permission.MOVEMENTS_SCAN))]
Approver = Annotated[Actor, Depends(Allowed(Permission.APPROVE))]


# --- legs --------------------------------------------------------------------------------------------


@router.get("/legs")
def list_legs(
    uow: UowDep, actor: Reader, site_id: uuid.UUID | None = None, include_closed: bool = True
) -> list[schemas.LegRead]:
    return queries.list_legs(uow, actor=actor, site_id=site_id, include_closed=include_closed)


@router.post("/legs", status_code=201)
def create_leg(cmd: schemas.LegCreate, uow: UowDep, actor: Manager) -> schemas.LegRead:
    leg_id = legs.create_leg(uow, cmd, actor=actor)
    return queries.get_leg(uow, leg_id, actor=actor)


@router.get("/legs/{leg_id}")
def get_leg(leg_id: uuid.UUID, uow: UowDep, actor: Reader) -> schemas.LegRead:
    return queries.get_leg(uow, leg_id, actor=actor)


@router.patch("/legs/{leg_id}")
def change_leg(leg_id: uuid.UUID, cmd: schemas.LegChange, uow: UowDep, actor: Manager) -> schemas.LegRead:
    """Delay or re-size a leg. Propose a re-plan afterwards (``POST /plans`` with the reason)."""
    legs.change_leg(uow, leg_id, cmd, actor=actor)
    return queries.get_leg(uow, leg_id, actor=actor)


@router.post("/legs/{leg_id}/status")
def set_leg_status(
    leg_id: uuid.UUID, cmd: schemas.LegStatusChange, uow: UowDep, actor: Manager
) -> schemas.LegRead:
    """boarding (freezes the manifest), departed, arrived, cancelled (revokes its passes)."""
    legs.set_leg_status(uow, leg_id, cmd, actor=actor)
    return queries.get_leg(uow, leg_id, actor=actor)


@router.get("/legs/{leg_id}/manifest")
def get_manifest(
    leg_id: uuid.UUID,
    uow: UowDep,
    actor: Planner,
    format: Literal["json", "csv", "pdf"] = "json",
) -> Response:
    """The leg's manifest (frozen at boarding; the accepted plan's until then) as JSON, CSV or PDF.
    Carries identifying fields: roles that may not read them are refused."""
    body, media, name = documents.manifest_document(uow, leg_id, actor=actor, fmt=format)
    headers = {"Content-Disposition": f'attachment; filename="{name}"'} if format != "json" else {}
    return Response(body, media_type=media, headers=headers)


@router.get("/legs/{leg_id}/accountability")
def leg_accountability(leg_id: uuid.UUID, uow: UowDep, actor: Reader) -> schemas.LegAccountability:
    return queries.leg_accountability(uow, leg_id, actor=actor)


@router.get("/legs/{leg_id}/passes")
def list_passes(leg_id: uuid.UUID, uow: UowDep, actor: Reader) -> list[schemas.PassRead]:
    return queries.list_passes(uow, leg_id, actor=actor)


@router.post("/legs/{leg_id}/passes", status_code=201)
def issue_passes(leg_id: uuid.UUID, uow: UowDep, actor: Planner) -> list[schemas.PassRead]:
    """A pass for everyone the accepted plan puts on this leg who holds none yet."""
    made = set(passes.issue_passes(uow, leg_id, actor=actor))
    return [p for p in queries.list_passes(uow, leg_id, actor=actor) if p.id in made]


@router.get("/passes/{pass_id}/pdf")
def pass_pdf(pass_id: uuid.UUID, uow: UowDep, actor: Planner, container: ContainerDep) -> Response:
    """The printable pass: QR code with the signed token, in the person's language."""
    body, name = documents.pass_document(uow, pass_id, actor=actor, settings=container.settings)
    return Response(
        body, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


# --- travel groups -------------------------------------------------------------------------------------


@router.post("/travel-groups", status_code=201)
def create_travel_group(
    cmd: schemas.TravelGroupCreate, uow: UowDep, actor: Manager
) -> schemas.TravelGroupRead:
    group_id = legs.create_travel_group(uow, cmd, actor=actor)
    with uow.acting(actor):
        return queries.travel_group_read(legs.get_travel_group_or_raise(uow, group_id, actor=actor))


@router.post("/travel-groups/{group_id}/split")
def allow_split(
    group_id: uuid.UUID, cmd: schemas.SplitPermissionCreate, uow: UowDep, actor: Approver
) -> schemas.TravelGroupRead:
    """A supervisor allows this group to be split across legs, with the reason (audited)."""
    legs.allow_split(uow, group_id, cmd.reason, actor=actor)
    with uow.acting(actor):
        return queries.travel_group_read(legs.get_travel_group_or_raise(uow, group_id, actor=actor))


# --- planning --------------------------------------------------------------------------------------------


@router.get("/movements/eligibility")
def eligibility(
    site_id: uuid.UUID, uow: UowDep, actor: Planner, container: ContainerDep
) -> list[schemas.EligibilityRead]:
    """Who at this site may be planned, and for everyone else every reason why not."""
    return queries.eligibility_rows(
        uow, site_id, actor=actor, policy=policy_for(container.settings.movement_policy_file)
    )


@router.post("/plans", status_code=201)
def propose_plan(
    cmd: schemas.PlanRequest, uow: UowDep, actor: Planner, container: ContainerDep
) -> schemas.PlanRead:
    """Plan (or re-plan) the legs leaving a site. The answer is a proposal: nothing changes until a
    movement planner accepts it."""
    policy = policy_for(container.settings.movement_policy_file)
    plan_id = planning.propose_plan(uow, cmd.origin_site_id, actor=actor, policy=policy, reason=cmd.reason)
    return queries.get_plan(uow, plan_id, actor=actor)


@router.get("/plans")
def list_plans(uow: UowDep, actor: Reader, site_id: uuid.UUID | None = None) -> list[schemas.PlanRead]:
    return queries.list_plans(uow, actor=actor, site_id=site_id)


@router.get("/plans/{plan_id}")
def get_plan(plan_id: uuid.UUID, uow: UowDep, actor: Reader) -> schemas.PlanRead:
    return queries.get_plan(uow, plan_id, actor=actor)


@router.post("/plans/{plan_id}/accept")
def accept_plan(plan_id: uuid.UUID, uow: UowDep, actor: Planner) -> schemas.PlanRead:
    planning.accept_plan(uow, plan_id, actor=actor)
    return queries.get_plan(uow, plan_id, actor=actor)


# --- scans and accountability ----------------------------------------------------------------------------


@router.post("/scans")
def record_scans(
    batch: schemas.ScanBatch, uow: UowDep, actor: Scanner, container: ContainerDep
) -> schemas.ScanBatchResult:
    """A batch of checkpoint scans, as devices made them (offline ones late, in any order). Each is
    judged on its own with its reason; a scan already received (same ``client_id``) changes nothing."""
    key = passes.public_key(
        passes.key_path(container.settings.var_dir, container.settings.boarding_pass_key_file)
    )
    return scans.record_scans(uow, batch, actor=actor, public_key=key)


@router.get("/persons/{person_id}/movements")
def person_movements(person_id: uuid.UUID, uow: UowDep, actor: Reader) -> schemas.PersonMovement:
    """The person's state derived from their scans at your sites, and every such scan."""
    return queries.person_movement(uow, person_id, actor=actor)


@router.get("/sites/{site_id}/presence")
def site_presence(site_id: uuid.UUID, uow: UowDep, actor: Reader) -> schemas.SitePresence:
    """Who is at this site now, by their latest scan (checked in for a leg, or arrived)."""
    return queries.site_presence(uow, site_id, actor=actor)
