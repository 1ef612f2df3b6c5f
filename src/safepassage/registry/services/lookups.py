"""Lookups that raise NotFound: what every use case starts from.

A person or household lookup takes the actor: a record outside the actor's sites does not exist for
them (``NotFound``, no hint that it does) unless a break-glass grant opened it. There is no lookup
without an actor, so no use case can forget the scope.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from safepassage.registry.models import (
    Household,
    Person,
    Site,
)
from safepassage.security.policy import Actor, require_record
from safepassage.shared.errors import NotFound
from safepassage.shared.i18n import say
from safepassage.uow import UnitOfWork

# ---------------------------------------------------------------------------------------------------
# Lookups


def get_site_or_raise(uow: UnitOfWork, site_id: uuid.UUID) -> Site:
    site = uow.session.get(Site, site_id)
    if site is None:
        raise NotFound(say("site %(id)s does not exist", id=site_id))
    return site


def get_site_by_code_or_raise(uow: UnitOfWork, code: str) -> Site:
    site = uow.session.scalar(select(Site).where(Site.code == code))
    if site is None:
        raise NotFound(say("site '%(code)s' does not exist", code=code))
    return site


def get_person_or_raise(uow: UnitOfWork, person_id: uuid.UUID, *, actor: Actor) -> Person:
    person = uow.session.get(Person, person_id)
    if person is None or person.merged_into_id is not None:
        raise NotFound(say("person %(id)s does not exist", id=person_id))
    require_record(actor, person.site_id, person.id, what=f"person {person_id}")
    return person


def get_household_or_raise(uow: UnitOfWork, household_id: uuid.UUID, *, actor: Actor) -> Household:
    household = uow.session.scalar(
        select(Household).where(Household.id == household_id).options(selectinload(Household.members))
    )
    if household is None:
        raise NotFound(say("household %(id)s does not exist", id=household_id))
    require_record(actor, household.site_id, household.id, what=f"household {household_id}")
    return household
