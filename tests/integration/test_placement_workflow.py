"""The placement workflow on a real database: households from the registry, a run that proposes and
places nobody, decisions audited, overrides refused when they break a need or a capacity, a second
run into what is left, and the site scope."""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from safepassage.bootstrap import Container
from safepassage.placement import decisions, queries, runs, services, synthetic
from safepassage.placement.engine import GreedySolver
from safepassage.placement.features import engine_household
from safepassage.placement.models import PlacementAssignment, PlacementProfile, ProposalStatus
from safepassage.placement.schemas import ProfileUpdate, RunCreate
from safepassage.registry import schemas
from safepassage.registry import services as registry
from safepassage.registry.models import Household
from safepassage.security.audit.models import AuditEntry
from safepassage.security.policy import SYSTEM, Actor, Role
from safepassage.shared.errors import Conflict, Invalid, NotFound
from tests.conftest import household_payload

pytestmark = pytest.mark.db

CODES = ("NORTH", "SOUTH", "EAST")
REGIONS_CSV = (
    "region_id,name,latitude,longitude,quota_persons,housing_small,housing_large,school_places,"
    "kindergarten_places,dialysis,oncology,disability,language_course,unemployment_rate,communities\n"
    "NORTH,North,54.3,10.1,{north},{north_units},1,{north},4,0,0,2,{north},0.05,ar;ru\n"
    "SOUTH,South,48.1,11.6,{south},{south_units},1,{south},4,2,1,2,{south},0.09,ar\n"
    "EAST,East,52.5,13.4,{east},{east_units},0,{east},2,0,0,0,{east},0.12,uk\n"
)


def regions_csv(north: int = 40, south: int = 40, east: int = 8) -> str:
    return REGIONS_CSV.format(
        north=north,
        south=south,
        east=east,
        north_units=north // 2,
        south_units=south // 2,
        east_units=east // 2,
    )


def history_csv(n: int = 300) -> str:
    """Past placements in the three regions with outcomes drawn from the synthetic ground truth."""
    generated, truth = synthetic.generate_regions(3, persons=300, seed=5)
    truth = dataclasses.replace(truth, region_ids=CODES)
    regions = [dataclasses.replace(r, region_id=c) for r, c in zip(generated, CODES, strict=True)]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "X.csv"
        synthetic.write_history(path, synthetic.generate_history(n, regions, truth, seed=5))
        return path.read_text()


def set_up_regions_and_history(container: Container, **capacities: int) -> None:
    report = services.import_regions(container.uow(), regions_csv(**capacities), actor=SYSTEM)
    assert report.problems == [] and report.created == 3
    history = services.import_history(container.uow(), history_csv(), actor=SYSTEM, source="test")
    assert history.problems == [] and history.created == 300


RESETTLEMENT = {"purpose": "resettlement", "method": "signed"}


def consenting(payload: dict[str, object]) -> dict[str, object]:
    """The payload with every member's consent to resettlement added (children's are harmless)."""
    members = [dict(m) for m in payload["members"]]  # type: ignore[attr-defined]
    for m in members:
        m["consents"] = [*m.get("consents", []), RESETTLEMENT]
    return {**payload, "members": members}


def register(
    container: Container, site_id: uuid.UUID, *, consent: bool = True, **overrides: object
) -> uuid.UUID:
    """A registry household (two persons by default: an adult and a child born "2014", year only),
    whose members consented to resettlement unless ``consent=False``."""
    payload = household_payload(site_id, **overrides)
    cmd = schemas.HouseholdCreate.model_validate(consenting(payload) if consent else payload)
    return registry.register_household_returning(container.uow(), cmd, actor=SYSTEM).id


def member(**fields: object) -> dict[str, object]:
    return {"given_name": "Sami", "family_name": "Haddad", "sex": "male", **fields}


def fast() -> RunCreate:
    return RunCreate(time_limit=20)


def audit_actions(container: Container, prefix: str = "placement.") -> list[AuditEntry]:
    with container.uow() as uow:
        entries = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action.startswith(prefix)).order_by(AuditEntry.seq)
        ).all()
        uow.session.expunge_all()
        return list(entries)


@pytest.fixture
def officer(make_user: Callable[..., Actor], site_id: uuid.UUID) -> Actor:
    """A placement officer working for the Aleppo assembly point."""
    return make_user("placement_aleppo", Role.PLACEMENT_OFFICER, sites=[site_id])


# --- features ------------------------------------------------------------------------------------------


def test_the_engine_household_is_built_from_birth_dates_needs_and_profile(container, site_id, officer):
    set_up_regions_and_history(container)
    members = [
        member(birth_date={"value": "1986-04-12"}, languages=["AR", "en"], needs=["DS"]),
        member(relationship_to_head="child", birth_date={"value": "2014-01-01", "precision": "year"}),
        member(relationship_to_head="child", birth_date={"value": "2024-03"}, languages=["ar"]),
        member(relationship_to_head="parent", birth_date={"value": "1950"}, needs=["SM"]),
        member(relationship_to_head="other_relative"),  # no birth date at all
    ]
    household_id = register(container, site_id, members=members)
    services.set_profile(
        container.uow(),
        household_id,
        ProfileUpdate(
            education_max="tertiary",
            occupation="Teaching",
            dialysis_persons=1,
            tie_region="SOUTH",
            preferences=["NORTH", "SOUTH"],
        ),
        actor=officer,
    )
    with container.uow() as uow:
        household = uow.session.get(Household, household_id)
        profile = uow.session.get(PlacementProfile, household_id)
        built, comp = engine_household(household, profile, dt.date(2026, 11, 22))
    # "2014", year only, counts as a school child; "2024-03" as under six; 1950 as elderly
    assert (built.adults, built.children_0_5, built.children_6_17, built.elderly) == (2, 1, 1, 1)
    assert comp.unknown_age == 1
    assert built.languages == ("ar", "en")
    assert sorted(built.needs) == ["dialysis", "disability", "serious_medical_condition"]
    assert (built.education_max.value, built.occupation) == ("tertiary", "teaching")
    assert (built.tie_region, built.preferences) == ("SOUTH", ("NORTH", "SOUTH"))


def test_a_profile_naming_an_unknown_region_is_refused(container, site_id, officer):
    set_up_regions_and_history(container)
    household_id = register(container, site_id)
    with pytest.raises(Invalid) as refused:
        services.set_profile(
            container.uow(), household_id, ProfileUpdate(tie_region="ATLANTIS"), actor=officer
        )
    assert refused.value.problems[0].field == "tie_region"


# --- runs and decisions ----------------------------------------------------------------------------------


def test_a_run_stores_proposals_and_places_nobody(container, site_id, officer):
    set_up_regions_and_history(container)
    households = [register(container, site_id) for _ in range(4)]
    run_id = runs.run_placement(container.uow(), fast(), actor=officer)
    proposals = queries.list_proposals(container.uow(), actor=officer, run_id=run_id)
    assert sorted(p.household_id for p in proposals) == sorted(households)
    assert all(p.status is ProposalStatus.PROPOSED for p in proposals)
    assert all(p.region in CODES and p.predicted_outcome is not None for p in proposals)
    assert all(p.reason and p.next_best_region in CODES for p in proposals)
    with container.uow() as uow:
        assert uow.session.scalars(select(PlacementAssignment)).all() == []  # nothing applied
    run = queries.get_run(container.uow(), run_id, actor=officer)
    assert run.households == 4 and run.pending == 4
    assert run.report["model"]["test_adults"] > 0 and run.bound is not None
    assert [e.action for e in audit_actions(container, "placement.run")] == ["placement.run"]
    used = {r.code: r.resources[0].used for r in queries.list_regions(container.uow(), actor=officer)}
    assert used == dict.fromkeys(CODES, 0)


def test_accept_reject_and_override_are_audited_and_place(container, site_id, officer):
    set_up_regions_and_history(container)
    for _ in range(3):
        register(container, site_id)
    run_id = runs.run_placement(container.uow(), fast(), actor=officer)
    first, second, third = queries.list_proposals(container.uow(), actor=officer, run_id=run_id)
    decisions.accept_proposal(container.uow(), first.id, actor=officer)
    decisions.reject_proposal(container.uow(), second.id, reason="family asked to wait", actor=officer)
    elsewhere = next(c for c in CODES if c != third.region and c != "EAST")
    decisions.override_proposal(
        container.uow(), third.id, region=elsewhere, reason="a cousin lives there", actor=officer
    )
    with pytest.raises(Conflict):
        decisions.accept_proposal(container.uow(), first.id, actor=officer)  # decided already
    with pytest.raises(Invalid):
        decisions.reject_proposal(container.uow(), first.id, reason="", actor=officer)  # no reason
    decided = {p.id: p for p in queries.list_proposals(container.uow(), actor=officer, run_id=run_id)}
    assert decided[first.id].status is ProposalStatus.ACCEPTED
    assert (
        decided[first.id].decided_region == first.region and decided[first.id].decided_by == officer.username
    )
    assert decided[second.id].status is ProposalStatus.REJECTED
    assert decided[second.id].decision_reason == "family asked to wait"
    assert (
        decided[third.id].status is ProposalStatus.OVERRIDDEN
        and decided[third.id].decided_region == elsewhere
    )
    entries = {e.action: e for e in audit_actions(container, "placement.proposal.")}
    assert set(entries) == {
        "placement.proposal.accepted",
        "placement.proposal.rejected",
        "placement.proposal.overridden",
    }
    assert entries["placement.proposal.overridden"].details["reason"] == "a cousin lives there"
    assert entries["placement.proposal.overridden"].actor == officer.username
    with container.uow() as uow:
        placed = {a.household_id: a.region.code for a in uow.session.scalars(select(PlacementAssignment))}
    assert placed == {first.household_id: first.region, third.household_id: elsewhere}


def test_an_override_that_breaks_a_hard_need_or_a_capacity_is_refused(container, site_id, officer):
    set_up_regions_and_history(container)
    dialysis = register(container, site_id)
    services.set_profile(container.uow(), dialysis, ProfileUpdate(dialysis_persons=1), actor=officer)
    run_id = runs.run_placement(container.uow(), fast(), actor=officer)
    (proposal,) = queries.list_proposals(container.uow(), actor=officer, run_id=run_id)
    assert proposal.region == "SOUTH"  # the only region with dialysis
    with pytest.raises(Invalid) as need:
        decisions.override_proposal(
            container.uow(), proposal.id, region="NORTH", reason="closer", actor=officer
        )
    assert "dialysis" in need.value.message
    # EAST takes the household on every count but dialysis: close the service in SOUTH's stead
    services.import_regions(container.uow(), regions_csv(east=1), actor=SYSTEM)
    other = register(container, site_id)
    run_id = runs.run_placement(container.uow(), fast(), actor=officer)
    (second,) = [
        p
        for p in queries.list_proposals(container.uow(), actor=officer, run_id=run_id)
        if p.household_id == other
    ]
    with pytest.raises(Conflict) as capacity:
        decisions.override_proposal(
            container.uow(), second.id, region="EAST", reason="work offer", actor=officer
        )
    assert "EAST has" in capacity.value.message and "left" in capacity.value.message
    with container.uow() as uow:
        assert uow.session.scalars(select(PlacementAssignment)).all() == []


def test_a_second_run_places_new_arrivals_into_what_is_left(container, site_id, officer):
    # room for 6 persons in all (two persons a household): three households now, two later
    set_up_regions_and_history(container, north=2, south=2, east=2)
    early = [register(container, site_id) for _ in range(2)]
    first_run = runs.run_placement(container.uow(), fast(), actor=officer)
    for p in queries.list_proposals(container.uow(), actor=officer, run_id=first_run):
        assert p.region is not None
        decisions.accept_proposal(container.uow(), p.id, actor=officer)
    later = [register(container, site_id) for _ in range(2)]
    second_run = runs.run_placement(container.uow(), fast(), actor=officer)
    proposals = queries.list_proposals(container.uow(), actor=officer, run_id=second_run)
    assert sorted(p.household_id for p in proposals) == sorted(later)  # placed ones are not proposed again
    taken = {p.region for p in queries.list_proposals(container.uow(), actor=officer, run_id=first_run)}
    placed = [p for p in proposals if p.region is not None]
    assert len(placed) == 1 and placed[0].region not in taken  # one region is left, for one household
    unplaced = next(p for p in proposals if p.region is None)
    assert unplaced.reason_code.startswith("unplaced")
    with pytest.raises(Conflict):
        decisions.accept_proposal(container.uow(), unplaced.id, actor=officer)  # nothing was proposed
    decisions.accept_proposal(container.uow(), placed[0].id, actor=officer)
    quota = {r.code: r.resources[0] for r in queries.list_regions(container.uow(), actor=officer)}
    assert all(q.used == q.capacity == 2 for q in quota.values())
    with container.uow() as uow:
        placed_now = set(uow.session.scalars(select(PlacementAssignment.household_id)))
    assert set(early) < placed_now  # the early households keep their placements
    with pytest.raises(Conflict):  # every region is full now: an override is refused too
        decisions.override_proposal(
            container.uow(), unplaced.id, region=CODES[0], reason="asked", actor=officer
        )


def test_a_pending_proposal_is_superseded_by_a_later_run(container, site_id, officer):
    set_up_regions_and_history(container)
    register(container, site_id)
    first = runs.run_placement(container.uow(), fast(), actor=officer)
    (old,) = queries.list_proposals(container.uow(), actor=officer, run_id=first)
    runs.run_placement(container.uow(), RunCreate(time_limit=5), actor=officer, solver=GreedySolver())
    statuses = {p.id: p.status for p in queries.list_proposals(container.uow(), actor=officer)}
    assert statuses[old.id] is ProposalStatus.SUPERSEDED
    with pytest.raises(Conflict):
        decisions.accept_proposal(container.uow(), old.id, actor=officer)


def test_an_officer_works_on_households_of_their_sites_only(container, site_id, officer, make_user):
    set_up_regions_and_history(container)
    other_site = registry.create_site(
        container.uow(),
        schemas.SiteCreate(code="BEY-1", name="Beirut", kind="shelter", country="LB"),
        actor=SYSTEM,
    )
    mine = register(container, site_id)
    theirs = register(container, other_site)
    run_id = runs.run_placement(container.uow(), fast(), actor=officer)
    proposals = queries.list_proposals(container.uow(), actor=officer, run_id=run_id)
    assert [p.household_id for p in proposals] == [mine]
    beirut = make_user("placement_beirut", Role.PLACEMENT_OFFICER, sites=[other_site])
    assert queries.list_proposals(container.uow(), actor=beirut, run_id=run_id) == []
    with pytest.raises(NotFound):
        decisions.accept_proposal(container.uow(), proposals[0].id, actor=beirut)
    with pytest.raises(NotFound):
        services.set_profile(container.uow(), mine, ProfileUpdate(occupation="it"), actor=beirut)
    their_run = runs.run_placement(container.uow(), fast(), actor=beirut)
    assert [
        p.household_id for p in queries.list_proposals(container.uow(), actor=beirut, run_id=their_run)
    ] == [theirs]
    nobody = make_user("placement_nowhere", Role.PLACEMENT_OFFICER)
    with pytest.raises(Conflict):
        runs.run_placement(container.uow(), fast(), actor=nobody)  # no sites: nothing to place


def test_bad_rows_are_reported_and_valid_rows_kept(container):
    text = regions_csv() + "WEST,West,95,10,5,2,0,2,2,0,0,0,5,0.1,\nBAD,Bad,50,10,x,2,0,2,2,0,0,0,5,0.1,\n"
    report = services.import_regions(container.uow(), text, actor=SYSTEM)
    assert report.created == 3
    assert [(p.row, p.field) for p in report.problems] == [(5, "latitude"), (6, "quota_persons")]
    history = history_csv().splitlines()
    history[3] = history[3].rsplit(",", 2)[0] + ",ATLANTIS,1"
    result = services.import_history(container.uow(), "\n".join(history), actor=SYSTEM, source="test")
    assert result.created == 299 and [(p.row, p.field) for p in result.problems] == [(4, "region_id")]
    again = services.import_history(container.uow(), "\n".join(history), actor=SYSTEM, source="again")
    assert again.created == 0 and again.skipped == 299  # the same file twice counts once


def test_without_history_a_run_says_what_is_missing(container, site_id, officer):
    services.import_regions(container.uow(), regions_csv(), actor=SYSTEM)
    register(container, site_id)
    with pytest.raises(Invalid) as refused:
        runs.run_placement(container.uow(), fast(), actor=officer)
    assert "history" in refused.value.message


def test_a_withdrawn_placement_frees_the_capacity_and_is_proposed_again(container, site_id, officer):
    set_up_regions_and_history(container, north=2, south=2, east=2)
    household = register(container, site_id)
    run_id = runs.run_placement(container.uow(), fast(), actor=officer)
    (proposal,) = queries.list_proposals(container.uow(), actor=officer, run_id=run_id)
    with pytest.raises(Conflict):
        decisions.withdraw_placement(container.uow(), proposal.id, reason="not placed yet", actor=officer)
    decisions.accept_proposal(container.uow(), proposal.id, actor=officer)
    used = {r.code: r.quota.used for r in queries.list_regions(container.uow(), actor=officer)}
    assert used[proposal.region] == 2
    with pytest.raises(Invalid):
        decisions.withdraw_placement(container.uow(), proposal.id, reason="", actor=officer)
    decisions.withdraw_placement(container.uow(), proposal.id, reason="the family declined", actor=officer)
    used = {r.code: r.quota.used for r in queries.list_regions(container.uow(), actor=officer)}
    assert used == dict.fromkeys(CODES, 0)
    (after,) = queries.list_proposals(container.uow(), actor=officer, run_id=run_id)
    assert after.status is ProposalStatus.WITHDRAWN and after.decision_reason == "the family declined"
    assert "placement.proposal.withdrawn" in [e.action for e in audit_actions(container)]
    again = runs.run_placement(container.uow(), fast(), actor=officer)
    assert [p.household_id for p in queries.list_proposals(container.uow(), actor=officer, run_id=again)] == [
        household
    ]


def test_a_household_that_changed_since_the_run_is_not_placed_on_its_old_proposal(
    container, site_id, officer
):
    set_up_regions_and_history(container)
    household = register(container, site_id)
    run_id = runs.run_placement(container.uow(), fast(), actor=officer)
    (proposal,) = queries.list_proposals(container.uow(), actor=officer, run_id=run_id)
    newborn = schemas.PersonCreate.model_validate(
        member(relationship_to_head="child", birth_date={"value": "2025-06"})
    )
    registry.add_person(container.uow(), household, newborn, actor=SYSTEM)
    with pytest.raises(Conflict) as refused:
        decisions.accept_proposal(container.uow(), proposal.id, actor=officer)
    assert "changed since the run" in refused.value.message
    again = runs.run_placement(container.uow(), fast(), actor=officer)
    (fresh,) = queries.list_proposals(container.uow(), actor=officer, run_id=again)
    assert fresh.persons == proposal.persons + 1 and fresh.use["kindergarten_places"] == 1
    decisions.accept_proposal(container.uow(), fresh.id, actor=officer)
