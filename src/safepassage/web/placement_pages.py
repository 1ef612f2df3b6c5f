"""The placement officer's pages: proposal review (run the engine; accept, reject or override each
proposal with a reason), per-region utilisation, and a map drawn on the server as inline SVG (no
tiles, no CDN: the CSP allows neither). Thin: the rules live in ``safepassage.placement``; a refused
decision comes back as a message naming the reason."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import ValidationError

from safepassage.placement import decisions, queries, runs, services
from safepassage.placement.engine import Education, ReasonCode, TieMode
from safepassage.placement.models import ProposalStatus
from safepassage.placement.schemas import ProfileUpdate, RegionRead, RunCreate
from safepassage.security.policy import Actor, Permission
from safepassage.shared.errors import DomainError, Invalid
from safepassage.shared.ids import parse_id
from safepassage.web.labels import N_, Gettext
from safepassage.web.registry_pages import site_choices, sites_for
from safepassage.web.render import PageRoute, gettext_for, redirect, render
from safepassage.web.security import FormDep, Page, check_csrf, flash, get_container

router = APIRouter(route_class=PageRoute, include_in_schema=False, dependencies=[Depends(check_csrf)])

Reader = Annotated[Actor, Depends(Page(Permission.PLACEMENT_READ))]
Planner = Annotated[Actor, Depends(Page(Permission.PLACEMENT_PLAN))]
Decider = Annotated[Actor, Depends(Page(Permission.PLACEMENT_DECIDE))]

RESOURCES: dict[str, str] = {
    "quota_persons": N_("Quota (persons)"),
    "housing_small": N_("Small housing units"),
    "housing_large": N_("Large housing units"),
    "school_places": N_("School places"),
    "kindergarten_places": N_("Kindergarten places"),
    "dialysis": N_("Dialysis"),
    "oncology": N_("Oncology"),
    "disability": N_("Disability services"),
    "language_course": N_("Language-course places"),
}
REASONS: dict[str, str] = {
    ReasonCode.BEST: N_("the best region for this household"),
    ReasonCode.CAPACITY: N_("the better region's capacity is taken or worth more to others"),
    ReasonCode.QUOTA: N_("the better region's quota is reached"),
    ReasonCode.NEED: N_("the better region lacks a service the household needs"),
    ReasonCode.TIE: N_("a family tie keeps the household in its tie region"),
    ReasonCode.UNPLACED_NEED: N_("unplaced: no region offers a needed service"),
    ReasonCode.UNPLACED_TIE: N_("unplaced: the tie region cannot take the household"),
    ReasonCode.UNPLACED_CAPACITY: N_("unplaced: no eligible region has room"),
    ReasonCode.UNPLACED_SOLVER: N_("unplaced: the optimiser stopped early"),
}
EDUCATION: dict[str, str] = {
    Education.NONE: N_("no formal education"),
    Education.PRIMARY: N_("primary"),
    Education.SECONDARY: N_("secondary"),
    Education.VOCATIONAL: N_("vocational"),
    Education.TERTIARY: N_("university"),
}
STATUSES: dict[str, str] = {
    ProposalStatus.PROPOSED: N_("waiting for a decision"),
    ProposalStatus.ACCEPTED: N_("accepted"),
    ProposalStatus.OVERRIDDEN: N_("overridden"),
    ProposalStatus.REJECTED: N_("rejected"),
    ProposalStatus.SUPERSEDED: N_("superseded by a later run"),
    ProposalStatus.WITHDRAWN: N_("withdrawn"),
}


def _labels(gettext: Gettext) -> dict[str, dict[str, str]]:
    return {
        "resource": {k: gettext(v) for k, v in RESOURCES.items()},
        "reason": {k: gettext(v) for k, v in REASONS.items()},
        "status": {k: gettext(v) for k, v in STATUSES.items()},
    }


@router.get("/placement")
def review(request: Request, actor: Reader) -> Response:
    """The proposals of one run (the latest by default), pending first, each with its explanation."""
    container = get_container(request)
    run_id = parse_id(request.query_params.get("run", "")) or queries.latest_run_id(
        container.uow(), actor=actor
    )
    wanted = request.query_params.get("status", ProposalStatus.PROPOSED.value)
    status = ProposalStatus(wanted) if wanted in ProposalStatus.__members__.values() else None
    run = queries.get_run(container.uow(), run_id, actor=actor) if run_id is not None else None
    proposals = (
        queries.list_proposals(container.uow(), actor=actor, run_id=run_id, status=status)
        if run_id is not None
        else []
    )
    regions = queries.list_regions(container.uow(), actor=actor, include_closed=False)
    return render(
        request,
        "placement.html",
        run=run,
        runs=queries.list_runs(container.uow(), actor=actor, limit=10),
        proposals=proposals,
        shown=status.value if status else "",
        statuses=[(s.value, _labels(gettext_for(request))["status"][s.value]) for s in ProposalStatus],
        region_choices=[(r.code, f"{r.code} · {r.name}") for r in regions],
        sites=site_choices(sites_for(container.uow(), actor)),
        tie_modes=[m.value for m in TieMode],
        labels=_labels(gettext_for(request)),
        unplaced=queries.unplaced_households(container.uow(), actor=actor, limit=50),
    )


@router.post("/placement/run")
def run_engine(request: Request, data: FormDep, actor: Planner) -> Response:
    container = get_container(request)
    try:
        cmd = RunCreate(
            site_id=parse_id(str(data.get("site_id") or "")),
            ties=TieMode(str(data.get("ties") or TieMode.HARD.value)),
            min_fill=_fraction(data.get("min_fill")),
            time_limit=30.0,
        )
        run_id = runs.run_placement(container.uow(), cmd, actor=actor)
    except (DomainError, ValueError) as exc:
        flash(request, exc.message if isinstance(exc, DomainError) else str(exc))
        return redirect("/placement")
    flash(request, gettext_for(request)(N_("Proposals ready. Nothing is applied until you decide.")))
    return redirect(f"/placement?run={run_id}")


def _fraction(value: object) -> float:
    text = str(value or "").strip()
    if not text:
        return 0.0
    number = float(text)
    if not 0.0 <= number <= 1.0:
        raise ValueError("the minimum share is between 0 and 1")
    return number


@router.post("/placement/proposals/{proposal}/decision")
def decide(request: Request, proposal: uuid.UUID, data: FormDep, actor: Decider) -> Response:
    uow = get_container(request).uow()
    choice = str(data.get("decision") or "")
    reason = str(data.get("reason") or "")
    back = f"/placement?run={parse_id(str(data.get('run') or '')) or ''}"
    gettext = gettext_for(request)
    try:
        if choice == "accept":
            decisions.accept_proposal(uow, proposal, reason=reason, actor=actor)
        elif choice == "reject":
            decisions.reject_proposal(uow, proposal, reason=reason, actor=actor)
        elif choice == "withdraw":
            decisions.withdraw_placement(uow, proposal, reason=reason, actor=actor)
        elif choice == "override":
            decisions.override_proposal(
                uow, proposal, region=str(data.get("region") or ""), reason=reason, actor=actor
            )
        else:
            flash(request, gettext(N_("Choose accept, reject, override or withdraw.")))
            return redirect(back)
    except DomainError as exc:
        flash(request, gettext(N_("Refused: %(reason)s")) % {"reason": exc.message})
        return redirect(back)
    flash(request, gettext(N_("Decision recorded.")))
    return redirect(back)


# --- a household's placement profile ------------------------------------------------------------------


@router.get("/placement/households/{household_id}/profile")
def profile_page(request: Request, household_id: uuid.UUID, actor: Reader) -> Response:
    container = get_container(request)
    profile = queries.get_profile(container.uow(), household_id, actor=actor)
    return _profile_form(request, actor, profile.model_dump(), {})


def _profile_form(
    request: Request, actor: Actor, values: dict[str, object], errors: dict[str, str], status: int = 200
) -> Response:
    container = get_container(request)
    regions = queries.list_regions(container.uow(), actor=actor, include_closed=False)
    preferences = list(values.get("preferences") or [])  # type: ignore[call-overload]
    gettext = gettext_for(request)
    return render(
        request,
        "placement_profile.html",
        status=status,
        household_id=values["household_id"],
        values=values,
        preferences=[*preferences, "", "", ""][:3],
        errors=errors,
        educations=[(e.value, gettext(EDUCATION[e.value])) for e in Education],
        region_choices=[(r.code, f"{r.code} · {r.name}") for r in regions],
    )


@router.post("/placement/households/{household_id}/profile")
def save_profile(request: Request, household_id: uuid.UUID, data: FormDep, actor: Planner) -> Response:
    values: dict[str, object] = {
        "household_id": household_id,
        "education_max": str(data.get("education_max") or "") or None,
        "occupation": str(data.get("occupation") or "").strip() or None,
        "dialysis_persons": str(data.get("dialysis_persons") or "0").strip() or "0",
        "oncology_persons": str(data.get("oncology_persons") or "0").strip() or "0",
        "tie_region": str(data.get("tie_region") or "") or None,
        "preferences": [str(v) for v in data.getlist("preferences") if str(v).strip()],
    }
    gettext = gettext_for(request)
    try:
        cmd = ProfileUpdate.model_validate({k: v for k, v in values.items() if k != "household_id"})
        services.set_profile(get_container(request).uow(), household_id, cmd, actor=actor)
    except ValidationError as exc:
        errors = {str(e["loc"][0]): gettext(N_("Not a valid value.")) for e in exc.errors() if e["loc"]}
        return _profile_form(request, actor, values, errors, status=422)
    except Invalid as exc:
        errors = {p.field.split(".")[0]: p.reason for p in exc.problems} or {"occupation": exc.message}
        return _profile_form(request, actor, values, errors, status=422)
    flash(request, gettext(N_("Placement profile recorded.")))
    return redirect(f"/placement/households/{household_id}/profile")


@router.get("/placement/regions")
def utilisation(request: Request, actor: Reader) -> Response:
    container = get_container(request)
    regions = queries.list_regions(container.uow(), actor=actor)
    return render(
        request,
        "placement_regions.html",
        regions=regions,
        history=queries.history_summary(container.uow(), actor=actor),
        labels=_labels(gettext_for(request)),
    )


# --- the map ------------------------------------------------------------------------------------------

WIDTH, PAD = 800.0, 70.0


@dataclass(frozen=True)
class Dot:
    code: str
    name: str
    x: float
    y: float
    r: float
    share: float
    used: int
    capacity: int
    colour: str


def colour(share: float) -> str:
    """Room left (green), filling up (amber), full (red): with the share in words beside it."""
    if share >= 0.95:
        return "#b42318"
    if share >= 0.7:
        return "#b54708"
    return "#067647"


def project(regions: list[RegionRead]) -> tuple[list[Dot], float]:
    """Equirectangular, scaled by the cosine of the middle latitude; y grows southwards. The height."""
    placed = [r for r in regions if r.latitude is not None and r.longitude is not None]
    if not placed:
        return [], 0.0
    lats = [float(r.latitude or 0.0) for r in placed]
    lons = [float(r.longitude or 0.0) for r in placed]
    k = math.cos(math.radians((min(lats) + max(lats)) / 2))
    span_x = max((max(lons) - min(lons)) * k, 1e-6)
    span_y = max(max(lats) - min(lats), 1e-6)
    scale = (WIDTH - 2 * PAD) / max(span_x, span_y)
    height = span_y * scale + 2 * PAD
    largest = max((r.quota.capacity for r in placed), default=1) or 1
    dots = []
    for r, lat, lon in zip(placed, lats, lons, strict=True):
        quota = r.quota
        dots.append(
            Dot(
                code=r.code,
                name=r.name,
                x=round(PAD + (lon - min(lons)) * k * scale, 1),
                y=round(PAD + (max(lats) - lat) * scale, 1),
                r=round(6 + 18 * math.sqrt(quota.capacity / largest), 1),
                share=quota.share,
                used=quota.used,
                capacity=quota.capacity,
                colour=colour(quota.share),
            )
        )
    return dots, round(height, 1)


@router.get("/placement/map")
def region_map(request: Request, actor: Reader) -> Response:
    regions = queries.list_regions(get_container(request).uow(), actor=actor, include_closed=False)
    dots, height = project(regions)
    unmapped = [r for r in regions if r.latitude is None or r.longitude is None]
    return render(request, "placement_map.html", dots=dots, width=WIDTH, height=height, unmapped=unmapped)
