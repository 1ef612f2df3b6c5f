"""Linking workflow API: batch runs, the review queue, decisions, bulk acceptance of a band, merge and
unmerge. Thin: the rules live in ``safepassage.linking``."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from safepassage.api.deps import Allowed, UowDep
from safepassage.linking import merging, queries, services, tracing
from safepassage.linking.models import Band, PairStatus, Verdict
from safepassage.linking.schemas import (
    BandAcceptance,
    Decision,
    MergeCreate,
    MergeRead,
    NotificationRead,
    PairRead,
    RunCreate,
    RunRead,
    TracingCreate,
    TracingRead,
    Unmerge,
)
from safepassage.security.policy import Actor, Permission

router = APIRouter(prefix="/api/v1/linking", tags=["linking"])

Reviewer = Annotated[Actor, Depends(Allowed(Permission.LINKING_REVIEW))]
Merger = Annotated[Actor, Depends(Allowed(Permission.LINKING_MERGE))]
Tracer = Annotated[Actor, Depends(Allowed(Permission.TRACING_REQUEST))]


@router.post("/runs", status_code=201)
def create_run(cmd: RunCreate, uow: UowDep, actor: Merger) -> RunRead:
    """Score every person of your sites; queue the pairs in bands. Nothing is merged."""
    options = services.RunOptions(floor=cmd.floor, near_certain=cmd.near_certain)
    run_id = services.run_batch(uow, options, actor=actor)
    return queries.get_run(uow, run_id, actor=actor)


@router.get("/runs")
def list_runs(uow: UowDep, actor: Reviewer, limit: Annotated[int, Query(ge=1, le=200)] = 20) -> list[RunRead]:
    return queries.list_runs(uow, actor=actor, limit=limit)


@router.get("/runs/{link_run}")
def get_run(link_run: uuid.UUID, uow: UowDep, actor: Reviewer) -> RunRead:
    return queries.get_run(uow, link_run, actor=actor)


@router.post("/runs/{link_run}/accept-near-certain")
def accept_band(link_run: uuid.UUID, cmd: BandAcceptance, uow: UowDep, actor: Merger) -> dict[str, object]:
    """Accept every open near-certain pair of the run that you may see (they are not merged yet)."""
    accepted = services.accept_band(uow, link_run, reason=cmd.reason, actor=actor)
    return {"run": str(link_run), "accepted": [str(p) for p in accepted]}


@router.get("/pairs")
def list_pairs(
    uow: UowDep,
    actor: Reviewer,
    status: PairStatus | None = PairStatus.OPEN,
    band: Band | None = None,
    run_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=queries.MAX_PAGE)] = 200,
) -> list[PairRead]:
    """The review queue: both records side by side with the engine's explanation."""
    return queries.list_pairs(uow, actor=actor, status=status, band=band, run_id=run_id, limit=limit)


@router.get("/pairs/{pair}")
def get_pair(pair: uuid.UUID, uow: UowDep, actor: Reviewer) -> PairRead:
    return queries.get_pair(uow, pair, actor=actor)


@router.post("/pairs/{pair}/accept")
def accept(pair: uuid.UUID, cmd: Decision, uow: UowDep, actor: Reviewer) -> dict[str, str]:
    """The same person (a supervisor then merges the two records)."""
    services.decide_pair(uow, pair, Verdict.ACCEPTED, reason=cmd.reason, actor=actor)
    return {"id": str(pair), "status": PairStatus.ACCEPTED.value}


@router.post("/pairs/{pair}/reject")
def reject(pair: uuid.UUID, cmd: Decision, uow: UowDep, actor: Reviewer) -> dict[str, str]:
    """Two people, with a reason: later runs keep them apart."""
    services.decide_pair(uow, pair, Verdict.REJECTED, reason=cmd.reason, actor=actor)
    return {"id": str(pair), "status": PairStatus.REJECTED.value}


@router.post("/pairs/{pair}/merge", status_code=201)
def merge(pair: uuid.UUID, cmd: MergeCreate, uow: UowDep, actor: Merger) -> dict[str, str]:
    """Merge an accepted pair (reversible: see ``/merges/{merge}/unmerge``)."""
    merge_id = merging.merge_pair(uow, pair, survivor_id=cmd.survivor_id, reason=cmd.reason, actor=actor)
    return {"id": str(merge_id), "pair": str(pair)}


@router.get("/merges")
def list_merges(
    uow: UowDep, actor: Reviewer, limit: Annotated[int, Query(ge=1, le=queries.MAX_PAGE)] = 200
) -> list[MergeRead]:
    return queries.list_merges(uow, actor=actor, limit=limit)


@router.post("/merges/{merge}/unmerge")
def unmerge(merge: uuid.UUID, cmd: Unmerge, uow: UowDep, actor: Merger) -> dict[str, str]:
    """Undo a merge: both records restored; the pair is kept apart from now on."""
    merging.unmerge(uow, merge, reason=cmd.reason, actor=actor)
    return {"id": str(merge), "status": "undone"}


# --- family tracing ------------------------------------------------------------------------------


@router.post("/tracing", status_code=201)
def create_tracing(cmd: TracingCreate, uow: UowDep, actor: Tracer) -> TracingRead:
    """File a tracing request (a record of your site); answers its ranked candidates with reasons."""
    request_id = tracing.create_request(uow, cmd, actor=actor)
    return tracing.get_request(uow, request_id, actor=actor)


@router.get("/tracing")
def list_tracing(
    uow: UowDep, actor: Tracer, limit: Annotated[int, Query(ge=1, le=queries.MAX_PAGE)] = 200
) -> list[TracingRead]:
    return tracing.list_requests(uow, actor=actor, limit=limit)


@router.post("/tracing/recheck")
def recheck_tracing(uow: UowDep, actor: Tracer) -> dict[str, int]:
    """Search again for your sites' open requests (new registrations); notifies caseworkers."""
    return {"new_candidates": tracing.recheck_open_requests(uow, actor=actor)}


@router.get("/tracing/{tracing_request}")
def get_tracing(tracing_request: uuid.UUID, uow: UowDep, actor: Tracer) -> TracingRead:
    return tracing.get_request(uow, tracing_request, actor=actor)


@router.post("/tracing/{tracing_request}/close")
def close_tracing(tracing_request: uuid.UUID, uow: UowDep, actor: Tracer) -> dict[str, str]:
    tracing.close_request(uow, tracing_request, actor=actor)
    return {"id": str(tracing_request), "status": "closed"}


@router.get("/notifications")
def notifications(uow: UowDep, actor: Tracer, unread_only: bool = False) -> list[NotificationRead]:
    """Your notifications: new strong candidates for the tracing requests you follow."""
    return tracing.my_notifications(uow, actor=actor, unread_only=unread_only)
