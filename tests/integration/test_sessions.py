"""Web sessions: server-side records, idle and absolute timeouts, and signing out, disabling an account
or ending a site's sessions refused at the very next request; the cookie's flags."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from safepassage.app import create_app
from safepassage.bootstrap import Container, bootstrap
from safepassage.cli.main import app as cli_app
from safepassage.registry import schemas, services
from safepassage.security import services as security
from safepassage.security.models import WebSession
from safepassage.security.policy import SYSTEM, Actor, Role
from safepassage.shared.clock import FixedClock
from tests.conftest import ADMIN, csrf_field, enrol_second_factor, web_sign_in

pytestmark = pytest.mark.db

START = dt.datetime(2026, 11, 22, 8, 0, 5, tzinfo=dt.UTC)


@pytest.fixture
def clock(container: Container) -> FixedClock:
    fixed = FixedClock(START)
    container.clock = fixed
    return fixed


def signed_in(client: TestClient) -> bool:
    r = client.get("/persons", follow_redirects=False)
    assert r.status_code in (200, 303), r.status_code
    return r.status_code == 200


def cookie_payload(client: TestClient) -> dict[str, object]:
    """What the signed cookie carries (itsdangerous: base64 JSON, timestamp, signature)."""
    value = client.cookies["safepassage_session"]
    data = value.split(".", 1)[0]
    payload: dict[str, object] = json.loads(base64.b64decode(data + "=" * (-len(data) % 4)))
    return payload


@pytest.fixture
def other_site(container: Container) -> uuid.UUID:
    return services.create_site(
        container.uow(),
        schemas.SiteCreate(code="HMS-SH", name="Homs shelter", kind="shelter", country="SY"),
        actor=SYSTEM,
    )


def test_a_session_lives_while_used_and_ends_after_fifteen_idle_minutes(
    app_client: TestClient, container: Container, clerk_aleppo: Actor, clock: FixedClock
) -> None:
    assert web_sign_in(app_client, container, "clerk_aleppo").status_code == 303
    for _ in range(4):
        clock.advance(minutes=14, seconds=50)
        assert signed_in(app_client)
    clock.advance(minutes=15, seconds=1)
    assert not signed_in(app_client)
    with container.uow() as uow:
        row = uow.session.scalars(select(WebSession)).one()
        assert row.end_reason == "idle" and row.ended_at == clock.now()


def test_a_session_ends_after_twelve_hours_however_often_it_is_used(
    app_client: TestClient, container: Container, clerk_aleppo: Actor, clock: FixedClock
) -> None:
    web_sign_in(app_client, container, "clerk_aleppo")
    for _ in range(12 * 6 - 1):
        clock.advance(minutes=10)
        assert signed_in(app_client)
    clock.advance(minutes=10, seconds=1)
    assert not signed_in(app_client)
    with container.uow() as uow:
        assert uow.session.scalars(select(WebSession.end_reason)).one() == "expired"


def test_signing_out_ends_the_session_even_for_a_copy_of_the_cookie(
    app_client: TestClient, container: Container, clerk_aleppo: Actor, clock: FixedClock
) -> None:
    web_sign_in(app_client, container, "clerk_aleppo")
    stolen = dict(app_client.cookies)
    page = app_client.get("/persons")
    app_client.post("/logout", data={"csrf_token": csrf_field(page.text)})
    assert not signed_in(app_client)
    with TestClient(app_client.app, cookies=stolen) as thief:
        assert not signed_in(thief)
        assert thief.get("/api/v1/sites").status_code == 401


def test_the_cookie_carries_a_random_token_and_the_database_only_its_hash(
    app_client: TestClient, container: Container, clerk_aleppo: Actor, clock: FixedClock
) -> None:
    web_sign_in(app_client, container, "clerk_aleppo")
    token = cookie_payload(app_client)["sid"]
    assert isinstance(token, str) and len(token) >= 43  # 256 bits
    assert "clerk_aleppo" not in json.dumps(cookie_payload(app_client))
    with container.uow() as uow:
        row = uow.session.scalars(select(WebSession)).one()
        assert row.token_hash != token and token not in row.token_hash and len(row.token_hash) == 64
        assert row.address == "testclient" and row.user_agent


def test_signing_in_again_gives_a_new_session_token(
    app_client: TestClient, container: Container, clerk_aleppo: Actor, clock: FixedClock
) -> None:
    app_client.get("/login")
    anonymous = cookie_payload(app_client)
    web_sign_in(app_client, container, "clerk_aleppo")
    signed = cookie_payload(app_client)
    assert signed["csrf"] != anonymous.get("csrf")  # no fixation of the anonymous CSRF token
    first = signed["sid"]
    web_sign_in(app_client, container, "clerk_aleppo")
    assert cookie_payload(app_client)["sid"] != first


def test_disabling_an_account_refuses_its_next_request(
    app_client: TestClient, container: Container, clerk_aleppo: Actor, clock: FixedClock, api_as
) -> None:
    web_sign_in(app_client, container, "clerk_aleppo")
    token = api_as(clerk_aleppo)
    assert signed_in(app_client)
    security.set_active(container.uow(), "clerk_aleppo", active=False, actor=ADMIN)
    assert not signed_in(app_client)
    assert app_client.get("/api/v1/sites", headers=token).status_code == 401
    security.set_active(container.uow(), "clerk_aleppo", active=True, actor=ADMIN)
    assert not signed_in(app_client)  # the ended session stays ended
    assert app_client.get("/api/v1/sites", headers=token).status_code == 200


def test_ending_a_site_s_sessions_signs_out_everyone_working_there_at_once(
    container: Container,
    make_user: Callable[..., Actor],
    site_id: uuid.UUID,
    other_site: uuid.UUID,
    clock: FixedClock,
    api_as,
) -> None:
    make_user("a1", Role.CASEWORKER, sites=[site_id])
    make_user("a2", Role.REGISTRATION_CLERK, sites=[site_id, other_site])
    make_user("h1", Role.CASEWORKER, sites=[other_site])
    boss = make_user("boss", Role.SUPERVISOR, sites=[site_id])
    homs_boss = make_user("homs_boss", Role.SUPERVISOR, sites=[other_site])
    clients = {name: TestClient(create_app(container)) for name in ("a1", "a2", "h1")}
    try:
        for name, client in clients.items():
            assert web_sign_in(client, container, name).status_code == 303
        admin = clients["a1"]
        refused = admin.post("/api/v1/sites/ALP-AP/sessions/end", headers=api_as(homs_boss))
        assert refused.status_code == 403  # not one of their sites
        ended = admin.post("/api/v1/sites/ALP-AP/sessions/end", headers=api_as(boss))
        assert ended.status_code == 200 and ended.json() == {"ended": 2}
        assert not signed_in(clients["a1"]) and not signed_in(clients["a2"])
        assert signed_in(clients["h1"])
    finally:
        for client in clients.values():
            client.close()


def test_ending_sessions_from_the_command_line(
    container: Container,
    make_user: Callable[..., Actor],
    site_id: uuid.UUID,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SAFEPASSAGE_DATABASE_URL", container.settings.database_url)
    monkeypatch.setenv("SAFEPASSAGE_VAR_DIR", str(container.settings.var_dir))
    make_user("a1", Role.CASEWORKER, sites=[site_id])
    make_user("a2", Role.CASEWORKER)
    c1, c2 = TestClient(create_app(container)), TestClient(create_app(container))
    with c1, c2:
        web_sign_in(c1, container, "a1")
        web_sign_in(c2, container, "a2")
        runner = CliRunner()
        by_site = runner.invoke(cli_app, ["user", "sessions", "end", "--site", "ALP-AP"])
        assert by_site.exit_code == 0 and "1 session(s) ended" in by_site.output
        assert not signed_in(c1) and signed_in(c2)
        by_user = runner.invoke(cli_app, ["user", "sessions", "end", "--user", "a2"])
        assert by_user.exit_code == 0 and not signed_in(c2)
        both = runner.invoke(cli_app, ["user", "sessions", "end", "--user", "a2", "--site", "ALP-AP"])
        assert both.exit_code == 2


def test_an_administrator_ends_one_account_s_sessions_through_the_api(
    app_client: TestClient,
    container: Container,
    clerk_aleppo: Actor,
    make_user: Callable[..., Actor],
    clock: FixedClock,
    api_as,
) -> None:
    admin = make_user("root", Role.ADMINISTRATOR)
    web_sign_in(app_client, container, "clerk_aleppo")
    r = app_client.post("/api/v1/users/clerk_aleppo/sessions/end", headers=api_as(admin))
    assert r.status_code == 200 and r.json() == {"ended": 1}
    assert not signed_in(app_client)


def test_a_supervisor_session_exists_only_after_the_second_factor(
    app_client: TestClient, container: Container, supervisor: Actor, clock: FixedClock
) -> None:
    secret = enrol_second_factor(container, "supervisor")
    web_sign_in(app_client, container, "supervisor")
    with container.uow() as uow:
        assert uow.session.scalars(select(WebSession)).all() == []
    clock.advance(minutes=6)  # the pending sign-in lapses after five minutes
    assert web_sign_in(app_client, container, "supervisor", totp_secret=secret).status_code == 303
    with container.uow() as uow:
        assert len(uow.session.scalars(select(WebSession)).all()) == 1


# --- the cookie ------------------------------------------------------------------------------------------


@pytest.fixture
def https_client(container: Container) -> Iterator[TestClient]:
    settings = container.settings.model_copy(update={"https": True})
    secure = bootstrap(settings, clock=container.clock)
    with TestClient(create_app(secure), base_url="https://testserver") as client:
        yield client
    secure.dispose()


def _set_cookie(client: TestClient, container: Container) -> str:
    token = csrf_field(client.get("/login").text)
    r = client.post(
        "/login",
        data={"username": "clerk_aleppo", "password": "correct-horse-battery-staple", "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    return r.headers["set-cookie"].lower()


def test_the_cookie_is_httponly_and_samesite_strict(
    app_client: TestClient, container: Container, clerk_aleppo: Actor
) -> None:
    cookie = _set_cookie(app_client, container)
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert "secure" not in cookie  # plain http (development): a Secure cookie would never come back


def test_over_https_the_cookie_is_secure_and_hsts_is_sent(
    https_client: TestClient, container: Container, clerk_aleppo: Actor
) -> None:
    cookie = _set_cookie(https_client, container)
    assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    r = https_client.get("/login")
    assert r.headers["strict-transport-security"].startswith("max-age=63072000")


# --- the account page ------------------------------------------------------------------------------------


def test_the_account_page_lists_one_s_sessions_and_tokens_and_revokes_a_token(
    app_client: TestClient, container: Container, clerk_aleppo: Actor, clock: FixedClock, api_as
) -> None:
    token = api_as(clerk_aleppo)
    web_sign_in(app_client, container, "clerk_aleppo")
    page = app_client.get("/account")
    assert page.status_code == 200
    assert "testclient" in page.text and "registry.read" in page.text
    assert token["Authorization"][7:] not in page.text
    assert 'href="/account"' in app_client.get("/persons").text  # reached from the user's name
    assert "End every session at a site" not in page.text  # a clerk has no such power
    token_id = next(t.id for t in security.list_tokens(container.uow(), "clerk_aleppo", actor=ADMIN))
    r = app_client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_field(page.text)})
    assert r.status_code == 200 and "The token is revoked." in r.text
    assert app_client.get("/api/v1/sites", headers=token).status_code == 401
    refused = app_client.post(
        "/account/site-sessions/end", data={"csrf_token": csrf_field(r.text), "site_id": str(uuid.uuid4())}
    )
    assert refused.status_code == 403
    out = app_client.post(
        "/account/sessions/end", data={"csrf_token": csrf_field(r.text)}, follow_redirects=False
    )
    assert out.headers["location"] == "/login" and not signed_in(app_client)


def test_a_supervisor_ends_every_session_at_their_site_from_the_account_page(
    app_client: TestClient,
    container: Container,
    make_user: Callable[..., Actor],
    site_id: uuid.UUID,
    other_site: uuid.UUID,
    clock: FixedClock,
) -> None:
    make_user("boss", Role.SUPERVISOR, sites=[other_site])
    make_user("worker", Role.CASEWORKER, sites=[site_id])
    make_user("homs", Role.CASEWORKER, sites=[other_site])
    secret = enrol_second_factor(container, "boss")
    with TestClient(create_app(container)) as worker, TestClient(create_app(container)) as homs:
        web_sign_in(worker, container, "worker")
        web_sign_in(homs, container, "homs")
        assert web_sign_in(app_client, container, "boss", totp_secret=secret).status_code == 303
        page = app_client.get("/account?lang=ru")
        assert "Ваша учётная запись" in page.text
        assert "HMS-SH" in page.text and "ALP-AP" not in page.text  # only the supervisor's own sites
        r = app_client.post(
            "/account/site-sessions/end",
            data={"csrf_token": csrf_field(page.text), "site_id": str(other_site)},
        )
        # the supervisor works there too: signed out with everyone else, at once
        assert r.status_code == 200 and "/login" in str(r.url)
        assert not signed_in(homs) and signed_in(worker)
