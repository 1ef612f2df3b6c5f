"""Sites: create and change."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from safepassage.registry import schemas
from safepassage.registry.models import (
    Site,
)
from safepassage.registry.services.lookups import get_site_or_raise
from safepassage.security.policy import Actor, Permission, require, require_site_management
from safepassage.shared.errors import Conflict, FieldProblem, Invalid
from safepassage.shared.i18n import say
from safepassage.uow import UnitOfWork

# ---------------------------------------------------------------------------------------------------
# Sites


def create_site(uow: UnitOfWork, cmd: schemas.SiteCreate, *, actor: Actor) -> uuid.UUID:
    require(actor, Permission.SITE_MANAGE)
    with uow.acting(actor):
        if uow.session.scalar(select(Site.id).where(Site.code == cmd.code)) is not None:
            raise Conflict(
                f"a site with code '{cmd.code}' exists already",
                problems=[FieldProblem("code", say("already in use"))],
            )
        site = Site(created_at=uow.now(), **cmd.model_dump())
        uow.session.add(site)
        uow.commit()
        return site.id


def update_site(uow: UnitOfWork, site_id: uuid.UUID, cmd: schemas.SiteUpdate, *, actor: Actor) -> None:
    require(actor, Permission.SITE_MANAGE)
    with uow.acting(actor):
        site = get_site_or_raise(uow, site_id)
        require_site_management(actor, site.id)
        for key, value in cmd.model_dump(exclude_unset=True).items():
            if value is None and key in {"name", "kind", "bed_capacity"}:
                raise Invalid(
                    say("%(field)s cannot be empty", field=key),
                    problems=[FieldProblem(key, say("cannot be empty"))],
                )
            setattr(site, key, value)
        uow.commit()
