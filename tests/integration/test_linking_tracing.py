"""Family tracing: a request written as a relative would finds the person across scripts, with the
reasons; a re-check after new registrations adds candidates and tells the caseworker of strong ones."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from safepassage.linking import tracing
from safepassage.linking.models import LinkNotification
from safepassage.linking.schemas import TracingCreate
from safepassage.registry import schemas
from safepassage.registry import services as registry
from safepassage.security.policy import SYSTEM, Role
from safepassage.shared.errors import Invalid, NotFound
from tests.conftest import household_payload
from tests.integration.test_linking_workflow import latin_natalya

pytestmark = pytest.mark.db


def register(container, payload):
    return registry.register_household_returning(
        container.uow(), schemas.HouseholdCreate.model_validate(payload), actor=SYSTEM
    )


def test_a_request_finds_the_person_across_scripts_and_rechecks(container, site_id, make_user):
    first = register(container, household_payload(site_id))
    natalya = next(m.id for m in first.members if m.relationship_to_head == "head")
    caseworker = make_user("cw_trace", Role.CASEWORKER, sites=[site_id])
    clerk = make_user("clerk_trace", Role.REGISTRATION_CLERK, sites=[site_id])
    cmd = TracingCreate(
        site_id=site_id,
        given_name="Natalia",
        family_name="Ivanova",
        approx_birth_year=1985,
        age_tolerance_years=3,
        relationship="sister",
        requester_name="her brother",
        caseworker=caseworker.username,
    )
    request_id = tracing.create_request(container.uow(), cmd, actor=clerk)
    read = tracing.get_request(container.uow(), request_id, actor=clerk)
    assert read.candidates and read.candidates[0].person_id == natalya
    assert read.candidates[0].explanation
    assert read.caseworker == caseworker.username
    # a second registration of her arrives: the re-check finds it, once
    second = register(container, latin_natalya(site_id))
    again = second.members[0].id
    added = tracing.recheck_open_requests(container.uow())
    assert added >= 1
    assert tracing.recheck_open_requests(container.uow()) == 0
    read = tracing.get_request(container.uow(), request_id, actor=caseworker)
    found = {c.person_id: c for c in read.candidates}
    assert again in found
    strong_new = [c for c in read.candidates if c.strong]
    notes = tracing.my_notifications(container.uow(), actor=caseworker)
    with container.uow() as uow:
        stored = list(uow.session.scalars(select(LinkNotification.person_id)))
    assert len(notes) == len(stored) == len(strong_new)
    assert all(n.request_id == request_id for n in notes)


def test_requests_keep_to_their_site_and_need_a_name(container, site_id, make_user):
    other = registry.create_site(
        container.uow(),
        schemas.SiteCreate(code="BEY-1", name="Beirut", kind="shelter", country="LB"),
        actor=SYSTEM,
    )
    clerk = make_user("clerk_t2", Role.REGISTRATION_CLERK, sites=[site_id])
    elsewhere = make_user("clerk_t3", Role.REGISTRATION_CLERK, sites=[other])
    with pytest.raises(Invalid):
        tracing.create_request(container.uow(), TracingCreate(site_id=site_id, place="Homs"), actor=clerk)
    request_id = tracing.create_request(
        container.uow(), TracingCreate(site_id=site_id, given_name="Omar"), actor=clerk
    )
    with pytest.raises(NotFound):
        tracing.get_request(container.uow(), request_id, actor=elsewhere)
    assert tracing.list_requests(container.uow(), actor=elsewhere) == []
