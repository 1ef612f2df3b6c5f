"""``safepassage audit ...``: verify the audit chain, write a checkpoint, export the public key, list
entries. Entries never hold protected values, so listing them shows none."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from cryptography.exceptions import UnsupportedAlgorithm
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from safepassage.cli.common import container as _container
from safepassage.cli.common import operator
from safepassage.security import audit
from safepassage.security.audit import queries
from safepassage.security.audit.verify import CheckpointFileError
from safepassage.security.policy import Actor, Role
from safepassage.shared.errors import DomainError

audit_app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")


def _auditor() -> Actor:
    return dataclasses.replace(operator(Role.AUDITOR), all_sites=False)


def _fail(message: str, code: int) -> typer.Exit:
    err.print(f"[red]error:[/red] {escape(message)}")
    return typer.Exit(code)


@audit_app.command("verify")
def verify(
    public_key: Annotated[
        Path | None,
        typer.Option(
            "--public-key",
            dir_okay=False,
            help="PEM public key(s) to trust (default: the public half of the configured signing key).",
        ),
    ] = None,
    checkpoints: Annotated[
        Path | None,
        typer.Option(
            "--checkpoints",
            dir_okay=False,
            help="Checkpoint file kept outside the database (default: the configured one, if it exists).",
        ),
    ] = None,
) -> None:
    """Check the whole chain: exit 0 if intact, 1 if tampered with (first broken entry and kind)."""
    container = _container()
    settings = container.settings
    if checkpoints is not None and not checkpoints.exists():
        raise _fail(f"no checkpoint file at {checkpoints}", 2)
    try:
        keys = audit.public_keys(settings, public_key)
    except (OSError, ValueError, UnsupportedAlgorithm) as exc:
        raise _fail(f"cannot read the public key: {exc}", 2) from None
    try:
        report = queries.verify(
            container.uow(),
            keys,
            actor=_auditor(),
            checkpoint_file=checkpoints or audit.checkpoint_file(settings),
        )
    except CheckpointFileError as exc:
        raise _fail(str(exc), 2) from None
    summary = Table("", "")
    summary.add_row("entries", str(report.entries))
    summary.add_row("last seq", str(report.last_seq))
    summary.add_row("signed head at", "-" if report.head_seq is None else str(report.head_seq))
    summary.add_row("checkpoints (database)", str(report.checkpoints))
    summary.add_row("checkpoints (file)", str(report.file_checkpoints))
    console.print(summary)
    first = report.first
    if first is None:
        console.print("[green]intact[/green]: every entry, link and signature checks out")
        return
    err.print(
        f"[red]TAMPERED[/red]: first broken entry at seq {first.seq}: {first.kind.value} ({first.message})",
        soft_wrap=True,
    )
    problems = Table("seq", "kind", "what")
    for p in report.problems:
        problems.add_row(str(p.seq), p.kind.value, p.message)
    err.print(problems)
    raise typer.Exit(1)


@audit_app.command("checkpoint")
def checkpoint() -> None:
    """Write a signed checkpoint at the chain's current head (database and checkpoint file)."""
    container = _container()
    point = container.audit_trail.checkpoint(container.uow())
    if point is None:
        console.print("the audit trail is empty: no checkpoint written")
        return
    console.print(f"checkpoint at seq {point.seq}: {point.hash} (key {point.key_id})")


@audit_app.command("public-key")
def public_key(
    out: Annotated[
        Path | None, typer.Option("--out", dir_okay=False, help="Write the PEM here instead of printing it.")
    ] = None,
) -> None:
    """Print (or write) the public key that verifies the chain; the signing key is made if missing."""
    container = _container()
    pem = container.audit_trail.public_key_pem()
    if out is not None:
        out.write_bytes(pem)
        console.print(f"public key {container.audit_trail.signer().key_id} written to {out}")
    else:
        console.print(pem.decode().rstrip(), highlight=False, soft_wrap=True)


@audit_app.command("list")
def list_(
    since: Annotated[
        dt.datetime | None,
        typer.Option("--since", help="Only entries at or after this UTC time (e.g. 2026-03-01T08:00)."),
    ] = None,
    actor: Annotated[str | None, typer.Option("--actor", help="Only this user's entries.")] = None,
    action: Annotated[
        str | None, typer.Option("--action", help="Only this action or dotted prefix (e.g. person).")
    ] = None,
    flagged: Annotated[
        bool, typer.Option("--flagged", help="Only flagged entries (break-glass and the like).")
    ] = False,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=500, help="How many entries, newest first.")
    ] = 50,
) -> None:
    """List audit entries, newest first (who, when, what, where from, why; never a protected value)."""
    container = _container()
    when = since.replace(tzinfo=dt.UTC) if since is not None and since.tzinfo is None else since
    try:
        page = queries.list_entries(
            container.uow(),
            actor=_auditor(),
            username=actor,
            action=action,
            flagged=True if flagged else None,
            since=when,
            limit=limit,
        )
    except DomainError as exc:
        raise _fail(exc.message, 2) from None
    table = Table("seq", "at (UTC)", "actor", "role", "action", "entity", "from", "why", "!", "details")
    for e in page.items:
        fields = e.details.get("fields")
        cells = (
            str(e.seq),
            e.at.strftime("%Y-%m-%d %H:%M:%S"),
            e.actor,
            e.role or "",
            e.action,
            f"{e.entity or ''} {e.entity_id or ''}".strip(),
            e.address or "",
            e.purpose or "",
            "⚑" if e.flagged else "",
            ", ".join(map(str, fields)) if isinstance(fields, list) else "",
        )
        table.add_row(*(Text(c) for c in cells))  # as typed: a purpose is not rich markup
    console.print(table)
    if page.next_cursor:
        console.print(f"[dim]more: older entries before seq {page.next_cursor}[/dim]")
