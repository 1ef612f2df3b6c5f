"""What a clerk or caseworker does from the person page, through the HTTP client: intention, consent,
check-in and out, spellings, phones, documents, corrections and protection attributes. Each action
goes through the services (the API sees the change), redirects back with a message, and shows a
problem next to its field (422) without changing anything."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from html import unescape

import pytest
from fastapi.testclient import TestClient

from safepassage.bootstrap import Container
from safepassage.registry import queries, schemas, services
from safepassage.security.policy import GRANTS, Actor, Permission, Role
from tests.integration.test_web_pages import csrf_of, register, sign_in

pytestmark = pytest.mark.db

SECRET = "Zoroastrian-7731"  # a protection value that must never leak onto the page


@pytest.fixture
def clerk_client(app_client: TestClient, clerk_aleppo: Actor) -> TestClient:
    sign_in(app_client, clerk_aleppo.username)
    return app_client


@pytest.fixture
def person_url(clerk_client: TestClient, site_id: uuid.UUID) -> str:
    """The page of the head of a household registered through the form (Наталья Иванова)."""
    household = clerk_client.get(register(clerk_client, site_id)).text
    match = re.search(r'href="(/persons/[0-9a-f-]+)" dir="auto">Наталья', household)
    assert match
    return match.group(1)


def person_id(url: str) -> uuid.UUID:
    return uuid.UUID(url.rsplit("/", 1)[1])


def post(client: TestClient, url: str, data: Mapping[str, str | list[str]]) -> tuple[int, str, str]:
    """Send a form of the person page with the page's CSRF token: (status, location, page)."""
    page = client.get(person_url_of(url))
    r = client.post(url, data={"csrf_token": csrf_of(page.text), **data}, follow_redirects=False)
    return r.status_code, r.headers.get("location", ""), r.text


def person_url_of(action_url: str) -> str:
    return "/".join(action_url.split("/")[:3])


def form_fields(html: str, form_id: str) -> dict[str, str | list[str]]:
    """The fields of one form as a browser sends them unchanged (inputs, checked boxes, selected
    options, textareas)."""
    match = re.search(rf'<form id="{form_id}".*?</form>', html, re.S)
    assert match, form_id
    form = match.group(0)
    fields: dict[str, str | list[str]] = {}
    for tag in re.findall(r"<input [^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if not name:
            continue
        if 'type="checkbox"' in tag or 'type="radio"' in tag:
            if " checked" not in tag:
                continue
            existing = fields.get(name.group(1))
            values = existing if isinstance(existing, list) else []
            fields[name.group(1)] = [*values, value.group(1) if value else "on"]
            continue
        fields[name.group(1)] = unescape(value.group(1)) if value else ""
    for name, body in re.findall(r'<select [^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        selected = re.search(r'<option value="([^"]*)" selected>', body)
        fields[name] = selected.group(1) if selected else ""
    for name, body in re.findall(r'<textarea [^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        fields[name] = unescape(body)
    return fields


def read(container: Container, supervisor: Actor, url: str) -> schemas.PersonRead:
    return queries.get_person(
        container.uow(), person_id(url), actor=supervisor, include_protection=True, purpose="test: check"
    )


# --- intention ---------------------------------------------------------------------------------------


def test_record_what_the_person_says_now(
    clerk_client: TestClient,
    person_url: str,
    container: Container,
    supervisor: Actor,
    api_as: Callable[[Actor], dict[str, str]],
) -> None:
    page = clerk_client.get(person_url).text
    assert 'name="statement.intention" value="leave_later"' in page
    today = container.clock.now().date().isoformat()
    assert f'name="statement.stated_on" type="date" value="{today}"' in page  # today by default
    status, location, _ = post(
        clerk_client,
        f"{person_url}/intention",
        {"statement.intention": "leave_later", "statement.stated_on": today},
    )
    assert status == 303 and location == f"{person_url}#intention"
    page = clerk_client.get(person_url).text
    assert "The intention is recorded." in page
    assert re.search(r"<dt>Intention</dt><dd>leave later", page)
    # Changed their mind overnight: one more statement, the history keeps both.
    status, _, _ = post(clerk_client, f"{person_url}/intention", {"statement.intention": "leave_now"})
    assert status == 303
    api = clerk_client.get(f"/api/v1{person_url}", headers=api_as(supervisor)).json()
    assert api["intention"] == "leave_now"
    assert [s["intention"] for s in api["intentions"]] == ["leave_now", "leave_later", "leave_now"]
    assert clerk_client.get(person_url).text.count('data-label="Stated on"') == 3


@pytest.mark.parametrize(
    ("stated_on", "reason"),
    [("2026-13-45", "Check the date (YYYY-MM-DD)."), ("2999-01-01", "in the future")],
)
def test_a_bad_intention_date_is_shown_next_to_the_field(
    clerk_client: TestClient,
    person_url: str,
    container: Container,
    supervisor: Actor,
    stated_on: str,
    reason: str,
) -> None:
    status, _, page = post(
        clerk_client,
        f"{person_url}/intention",
        {"statement.intention": "stay", "statement.stated_on": stated_on},
    )
    assert status == 422
    assert 'id="err-statement-stated_on"' in page and reason in page
    assert f'value="{stated_on}"' in page and 'value="stay" required checked' in page  # kept as typed
    assert "Наталья" in page and "Traceback" not in page  # the person page, not an error page
    assert len(read(container, supervisor, person_url).intentions) == 1


def test_an_intention_must_be_chosen(clerk_client: TestClient, person_url: str) -> None:
    status, _, page = post(clerk_client, f"{person_url}/intention", {"statement.stated_on": ""})
    assert status == 422
    assert 'id="err-statement-intention"' in page


# --- consent -------------------------------------------------------------------------------------


def test_a_withdrawal_shows_at_once(
    clerk_client: TestClient, person_url: str, supervisor: Actor, api_as: Callable[[Actor], dict[str, str]]
) -> None:
    page = clerk_client.get(person_url).text
    assert re.search(r"evacuation:\s*<strong class=\"ok\">in force", page)
    status, location, _ = post(
        clerk_client,
        f"{person_url}/consent",
        {
            "consent.purpose": "evacuation",
            "consent.partner": "",
            "consent.decision": "withdrawn",
            "consent.method": "verbal",
        },
    )
    assert status == 303 and location.endswith("#consent")
    page = clerk_client.get(person_url).text
    assert "The consent decision is recorded." in page
    assert re.search(r"evacuation:\s*<strong class=\"no\">not in force", page)
    assert re.search(r"registration:\s*<strong class=\"ok\">in force", page)
    assert page.count('data-label="Decision">withdrawn<') == 1
    states = clerk_client.get(f"/api/v1{person_url}/consents", headers=api_as(supervisor)).json()
    assert {s["purpose"]: s["in_force"] for s in states} == {"evacuation": False, "registration": True}


def test_consent_to_share_with_a_partner_names_the_partner(
    clerk_client: TestClient, person_url: str, container: Container, supervisor: Actor
) -> None:
    form = {"consent.purpose": "partner_sharing", "consent.decision": "given", "consent.method": "signed"}
    status, _, page = post(clerk_client, f"{person_url}/consent", form)
    assert status == 422
    assert 'id="err-consent-partner"' in page and "needs the partner" in page
    status, _, _ = post(clerk_client, f"{person_url}/consent", {**form, "consent.partner": "UNHCR"})
    assert status == 303
    state = read(container, supervisor, person_url).consent_state
    assert any(c.purpose == "partner_sharing" and c.partner == "UNHCR" and c.in_force for c in state)
    assert "UNHCR" in clerk_client.get(person_url).text


# --- stays ----------------------------------------------------------------------------------------


def test_check_in_and_out_changes_the_occupancy(
    clerk_client: TestClient, person_url: str, site_id: uuid.UUID, container: Container, supervisor: Actor
) -> None:
    assert re.search(r'data-label="Occupied" class="num">0<', clerk_client.get("/sites").text)
    status, location, _ = post(clerk_client, f"{person_url}/check-in", {"checkin.site_id": str(site_id)})
    assert status == 303 and location.endswith("#stays")
    page = clerk_client.get(person_url).text
    assert "Checked in." in page
    assert re.search(r"<dt>Now at</dt><dd><bdi>ALP-AP", page)
    assert 'action="' + person_url + '/check-out"' in page
    sites = clerk_client.get("/sites").text
    assert re.search(r'data-label="Occupied" class="num">1<', sites)
    assert re.search(r'data-label="Free" class="num">299<', sites)
    status, _, _ = post(clerk_client, f"{person_url}/check-out", {})
    assert status == 303
    assert read(container, supervisor, person_url).current_site_id is None
    assert re.search(r'data-label="Occupied" class="num">0<', clerk_client.get("/sites").text)
    # Out already: the service's refusal is shown on the page (a conflict with the current state).
    status, _, page = post(clerk_client, f"{person_url}/check-out", {})
    assert status == 409
    assert "not checked in anywhere" in page and "Nothing was recorded" in page
    # The same refusal on a Russian page is in Russian.
    status, _, page = post(clerk_client, f"{person_url}/check-out?lang=ru", {})
    assert status == 409 and "нигде не зарегистрирован" in page and "not checked in anywhere" not in page


def test_check_in_at_an_unknown_site_is_refused_on_the_page(
    clerk_client: TestClient, person_url: str
) -> None:
    status, _, page = post(clerk_client, f"{person_url}/check-in", {"checkin.site_id": str(uuid.uuid4())})
    assert status == 422 and "does not exist" in page
    status, _, page = post(clerk_client, f"{person_url}/check-in", {"checkin.site_id": "nonsense"})
    assert status == 422 and 'id="err-checkin-site_id"' in page


# --- names, phones, documents ----------------------------------------------------------------------


def test_add_a_spelling_a_phone_and_a_document(
    clerk_client: TestClient, person_url: str, container: Container, supervisor: Actor
) -> None:
    status, location, _ = post(
        clerk_client,
        f"{person_url}/spellings",
        {"spelling.part": "family", "spelling.text": "Ivanova-Petrova"},
    )
    assert status == 303 and location.endswith("#names")
    status, _, _ = post(clerk_client, f"{person_url}/phones", {"phone.number": "+7 912 345-67-89"})
    assert status == 303
    status, _, _ = post(
        clerk_client,
        f"{person_url}/documents",
        {
            "document.type": "national_id",
            "document.number": "AB 998877",
            "document.issuing_country": "Russia",
            "document.expiry_date": "2030-01-31",
        },
    )
    assert status == 303
    page = clerk_client.get(person_url).text
    assert "The document is added." in page
    assert ">Ivanova-Petrova<" in page and "+79123456789" in page and "AB 998877" in page
    found = read(container, supervisor, person_url)
    assert "+79123456789" in found.phones
    assert any(d.number == "AB 998877" and d.issuing_country == "RU" for d in found.documents)
    # The new spelling finds the person.
    assert "Наталья" in clerk_client.get("/persons", params={"q": "Ivanova-Petrova"}).text


def test_a_bad_phone_or_document_is_shown_next_to_its_field(
    clerk_client: TestClient, person_url: str, container: Container, supervisor: Actor
) -> None:
    status, _, page = post(clerk_client, f"{person_url}/phones", {"phone.number": "12"})
    assert status == 422
    assert 'id="err-phone-number"' in page and "Not a phone number we can read." in page
    assert 'value="12"' in page and '<details class="act" open>' in page
    status, _, page = post(
        clerk_client,
        f"{person_url}/documents",
        {"document.type": "passport", "document.number": "", "document.issuing_country": "Narnia"},
    )
    assert status == 422
    assert 'id="err-document-number"' in page and 'id="err-document-issuing_country"' in page
    assert 'value="Narnia"' in page
    found = read(container, supervisor, person_url)
    assert len(found.phones) == 1 and len(found.documents) == 1


# --- corrections -----------------------------------------------------------------------------------


def test_correct_the_details_sends_only_what_changed(
    clerk_client: TestClient, person_url: str, container: Container, supervisor: Actor
) -> None:
    page = clerk_client.get(person_url).text
    form = form_fields(page, "form-person")
    assert form["person.given_name"] == "Наталья" and form["person.nationalities"] == "RU"
    # Meanwhile, someone else records the place of birth through the API.
    services.update_person(
        container.uow(), person_id(person_url), schemas.PersonUpdate(place_of_birth="Тула"), actor=supervisor
    )
    form.update(
        {
            "person.given_name": "Natalia",
            "person.birth_date.value": "1986",
            "person.birth_date.estimated": "1",
            "person.needs": ["single_parent"],
        }
    )
    r = clerk_client.post(f"{person_url}/details", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    found = read(container, supervisor, person_url)
    assert found.place_of_birth == "Тула"  # not written back by a form that showed it empty
    assert found.birth_date.value == "1986" and found.birth_date.estimated
    assert found.needs == ["single_parent"]
    assert found.nationalities == ["RU"] and found.sex == "female"
    given = {n.text: n.is_primary for n in found.names if n.part == "given"}
    assert given == {"Наталья": False, "Natalia": True}  # the old spelling is kept
    page = clerk_client.get(person_url).text
    assert "The corrections are saved." in page and "1986 (year only, estimated)" in page
    history = page[page.index("Change history") :]
    assert "place_of_birth" in history and history.count("<code>nationalities</code>") == 0


def test_a_correction_form_sent_unchanged_changes_nothing(
    clerk_client: TestClient, person_url: str, container: Container, supervisor: Actor
) -> None:
    before = read(container, supervisor, person_url)
    form = form_fields(clerk_client.get(person_url).text, "form-person")
    r = clerk_client.post(f"{person_url}/details", data=form, follow_redirects=False)
    assert r.status_code == 303
    assert "Nothing was changed." in clerk_client.get(person_url).text
    assert read(container, supervisor, person_url).updated_at == before.updated_at


def test_a_bad_correction_is_shown_and_nothing_is_saved(
    clerk_client: TestClient, person_url: str, container: Container, supervisor: Actor
) -> None:
    form = form_fields(clerk_client.get(person_url).text, "form-person")
    form.update({"person.birth_date.value": "31/02/1986", "person.given_name": "Наташа"})
    r = clerk_client.post(f"{person_url}/details", data=form)
    assert r.status_code == 422
    assert 'id="err-person-birth_date-value"' in r.text and "not a real date" in r.text
    assert 'value="Наташа"' in r.text and 'value="31/02/1986"' in r.text
    assert '<details id="details" class="act" open>' in r.text
    assert read(container, supervisor, person_url).display_name.startswith("Наталья")
    form.update({"person.birth_date.value": "1986-04-12", "person.given_name": ""})
    r = clerk_client.post(f"{person_url}/details", data=form)
    assert r.status_code == 422 and 'id="err-person-given_name"' in r.text


# --- permissions and CSRF --------------------------------------------------------------------------

ACTIONS = {
    "intention": {"statement.intention": "stay"},
    "consent": {"consent.purpose": "evacuation", "consent.decision": "withdrawn", "consent.method": "verbal"},
    "check-in": {"checkin.site_id": ""},
    "check-out": {},
    "spellings": {"spelling.part": "given", "spelling.text": "Natasha"},
    "phones": {"phone.number": "0944 765 432"},
    "documents": {"document.type": "passport", "document.number": "X1"},
    "details": {"person.given_name": "Natasha"},
    "protection": {"protection.religion": SECRET},
}


def test_a_form_without_its_csrf_token_is_refused(
    clerk_client: TestClient, person_url: str, container: Container, supervisor: Actor
) -> None:
    before = read(container, supervisor, person_url)
    for action, data in ACTIONS.items():
        for token in (None, "forged"):
            sent = dict(data) if token is None else {**data, "csrf_token": token}
            r = clerk_client.post(f"{person_url}/{action}", data=sent, follow_redirects=False)
            assert r.status_code == 403, action
            assert "This form has expired" in r.text
    after = read(container, supervisor, person_url)
    assert after.updated_at == before.updated_at and after.protection is None


def test_a_read_only_role_sees_no_forms_and_may_not_post(
    app_client: TestClient,
    site_id: uuid.UUID,
    clerk_aleppo: Actor,
    make_user: Callable[..., Actor],
    container: Container,
    supervisor: Actor,
) -> None:
    sign_in(app_client, clerk_aleppo.username)
    household = app_client.get(register(app_client, site_id)).text
    match = re.search(r'href="(/persons/[0-9a-f-]+)"', household)
    assert match
    url = match.group(1)
    app_client.cookies.clear()
    make_user("planner", Role.MOVEMENT_PLANNER, sites=[site_id])
    sign_in(app_client, "planner")
    page = app_client.get(url)
    assert page.status_code == 200 and "Наталья" in page.text
    assert f'action="{url}/' not in page.text  # no form of the person's actions
    assert 'id="protection"' not in page.text and "show=protection" not in page.text
    csrf = csrf_of(page.text)  # the sign-out form's: a valid token
    for action, data in ACTIONS.items():
        r = app_client.post(f"{url}/{action}", data={"csrf_token": csrf, **data}, follow_redirects=False)
        assert r.status_code == 403, action
        assert "You may not open this page" in r.text
    assert app_client.get(f"{url}?show=protection").status_code == 403
    r = app_client.post(f"{url}/protection/open", data={"csrf_token": csrf, "purpose": "curious about"})
    assert r.status_code == 403
    assert read(container, supervisor, url).intentions[-1].recorded_by == "clerk_aleppo"


# --- protection -----------------------------------------------------------------------------------


def test_a_write_only_role_records_protection_details_without_seeing_them(
    clerk_client: TestClient, person_url: str, container: Container, supervisor: Actor
) -> None:
    assert Permission.PROTECTED_WRITE in GRANTS[Role.REGISTRATION_CLERK]
    assert Permission.PROTECTED_READ not in GRANTS[Role.REGISTRATION_CLERK]
    page = clerk_client.get(person_url).text
    assert "Add or replace protection details" in page and "Show protection details" not in page
    form = form_fields(page, "form-protection")
    assert not any(k.startswith("was.") for k in form)  # nothing of what is recorded, not even a digest
    form.update(
        {
            "protection.religion": SECRET,
            "protection.narrative": "Line one\r\nLine two",
            "protection.purpose": "protection_case",
        }
    )
    r = clerk_client.post(f"{person_url}/protection", data=form, follow_redirects=False)
    assert r.status_code == 303
    found = read(container, supervisor, person_url).protection
    assert found is not None and found.religion == SECRET and found.narrative == "Line one\nLine two"
    page = clerk_client.get(person_url).text
    assert "The protection details are saved." in page and "Some are recorded." in page
    assert SECRET not in page and "Line two" not in page  # not on the page, not in the history
    # A blank field keeps what is recorded; a filled one replaces it.
    form = form_fields(page, "form-protection")
    form["protection.ethnicity"] = "Assyrian"
    assert clerk_client.post(f"{person_url}/protection", data=form, follow_redirects=False).status_code == 303
    found = read(container, supervisor, person_url).protection
    assert found is not None and found.religion == SECRET and found.ethnicity == "Assyrian"
    assert clerk_client.get(f"{person_url}?show=protection").status_code == 403
    # A problem shows what this clerk typed, never what is recorded.
    form = form_fields(clerk_client.get(person_url).text, "form-protection")
    form["protection.religion"] = "x" * 201
    r = clerk_client.post(f"{person_url}/protection", data=form)
    assert r.status_code == 422 and 'id="err-protection-religion"' in r.text and "Too long." in r.text
    assert SECRET not in r.text and "Assyrian" not in r.text


def test_a_caseworker_opens_and_changes_protection_details(
    app_client: TestClient,
    site_id: uuid.UUID,
    clerk_aleppo: Actor,
    make_user: Callable[..., Actor],
    container: Container,
    supervisor: Actor,
) -> None:
    sign_in(app_client, clerk_aleppo.username)
    household = app_client.get(register(app_client, site_id)).text
    match = re.search(r'href="(/persons/[0-9a-f-]+)"', household)
    assert match
    url = match.group(1)
    services.update_person(
        container.uow(),
        person_id(url),
        schemas.PersonUpdate(
            protection=schemas.ProtectionInput(
                purpose="medical_care", religion=SECRET, medical_detail="Diabetes"
            )
        ),
        actor=supervisor,
    )
    app_client.cookies.clear()
    make_user("caseworker", Role.CASEWORKER, sites=[site_id])
    sign_in(app_client, "caseworker")
    page = app_client.get(url).text
    assert SECRET not in page and "Diabetes" not in page  # not rendered by default
    assert 'id="form-purpose"' in page  # opening them asks why
    assert app_client.get(f"{url}?show=protection").status_code == 200  # asks why
    assert 'method="post"' in page[page.index('id="form-purpose"') - 80 :][:200]  # never in an address
    # A purpose in the address opens nothing: it would sit in logs and the browser's history.
    leaked = app_client.get(f"{url}?show=protection&purpose=status+interview")
    assert leaked.status_code == 200 and SECRET not in leaked.text
    status, _, short = post(app_client, f"{url}/protection/open", {"purpose": "x"})
    assert status == 422 and "at least 5 characters" in short and SECRET not in short  # too short
    assert 'id="form-protection"' not in page
    status, location, shown_text = post(app_client, f"{url}/protection/open", {"purpose": "status interview"})
    assert status == 200 and location == ""  # the page itself: a redirect would carry the purpose
    assert SECRET in shown_text and "Diabetes" in shown_text and "Hide protection details" in shown_text
    no_token = app_client.post(f"{url}/protection/open", data={"purpose": "status interview"})
    assert no_token.status_code == 403 and SECRET not in no_token.text  # CSRF as every form
    history = shown_text[shown_text.index("Change history") :]
    assert SECRET not in history and "«protected»" in history  # the history masks them
    form = form_fields(shown_text, "form-protection")
    assert form["protection.religion"] == SECRET
    form["protection.medical_detail"] = ""  # cleared: this role saw it
    form["protection.ethnicity"] = "Kurdish"
    r = app_client.post(f"{url}/protection", data=form, follow_redirects=False)
    assert r.status_code == 303
    found = read(container, supervisor, url).protection
    assert found is not None
    assert (found.religion, found.ethnicity, found.medical_detail) == (SECRET, "Kurdish", None)
    # An intention recorded meanwhile shows the page again without the protection details.
    status, _, page = post(app_client, f"{url}/intention", {"statement.intention": "x"})
    assert status == 422 and SECRET not in page


def test_a_role_that_reads_but_may_not_write_protection_sees_no_form(
    app_client: TestClient, person_url: str, make_user: Callable[..., Actor], site_id: uuid.UUID
) -> None:
    app_client.cookies.clear()
    make_user("status", Role.STATUS_OFFICER, sites=[site_id])
    sign_in(app_client, "status")
    status, _, shown = post(app_client, f"{person_url}/protection/open", {"purpose": "status interview"})
    assert status == 200 and "None recorded." in shown and "Hide protection details" in shown
    assert 'id="form-protection"' not in shown and 'id="form-statement"' not in shown


# --- languages -------------------------------------------------------------------------------------


def test_the_arabic_page_shows_the_actions_right_to_left(clerk_client: TestClient, person_url: str) -> None:
    page = clerk_client.get(f"{person_url}?lang=ar").text
    assert '<html lang="ar" dir="rtl">' in page
    for english in ("Record what they say", "Add a phone", "Correct the details", "Check in"):
        assert english not in page, english
    status, _, page = post(clerk_client, f"{person_url}/phones", {"phone.number": "12"})
    assert status == 422 and '<html lang="ar" dir="rtl">' in page
    assert "Not a phone number we can read." not in page
    russian = clerk_client.get(f"{person_url}?lang=ru").text
    assert "Add a phone" not in russian and "Record what they say" not in russian
