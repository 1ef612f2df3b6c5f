"""Typed dependencies: the container, a unit of work, the acting user, and the permission every
route declares (``Allowed(Permission.X)``). A test fails when a route declares none."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request

from safepassage import sessions
from safepassage.bootstrap import Container
from safepassage.security import services as security
from safepassage.security.policy import Actor, Permission, require
from safepassage.shared.errors import Unauthenticated
from safepassage.uow import UnitOfWork


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


async def _container(request: Request) -> Container:
    # async: FastAPI runs a plain ``def`` dependency in the thread pool, a hop per request for nothing
    return get_container(request)


ContainerDep = Annotated[Container, Depends(_container)]


async def get_uow(container: ContainerDep) -> UnitOfWork:
    return container.uow()  # makes no connection until used


UowDep = Annotated[UnitOfWork, Depends(get_uow)]


def current_actor(request: Request, container: ContainerDep) -> Actor:
    """The user behind a bearer token, or behind the signed session cookie of the web pages."""
    address = request.client.host if request.client is not None else None
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        actor = security.actor_for_token(container.uow(), header[7:].strip(), address=address)
        if actor is None:
            raise Unauthenticated("the token is unknown, expired or revoked")
        return sessions.with_grants(container, actor)
    actor = (
        sessions.session_actor(request.session, container, address=address)
        if "session" in request.scope
        else None
    )
    if actor is not None:
        return actor
    raise Unauthenticated("sign in, or send Authorization: Bearer <token>")


def Allowed(permission: Permission) -> Callable[..., Awaitable[Actor]]:
    """A dependency that yields the actor if their role grants ``permission``."""

    async def dependency(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
        require(actor, permission)
        return actor

    dependency.__permission__ = permission  # type: ignore[attr-defined]
    return dependency


def permission_of(call: Any) -> Permission | None:
    return getattr(call, "__permission__", None)


def Public() -> Callable[[], None]:
    """Declares a route open to anyone (the login page, health): the explicit opposite of Allowed."""

    def dependency() -> None:
        return None

    dependency.__permission__ = "public"  # type: ignore[attr-defined]
    return dependency
