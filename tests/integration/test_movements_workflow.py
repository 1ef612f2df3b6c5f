"""The movements workflow through its services: who may be planned and why not, proposals that change
nothing until accepted, acceptance on the audit trail, manifests frozen at boarding, documents, and
re-planning after a cancelled leg."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from safepassage.movements import documents, legs, manifests, passes, planning, queries
from safepassage.movements.models import BoardingPass, LegKind, MovementPlan, PlanStatus
from safepassage.movements.operation import load_operation_policy, parse_operation_policy
from safepassage.movements.planner import GreedySolver, HighsSolver, LegStatus
from safepassage.movements.schemas import LegCreate, LegStatusChange, TravelGroupCreate
from safepassage.registry import schemas, services
from safepassage.registry.models import Person
from safepassage.security.audit.models import AuditEntry
from safepassage.security.policy import SYSTEM, Role
from safepassage.shared.errors import Forbidden, Invalid

pytestmark = pytest.mark.db

POLICY = load_operation_policy(None)
FUTURE = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)


def member(given: str, family: str, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "given_name": given,
        "family_name": family,
        "sex": "female",
        "birth_date": {"value": "1980-05-01"},
        "nationalities": ["RU"],
        "languages": ["ru"],
        "documents": [
            {"type": "passport", "number": f"P{uuid.uuid4().hex[:8]}", "expiry_date": "2031-01-01"}
        ],
        "consents": [{"purpose": "evacuation", "method": "signed"}],
    }
    data.update(overrides)
    return data


def register(container, site_id: uuid.UUID, *members: dict[str, Any], **top: Any) -> list[uuid.UUID]:
    """A household registered by the system; its persons' ids, head first."""
    payload = {
        "site_id": str(site_id),
        "category": "citizen",
        "intention": "leave_now",
        "members": list(members),
    }
    payload.update(top)
    for i, m in enumerate(payload["members"]):
        if i:
            m.setdefault("relationship_to_head", "child")
    household = services.register_household_returning(
        container.uow(), schemas.HouseholdCreate.model_validate(payload), actor=SYSTEM
    )
    head = next(m.id for m in household.members if m.relationship_to_head == "head")
    return [head] + [m.id for m in household.members if m.id != head]


def destination(container) -> uuid.UUID:
    return services.create_site(
        container.uow(),
        schemas.SiteCreate(code="BEY-RC", name="Beirut reception", kind="reception_centre", country="LB"),
        actor=SYSTEM,
    )


def leg(container, actor, origin, dest, code="AF-1", seats=10, laps=2, stretchers=0, hours=0) -> uuid.UUID:
    return legs.create_leg(
        container.uow(),
        LegCreate(
            code=code,
            kind=LegKind.FLIGHT,
            origin_site_id=origin,
            destination_site_id=dest,
            departure_at=FUTURE + dt.timedelta(hours=hours),
            seats=seats,
            lap_places=laps,
            stretcher_places=stretchers,
            baggage_kg=2000,
        ),
        actor=actor,
    )


@pytest.fixture
def planner(make_user, site_id):
    return make_user("planner_aleppo", Role.MOVEMENT_PLANNER, sites=[site_id])


@pytest.fixture
def dest(container):
    return destination(container)


def test_eligibility_names_every_reason(container, planner, site_id, dest):
    leg(container, planner, site_id, dest)
    ok = register(container, site_id, member("Anna", "Okova"))[0]
    no_consent = register(container, site_id, member("Boris", "Noconsent", consents=[]))[0]
    expired = register(
        container,
        site_id,
        member(
            "Vera", "Expired", documents=[{"type": "passport", "number": "X1", "expiry_date": "2020-01-01"}]
        ),
    )[0]
    etd = register(
        container,
        site_id,
        member("Gleb", "Emergency", documents=[{"type": "emergency_travel_document", "number": "ETD-9"}]),
    )[0]
    at_risk = register(container, site_id, member("Dina", "Atrisk"), category="at_risk_national")[0]
    staying = register(container, site_id, member("Egor", "Stays"), intention="stay")[0]
    rows = {
        r.person_id: r
        for r in queries.eligibility_rows(container.uow(), site_id, actor=planner, policy=POLICY)
    }
    assert rows[ok].eligible and rows[ok].reasons == []
    assert rows[etd].eligible, "an emergency travel document is usable whatever its expiry"
    assert rows[no_consent].reasons == ["no consent to evacuation in force"]
    assert any("expires before departure" in r for r in rows[expired].reasons)
    assert rows[at_risk].reasons == ["category at_risk_national is not admitted on these legs"]
    assert rows[staying].reasons == ["intention is stay, not leave_now"]


def test_agreed_legs_admit_a_category_only_there(container, planner, site_id, dest):
    leg(container, planner, site_id, dest, code="AF-1")
    leg(container, planner, site_id, dest, code="AF-2", hours=2)
    at_risk = register(container, site_id, member("Dina", "Atrisk"), category="at_risk_national")[0]
    policy = parse_operation_policy(
        {
            "eligibility": {"agreed_legs": [{"legs": ["AF-2"], "categories": ["at_risk_national"]}]},
            "tiers": [{"rank": 1, "name": "all", "needs": []}],
        }
    )
    plan_id = planning.propose_plan(
        container.uow(), site_id, actor=planner, policy=policy, solver=GreedySolver()
    )
    plan = queries.get_plan(container.uow(), plan_id, actor=planner)
    assert {a.person_id: a.leg_code for a in plan.assignments} == {at_risk: "AF-2"}


def test_the_policy_file_is_validated_with_every_problem_named(tmp_path):
    bad = tmp_path / "policy.toml"
    bad.write_text(
        '[eligibility]\ncategories = ["citizen", "martian"]\nbaggage_kg_per_person = -1\ncolour = "red"\n'
        '[[tiers]]\nrank = 1\nname = "x"\nneeds = ["flying"]\n'
    )
    with pytest.raises(Invalid) as caught:
        load_operation_policy(bad)
    fields = {p.field for p in caught.value.problems}
    assert {"eligibility.categories", "eligibility.baggage_kg_per_person", "eligibility.colour"} <= fields
    assert "tiers[0].needs" in fields


def test_a_proposal_changes_nothing_until_accepted_and_acceptance_is_audited(
    container, planner, site_id, dest
):
    leg_id = leg(container, planner, site_id, dest, seats=3)
    family = register(
        container,
        site_id,
        member("Olga", "Family", needs=["SM"]),
        member("Baby", "Family", birth_date={"value": (FUTURE - dt.timedelta(days=200)).date().isoformat()}),
    )
    single = register(container, site_id, member("Ivan", "Single", sex="male"))[0]
    plan_id = planning.propose_plan(
        container.uow(), site_id, actor=planner, policy=POLICY, solver=GreedySolver()
    )
    with container.uow() as uow:
        plan = uow.session.get(MovementPlan, plan_id)
        assert plan.status is PlanStatus.PROPOSED
    # nothing is in force: no passes can be issued, the manifest is empty
    with pytest.raises(Exception, match="no plan is accepted"):
        passes.issue_passes(container.uow(), leg_id, actor=planner)
    planning.accept_plan(container.uow(), plan_id, actor=planner)
    read = queries.get_plan(container.uow(), plan_id, actor=planner)
    assert read.status is PlanStatus.ACCEPTED and read.accepted_by == "planner_aleppo"
    places = {a.person_id: (a.leg_code, a.place.value, a.tier) for a in read.assignments}
    assert places[family[0]] == ("AF-1", "seat", 1)
    assert places[family[1]] == ("AF-1", "lap", 1), "the infant travels on a lap, with the family's tier"
    assert places[single] == ("AF-1", "seat", 4)
    with container.uow() as uow:
        entry = uow.session.scalar(select(AuditEntry).where(AuditEntry.action == "movement.plan.accepted"))
        assert entry is not None and entry.actor == "planner_aleppo" and entry.entity_id == str(plan_id)


def test_a_household_waits_whole_when_a_member_may_not_be_planned(container, planner, site_id, dest):
    leg(container, planner, site_id, dest)
    family = register(container, site_id, member("Mila", "Waits"), member("Kid", "Waits", documents=[]))
    plan_id = planning.propose_plan(
        container.uow(), site_id, actor=planner, policy=POLICY, solver=GreedySolver()
    )
    plan = queries.get_plan(container.uow(), plan_id, actor=planner)
    assert plan.assignments == []
    held = plan.summary["groups_held"]
    assert len(held) == 1 and str(family[1]) in held[0]["reasons"][0]


def test_a_planner_plans_only_legs_from_their_sites(container, planner, site_id, dest, make_user):
    other_planner = make_user("planner_beirut", Role.MOVEMENT_PLANNER, sites=[dest])
    leg(container, planner, site_id, dest)
    with pytest.raises(Forbidden):
        planning.propose_plan(
            container.uow(), site_id, actor=other_planner, policy=POLICY, solver=GreedySolver()
        )
    with pytest.raises(Forbidden):
        leg(container, other_planner, site_id, dest, code="AF-9")


def _accepted_with_passes(container, planner, site_id, dest, seats=10):
    leg_id = leg(container, planner, site_id, dest, seats=seats)
    persons = register(container, site_id, member("Наталья", "Иванова"), member("Ali", "Hasan", sex="male"))
    plan_id = planning.propose_plan(
        container.uow(), site_id, actor=planner, policy=POLICY, solver=GreedySolver()
    )
    planning.accept_plan(container.uow(), plan_id, actor=planner)
    issued = passes.issue_passes(container.uow(), leg_id, actor=planner)
    return leg_id, persons, issued


def test_the_manifest_freezes_at_boarding(container, planner, site_id, dest):
    leg_id, persons, _ = _accepted_with_passes(container, planner, site_id, dest)
    legs.set_leg_status(container.uow(), leg_id, LegStatusChange(status=LegStatus.BOARDING), actor=planner)
    # a correction after boarding started does not change the frozen manifest
    services.update_person(
        container.uow(), persons[0], schemas.PersonUpdate(family_name="Петрова"), actor=SYSTEM
    )
    with container.uow().acting(planner) as uow:
        frozen, rows, counts = manifests.manifest_rows(
            uow, legs.get_leg_or_raise(uow, leg_id, actor=planner), actor=planner
        )
    assert frozen and counts["total"] == 2
    assert {r["family_name"] for r in rows} == {"IVANOVA", "HASAN"}
    assert counts["by_category"] == {"citizen": 2}


def test_manifest_csv_and_pdf_carry_the_names(container, planner, site_id, dest):
    leg_id, _, _ = _accepted_with_passes(container, planner, site_id, dest)
    csv_body, media, _ = documents.manifest_document(container.uow(), leg_id, actor=planner, fmt="csv")
    assert (
        media.startswith("text/csv")
        and "IVANOVA" in csv_body.decode()
        and "document_number" in csv_body.decode()
    )
    pdf, media, _ = documents.manifest_document(container.uow(), leg_id, actor=planner, fmt="pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "IVANOVA" in text and "HASAN" in text and "AF-1" in text


def test_a_boarding_pass_is_printed_in_the_persons_language(container, planner, site_id, dest, settings):
    _, persons, _ = _accepted_with_passes(container, planner, site_id, dest)
    with container.uow() as uow:
        boarding = uow.session.scalar(select(BoardingPass).where(BoardingPass.person_id == persons[0]))
        assert boarding.language == "ru"
        pass_id, number = boarding.id, boarding.number
    pdf, _ = documents.pass_document(container.uow(), pass_id, actor=planner, settings=settings)
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "IVANOVA" in text and "Посадочный талон" in text and number in text


def test_roles_that_may_not_read_documents_get_no_manifest(container, planner, site_id, dest, make_user):
    leg_id, _, _ = _accepted_with_passes(container, planner, site_id, dest)
    clerk = make_user("clerk_x", Role.REGISTRATION_CLERK, sites=[site_id])
    with pytest.raises(Forbidden):
        documents.manifest_document(container.uow(), leg_id, actor=clerk, fmt="csv")


def test_replanning_after_a_cancelled_leg_says_who_moved_and_why(container, planner, site_id, dest):
    first = leg(container, planner, site_id, dest, code="AF-1", seats=4)
    leg(container, planner, site_id, dest, code="AF-2", seats=4, hours=5)
    register(container, site_id, member("Anna", "One"), member("Boris", "One", sex="male"))
    register(container, site_id, member("Clara", "Two"))
    plan_id = planning.propose_plan(
        container.uow(), site_id, actor=planner, policy=POLICY, solver=HighsSolver(isolate=False)
    )
    planning.accept_plan(container.uow(), plan_id, actor=planner)
    before = {
        a.person_id: a.leg_code for a in queries.get_plan(container.uow(), plan_id, actor=planner).assignments
    }
    on_first = [p for p, code in before.items() if code == "AF-1"]
    assert on_first, "the earlier leg is used first"
    passes.issue_passes(container.uow(), first, actor=planner)
    legs.set_leg_status(
        container.uow(),
        first,
        LegStatusChange(status=LegStatus.CANCELLED, reason="runway closed"),
        actor=planner,
    )
    with container.uow() as uow:
        revoked = uow.session.scalars(select(BoardingPass).where(BoardingPass.leg_id == first)).all()
        assert revoked and all(p.revoked_at is not None for p in revoked)
    second = planning.propose_plan(
        container.uow(),
        site_id,
        actor=planner,
        policy=POLICY,
        solver=HighsSolver(isolate=False),
        reason="AF-1 cancelled",
    )
    plan = queries.get_plan(container.uow(), second, actor=planner)
    assert plan.status is PlanStatus.PROPOSED and plan.reason == "AF-1 cancelled"
    moved = {a.person_id: a for a in plan.assignments if a.change_reason}
    assert set(on_first) <= set(moved)
    assert all("AF-1" in (moved[p].change_reason or "") for p in on_first)
    # the first plan stays in force until the new one is accepted
    assert queries.get_plan(container.uow(), plan_id, actor=planner).status is PlanStatus.ACCEPTED
    planning.accept_plan(container.uow(), second, actor=planner)
    assert queries.get_plan(container.uow(), plan_id, actor=planner).status is PlanStatus.SUPERSEDED


def test_a_travel_group_moves_together_and_splits_only_with_a_supervisors_reason(
    container, planner, site_id, dest, supervisor
):
    leg(container, planner, site_id, dest, code="AF-1", seats=2)
    leg(container, planner, site_id, dest, code="AF-2", seats=2, hours=3)
    a = register(container, site_id, member("Anna", "Group"), member("Ada", "Group"))
    b = register(container, site_id, member("Bella", "Group"), member("Bob", "Group", sex="male"))
    with container.uow() as uow:
        households = [uow.session.get(Person, x[0]).household_id for x in (a, b)]
    group = legs.create_travel_group(
        container.uow(), TravelGroupCreate(name="neighbours", household_ids=households), actor=planner
    )
    plan_id = planning.propose_plan(
        container.uow(), site_id, actor=planner, policy=POLICY, solver=GreedySolver()
    )
    assert all(
        x.leg_code is None for x in queries.get_plan(container.uow(), plan_id, actor=planner).assignments
    )
    with pytest.raises(Forbidden):
        legs.allow_split(container.uow(), group, "two legs of two seats each", actor=planner)
    legs.allow_split(container.uow(), group, "two legs of two seats each", actor=supervisor)
    plan_id = planning.propose_plan(
        container.uow(), site_id, actor=planner, policy=POLICY, solver=GreedySolver()
    )
    placed = {
        x.person_id: x.leg_code for x in queries.get_plan(container.uow(), plan_id, actor=planner).assignments
    }
    assert None not in placed.values()
    assert placed[a[0]] == placed[a[1]] and placed[b[0]] == placed[b[1]], "each household stays together"
