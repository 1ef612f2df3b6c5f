"""What every ``safepassage`` command module shares: the container, the server's operator as the acting
user, failures turned into exit codes with the field and reason, site codes and ids from arguments."""

from __future__ import annotations

import getpass
import socket
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from safepassage.bootstrap import Container, bootstrap
from safepassage.registry import services
from safepassage.security.policy import Actor, Role
from safepassage.shared.errors import DomainError, Invalid

err = Console(stderr=True)


def container() -> Container:
    return bootstrap()


def operator(role: Role = Role.SUPERVISOR) -> Actor:
    """The server's own operator: whoever holds a shell on the server holds the database and the keys,
    so the CLI works for every site, and every act is audited under ``cli:<user>`` from this host."""
    return Actor(
        username=f"cli:{getpass.getuser()}", role=role, all_sites=True, address=f"cli:{socket.gethostname()}"
    )


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


def domain_failure(exc: DomainError, code: int = 2) -> typer.Exit:
    """The service's refusal, with each field and reason, as exit ``code``."""
    err.print(f"[red]error:[/red] {exc.message}")
    for problem in exc.problems:
        err.print(f"  {problem.field}: {problem.reason}")
    return typer.Exit(code)


def refusal(exc: DomainError) -> typer.Exit:
    """A refusal of the operator's act: exit 2 for invalid input, 1 for anything else."""
    return domain_failure(exc, 2 if isinstance(exc, Invalid) else 1)


@contextmanager
def refused(as_exit: Callable[[DomainError], typer.Exit] = domain_failure) -> Iterator[None]:
    """Within the block, a service's refusal ends the command: its message, fields and reasons on
    standard error and the exit code ``as_exit`` gives (``domain_failure``: 2; ``refusal``: 2 for
    invalid input, 1 for anything else)."""
    try:
        yield
    except DomainError as exc:
        raise as_exit(exc) from None


def site_id(container: Container, code: str) -> uuid.UUID:
    with container.uow() as uow:
        return services.get_site_by_code_or_raise(uow, code).id


def parse_uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise fail(f"{what}: not an id: {value!r}", 2) from None
