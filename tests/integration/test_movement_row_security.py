"""PostgreSQL row-level security on the movement tables (revision 0008): legs, plans, assignments,
manifests, boarding passes, scans and travel groups are seen only at the sites they concern, even by a
query that forgets the application's filter. The tests take on the application's role with SET ROLE
(the suite connects as a superuser, which PostgreSQL never holds to policies)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import create_engine, event, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import sessionmaker

from safepassage.movements import legs, passes, planning, scans
from safepassage.movements.models import (
    BoardingPass,
    Checkpoint,
    Manifest,
    MovementPlan,
    PlanAssignment,
    Scan,
    ScanOutcome,
    TransportLeg,
    TravelGroup,
    TravelGroupMember,
)
from safepassage.movements.planner import GreedySolver, LegStatus
from safepassage.movements.schemas import LegStatusChange, ScanBatch, ScanIn, TravelGroupCreate
from safepassage.registry import schemas as registry_schemas
from safepassage.registry import services as registry
from safepassage.registry.models import Person
from safepassage.security.policy import SYSTEM, Actor, Role
from safepassage.uow import UnitOfWork
from tests.integration.test_movements_workflow import POLICY, destination, leg, member, register

pytestmark = pytest.mark.db

T0 = dt.datetime.now(dt.UTC).replace(microsecond=0)


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


def _site(container, code: str, country: str) -> uuid.UUID:
    return registry.create_site(
        container.uow(),
        registry_schemas.SiteCreate(code=code, name=code, kind="shelter", country=country),
        actor=SYSTEM,
    )


def _operation(container, settings, origin: uuid.UUID, dest: uuid.UUID, code: str) -> dict:
    """A household on a leg from ``origin`` to ``dest``: plan accepted, passes issued, a travel group,
    the leg boarding (manifest frozen), one check-in scan."""
    persons = register(container, origin, member("Anna", code), member("Boris", code, sex="male"))
    leg_id = leg(container, SYSTEM, origin, dest, code=code)
    with container.uow() as uow:
        household = uow.session.get(Person, persons[0]).household_id
    legs.create_travel_group(
        container.uow(), TravelGroupCreate(name=f"group {code}", household_ids=[household]), actor=SYSTEM
    )
    plan = planning.propose_plan(container.uow(), origin, actor=SYSTEM, policy=POLICY, solver=GreedySolver())
    planning.accept_plan(container.uow(), plan, actor=SYSTEM)
    passes.issue_passes(container.uow(), leg_id, actor=SYSTEM)
    legs.set_leg_status(container.uow(), leg_id, LegStatusChange(status=LegStatus.BOARDING), actor=SYSTEM)
    key = passes.signing_key(passes.key_path(settings.var_dir, settings.boarding_pass_key_file))
    with container.uow() as uow:
        first = uow.session.scalars(select(BoardingPass).where(BoardingPass.leg_id == leg_id)).first()
        token = passes.make_token(key, first.id, first.person_id, leg_id)
    batch = ScanBatch(
        scans=[
            ScanIn(
                client_id=f"{code}-{uuid.uuid4().hex}",
                token=token,
                checkpoint=Checkpoint.ASSEMBLY_CHECK_IN,
                site_id=origin,
                leg_id=leg_id,
                device_at=T0,
            )
        ]
    )
    answer = scans.record_scans(container.uow(), batch, actor=SYSTEM, public_key=key.public_key())
    assert answer.accepted == 1
    return {"leg": leg_id, "plan": plan, "persons": set(persons), "token": token, "key": key}


@pytest.fixture
def two_operations(container, settings, site_id):
    """Aleppo -> Beirut (AF-1) and Latakia -> Larnaca (SEA-1)."""
    beirut, latakia, larnaca = (
        destination(container),
        _site(container, "LAT-1", "SY"),
        _site(container, "LCA-1", "CY"),
    )
    return {
        "aleppo": site_id,
        "beirut": beirut,
        "latakia": latakia,
        "larnaca": larnaca,
        "af": _operation(container, settings, site_id, beirut, "AF-1"),
        "sea": _operation(container, settings, latakia, larnaca, "SEA-1"),
    }


def _seen(engine, actor: Actor) -> dict[str, set]:
    """Every movement row the actor's transaction sees, by queries that forget the application's
    filter (as a bug would)."""
    uow = UnitOfWork(sessionmaker(engine, expire_on_commit=False))
    with uow.acting(actor):
        s = uow.session
        return {
            "legs": set(s.scalars(select(TransportLeg.code))),
            "plans": set(s.scalars(select(MovementPlan.id))),
            "assigned": set(s.scalars(select(PlanAssignment.person_id))),
            "manifests": set(s.scalars(select(Manifest.leg_id))),
            "passes": set(s.scalars(select(BoardingPass.leg_id))),
            "scans": set(s.scalars(select(Scan.leg_id))),
            "groups": set(s.scalars(select(TravelGroup.name))),
            "members": {len(list(s.scalars(select(TravelGroupMember.household_id))))},
        }


def _actor(site: uuid.UUID, role: Role = Role.MOVEMENT_PLANNER) -> Actor:
    return Actor(username=f"user-{site}", role=role, site_ids=frozenset({site}))


def test_an_origin_sees_its_own_movements_and_nothing_of_another_operation(two_operations, app_role_engine):
    w = two_operations
    af, sea = w["af"], w["sea"]
    seen = _seen(app_role_engine, _actor(w["aleppo"]))
    assert seen == {
        "legs": {"AF-1"},
        "plans": {af["plan"]},
        "assigned": af["persons"],
        "manifests": {af["leg"]},
        "passes": {af["leg"]},
        "scans": {af["leg"]},
        "groups": {"group AF-1"},
        "members": {1},
    }
    everything = _seen(app_role_engine, SYSTEM)
    assert everything["legs"] == {"AF-1", "SEA-1"} and everything["plans"] == {af["plan"], sea["plan"]}


def test_a_destination_sees_the_legs_coming_to_it_and_their_manifests_and_scans(
    two_operations, app_role_engine
):
    w = two_operations
    af = w["af"]
    seen = _seen(app_role_engine, _actor(w["beirut"]))
    assert seen["legs"] == {"AF-1"}
    assert seen["manifests"] == {af["leg"]} and seen["passes"] == {af["leg"]} and seen["scans"] == {af["leg"]}
    assert seen["plans"] == {af["plan"]} and seen["assigned"] == af["persons"]
    assert seen["groups"] == set(), "travel groups are their origin's"
    larnaca = _seen(app_role_engine, _actor(w["larnaca"]))
    assert larnaca["legs"] == {"SEA-1"} and larnaca["manifests"] == {w["sea"]["leg"]}
    nobody = _seen(app_role_engine, Actor(username="nowhere", role=Role.MOVEMENT_PLANNER))
    assert all(not v or v == {0} for v in nobody.values())


def test_another_sites_rows_cannot_be_written(two_operations, app_role_engine):
    w = two_operations
    uow = UnitOfWork(sessionmaker(app_role_engine, expire_on_commit=False))
    with uow.acting(_actor(w["aleppo"], Role.REGISTRATION_CLERK)):
        uow.session.add(
            Scan(
                client_id="forged-at-latakia",
                outcome=ScanOutcome.ACCEPTED,
                checkpoint=Checkpoint.BOARDING,
                site_id=w["latakia"],
                leg_id=w["sea"]["leg"],
                device_at=T0,
                received_at=T0,
                recorded_by="clerk_aleppo",
            )
        )
        with pytest.raises(DBAPIError, match="row-level security"):
            uow.session.flush()


def test_scans_through_the_app_role_are_judged_and_stored_as_without_it(
    container, two_operations, app_role_engine
):
    """The scan service under the application's role: a scan at the clerk's site is stored; a pass of
    another operation is unknown here; a scan at a site not the clerk's is kept, identifying nobody;
    and re-sending them all is answered as duplicates."""
    w = two_operations
    clerk = _actor(w["aleppo"], Role.REGISTRATION_CLERK)
    af, sea = w["af"], w["sea"]

    def one(client_id: str, token: str, site: uuid.UUID, leg_id: uuid.UUID) -> ScanIn:
        return ScanIn(
            client_id=client_id,
            token=token,
            checkpoint=Checkpoint.BOARDING,
            site_id=site,
            leg_id=leg_id,
            device_at=T0 + dt.timedelta(minutes=5),
        )

    batch = ScanBatch(
        scans=[
            one("rls-mine-000001", af["token"], w["aleppo"], af["leg"]),
            one("rls-theirs-0001", sea["token"], w["aleppo"], sea["leg"]),
            one("rls-elsewhere-1", af["token"], w["latakia"], af["leg"]),
        ]
    )
    public = af["key"].public_key()

    def record() -> list[tuple[str, str | None, bool]]:
        uow = UnitOfWork(
            sessionmaker(app_role_engine, expire_on_commit=False), audit_trail=container.audit_trail
        )
        answer = scans.record_scans(uow, batch, actor=clerk, public_key=public)
        return [(r.outcome.value, r.reason, r.duplicate) for r in answer.results]

    first = record()
    assert first[0] == ("accepted", None, False)
    assert first[1][0] == "rejected" and "no such pass" in (first[1][1] or "")
    assert first[2] == ("rejected", "this site is not one of your sites", False)
    again = record()
    assert [d for _, _, d in again] == [True, True, True]
    assert [o for o, _, _ in again] == [o for o, _, _ in first]


def test_an_arrival_scanned_at_the_destination_counts_in_its_occupancy_without_opening_the_record(
    container, two_operations, app_role_engine
):
    """The destination's clerk may not see the registry record of a person registered at the origin;
    their arrival scan still moves the person's presence, and the destination's occupancy counts it."""
    from safepassage.registry import queries as registry_queries

    w = two_operations
    af = w["af"]
    clerk = _actor(w["beirut"], Role.REGISTRATION_CLERK)

    def app_uow() -> UnitOfWork:
        return UnitOfWork(
            sessionmaker(app_role_engine, expire_on_commit=False), audit_trail=container.audit_trail
        )

    arrival = ScanIn(
        client_id="rls-arrival-0001",
        token=af["token"],
        checkpoint=Checkpoint.ARRIVAL,
        site_id=w["beirut"],
        leg_id=af["leg"],
        device_at=T0 + dt.timedelta(hours=4),
    )
    answer = scans.record_scans(
        app_uow(), ScanBatch(scans=[arrival]), actor=clerk, public_key=af["key"].public_key()
    )
    assert answer.accepted == 1
    assert registry_queries.get_site(app_uow(), w["beirut"], actor=clerk).occupancy == 1
    assert registry_queries.get_site(app_uow(), w["aleppo"], actor=clerk).occupancy == 0
    uow = app_uow()
    with uow.acting(clerk):
        assert uow.session.scalars(select(Person.id).where(Person.id.in_(af["persons"]))).all() == []
