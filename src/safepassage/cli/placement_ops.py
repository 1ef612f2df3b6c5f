"""``safepassage placement ...``: the placement workflow on the server's own database.

Regions and the outcome history from files, runs of the engine over the registry's unplaced
households, the proposals, and the officer's decisions (accept, reject, override with a reason), each
audited under ``cli:<user>``. Thin: the rules live in ``safepassage.placement``; the same ones hold on
the pages and through the API. ``safepassage place`` (files in, files out) is the engine alone.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from safepassage.cli.common import container as _container
from safepassage.cli.common import operator as _operator
from safepassage.cli.common import refusal as _failed
from safepassage.cli.common import refused
from safepassage.placement import decisions, queries, runs, services
from safepassage.placement.engine import Education, TieMode
from safepassage.placement.models import ProposalStatus
from safepassage.placement.schemas import CapacityUpdate, ProfileUpdate, RunCreate
from safepassage.registry import services as registry

console = Console()
err = Console(stderr=True)
placement_app = typer.Typer(
    help="Placement: regions, history, runs, proposals, decisions.", no_args_is_help=True
)


def _read(path: Path) -> str:
    if not path.is_file():
        err.print(f"[red]error:[/red] {path}: no such file")
        raise typer.Exit(2)
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        err.print(f"[red]error:[/red] {path}: not UTF-8 text")
        raise typer.Exit(2) from None


def _report(result: services.ImportResult, what: str) -> None:
    console.print(
        f"{what}: {result.created} created, {result.updated} updated, {result.skipped} already there, "
        f"{len(result.problems)} rejected"
    )
    for problem in result.problems[:50]:
        err.print(f"[yellow]rejected:[/yellow] {problem}")
    if len(result.problems) > 50:
        err.print(f"... and {len(result.problems) - 50} more")
    if result.problems:
        raise typer.Exit(2)


@placement_app.command("regions-import")
def regions_import(
    path: Annotated[Path, typer.Argument(help="R.csv; optional columns name, latitude, longitude, period.")],
    period: Annotated[
        str | None,
        typer.Option("--period", help="Capacity period: 2026-11 or 2026-Q4 (default: this month)."),
    ] = None,
) -> None:
    """Create or update regions and their capacities for a period from the engine's R.csv."""
    container = _container()
    with refused(_failed):
        result = services.import_regions(
            container.uow(), _read(path), actor=_operator(), name=path.name, period=period
        )
    _report(result, "regions")


PeriodOption = Annotated[
    str | None, typer.Option("--period", help="Capacity period: 2026-11 or 2026-Q4 (default: this month).")
]


def _regions(period: str | None) -> list[Any]:
    with refused(_failed):
        return queries.list_regions(_container().uow(), actor=_operator(), period=period)


@placement_app.command("regions")
def regions_list(period: PeriodOption = None) -> None:
    """Every region: the period's quota used and left, households placed, whether it is on the map."""
    table = Table("region", "name", "period", "quota used", "left", "households", "map")
    for r in _regions(period):
        quota = r.quota
        table.add_row(
            r.code + ("" if r.active else " (closed)"),
            r.name,
            r.capacity_period or "none",
            f"{quota.used}/{quota.capacity}",
            str(quota.left),
            str(r.placed_households),
            "yes" if r.latitude is not None and r.longitude is not None else "no",
        )
    console.print(table)


@placement_app.command("utilisation")
def utilisation(
    region: Annotated[str | None, typer.Option("--region", help="Only this region.")] = None,
    period: PeriodOption = None,
) -> None:
    """Per region and resource, for a period: used by decided placements, capacity, left."""
    table = Table("region", "period", "resource", "used", "capacity", "left", "share")
    for r in _regions(period):
        if region and r.code != region:
            continue
        for x in r.resources:
            table.add_row(
                r.code,
                r.capacity_period or "none",
                x.resource,
                str(x.used),
                str(x.capacity),
                str(x.left),
                f"{x.share:.0%}",
            )
    console.print(table)


def _count(resource: str) -> Any:
    return typer.Option(f"--{resource.replace('_', '-')}", min=0, help=f"{resource} for the period.")


@placement_app.command("capacity")
def capacity(
    region: Annotated[str, typer.Argument(help="The region's code.")],
    period: PeriodOption = None,
    quota_persons: Annotated[int | None, _count("quota_persons")] = None,
    housing_small: Annotated[int | None, _count("housing_small")] = None,
    housing_large: Annotated[int | None, _count("housing_large")] = None,
    school_places: Annotated[int | None, _count("school_places")] = None,
    kindergarten_places: Annotated[int | None, _count("kindergarten_places")] = None,
    dialysis: Annotated[int | None, _count("dialysis")] = None,
    oncology: Annotated[int | None, _count("oncology")] = None,
    disability: Annotated[int | None, _count("disability")] = None,
    language_course: Annotated[int | None, _count("language_course")] = None,
) -> None:
    """Record a region's capacities for a period (the options given; the others stay)."""
    cmd = CapacityUpdate(
        quota_persons=quota_persons,
        housing_small=housing_small,
        housing_large=housing_large,
        school_places=school_places,
        kindergarten_places=kindergarten_places,
        dialysis=dialysis,
        oncology=oncology,
        disability=disability,
        language_course=language_course,
    )
    with refused(_failed):
        services.set_capacities(_container().uow(), region, period, cmd, actor=_operator())
    shown = next(r for r in _regions(period) if r.code == region)
    console.print(
        f"{region} {shown.capacity_period}: "
        + ", ".join(f"{x.resource} {x.capacity} (used {x.used})" for x in shown.resources)
    )


@placement_app.command("history-import")
def history_import(
    path: Annotated[Path, typer.Argument(help="X.csv: past placements with employed_adults_90d.")],
    source: Annotated[str, typer.Option("--source", help="Where the history comes from (audited).")] = "",
) -> None:
    """Store past placements with outcomes for the outcome model (a stored household id is skipped)."""
    container = _container()
    with refused(_failed):
        result = services.import_history(
            container.uow(), _read(path), actor=_operator(), source=source or path.name, name=path.name
        )
    _report(result, "history")


@placement_app.command("profile")
def profile(
    household_id: Annotated[uuid.UUID, typer.Argument(help="The household's number.")],
    education: Annotated[Education | None, typer.Option("--education", help="Highest education.")] = None,
    occupation: Annotated[str | None, typer.Option("--occupation", help="Main occupation or trade.")] = None,
    dialysis: Annotated[int, typer.Option("--dialysis", min=0, help="Persons needing dialysis.")] = 0,
    oncology: Annotated[int, typer.Option("--oncology", min=0, help="Persons needing oncology care.")] = 0,
    tie: Annotated[str | None, typer.Option("--tie", help="Region where relatives live.")] = None,
    preference: Annotated[
        list[str] | None, typer.Option("--preference", help="A preferred region, best first (repeat).")
    ] = None,
) -> None:
    """Record what the placement needs and the registry lacks (replaces the household's profile)."""
    cmd = ProfileUpdate(
        education_max=education,
        occupation=occupation,
        dialysis_persons=dialysis,
        oncology_persons=oncology,
        tie_region=tie,
        preferences=preference or [],
    )
    with refused(_failed):
        services.set_profile(_container().uow(), household_id, cmd, actor=_operator())
    console.print(f"profile recorded for household {household_id}")


@placement_app.command("run")
def run(
    site: Annotated[
        str | None, typer.Option("--site", help="Only households of this site (its code).")
    ] = None,
    period: PeriodOption = None,
    ties: Annotated[
        TieMode, typer.Option("--ties", help="hard: the tie region or nowhere; weighted.")
    ] = TieMode.HARD,
    min_fill: Annotated[
        float, typer.Option("--min-fill", min=0.0, max=1.0, help="Least share of its fair part per region.")
    ] = 0.0,
    official_language: Annotated[
        list[str] | None, typer.Option("--official-language", help="Needs no language course (repeat).")
    ] = None,
    time_limit: Annotated[
        float, typer.Option("--time-limit", min=1.0, help="Seconds for the optimiser.")
    ] = 60.0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the outcome model.")] = 0,
) -> None:
    """Propose a region for every unplaced household. Applies nothing: decide with accept/reject/override."""
    container = _container()
    with refused(_failed):
        site_id = None
        if site:
            with container.uow() as uow:
                site_id = registry.get_site_by_code_or_raise(uow, site).id
        cmd = RunCreate(
            site_id=site_id,
            period=period,
            ties=ties,
            min_fill=min_fill,
            official_languages=official_language or ["de"],
            time_limit=time_limit,
            seed=seed,
        )
        run_id = runs.run_placement(container.uow(), cmd, actor=_operator())
        result = queries.get_run(container.uow(), run_id, actor=_operator())
    gap = f"{result.gap:.4%}" if result.gap is not None else "n/a"
    console.print(
        f"run {result.id} for {result.period}: {result.placed_households} of {result.households} households "
        f"proposed a region ({result.placed_persons} persons); expected employed adults "
        f"{result.expected_outcome:.1f}; gap to the proven bound {gap} "
        f"({result.method}, {result.solver_status})",
        soft_wrap=True,
    )
    if result.not_eligible:
        console.print(
            f"{result.not_eligible} household(s) not eligible: a member has not consented to resettlement"
        )
    metrics = result.report.get("model", {})
    if metrics.get("auc") is not None:
        console.print(
            f"outcome model on held-out history: AUC {metrics['auc']:.3f}, "
            f"calibration error {metrics['ece']:.4f}"
        )
    console.print("nothing is applied: see `safepassage placement proposals`")


@placement_app.command("proposals")
def proposals(
    run_id: Annotated[
        uuid.UUID | None, typer.Option("--run", help="A run's number (default: every run).")
    ] = None,
    status: Annotated[
        ProposalStatus | None,
        typer.Option("--status", help="proposed, accepted, overridden, rejected, superseded, not_eligible."),
    ] = ProposalStatus.PROPOSED,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=queries.MAX_PAGE, help="At most this many.")
    ] = 100,
) -> None:
    """Proposals with their explanation: region, predicted outcome, next best and why not."""
    shown = queries.list_proposals(
        _container().uow(), actor=_operator(), run_id=run_id, status=status, limit=limit
    )
    for p in shown:  # one block each, never truncated: the numbers are what accept/reject/override take
        region = p.decided_region or p.region or "none"
        predicted = f" (predicted {p.predicted_outcome:.2f})" if p.predicted_outcome is not None else ""
        following = ""
        if p.next_best_region:
            outcome = f" {p.next_best_outcome:.2f}" if p.next_best_outcome is not None else ""
            following = f"; next best {p.next_best_region}{outcome}"
        console.print(
            f"{p.id} [{p.status.value}] household {p.household_id}, {p.persons} persons", soft_wrap=True
        )
        console.print(f"  → {region}{predicted}{following}: {p.reason}", soft_wrap=True)
    console.print(f"{len(shown)} proposal(s)")


@placement_app.command("accept")
def accept(
    proposal_id: Annotated[uuid.UUID, typer.Argument(help="The proposal's number.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (optional for an accept).")] = "",
) -> None:
    """Place the household where the engine proposed (checked again against capacity)."""
    with refused(_failed):
        decisions.accept_proposal(_container().uow(), proposal_id, reason=reason, actor=_operator())
    console.print(f"accepted: {proposal_id}")


@placement_app.command("reject")
def reject(
    proposal_id: Annotated[uuid.UUID, typer.Argument(help="The proposal's number.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (required).")],
) -> None:
    """Decline the proposal; the household stays for a later run."""
    with refused(_failed):
        decisions.reject_proposal(_container().uow(), proposal_id, reason=reason, actor=_operator())
    console.print(f"rejected: {proposal_id}")


@placement_app.command("override")
def override(
    proposal_id: Annotated[uuid.UUID, typer.Argument(help="The proposal's number.")],
    region: Annotated[str, typer.Option("--region", help="The region to place the household in.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (required).")],
) -> None:
    """Place the household in another region; refused if it breaks a hard need or a capacity."""
    with refused(_failed):
        decisions.override_proposal(
            _container().uow(), proposal_id, region=region, reason=reason, actor=_operator()
        )
    console.print(f"overridden: {proposal_id} → {region}")


@placement_app.command("withdraw")
def withdraw(
    proposal_id: Annotated[uuid.UUID, typer.Argument(help="The accepted or overridden proposal's number.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (required).")],
) -> None:
    """Undo a decided placement (the family declined, the housing fell through); frees the capacity."""
    with refused(_failed):
        decisions.withdraw_placement(_container().uow(), proposal_id, reason=reason, actor=_operator())
    console.print(f"withdrawn: {proposal_id}")


def register(app: typer.Typer) -> None:
    app.add_typer(placement_app, name="placement")
