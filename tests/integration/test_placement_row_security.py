"""PostgreSQL row-level security on placement: proposals and profiles follow their household's
visibility even where the application's filter is forgotten; decided placements count for everyone."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, event, select
from sqlalchemy.orm import sessionmaker

from safepassage.placement import decisions, runs, services
from safepassage.placement.models import PlacementAssignment, PlacementProfile, PlacementProposal
from safepassage.placement.schemas import ProfileUpdate, RunCreate
from safepassage.registry import schemas
from safepassage.registry import services as registry
from safepassage.security.policy import SYSTEM, Actor, Role
from safepassage.uow import UnitOfWork
from tests.integration.test_placement_workflow import register, set_up_regions_and_history

pytestmark = pytest.mark.db


@pytest.fixture
def app_role_engine(container):
    if container.engine.dialect.name != "postgresql":
        pytest.skip("row-level security is PostgreSQL's (CI runs every db test on PostgreSQL)")
    engine = create_engine(container.engine.url)

    @event.listens_for(engine, "connect")
    def _as_app(dbapi_connection, _record):
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET ROLE safepassage_app")
        dbapi_connection.commit()

    yield engine
    engine.dispose()


def test_proposals_and_profiles_of_another_site_are_invisible(container, site_id, app_role_engine):
    set_up_regions_and_history(container)
    beirut = registry.create_site(
        container.uow(),
        schemas.SiteCreate(code="BEY-1", name="Beirut", kind="shelter", country="LB"),
        actor=SYSTEM,
    )
    mine, theirs = register(container, site_id), register(container, beirut)
    for household in (mine, theirs):
        services.set_profile(container.uow(), household, ProfileUpdate(occupation="teaching"), actor=SYSTEM)
    run_id = runs.run_placement(container.uow(), RunCreate(time_limit=20), actor=SYSTEM)
    with container.uow() as uow:
        theirs_proposal = uow.session.scalar(
            select(PlacementProposal.id).where(PlacementProposal.household_id == theirs)
        )
    decisions.accept_proposal(container.uow(), theirs_proposal, actor=SYSTEM)

    officer = Actor(username="officer", role=Role.PLACEMENT_OFFICER, site_ids=frozenset({site_id}))
    uow = UnitOfWork(sessionmaker(app_role_engine, expire_on_commit=False))
    with uow.acting(officer):
        # queries that forget the scope, as a bug would
        proposals = list(
            uow.session.scalars(
                select(PlacementProposal.household_id).where(PlacementProposal.run_id == run_id)
            )
        )
        profiles = list(uow.session.scalars(select(PlacementProfile.household_id)))
        assignments = list(uow.session.scalars(select(PlacementAssignment.household_id)))
    assert proposals == [mine]
    assert profiles == [mine]
    assert assignments == [theirs]  # the capacity a region has used counts every site's placements
