"""PostgreSQL row-level security: the site scope holds even where the application's checks would not.

The application's role (``safepassage_app``) is what production connects as; these tests take it on
with SET ROLE (the test suite itself connects as a superuser, which PostgreSQL never holds to
policies).
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.exc import DBAPIError, ProgrammingError
from sqlalchemy.orm import sessionmaker

from safepassage.registry import schemas, services
from safepassage.registry.models import Document, Person
from safepassage.security.policy import SYSTEM, Actor, Role
from safepassage.uow import UnitOfWork
from tests.conftest import household_payload

pytestmark = [pytest.mark.db]


@pytest.fixture
def pg(container):
    if container.engine.dialect.name != "postgresql":
        pytest.skip("row-level security is PostgreSQL's (CI runs every db test on PostgreSQL)")
    return container


@pytest.fixture
def two_sites(pg, site_id):
    beirut = services.create_site(
        pg.uow(), schemas.SiteCreate(code="BEY-1", name="Beirut", kind="shelter", country="LB"), actor=SYSTEM
    )
    for site, households in ((site_id, 2), (beirut, 3)):
        for _ in range(households):
            payload = household_payload(site)
            payload["members"][0]["documents"] = [{"type": "passport", "number": f"P{uuid.uuid4().hex[:8]}"}]
            cmd = schemas.HouseholdCreate.model_validate(payload)
            services.register_household(pg.uow(), cmd, actor=SYSTEM)
    return site_id, beirut


@pytest.fixture
def app_role_engine(pg):
    engine = create_engine(pg.engine.url)

    @event.listens_for(engine, "connect")
    def _as_app(dbapi_connection, _record):
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET ROLE safepassage_app")
        dbapi_connection.commit()

    yield engine
    engine.dispose()


def _uow(engine) -> UnitOfWork:
    return UnitOfWork(sessionmaker(engine, expire_on_commit=False))


def test_the_app_role_sees_only_the_actors_sites_even_without_the_applications_filter(
    two_sites, app_role_engine
):
    aleppo, beirut = two_sites
    clerk = Actor(username="clerk", role=Role.REGISTRATION_CLERK, site_ids=frozenset({aleppo}))
    uow = _uow(app_role_engine)
    with uow.acting(clerk):
        # a query that forgets the scope, as a bug would
        sites = {p.site_id for p in uow.session.scalars(select(Person))}
        documents = uow.session.scalars(select(Document)).all()
    assert sites == {aleppo}
    assert len(documents) == 2  # the other site's documents are invisible too
    everyone = _uow(app_role_engine)
    with everyone.acting(SYSTEM):
        assert {p.site_id for p in everyone.session.scalars(select(Person))} == {aleppo, beirut}


def test_with_no_scope_nothing_is_visible(two_sites, app_role_engine):
    with app_role_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM persons")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM documents")).scalar_one() == 0


def test_a_break_glass_record_is_visible_and_nothing_else(two_sites, app_role_engine, pg):
    aleppo, beirut = two_sites
    with pg.uow() as uow:
        opened = uow.session.scalars(select(Person.id).where(Person.site_id == beirut)).first()
    supervisor = Actor(
        username="sup",
        role=Role.SUPERVISOR,
        site_ids=frozenset({aleppo}),
        granted_records=frozenset({opened}),
    )
    uow = _uow(app_role_engine)
    with uow.acting(supervisor):
        seen = {p.id for p in uow.session.scalars(select(Person).where(Person.site_id == beirut))}
    assert seen == {opened}


def test_the_app_role_cannot_write_into_another_site(two_sites, app_role_engine):
    aleppo, beirut = two_sites
    clerk = Actor(username="clerk", role=Role.REGISTRATION_CLERK, site_ids=frozenset({aleppo}))
    uow = _uow(app_role_engine)
    with uow.acting(clerk):
        person = uow.session.scalars(select(Person)).first()
        person.site_id = beirut  # moving a record out of one's own scope
        with pytest.raises(DBAPIError, match="row-level security"):
            uow.session.flush()


def test_the_app_role_cannot_switch_the_wall_off(two_sites, app_role_engine):
    with app_role_engine.connect() as conn:
        bypass = conn.execute(
            text("SELECT rolbypassrls OR rolsuper FROM pg_roles WHERE rolname = 'safepassage_app'")
        ).scalar_one()
        assert bypass is False
        with pytest.raises(ProgrammingError, match="owner"):
            conn.execute(text("ALTER TABLE persons DISABLE ROW LEVEL SECURITY"))
        conn.rollback()
        # turning row_security off makes a query that policies would filter fail, not succeed
        conn.execute(text("SET row_security = off"))
        with pytest.raises(ProgrammingError, match="row-level security"):
            conn.execute(text("SELECT count(*) FROM persons")).scalar_one()
