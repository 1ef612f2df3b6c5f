"""The supervisors' oversight page: break-glass and export requests through the browser's forms."""

from __future__ import annotations

import pytest

from safepassage.registry import schemas, services
from safepassage.security.policy import SYSTEM, Role
from tests.conftest import csrf_field, enrol_second_factor, household_payload, web_sign_in

pytestmark = pytest.mark.db

REASON = "grandmother asks for her grandson; the Beirut desk is closed tonight"


def _supervisor_signed_in(client, container, username):
    secret = enrol_second_factor(container, username)
    answer = web_sign_in(client, container, username, totp_secret=secret)
    assert answer.status_code == 303, answer.text


def test_a_supervisor_opens_a_record_by_break_glass_and_another_reviews_it(
    app_client, container, supervisor, make_user, site_id
):
    beirut = services.create_site(
        container.uow(),
        schemas.SiteCreate(code="BEY-1", name="Beirut", kind="shelter", country="LB"),
        actor=SYSTEM,
    )
    household = services.register_household_returning(
        container.uow(), schemas.HouseholdCreate.model_validate(household_payload(beirut)), actor=SYSTEM
    )
    person_id = household.members[0].id
    _supervisor_signed_in(app_client, container, supervisor.username)
    assert app_client.get(f"/persons/{person_id}").status_code == 404
    page = app_client.get("/oversight")
    assert page.status_code == 200 and "Break-glass" in page.text
    token = csrf_field(page.text)
    short = app_client.post(
        "/oversight/break-glass",
        data={"csrf_token": token, "record_kind": "person", "record_id": str(person_id), "reason": "now"},
        follow_redirects=True,
    )
    assert "reason" in short.text and app_client.get(f"/persons/{person_id}").status_code == 404
    opened = app_client.post(
        "/oversight/break-glass",
        data={"csrf_token": token, "record_kind": "person", "record_id": str(person_id), "reason": REASON},
        follow_redirects=False,
    )
    assert opened.status_code == 303 and opened.headers["location"] == f"/persons/{person_id}"
    assert app_client.get(f"/persons/{person_id}").status_code == 200
    # the holder cannot review their own grant: the page offers no form, and a forged post is refused
    page = app_client.get("/oversight")
    assert "Waits for another supervisor" in page.text
    app_client.post("/logout", data={"csrf_token": csrf_field(page.text)})
    make_user("supervisor2", Role.SUPERVISOR, sites=[site_id])
    _supervisor_signed_in(app_client, container, "supervisor2")
    page = app_client.get("/oversight")
    assert REASON in page.text and "Record review" in page.text


def test_clerks_have_no_oversight_page(app_client, container, clerk_aleppo):
    assert web_sign_in(app_client, container, clerk_aleppo.username).status_code == 303
    assert app_client.get("/oversight").status_code == 403


def test_an_export_asked_for_on_the_page_is_downloaded_once(app_client, container, supervisor, site_id):
    for _ in range(2):
        services.register_household(
            container.uow(),
            schemas.HouseholdCreate.model_validate(household_payload(site_id)),
            actor=supervisor,
        )
    _supervisor_signed_in(app_client, container, supervisor.username)
    token = csrf_field(app_client.get("/oversight").text)
    asked = app_client.post(
        "/oversight/exports",
        data={"csrf_token": token, "purpose": "lists for the UNHCR desk"},
        follow_redirects=True,
    )
    assert "Export ready to download" in asked.text
    link = next(
        part.split('"')[0]
        for part in asked.text.split('href="')[1:]
        if part.startswith("/oversight/exports/")
    )
    got = app_client.get(link)
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert len(got.content.decode("utf-8-sig").splitlines()) == 5
    again = app_client.get(link, follow_redirects=True)
    assert "produced" in again.text or "cannot be produced" in again.text
