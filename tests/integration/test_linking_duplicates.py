"""The possible-duplicate check at registration: the API answer names the registered person a new
member may duplicate, with the reasons, and does not name a person of another site."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest

from safepassage.linking import duplicates, services
from safepassage.registry import schemas
from safepassage.registry import services as registry
from safepassage.security.policy import SYSTEM, Role
from tests.conftest import household_payload
from tests.integration.test_linking_workflow import latin_natalya, stranger

pytestmark = pytest.mark.db


@contextmanager
def index_being_built() -> Iterator[list[object]]:
    """As in a process just started: no duplicate index yet. Yields the threads that the requests
    inside the block start to build it (to join them afterwards)."""
    duplicates.CHECKER.invalidate()
    started: list[object] = []
    build = duplicates.CHECKER.build_in_background

    def spy(new_uow):  # type: ignore[no-untyped-def]
        thread = build(new_uow)
        started.append(thread)
        return thread

    duplicates.CHECKER.build_in_background = spy  # type: ignore[method-assign]
    try:
        yield started
    finally:
        del duplicates.CHECKER.build_in_background


def test_the_registration_answer_names_a_possible_duplicate(
    app_client, api_as, container, site_id, make_user
):
    clerk = make_user("clerk_dup", Role.REGISTRATION_CLERK, sites=[site_id])
    headers = api_as(clerk)
    duplicates.CHECKER.refresh(container.uow())  # the server's index is built (see below when not)
    first = app_client.post("/api/v1/households", json=household_payload(site_id), headers=headers)
    assert first.status_code == 201, first.text
    natalya = next(m["id"] for m in first.json()["members"] if m["display_name"].startswith("Наталья"))
    second = app_client.post("/api/v1/households", json=latin_natalya(site_id), headers=headers)
    assert second.status_code == 201, second.text
    found = second.json()["possible_duplicates"]
    assert [d["person_id"] for d in found] == [natalya]
    assert "possible duplicate of Наталья" in found[0]["message"]
    assert found[0]["reasons"] and found[0]["probability"] >= 0.5
    unrelated = app_client.post("/api/v1/households", json=stranger(site_id), headers=headers)
    assert "possible_duplicates" not in unrelated.json()


def test_a_duplicate_at_another_site_is_reported_without_its_name(
    app_client, api_as, container, site_id, make_user
):
    other = registry.create_site(
        container.uow(),
        schemas.SiteCreate(code="BEY-1", name="Beirut", kind="shelter", country="LB"),
        actor=SYSTEM,
    )
    registry.register_household_returning(
        container.uow(), schemas.HouseholdCreate.model_validate(household_payload(other)), actor=SYSTEM
    )
    services.run_batch(container.uow(), actor=SYSTEM)  # refreshes the index the check uses
    clerk = make_user("clerk_dup2", Role.REGISTRATION_CLERK, sites=[site_id])
    answer = app_client.post("/api/v1/households", json=latin_natalya(site_id), headers=api_as(clerk))
    assert answer.status_code == 201, answer.text
    (found,) = [d for d in answer.json()["possible_duplicates"] if d["of_name"].startswith("Natalya")]
    assert found["person_id"] is None and found["name"] is None
    assert "Наталья" not in answer.text
    assert "another site" in found["message"]


def test_the_check_sees_persons_registered_since_its_index_was_built(container, site_id):
    duplicates.CHECKER.refresh(container.uow())
    first = registry.register_household_returning(
        container.uow(), schemas.HouseholdCreate.model_validate(household_payload(site_id)), actor=SYSTEM
    )
    second = registry.register_household_returning(
        container.uow(), schemas.HouseholdCreate.model_validate(latin_natalya(site_id)), actor=SYSTEM
    )
    found = duplicates.possible_duplicates(container.uow(), [m.id for m in second.members], actor=SYSTEM)
    heads = {m.id for m in first.members}
    assert {d.person_id for d in found} & heads
    assert all(isinstance(d.person_id, uuid.UUID) for d in found)


def test_the_index_reads_the_same_records_as_person_record(container, site_id):
    """The index is built from plain statements (``active_records``): the same records, field for
    field, as ``person_record`` makes of the ORM persons, merged persons left out."""
    from safepassage.linking.records import active_persons, active_records, person_record
    from tests.integration.test_linking_workflow import latin_natalya, stranger

    for payload in (household_payload(site_id), latin_natalya(site_id), stranger(site_id)):
        registry.register_household_returning(
            container.uow(), schemas.HouseholdCreate.model_validate(payload), actor=SYSTEM
        )
    uow = container.uow()
    with uow.acting(SYSTEM):
        expected = sorted(
            (person_record(p) for p in active_persons(uow, actor=SYSTEM)), key=lambda r: r.record_id
        )
        read = sorted(active_records(uow, batch=2), key=lambda r: r.record_id)
    assert len(read) == 4
    assert read == expected
    assert any(r.document_number and r.phone and r.father_name for r in read)


def test_the_delta_index_is_kept_until_someone_else_registers(container, site_id):
    from tests.integration.test_linking_workflow import latin_natalya, stranger

    duplicates.CHECKER.refresh(container.uow())
    registry.register_household_returning(
        container.uow(), schemas.HouseholdCreate.model_validate(household_payload(site_id)), actor=SYSTEM
    )
    first = duplicates.CHECKER.indexes(container.uow())
    again = duplicates.CHECKER.indexes(container.uow())
    assert len(first) == 2 and again[1] is first[1]  # the same persons since the build: reused
    assert first[1].size == 2
    registry.register_household_returning(
        container.uow(), schemas.HouseholdCreate.model_validate(stranger(site_id)), actor=SYSTEM
    )
    later = duplicates.CHECKER.indexes(container.uow())
    assert later[1] is not first[1] and later[1].size == 3
    second = registry.register_household_returning(
        container.uow(), schemas.HouseholdCreate.model_validate(latin_natalya(site_id)), actor=SYSTEM
    )
    found = duplicates.possible_duplicates(container.uow(), [m.id for m in second.members], actor=SYSTEM)
    assert found and all(d.person_id is not None for d in found)


def test_a_registration_never_waits_for_the_index_and_says_it_was_not_checked(
    app_client, api_as, container, site_id, make_user
):
    clerk = make_user("clerk_dup3", Role.REGISTRATION_CLERK, sites=[site_id])
    headers = api_as(clerk)
    first = app_client.post("/api/v1/households", json=household_payload(site_id), headers=headers)
    natalya = next(m["id"] for m in first.json()["members"] if m["display_name"].startswith("Наталья"))
    with index_being_built() as started:
        unchecked = app_client.post("/api/v1/households", json=latin_natalya(site_id), headers=headers)
    assert unchecked.status_code == 201, unchecked.text
    assert unchecked.json()["duplicates_checked"] is False and unchecked.json()["possible_duplicates"] == []
    assert started and started[0] is not None
    started[0].join(timeout=120)  # type: ignore[attr-defined]
    assert duplicates.CHECKER.ready()
    checked = app_client.post("/api/v1/households", json=latin_natalya(site_id), headers=headers)
    assert natalya in [d["person_id"] for d in checked.json()["possible_duplicates"]]


def test_a_program_may_register_without_the_check(app_client, api_as, container, site_id, make_user):
    clerk = make_user("clerk_dup4", Role.REGISTRATION_CLERK, sites=[site_id])
    headers = api_as(clerk)
    duplicates.CHECKER.refresh(container.uow())
    app_client.post("/api/v1/households", json=household_payload(site_id), headers=headers)
    r = app_client.post(
        "/api/v1/households",
        params={"check_duplicates": "false"},
        json=latin_natalya(site_id),
        headers=headers,
    )
    assert r.status_code == 201, r.text
    assert r.json()["duplicates_checked"] is False and r.json()["possible_duplicates"] == []
    assert len(r.json()["members"]) == len(latin_natalya(site_id)["members"])  # registered all the same


def test_checks_made_at_once_from_many_threads_answer_as_one_at_a_time(container, site_id):
    registry.register_household_returning(
        container.uow(), schemas.HouseholdCreate.model_validate(household_payload(site_id)), actor=SYSTEM
    )
    duplicates.CHECKER.refresh(container.uow())
    persons = [
        registry.register_household_returning(
            container.uow(), schemas.HouseholdCreate.model_validate(latin_natalya(site_id)), actor=SYSTEM
        )
        .members[0]
        .id
        for _ in range(2)
    ]

    def check(_: int) -> list[tuple[object, object]]:
        found = duplicates.CHECKER.check(container.uow(), persons, actor=SYSTEM)
        return sorted((d.of, d.person_id) for d in found)

    alone = check(0)
    assert alone  # each Natalya may duplicate the first one (and the other)
    with ThreadPoolExecutor(8) as pool:  # one index, its DuckDB connection shared by the threads
        together = list(pool.map(check, range(16)))
    assert together == [alone] * 16
