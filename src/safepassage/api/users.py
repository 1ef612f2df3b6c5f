"""Accounts through the API (administrators: users.manage): create, list, change sites, disable and
enable, end sessions, reset a second factor; and ending every session of a site (an administrator
for any site, a supervisor for one of their own) when a site is overrun or a device lost."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy import select

from safepassage.api.deps import Allowed, UowDep
from safepassage.registry.models import Site
from safepassage.registry.services import get_site_by_code_or_raise
from safepassage.security import services as security
from safepassage.security.policy import Actor, Permission, Role
from safepassage.uow import UnitOfWork

router = APIRouter(prefix="/api/v1", tags=["users"])

Manager = Annotated[Actor, Depends(Allowed(Permission.USER_MANAGE))]
SiteManager = Annotated[Actor, Depends(Allowed(Permission.SITE_MANAGE))]


class UserCreate(BaseModel):
    username: str = Field(min_length=1, max_length=80)
    role: Role
    display_name: str | None = Field(default=None, max_length=200)
    sites: list[str] = Field(default_factory=list, description="Codes of the sites the account works for.")


class UserRead(BaseModel):
    id: uuid.UUID
    username: str
    display_name: str
    role: Role
    active: bool
    second_factor: bool
    sites: list[str]


class UserCreated(BaseModel):
    id: uuid.UUID
    username: str
    password: str = Field(description="Generated, shown once.")


class SitesChange(BaseModel):
    add: list[str] = Field(default_factory=list)
    remove: list[str] = Field(default_factory=list)


class SitesRead(BaseModel):
    sites: list[str]


class Ended(BaseModel):
    ended: int


def site_ids(uow: UnitOfWork, codes: Iterable[str]) -> list[uuid.UUID]:
    with uow:
        return [get_site_by_code_or_raise(uow, code.strip()).id for code in codes]


def site_codes(uow: UnitOfWork, ids: Iterable[uuid.UUID]) -> list[str]:
    wanted = list(ids)
    if not wanted:
        return []
    with uow:
        return sorted(uow.session.scalars(select(Site.code).where(Site.id.in_(wanted))))


@router.get("/users")
def list_users(uow: UowDep, actor: Manager) -> list[UserRead]:
    users = security.list_users(uow, actor=actor)
    return [
        UserRead(
            id=u.id,
            username=u.username,
            display_name=u.display_name,
            role=u.role,
            active=u.active,
            second_factor=u.second_factor,
            sites=site_codes(uow, u.site_ids),
        )
        for u in users
    ]


@router.post("/users", status_code=201)
def create_user(cmd: UserCreate, uow: UowDep, actor: Manager) -> UserCreated:
    """A new account with a generated password (shown once). Supervisors and administrators enrol
    their second factor at their first sign-in on the web."""
    ids = site_ids(uow, cmd.sites)
    user_id, password = security.create_user(
        uow, username=cmd.username, role=cmd.role, display_name=cmd.display_name, site_ids=ids, actor=actor
    )
    return UserCreated(id=user_id, username=cmd.username.strip().lower(), password=password)


@router.post("/users/{username}/sites")
def change_sites(username: str, cmd: SitesChange, uow: UowDep, actor: Manager) -> SitesRead:
    now = security.change_sites(
        uow, username, add=site_ids(uow, cmd.add), remove=site_ids(uow, cmd.remove), actor=actor
    )
    return SitesRead(sites=site_codes(uow, now))


@router.post("/users/{username}/disable", status_code=204)
def disable(username: str, uow: UowDep, actor: Manager) -> None:
    """Disable an account: its sessions and tokens are refused from the next request on."""
    security.set_active(uow, username, active=False, actor=actor)


@router.post("/users/{username}/enable", status_code=204)
def enable(username: str, uow: UowDep, actor: Manager) -> None:
    security.set_active(uow, username, active=True, actor=actor)


@router.post("/users/{username}/sessions/end")
def end_user_sessions(username: str, uow: UowDep, actor: Manager) -> Ended:
    return Ended(ended=security.end_sessions_of_user(uow, username, actor=actor))


@router.post("/users/{username}/second-factor/reset", status_code=204)
def reset_second_factor(username: str, uow: UowDep, actor: Manager) -> None:
    """Forget the account's second factor (a lost phone): it enrols a new one at its next sign-in."""
    security.totp.reset(uow, username, actor=actor)


@router.post("/sites/{code}/sessions/end")
def end_site_sessions(code: str, uow: UowDep, actor: SiteManager) -> Ended:
    """End every session of every account working for the site (a supervisor: their own sites)."""
    (site_id,) = site_ids(uow, [code])
    return Ended(ended=security.end_sessions_of_site(uow, site_id, actor=actor))
