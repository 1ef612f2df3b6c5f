"""POST /households answers from the household it wrote, without reading it back: the answer must be
what GET returns (names, needs, head, every member; nothing left unloaded after the commit)."""

from __future__ import annotations

import pytest

from tests.conftest import household_payload

pytestmark = pytest.mark.db


def test_the_registration_answer_is_what_a_read_returns(app_client, api_as, clerk_aleppo, site_id):
    headers = api_as(clerk_aleppo)
    created = app_client.post("/api/v1/households", json=household_payload(site_id), headers=headers)
    assert created.status_code == 201
    read = app_client.get(f"/api/v1/households/{created.json()['id']}", headers=headers)
    assert created.json() == read.json()
    assert [m["needs"] for m in created.json()["members"]] == [[], ["serious_medical_condition"]]
