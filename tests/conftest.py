"""Shared fixtures.

Database tests run on SQLite by default and on PostgreSQL when SAFEPASSAGE_TEST_DATABASE_URL is set
(``.ci/run`` runs every ``db`` test both ways). Each test session (each xdist worker) gets its own
fresh, migrated database; each test starts from empty tables.

Personas make permission tests read like sentences: ``clerk_aleppo``, ``supervisor``, ``auditor``...
"""

from __future__ import annotations

import datetime as dt
import os
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pyotp
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from safepassage import migrate, sessions
from safepassage.app import create_app
from safepassage.bootstrap import Container, bootstrap
from safepassage.config import Settings
from safepassage.db import Base
from safepassage.registry import schemas, services
from safepassage.security import accounts
from safepassage.security import services as security
from safepassage.security.policy import SYSTEM, Actor, Role

PG_ENV = "SAFEPASSAGE_TEST_DATABASE_URL"
PASSWORD = "correct-horse-battery-staple"


def _fresh_database(base_url: str, tmp_path_factory: pytest.TempPathFactory, worker: str) -> str:
    if not base_url:
        path = tmp_path_factory.mktemp(f"db-{worker}") / "test.db"
        return f"sqlite:///{path}"
    url = make_url(base_url)
    name = f"sp_test_{worker}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _drop_database(url: str) -> None:
    if url.startswith("sqlite"):
        return
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[str]:
    url = _fresh_database(os.environ.get(PG_ENV, ""), tmp_path_factory, worker_id)
    engine = create_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    _drop_database(url)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url, var_dir=tmp_path / "var", secret_key="test-secret-key-" + "x" * 32
    )


@pytest.fixture
def container(settings: Settings) -> Iterator[Container]:
    c = bootstrap(settings)
    with c.engine.begin() as conn:
        # audit tables are append-only (SQLite triggers refuse DELETE): set aside for the reset
        triggers = (
            conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all()
            if conn.dialect.name == "sqlite"
            else []
        )
        for name, _ in triggers:
            conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
        for _, sql in triggers:
            conn.exec_driver_sql(sql)
    yield c
    c.dispose()


ADMIN = Actor(username="setup", role=Role.ADMINISTRATOR)


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id at RFC 9106's low-memory parameters (64 MiB, 3 passes) costs up to half a second a
    hash on the 2-core CI machine, and every persona hashes a password. Tests that are not about the
    hash use a cheap Argon2id instead; tests/unit/test_totp.py overrides this fixture and checks the
    production parameters."""
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(accounts, "HASHER", cheap)
    monkeypatch.setattr(accounts, "_DUMMY_HASH", cheap.hash("not a password"))


@pytest.fixture
def make_user(container: Container) -> Callable[..., Actor]:
    """``make_user("clerk_aleppo", Role.REGISTRATION_CLERK)`` → the actor of a new account."""

    def make(
        username: str, role: Role, password: str = PASSWORD, sites: Iterable[uuid.UUID] | None = None
    ) -> Actor:
        """``sites``: the sites the account works for (none by default: it then sees no records)."""
        site_ids = frozenset(sites or ())
        user_id, _ = security.create_user(
            container.uow(), username=username, role=role, password=password, site_ids=site_ids, actor=ADMIN
        )
        return Actor(username=username, role=role, user_id=user_id, site_ids=site_ids)

    return make


def enrol_second_factor(container: Container, username: str) -> str:
    """Give ``username`` a TOTP second factor, enrolled (as ``safepassage user totp`` does); its key."""
    key = sessions.totp_key(container)
    return security.enrol_now(container.uow(), username, key=key, actor=ADMIN).secret


def totp_code(secret: str, at: dt.datetime) -> str:
    """The authenticator's code at ``at``."""
    return str(pyotp.TOTP(secret).at(at))


def csrf_field(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def web_sign_in(
    client: TestClient,
    container: Container,
    username: str,
    password: str = PASSWORD,
    *,
    totp_secret: str | None = None,
) -> Response:
    """Sign in through the pages: the password, then (``totp_secret`` given) the code of the
    container clock's current step. Returns the last answer (a 303 to /persons when it worked).
    A code is accepted once: move the clock 30 s on before signing the same account in again."""
    token = csrf_field(client.get("/login").text)
    r = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/persons"},
        follow_redirects=False,
    )
    if totp_secret is None or r.status_code != 303 or not r.headers["location"].startswith("/login/code"):
        return r
    token = csrf_field(client.get(r.headers["location"]).text)
    code = totp_code(totp_secret, container.clock.now())
    return client.post(
        "/login/code",
        data={"code": code, "csrf_token": token, "next": "/persons"},
        follow_redirects=False,
    )


@pytest.fixture
def supervisor(make_user: Callable[..., Actor], site_id: uuid.UUID) -> Actor:
    """A supervisor working for the Aleppo assembly point."""
    return make_user("supervisor", Role.SUPERVISOR, sites=[site_id])


@pytest.fixture
def clerk_aleppo(make_user: Callable[..., Actor], site_id: uuid.UUID) -> Actor:
    """A registration clerk working for the Aleppo assembly point."""
    return make_user("clerk_aleppo", Role.REGISTRATION_CLERK, sites=[site_id])


@pytest.fixture
def auditor(make_user: Callable[..., Actor]) -> Actor:
    return make_user("auditor", Role.AUDITOR)


@pytest.fixture
def site_id(container: Container) -> uuid.UUID:
    """The Aleppo assembly point (ALP-AP), set up by the system."""
    return services.create_site(
        container.uow(),
        schemas.SiteCreate(
            code="ALP-AP",
            name="Aleppo assembly point",
            kind="assembly_point",
            country="SY",
            latitude=36.2,
            longitude=37.15,
            bed_capacity=300,
        ),
        actor=SYSTEM,
    )


@pytest.fixture
def app_client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def api_as(app_client: TestClient, container: Container) -> Callable[[Actor], dict[str, str]]:
    """Headers with a bearer token for ``actor``."""

    def headers(actor: Actor) -> dict[str, str]:
        token = security.issue_token(container.uow(), username=actor.username, name="test", actor=actor)
        return {"Authorization": f"Bearer {token}"}

    return headers


def household_payload(site_id: uuid.UUID, **overrides: object) -> dict[str, object]:
    """A valid household registration, as the API takes it; keyword overrides replace top-level keys."""
    payload: dict[str, object] = {
        "site_id": str(site_id),
        "category": "citizen",
        "intention": "leave_now",
        "members": [
            {
                "given_name": "Наталья",
                "father_name": "Ивановна",
                "family_name": "Иванова",
                "sex": "female",
                "birth_date": {"value": "1986-04-12"},
                "nationalities": ["RU"],
                "languages": ["ru", "ar"],
                "documents": [{"type": "passport", "number": "75 1234567", "issuing_country": "RU"}],
                "phones": ["0944 123 456"],
                "consents": [{"purpose": "registration", "method": "signed"}],
            },
            {
                "given_name": "علي",
                "father_name": "محمد",
                "family_name": "الحسن",
                "other_spellings": [
                    {"part": "given", "text": "Ali"},
                    {"part": "family", "text": "Аль-Хасан"},
                ],
                "sex": "male",
                "relationship_to_head": "child",
                "birth_date": {"value": "2014-01-01", "precision": "year"},
                "nationalities": ["RU", "SY"],
                "needs": ["SM"],
            },
        ],
    }
    payload.update(overrides)
    return payload
