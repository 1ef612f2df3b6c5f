"""The registration form's duplicate warning, through the web client: a household whose member may
already be registered is not registered at once; the clerk sees "possible duplicate of ..." with the
reasons and a link to the existing record, and may still register anyway. A changed form is checked
again; a form sent twice is not its own duplicate; a failing check never stops a registration."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from safepassage.bootstrap import Container
from safepassage.linking import duplicates
from safepassage.registry import queries, schemas
from safepassage.registry import services as registry
from safepassage.security.policy import SYSTEM, Actor, Role
from tests.conftest import csrf_field, household_payload, web_sign_in
from tests.integration.test_linking_duplicates import index_being_built

pytestmark = pytest.mark.db


@pytest.fixture(autouse=True)
def fresh_index(container: Container) -> Iterator[None]:
    """The checker's index is per process: each test starts with one built from the database as it
    is (the form does not wait for a build: see the last test)."""
    duplicates.CHECKER.refresh(container.uow())
    yield
    duplicates.CHECKER.invalidate()


def latin_natalya_form(site_id: uuid.UUID, csrf: str, **overrides: str) -> dict[str, str]:
    """The head of ``household_payload`` again, written in Latin letters at another desk."""
    form = {
        "csrf_token": csrf,
        "form_key": str(uuid.uuid4()),
        "site_id": str(site_id),
        "category": "citizen",
        "intention": "leave_now",
        "members.0.relationship_to_head": "head",
        "members.0.given_name": "Natalya",
        "members.0.father_name": "Ivanovna",
        "members.0.family_name": "Ivanova",
        "members.0.sex": "female",
        "members.0.birth_date.value": "1986-04-12",
        "members.0.nationalities": "RU",
        "members.0.document.type": "passport",
        "members.0.document.number": "751234567",
        "members.0.document.issuing_country": "RU",
        "members.0.phone": "+963 944 123 456",
        "members.0.consent.registration": "verbal",
    }
    form.update(overrides)
    return form


def registered(container: Container, site_id: uuid.UUID) -> uuid.UUID:
    """Наталья Ивановна Иванова and her son, registered at ``site_id``; her person id."""
    household = registry.register_household_returning(
        container.uow(), schemas.HouseholdCreate.model_validate(household_payload(site_id)), actor=SYSTEM
    )
    return next(m.id for m in household.members if m.relationship_to_head == "head")


def count_persons(container: Container) -> int:
    return len(queries.list_persons(container.uow(), queries.PersonFilter(), actor=SYSTEM, limit=500).items)


@pytest.fixture
def clerk(app_client: TestClient, container: Container, make_user, site_id: uuid.UUID) -> Actor:  # type: ignore[no-untyped-def]
    actor: Actor = make_user("clerk_form_dup", Role.REGISTRATION_CLERK, sites=[site_id])
    assert web_sign_in(app_client, container, actor.username).status_code == 303
    return actor


def test_the_form_warns_of_a_possible_duplicate_and_registers_anyway(
    app_client: TestClient, container: Container, site_id: uuid.UUID, clerk: Actor
) -> None:
    natalya = registered(container, site_id)
    before = count_persons(container)
    csrf = csrf_field(app_client.get("/households/new").text)
    form = latin_natalya_form(site_id, csrf)
    warned = app_client.post("/households/new", data=form, follow_redirects=False)
    assert warned.status_code == 200, warned.text[:500]
    assert "possible duplicate of" in warned.text
    assert f'href="/persons/{natalya}"' in warned.text  # open the existing record
    assert "Наталья Ивановна Иванова" in warned.text and "Because:" in warned.text
    assert "document: same" in warned.text or "birth date: same" in warned.text  # the reasons
    assert 'value="Natalya"' in warned.text  # what was typed is kept
    assert count_persons(container) == before  # nothing registered yet
    anyway = re.search(r'name="register_anyway" value="([0-9a-f]+)"', warned.text)
    assert anyway
    done = app_client.post(
        "/households/new", data={**form, "register_anyway": anyway.group(1)}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"].startswith("/households/")
    assert count_persons(container) == before + 1


def test_a_form_changed_after_the_warning_is_checked_again(
    app_client: TestClient, container: Container, site_id: uuid.UUID, clerk: Actor
) -> None:
    registered(container, site_id)
    before = count_persons(container)
    csrf = csrf_field(app_client.get("/households/new").text)
    form = latin_natalya_form(site_id, csrf)
    warned = app_client.post("/households/new", data=form)
    anyway = re.search(r'name="register_anyway" value="([0-9a-f]+)"', warned.text)
    assert anyway
    # the clerk corrects the document number: a new check, a new warning, nothing registered
    changed = {**form, "members.0.document.number": "751234568", "register_anyway": anyway.group(1)}
    again = app_client.post("/households/new", data=changed, follow_redirects=False)
    assert again.status_code == 200 and "possible duplicate of" in again.text
    assert count_persons(container) == before
    second = re.search(r'name="register_anyway" value="([0-9a-f]+)"', again.text)
    assert second and second.group(1) != anyway.group(1)
    # a bogus acknowledgement is no acknowledgement
    forged = app_client.post("/households/new", data={**form, "register_anyway": "0" * 32})
    assert forged.status_code == 200 and "possible duplicate of" in forged.text
    assert count_persons(container) == before


def test_a_household_without_duplicates_is_registered_at_once(
    app_client: TestClient, container: Container, site_id: uuid.UUID, clerk: Actor
) -> None:
    registered(container, site_id)
    csrf = csrf_field(app_client.get("/households/new").text)
    form = latin_natalya_form(
        site_id,
        csrf,
        **{
            "members.0.given_name": "Omar",
            "members.0.father_name": "",
            "members.0.family_name": "Haddad",
            "members.0.sex": "male",
            "members.0.birth_date.value": "1971-09-30",
            "members.0.nationalities": "SY",
            "members.0.document.number": "N0987654",
            "members.0.document.issuing_country": "SY",
            "members.0.phone": "",
        },
    )
    r = app_client.post("/households/new", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text[:500]


def test_the_same_form_sent_twice_is_not_its_own_duplicate(
    app_client: TestClient, container: Container, site_id: uuid.UUID, clerk: Actor
) -> None:
    csrf = csrf_field(app_client.get("/households/new").text)
    form = latin_natalya_form(site_id, csrf)
    first = app_client.post("/households/new", data=form, follow_redirects=False)
    again = app_client.post("/households/new", data=form, follow_redirects=False)
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    assert count_persons(container) == 1


def test_a_duplicate_at_another_site_is_shown_without_its_name(
    app_client: TestClient, container: Container, site_id: uuid.UUID, clerk: Actor
) -> None:
    other = registry.create_site(
        container.uow(),
        schemas.SiteCreate(code="BEY-2", name="Beirut", kind="shelter", country="LB"),
        actor=SYSTEM,
    )
    elsewhere = registered(container, other)
    csrf = csrf_field(app_client.get("/households/new").text)
    warned = app_client.post("/households/new", data=latin_natalya_form(site_id, csrf))
    assert warned.status_code == 200
    assert "a person at another site" in warned.text
    assert "Наталья" not in warned.text and str(elsewhere) not in warned.text


def test_a_failing_check_never_stops_the_registration(
    app_client: TestClient,
    container: Container,
    site_id: uuid.UUID,
    clerk: Actor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    registered(container, site_id)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("index unavailable")

    monkeypatch.setattr(duplicates.CHECKER, "check_drafts", broken)
    csrf = csrf_field(app_client.get("/households/new").text)
    r = app_client.post("/households/new", data=latin_natalya_form(site_id, csrf), follow_redirects=False)
    assert r.status_code == 303
    assert "Traceback" not in r.text


def test_a_form_sent_while_the_index_is_built_is_registered_unchecked(
    app_client: TestClient, container: Container, site_id: uuid.UUID, clerk: Actor
) -> None:
    registered(container, site_id)
    with index_being_built() as started:
        csrf = csrf_field(app_client.get("/households/new").text)
        r = app_client.post("/households/new", data=latin_natalya_form(site_id, csrf), follow_redirects=False)
    assert r.status_code == 303  # not kept waiting
    assert "Not checked for duplicates" in app_client.get(r.headers["location"]).text
    (thread,) = started
    thread.join(timeout=60)  # type: ignore[attr-defined]
    assert duplicates.CHECKER.ready()
    csrf = csrf_field(app_client.get("/households/new").text)
    warned = app_client.post("/households/new", data=latin_natalya_form(site_id, csrf))
    assert warned.status_code == 200 and "possible duplicate of" in warned.text
