"""Break-glass and export requests through the API: scope, reasons, expiry, second approver, audit."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from safepassage.registry import schemas, services
from safepassage.security.audit.models import AuditEntry
from safepassage.security.policy import SYSTEM, Role
from safepassage.shared.clock import FixedClock
from tests.conftest import household_payload

pytestmark = pytest.mark.db


@pytest.fixture
def beirut_household(container):
    beirut = services.create_site(
        container.uow(),
        schemas.SiteCreate(code="BEY-1", name="Beirut", kind="shelter", country="LB"),
        actor=SYSTEM,
    )
    cmd = schemas.HouseholdCreate.model_validate(household_payload(beirut))
    household = services.register_household_returning(container.uow(), cmd, actor=SYSTEM)
    return household.id, [m.id for m in household.members]


REASON = "child reported missing at Aleppo; Beirut shelter desk unreachable overnight"


def test_a_supervisor_opens_an_out_of_scope_record_by_break_glass_until_it_expires(
    app_client, api_as, supervisor, container, beirut_household
):
    household_id, (person_id, *_) = beirut_household
    headers = api_as(supervisor)
    assert app_client.get(f"/api/v1/persons/{person_id}", headers=headers).status_code == 404
    short = app_client.post(
        "/api/v1/break-glass",
        json={"record_kind": "household", "record_id": str(household_id), "reason": "urgent"},
        headers=headers,
    )
    assert short.status_code == 422 and "reason" in short.text
    opened = app_client.post(
        "/api/v1/break-glass",
        json={"record_kind": "household", "record_id": str(household_id), "reason": REASON, "minutes": 30},
        headers=headers,
    )
    assert opened.status_code == 201, opened.text
    assert app_client.get(f"/api/v1/persons/{person_id}", headers=headers).status_code == 200
    assert app_client.get(f"/api/v1/households/{household_id}", headers=headers).status_code == 200
    # the list stays the supervisor's own sites: break-glass opens a record, not a site
    listed = app_client.get("/api/v1/persons", headers=headers).json()["items"]
    assert person_id not in {p["id"] for p in listed}
    container.clock = FixedClock(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=31))
    assert app_client.get(f"/api/v1/persons/{person_id}", headers=headers).status_code == 404


def test_break_glass_is_flagged_and_reviewed_by_another_supervisor(
    app_client, api_as, supervisor, make_user, site_id, container, beirut_household
):
    _, (person_id, *_) = beirut_household
    headers = api_as(supervisor)
    grant = app_client.post(
        "/api/v1/break-glass",
        json={"record_kind": "person", "record_id": str(person_id), "reason": REASON},
        headers=headers,
    ).json()["id"]
    app_client.get(f"/api/v1/persons/{person_id}", headers=headers)
    own = app_client.post(f"/api/v1/break-glass/{grant}/review", json={"note": "fine"}, headers=headers)
    assert own.status_code == 403
    other = api_as(make_user("supervisor2", Role.SUPERVISOR, sites=[site_id]))
    pending = app_client.get("/api/v1/break-glass?unreviewed=true", headers=other).json()
    assert [g["id"] for g in pending] == [grant]
    done = app_client.post(f"/api/v1/break-glass/{grant}/review", json={"note": "justified"}, headers=other)
    assert done.status_code == 204
    assert app_client.get("/api/v1/break-glass?unreviewed=true", headers=other).json() == []
    with container.uow() as uow:
        flagged = uow.session.execute(
            select(AuditEntry.action, AuditEntry.purpose).where(AuditEntry.flagged.is_(True))
        ).all()
    assert ("breakglass.open", REASON) in flagged
    assert "person.read" in {action for action, _ in flagged}


def test_clerks_cannot_break_glass(app_client, api_as, clerk_aleppo, beirut_household):
    household_id, _ = beirut_household
    refused = app_client.post(
        "/api/v1/break-glass",
        json={"record_kind": "household", "record_id": str(household_id), "reason": REASON},
        headers=api_as(clerk_aleppo),
    )
    assert refused.status_code == 403


def test_an_export_through_the_api_needs_a_second_supervisor_over_100_rows(
    app_client, api_as, supervisor, make_user, site_id, container
):
    for _ in range(51):
        cmd = schemas.HouseholdCreate.model_validate(household_payload(site_id))
        services.register_household(container.uow(), cmd, actor=supervisor)
    headers = api_as(supervisor)
    asked = app_client.post("/api/v1/exports", json={"purpose": "hand-over to the ministry"}, headers=headers)
    assert asked.status_code == 201 and asked.json()["state"] == "pending"
    request_id = asked.json()["id"]
    assert app_client.get(f"/api/v1/exports/{request_id}/file", headers=headers).status_code == 409
    other = api_as(make_user("supervisor2", Role.SUPERVISOR, sites=[site_id]))
    decided = app_client.post(
        f"/api/v1/exports/{request_id}/decision", json={"approve": True, "note": "ok"}, headers=other
    )
    assert decided.json()["state"] == "approved"
    got = app_client.get(f"/api/v1/exports/{request_id}/file", headers=headers)
    assert got.status_code == 200
    lines = got.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 103 and request_id in lines[1]
    assert app_client.get(f"/api/v1/exports/{request_id}/file", headers=headers).status_code == 409
