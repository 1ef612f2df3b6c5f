"""Movement pages: legs, plans (propose, read, accept), eligibility, a leg's accountability and
passes, a person's scans, a site's presence, and the checkpoint page (type a pass number, or scan its
QR code with the device camera; scans made offline wait in the browser and are uploaded later).

Thin: the rules live in ``safepassage.movements``; a refused act comes back as a message. Manifests
and passes are downloaded from the API's routes (the session cookie signs them in there too).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Annotated
from urllib.parse import urlencode

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from safepassage.movements import legs, passes, planning, queries, scans
from safepassage.movements.models import Checkpoint, LegKind
from safepassage.movements.operation import policy_for
from safepassage.movements.planner import LegStatus
from safepassage.movements.schemas import LegCreate, LegStatusChange, ScanBatch, ScanIn
from safepassage.security.policy import Actor, Permission
from safepassage.shared.errors import DomainError, NotFound
from safepassage.shared.ids import new_id, parse_id
from safepassage.web.registry_pages import site_choices, sites_for
from safepassage.web.render import PageRoute, redirect, render
from safepassage.web.security import FormDep, Page, check_csrf, flash, get_container

router = APIRouter(route_class=PageRoute, include_in_schema=False, dependencies=[Depends(check_csrf)])

Reader = Annotated[Actor, Depends(Page(Permission.MOVEMENTS_READ))]
Planner = Annotated[Actor, Depends(Page(Permission.MOVEMENTS_PLAN))]
Manager = Annotated[Actor, Depends(Page(Permission.MOVEMENTS_MANAGE))]
Scanner = Annotated[Actor, Depends(Page(Permission.MOVEMENTS_SCAN))]


def _id(value: object) -> uuid.UUID:
    parsed = parse_id(str(value or ""))
    if parsed is None:
        raise NotFound("no such record")
    return parsed


def _refused(request: Request, exc: DomainError | ValidationError, back: str) -> Response:
    if isinstance(exc, ValidationError):
        message = "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors())
    else:
        details = "; ".join(f"{p.field}: {p.reason}" for p in exc.problems)
        message = f"{exc.message}{' (' + details + ')' if details else ''}"
    flash(request, message)
    return redirect(back)


@router.get("/movements")
def movements_home(request: Request, actor: Reader) -> Response:
    container = get_container(request)
    sites = sites_for(container.uow(), actor)
    return render(
        request,
        "movements.html",
        legs=queries.list_legs(container.uow(), actor=actor),
        plans=queries.list_plans(container.uow(), actor=actor),
        sites=site_choices(sites),
        my_sites=site_choices([s for s in sites if actor.covers(s.id)]),
        may_manage=actor.can(Permission.MOVEMENTS_MANAGE),
        may_plan=actor.can(Permission.MOVEMENTS_PLAN),
    )


@router.post("/movements/legs")
def create_leg(request: Request, data: FormDep, actor: Manager) -> Response:
    container = get_container(request)
    try:
        departure = dt.datetime.fromisoformat(str(data.get("departure_at") or "")).replace(tzinfo=dt.UTC)
        cmd = LegCreate(
            code=str(data.get("code") or ""),
            kind=LegKind(str(data.get("kind") or "flight")),
            origin_site_id=_id(data.get("origin_site_id")),
            destination_site_id=_id(data.get("destination_site_id")),
            departure_at=departure,
            seats=int(str(data.get("seats") or 0)),
            lap_places=int(str(data.get("lap_places") or 0)),
            stretcher_places=int(str(data.get("stretcher_places") or 0)),
            baggage_kg=float(str(data.get("baggage_kg") or 0)),
        )
        leg_id = legs.create_leg(container.uow(), cmd, actor=actor)
    except (DomainError, ValidationError) as exc:
        return _refused(request, exc, "/movements")
    except ValueError as exc:
        flash(request, f"the leg was not created: {exc}")
        return redirect("/movements")
    return redirect(f"/movements/legs/{leg_id}")


@router.get("/movements/legs/{leg_id}")
def leg_page(request: Request, leg_id: uuid.UUID, actor: Reader) -> Response:
    container = get_container(request)
    leg = queries.get_leg(container.uow(), leg_id, actor=actor)
    return render(
        request,
        "movement_leg.html",
        leg=leg,
        report=queries.leg_accountability(container.uow(), leg_id, actor=actor),
        passes=queries.list_passes(container.uow(), leg_id, actor=actor),
        statuses=[s.value for s in LegStatus if s is not leg.status],
        may_manage=actor.can(Permission.MOVEMENTS_MANAGE) and actor.covers(leg.origin_site_id),
        may_plan=actor.can(Permission.MOVEMENTS_PLAN) and actor.covers(leg.origin_site_id),
        may_read_documents=actor.can(Permission.MOVEMENTS_PLAN) and actor.can(Permission.IDENTIFYING_READ),
    )


@router.post("/movements/legs/{leg_id}/status")
def leg_status(request: Request, leg_id: uuid.UUID, data: FormDep, actor: Manager) -> Response:
    container = get_container(request)
    try:
        cmd = LegStatusChange(
            status=LegStatus(str(data.get("status") or "")), reason=str(data.get("reason") or "")
        )
        legs.set_leg_status(container.uow(), leg_id, cmd, actor=actor)
    except (DomainError, ValidationError) as exc:
        return _refused(request, exc, f"/movements/legs/{leg_id}")
    except ValueError:
        flash(request, "no such status")
    return redirect(f"/movements/legs/{leg_id}")


@router.post("/movements/legs/{leg_id}/passes")
def leg_passes(request: Request, leg_id: uuid.UUID, actor: Planner) -> Response:
    container = get_container(request)
    try:
        made = passes.issue_passes(container.uow(), leg_id, actor=actor)
    except DomainError as exc:
        return _refused(request, exc, f"/movements/legs/{leg_id}")
    flash(request, f"{len(made)} boarding passes issued")
    return redirect(f"/movements/legs/{leg_id}")


@router.post("/movements/plans")
def propose(request: Request, data: FormDep, actor: Planner) -> Response:
    container = get_container(request)
    try:
        policy = policy_for(container.settings.movement_policy_file)
        plan_id = planning.propose_plan(
            container.uow(),
            _id(data.get("origin_site_id")),
            actor=actor,
            policy=policy,
            reason=str(data.get("reason") or "") or None,
        )
    except DomainError as exc:
        return _refused(request, exc, "/movements")
    return redirect(f"/movements/plans/{plan_id}")


@router.get("/movements/plans/{plan_id}")
def plan_page(request: Request, plan_id: uuid.UUID, actor: Reader) -> Response:
    container = get_container(request)
    plan = queries.get_plan(container.uow(), plan_id, actor=actor)
    by_leg: dict[str, int] = {}
    for a in plan.assignments:
        by_leg[a.leg_code or "—"] = by_leg.get(a.leg_code or "—", 0) + 1
    return render(
        request,
        "movement_plan.html",
        plan=plan,
        by_leg=sorted(by_leg.items()),
        changed=[a for a in plan.assignments if a.change_reason],
        may_accept=actor.can(Permission.MOVEMENTS_PLAN) and plan.status.value == "proposed",
    )


@router.post("/movements/plans/{plan_id}/accept")
def accept(request: Request, plan_id: uuid.UUID, actor: Planner) -> Response:
    container = get_container(request)
    try:
        revoked = planning.accept_plan(container.uow(), plan_id, actor=actor)
    except DomainError as exc:
        return _refused(request, exc, f"/movements/plans/{plan_id}")
    flash(request, f"plan accepted; {revoked} boarding passes revoked")
    return redirect(f"/movements/plans/{plan_id}")


@router.get("/movements/eligibility")
def eligibility(request: Request, actor: Planner, site_id: str = "") -> Response:
    container = get_container(request)
    sites = [s for s in sites_for(container.uow(), actor) if actor.covers(s.id)]
    chosen = parse_id(site_id) or (sites[0].id if sites else None)
    rows = (
        queries.eligibility_rows(
            container.uow(), chosen, actor=actor, policy=policy_for(container.settings.movement_policy_file)
        )
        if chosen
        else []
    )
    return render(
        request, "movement_eligibility.html", rows=rows, sites=site_choices(sites), chosen=str(chosen or "")
    )


@router.get("/movements/persons/{person_id}")
def person_scans(request: Request, person_id: uuid.UUID, actor: Reader) -> Response:
    container = get_container(request)
    return render(
        request,
        "movement_person.html",
        movement=queries.person_movement(container.uow(), person_id, actor=actor),
    )


@router.get("/movements/sites/{site_id}")
def site_presence(request: Request, site_id: uuid.UUID, actor: Reader) -> Response:
    container = get_container(request)
    return render(
        request, "movement_site.html", presence=queries.site_presence(container.uow(), site_id, actor=actor)
    )


# --- the checkpoint ------------------------------------------------------------------------------------


@router.get("/checkpoint")
def checkpoint(
    request: Request, actor: Scanner, site_id: str = "", leg_id: str = "", kind: str = ""
) -> Response:
    container = get_container(request)
    sites = [s for s in sites_for(container.uow(), actor) if actor.covers(s.id)]
    chosen = parse_id(site_id) or (sites[0].id if sites else None)
    site_legs = queries.list_legs(container.uow(), actor=actor, site_id=chosen) if chosen else []
    return render(
        request,
        "checkpoint.html",
        sites=site_choices(sites),
        chosen=str(chosen or ""),
        legs=[
            (str(leg.id), f"{leg.code} {leg.origin_site_code} → {leg.destination_site_code}")
            for leg in site_legs
        ],
        leg=leg_id,
        kind=kind or Checkpoint.ASSEMBLY_CHECK_IN.value,
    )


def _key(request: Request) -> Ed25519PublicKey:
    settings = get_container(request).settings
    return passes.public_key(passes.key_path(settings.var_dir, settings.boarding_pass_key_file))


@router.post("/checkpoint")
def checkpoint_typed(request: Request, data: FormDep, actor: Scanner) -> Response:
    """Without a script: one typed pass number (or pasted code), recorded at once."""
    container = get_container(request)
    back = "/checkpoint?" + urlencode(
        {
            "site_id": data.get("site_id") or "",
            "leg_id": data.get("leg_id") or "",
            "kind": data.get("checkpoint") or "",
        }
    )
    typed = str(data.get("pass") or "").strip()
    try:
        scan = ScanIn(
            client_id=f"web-{new_id().hex}",
            token=typed if typed.startswith(passes.PREFIX) else None,
            pass_number=None if typed.startswith(passes.PREFIX) else typed,
            checkpoint=Checkpoint(str(data.get("checkpoint") or "")),
            site_id=_id(data.get("site_id")),
            leg_id=parse_id(str(data.get("leg_id") or "")),
            device_at=container.clock.now(),
        )
        result = scans.record_scans(
            container.uow(), ScanBatch(scans=[scan]), actor=actor, public_key=_key(request)
        ).results[0]
    except (DomainError, ValidationError) as exc:
        return _refused(request, exc, back)
    except ValueError:
        flash(request, "choose a checkpoint")
        return redirect(back)
    flash(request, f"{typed}: {result.outcome.value}" + (f" — {result.reason}" if result.reason else ""))
    return redirect(back)


@router.post("/checkpoint/upload")
def checkpoint_upload(request: Request, data: FormDep, actor: Scanner) -> Response:
    """The checkpoint page's script uploads its queue here (form field ``scans``: a JSON list)."""
    container = get_container(request)
    try:
        batch = ScanBatch(scans=json.loads(str(data.get("scans") or "[]")))
        result = scans.record_scans(container.uow(), batch, actor=actor, public_key=_key(request))
    except (ValidationError, json.JSONDecodeError) as exc:
        return JSONResponse({"error": str(exc)[:500]}, status_code=422)
    return JSONResponse(result.model_dump(mode="json"))
