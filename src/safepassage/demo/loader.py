"""Load the synthetic demo scenario through the ordinary services (same rules as a clerk)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import select

from safepassage.bootstrap import Container
from safepassage.demo.generator import generate_households, generate_sites
from safepassage.placement.demo import load_placement_demo
from safepassage.registry import services
from safepassage.registry.models import Household, Person, Site
from safepassage.security.policy import Actor


def registry_is_empty(container: Container) -> bool:
    with container.uow() as uow:
        return uow.session.scalar(select(Person.id).limit(1)) is None


def load_demo(
    container: Container,
    *,
    households: int,
    seed: int,
    actor: Actor,
    progress: Callable[[int], None] | None = None,
    today: dt.date | None = None,
) -> tuple[int, int]:
    """Create the demo sites (those missing) and ``households`` households. Idempotent per seed:
    each household carries the source key ``demo:<seed>:<n>``, so loading again adds nothing.
    Returns (sites created, households created)."""
    sites_created = 0
    for site in generate_sites():
        with container.uow() as uow:
            exists = uow.session.scalar(select(Site.id).where(Site.code == site.code)) is not None
        if not exists:
            services.create_site(container.uow(), site, actor=actor)
            sites_created += 1
    with container.uow() as uow:
        site_ids = dict(uow.session.execute(select(Site.code, Site.id)).tuples().all())
    created = 0
    day = today or container.clock.now().date()
    for n, household in enumerate(generate_households(households, seed, site_ids, day)):
        key = f"demo:{seed}:{n}"
        with container.uow() as uow:
            known = uow.session.scalar(select(Household.id).where(Household.source_key == key)) is not None
        if not known:
            services.register_household(container.uow(), household, actor=actor, source_key=key)
            created += 1
        if progress is not None:
            progress(n + 1)
    # regions and a synthetic outcome history, so that a placement run works out of the box
    load_placement_demo(container, actor=actor, seed=seed)
    return sites_created, created
