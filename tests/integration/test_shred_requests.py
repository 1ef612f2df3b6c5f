"""Shredding from the API and the oversight page: one supervisor asks, a second approves."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from safepassage.registry import queries, schemas, services
from safepassage.security.policy import Role
from safepassage.shared.clock import FixedClock
from tests.conftest import csrf_field, enrol_second_factor, household_payload, web_sign_in

pytestmark = pytest.mark.db

REASON = "the front is at the gate; the shelter is being evacuated"


def _protected_person(container, supervisor, site_id):
    payload = household_payload(site_id)
    payload["members"][0]["protection"] = {"purpose": "protection_case", "religion": "SHREDME-religion"}
    household = services.register_household_returning(
        container.uow(), schemas.HouseholdCreate.model_validate(payload), actor=supervisor
    )
    return household.members[0].id


def test_a_second_supervisor_approves_and_the_sites_protected_data_is_gone(
    app_client, api_as, container, supervisor, make_user, site_id
):
    person_id = _protected_person(container, supervisor, site_id)
    first = api_as(supervisor)
    asked = app_client.post(f"/api/v1/sites/{site_id}/shred-requests", json={"reason": REASON}, headers=first)
    assert asked.status_code == 201, asked.text
    request_id = asked.json()["id"]
    own = app_client.post(f"/api/v1/shred-requests/{request_id}/approve", headers=first)
    assert own.status_code == 403
    second = api_as(make_user("supervisor2", Role.SUPERVISOR, sites=[site_id]))
    done = app_client.post(f"/api/v1/shred-requests/{request_id}/approve", headers=second)
    assert done.status_code == 200, done.text
    read = queries.get_person(
        container.uow(), person_id, actor=supervisor, include_protection=True, purpose="after the shred"
    )
    assert read.protection is not None and read.protection.religion.state == "shredded"
    again = app_client.post(f"/api/v1/shred-requests/{request_id}/approve", headers=second)
    assert again.status_code == 409


def test_a_shred_request_lapses_and_is_site_scoped(
    app_client, api_as, container, supervisor, make_user, site_id
):
    other = services.create_site(
        container.uow(),
        schemas.SiteCreate(code="BEY-1", name="Beirut", kind="shelter", country="LB"),
        actor=supervisor,
    )
    first = api_as(supervisor)
    foreign = app_client.post(f"/api/v1/sites/{other}/shred-requests", json={"reason": REASON}, headers=first)
    assert foreign.status_code == 403
    short = app_client.post(f"/api/v1/sites/{site_id}/shred-requests", json={"reason": "now"}, headers=first)
    assert short.status_code == 422
    request_id = app_client.post(
        f"/api/v1/sites/{site_id}/shred-requests", json={"reason": REASON}, headers=first
    ).json()["id"]
    outsider = api_as(make_user("supervisor_beirut", Role.SUPERVISOR, sites=[other]))
    assert (
        app_client.post(f"/api/v1/shred-requests/{request_id}/approve", headers=outsider).status_code == 403
    )
    second = api_as(make_user("supervisor2", Role.SUPERVISOR, sites=[site_id]))
    container.clock = FixedClock(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=31))
    lapsed = app_client.post(f"/api/v1/shred-requests/{request_id}/approve", headers=second)
    assert lapsed.status_code == 409 and "lapsed" in lapsed.text


def test_the_oversight_page_asks_and_approves_a_shred(app_client, container, supervisor, make_user, site_id):
    person_id = _protected_person(container, supervisor, site_id)
    secret = enrol_second_factor(container, supervisor.username)
    assert web_sign_in(app_client, container, supervisor.username, totp_secret=secret).status_code == 303
    page = app_client.get("/oversight").text
    title = page[page.index("<title>") : page.index("</title>")]
    assert "Shred" not in title and page.index('action="/oversight/shred"') > page.index("<main")
    token = csrf_field(page)
    asked = app_client.post(
        "/oversight/shred",
        data={"csrf_token": token, "site_id": str(site_id), "reason": REASON},
        follow_redirects=True,
    )
    assert "second supervisor" in asked.text
    app_client.post("/logout", data={"csrf_token": csrf_field(asked.text)})
    make_user("supervisor2", Role.SUPERVISOR, sites=[site_id])
    secret2 = enrol_second_factor(container, "supervisor2")
    assert web_sign_in(app_client, container, "supervisor2", totp_secret=secret2).status_code == 303
    page = app_client.get("/oversight")
    actions = re.findall(r'action="(/oversight/shred/[^"]+/approve)"', page.text)
    assert len(actions) == 1
    action = actions[0]
    done = app_client.post(action, data={"csrf_token": csrf_field(page.text)}, follow_redirects=True)
    assert "destroyed" in done.text
    read = queries.get_person(
        container.uow(), person_id, actor=supervisor, include_protection=True, purpose="check"
    )
    assert read.protection.religion.state == "shredded"


def test_erase_through_the_api_needs_the_permission_and_a_reason(
    app_client, api_as, container, supervisor, clerk_aleppo, site_id
):
    person_id = _protected_person(container, supervisor, site_id)
    assert (
        app_client.post(
            f"/api/v1/persons/{person_id}/erase",
            json={"reason": "asked by the person"},
            headers=api_as(clerk_aleppo),
        ).status_code
        == 403
    )
    done = app_client.post(
        f"/api/v1/persons/{person_id}/erase",
        json={"reason": "the person asked for erasure"},
        headers=api_as(supervisor),
    )
    assert done.status_code == 200 and done.json()["persons"] == 1
