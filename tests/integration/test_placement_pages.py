"""The placement officer's pages: propose, review with explanations, decide (a refused override says
why), utilisation with bars, the map as inline SVG; in English, Russian and Arabic (right to left)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from safepassage.bootstrap import Container
from safepassage.placement import queries, runs, services
from safepassage.placement.models import ProposalStatus
from safepassage.placement.schemas import ProfileUpdate
from safepassage.security.policy import SYSTEM, Actor, Role
from safepassage.web.placement_pages import colour, project
from tests.conftest import csrf_field, web_sign_in
from tests.integration.test_placement_workflow import register, set_up_regions_and_history

pytestmark = pytest.mark.db


@pytest.fixture
def officer(make_user: Callable[..., Actor], site_id: uuid.UUID) -> Actor:
    return make_user("placement_aleppo", Role.PLACEMENT_OFFICER, sites=[site_id])


@pytest.fixture
def officer_client(app_client: TestClient, container: Container, officer: Actor) -> TestClient:
    assert web_sign_in(app_client, container, officer.username).status_code == 303
    return app_client


def test_propose_review_and_decide_on_the_page(officer_client, officer, container, site_id):
    set_up_regions_and_history(container)
    register(container, site_id)
    needs_dialysis = register(container, site_id)
    services.set_profile(container.uow(), needs_dialysis, ProfileUpdate(dialysis_persons=1), actor=SYSTEM)
    page = officer_client.get("/placement")
    assert page.status_code == 200 and "No run yet." in page.text
    r = officer_client.post(
        "/placement/run",
        data={"csrf_token": csrf_field(page.text), "site_id": "", "ties": "hard", "min_fill": "0"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert runs.WORKER.wait(timeout=120)  # the run goes on in the background
    review = officer_client.get(r.headers["location"])
    assert "The run is queued; this page follows it." in review.text
    assert "Refresh" not in review.headers  # done: the page stops refreshing itself
    assert review.text.count('name="decision" value="accept"') == 2
    assert "predicted employed adults" in review.text and "next best" in review.text
    proposals = {p.household_id: p for p in queries.list_proposals(container.uow(), actor=officer)}
    dialysis = proposals[needs_dialysis]
    assert dialysis.region == "SOUTH"
    csrf = csrf_field(review.text)
    refused = officer_client.post(
        f"/placement/proposals/{dialysis.id}/decision",
        data={"csrf_token": csrf, "decision": "override", "region": "NORTH", "reason": "nearer", "run": ""},
    )
    assert refused.status_code == 200 and "Refused: NORTH offers no dialysis service" in refused.text
    other = next(p for k, p in proposals.items() if k != needs_dialysis)
    done = officer_client.post(
        f"/placement/proposals/{other.id}/decision",
        data={"csrf_token": csrf, "decision": "accept", "reason": "", "run": str(other.run_id)},
    )
    assert "Decision recorded." in done.text
    after = {p.id: p.status for p in queries.list_proposals(container.uow(), actor=officer)}
    assert after == {dialysis.id: ProposalStatus.PROPOSED, other.id: ProposalStatus.ACCEPTED}
    regions = officer_client.get("/placement/regions")
    assert regions.status_code == 200
    assert re.search(rf'<meter min="0" max="\d+" [^>]*value="{other.persons}"', regions.text)
    accepted = officer_client.get(f"/placement?run={other.run_id}&status=accepted")
    assert accepted.text.count('value="withdraw"') == 1
    officer_client.post(
        f"/placement/proposals/{other.id}/decision",
        data={"csrf_token": csrf, "decision": "withdraw", "reason": "the family declined", "run": ""},
    )
    after = {p.id: p.status for p in queries.list_proposals(container.uow(), actor=officer)}
    assert after[other.id] is ProposalStatus.WITHDRAWN


@pytest.mark.parametrize("lang", ["en", "ru", "ar"])
def test_the_pages_in_every_language(officer_client, container, site_id, lang):
    set_up_regions_and_history(container)
    for path in ("/placement", "/placement/regions", "/placement/map"):
        r = officer_client.get(f"{path}?lang={lang}")
        assert r.status_code == 200, path
        assert f'<html lang="{lang}" dir="{"rtl" if lang == "ar" else "ltr"}">' in r.text
    heading = {"en": "Regions on the map", "ru": "Регионы на карте", "ar": "المناطق على الخريطة"}[lang]
    page = officer_client.get(f"/placement/map?lang={lang}").text
    assert heading in page
    svg = page.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert svg.count("<circle ") == 3
    assert "href" not in svg and "<image" not in svg  # nothing fetched from elsewhere


def test_a_reader_without_placement_rights_is_refused(app_client, container, clerk_aleppo):
    web_sign_in(app_client, container, "clerk_aleppo")
    assert app_client.get("/placement").status_code == 403
    assert 'href="/placement"' not in app_client.get("/persons").text


def test_the_map_projection_keeps_north_up_and_east_right():
    from safepassage.placement.schemas import RegionRead, ResourceUse

    def region(code: str, lat: float, lon: float, used: int) -> RegionRead:
        quota = ResourceUse(
            resource="quota_persons", capacity=100, used=used, left=100 - used, share=used / 100
        )
        return RegionRead(
            id=uuid.uuid4(),
            code=code,
            name=code,
            latitude=lat,
            longitude=lon,
            unemployment_rate=0.1,
            communities=[],
            active=True,
            period="2026-11",
            capacity_period="2026-11",
            periods=["2026-11"],
            placed_households=0,
            resources=[quota],
        )

    dots, height = project(
        [region("N", 54.0, 10.0, 10), region("S", 48.0, 11.0, 80), region("E", 52.0, 14.0, 99)]
    )
    by = {d.code: d for d in dots}
    assert by["N"].y < by["S"].y and by["E"].x > by["N"].x
    assert all(0 <= d.x <= 800 and 0 <= d.y <= height for d in dots)
    assert (by["N"].colour, by["S"].colour, by["E"].colour) == (colour(0.1), colour(0.8), colour(0.99))
    assert len({colour(0.1), colour(0.8), colour(0.99)}) == 3


def test_the_profile_form_records_what_the_registry_lacks(officer_client, officer, container, site_id):
    set_up_regions_and_history(container)
    household = register(container, site_id)
    review = officer_client.get("/placement")
    assert f'href="/placement/households/{household}/profile"' in review.text  # not placed yet
    url = f"/placement/households/{household}/profile"
    page = officer_client.get(url)
    assert page.status_code == 200 and 'name="preferences"' in page.text
    form = {
        "csrf_token": csrf_field(page.text),
        "education_max": "vocational",
        "occupation": "Welder",
        "dialysis_persons": "0",
        "oncology_persons": "1",
        "tie_region": "",
        "preferences": ["SOUTH", "ATLANTIS"],
    }
    refused = officer_client.post(url, data=form)
    assert refused.status_code == 422 and "ATLANTIS is not a region" in refused.text
    form["preferences"] = ["SOUTH", "NORTH"]
    saved = officer_client.post(url, data=form)
    assert saved.status_code == 200 and "Placement profile recorded." in saved.text
    profile = queries.get_profile(container.uow(), household, actor=officer)
    assert (profile.education_max, profile.occupation, profile.oncology_persons) == (
        "vocational",
        "welder",
        1,
    )
    assert profile.preferences == ["SOUTH", "NORTH"]
