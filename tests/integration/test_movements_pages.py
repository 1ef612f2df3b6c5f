"""The movement pages: a planner creates a leg, proposes and accepts a plan and issues passes; a clerk
records scans at the checkpoint (typed without a script, uploaded as a queue by the script)."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid

import pytest
from sqlalchemy import select

from safepassage.movements.models import BoardingPass
from safepassage.security.policy import Role
from tests.conftest import csrf_field, web_sign_in
from tests.integration.test_movements_workflow import destination, member, register

pytestmark = pytest.mark.db


def test_a_planner_plans_from_the_pages_and_a_clerk_scans(app_client, container, make_user, site_id):
    dest = destination(container)
    make_user("planner_aleppo", Role.MOVEMENT_PLANNER, sites=[site_id])
    people = register(container, site_id, member("Anna", "Pages"), member("Boris", "Pages", sex="male"))
    assert web_sign_in(app_client, container, "planner_aleppo").status_code == 303
    home = app_client.get("/movements")
    assert home.status_code == 200 and "Movements" in home.text
    departure = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    r = app_client.post(
        "/movements/legs",
        data={
            "csrf_token": csrf_field(home.text),
            "code": "CV-7",
            "kind": "convoy",
            "origin_site_id": str(site_id),
            "destination_site_id": str(dest),
            "departure_at": departure,
            "seats": "30",
            "lap_places": "2",
            "stretcher_places": "1",
            "baggage_kg": "900",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    leg_url = r.headers["location"]
    leg_id = leg_url.rsplit("/", 1)[1]
    r = app_client.post(
        "/movements/plans",
        data={"csrf_token": csrf_field(home.text), "origin_site_id": str(site_id)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    plan_page = app_client.get(r.headers["location"])
    assert "Accept this plan" in plan_page.text and "CV-7: 2" in plan_page.text
    accept = re.search(r'action="(/movements/plans/[^"]+/accept)"', plan_page.text).group(1)
    assert app_client.post(accept, data={"csrf_token": csrf_field(plan_page.text)}).status_code == 200
    leg_page = app_client.get(leg_url)
    app_client.post(f"{leg_url}/passes", data={"csrf_token": csrf_field(leg_page.text)})
    leg_page = app_client.get(leg_url)
    assert leg_page.text.count("/api/v1/passes/") == 2 and "Manifested" in leg_page.text
    pdf = app_client.get(f"/api/v1/legs/{leg_id}/manifest?format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    app_client.post("/logout", data={"csrf_token": csrf_field(leg_page.text)})
    make_user("clerk_aleppo", Role.REGISTRATION_CLERK, sites=[site_id])
    assert web_sign_in(app_client, container, "clerk_aleppo").status_code == 303
    page = app_client.get(f"/checkpoint?site_id={site_id}")
    assert page.status_code == 200 and "checkpoint.js" in page.text and "CV-7" in page.text
    with container.uow() as uow:
        numbers = {p.person_id: p.number for p in uow.session.scalars(select(BoardingPass))}
    typed = app_client.post(
        "/checkpoint",
        data={
            "csrf_token": csrf_field(page.text),
            "site_id": str(site_id),
            "leg_id": leg_id,
            "checkpoint": "assembly_check_in",
            "pass": numbers[people[0]],
        },
    )
    assert "accepted" in typed.text
    queue = [
        {
            "client_id": f"web-test-{uuid.uuid4().hex}",
            "pass_number": numbers[people[1]],
            "checkpoint": "boarding",
            "site_id": str(site_id),
            "device_at": dt.datetime.now(dt.UTC).isoformat(),
        }
    ]
    r = app_client.post(
        "/checkpoint/upload", data={"csrf_token": csrf_field(page.text), "scans": json.dumps(queue)}
    )
    assert r.status_code == 200 and r.json()["accepted"] == 1
    again = app_client.post(
        "/checkpoint/upload", data={"csrf_token": csrf_field(page.text), "scans": json.dumps(queue)}
    )
    assert again.json()["duplicates"] == 1
    no_csrf = app_client.post("/checkpoint/upload", data={"scans": json.dumps(queue)})
    assert no_csrf.status_code in (400, 403)
    person = app_client.get(f"/movements/persons/{people[1]}")
    assert "boarded" in person.text
