"""``safepassage``: set up, serve, load the demo, import, export, manage users.

The command line acts on the server's own database, as the operating-system user who runs it
(recorded in the history as ``cli:<user>``) with a supervisor's registry rights; ``user add`` acts as
administrator. Every command and option is listed in docs/cli.md (a test checks).
"""

from __future__ import annotations

import getpass
import sys
import uuid
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from safepassage import migrate
from safepassage.bootstrap import Container, bootstrap
from safepassage.registry import services
from safepassage.security import services as security
from safepassage.security.policy import Actor, Role
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


def _container() -> Container:
    return bootstrap()


def _operator(role: Role = Role.SUPERVISOR) -> Actor:
    return Actor(username=f"cli:{getpass.getuser()}", role=role)


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


def _domain_failure(exc: DomainError) -> typer.Exit:
    err.print(f"[red]error:[/red] {exc.message}")
    for problem in exc.problems:
        err.print(f"  {problem.field}: {problem.reason}")
    return typer.Exit(2)


def _site_id(container: Container, code: str) -> uuid.UUID:
    with container.uow() as uow:
        return services.get_site_by_code_or_raise(uow, code).id


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
    uvicorn.run(
        create_app(container),
        host=host or settings.host,
        port=port or settings.port,
        log_level=settings.log_level.lower(),
        proxy_headers=False,
    )


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
        table = Table("user", "role", "password (shown once)")
        for role in Role:
            if role == Role.ADMINISTRATOR:
                continue
            name = f"demo_{role.value}"
            try:
                _, password = security.create_user(
                    container.uow(), username=name, role=role, actor=_operator(Role.ADMINISTRATOR)
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
    try:
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
    except DomainError as exc:
        raise _domain_failure(exc) from None
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
    site: Annotated[str | None, typer.Option(help="Only this site's persons (site code).")] = None,
    partner: Annotated[
        str | None, typer.Option(help="Only persons who consent to sharing with this partner.")
    ] = None,
) -> None:
    """Export persons (never protection attributes) in the import's column layout."""
    from safepassage.registry.exporting import export_csv

    container = _container()
    try:
        site_id = _site_id(container, site) if site else None
        with _progress() as progress:
            task = progress.add_task("exporting", total=None)
            count = export_csv(
                container.uow(),
                out,
                actor=_operator(),
                site_id=site_id,
                partner=partner,
                progress=lambda n: progress.update(task, completed=n),
            )
    except DomainError as exc:
        raise _domain_failure(exc) from None
    console.print(f"{count} persons written to {out}")


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[Role, typer.Option(help="Role of the account.")],
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin", help="Read the password from standard input instead of generating one."
        ),
    ] = False,
) -> None:
    """Create an account; a generated password is printed once."""
    container = _container()
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    try:
        _, secret = security.create_user(
            container.uow(),
            username=username,
            role=role,
            display_name=name,
            password=password,
            actor=_operator(Role.ADMINISTRATOR),
        )
    except DomainError as exc:
        raise _domain_failure(exc) from None
    console.print(f"user [cyan]{username}[/cyan] ({role.value}) created")
    if password is None:
        console.print(f"password [cyan]{secret}[/cyan]  (shown once)")


@user_app.command("token")
def user_token(
    username: Annotated[str, typer.Argument(help="Login name.")],
    days: Annotated[int, typer.Option(min=1, max=365, help="Days the token is valid.")] = 30,
    name: Annotated[str, typer.Option(help="What the token is for.")] = "cli",
) -> None:
    """Issue an API bearer token for an account (printed once)."""
    import datetime as dt

    container = _container()
    try:
        token = security.issue_token(
            container.uow(),
            username=username,
            name=name,
            valid_for=dt.timedelta(days=days),
            actor=_operator(Role.ADMINISTRATOR),
        )
    except DomainError as exc:
        raise _domain_failure(exc) from None
    console.print(token)


if __name__ == "__main__":  # pragma: no cover
    app()
