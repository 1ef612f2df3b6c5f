"""Only households whose members consented to resettlement get a proposal: the others are listed as not
eligible with the reason; a consent withdrawn after the run refuses the decision; a consent given later
makes the household eligible in the next run."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from safepassage.placement import decisions, queries, runs
from safepassage.placement.models import ProposalStatus
from safepassage.placement.schemas import RunCreate
from safepassage.registry import schemas
from safepassage.registry import services as registry
from safepassage.registry.models import Household
from safepassage.security.policy import SYSTEM, Actor, Role
from safepassage.shared.errors import Conflict
from tests.integration.test_placement_workflow import (
    RESETTLEMENT,
    member,
    register,
    set_up_regions_and_history,
)

pytestmark = pytest.mark.db


@pytest.fixture
def officer(make_user: Callable[..., Actor], site_id: uuid.UUID) -> Actor:
    return make_user("placement_aleppo", Role.PLACEMENT_OFFICER, sites=[site_id])


def consent(container, household_id: uuid.UUID, decision: str) -> None:
    """Record (given or withdrawn) consent to resettlement for the household's adult members."""
    with container.uow() as uow:
        household = uow.session.get(Household, household_id)
        assert household is not None
        adults = [m.id for m in household.members if (m.birth_year or 0) < 2008]
    cmd = schemas.ConsentCreate(purpose="resettlement", method="signed", decision=decision)
    for person_id in adults:
        registry.record_consent(container.uow(), person_id, cmd, actor=SYSTEM)


def by_household(container, officer: Actor, run_id: uuid.UUID) -> dict[uuid.UUID, object]:
    return {p.household_id: p for p in queries.list_proposals(container.uow(), actor=officer, run_id=run_id)}


def test_only_households_that_consented_get_a_proposal(container, site_id, officer):
    set_up_regions_and_history(container)
    yes = register(container, site_id)
    never = register(container, site_id, consent=False)
    withdrawn = register(container, site_id)
    consent(container, withdrawn, "withdrawn")
    # the adults consented; the child's consent is not asked: eligible
    parents = register(
        container,
        site_id,
        consent=False,
        members=[
            member(birth_date={"value": "1984-02-03"}, consents=[RESETTLEMENT]),
            member(relationship_to_head="spouse", birth_date={"value": "1987"}, consents=[RESETTLEMENT]),
            member(relationship_to_head="child", birth_date={"value": "2016-05-01"}),
        ],
    )
    # one adult of two has not consented: not eligible
    half = register(
        container,
        site_id,
        consent=False,
        members=[
            member(birth_date={"value": "1979-01-01"}, consents=[RESETTLEMENT]),
            member(relationship_to_head="sibling", birth_date={"value": "1990"}),
        ],
    )
    run_id = runs.run_placement(container.uow(), RunCreate(time_limit=20), actor=officer)
    proposals = by_household(container, officer, run_id)
    for h in (yes, parents):
        assert proposals[h].status is ProposalStatus.PROPOSED and proposals[h].region is not None
    expected = {never: ("no_consent", 1), withdrawn: ("consent_withdrawn", 1), half: ("no_consent", 1)}
    for h, (code, members) in expected.items():
        p = proposals[h]
        assert p.status is ProposalStatus.NOT_ELIGIBLE and p.region is None
        assert (p.reason_code, p.detail["members"]) == (code, members)
        assert "consent" in p.reason
    run = queries.get_run(container.uow(), run_id, actor=officer)
    assert (run.households, run.not_eligible, run.pending) == (2, 3, 2)
    with pytest.raises(Conflict) as refused:
        decisions.override_proposal(
            container.uow(), proposals[never].id, region="NORTH", reason="asked", actor=officer
        )
    assert "not eligible" in refused.value.message


def test_consent_given_later_is_proposed_and_withdrawn_after_the_run_refuses_the_decision(
    container, site_id, officer
):
    set_up_regions_and_history(container)
    household = register(container, site_id, consent=False)
    first = runs.run_placement(container.uow(), RunCreate(time_limit=20), actor=officer)
    assert by_household(container, officer, first)[household].status is ProposalStatus.NOT_ELIGIBLE
    consent(container, household, "given")
    second = runs.run_placement(container.uow(), RunCreate(time_limit=20), actor=officer)
    fresh = by_household(container, officer, second)[household]
    assert fresh.status is ProposalStatus.PROPOSED and fresh.region is not None
    old = by_household(container, officer, first)[household]
    assert old.status is ProposalStatus.SUPERSEDED
    consent(container, household, "withdrawn")
    with pytest.raises(Conflict) as refused:
        decisions.accept_proposal(container.uow(), fresh.id, actor=officer)
    assert "consent" in refused.value.message
    assert queries.list_regions(container.uow(), actor=officer)[0].placed_households == 0
