"""Shared fixtures.

Database tests run on SQLite by default and on PostgreSQL when SAFEPASSAGE_TEST_DATABASE_URL is set
(``.ci/run`` runs every ``db`` test both ways). Each test session (each xdist worker) gets its own
fresh, migrated database; each test starts from empty tables.

Personas make permission tests read like sentences: ``clerk_aleppo``, ``supervisor``, ``auditor``...
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from safepassage import migrate
from safepassage.app import create_app
from safepassage.bootstrap import Container, bootstrap
from safepassage.config import Settings
from safepassage.db import Base
from safepassage.registry import schemas, services
from safepassage.security import services as security
from safepassage.security.policy import Actor, Role

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
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    yield c
    c.dispose()


ADMIN = Actor(username="setup", role=Role.ADMINISTRATOR)


@pytest.fixture
def make_user(container: Container) -> Callable[..., Actor]:
    """``make_user("clerk_aleppo", Role.REGISTRATION_CLERK)`` → the actor of a new account."""

    def make(username: str, role: Role, password: str = PASSWORD) -> Actor:
        user_id, _ = security.create_user(
            container.uow(), username=username, role=role, password=password, actor=ADMIN
        )
        return Actor(username=username, role=role, user_id=user_id)

    return make


@pytest.fixture
def supervisor(make_user: Callable[..., Actor]) -> Actor:
    return make_user("supervisor", Role.SUPERVISOR)


@pytest.fixture
def clerk_aleppo(make_user: Callable[..., Actor]) -> Actor:
    return make_user("clerk_aleppo", Role.REGISTRATION_CLERK)


@pytest.fixture
def auditor(make_user: Callable[..., Actor]) -> Actor:
    return make_user("auditor", Role.AUDITOR)


@pytest.fixture
def site_id(container: Container, supervisor: Actor) -> uuid.UUID:
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
        actor=supervisor,
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
