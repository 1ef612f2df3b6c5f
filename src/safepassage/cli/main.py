"""``safepassage``: set up, serve, load the demo, import, export, manage users.

The command line acts on the server's own database, as the operating-system user who runs it
(recorded in the history as ``cli:<user>``) with a supervisor's registry rights; ``user add`` acts as
administrator. Every command and option is listed in docs/cli.md (a test checks).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from safepassage import migrate
from safepassage.cli.common import container as _container
from safepassage.cli.common import fail as _fail
from safepassage.cli.common import operator as _operator
from safepassage.cli.common import parse_uuid as _parse_uuid
from safepassage.cli.common import refused
from safepassage.cli.common import site_id as _site_id
from safepassage.registry import queries, services
from safepassage.security import services as security
from safepassage.security.policy import SYSTEM, Role
from safepassage.shared.errors import DomainError

app = typer.Typer(
    help="SafePassage: humanitarian evacuation and resettlement.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
user_app = typer.Typer(help="Accounts.", no_args_is_help=True)
app.add_typer(user_app, name="user")
console = Console()
err = Console(stderr=True)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )


@app.command()
def init(
    admin: Annotated[str, typer.Option(help="Username of the first administrator.")] = "admin",
) -> None:
    """Create or upgrade the database; create the first administrator (password printed once)."""
    container = _container()
    migrate.upgrade(container.engine)
    console.print(f"database ready: {container.engine.url.render_as_string(hide_password=True)}")
    # the keys live outside the database: made now (mode 0600) so that backups can leave them out
    kek_id = container.keys.ensure_kek()
    console.print(f"key-encryption key {kek_id} ready (outside the database: see docs/security-keys.md)")
    container.audit_trail.signer()  # the audit signing key (Ed25519), made now
    if security.count_users(container.uow()) == 0:
        _, password = security.create_user(
            container.uow(),
            username=admin,
            role=Role.ADMINISTRATOR,
            display_name="Administrator",
            actor=_operator(Role.ADMINISTRATOR),
        )
        console.print(
            f"[bold]administrator created[/bold]: user [cyan]{admin}[/cyan] "
            f"password [cyan]{password}[/cyan]  (shown once: keep it safe)"
        )


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Listen address (default from settings).")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port (default from settings).")] = None,
    workers: Annotated[
        int,
        typer.Option(min=1, max=64, help="Server processes (PostgreSQL; on SQLite keep one)."),
    ] = 1,
) -> None:
    """Serve the web app and the API."""
    import uvicorn

    from safepassage.app import create_app

    container = _container()
    if migrate.is_empty(container.engine):
        raise _fail("the database is not set up: run `safepassage init` first")
    settings = container.settings
    console.print(
        f"SafePassage on http://{host or settings.host}:{port or settings.port}/ (API docs at /api/docs)"
    )
    if workers > 1 and container.engine.dialect.name == "sqlite":
        raise _fail("--workers: SQLite has one writer at a time; serve several processes on PostgreSQL", 2)
    options: dict[str, Any] = {
        "host": host or settings.host,
        "port": port or settings.port,
        "log_level": settings.log_level.lower(),
        "proxy_headers": False,
        "limit_concurrency": settings.max_concurrency,  # per process
    }
    if workers == 1:
        uvicorn.run(create_app(container), **options)
    else:  # each worker process imports the app by name and builds its own container
        container.engine.dispose()
        uvicorn.run("safepassage.app:app_from_settings", factory=True, workers=workers, **options)


@app.command()
def demo(
    households: Annotated[int, typer.Option(min=1, max=1_000_000, help="How many households.")] = 500,
    seed: Annotated[int, typer.Option(help="Same seed, same population.")] = 1,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Only when the registry has no person yet.")
    ] = False,
    with_users: Annotated[
        bool,
        typer.Option("--with-users", help="Also create one demo account per role (passwords printed once)."),
    ] = False,
) -> None:
    """Load the synthetic demo scenario (never real people)."""
    from safepassage.demo.generator import DEMO_DISCLAIMER
    from safepassage.demo.loader import load_demo, registry_is_empty

    container = _container()
    if if_empty and not registry_is_empty(container):
        console.print("the registry has data already: demo not loaded")
        return
    console.print(DEMO_DISCLAIMER)
    with _progress() as progress:
        task = progress.add_task("registering households", total=households)
        sites, created = load_demo(
            container,
            households=households,
            seed=seed,
            actor=_operator(),
            progress=lambda n: progress.update(task, completed=n),
        )
    console.print(f"demo loaded: {sites} sites and {created} households created")
    if with_users:
        # the demo accounts work for every demo site (the auditor reads the trail, not the records);
        # supervisors set up their second factor at their first sign-in
        every_site = [s.id for s in queries.list_sites(container.uow(), actor=SYSTEM)]
        table = Table("user", "role", "password (shown once)")
        for role in Role:
            if role == Role.ADMINISTRATOR:
                continue
            name = f"demo_{role.value}"
            try:
                _, password = security.create_user(
                    container.uow(),
                    username=name,
                    role=role,
                    site_ids=[] if role == Role.AUDITOR else every_site,
                    actor=_operator(Role.ADMINISTRATOR),
                )
            except DomainError:
                continue  # exists already
            table.add_row(name, role.value, password)
        if table.row_count:
            console.print(table)


@app.command("import")
def import_(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV or XLSX file.")
    ],
    site: Annotated[
        str, typer.Option(help="Code of the site the rows belong to (a 'site' column may override).")
    ],
    source: Annotated[
        str | None, typer.Option(help="Name of the list's source (default: file name).")
    ] = None,
    rejects: Annotated[
        Path | None, typer.Option(help="Where to write rejected rows (default: beside the file).")
    ] = None,
    sheet: Annotated[str | None, typer.Option(help="XLSX sheet name (default: the first).")] = None,
) -> None:
    """Import a partner's list; invalid rows go to a rejects file with row, field and reason."""
    from safepassage.registry.importing import import_file

    container = _container()
    with refused():
        site_id = _site_id(container, site)
        with _progress() as progress:
            task = progress.add_task(f"importing {file.name}", total=None)
            report = import_file(
                container.uow(),
                file,
                actor=_operator(),
                site_id=site_id,
                source=source,
                rejects_path=rejects,
                sheet=sheet,
                progress=lambda n: progress.update(task, completed=n),
            )
    table = Table("", "count")
    for label, value in (
        ("rows read", report.rows_read),
        ("persons created", report.persons_created),
        ("households created", report.households_created),
        ("already imported", report.rows_already_imported),
        ("rejected", report.rows_rejected),
    ):
        table.add_row(label, str(value))
    console.print(table)
    for warning in report.warnings[:50]:
        err.print(f"[yellow]warning:[/yellow] {warning}")
    if report.rows_rejected:
        err.print(
            f"[yellow]{report.rows_rejected} rows rejected[/yellow]: fix them in {report.rejects_path} "
            "and import that file again"
        )
        raise typer.Exit(3)


@app.command()
def export(
    out: Annotated[Path, typer.Option(help="CSV file to write.")],
    purpose: Annotated[
        str | None, typer.Option(help="Who receives the export and why (asks for a new export).")
    ] = None,
    request: Annotated[
        str | None, typer.Option(help="Produce this approved export request instead of asking anew.")
    ] = None,
    site: Annotated[str | None, typer.Option(help="Only this site's persons (site code).")] = None,
    partner: Annotated[
        str | None, typer.Option(help="Only persons who consent to sharing with this partner.")
    ] = None,
) -> None:
    """Export persons (never protection attributes) in the import's column layout. Over 100 rows an
    export waits for a second supervisor (`safepassage export-decide`); then `--request ID` writes it."""
    from safepassage.registry import exporting

    container = _container()
    operator = _operator()
    with refused():
        if request is not None:
            request_id = _parse_uuid(request, "--request")
        elif purpose is not None:
            site_id = _site_id(container, site) if site else None
            asked = exporting.request_export(
                container.uow(), purpose=purpose, actor=operator, site_id=site_id, partner=partner
            )
            if asked.state != "approved":
                err.print(
                    f"export request {asked.id}: {asked.row_count} rows, waits for a second supervisor "
                    f"(safepassage export-decide {asked.id} --approve, as another user; then "
                    f"safepassage export --out FILE --request {asked.id})"
                )
                raise typer.Exit(3)
            request_id = asked.id
        else:
            raise _fail("say why: --purpose TEXT (a new export), or --request ID (an approved one)", 2)
        with _progress() as progress:
            task = progress.add_task("exporting", total=None)
            count = exporting.export_csv(
                container.uow(),
                out,
                request_id=request_id,
                actor=operator,
                progress=lambda n: progress.update(task, completed=n),
            )
    console.print(f"{count} persons written to {out} (export {request_id})")


@app.command("export-decide")
def export_decide(
    request: Annotated[str, typer.Argument(help="The export request's id.")],
    approve: Annotated[bool, typer.Option("--approve/--reject", help="Approve or reject the export.")],
    note: Annotated[str | None, typer.Option(help="Why (kept on the audit trail).")] = None,
) -> None:
    """Approve or reject a pending export, as a second supervisor (another operating-system user)."""
    from safepassage.registry import exporting

    container = _container()
    with refused():
        decided = exporting.decide_export(
            container.uow(), _parse_uuid(request, "REQUEST"), approve=approve, note=note, actor=_operator()
        )
    console.print(f"export {decided.id}: {decided.state.value}")


break_glass_app = typer.Typer(help="Break-glass access: list and review.", no_args_is_help=True)
app.add_typer(break_glass_app, name="break-glass")


@break_glass_app.command("list")
def break_glass_list(
    unreviewed: Annotated[bool, typer.Option("--unreviewed", help="Only grants not yet reviewed.")] = False,
) -> None:
    """Break-glass grants, newest first: who opened which record, why, until when, the review."""
    from safepassage.security import breakglass

    rows = breakglass.list_break_glass(_container().uow(), actor=_operator(), unreviewed_only=unreviewed)
    table = Table("grant", "who", "record", "reason", "until", "review")
    for g in rows:
        review = f"{g.reviewed_by}: {g.review_note}" if g.reviewed_at else "-"
        table.add_row(
            str(g.id),
            g.username,
            f"{g.record_kind.value} {g.record_id}",
            g.reason,
            g.expires_at.strftime("%Y-%m-%d %H:%M"),
            review,
        )
    console.print(table)


@break_glass_app.command("review")
def break_glass_review(
    grant: Annotated[str, typer.Argument(help="The grant's id.")],
    note: Annotated[str, typer.Option(help="What the review found (kept on the audit trail).")],
) -> None:
    """Record the review of a break-glass grant (by someone other than its holder)."""
    from safepassage.security import breakglass

    with refused():
        breakglass.review_break_glass(
            _container().uow(), _parse_uuid(grant, "GRANT"), note=note, actor=_operator()
        )
    console.print(f"grant {grant}: reviewed")


retention_app = typer.Typer(help="Retention of protected details.", no_args_is_help=True)
app.add_typer(retention_app, name="retention")


@retention_app.command("apply")
def retention_apply(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would be removed; change nothing.")
    ] = False,
) -> None:
    """Remove protected details whose retention period has ended (run it daily, e.g. from cron)."""
    with refused():
        report = services.apply_retention(_container().uow(), actor=_operator(), dry_run=dry_run)
    verb = "would be removed" if dry_run else "removed"
    detail = ", ".join(f"{purpose}: {n}" for purpose, n in sorted(report.by_purpose.items())) or "none"
    console.print(f"protected details of {report.expired} persons {verb} ({detail})")


# The `user` commands (accounts, sites, second factor, tokens, sessions) live in cli/users.py.
from safepassage.cli import users as _users  # noqa: E402

_users.register(user_app)


# Engine commands (linking, movements, placement) live in their own modules under safepassage.cli;
# each module defines `register(app)` and is wired here, one line each.
# -- engine commands --
from safepassage.cli.linking_ops import register as register_linking_ops  # noqa: E402

register_linking_ops(app)
from safepassage.cli.placement_ops import register as register_placement_ops  # noqa: E402

register_placement_ops(app)
from safepassage.cli.movements import register as register_movements  # noqa: E402

register_movements(app)
from safepassage.cli.movement_ops import register as register_movement_ops  # noqa: E402

register_movement_ops(app)
from safepassage.cli.placement import register as register_placement  # noqa: E402

register_placement(app)
from safepassage.cli.linking import register as register_linking  # noqa: E402

register_linking(app)
from safepassage.cli.audit import register as register_audit  # noqa: E402

register_audit(app)
from safepassage.cli.keys import register as register_keys  # noqa: E402

register_keys(app)


if __name__ == "__main__":  # pragma: no cover
    app()
