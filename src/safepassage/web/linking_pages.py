"""The linking pages: the review queue (both records side by side with the reasons), decisions,
bulk acceptance of a near-certain band, merge and unmerge, family tracing with its notifications.
Thin: the rules live in ``safepassage.linking``; a refused act comes back as a message."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from safepassage.linking import merging, queries, services, tracing
from safepassage.linking.models import Band, PairStatus, Verdict
from safepassage.linking.schemas import TracingCreate
from safepassage.security.policy import Actor, Permission
from safepassage.shared.errors import DomainError, FieldProblem, Invalid
from safepassage.shared.ids import parse_id
from safepassage.web.registry_pages import site_choices, sites_for
from safepassage.web.render import PageRoute, redirect, render
from safepassage.web.security import FormDep, Page, check_csrf, flash, get_container

router = APIRouter(route_class=PageRoute, include_in_schema=False, dependencies=[Depends(check_csrf)])

Reviewer = Annotated[Actor, Depends(Page(Permission.LINKING_REVIEW))]
Merger = Annotated[Actor, Depends(Page(Permission.LINKING_MERGE))]
Tracer = Annotated[Actor, Depends(Page(Permission.TRACING_REQUEST))]


def _refused(request: Request, exc: DomainError, back: str) -> Response:
    details = "; ".join(f"{p.field}: {p.reason}" for p in exc.problems)
    flash(request, f"{exc.message}{' (' + details + ')' if details else ''}")
    return redirect(back)


@router.get("/linking")
def queue(request: Request, actor: Reviewer, band: str = "", status: str = "open") -> Response:
    container = get_container(request)
    shown_band = Band(band) if band in {b.value for b in Band} else None
    shown_status = PairStatus(status) if status in {s.value for s in PairStatus} else PairStatus.OPEN
    pairs = queries.list_pairs(container.uow(), actor=actor, status=shown_status, band=shown_band, limit=200)
    runs = queries.list_runs(container.uow(), actor=actor, limit=5)
    merges = queries.list_merges(container.uow(), actor=actor, limit=50)
    return render(
        request,
        "linking.html",
        pairs=pairs,
        runs=runs,
        merges=merges,
        bands=[b.value for b in Band],
        statuses=[s.value for s in PairStatus],
        band=band,
        shown_status=shown_status.value,
    )


@router.get("/linking/pairs/{pair_id}")
def pair_page(request: Request, pair_id: uuid.UUID, actor: Reviewer) -> Response:
    pair = queries.get_pair(get_container(request).uow(), pair_id, actor=actor)
    return render(request, "linking_pair.html", pair=pair)


@router.post("/linking/run")
def run(request: Request, actor: Merger) -> Response:
    try:
        services.run_batch(get_container(request).uow(), actor=actor)
    except DomainError as exc:
        return _refused(request, exc, "/linking")
    return redirect("/linking")


@router.post("/linking/runs/{run_id}/accept-near-certain")
def accept_band(request: Request, run_id: uuid.UUID, data: FormDep, actor: Merger) -> Response:
    try:
        services.accept_band(
            get_container(request).uow(), run_id, reason=str(data.get("reason") or ""), actor=actor
        )
    except DomainError as exc:
        return _refused(request, exc, "/linking")
    return redirect("/linking?status=accepted")


@router.post("/linking/pairs/{pair_id}/decide")
def decide(request: Request, pair_id: uuid.UUID, data: FormDep, actor: Reviewer) -> Response:
    verdict = Verdict.ACCEPTED if data.get("verdict") == "accepted" else Verdict.REJECTED
    try:
        services.decide_pair(
            get_container(request).uow(), pair_id, verdict, reason=str(data.get("reason") or ""), actor=actor
        )
    except DomainError as exc:
        return _refused(request, exc, f"/linking/pairs/{pair_id}")
    return redirect(f"/linking/pairs/{pair_id}")


@router.post("/linking/pairs/{pair_id}/merge")
def merge(request: Request, pair_id: uuid.UUID, data: FormDep, actor: Merger) -> Response:
    try:
        merging.merge_pair(
            get_container(request).uow(),
            pair_id,
            survivor_id=parse_id(str(data.get("survivor_id") or "")),
            reason=str(data.get("reason") or ""),
            actor=actor,
        )
    except DomainError as exc:
        return _refused(request, exc, f"/linking/pairs/{pair_id}")
    return redirect(f"/linking/pairs/{pair_id}")


@router.post("/linking/merges/{merge_id}/unmerge")
def unmerge(request: Request, merge_id: uuid.UUID, data: FormDep, actor: Merger) -> Response:
    try:
        merging.unmerge(
            get_container(request).uow(), merge_id, reason=str(data.get("reason") or ""), actor=actor
        )
    except DomainError as exc:
        return _refused(request, exc, "/linking")
    return redirect("/linking")


@router.get("/tracing")
def tracing_page(request: Request, actor: Tracer) -> Response:
    container = get_container(request)
    return render(
        request,
        "tracing.html",
        requests=tracing.list_requests(container.uow(), actor=actor, limit=100),
        notifications=tracing.my_notifications(container.uow(), actor=actor),
        sites=site_choices(sites_for(container.uow(), actor)),
    )


@router.post("/tracing")
def file_request(request: Request, data: FormDep, actor: Tracer) -> Response:
    year_text = str(data.get("approx_birth_year") or "").strip()
    tolerance_text = str(data.get("age_tolerance_years") or "").strip()
    try:
        site = parse_id(str(data.get("site_id") or ""))
        if site is None:
            raise Invalid("choose a site", problems=[FieldProblem("site_id", "required")])
        cmd = TracingCreate(
            site_id=site,
            given_name=str(data.get("given_name") or ""),
            father_name=str(data.get("father_name") or ""),
            family_name=str(data.get("family_name") or ""),
            approx_birth_year=int(year_text) if year_text.isdigit() else None,
            age_tolerance_years=int(tolerance_text) if tolerance_text.isdigit() else 3,
            place=str(data.get("place") or ""),
            relationship=str(data.get("relationship") or ""),
            requester_name=str(data.get("requester_name") or ""),
        )
        request_id = tracing.create_request(get_container(request).uow(), cmd, actor=actor)
    except DomainError as exc:
        return _refused(request, exc, "/tracing")
    except ValueError as exc:  # pydantic's bounds on the fields
        flash(request, str(exc).splitlines()[0])
        return redirect("/tracing")
    return redirect(f"/tracing/{request_id}")


@router.get("/tracing/{request_id}")
def tracing_request(request: Request, request_id: uuid.UUID, actor: Tracer) -> Response:
    found = tracing.get_request(get_container(request).uow(), request_id, actor=actor)
    return render(request, "tracing_request.html", req=found)
