"""``safepassage movement ...``: legs, plans (propose, accept), manifests, boarding passes and
accountability on the server's database, as the server's operator (every act audited under
``cli:<user>``). Thin: the rules live in ``safepassage.movements``. A plan is only ever proposed here
until ``movement accept`` is run for it.

The batch planner on CSV files (``safepassage plan-movements``) is a separate command.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from safepassage.bootstrap import Container, bootstrap
from safepassage.cli.common import domain_failure as _failure
from safepassage.cli.common import operator as _operator
from safepassage.cli.common import refused
from safepassage.movements import documents, legs, passes, planning, queries
from safepassage.movements.models import LegKind, PlanStatus
from safepassage.movements.operation import policy_for
from safepassage.movements.planner import GreedySolver, HighsSolver, LegStatus, Solver
from safepassage.movements.schemas import LegCreate, LegStatusChange
from safepassage.registry import services
from safepassage.security.policy import Actor
from safepassage.shared.errors import DomainError

console = Console()
err = Console(stderr=True)


class SolverName(StrEnum):
    HIGHS = "highs"
    GREEDY = "greedy"


class DocumentFormat(StrEnum):
    CSV = "csv"
    PDF = "pdf"


def _site(container: Container, code: str) -> uuid.UUID:
    with container.uow() as uow:
        return services.get_site_by_code_or_raise(uow, code).id


def _leg(container: Container, code: str, actor: Actor) -> uuid.UUID:
    with container.uow() as uow:
        return legs.get_leg_by_code_or_raise(uow, code, actor=actor).id


def _solver(name: SolverName) -> Solver:
    return GreedySolver() if name is SolverName.GREEDY else HighsSolver()


def _propose(container: Container, site: str, reason: str | None, solver: SolverName) -> None:
    actor = _operator()
    policy = policy_for(container.settings.movement_policy_file)
    plan_id = planning.propose_plan(
        container.uow(),
        _site(container, site),
        actor=actor,
        policy=policy,
        solver=_solver(solver),
        reason=reason,
    )
    plan = queries.get_plan(container.uow(), plan_id, actor=actor)
    moved = sum(1 for a in plan.assignments if a.leg_code)
    console.print(
        f"proposed plan [bold]{plan.id}[/bold] ({plan.solver}, {plan.outcome}, gap {plan.gap or 0:.4%})"
    )
    console.print(f"persons moved: {moved}; waiting: {len(plan.assignments) - moved}")
    for tier, row in plan.summary.get("moved_by_tier", {}).items():
        console.print(f"  tier {tier}: {row['moved']} moved, {row['waiting']} waiting")
    held = plan.summary.get("groups_held", [])
    if held:
        console.print(f"groups waiting because a member may not be planned: {len(held)}")
    for a in plan.assignments:
        if a.change_reason:
            console.print(
                f"  {a.person_id}: {a.previous_leg_code or '-'} -> {a.leg_code or '-'} ({a.change_reason})"
            )
    console.print(f"nothing changes until it is accepted: safepassage movement accept {plan.id}")


def register(app: typer.Typer) -> None:
    movement = typer.Typer(
        help="Movements: legs, plans, manifests, passes, accountability.", no_args_is_help=True
    )
    leg_app = typer.Typer(help="Transport legs.", no_args_is_help=True)
    movement.add_typer(leg_app, name="leg")
    app.add_typer(movement, name="movement")

    @leg_app.command("create")
    def leg_create(
        code: Annotated[str, typer.Option("--code", help="The leg's code (flight number, convoy name).")],
        origin: Annotated[str, typer.Option("--from", help="Code of the origin site.")],
        destination: Annotated[str, typer.Option("--to", help="Code of the destination site.")],
        departure: Annotated[str, typer.Option("--departure", help="Departure, ISO 8601 (UTC if no zone).")],
        seats: Annotated[int, typer.Option("--seats", min=0, help="Seats.")],
        kind: Annotated[LegKind, typer.Option("--kind", help="flight, convoy or ship.")] = LegKind.FLIGHT,
        lap_places: Annotated[
            int, typer.Option("--lap-places", min=0, help="Lap places (infants under 2).")
        ] = 0,
        stretcher_places: Annotated[
            int, typer.Option("--stretcher-places", min=0, help="Stretcher places.")
        ] = 0,
        baggage_kg: Annotated[
            float, typer.Option("--baggage-kg", min=0, help="Baggage allowance (kg).")
        ] = 0.0,
    ) -> None:
        """Create a leg."""
        container = bootstrap()
        try:
            when = dt.datetime.fromisoformat(departure)
        except ValueError:
            err.print(f"[red]error:[/red] --departure: '{departure}' is not an ISO 8601 time")
            raise typer.Exit(2) from None
        when = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
        with refused():
            cmd = LegCreate(
                code=code,
                kind=kind,
                origin_site_id=_site(container, origin),
                destination_site_id=_site(container, destination),
                departure_at=when,
                seats=seats,
                lap_places=lap_places,
                stretcher_places=stretcher_places,
                baggage_kg=baggage_kg,
            )
            legs.create_leg(container.uow(), cmd, actor=_operator())
        console.print(f"leg {code} created")
        if baggage_kg == 0:
            err.print(
                "[yellow]note:[/yellow] --baggage-kg 0: only groups without baggage allowance fit this leg"
            )

    @leg_app.command("list")
    def leg_list(
        site: Annotated[
            str | None, typer.Option("--site", help="Only legs from or to this site (code).")
        ] = None,
    ) -> None:
        """List legs with their capacities and status."""
        container = bootstrap()
        with refused():
            site_id = _site(container, site) if site else None
        table = Table(
            "leg", "kind", "from", "to", "departure (UTC)", "seats", "lap", "stretcher", "kg", "status"
        )
        for leg in queries.list_legs(container.uow(), actor=_operator(), site_id=site_id):
            table.add_row(
                leg.code,
                leg.kind.value,
                leg.origin_site_code,
                leg.destination_site_code,
                f"{leg.departure_at:%Y-%m-%d %H:%M}",
                str(leg.seats),
                str(leg.lap_places),
                str(leg.stretcher_places),
                f"{leg.baggage_kg:g}",
                leg.status.value + (" (manifest frozen)" if leg.manifest_frozen else ""),
            )
        console.print(table)

    @leg_app.command("cancel")
    def leg_cancel(
        code: Annotated[str, typer.Argument(help="The leg's code.")],
        reason: Annotated[str, typer.Option("--reason", help="Why (required; on the audit trail).")],
        replan: Annotated[
            bool, typer.Option("--replan", help="Propose a re-plan of the origin's legs at once.")
        ] = False,
        solver: Annotated[
            SolverName, typer.Option("--solver", help="Solver for --replan.")
        ] = SolverName.HIGHS,
    ) -> None:
        """Cancel a leg (its boarding passes are revoked); optionally propose a re-plan."""
        container = bootstrap()
        actor = _operator()
        with refused():
            leg_id = _leg(container, code, actor)
            legs.set_leg_status(
                container.uow(),
                leg_id,
                LegStatusChange(status=LegStatus.CANCELLED, reason=reason),
                actor=actor,
            )
            console.print(f"leg {code} cancelled")
            if replan:
                leg = queries.get_leg(container.uow(), leg_id, actor=actor)
                _propose(container, leg.origin_site_code, f"leg {code} cancelled: {reason}", solver)

    @leg_app.command("status")
    def leg_status(
        code: Annotated[str, typer.Argument(help="The leg's code.")],
        status: Annotated[
            LegStatus, typer.Argument(help="boarding (freezes the manifest), departed, arrived.")
        ],
        reason: Annotated[str, typer.Option("--reason", help="Why (on the audit trail).")] = "",
    ) -> None:
        """Move a leg on: boarding freezes its manifest."""
        container = bootstrap()
        actor = _operator()
        with refused():
            legs.set_leg_status(
                container.uow(),
                _leg(container, code, actor),
                LegStatusChange(status=status, reason=reason),
                actor=actor,
            )
        console.print(f"leg {code}: {status.value}")

    @movement.command("eligibility")
    def eligibility(
        site: Annotated[str, typer.Option("--site", help="Code of the origin site.")],
        only_refused: Annotated[
            bool, typer.Option("--only-refused", help="Only those who may not be planned.")
        ] = False,
    ) -> None:
        """Who at a site may be planned, and every reason why not."""
        container = bootstrap()
        with refused():
            rows = queries.eligibility_rows(
                container.uow(),
                _site(container, site),
                actor=_operator(),
                policy=policy_for(container.settings.movement_policy_file),
            )
        table = Table("person", "name", "tier", "place", "may be planned")
        for r in rows:
            if only_refused and r.eligible:
                continue
            table.add_row(
                str(r.person_id),
                r.name,
                str(r.tier),
                r.place.value,
                "yes" if r.eligible else "; ".join(r.reasons),
            )
        console.print(table)
        console.print(f"{sum(r.eligible for r in rows)} of {len(rows)} may be planned")

    @movement.command("plan")
    def plan(
        site: Annotated[str, typer.Option("--site", help="Code of the site whose legs are planned.")],
        reason: Annotated[str | None, typer.Option("--reason", help="Why (for a re-plan).")] = None,
        solver: Annotated[
            SolverName, typer.Option("--solver", help="highs (exact) or greedy.")
        ] = SolverName.HIGHS,
    ) -> None:
        """Propose a plan (or re-plan) for the legs leaving a site. Nothing changes until accepted."""
        container = bootstrap()
        with refused():
            _propose(container, site, reason, solver)

    @movement.command("accept")
    def accept(plan_id: Annotated[str, typer.Argument(help="The proposed plan's id.")]) -> None:
        """Accept a proposed plan (audited): it comes into force for its site."""
        container = bootstrap()
        try:
            revoked = planning.accept_plan(container.uow(), uuid.UUID(plan_id), actor=_operator())
        except ValueError:
            err.print(f"[red]error:[/red] '{plan_id}' is not a plan id")
            raise typer.Exit(2) from None
        except DomainError as exc:
            raise _failure(exc) from None
        console.print(f"plan {plan_id} {PlanStatus.ACCEPTED.value}; boarding passes revoked: {revoked}")

    @movement.command("manifest")
    def manifest(
        code: Annotated[str, typer.Argument(help="The leg's code.")],
        out: Annotated[Path, typer.Option("--out", help="File to write.")],
        fmt: Annotated[DocumentFormat, typer.Option("--format", help="csv or pdf.")] = DocumentFormat.CSV,
    ) -> None:
        """Write a leg's manifest (frozen at boarding; the accepted plan's until then)."""
        container = bootstrap()
        actor = _operator()
        with refused():
            body, _, _ = documents.manifest_document(
                container.uow(), _leg(container, code, actor), actor=actor, fmt=fmt.value
            )
        out.write_bytes(body)
        console.print(f"manifest of {code} written to {out}")

    @movement.command("passes")
    def passes_command(
        code: Annotated[str, typer.Argument(help="The leg's code.")],
        out: Annotated[Path, typer.Option("--out", help="Folder for one PDF per pass.")],
        issue: Annotated[bool, typer.Option("--issue/--no-issue", help="Issue missing passes first.")] = True,
    ) -> None:
        """Issue the leg's missing boarding passes and write every valid one as a PDF."""
        container = bootstrap()
        actor = _operator()
        with refused():
            leg_id = _leg(container, code, actor)
            if issue:
                passes.issue_passes(container.uow(), leg_id, actor=actor)
            out.mkdir(parents=True, exist_ok=True)
            written = 0
            for p in queries.list_passes(container.uow(), leg_id, actor=actor):
                if p.revoked_at is None:
                    body, name = documents.pass_document(
                        container.uow(), p.id, actor=actor, settings=container.settings
                    )
                    (out / name).write_bytes(body)
                    written += 1
        console.print(f"{written} boarding passes written to {out}")

    @movement.command("accountability")
    def accountability(code: Annotated[str, typer.Argument(help="The leg's code.")]) -> None:
        """Manifested, checked in, boarded, arrived; no-shows and people unaccounted for."""
        container = bootstrap()
        actor = _operator()
        with refused():
            report = queries.leg_accountability(container.uow(), _leg(container, code, actor), actor=actor)
        console.print(
            f"{report.leg_code} ({report.status.value}): manifested {report.manifested}, checked in "
            f"{report.checked_in}, boarded {report.boarded}, arrived {report.arrived}"
        )
        for title, people in (
            ("no-shows", report.no_shows),
            ("unaccounted for", report.unaccounted),
            ("boarded, not on the manifest", report.not_on_manifest),
        ):
            if people:
                console.print(f"{title} ({len(people)}): " + ", ".join(str(p) for p in people))
