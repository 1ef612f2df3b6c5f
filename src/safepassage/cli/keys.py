"""``safepassage keys ...``, ``safepassage site shred`` and ``safepassage person erase``.

Key management acts as the server's operator with the administrator's ``keys.manage``. A shred is
not the operator's to decide alone: it asks for two different supervisors' usernames and passwords
(and their authenticator codes), then a reason, and only then destroys the site's data keys.
"""

from __future__ import annotations

import uuid
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from safepassage import sessions
from safepassage.bootstrap import Container, bootstrap
from safepassage.cli.common import domain_failure as _domain_failure
from safepassage.cli.common import fail as _fail
from safepassage.cli.common import operator as _operator
from safepassage.cli.common import refused
from safepassage.cli.common import site_id as _site_id
from safepassage.registry import services
from safepassage.registry.protection import reseal_site
from safepassage.security import services as security
from safepassage.security.accounts import SecondFactor
from safepassage.security.keys import FieldCryptoError
from safepassage.security.keys.usecases import key_status, rotate_kek, rotate_site_key, shred_site
from safepassage.security.policy import SYSTEM, Actor, Role
from safepassage.security.totp import verify
from safepassage.shared.errors import DomainError

console = Console()
err = Console(stderr=True)

keys_app = typer.Typer(help="Field encryption keys: status and rotation.", no_args_is_help=True)
site_app = typer.Typer(help="Sites: shredding a site's protected data.", no_args_is_help=True)
person_app = typer.Typer(help="Persons: erasure.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")
    app.add_typer(site_app, name="site")
    app.add_typer(person_app, name="person")


# --- keys ------------------------------------------------------------------------------------------


@keys_app.command("init")
def keys_init() -> None:
    """Create the key-encryption key file if it is missing (mode 0600); print its id."""
    container = bootstrap()
    try:
        kek_id = container.keys.ensure_kek()
    except FieldCryptoError as exc:
        raise _fail(str(exc)) from None
    console.print(f"key-encryption key [cyan]{kek_id}[/cyan] ready; keystore {container.keys.store.root}")


@keys_app.command("status")
def keys_status() -> None:
    """The current KEK, the previous ones accepted, and every site key version with its state."""
    container = bootstrap()
    try:
        status = key_status(container.uow(), actor=_operator(Role.ADMINISTRATOR))
    except FieldCryptoError as exc:
        raise _fail(str(exc)) from None
    console.print(f"KEK [cyan]{status.kek_id}[/cyan] ({status.kek_source})")
    if status.previous_kek_ids:
        console.print(f"previous KEKs still accepted: {', '.join(status.previous_kek_ids)}")
    console.print(f"keystore {status.keystore}")
    codes = _site_codes(container)
    table = Table("site", "version", "state", "wrapped by", "key file")
    for row in status.keys:
        shredded = row.state.value == "shredded"
        if shredded:
            file = "[red]still present: run the shred again[/red]" if row.has_file else "destroyed"
        else:
            file = "present" if row.has_file else "[red]missing[/red]"
        table.add_row(
            codes.get(row.site_id, str(row.site_id)), str(row.version), row.state.value, row.kek_id, file
        )
    console.print(table)
    if status.stale_wraps:
        err.print(
            f"[yellow]{status.stale_wraps} key files are wrapped by a previous KEK[/yellow]: "
            "run `safepassage keys rotate-kek --rewrap-only`"
        )
    for name in status.unreferenced_files:
        err.print(f"[yellow]unreferenced key file[/yellow] {name} (from a write that was rolled back)")


def _site_codes(container: Container) -> dict[uuid.UUID, str]:
    from safepassage.registry.queries import list_sites

    return {s.id: s.code for s in list_sites(container.uow(), actor=SYSTEM)}


@keys_app.command("rotate-kek")
def keys_rotate_kek(
    rewrap_only: Annotated[
        bool,
        typer.Option(
            "--rewrap-only",
            help="Make no new KEK: re-wrap every key file under the configured current KEK (after "
            "changing SAFEPASSAGE_KEK, or to finish an interrupted rotation).",
        ),
    ] = False,
    destroy_previous: Annotated[
        bool,
        typer.Option(
            "--destroy-previous",
            help="Once every file is re-wrapped, destroy the retired KEK files this command kept.",
        ),
    ] = False,
) -> None:
    """Rotate the key-encryption key: re-wrap every site key file under the new one, atomically per
    file, while the old one is still accepted (no downtime)."""
    container = bootstrap()
    try:
        result = rotate_kek(
            container.uow(),
            actor=_operator(Role.ADMINISTRATOR),
            new_key=not rewrap_only,
            destroy_previous=destroy_previous,
        )
    except FieldCryptoError as exc:
        raise _fail(str(exc)) from None
    except DomainError as exc:
        raise _domain_failure(exc) from None
    console.print(
        f"KEK [cyan]{result.kek_id}[/cyan]: {result.rewrapped} key files re-wrapped, "
        f"{result.already_current} already under it"
    )
    retired = container.keys.retired_kek_files()
    if retired:
        console.print(
            "previous KEK kept (still accepted) at: " + ", ".join(retired) + ". Destroy it with "
            "`--rewrap-only --destroy-previous` once no keystore backup made before today must be opened."
        )


@keys_app.command("rotate-site")
def keys_rotate_site(
    site: Annotated[str, typer.Argument(help="Site code.")],
    reencrypt: Annotated[
        bool, typer.Option("--reencrypt", help="Also seal every existing value again under the new key.")
    ] = False,
    batch: Annotated[
        int, typer.Option(min=1, max=10000, help="Persons per transaction with --reencrypt.")
    ] = 500,
) -> None:
    """A new data key version for a site: new values are sealed under it; older versions keep
    opening what they sealed, or ``--reencrypt`` moves those values over in batches."""
    container = bootstrap()
    actor = _operator(Role.ADMINISTRATOR)
    try:
        site_id = _site_id(container, site)
        version = rotate_site_key(container.uow(), site_id, actor=actor)
        console.print(f"site {site}: data key version {version} is now current")
        if reencrypt:
            report = reseal_site(container.uow(), site_id, actor=actor, batch=batch)
            console.print(
                f"{report.resealed} values sealed again over {report.persons} persons; "
                f"{report.shredded} shredded values left as they are"
            )
            if report.unreadable:
                err.print(f"[yellow]{report.unreadable} values could not be opened[/yellow]: see the log")
    except FieldCryptoError as exc:
        raise _fail(str(exc)) from None
    except DomainError as exc:
        raise _domain_failure(exc) from None


# --- site shred ------------------------------------------------------------------------------------


def _sign_in(container: Container, label: str) -> Actor:
    """A supervisor signs in at the terminal: username, password, and the authenticator code."""
    username = typer.prompt(f"{label}: username")
    password = typer.prompt(f"{label}: password", hide_input=True)
    limits = sessions.login_limits(container)
    accepted = security.check_password(container.uow(), username, password, address="cli", limits=limits)
    if accepted is None:
        raise _fail(f"{label}: sign-in refused", 1)
    actor: Actor | None
    if accepted.second_factor is SecondFactor.VERIFY:
        code = typer.prompt(f"{label}: authenticator code", hide_input=True)
        key = sessions.totp_key(container)
        actor = verify(container.uow(), accepted.user_id, code, key=key, address="cli", limits=limits)
    elif accepted.second_factor is SecondFactor.ENROL:
        raise _fail(f"{label}: this account has no second factor yet: enrol one on the web first", 1)
    else:
        actor = security.actor_for_user_id(container.uow(), accepted.user_id, address="cli")
    if actor is None:
        raise _fail(f"{label}: sign-in refused", 1)
    return actor


@site_app.command("shred")
def site_shred(
    site: Annotated[str, typer.Argument(help="Site code.")],
    reason: Annotated[str | None, typer.Option(help="Why (asked for when not given).")] = None,
) -> None:
    """Destroy every data key of a site: its protected fields become unreadable everywhere, for ever.
    Needs a supervisor and a second, different supervisor, both signing in here."""
    container = bootstrap()
    with refused():
        site_id = _site_id(container, site)
    err.print(
        f"[bold red]This destroys every data key of site {site}.[/bold red] Religion, ethnicity, the "
        "persons' accounts and medical detail recorded at this site become unreadable everywhere, "
        "in every backup, for ever. Everything else stays."
    )
    first = _sign_in(container, "supervisor")
    second = _sign_in(container, "second supervisor")
    why = reason or typer.prompt("reason")
    try:
        report = shred_site(container.uow(), site_id, actor=first, approver=second, reason=why)
    except DomainError as exc:
        raise _domain_failure(exc) from None
    except FieldCryptoError as exc:
        raise _fail(str(exc)) from None
    versions = ", ".join(str(v) for v in report.versions) or "none (no key had been made yet)"
    console.print(
        f"site {site} shredded: key versions {versions}; {report.files_destroyed} key files destroyed "
        f"(by {first.username}, approved by {second.username})"
    )


# --- person erase ----------------------------------------------------------------------------------


@person_app.command("erase")
def person_erase(
    person_id: Annotated[uuid.UUID, typer.Argument(help="The person's id.")],
    reason: Annotated[str, typer.Option(help="Why the data is erased (goes on the audit trail).")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase a person's personal data, keeping a tombstone that identifies nobody (see
    docs/security-keys.md) and a valid audit chain."""
    container = bootstrap()
    if not yes:
        typer.confirm(f"Erase the personal data of person {person_id}? This cannot be undone", abort=True)
    with refused():
        report = services.erase_person(
            container.uow(), person_id, actor=_operator(Role.SUPERVISOR), reason=reason
        )
    console.print(
        f"person {person_id} erased: {report.values_removed} records removed, "
        f"{report.change_values_scrubbed} history values scrubbed"
        + (
            f", {len(report.person_ids) - 1} merged records erased with it"
            if len(report.person_ids) > 1
            else ""
        )
    )
