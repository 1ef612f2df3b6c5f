"""The pages, through the HTTP client: signing in, registering a household with the one form, the
form's problems, CSRF, permissions, languages, search, history and the import page."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from safepassage.bootstrap import Container
from safepassage.movements.models import PlanStatus
from safepassage.placement.models import ProposalStatus
from safepassage.registry import queries
from safepassage.security.policy import GRANTS, Actor, Permission, Role
from safepassage.shared.clock import FixedClock
from safepassage.web import i18n, labels
from safepassage.web.security import permission_of
from tests.conftest import PASSWORD

WEB_MODULES = ("safepassage.web.",)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> None:
    token = csrf_of(client.get("/login").text)
    r = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/persons"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/persons"


def household_form(site_id: uuid.UUID, csrf: str, **overrides: str | list[str]) -> dict[str, str | list[str]]:
    """The registration form as a browser sends it: two members, a third block left blank."""
    form: dict[str, str | list[str]] = {
        "csrf_token": csrf,
        "form_key": str(uuid.uuid4()),
        "site_id": str(site_id),
        "category": "citizen",
        "intention": "leave_now",
        "members.0.relationship_to_head": "head",
        "members.0.given_name": "Наталья",
        "members.0.father_name": "Ивановна",
        "members.0.family_name": "Иванова",
        "members.0.other.family": "Ivanova, Иванова-Петрова",
        "members.0.sex": "female",
        "members.0.birth_date.value": "1986-04-12",
        "members.0.nationalities": "RU",
        "members.0.languages": "ru, ar",
        "members.0.document.type": "passport",
        "members.0.document.number": "75 1234567",
        "members.0.document.issuing_country": "RU",
        "members.0.phone": "0944 123 456",
        "members.0.consent.registration": "signed",
        "members.0.consent.evacuation": "verbal",
        "members.1.relationship_to_head": "child",
        "members.1.given_name": "علي",
        "members.1.father_name": "محمد",
        "members.1.family_name": "الحسن",
        "members.1.other.given": "Ali",
        "members.1.sex": "male",
        "members.1.birth_date.value": "2014",
        "members.1.birth_date.precision": "year",
        "members.1.birth_date.estimated": "1",
        "members.1.needs": ["serious_medical_condition", "child_at_risk"],
        "members.2.relationship_to_head": "",
        "members.2.sex": "unknown",
        "members.2.given_name": "",
    }
    form.update(overrides)
    return form


@pytest.fixture
def clerk_client(app_client: TestClient, clerk_aleppo: Actor) -> TestClient:
    sign_in(app_client, clerk_aleppo.username)
    return app_client


def register(client: TestClient, site_id: uuid.UUID, **overrides: str | list[str]) -> str:
    csrf = csrf_of(client.get("/households/new").text)
    r = client.post(
        "/households/new", data=household_form(site_id, csrf, **overrides), follow_redirects=False
    )
    assert r.status_code == 303, r.text
    location = r.headers["location"]
    assert location.startswith("/households/")
    return location


# --- routes and permissions --------------------------------------------------------------------------


def api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every APIRoute of an app, also inside included routers (which FastAPI may keep unflattened)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from api_routes(list(included.routes))
        elif isinstance(route, APIRoute):
            yield route


@pytest.mark.db
def test_every_page_route_declares_a_permission(app_client: TestClient) -> None:
    page_routes = [
        r
        for r in api_routes(app_client.app.routes)  # type: ignore[attr-defined]
        if r.endpoint.__module__.startswith(WEB_MODULES)
    ]
    assert {"/login", "/households/new", "/persons", "/import"} <= {r.path for r in page_routes}
    undeclared = [
        f"{sorted(r.methods)} {r.path}"
        for r in page_routes
        if not any(permission_of(d.call) for d in r.dependant.dependencies)
    ]
    assert undeclared == []


@pytest.mark.db
def test_pages_send_the_signed_out_to_the_login_form(app_client: TestClient) -> None:
    for path in ("/", "/persons", "/sites", "/households/new", "/import"):
        r = app_client.get(path, follow_redirects=False)
        assert r.status_code == 303, path
        assert r.headers["location"].startswith("/login"), path
    r = app_client.get("/persons?q=x", follow_redirects=False)
    assert r.headers["location"] == "/login?next=%2Fpersons%3Fq%3Dx"


@pytest.mark.db
def test_sign_in_and_out(app_client: TestClient, clerk_aleppo: Actor) -> None:
    sign_in(app_client, clerk_aleppo.username)
    page = app_client.get("/persons")
    assert page.status_code == 200
    assert "clerk_aleppo" in page.text
    assert page.headers["cache-control"] == "no-store"
    r = app_client.post("/logout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert app_client.get("/persons", follow_redirects=False).status_code == 303


@pytest.mark.db
def test_wrong_password_is_told_plainly(app_client: TestClient, clerk_aleppo: Actor) -> None:
    token = csrf_of(app_client.get("/login").text)
    r = app_client.post("/login", data={"username": "clerk_aleppo", "password": "nope", "csrf_token": token})
    assert r.status_code == 401
    assert "Unknown user or wrong password." in r.text
    assert 'value="clerk_aleppo"' in r.text


@pytest.mark.db
def test_login_refuses_to_send_anyone_to_another_site(app_client: TestClient, clerk_aleppo: Actor) -> None:
    token = csrf_of(app_client.get("/login").text)
    r = app_client.post(
        "/login",
        data={
            "username": "clerk_aleppo",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "//evil.example/x",
        },
        follow_redirects=False,
    )
    assert r.headers["location"] == "/persons"


@pytest.mark.db
def test_a_session_ends_after_its_lifetime(
    app_client: TestClient, container: Container, clerk_aleppo: Actor
) -> None:
    sign_in(app_client, clerk_aleppo.username)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=container.settings.session_max_age_seconds + 60)
    container.clock = FixedClock(later)
    r = app_client.get("/persons", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


@pytest.mark.db
def test_a_role_without_the_import_permission_gets_the_403_page(
    app_client: TestClient, make_user: Callable[..., Actor]
) -> None:
    role = next(
        r
        for r, granted in GRANTS.items()
        if Permission.REGISTRY_WRITE in granted and Permission.REGISTRY_IMPORT not in granted
    )
    make_user("writer_no_import", role)
    sign_in(app_client, "writer_no_import")
    r = app_client.get("/import")
    assert r.status_code == 403
    assert "You may not open this page" in r.text
    assert 'href="/import"' not in r.text  # not offered in the menu either
    assert "<html" in r.text and "Traceback" not in r.text


@pytest.mark.db
def test_an_auditor_cannot_open_the_registration_form(app_client: TestClient, auditor: Actor) -> None:
    sign_in(app_client, auditor.username)
    assert app_client.get("/households/new").status_code == 403
    assert app_client.get("/sites").status_code == 200


# --- CSRF ------------------------------------------------------------------------------------------------


@pytest.mark.db
def test_a_form_without_its_csrf_token_is_refused(
    clerk_client: TestClient, site_id: uuid.UUID, container: Container, supervisor: Actor
) -> None:
    for token in ("", "forged"):
        form = household_form(site_id, token)
        if not token:
            del form["csrf_token"]
        r = clerk_client.post("/households/new", data=form, follow_redirects=False)
        assert r.status_code == 403
        assert "This form has expired" in r.text
    assert queries.list_persons(container.uow(), queries.PersonFilter(), actor=supervisor).items == []
    assert clerk_client.post("/logout", data={}, follow_redirects=False).status_code == 403


@pytest.mark.db
def test_the_login_form_has_a_csrf_token_too(app_client: TestClient, clerk_aleppo: Actor) -> None:
    app_client.get("/login")
    r = app_client.post("/login", data={"username": "clerk_aleppo", "password": PASSWORD})
    assert r.status_code == 403


# --- registering a household -----------------------------------------------------------------------------


@pytest.mark.db
def test_register_a_household_with_the_form(clerk_client: TestClient, site_id: uuid.UUID) -> None:
    location = register(clerk_client, site_id)
    page = clerk_client.get(location)
    assert page.status_code == 200
    assert "The household is registered." in page.text
    for name in ("Наталья Ивановна Иванова", "علي محمد الحسن", "Natalya Ivanovna Ivanova"):
        assert name in page.text
    assert "head of household" in page.text and "child" in page.text
    assert "2014 (year only, estimated)" in page.text
    assert "serious medical condition" in page.text
    child = re.search(r'href="(/persons/[0-9a-f-]+)" dir="auto">علي', page.text)
    assert child
    spellings = clerk_client.get(child.group(1)).text
    for name in ("علي", "محمد", "الحسن", "Ali", "Arabic", "Latin"):
        assert f">{name}<" in spellings, name


@pytest.mark.db
def test_sending_the_same_form_twice_registers_one_household(
    clerk_client: TestClient, site_id: uuid.UUID, container: Container, supervisor: Actor
) -> None:
    csrf = csrf_of(clerk_client.get("/households/new").text)
    form = household_form(site_id, csrf)
    first = clerk_client.post("/households/new", data=form, follow_redirects=False)
    again = clerk_client.post("/households/new", data=form, follow_redirects=False)
    assert first.headers["location"] == again.headers["location"]
    found = queries.list_persons(container.uow(), queries.PersonFilter(), actor=supervisor).items
    assert len(found) == 2


@pytest.mark.db
def test_a_bad_field_shows_the_form_again_with_the_message_and_what_was_typed(
    clerk_client: TestClient, site_id: uuid.UUID
) -> None:
    csrf = csrf_of(clerk_client.get("/households/new").text)
    form = household_form(
        site_id,
        csrf,
        **{
            "members.1.birth_date.value": "2014-13-45",
            "members.1.birth_date.precision": "",
            "members.0.nationalities": "Narnia",
        },
    )
    r = clerk_client.post("/households/new", data=form)
    assert r.status_code == 422
    assert "The household was not registered" in r.text
    assert 'id="err-members-1-birth_date-value"' in r.text
    assert "Not a possible birth date" in r.text
    assert 'id="err-members-0-nationalities"' in r.text
    assert 'value="Наталья"' in r.text and 'value="علي"' in r.text and 'value="Narnia"' in r.text
    assert 'value="serious_medical_condition" checked' in r.text
    assert "Traceback" not in r.text


@pytest.mark.db
def test_every_impossible_birth_date_is_reported_at_once(
    clerk_client: TestClient, site_id: uuid.UUID
) -> None:
    csrf = csrf_of(clerk_client.get("/households/new").text)
    # Well formed, so pydantic lets them pass; the service's date parser refuses both.
    form = household_form(
        site_id, csrf, **{"members.0.birth_date.value": "31/02/1986", "members.1.birth_date.value": "2999"}
    )
    r = clerk_client.post("/households/new", data=form)
    assert r.status_code == 422
    assert 'id="err-members-0-birth_date-value"' in r.text and "not a real date" in r.text
    assert 'id="err-members-1-birth_date-value"' in r.text and "in the future" in r.text


@pytest.mark.db
def test_a_refusal_from_the_service_is_shown_on_the_form(
    clerk_client: TestClient, site_id: uuid.UUID
) -> None:
    csrf = csrf_of(clerk_client.get("/households/new").text)
    r = clerk_client.post("/households/new", data=household_form(uuid.uuid4(), csrf))
    assert r.status_code == 422
    assert "The household cannot be registered." in r.text
    assert "does not exist" in r.text
    assert 'value="Наталья"' in r.text


@pytest.mark.db
def test_blank_blocks_are_skipped_and_problems_still_reach_the_right_block(
    clerk_client: TestClient, site_id: uuid.UUID
) -> None:
    csrf = csrf_of(clerk_client.get("/households/new").text)
    form = household_form(site_id, csrf)
    # Move the child to block 4, leaving blocks 1 to 3 blank, and leave its relationship unchosen.
    for key in [k for k in form if k.startswith("members.1.")]:
        form[key.replace("members.1.", "members.4.")] = form.pop(key)
    form["members.4.relationship_to_head"] = ""
    r = clerk_client.post("/households/new", data=form)
    assert r.status_code == 422
    assert 'id="err-members-4-relationship_to_head"' in r.text
    assert "Choose one of the options." in r.text
    assert 'name="members.4.given_name"' in r.text


@pytest.mark.db
def test_an_empty_form_asks_for_a_member(clerk_client: TestClient, site_id: uuid.UUID) -> None:
    csrf = csrf_of(clerk_client.get("/households/new").text)
    r = clerk_client.post(
        "/households/new",
        data={"csrf_token": csrf, "site_id": str(site_id), "category": "", "intention": "undecided"},
    )
    assert r.status_code == 422
    assert "Fill in at least one member." in r.text
    assert 'id="err-category"' in r.text


@pytest.mark.db
def test_the_blank_form_offers_three_member_blocks_and_a_template(
    clerk_client: TestClient, site_id: uuid.UUID
) -> None:
    html = clerk_client.get("/households/new").text
    assert html.count("data-member>") == 4  # three blocks and the <template> copied by site.js
    assert 'name="members.2.given_name"' in html and 'name="members.__i__.given_name"' in html
    assert 'dir="auto"' in html and 'inputmode="tel"' in html


# --- reading ------------------------------------------------------------------------------------------------


@pytest.mark.db
def test_search_finds_a_cyrillic_registration_by_a_latin_query(
    clerk_client: TestClient, site_id: uuid.UUID
) -> None:
    register(clerk_client, site_id)
    page = clerk_client.get("/persons", params={"q": "Natalia Ivanova"})
    assert page.status_code == 200
    assert "Наталья Ивановна Иванова" in page.text
    assert "علي" not in page.text
    filtered = clerk_client.get("/persons", params={"need": "serious_medical_condition"}).text
    assert "علي محمد الحسن" in filtered and "Наталья" not in filtered


@pytest.mark.db
def test_search_pages_with_a_next_link(
    clerk_client: TestClient, site_id: uuid.UUID, container: Container
) -> None:
    register(clerk_client, site_id)
    container.settings.page_size = 1
    first = clerk_client.get("/persons", params={"category": "citizen"}).text
    match = re.search(r'href="(/persons\?[^"]*cursor=[^"]+)" rel="next"', first)
    assert match, first
    second = clerk_client.get(match.group(1).replace("&amp;", "&")).text
    assert "First page" in second and 'rel="next"' not in second
    assert ("Наталья" in first) != ("Наталья" in second)


@pytest.mark.db
def test_the_person_page_shows_names_in_every_script_and_the_history(
    clerk_client: TestClient, site_id: uuid.UUID
) -> None:
    household = clerk_client.get(register(clerk_client, site_id)).text
    person_url = re.search(r'href="(/persons/[0-9a-f-]+)"', household)
    assert person_url
    page = clerk_client.get(person_url.group(1)).text
    for text in (
        "Наталья",
        "Иванова-Петрова",
        "Ivanova",
        "Cyrillic",
        "Latin",
        "passport",
        "75 1234567",
        "+963944123456",
        "registration",
        "evacuation",
        "in force",
        "leave now",
        "Change history",
        "clerk_aleppo",
        "1986-04-12",
    ):
        assert text in page, text


@pytest.mark.db
def test_an_unknown_person_or_a_bad_address_is_a_404_page(clerk_client: TestClient) -> None:
    for path in (f"/persons/{uuid.uuid4()}", "/persons/not-an-id", f"/households/{uuid.uuid4()}"):
        r = clerk_client.get(path)
        assert r.status_code == 404, path
        assert "Not found" in r.text and "<html" in r.text


@pytest.mark.db
def test_the_sites_page_shows_beds(clerk_client: TestClient, site_id: uuid.UUID) -> None:
    page = clerk_client.get("/sites").text
    assert "ALP-AP" in page and "assembly point" in page and ">300<" in page


@pytest.mark.db
def test_change_the_head_and_split_a_household(
    clerk_client: TestClient, site_id: uuid.UUID, container: Container, supervisor: Actor
) -> None:
    location = register(clerk_client, site_id)
    household_id = uuid.UUID(location.rsplit("/", 1)[1])
    before = queries.get_household(container.uow(), household_id, actor=supervisor)
    child = next(m for m in before.members if m.relationship_to_head != "head")
    csrf = csrf_of(clerk_client.get(location).text)
    r = clerk_client.post(
        f"{location}/head",
        data={"csrf_token": csrf, "new_head_id": str(child.id), "former_head_becomes": "parent"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert queries.get_household(container.uow(), household_id, actor=supervisor).head_id == child.id
    r = clerk_client.post(
        f"{location}/split",
        data={"csrf_token": csrf, "person_ids": [str(child.id)], "new_head_id": str(child.id)},
    )
    assert r.status_code == 422  # the head leaves: who heads those who stay?
    assert "the head is leaving" in r.text
    r = clerk_client.post(
        f"{location}/split",
        data={
            "csrf_token": csrf,
            "person_ids": [str(child.id)],
            "new_head_id": str(child.id),
            "remaining_head_id": str(before.head_id),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] != location


# --- languages ---------------------------------------------------------------------------------------

PAGES = (
    "/login",
    "/persons",
    "/persons/{person}",
    "/households/{household}",
    "/households/new",
    "/sites",
    "/import",
)
WORDS = {"en": "Sign in", "ru": "Войти", "ar": "تسجيل الدخول"}
MENU = {"en": "Search", "ru": "Поиск", "ar": "بحث"}


@pytest.mark.db
@pytest.mark.parametrize("lang", ["en", "ru", "ar"])
def test_every_page_renders_in_each_language(
    app_client: TestClient, site_id: uuid.UUID, clerk_aleppo: Actor, lang: str
) -> None:
    login = app_client.get(f"/login?lang={lang}").text
    assert f'<html lang="{lang}" dir="{"rtl" if lang == "ar" else "ltr"}">' in login
    assert WORDS[lang] in login
    sign_in(app_client, clerk_aleppo.username)  # the language chosen before signing in is kept
    household = register(app_client, site_id)
    person = re.search(r'href="(/persons/[0-9a-f-]+)"', app_client.get(household).text)
    assert person
    for template in PAGES:
        path = template.format(
            person=person.group(1).rsplit("/", 1)[1], household=household.rsplit("/", 1)[1]
        )
        r = app_client.get(path)
        assert r.status_code == 200, path
        assert f'<html lang="{lang}" dir="{"rtl" if lang == "ar" else "ltr"}">' in r.text, path
        if path != "/login":
            assert MENU[lang] in r.text, path


@pytest.mark.db
def test_the_language_follows_the_browser_until_one_is_chosen(app_client: TestClient) -> None:
    assert 'lang="ru"' in app_client.get("/login", headers={"Accept-Language": "ru-RU,ru;q=0.9"}).text
    assert 'lang="ar"' in app_client.get("/login", headers={"Accept-Language": "fr, ar;q=0.5"}).text
    assert 'lang="en"' in app_client.get("/login", headers={"Accept-Language": "de"}).text
    app_client.get("/login?lang=ar")
    assert 'lang="ar"' in app_client.get("/login", headers={"Accept-Language": "ru"}).text


def test_choose_language() -> None:
    choose = i18n.choose_language
    assert choose(asked="ar", remembered="ru", accept_language="ru", default="en") == "ar"
    assert choose(asked="xx", remembered="ru", accept_language="ar", default="en") == "ru"
    assert choose(asked=None, remembered=None, accept_language="ru;q=0.2, ar;q=0.8", default="en") == "ar"
    assert choose(asked=None, remembered=None, accept_language="ar;q=0, de", default="ru") == "ru"


# --- catalogues ---------------------------------------------------------------------------------------


def test_every_code_has_a_label() -> None:
    for kind, enum_cls in labels.KINDS.items():
        for member in enum_cls:
            assert member.value in labels.LABELS[enum_cls], f"{kind}: {member.value}"


@pytest.mark.parametrize("lang", ["ru", "ar"])
def test_every_message_is_translated(lang: str) -> None:
    with (i18n.LOCALE_DIR / "messages.pot").open("rb") as fp:
        template = read_po(fp)
    with i18n.catalogue_path(lang).open("rb") as fp:
        catalogue = read_po(fp, locale=lang)
    wanted = {(m.context, m.id) for m in template if m.id}
    missing = []
    for context, mid in sorted(wanted, key=str):
        entry = catalogue.get(mid, context=context)
        if entry is None or not entry.string or entry.fuzzy:
            missing.append(f"{context} | {mid}" if context else str(mid))
    assert missing == []
    labelled = {
        (m.context, m.message) if isinstance(m, labels.Contextual) else (None, m)
        for messages in labels.LABELS.values()
        for m in messages.values()
    }
    assert labelled <= wanted, "run make messages: labels are missing from messages.pot"


def test_a_contextual_label_is_translated_by_its_context() -> None:
    ru = i18n.translations("ru").gettext
    plan, proposal = labels.label(ru, PlanStatus.ACCEPTED), labels.label(ru, ProposalStatus.ACCEPTED)
    assert plan != "accepted" and proposal != "accepted" and plan != proposal
    assert labels.label(lambda m: m, PlanStatus.ACCEPTED) == "accepted"  # no catalogue: the message


def test_a_catalogue_without_its_mo_file_is_compiled_in_memory() -> None:
    translations = i18n.compile_catalogue("ar")
    assert translations.gettext("Sign in") == "تسجيل الدخول"
    assert i18n.compile_catalogue("ru").gettext("Search") == "Поиск"


# --- import ---------------------------------------------------------------------------------------

CSV = (
    "household,relationship,given name,family name,sex,date of birth,nationality\n"
    "H1,head,Мария,Петрова,female,1970,RU\n"
    "H1,child,Анна,Петрова,female,2001-03-04,RU\n"
    "H2,head,,Nobody,male,1980,SY\n"
)


@pytest.mark.db
def test_import_a_list_and_download_its_rejects(
    clerk_client: TestClient, site_id: uuid.UUID, container: Container
) -> None:
    page = clerk_client.get("/import")
    assert page.status_code == 200
    r = clerk_client.post(
        "/import",
        data={"csrf_token": csrf_of(page.text), "site_id": str(site_id), "source": "embassy list"},
        files={"file": ("embassy list.csv", CSV.encode(), "text/csv")},
    )
    assert r.status_code == 200, r.text
    assert "Import finished" in r.text
    assert re.search(r"Persons registered</dt><dd>2<", r.text), r.text
    assert re.search(r"Rows rejected</dt><dd>1<", r.text)
    link = re.search(r'href="(/import/rejects/[0-9a-f]+)"', r.text)
    assert link
    rejects = clerk_client.get(link.group(1))
    assert rejects.status_code == 200
    assert "Nobody" in rejects.text
    assert "rejects.csv" in rejects.headers["content-disposition"]
    assert not any((Path(container.settings.var_dir) / "uploads").rglob("*.csv"))  # the upload is not kept


@pytest.mark.db
def test_import_problems_with_the_form_or_the_file(clerk_client: TestClient, site_id: uuid.UUID) -> None:
    csrf = csrf_of(clerk_client.get("/import").text)
    r = clerk_client.post("/import", data={"csrf_token": csrf, "site_id": "", "source": ""})
    assert r.status_code == 422
    assert "Choose a file." in r.text
    r = clerk_client.post(
        "/import",
        data={"csrf_token": csrf, "site_id": str(site_id), "source": "x"},
        files={"file": ("list.csv", b"colour,size\nred,3\n", "text/csv")},
    )
    assert r.status_code == 422
    assert "The file was not imported." in r.text


@pytest.mark.db
def test_rejects_are_served_only_to_roles_that_may_import(
    app_client: TestClient, make_user: Callable[..., Actor], container: Container
) -> None:
    run = uuid.uuid4().hex
    folder = Path(container.settings.var_dir) / "rejects" / run
    folder.mkdir(parents=True)
    (folder / "list.rejects.csv").write_text("_row,_field,_reason\n")
    make_user("caseworker", Role.CASEWORKER)
    sign_in(app_client, "caseworker")
    assert app_client.get(f"/import/rejects/{run}").status_code == 403
    assert app_client.get("/import/rejects/..%2F..%2Fsecret_key").status_code in (403, 404)


def test_no_two_codes_share_a_message() -> None:
    """One msgid is one translation: two codes with the same English label would get the same
    Russian and Arabic one (an intention "stay" is not a "stay" at a site)."""
    allowed: set[labels.Message] = {
        "not known",  # the same words for an unknown sex and an unknown date
        "person",  # a break-glass grant's record and a history row's table: the same thing
        "household",
        labels.NC_("request state", "waiting for a second supervisor"),  # an export's and a shred's
        labels.NC_("request state", "rejected"),
    }
    seen: dict[labels.Message, str] = {}
    groups: dict[str, dict[str, labels.Message]] = {
        **{cls.__name__: m for cls, m in labels.LABELS.items()},
        "entity": labels.ENTITIES,
        "action": labels.ACTIONS,
    }
    for group, messages in groups.items():
        for code, message in messages.items():
            if message in seen and message not in allowed:
                pytest.fail(f"{group}.{code} and {seen[message]} are both labelled {message!r}")
            seen[message] = f"{group}.{code}"
