"""The linking pages: the queue shows the pair side by side with the reasons, a supervisor accepts
and merges it and undoes the merge from the pages, a clerk files a tracing request and sees its
candidates; the pages keep to their permissions."""

from __future__ import annotations

import re

import pytest

from safepassage.linking import services
from safepassage.linking.models import PairStatus
from safepassage.security.policy import Role
from tests.conftest import csrf_field, enrol_second_factor, web_sign_in
from tests.integration.test_linking_workflow import pair_of, register_duplicates

pytestmark = pytest.mark.db


@pytest.fixture
def duplicates(container, site_id):
    return register_duplicates(container, site_id)


def test_review_merge_and_unmerge_from_the_pages(app_client, container, duplicates, make_user, site_id):
    a, b = duplicates
    boss = make_user("boss_pages", Role.SUPERVISOR, sites=[site_id])
    secret = enrol_second_factor(container, boss.username)
    assert web_sign_in(app_client, container, boss.username, totp_secret=secret).status_code == 303
    services.run_batch(container.uow(), actor=boss)
    pair = pair_of(container, a, b, PairStatus.OPEN)
    assert pair is not None
    queue = app_client.get("/linking")
    assert queue.status_code == 200 and f"/linking/pairs/{pair.id}" in queue.text
    page = app_client.get(f"/linking/pairs/{pair.id}")
    assert "Наталья" in page.text and "Natalya" in page.text and pair.explanation.split(";")[0] in page.text
    token = csrf_field(page.text)
    app_client.post(f"/linking/pairs/{pair.id}/decide", data={"verdict": "accepted", "csrf_token": token})
    page = app_client.get(f"/linking/pairs/{pair.id}")
    assert "accepted" in page.text and f"/linking/pairs/{pair.id}/merge" in page.text
    app_client.post(f"/linking/pairs/{pair.id}/merge", data={"survivor_id": str(a), "csrf_token": token})
    queue = app_client.get("/linking?status=merged")
    unmerge = re.search(r'action="(/linking/merges/[0-9a-f-]+/unmerge)"', queue.text)
    assert unmerge, queue.text[:500]
    app_client.post(unmerge.group(1), data={"reason": "two women", "csrf_token": token})
    assert "undone" in app_client.get("/linking").text


def test_a_clerk_traces_from_the_pages_and_may_not_review(
    app_client,
    container,
    duplicates,
    make_user,
    site_id,
):
    clerk = make_user("clerk_pages", Role.REGISTRATION_CLERK, sites=[site_id])
    assert web_sign_in(app_client, container, clerk.username).status_code == 303
    assert app_client.get("/linking", follow_redirects=False).status_code == 403
    page = app_client.get("/tracing")
    assert page.status_code == 200
    answer = app_client.post(
        "/tracing",
        data={
            "csrf_token": csrf_field(page.text),
            "site_id": str(site_id),
            "given_name": "Natalia",
            "family_name": "Ivanova",
            "approx_birth_year": "1986",
            "relationship": "sister",
        },
    )
    assert answer.status_code == 200 and "Наталья" in answer.text and "Natalya" in answer.text
