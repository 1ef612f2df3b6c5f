"""Regions and a past-placement history for the demo, so a placement run works out of the box.

Fictional regions of a receiving state (made-up names, positions in a box of Central Europe for the
map), with capacities from the synthetic generator sized for the demo's registered households (so that
most can be placed and a few scarce resources still bind), and a history of past
placements whose outcomes are drawn from the generator's hidden ground truth. Never real data. Loaded
through the ordinary services, so the same rules and the same audit entries hold.

Only households whose members consented to resettlement may be proposed a region: the demo records
that (synthetic) consent for about nine households in ten, so a run shows both the proposals and the
households listed as not eligible.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import random
import tempfile
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from safepassage.bootstrap import Container
from safepassage.placement import services, synthetic
from safepassage.placement.engine import Household as EngineHousehold
from safepassage.placement.engine import Region
from safepassage.placement.engine.csvio import REGION_COLUMNS
from safepassage.placement.features import consenting_members, current_members, engine_household
from safepassage.placement.models import PlacementRegion
from safepassage.registry import schemas as registry_schemas
from safepassage.registry import services as registry
from safepassage.registry.codes import ConsentMethod, ConsentPurpose, HouseholdStatus
from safepassage.registry.models import Household, Person
from safepassage.security.policy import Actor

#: code, name, latitude, longitude: fictional regions on a plausible map.
DEMO_REGIONS: tuple[tuple[str, str, float, float], ...] = (
    ("NORDMARK", "Nordmark", 54.4, 9.8),
    ("KUESTENLAND", "Küstenland", 53.9, 12.3),
    ("HEIDETAL", "Heidetal", 52.9, 9.6),
    ("SPREEWALD", "Spreewald", 52.3, 13.6),
    ("RUHRGAU", "Ruhrgau", 51.4, 7.3),
    ("ELBHANG", "Elbhang", 51.1, 13.1),
    ("MITTELBERG", "Mittelberg", 50.7, 10.6),
    ("RHEINAU", "Rheinau", 50.1, 8.1),
    ("FRANKENHOF", "Frankenhof", 49.6, 11.0),
    ("NECKARTAL", "Neckartal", 48.9, 9.2),
    ("DONAUGAU", "Donaugau", 48.6, 12.2),
    ("ALPENVORLAND", "Alpenvorland", 47.8, 11.0),
)
HISTORY_HOUSEHOLDS = 3000
CONSENTING_SHARE = 0.9


def regions_csv(regions: list[Region]) -> str:
    """R.csv with the demo's names and positions."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*REGION_COLUMNS, "name", "latitude", "longitude"])
    for region, (_, name, lat, lon) in zip(regions, DEMO_REGIONS, strict=True):
        writer.writerow(
            [
                region.region_id,
                *(getattr(region, name) for name in REGION_COLUMNS[1:10]),
                region.unemployment_rate,
                ";".join(region.communities),
                name,
                lat,
                lon,
            ]
        )
    return out.getvalue()


def _registry_households(container: Container) -> list[EngineHousehold]:
    """The registry's active households as the engine sees them (to size the regions for them)."""
    with container.uow() as uow:
        today = uow.now().date()
        households = uow.session.scalars(
            select(Household)
            .where(Household.status == HouseholdStatus.ACTIVE)
            .options(selectinload(Household.members).selectinload(Person.needs))
        )
        built = [engine_household(h, None, today)[0] for h in households]
    return [h for h in built if h.persons > 0]


def record_demo_consent(container: Container, *, actor: Actor, seed: int = 1) -> int:
    """Synthetic consent to resettlement for about nine households in ten (every member who consents
    for themselves), through the registry's service; the number of persons recorded."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    with container.uow() as uow:
        today = uow.now().date()
        households = uow.session.scalars(
            select(Household)
            .where(Household.status == HouseholdStatus.ACTIVE)
            .options(selectinload(Household.members).selectinload(Person.consents))
            .order_by(Household.id)
        ).all()
        people = [
            m.id
            for h in households
            if rng.random() < CONSENTING_SHARE
            for m in consenting_members(current_members(h), today)
            if not m.consent_in_force(ConsentPurpose.RESETTLEMENT)
        ]
    consent = registry_schemas.ConsentCreate(purpose=ConsentPurpose.RESETTLEMENT, method=ConsentMethod.SIGNED)
    for person_id in people:
        registry.record_consent(container.uow(), person_id, consent, actor=actor)
    return len(people)


def load_placement_demo(container: Container, *, actor: Actor, seed: int = 1, slack: float = 1.15) -> bool:
    """Regions with room for the registry's households (``slack`` times what they need of each
    resource, spread as the generator spreads it) and a history; nothing if regions exist already."""
    with container.uow() as uow:
        if uow.session.scalar(select(PlacementRegion.id).limit(1)) is not None:
            return False
    arrivals = _registry_households(container)
    persons = sum(h.persons for h in arrivals)
    generated, truth = synthetic.generate_regions(len(DEMO_REGIONS), persons=max(persons, 200), seed=seed)
    codes = tuple(code for code, *_ in DEMO_REGIONS)
    regions = [dataclasses.replace(r, region_id=code) for r, code in zip(generated, codes, strict=True)]
    truth = dataclasses.replace(truth, region_ids=codes)
    history = synthetic.generate_history(HISTORY_HOUSEHOLDS, regions, truth, seed=seed)
    if arrivals:
        regions = synthetic.size_capacities(regions, arrivals, slack=slack, seed=seed)
    services.import_regions(container.uow(), regions_csv(regions), actor=actor, name="demo regions")
    record_demo_consent(container, actor=actor, seed=seed)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "X.csv"
        synthetic.write_history(path, history)
        text = path.read_text(encoding="utf-8")
    services.import_history(
        container.uow(), text, actor=actor, source="demo (synthetic)", name="demo history"
    )
    return True
