"""Lookups that raise NotFound: what every use case starts from."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from safepassage.registry.models import (
    Household,
    Person,
    Site,
)
from safepassage.shared.errors import NotFound
from safepassage.uow import UnitOfWork

# ---------------------------------------------------------------------------------------------------
# Lookups


def get_site_or_raise(uow: UnitOfWork, site_id: uuid.UUID) -> Site:
    site = uow.session.get(Site, site_id)
    if site is None:
        raise NotFound(f"site {site_id} does not exist")
    return site


def get_site_by_code_or_raise(uow: UnitOfWork, code: str) -> Site:
    site = uow.session.scalar(select(Site).where(Site.code == code))
    if site is None:
        raise NotFound(f"site '{code}' does not exist")
    return site


def get_person_or_raise(uow: UnitOfWork, person_id: uuid.UUID) -> Person:
    person = uow.session.get(Person, person_id)
    if person is None or person.merged_into_id is not None:
        raise NotFound(f"person {person_id} does not exist")
    return person


def get_household_or_raise(uow: UnitOfWork, household_id: uuid.UUID) -> Household:
    household = uow.session.scalar(
        select(Household).where(Household.id == household_id).options(selectinload(Household.members))
    )
    if household is None:
        raise NotFound(f"household {household_id} does not exist")
    return household
