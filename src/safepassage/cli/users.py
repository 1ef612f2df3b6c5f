"""``safepassage user ...``: accounts, their sites, second factor, tokens and sessions, from the
server's own command line (acting as administrator, recorded as ``cli:<os user>``).

Every secret is printed once: generated passwords, API tokens, second-factor keys.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
import uuid
from typing import Annotated

import segno
import typer
from rich.console import Console
from rich.table import Table

from safepassage import sessions
from safepassage.bootstrap import Container
from safepassage.cli.common import container as _container
from safepassage.cli.common import operator, refused
from safepassage.registry import services
from safepassage.security import services as security
from safepassage.security.policy import SECOND_FACTOR_ROLES, Actor, Role


def _admin() -> Actor:
    return operator(Role.ADMINISTRATOR)


console = Console()
err = Console(stderr=True)

sessions_app = typer.Typer(help="Web sessions.", no_args_is_help=True)


def _site_ids(container: Container, codes: list[str] | None) -> list[uuid.UUID]:
    with container.uow() as uow:
        return [services.get_site_by_code_or_raise(uow, code.strip()).id for code in codes or []]


def _show_enrolment(username: str, enrolment: security.Enrolment) -> None:
    out = io.StringIO()
    segno.make(enrolment.uri, error="m").terminal(out=out, compact=True)
    console.print(f"second factor for [cyan]{username}[/cyan] (shown once: hand it over in person)")
    console.print(out.getvalue(), markup=False, highlight=False)
    console.print(f"key [cyan]{enrolment.secret}[/cyan]")
    console.print(f"uri {enrolment.uri}", markup=False, highlight=False)


def add(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[Role, typer.Option(help="Role of the account.")],
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    site: Annotated[
        list[str] | None, typer.Option("--site", help="Code of a site the account works for (repeatable).")
    ] = None,
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin", help="Read the password from standard input instead of generating one."
        ),
    ] = False,
) -> None:
    """Create an account; a generated password is printed once (and, for supervisors and
    administrators, the second-factor key)."""
    container = _container()
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    with refused():
        ids = _site_ids(container, site)
        _, secret = security.create_user(
            container.uow(),
            username=username,
            role=role,
            display_name=name,
            password=password,
            site_ids=ids,
            actor=_admin(),
        )
        enrolment = None
        if role in SECOND_FACTOR_ROLES:
            enrolment = security.enrol_now(
                container.uow(), username, key=sessions.totp_key(container), actor=_admin()
            )
    console.print(f"user [cyan]{username}[/cyan] ({role.value}) created, {len(ids)} site(s)")
    if password is None:
        console.print(f"password [cyan]{secret}[/cyan]  (shown once)")
    if enrolment is not None:
        _show_enrolment(username, enrolment)


def token(
    username: Annotated[str, typer.Argument(help="Login name.")],
    days: Annotated[int, typer.Option(min=1, max=3650, help="Days the token is valid.")] = 30,
    name: Annotated[str, typer.Option(help="What the token is for.")] = "cli",
    scope: Annotated[
        list[str] | None,
        typer.Option("--scope", help="A permission the token carries (repeatable); none: the role's."),
    ] = None,
) -> None:
    """Issue an API bearer token for an account (printed once)."""
    container = _container()
    with refused():
        issued = security.issue_token(
            container.uow(),
            username=username,
            name=name,
            valid_for=dt.timedelta(days=days),
            scopes=security.parse_scopes(scope) if scope else None,
            max_lifetime=dt.timedelta(days=container.settings.token_max_days),
            actor=_admin(),
        )
    console.print(issued, markup=False, highlight=False)


def tokens(username: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """List an account's API tokens (never their secrets)."""
    container = _container()
    with refused():
        found = security.list_tokens(container.uow(), username, actor=_admin())
    table = Table("id", "name", "scopes", "expires", "revoked")
    for t in found:
        revoked = t.revoked_at.isoformat(timespec="minutes") if t.revoked_at else ""
        scopes = " ".join(sorted(p.value for p in t.scopes))
        table.add_row(str(t.id), t.name, scopes, t.expires_at.isoformat(timespec="minutes"), revoked)
    console.print(table)


def revoke_token(
    token_id: Annotated[uuid.UUID, typer.Argument(help="Id of the token (user tokens).")],
) -> None:
    """Revoke an API token: refused from its next request."""
    container = _container()
    with refused():
        security.revoke_token(container.uow(), token_id, actor=_admin())
    console.print(f"token {token_id} revoked")


def totp(
    username: Annotated[str, typer.Argument(help="Login name.")],
    reset: Annotated[
        bool,
        typer.Option("--reset", help="Forget the second factor: the user enrols a new one at next sign-in."),
    ] = False,
) -> None:
    """Give an account a new second factor (printed once), or forget it; its sessions end."""
    container = _container()
    with refused():
        if reset:
            security.totp.reset(container.uow(), username, actor=_admin())
        else:
            enrolment = security.enrol_now(
                container.uow(), username, key=sessions.totp_key(container), actor=_admin()
            )
    if reset:
        console.print(f"second factor of [cyan]{username}[/cyan] forgotten: enrolled again at next sign-in")
    else:
        _show_enrolment(username, enrolment)


def disable(username: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Disable an account: its sessions and tokens are refused from their next request."""
    container = _container()
    with refused():
        security.set_active(container.uow(), username, active=False, actor=_admin())
    console.print(f"user [cyan]{username}[/cyan] disabled")


def enable(username: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Enable a disabled account again."""
    container = _container()
    with refused():
        security.set_active(container.uow(), username, active=True, actor=_admin())
    console.print(f"user [cyan]{username}[/cyan] enabled")


def sites(
    username: Annotated[str, typer.Argument(help="Login name.")],
    add: Annotated[list[str] | None, typer.Option("--add", help="Site code to add (repeatable).")] = None,
    remove: Annotated[
        list[str] | None, typer.Option("--remove", help="Site code to remove (repeatable).")
    ] = None,
) -> None:
    """Show or change the sites an account works for."""
    container = _container()
    with refused():
        now = security.change_sites(
            container.uow(),
            username,
            add=_site_ids(container, add),
            remove=_site_ids(container, remove),
            actor=_admin(),
        )
        codes = []
        with container.uow() as uow:
            for site_id in now:
                site = services.get_site_or_raise(uow, site_id)
                codes.append(site.code)
    console.print(f"[cyan]{username}[/cyan] works for: {', '.join(sorted(codes)) or '(no site)'}")


def end_sessions(
    site: Annotated[
        str | None, typer.Option("--site", help="End every session of every account of this site.")
    ] = None,
    user: Annotated[str | None, typer.Option("--user", help="End every session of this account.")] = None,
) -> None:
    """End web sessions at once: of one account, or of every account working for a site."""
    if (site is None) == (user is None):
        err.print("[red]error:[/red] give exactly one of --site and --user")
        raise typer.Exit(2)
    container = _container()
    with refused():
        if site is not None:
            (site_id,) = _site_ids(container, [site])
            ended = security.end_sessions_of_site(container.uow(), site_id, actor=_admin())
        else:
            ended = security.end_sessions_of_user(container.uow(), user or "", actor=_admin())
    console.print(f"{ended} session(s) ended")


def register(user_app: typer.Typer) -> None:
    user_app.command("add")(add)
    user_app.command("token")(token)
    user_app.command("tokens")(tokens)
    user_app.command("revoke-token")(revoke_token)
    user_app.command("totp")(totp)
    user_app.command("disable")(disable)
    user_app.command("enable")(enable)
    user_app.command("sites")(sites)
    sessions_app.command("end")(end_sessions)
    user_app.add_typer(sessions_app, name="sessions")
