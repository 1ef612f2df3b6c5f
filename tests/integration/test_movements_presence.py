"""Checkpoint scans feed the registry's site occupancy: check-in and arrival open a stay at the site,
boarding closes it, idempotently, and scans uploaded late in any order leave the same stays open."""

from __future__ import annotations

import datetime as dt
import random
import uuid

import pytest
from sqlalchemy import select

from safepassage.registry import queries as registry_queries
from safepassage.registry import schemas as registry_schemas
from safepassage.registry import services as registry
from safepassage.registry.models import SiteStay
from safepassage.security.policy import SYSTEM
from tests.integration.test_movements_scans import T0, post, scan, world  # noqa: F401 (fixture)

pytestmark = pytest.mark.db


def _open_stays(container, persons) -> dict[uuid.UUID, tuple[uuid.UUID, dt.datetime]]:
    with container.uow() as uow:
        rows = uow.session.scalars(
            select(SiteStay).where(SiteStay.person_id.in_(persons), SiteStay.checked_out_at.is_(None))
        ).all()
        return {s.person_id: (s.site_id, s.checked_in_at) for s in rows}


def _occupancy(container, *sites) -> list[int]:
    return [registry_queries.get_site(container.uow(), s, actor=SYSTEM).occupancy for s in sites]


def test_check_in_boarding_and_arrival_move_presence_to_the_destination(container, app_client, api_as, world):  # noqa: F811
    people = list(world["tokens"])
    clerk, arrivals = api_as(world["clerk"]), api_as(world["arrivals"])
    assert _occupancy(container, world["origin"], world["dest"]) == [0, 0]
    post(app_client, clerk, [scan(world, p, "assembly_check_in", i) for i, p in enumerate(people)])
    assert _occupancy(container, world["origin"], world["dest"]) == [3, 0]
    assert _open_stays(container, people)[people[0]] == (world["origin"], T0)

    post(app_client, clerk, [scan(world, p, "boarding", 30) for p in people[:2]])
    assert _occupancy(container, world["origin"], world["dest"]) == [1, 0], "the no-show is still there"
    post(app_client, arrivals, [scan(world, people[0], "arrival", 240)])
    assert _occupancy(container, world["origin"], world["dest"]) == [1, 1]
    assert _open_stays(container, people)[people[0]] == (world["dest"], T0 + dt.timedelta(minutes=240))
    # the registry's own view, as the destination's clerk reads it through the API
    site = app_client.get(f"/api/v1/sites/{world['dest']}", headers=arrivals).json()
    assert site["occupancy"] == 1

    # scanning again (a new client id, the same moment) changes nothing
    post(app_client, arrivals, [scan(world, people[0], "arrival", 240)])
    with container.uow() as uow:
        stays = uow.session.scalars(select(SiteStay).where(SiteStay.person_id == people[0])).all()
    assert len(stays) == 2 and _occupancy(container, world["origin"], world["dest"]) == [1, 1]


def _journey(w) -> list[dict]:
    people = list(w["tokens"])
    journey = []
    for i, person in enumerate(people):
        journey.append(scan(w, person, "assembly_check_in", 10 + i))
        if i < 2:
            journey.append(scan(w, person, "boarding", 60 + i))
        if i == 0:
            journey.append(scan(w, person, "arrival", 300))
    return journey


def test_offline_scans_uploaded_out_of_order_leave_the_same_stays_open(container, app_client, api_as, world):  # noqa: F811
    people = list(world["tokens"])
    journey = _journey(world)
    clerk, arrivals = api_as(world["clerk"]), api_as(world["arrivals"])

    def upload(scans: list[dict]) -> None:
        for x in scans:  # each device uploads with its own account
            post(app_client, arrivals if x["checkpoint"] == "arrival" else clerk, [x])

    upload(journey)
    expected = _open_stays(container, people), _occupancy(container, world["origin"], world["dest"])
    assert expected[1] == [1, 1]

    for seed in (1, 2, 3):
        with container.engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM movement_scans")
            conn.exec_driver_sql("DELETE FROM site_stays")
        shuffled = journey[:]
        random.Random(seed).shuffle(shuffled)
        upload(shuffled)
        upload(shuffled[:3])  # and part of it again, as a device retrying
        got = _open_stays(container, people), _occupancy(container, world["origin"], world["dest"])
        assert got == expected, f"order {seed}"


def test_a_late_boarding_scan_ends_the_stay_at_boarding_not_at_arrival(container, app_client, api_as, world):  # noqa: F811
    person = next(iter(world["tokens"]))
    clerk, arrivals = api_as(world["clerk"]), api_as(world["arrivals"])
    post(app_client, clerk, [scan(world, person, "assembly_check_in", 0)])
    post(app_client, arrivals, [scan(world, person, "arrival", 300)])  # boarding not uploaded yet
    post(app_client, clerk, [scan(world, person, "boarding", 60)])
    with container.uow() as uow:
        stays = uow.session.scalars(
            select(SiteStay).where(SiteStay.person_id == person).order_by(SiteStay.checked_in_at)
        ).all()
        seen = [(s.site_id, s.checked_in_at, s.checked_out_at) for s in stays]
    assert seen == [
        (world["origin"], T0, T0 + dt.timedelta(minutes=60)),
        (world["dest"], T0 + dt.timedelta(minutes=300), None),
    ]


def test_a_scan_older_than_what_the_registry_knows_changes_nothing(container, app_client, api_as, world):  # noqa: F811
    person = next(iter(world["tokens"]))
    later = T0 + dt.timedelta(hours=2)
    registry.check_in(
        container.uow(), person, registry_schemas.CheckIn(site_id=world["dest"], at=later), actor=SYSTEM
    )
    post(app_client, api_as(world["clerk"]), [scan(world, person, "assembly_check_in", 0)])
    assert _open_stays(container, [person]) == {person: (world["dest"], later)}
