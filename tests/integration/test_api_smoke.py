from __future__ import annotations

import pytest

from tests.conftest import household_payload

pytestmark = pytest.mark.db


def test_register_and_find_across_scripts(app_client, api_as, supervisor, site_id):
    headers = api_as(supervisor)
    r = app_client.post("/api/v1/households", json=household_payload(site_id), headers=headers)
    assert r.status_code == 201, r.text
    found = app_client.get("/api/v1/persons", params={"q": "Natalia Ivanova"}, headers=headers).json()[
        "items"
    ]
    assert [p["display_name"] for p in found] == ["Наталья Ивановна Иванова"]
