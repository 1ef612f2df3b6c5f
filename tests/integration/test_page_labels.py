"""Codes on the movement pages are shown by their labels in the reader's language, never as the raw
code: a Russian planner reads «колонна», «запланирован», «принят», not convoy, planned, accepted."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from safepassage.security.policy import Role
from tests.conftest import csrf_field, web_sign_in
from tests.integration.test_movements_workflow import destination, member, register

pytestmark = pytest.mark.db


def _texts(html: str) -> set[str]:
    """The text between tags, stripped: what a reader sees (not attribute values, not scripts)."""
    html = re.sub(r"<script.*?</script>", "", html, flags=re.S)
    return {t.strip(" ·:()") for t in re.findall(r">([^<]+)<", html) if t.strip()}


def test_a_russian_planner_reads_leg_and_plan_codes_in_russian(app_client, container, make_user, site_id):
    dest = destination(container)
    make_user("planner_ru", Role.MOVEMENT_PLANNER, sites=[site_id])
    register(container, site_id, member("Anna", "Labels"))
    assert web_sign_in(app_client, container, "planner_ru").status_code == 303
    home = app_client.get("/movements?lang=ru")
    departure = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    leg = app_client.post(
        "/movements/legs",
        data={
            "csrf_token": csrf_field(home.text),
            "code": "CV-9",
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
    assert leg.status_code == 303, leg.text
    plan = app_client.post(
        "/movements/plans",
        data={"csrf_token": csrf_field(home.text), "origin_site_id": str(site_id)},
        follow_redirects=False,
    )
    plan_page = app_client.get(plan.headers["location"])
    accept = re.search(r'action="(/movements/plans/[^"]+/accept)"', plan_page.text)
    assert accept is not None
    app_client.post(accept.group(1), data={"csrf_token": csrf_field(plan_page.text)})

    listing = _texts(app_client.get("/movements").text)  # the language chosen above is remembered
    leg_page = _texts(app_client.get(leg.headers["location"]).text)
    plan_page_after = _texts(app_client.get(plan.headers["location"]).text)
    seen = listing | leg_page | plan_page_after
    for raw in ("convoy", "planned", "accepted", "proposed", "seat"):
        assert not [t for t in seen if raw == t or t.startswith(raw + " ")], raw
    assert any("колонна" in t for t in listing) and "запланирован" in listing
    assert any("колонна" in t for t in leg_page) and any("принят" in t for t in plan_page_after)
