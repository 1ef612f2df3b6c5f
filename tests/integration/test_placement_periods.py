"""Capacities per period: a run plans for one period and consumes what that period has left; a decided
placement counts against its run's period (or the quarter holding it); periods of one region never
overlap; capacities are edited per period through the service, the API, the page and the CLI; the
migration moves each region's single set of capacities into one period."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from safepassage import migrate
from safepassage.placement import decisions, queries, runs, services
from safepassage.placement.models import PlacementAssignment
from safepassage.placement.periods import Period
from safepassage.placement.schemas import CapacityUpdate, RunCreate
from safepassage.security.policy import SYSTEM, Actor, Role
from safepassage.shared.errors import Invalid
from tests.conftest import csrf_field, enrol_second_factor, web_sign_in
from tests.integration.test_placement_workflow import (
    history_csv,
    regions_csv,
    register,
    set_up_regions_and_history,
)


@pytest.fixture
def officer(make_user: Callable[..., Actor], site_id: uuid.UUID) -> Actor:
    return make_user("placement_aleppo", Role.PLACEMENT_OFFICER, sites=[site_id])


def this_month() -> Period:
    return Period.month_of(dt.datetime.now(dt.UTC).date())


def quota(container, officer: Actor, period: str | None = None) -> dict[str, tuple[int, int, str | None]]:
    return {
        r.code: (r.quota.used, r.quota.capacity, r.capacity_period)
        for r in queries.list_regions(container.uow(), actor=officer, period=period)
    }


def accept_all(container, officer: Actor, run_id: uuid.UUID) -> list[str]:
    placed = []
    for p in queries.list_proposals(container.uow(), actor=officer, run_id=run_id):
        assert p.region is not None, p.reason
        decisions.accept_proposal(container.uow(), p.id, actor=officer)
        placed.append(p.region)
    return placed


@pytest.mark.db
def test_a_run_consumes_the_capacity_of_its_own_period(container, site_id, officer):
    set_up_regions_and_history(container, north=2, south=2, east=2)  # this month: one household each
    now, later = this_month(), Period.month_of(this_month().end)
    services.set_capacities(
        container.uow(),
        "NORTH",
        later.code,
        CapacityUpdate(
            quota_persons=4, housing_small=2, school_places=2, kindergarten_places=2, language_course=2
        ),
        actor=SYSTEM,
    )
    for _ in range(3):
        register(container, site_id)
    first = runs.run_placement(container.uow(), RunCreate(time_limit=20), actor=officer)
    assert queries.get_run(container.uow(), first, actor=officer).period == now.code
    assert sorted(accept_all(container, officer, first)) == ["EAST", "NORTH", "SOUTH"]
    assert quota(container, officer) == {c: (2, 2, now.code) for c in ("EAST", "NORTH", "SOUTH")}

    for _ in range(2):
        register(container, site_id)
    full = runs.run_placement(container.uow(), RunCreate(time_limit=20), actor=officer)
    assert all(
        p.region is None and p.reason_code == "unplaced_capacity"
        for p in queries.list_proposals(container.uow(), actor=officer, run_id=full)
    )  # this month is full
    second = runs.run_placement(container.uow(), RunCreate(period=later.code, time_limit=20), actor=officer)
    run = queries.get_run(container.uow(), second, actor=officer)
    assert run.period == later.code and run.report["regions_without_capacity"] == ["EAST", "SOUTH"]
    assert accept_all(container, officer, second) == ["NORTH", "NORTH"]  # next month's capacity

    assert quota(container, officer, later.code) == {
        "EAST": (0, 0, None),
        "NORTH": (4, 4, later.code),
        "SOUTH": (0, 0, None),
    }
    assert quota(container, officer) == {c: (2, 2, now.code) for c in ("EAST", "NORTH", "SOUTH")}
    with container.uow() as uow:
        periods = sorted(uow.session.scalars(select(PlacementAssignment.period)))
    assert periods == [now.code] * 3 + [later.code] * 2


@pytest.mark.db
def test_a_quarter_holds_the_placements_of_its_months_and_periods_never_overlap(container, site_id, officer):
    quarter = Period.quarter_of(dt.datetime.now(dt.UTC).date())
    report = services.import_regions(
        container.uow(), regions_csv(north=2, south=2, east=2), actor=SYSTEM, period=quarter.code
    )
    assert report.problems == [] and report.created == 3
    services.import_history(container.uow(), history_csv(), actor=SYSTEM, source="test")
    register(container, site_id)
    run_id = runs.run_placement(container.uow(), RunCreate(time_limit=20), actor=officer)
    assert queries.get_run(container.uow(), run_id, actor=officer).period == this_month().code
    (region,) = accept_all(container, officer, run_id)
    assert quota(container, officer)[region] == (2, 2, quarter.code)  # the month counts in its quarter
    assert quota(container, officer, quarter.code)[region] == (2, 2, quarter.code)

    with pytest.raises(Invalid) as refused:
        services.set_capacities(
            container.uow(), region, this_month().code, CapacityUpdate(quota_persons=9), actor=SYSTEM
        )
    assert refused.value.problems[0].field == "period" and quarter.code in refused.value.message
    again = services.import_regions(container.uow(), regions_csv(), actor=SYSTEM, period=this_month().code)
    assert [(p.row, p.field, p.reason) for p in again.problems] == [
        (n, "period", f"overlaps {quarter.code}") for n in (2, 3, 4)
    ]
    assert quota(container, officer)[region] == (2, 2, quarter.code)  # nothing changed


@pytest.mark.db
def test_a_bad_or_past_period_is_refused_naming_the_field(container, site_id, officer):
    set_up_regions_and_history(container)
    register(container, site_id)
    for period, words in (("2020-01", "has ended"), ("2026-13", "not a month")):
        with pytest.raises(Invalid) as refused:
            runs.run_placement(container.uow(), RunCreate(period=period, time_limit=5), actor=officer)
        problem = refused.value.problems[0]
        assert problem.field == "period" and words in problem.reason
    with pytest.raises(Invalid):
        queries.list_regions(container.uow(), actor=officer, period="soon")


@pytest.mark.db
def test_capacities_per_period_through_the_api_the_page_and_the_cli(
    app_client, api_as, container, supervisor, officer, site_id
):
    set_up_regions_and_history(container)
    later = Period.month_of(this_month().end).code
    boss, clerk = api_as(supervisor), api_as(officer)
    url = f"/api/v1/placement/regions/NORTH/capacities/{later}"
    assert app_client.put(url, json={"quota_persons": 9}, headers=clerk).status_code == 403
    r = app_client.put(url, json={"quota_persons": 9, "housing_small": 4}, headers=boss)
    assert r.status_code == 200, r.text
    assert r.json()["capacity_period"] == later and r.json()["resources"][0]["capacity"] == 9
    bad = app_client.put("/api/v1/placement/regions/NORTH/capacities/soon", json={}, headers=boss)
    assert bad.status_code == 422 and bad.json()["error"]["problems"][0]["field"] == "period"
    used = app_client.get("/api/v1/placement/utilisation", params={"period": later}, headers=clerk).json()
    assert {r["code"]: r["resources"][0]["capacity"] for r in used} == {"EAST": 0, "NORTH": 9, "SOUTH": 0}

    secret = enrol_second_factor(container, supervisor.username)
    signed_in = web_sign_in(app_client, container, supervisor.username, totp_secret=secret)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/persons"
    page = app_client.get(f"/placement/regions?period={later}")
    assert page.status_code == 200 and 'action="/placement/regions/NORTH/capacities"' in page.text
    form = {"csrf_token": csrf_field(page.text), "period": later, "quota_persons": "12", "school_places": ""}
    saved = app_client.post("/placement/regions/NORTH/capacities", data=form)
    assert saved.status_code == 200 and "Capacities recorded." in saved.text
    refused = app_client.post("/placement/regions/NORTH/capacities", data={**form, "quota_persons": "-1"})
    assert "Not a whole number" in refused.text
    north = {r.code: r for r in queries.list_regions(container.uow(), actor=officer, period=later)}["NORTH"]
    capacities = {x.resource: x.capacity for x in north.resources}
    assert (capacities["quota_persons"], capacities["housing_small"]) == (12, 4)  # the rest stays
    assert north.periods == sorted([this_month().code, later])


def test_the_migration_moves_each_region_s_capacities_into_one_period(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'before.db'}")
    migrate.upgrade(engine, "0008")
    regions = sa.Table("placement_regions", sa.MetaData(), autoload_with=engine)
    runs_table = sa.Table("placement_runs", sa.MetaData(), autoload_with=engine)
    now = dt.datetime.now(dt.UTC)
    capacities = {
        "quota_persons": 40,
        "housing_small": 12,
        "housing_large": 3,
        "school_places": 20,
        "kindergarten_places": 6,
        "dialysis": 2,
        "oncology": 1,
        "disability": 2,
        "language_course": 30,
    }
    with engine.begin() as conn:
        conn.execute(
            regions.insert().values(
                id=uuid.uuid4().hex,
                code="NORTH",
                name="North",
                unemployment_rate=0.05,
                communities=["ar"],
                active=True,
                created_at=now,
                updated_at=now,
                **capacities,
            )
        )
        conn.execute(
            runs_table.insert().values(
                id=uuid.uuid4().hex,
                created_at=now,
                created_by="officer",
                households=1,
                placed_households=1,
                placed_persons=2,
                expected_outcome=0.5,
                objective=1.5,
                method="decomposition",
                solver_status="optimal",
                seconds=1.0,
                report={},
            )
        )
    migrate.upgrade(engine, "0009")
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT * FROM placement_capacities")).mappings().one()
        run = conn.execute(sa.text("SELECT status, progress, period FROM placement_runs")).one()
    columns = {c["name"] for c in sa.inspect(engine).get_columns("placement_regions")}
    engine.dispose()
    month = Period.month_of(now.date()).code
    assert row["period"] == month and {k: row[k] for k in capacities} == capacities
    assert tuple(run) == ("done", 1.0, month)
    assert not columns & set(capacities)  # the region keeps no capacity of its own
