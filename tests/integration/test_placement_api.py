"""The placement API end to end: regions and history uploaded as CSV (bad rows named), a run, the
proposals, a decision, a refused override, the utilisation."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from safepassage.placement import runs
from safepassage.security.policy import Actor, Role
from tests.conftest import household_payload
from tests.integration.test_placement_workflow import consenting, history_csv, regions_csv

pytestmark = pytest.mark.db

BASE = "/api/v1/placement"


@pytest.fixture
def officer(make_user: Callable[..., Actor], site_id: uuid.UUID) -> Actor:
    return make_user("placement_aleppo", Role.PLACEMENT_OFFICER, sites=[site_id])


def test_upload_run_decide_and_read_the_utilisation(app_client, api_as, supervisor, officer, site_id):
    boss, clerk = api_as(supervisor), api_as(officer)
    bad = regions_csv() + "WEST,,,,x,1,0,1,1,0,0,0,1,0.1,\n"
    r = app_client.post(f"{BASE}/regions/import", content=bad, headers={**boss, "Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 3
    assert r.json()["problems"] == [
        {"row": 5, "field": "quota_persons", "reason": "'x' is not a whole number"}
    ]
    assert (
        app_client.post(f"{BASE}/regions/import", json={"csv": regions_csv()}, headers=clerk).status_code
        == 403
    )
    r = app_client.post(
        f"{BASE}/history/import", json={"csv": history_csv(), "source": "test"}, headers=clerk
    )
    assert r.status_code == 200 and r.json()["created"] == 300, r.text
    for _ in range(2):
        assert (
            app_client.post(
                "/api/v1/households", json=consenting(household_payload(site_id)), headers=boss
            ).status_code
            == 201
        )

    r = app_client.post(f"{BASE}/runs", json={"time_limit": 20}, headers=clerk)
    assert r.status_code == 202, r.text  # queued: it runs in the background
    assert r.json()["status"] in ("queued", "running", "done")
    assert runs.WORKER.wait(timeout=120)
    run = app_client.get(f"{BASE}/runs/{r.json()['id']}", headers=clerk).json()
    assert run["status"] == "done" and run["progress"] == 1.0 and run["error"] is None
    assert run["households"] == 2 and run["pending"] == 2 and run["report"]["model"]["auc"] is not None
    proposals = app_client.get(f"{BASE}/proposals", params={"run_id": run["id"]}, headers=clerk).json()
    assert {p["status"] for p in proposals} == {"proposed"}
    assert all(p["head_name"] != "—" and p["reason"] for p in proposals)
    first, second = proposals

    r = app_client.post(f"{BASE}/proposals/{first['id']}/accept", json={}, headers=clerk)
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    again = app_client.post(f"{BASE}/proposals/{first['id']}/accept", json={}, headers=clerk)
    assert again.status_code == 409
    r = app_client.post(f"{BASE}/proposals/{second['id']}/reject", json={"reason": ""}, headers=clerk)
    assert r.status_code == 422  # a rejection needs its reason
    r = app_client.post(
        f"{BASE}/proposals/{second['id']}/override",
        json={"region": "ATLANTIS", "reason": "why"},
        headers=clerk,
    )
    assert r.status_code == 422 and "ATLANTIS" in r.json()["error"]["message"]

    used = {
        region["code"]: {x["resource"]: x["used"] for x in region["resources"]}
        for region in app_client.get(f"{BASE}/utilisation", headers=clerk).json()
    }
    assert used[first["region"]]["quota_persons"] == first["persons"]
    assert sum(u["quota_persons"] for u in used.values()) == first["persons"]


def test_profiles_through_the_api(app_client, api_as, supervisor, officer, site_id):
    boss, clerk = api_as(supervisor), api_as(officer)
    app_client.post(f"{BASE}/regions/import", json={"csv": regions_csv()}, headers=boss)
    household = app_client.post("/api/v1/households", json=household_payload(site_id), headers=boss).json()
    url = f"{BASE}/households/{household['id']}/profile"
    assert app_client.get(url, headers=clerk).json()["preferences"] == []
    r = app_client.put(
        url,
        json={"education_max": "secondary", "oncology_persons": 1, "preferences": ["SOUTH"]},
        headers=clerk,
    )
    assert r.status_code == 200, r.text
    assert (r.json()["education_max"], r.json()["oncology_persons"]) == ("secondary", 1)
    r = app_client.put(url, json={"preferences": ["SOUTH", "MARS"]}, headers=clerk)
    assert r.status_code == 422
    assert r.json()["error"]["problems"] == [{"field": "preferences.1", "reason": "MARS is not a region"}]
