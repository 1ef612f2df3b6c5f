"""The placement officer's pages: proposal review (queue a run of the engine, watch it run; accept,
reject or override each proposal with a reason), per-region utilisation and capacities per period,
and a map drawn on the server as inline SVG (no tiles, no CDN: the CSP allows neither). Thin: the
rules live in ``safepassage.placement``; a refused decision comes back as a message naming the reason.

Every explanation is said in the page's language from the proposal's codes (reason, region,
resource); the engine's own English sentence is shown on English pages only."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import ValidationError

from safepassage.placement import decisions, queries, runs, services
from safepassage.placement.engine import Education, ReasonCode, TieMode
from safepassage.placement.models import CAPACITIES, Eligibility, ProposalStatus, RunStatus
from safepassage.placement.schemas import CapacityUpdate, ProfileUpdate, ProposalRead, RegionRead, RunCreate
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
RegionManager = Annotated[Actor, Depends(Page(Permission.REGIONS_MANAGE))]
REFRESH_SECONDS = 3

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
    Eligibility.NO_CONSENT: N_("not eligible: consent to resettlement missing"),
    Eligibility.CONSENT_WITHDRAWN: N_("not eligible: consent to resettlement withdrawn"),
}
#: One sentence per reason (and kind of shortage), said from the proposal's codes.
WHY: dict[str, str] = {
    "best": N_("Nothing better was possible; the next best is %(region)s."),
    "best_alone": N_("Nothing better was possible."),
    "need": N_("%(region)s would do better but offers no %(resource)s, which the household needs."),
    "tie": N_("A hard family tie keeps the household in %(region)s."),
    "short": N_("%(region)s would do better but has only %(left)s %(resource)s for this period."),
    "taken": N_("%(region)s would do better but its %(resource)s are taken by other households."),
    "priced": N_("%(region)s would do better but its %(resource)s are worth more to other households."),
    "priced_any": N_(
        "%(region)s would do better but its remaining capacity gains more for other households."
    ),
    "unplaced_need": N_("No region offers %(resource)s."),
    "unplaced_tie": N_("The tie region %(region)s cannot take the household (%(resource)s)."),
    "unplaced_capacity": N_("No eligible region has %(resource)s left for this household."),
    "unplaced_capacity_any": N_("No eligible region has room left for this household."),
    "unplaced_solver": N_("Capacity is left, but the optimiser stopped early: run again."),
    "no_consent": N_(
        "%(members)s member(s) have not consented to resettlement: record their consent, then run again."
    ),
    "consent_withdrawn": N_(
        "%(members)s member(s) withdrew or lack consent to resettlement: no proposal is made."
    ),
}
RUN_STATUSES: dict[str, str] = {
    RunStatus.QUEUED: N_("queued"),
    RunStatus.RUNNING: N_("running"),
    RunStatus.DONE: N_("done"),
    RunStatus.FAILED: N_("failed"),
}
STAGES: dict[str, str] = {
    "queued": N_("waiting for the worker"),
    "reading": N_("reading households and capacities"),
    "training": N_("training the outcome model"),
    "solving": N_("optimising"),
    "storing": N_("storing the proposals"),
    "done": N_("finished"),
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
    ProposalStatus.NOT_ELIGIBLE: N_("not eligible"),
}


def _labels(gettext: Gettext) -> dict[str, dict[str, str]]:
    return {
        "resource": {k: gettext(v) for k, v in RESOURCES.items()},
        "reason": {k: gettext(v) for k, v in REASONS.items()},
        "status": {k: gettext(v) for k, v in STATUSES.items()},
        "run_status": {k: gettext(v) for k, v in RUN_STATUSES.items()},
        "stage": {k: gettext(v) for k, v in STAGES.items()},
    }


def explain(p: ProposalRead, gettext: Gettext, names: dict[str, str]) -> str:
    """Why this proposal, in the page's language, from its codes (never the engine's English)."""
    detail = p.detail or {}
    code = p.reason_code
    region_code = detail.get("region") or (p.next_best_region if code != "tie" else p.region)
    region = f"{region_code} · {names[region_code]}" if region_code in names else (region_code or "—")
    resource_code = detail.get("resource")
    resource = gettext(RESOURCES[resource_code]) if resource_code in RESOURCES else None
    key = code
    if code == ReasonCode.BEST:
        key = "best" if region_code else "best_alone"
    elif code in (ReasonCode.CAPACITY, ReasonCode.QUOTA):
        kind = str(detail.get("kind") or "priced")
        key = "priced_any" if resource is None else kind
    elif code == ReasonCode.UNPLACED_CAPACITY and resource is None:
        key = "unplaced_capacity_any"
    template = WHY.get(key)
    if template is None:
        return gettext(REASONS[code]) if code in REASONS else ""
    values = {
        "region": region,
        "resource": resource or gettext(N_("a needed service")),
        "left": detail.get("left", 0),
        "members": detail.get("members", 0),
    }
    return gettext(template) % values


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
    gettext = gettext_for(request)
    names = {r.code: r.name for r in regions}
    response = render(
        request,
        "placement.html",
        run=run,
        working=run is not None and run.status in (RunStatus.QUEUED, RunStatus.RUNNING),
        refresh=REFRESH_SECONDS,
        why={p.id: explain(p, gettext, names) for p in proposals},
        names=names,
        periods=queries.known_periods(container.uow(), actor=actor, open_only=True),
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
    if run is not None and run.status in (RunStatus.QUEUED, RunStatus.RUNNING):
        response.headers["Refresh"] = str(REFRESH_SECONDS)  # until it is done or failed
    return response


@router.post("/placement/run")
def run_engine(request: Request, data: FormDep, actor: Planner) -> Response:
    container = get_container(request)
    try:
        cmd = RunCreate(
            site_id=parse_id(str(data.get("site_id") or "")),
            period=str(data.get("period") or "").strip() or None,
            ties=TieMode(str(data.get("ties") or TieMode.HARD.value)),
            min_fill=_fraction(data.get("min_fill")),
            time_limit=60.0,
        )
        run_id = runs.start_run(container.uow, cmd, actor=actor)
    except ValidationError:
        flash(request, gettext_for(request)(N_("Not a valid value.")))
        return redirect("/placement")
    except (DomainError, ValueError) as exc:
        flash(request, exc.message if isinstance(exc, DomainError) else str(exc))
        return redirect("/placement")
    flash(
        request,
        gettext_for(request)(
            N_("The run is queued; this page follows it. Nothing is applied until you decide.")
        ),
    )
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
    """Utilisation per region and resource for one period (a month or a quarter; default: now)."""
    container = get_container(request)
    wanted = request.query_params.get("period", "").strip() or None
    try:
        regions = queries.list_regions(container.uow(), actor=actor, period=wanted)
    except Invalid as exc:
        flash(request, exc.message)
        return redirect("/placement/regions")
    return render(
        request,
        "placement_regions.html",
        regions=regions,
        period=regions[0].period if regions else (wanted or ""),
        periods=queries.known_periods(container.uow(), actor=actor),
        capacities=CAPACITIES,
        history=queries.history_summary(container.uow(), actor=actor),
        labels=_labels(gettext_for(request)),
    )


@router.post("/placement/regions/{region}/capacities")
def save_capacities(request: Request, region: str, data: FormDep, actor: RegionManager) -> Response:
    """A region's capacities for one period, from the regions page."""
    period = str(data.get("period") or "").strip()
    gettext = gettext_for(request)
    back = f"/placement/regions?period={period}" if period else "/placement/regions"
    try:
        values = {name: str(data.get(name) or "").strip() for name in CAPACITIES}
        cmd = CapacityUpdate.model_validate({k: v for k, v in values.items() if v})
        services.set_capacities(get_container(request).uow(), region, period or None, cmd, actor=actor)
    except ValidationError as exc:
        fields = ", ".join(gettext(RESOURCES[str(e["loc"][0])]) for e in exc.errors() if e["loc"])
        flash(request, gettext(N_("Not a whole number of 0 or more: %(fields)s")) % {"fields": fields})
        return redirect(back)
    except DomainError as exc:
        flash(request, gettext(N_("Refused: %(reason)s")) % {"reason": exc.message})
        return redirect(back)
    flash(request, gettext(N_("Capacities recorded.")))
    return redirect(back)


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
