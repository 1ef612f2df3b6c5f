"""Placement API: regions, household profiles, outcome history, runs, proposals and decisions,
utilisation. Thin: the rules live in ``safepassage.placement``.

Runs are executed in the background: ``POST /runs`` answers 202 with the queued run, whose status,
stage and progress ``GET /runs/{run}`` shows until it is done (or failed, with the reason).

CSV uploads (regions, history) take the file's text either as the request body with
``Content-Type: text/csv`` or as JSON ``{"csv": "...", "source": "..."}``; bad rows come back with
their row number, field and reason, and the valid rows are kept.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import ValidationError

from safepassage.api.deps import Allowed, ContainerDep, UowDep
from safepassage.placement import decisions, queries, runs, services
from safepassage.placement.models import ProposalStatus
from safepassage.placement.schemas import (
    CapacityUpdate,
    CsvUpload,
    Decision,
    ImportReport,
    Override,
    ProfileRead,
    ProfileUpdate,
    ProposalRead,
    RegionCreate,
    RegionRead,
    RegionUpdate,
    Rejection,
    RowProblemRead,
    RunCreate,
    RunRead,
)
from safepassage.security.policy import Actor, Permission
from safepassage.shared.errors import FieldProblem, Invalid


def _finish_runs() -> None:
    """On shutdown, let a run in progress finish (a run left behind is marked interrupted later)."""
    runs.WORKER.wait(timeout=120)


router = APIRouter(prefix="/api/v1/placement", tags=["placement"], on_shutdown=[_finish_runs])
Period = Annotated[str | None, Query(description="A month (2026-11) or a quarter (2026-Q4); default: now.")]

Reader = Annotated[Actor, Depends(Allowed(Permission.PLACEMENT_READ))]
Planner = Annotated[Actor, Depends(Allowed(Permission.PLACEMENT_PLAN))]
Decider = Annotated[Actor, Depends(Allowed(Permission.PLACEMENT_DECIDE))]
RegionManager = Annotated[Actor, Depends(Allowed(Permission.REGIONS_MANAGE))]
MAX_UPLOAD = 50 * 1024 * 1024


async def _upload(request: Request) -> CsvUpload:
    body = await request.body()
    if len(body) > MAX_UPLOAD:
        raise Invalid("the file is larger than 50 MB")
    if request.headers.get("content-type", "").split(";")[0].strip() == "text/csv":
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise Invalid("the file is not UTF-8 text") from None
        return CsvUpload(csv=text or " ", source=request.headers.get("x-source", "api upload")[:200])
    try:
        return CsvUpload.model_validate_json(body or b"{}")
    except ValidationError as exc:
        problems = [
            FieldProblem(".".join(str(p) for p in e["loc"]) or "body", e["msg"]) for e in exc.errors()
        ]
        raise Invalid("send the CSV as text/csv, or JSON with a csv field", problems=problems) from None


def _report(result: services.ImportResult) -> ImportReport:
    return ImportReport(
        accepted=result.accepted,
        created=result.created,
        updated=result.updated,
        problems=[RowProblemRead(row=p.row, field=p.field, reason=p.reason) for p in result.problems],
    )


# --- regions ------------------------------------------------------------------------------------------


@router.get("/regions")
def list_regions(uow: UowDep, actor: Reader, period: Period = None) -> list[RegionRead]:
    """Every region with its capacities for the period, what decided placements use and what is left."""
    return queries.list_regions(uow, actor=actor, period=period)


@router.post("/regions", status_code=201)
def create_region(cmd: RegionCreate, uow: UowDep, actor: RegionManager) -> RegionRead:
    services.create_region(uow, cmd, actor=actor)
    return next(r for r in queries.list_regions(uow, actor=actor, period=cmd.period) if r.code == cmd.code)


@router.patch("/regions/{region}")
def update_region(region: str, cmd: RegionUpdate, uow: UowDep, actor: RegionManager) -> RegionRead:
    """Attributes, and the capacities given for ``period`` (default: the current month)."""
    services.update_region(uow, region, cmd, actor=actor)
    return next(r for r in queries.list_regions(uow, actor=actor, period=cmd.period) if r.code == region)


@router.put("/regions/{region}/capacities/{period}")
def set_capacities(
    region: str, period: str, cmd: CapacityUpdate, uow: UowDep, actor: RegionManager
) -> RegionRead:
    """A region's capacities for one period (a month 2026-11 or a quarter 2026-Q4)."""
    services.set_capacities(uow, region, period, cmd, actor=actor)
    return next(r for r in queries.list_regions(uow, actor=actor, period=period) if r.code == region)


@router.post("/regions/import")
async def import_regions(
    request: Request, uow: UowDep, actor: RegionManager, period: Period = None
) -> ImportReport:
    """R.csv (the engine's columns, plus optional name, latitude, longitude, period): creates or
    updates; capacities are recorded for the row's period, else ``period``, else the current month."""
    upload = await _upload(request)
    return _report(services.import_regions(uow, upload.csv, actor=actor, period=period))


@router.get("/utilisation")
def utilisation(uow: UowDep, actor: Reader, period: Period = None) -> list[RegionRead]:
    """Per region and resource, for the period: capacity, used by decided placements, left, share."""
    return queries.list_regions(uow, actor=actor, include_closed=False, period=period)


# --- profiles and history --------------------------------------------------------------------------


@router.get("/households/{household_id}/profile")
def get_profile(household_id: uuid.UUID, uow: UowDep, actor: Reader) -> ProfileRead:
    return queries.get_profile(uow, household_id, actor=actor)


@router.put("/households/{household_id}/profile")
def set_profile(household_id: uuid.UUID, cmd: ProfileUpdate, uow: UowDep, actor: Planner) -> ProfileRead:
    """What the registry lacks: education, occupation, dialysis/oncology places, tie, preferences."""
    services.set_profile(uow, household_id, cmd, actor=actor)
    return queries.get_profile(uow, household_id, actor=actor)


@router.post("/history/import")
async def import_history(request: Request, uow: UowDep, actor: Planner) -> ImportReport:
    """Past placements with outcomes, in the engine's X.csv format."""
    upload = await _upload(request)
    return _report(services.import_history(uow, upload.csv, actor=actor, source=upload.source))


@router.get("/history")
def history(uow: UowDep, actor: Reader) -> dict[str, int]:
    """How many past placements the outcome model can learn from, per region."""
    return queries.history_summary(uow, actor=actor)


# --- runs and proposals -----------------------------------------------------------------------------


@router.post("/runs", status_code=202)
def create_run(cmd: RunCreate, container: ContainerDep, actor: Planner) -> RunRead:
    """Queue a run proposing a region for every unplaced household of your sites (nothing is applied);
    202 with the run: follow its status and progress at ``GET /runs/{id}``."""
    run_id = runs.start_run(container.uow, cmd, actor=actor)
    return queries.get_run(container.uow(), run_id, actor=actor)


@router.get("/runs")
def list_runs(uow: UowDep, actor: Reader, limit: Annotated[int, Query(ge=1, le=200)] = 20) -> list[RunRead]:
    return queries.list_runs(uow, actor=actor, limit=limit)


@router.get("/runs/{run}")
def get_run(run: uuid.UUID, uow: UowDep, actor: Reader) -> RunRead:
    return queries.get_run(uow, run, actor=actor)


@router.get("/proposals")
def list_proposals(
    uow: UowDep,
    actor: Reader,
    run_id: uuid.UUID | None = None,
    status: ProposalStatus | None = None,
    household_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=queries.MAX_PAGE)] = 200,
) -> list[ProposalRead]:
    """Proposals of households in your sites, newest run first."""
    return queries.list_proposals(
        uow, actor=actor, run_id=run_id, status=status, household_id=household_id, limit=limit
    )


@router.post("/proposals/{proposal}/accept")
def accept(proposal: uuid.UUID, cmd: Decision, uow: UowDep, actor: Decider) -> dict[str, str]:
    decisions.accept_proposal(uow, proposal, reason=cmd.reason, actor=actor)
    return {"id": str(proposal), "status": ProposalStatus.ACCEPTED.value}


@router.post("/proposals/{proposal}/reject")
def reject(proposal: uuid.UUID, cmd: Rejection, uow: UowDep, actor: Decider) -> dict[str, str]:
    decisions.reject_proposal(uow, proposal, reason=cmd.reason, actor=actor)
    return {"id": str(proposal), "status": ProposalStatus.REJECTED.value}


@router.post("/proposals/{proposal}/override")
def override(proposal: uuid.UUID, cmd: Override, uow: UowDep, actor: Decider) -> dict[str, str]:
    decisions.override_proposal(uow, proposal, region=cmd.region, reason=cmd.reason, actor=actor)
    return {"id": str(proposal), "status": ProposalStatus.OVERRIDDEN.value, "region": cmd.region}


@router.post("/proposals/{proposal}/withdraw")
def withdraw(proposal: uuid.UUID, cmd: Rejection, uow: UowDep, actor: Decider) -> dict[str, str]:
    """Undo an accepted or overridden placement, with a reason: the capacity is freed."""
    decisions.withdraw_placement(uow, proposal, reason=cmd.reason, actor=actor)
    return {"id": str(proposal), "status": ProposalStatus.WITHDRAWN.value}
