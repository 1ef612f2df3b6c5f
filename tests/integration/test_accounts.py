"""Signing in: rate limits per account and per address, no user enumeration, the second factor for
supervisors and administrators (enrolment, verification, no replay), and the `user` commands."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner, Result

from safepassage import sessions
from safepassage.bootstrap import Container
from safepassage.cli.main import app
from safepassage.security import services as security
from safepassage.security.accounts import LoginLimits, SecondFactor
from safepassage.security.models import User
from safepassage.security.policy import Actor, Role
from safepassage.shared.clock import FixedClock
from tests.conftest import (
    PASSWORD,
    csrf_field,
    enrol_second_factor,
    totp_code,
    web_sign_in,
)

pytestmark = pytest.mark.db

START = dt.datetime(2026, 11, 22, 9, 0, 5, tzinfo=dt.UTC)


@pytest.fixture
def clock(container: Container) -> FixedClock:
    fixed = FixedClock(START)
    container.clock = fixed
    return fixed


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every Argon2 verification made, by stored hash."""
    made: list[str] = []
    original = PasswordHasher.verify

    def counting(self: PasswordHasher, stored: str | bytes, password: str | bytes) -> bool:
        made.append(str(stored))
        return original(self, stored, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    yield made


def check(container: Container, username: str, password: str, address: str = "10.0.0.1", **limits: int):
    return security.check_password(
        container.uow(), username, password, address=address, limits=LoginLimits(**limits)
    )


# --- no enumeration ------------------------------------------------------------------------------------


def test_every_refusal_costs_one_argon2_verification_and_looks_the_same(
    container: Container, make_user: Callable[..., Actor], clock: FixedClock, verifications: list[str]
) -> None:
    make_user("active", Role.CASEWORKER)
    make_user("gone", Role.CASEWORKER)
    make_user("locked", Role.CASEWORKER)
    security.set_active(container.uow(), "gone", active=False, actor=_admin())
    for _ in range(5):
        assert check(container, "locked", "wrong", address="10.9.9.9") is None
    verifications.clear()
    cases = {
        "unknown user": ("nobody", PASSWORD),
        "wrong password": ("active", "wrong"),
        "disabled account": ("gone", PASSWORD),
        "rate-limited account, right password": ("locked", PASSWORD),
    }
    for case, (username, password) in cases.items():
        before = len(verifications)
        assert check(container, username, password) is None, case
        assert len(verifications) - before == 1, case
    assert check(container, "active", PASSWORD) is not None
    assert len(verifications) == len(cases) + 1


def test_the_api_answers_unknown_wrong_disabled_and_locked_alike(
    app_client: TestClient, container: Container, make_user: Callable[..., Actor]
) -> None:
    make_user("active", Role.CASEWORKER)
    make_user("gone", Role.CASEWORKER)
    make_user("locked", Role.CASEWORKER)
    security.set_active(container.uow(), "gone", active=False, actor=_admin())
    for _ in range(5):
        check(container, "locked", "wrong", address="10.9.9.9")
    answers = [
        app_client.post("/api/v1/tokens", json={"username": u, "password": p})
        for u, p in (("nobody", PASSWORD), ("active", "wrong"), ("gone", PASSWORD), ("locked", PASSWORD))
    ]
    assert {a.status_code for a in answers} == {401}
    assert all(a.json() == answers[0].json() for a in answers)
    ok = app_client.post("/api/v1/tokens", json={"username": "active", "password": PASSWORD})
    assert ok.status_code == 201


def test_the_sign_in_page_answers_unknown_wrong_disabled_and_locked_alike(
    app_client: TestClient, container: Container, make_user: Callable[..., Actor]
) -> None:
    make_user("active", Role.CASEWORKER)
    make_user("gone", Role.CASEWORKER)
    make_user("locked", Role.CASEWORKER)
    security.set_active(container.uow(), "gone", active=False, actor=_admin())
    for _ in range(5):
        check(container, "locked", "wrong", address="10.9.9.9")
    bodies = []
    for username, password in (
        ("nobody", PASSWORD),
        ("active", "wrong"),
        ("gone", PASSWORD),
        ("locked", PASSWORD),
    ):
        r = web_sign_in(app_client, container, username, password)
        assert r.status_code == 401, username
        assert "Unknown user or wrong password." in r.text
        bodies.append(r.text.replace(f'value="{username}"', 'value="?"'))
    assert all(b == bodies[0] for b in bodies)


# --- rate limits -----------------------------------------------------------------------------------------


def test_an_account_is_refused_after_five_failures_in_fifteen_minutes_then_lets_in_again(
    container: Container, make_user: Callable[..., Actor], clock: FixedClock
) -> None:
    make_user("target", Role.CASEWORKER)
    for n in range(5):
        assert check(container, "target", f"guess-{n}", address=f"10.0.0.{n}") is None
        clock.advance(seconds=60)
    # the right password, from a fresh address: still refused while the account is limited
    assert check(container, "target", PASSWORD, address="10.1.1.1") is None
    clock.advance(minutes=11)  # the first failures fall out of the window one by one
    assert check(container, "target", PASSWORD, address="10.1.1.1") is not None


def test_a_success_starts_the_account_s_count_again(
    container: Container, make_user: Callable[..., Actor], clock: FixedClock
) -> None:
    make_user("typo", Role.CASEWORKER)
    for _ in range(4):
        assert check(container, "typo", "wrong") is None
    assert check(container, "typo", PASSWORD) is not None
    for _ in range(4):
        assert check(container, "typo", "wrong") is None
    assert check(container, "typo", PASSWORD) is not None


def test_an_address_is_refused_after_its_failures_on_any_account(
    container: Container, make_user: Callable[..., Actor], clock: FixedClock
) -> None:
    make_user("alice", Role.CASEWORKER)
    make_user("bob", Role.CASEWORKER)
    limits = {"per_account": 100, "per_address": 4}
    for n in range(3):
        assert check(container, f"someone{n}", "spray", address="10.6.6.6", **limits) is None
    # alice signs in from the same address: her success does not clear the address's failures
    assert check(container, "alice", PASSWORD, address="10.6.6.6", **limits) is not None
    assert check(container, "someone3", "spray", address="10.6.6.6", **limits) is None
    assert check(container, "bob", PASSWORD, address="10.6.6.6", **limits) is None
    assert check(container, "bob", PASSWORD, address="10.7.7.7", **limits) is not None


def test_the_limits_hold_across_server_processes(
    container: Container, make_user: Callable[..., Actor], clock: FixedClock
) -> None:
    """Counted in the database: two containers (two processes' worth of engines) see one count."""
    from safepassage.bootstrap import bootstrap

    make_user("shared", Role.CASEWORKER)
    other = bootstrap(container.settings, clock=clock)
    try:
        for c in (container, other, container, other, container):
            assert check(c, "shared", "wrong") is None
        assert check(other, "shared", PASSWORD) is None
    finally:
        other.dispose()


def test_the_api_is_rate_limited_too(
    app_client: TestClient, container: Container, make_user: Callable[..., Actor]
) -> None:
    make_user("scripted", Role.CASEWORKER)
    for _ in range(5):
        assert (
            app_client.post("/api/v1/tokens", json={"username": "scripted", "password": "x"}).status_code
            == 401
        )
    refused = app_client.post("/api/v1/tokens", json={"username": "scripted", "password": PASSWORD})
    assert refused.status_code == 401


# --- second factor -------------------------------------------------------------------------------------


def _admin() -> Actor:
    return Actor(username="setup", role=Role.ADMINISTRATOR)


def test_a_supervisor_without_a_second_factor_must_enrol_before_anything_else(
    app_client: TestClient, container: Container, supervisor: Actor, clock: FixedClock
) -> None:
    r = web_sign_in(app_client, container, "supervisor")
    assert r.status_code == 303 and r.headers["location"].startswith("/login/enrol")
    # nothing else opens: every page sends back to the sign-in form, the API refuses the cookie
    assert app_client.get("/persons", follow_redirects=False).headers["location"].startswith("/login")
    assert app_client.get("/api/v1/sites").status_code == 401
    page = app_client.get(r.headers["location"])
    assert page.status_code == 200
    assert "<svg" in page.text
    secret = re.search(r'<code class="secret" dir="ltr">([A-Z2-7 ]+)</code>', page.text)
    assert secret
    seed = secret.group(1).replace(" ", "")
    with container.uow() as uow:
        stored = uow.session.scalar(select(User.totp_secret).where(User.username == "supervisor"))
    assert stored and seed not in stored  # sealed, never stored as shown
    csrf = csrf_field(page.text)
    wrong = app_client.post("/login/enrol", data={"code": "000000", "csrf_token": csrf, "next": "/persons"})
    assert wrong.status_code == 401 and "Wrong code" in wrong.text
    # the wrong attempt showed a new key: the old one is gone for good
    seed2 = re.search(r'<code class="secret" dir="ltr">([A-Z2-7 ]+)</code>', wrong.text)
    assert seed2 and seed2.group(1).replace(" ", "") != seed
    seed = seed2.group(1).replace(" ", "")
    done = app_client.post(
        "/login/enrol",
        data={"code": totp_code(seed, clock.now()), "csrf_token": csrf_field(wrong.text), "next": "/persons"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/persons"
    assert app_client.get("/persons").status_code == 200
    assert app_client.get("/login/enrol", follow_redirects=False).headers["location"] == "/login"


def test_an_enrolled_supervisor_signs_in_with_a_code_that_cannot_be_replayed(
    app_client: TestClient, container: Container, supervisor: Actor, clock: FixedClock
) -> None:
    secret = enrol_second_factor(container, "supervisor")
    r = web_sign_in(app_client, container, "supervisor")
    assert r.headers["location"].startswith("/login/code")
    assert app_client.get("/persons", follow_redirects=False).status_code == 303  # not signed in yet
    bad = app_client.post(
        "/login/code",
        data={"code": "123456", "csrf_token": csrf_field(app_client.get(r.headers["location"]).text)},
    )
    assert bad.status_code == 401 and "Wrong or already used code" in bad.text
    ok = web_sign_in(app_client, container, "supervisor", totp_secret=secret)
    assert ok.status_code == 303 and ok.headers["location"] == "/persons"
    assert app_client.get("/persons").status_code == 200
    app_client.post("/logout", data={"csrf_token": csrf_field(app_client.get("/persons").text)})
    replay = web_sign_in(app_client, container, "supervisor", totp_secret=secret)
    assert replay.status_code == 401  # the same step's code, seen once already
    clock.advance(seconds=30)
    assert web_sign_in(app_client, container, "supervisor", totp_secret=secret).status_code == 303


def test_wrong_codes_count_against_the_account(
    container: Container, supervisor: Actor, clock: FixedClock
) -> None:
    secret = enrol_second_factor(container, "supervisor")
    limits = LoginLimits()
    key = sessions.totp_key(container)
    accepted = check(container, "supervisor", PASSWORD)
    assert accepted is not None and accepted.second_factor is SecondFactor.VERIFY
    for _ in range(5):
        assert (
            security.totp.verify(
                container.uow(), accepted.user_id, "000000", key=key, address="a", limits=limits
            )
            is None
        )
    # the password is still right, but the account is now limited: not even the right code opens it
    assert check(container, "supervisor", PASSWORD) is None
    right = totp_code(secret, clock.now())
    assert (
        security.totp.verify(container.uow(), accepted.user_id, right, key=key, address="a", limits=limits)
        is None
    )


def test_api_tokens_for_a_supervisor_need_the_code(
    app_client: TestClient, container: Container, supervisor: Actor, clock: FixedClock
) -> None:
    secret = enrol_second_factor(container, "supervisor")
    without = app_client.post("/api/v1/tokens", json={"username": "supervisor", "password": PASSWORD})
    wrong_password = app_client.post("/api/v1/tokens", json={"username": "supervisor", "password": "nope"})
    assert without.status_code == wrong_password.status_code == 401
    assert without.json() == wrong_password.json()
    code = totp_code(secret, clock.now())
    body = {"username": "supervisor", "password": PASSWORD, "totp": code}
    ok = app_client.post("/api/v1/tokens", json=body)
    assert ok.status_code == 201, ok.text
    assert app_client.post("/api/v1/tokens", json=body).status_code == 401  # replayed


def test_an_administrator_without_a_second_factor_gets_no_token(
    app_client: TestClient, make_user: Callable[..., Actor]
) -> None:
    make_user("admin2", Role.ADMINISTRATOR)
    r = app_client.post("/api/v1/tokens", json={"username": "admin2", "password": PASSWORD, "totp": "123456"})
    assert r.status_code == 401


def test_resetting_a_second_factor_ends_sessions_and_asks_for_enrolment(
    app_client: TestClient, container: Container, supervisor: Actor, clock: FixedClock
) -> None:
    secret = enrol_second_factor(container, "supervisor")
    assert web_sign_in(app_client, container, "supervisor", totp_secret=secret).status_code == 303
    security.totp.reset(container.uow(), "supervisor", actor=_admin())
    assert app_client.get("/persons", follow_redirects=False).status_code == 303
    r = web_sign_in(app_client, container, "supervisor")
    assert r.headers["location"].startswith("/login/enrol")


# --- accounts and their sites ------------------------------------------------------------------------------


def test_an_actor_carries_the_account_s_sites(
    container: Container, make_user: Callable[..., Actor], site_id, clock: FixedClock
) -> None:
    make_user("worker", Role.CASEWORKER, sites=[site_id])
    accepted = check(container, "worker", PASSWORD)
    assert accepted is not None
    actor = security.actor_for_user_id(container.uow(), accepted.user_id, address="10.0.0.9")
    assert actor is not None and actor.site_ids == {site_id} and actor.address == "10.0.0.9"
    assert security.change_sites(container.uow(), "worker", remove=[site_id], actor=_admin()) == frozenset()
    later = security.actor_for_user_id(container.uow(), accepted.user_id)
    assert later is not None and later.site_ids == frozenset()


def test_only_an_administrator_manages_accounts(container: Container, supervisor: Actor) -> None:
    from safepassage.shared.errors import Forbidden

    with pytest.raises(Forbidden):
        security.create_user(container.uow(), username="x", role=Role.CASEWORKER, actor=supervisor)
    with pytest.raises(Forbidden):
        security.set_active(container.uow(), "supervisor", active=False, actor=supervisor)


def test_users_through_the_admin_api(
    app_client: TestClient,
    container: Container,
    make_user: Callable[..., Actor],
    site_id,
    api_as,
    clerk_aleppo,
) -> None:
    admin = make_user("root", Role.ADMINISTRATOR)
    headers = api_as(admin)
    created = app_client.post(
        "/api/v1/users",
        json={"username": "Nurse", "role": "caseworker", "sites": ["ALP-AP"]},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["username"] == "nurse" and len(created.json()["password"]) >= 12
    listed = {u["username"]: u for u in app_client.get("/api/v1/users", headers=headers).json()}
    assert listed["nurse"]["sites"] == ["ALP-AP"] and listed["nurse"]["active"]
    moved = app_client.post("/api/v1/users/nurse/sites", json={"remove": ["ALP-AP"]}, headers=headers)
    assert moved.json() == {"sites": []}
    unknown_site = app_client.post("/api/v1/users/nurse/sites", json={"add": ["NOPE"]}, headers=headers)
    assert unknown_site.status_code == 404
    assert app_client.post("/api/v1/users/nurse/disable", headers=headers).status_code == 204
    assert not {u["username"]: u for u in app_client.get("/api/v1/users", headers=headers).json()}["nurse"][
        "active"
    ]
    # a clerk may not manage accounts
    assert app_client.get("/api/v1/users", headers=api_as(clerk_aleppo)).status_code == 403


# --- the command line ------------------------------------------------------------------------------------


@pytest.fixture
def cli(container: Container, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    settings = container.settings
    monkeypatch.setenv("SAFEPASSAGE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SAFEPASSAGE_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("SAFEPASSAGE_SECRET_KEY", settings.secret_key.get_secret_value())
    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> Result:
        return runner.invoke(app, list(args), input=input, catch_exceptions=False)

    return run


def test_cli_user_add_with_sites_prints_the_second_factor_once(
    cli: Callable[..., Result], container: Container, site_id, clock: FixedClock, app_client: TestClient
) -> None:
    r = cli(
        "user",
        "add",
        "sup2",
        "--role",
        "supervisor",
        "--site",
        "ALP-AP",
        "--password-stdin",
        input=PASSWORD + "\n",
    )
    assert r.exit_code == 0, r.output
    key = re.search(r"key ([A-Z2-7]{32})", r.output)
    assert key and "otpauth://totp/" in r.output
    accepted = check(container, "sup2", PASSWORD)
    assert accepted is not None and accepted.second_factor is SecondFactor.VERIFY
    assert web_sign_in(app_client, container, "sup2", totp_secret=key.group(1)).status_code == 303
    bad_site = cli("user", "add", "x2", "--role", "caseworker", "--site", "NOWHERE")
    assert bad_site.exit_code == 2 and "NOWHERE" in bad_site.output


def test_cli_user_sites_disable_enable_and_totp(
    cli: Callable[..., Result],
    container: Container,
    make_user: Callable[..., Actor],
    site_id,
    clock: FixedClock,
) -> None:
    make_user("field", Role.CASEWORKER)
    shown = cli("user", "sites", "field", "--add", "ALP-AP")
    assert shown.exit_code == 0 and "ALP-AP" in shown.output
    assert "(no site)" in cli("user", "sites", "field", "--remove", "ALP-AP").output
    assert cli("user", "disable", "field").exit_code == 0
    assert check(container, "field", PASSWORD) is None
    clock.advance(minutes=20)
    assert cli("user", "enable", "field").exit_code == 0
    assert check(container, "field", PASSWORD) is not None
    make_user("boss", Role.ADMINISTRATOR)
    again = cli("user", "totp", "boss")
    assert again.exit_code == 0 and "otpauth://" in again.output
    assert cli("user", "totp", "boss", "--reset").exit_code == 0
    accepted = check(container, "boss", PASSWORD)
    assert accepted is not None and accepted.second_factor is SecondFactor.ENROL
    assert cli("user", "disable", "nobody").exit_code == 2


def test_account_events_go_on_the_audit_trail(
    app_client: TestClient, container: Container, make_user: Callable[..., Actor], clock: FixedClock
) -> None:
    from safepassage.security.audit.models import AuditEntry

    make_user("logged", Role.CASEWORKER)
    assert web_sign_in(app_client, container, "logged").status_code == 303
    for _ in range(6):
        check(container, "logged", "wrong", address="10.3.3.3")
    security.set_active(container.uow(), "logged", active=False, actor=_admin())
    security.totp.reset(container.uow(), "logged", actor=_admin())
    with container.uow() as uow:
        entries = {e.action: e for e in uow.session.scalars(select(AuditEntry))}
        assert {"user.create", "auth.sign_in", "auth.rate_limited", "user.disable"} <= entries.keys()
        assert entries["auth.rate_limited"].flagged and entries["user.second_factor_reset"].flagged
        assert (
            entries["user.disable"].actor == "setup"
            and entries["user.disable"].details["sessions_ended"] == 1
        )
        assert PASSWORD not in str([e.details for e in entries.values()])
        limited = [e for e in uow.session.scalars(select(AuditEntry)) if e.action == "auth.rate_limited"]
        assert len(limited) == 1  # the crossing is recorded once, not every refused attempt
