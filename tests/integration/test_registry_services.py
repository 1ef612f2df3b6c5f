"""Registry use cases on a real database (SQLite here, PostgreSQL in CI)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from safepassage.history import MASK, ChangeRecord
from safepassage.registry import queries, schemas, services
from safepassage.registry.codes import ConsentPurpose, HouseholdStatus, Intention, Relationship
from safepassage.registry.exporting import iter_export_rows
from safepassage.registry.models import Person
from safepassage.security.policy import Role
from safepassage.shared.clock import FixedClock
from safepassage.shared.errors import Conflict, Forbidden, Invalid
from tests.conftest import household_payload

pytestmark = pytest.mark.db


def register(container, actor, site_id, **overrides):
    cmd = schemas.HouseholdCreate.model_validate(household_payload(site_id, **overrides))
    return services.register_household(container.uow(), cmd, actor=actor)


def members(container, actor, household_id):
    return queries.get_household(container.uow(), household_id, actor=actor).members


def test_registration_stores_names_as_written_with_script_and_keys(container, clerk_aleppo, site_id):
    household_id = register(container, clerk_aleppo, site_id)
    mother, son = members(container, clerk_aleppo, household_id)
    person = queries.get_person(container.uow(), son.id, actor=clerk_aleppo)
    written = {(n.part, n.text, n.script) for n in person.names}
    assert ("given", "علي", "arabic") in written
    assert ("given", "Ali", "latin") in written
    assert ("family", "Аль-Хасан", "cyrillic") in written
    assert person.birth_date.value == "2014" and person.birth_date.precision == "year"
    assert mother.latin_name.startswith("Natalya")


def test_a_household_has_exactly_one_head(container, clerk_aleppo, site_id):
    payload = household_payload(site_id)
    payload["members"][1]["relationship_to_head"] = "head"  # type: ignore[index]
    with pytest.raises(ValueError, match="exactly one head"):
        schemas.HouseholdCreate.model_validate(payload)


def test_search_finds_registrations_across_scripts(container, clerk_aleppo, site_id):
    register(container, clerk_aleppo, site_id)

    def names(**kw):
        page = queries.list_persons(container.uow(), queries.PersonFilter(**kw), actor=clerk_aleppo)
        return sorted(p.display_name for p in page.items)

    assert names(q="Natalia Ivanova") == ["Наталья Ивановна Иванова"]
    assert names(q="Наталья") == ["Наталья Ивановна Иванова"]
    assert names(q="Ali al-Hassan") == ["علي محمد الحسن"]
    assert names(q="علي") == ["علي محمد الحسن"]
    assert names(q="Alhasan") == ["علي محمد الحسن"]
    assert names(q="751234567") == ["Наталья Ивановна Иванова"]
    assert names(q="+963 944 123 456") == ["Наталья Ивановна Иванова"]
    assert names(q="Petrova") == []
    assert names(needs=["serious_medical_condition"]) == ["علي محمد الحسن"]


def test_list_pages_with_a_cursor(container, clerk_aleppo, site_id):
    for _ in range(3):
        register(container, clerk_aleppo, site_id)
    seen = []
    cursor = None
    while True:
        page = queries.list_persons(
            container.uow(), queries.PersonFilter(), actor=clerk_aleppo, cursor=cursor, limit=4
        )
        seen.extend(p.id for p in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == 6 and len(set(seen)) == 6 and seen == sorted(seen)


def test_every_change_keeps_who_when_old_and_new(container, clerk_aleppo, site_id):
    household_id = register(container, clerk_aleppo, site_id)
    mother = members(container, clerk_aleppo, household_id)[0]
    services.update_person(
        container.uow(), mother.id, schemas.PersonUpdate(place_of_birth="Kazan"), actor=clerk_aleppo
    )
    services.update_person(
        container.uow(), mother.id, schemas.PersonUpdate(place_of_birth="Moscow"), actor=clerk_aleppo
    )
    changes = [
        c
        for c in queries.history(container.uow(), mother.id, actor=clerk_aleppo)
        if c.field == "place_of_birth"
    ]
    assert [(c.old_value, c.new_value, c.actor) for c in changes] == [
        ("Kazan", "Moscow", "clerk_aleppo"),
        (None, "Kazan", "clerk_aleppo"),
    ]


def test_protection_attributes_are_masked_in_history(container, supervisor, site_id):
    household_id = register(container, supervisor, site_id)
    person_id = members(container, supervisor, household_id)[0].id
    services.update_person(
        container.uow(),
        person_id,
        schemas.PersonUpdate(
            protection=schemas.ProtectionInput(purpose="protection_case", religion="minority (synthetic)")
        ),
        actor=supervisor,
    )
    with container.uow() as uow:
        values = uow.session.scalars(
            select(ChangeRecord.new_value).where(ChangeRecord.entity == "protection_attributes")
        )
        recorded = " ".join(v or "" for v in values)
    assert "minority" not in recorded and MASK in recorded
    shown = queries.get_person(
        container.uow(), person_id, actor=supervisor, include_protection=True, purpose="case review (test)"
    )
    assert shown.protection is not None and shown.protection.religion == "minority (synthetic)"


def test_roles_without_protected_read_cannot_ask_for_it(container, clerk_aleppo, site_id):
    household_id = register(container, clerk_aleppo, site_id)
    person_id = members(container, clerk_aleppo, household_id)[0].id
    with pytest.raises(Forbidden):
        queries.get_person(container.uow(), person_id, actor=clerk_aleppo, include_protection=True)


def test_intention_history_is_kept_and_the_latest_counts(container, clerk_aleppo, site_id):
    household_id = register(container, clerk_aleppo, site_id, intention="leave_later")
    person_id = members(container, clerk_aleppo, household_id)[0].id
    today = container.clock.now().date()
    services.state_intention(
        container.uow(),
        person_id,
        schemas.IntentionCreate(intention=Intention.LEAVE_NOW, stated_on=today),
        actor=clerk_aleppo,
    )
    person = queries.get_person(container.uow(), person_id, actor=clerk_aleppo)
    assert [s.intention for s in person.intentions] == ["leave_later", "leave_now"]
    assert person.intention == "leave_now"
    with pytest.raises(Invalid, match="future"):
        services.state_intention(
            container.uow(),
            person_id,
            schemas.IntentionCreate(intention=Intention.STAY, stated_on=today + dt.timedelta(days=2)),
            actor=clerk_aleppo,
        )


def test_a_clerk_ahead_of_utc_may_date_by_their_own_today(container, clerk_aleppo, site_id):
    # 01:30 on 23 November in Damascus (UTC+3) is still 22 November in UTC, the server's clock
    container.clock = FixedClock(dt.datetime(2026, 11, 22, 22, 30, tzinfo=dt.UTC))
    local_today = dt.date(2026, 11, 23)
    household_id = register(container, clerk_aleppo, site_id)
    person_id = members(container, clerk_aleppo, household_id)[0].id
    services.state_intention(
        container.uow(),
        person_id,
        schemas.IntentionCreate(intention=Intention.LEAVE_NOW, stated_on=local_today),
        actor=clerk_aleppo,
    )
    assert queries.get_person(container.uow(), person_id, actor=clerk_aleppo).intention == "leave_now"
    born = {"value": local_today.isoformat(), "precision": "day"}  # a newborn registered at once
    baby = register(
        container,
        clerk_aleppo,
        site_id,
        members=[household_payload(site_id)["members"][0] | {"birth_date": born}],
    )
    assert members(container, clerk_aleppo, baby)[0].birth_date.value == "2026-11-23"
    with pytest.raises(Invalid, match="future"):  # the day after: today nowhere on Earth
        services.state_intention(
            container.uow(),
            person_id,
            schemas.IntentionCreate(intention=Intention.STAY, stated_on=local_today + dt.timedelta(days=1)),
            actor=clerk_aleppo,
        )


def test_consent_withdrawal_takes_effect_everywhere(container, supervisor, site_id):
    household_id = register(container, supervisor, site_id)
    mother_id, son_id = (m.id for m in members(container, supervisor, household_id))
    for person_id in (mother_id, son_id):
        services.record_consent(
            container.uow(),
            person_id,
            schemas.ConsentCreate(purpose=ConsentPurpose.PARTNER_SHARING, partner="UNHCR", method="signed"),
            actor=supervisor,
        )

    def shared_with_unhcr():
        return {r["person_id"] for r in iter_export_rows(container.uow(), actor=supervisor, partner="unhcr")}

    assert shared_with_unhcr() == {str(mother_id), str(son_id)}
    services.record_consent(
        container.uow(),
        son_id,
        schemas.ConsentCreate(
            purpose=ConsentPurpose.PARTNER_SHARING, partner="UNHCR", decision="withdrawn", method="verbal"
        ),
        actor=supervisor,
    )
    assert shared_with_unhcr() == {str(mother_id)}
    assert {
        r["person_id"] for r in iter_export_rows(container.uow(), actor=supervisor, partner="ICRC")
    } == set()
    son = queries.get_person(container.uow(), son_id, actor=supervisor)
    state = {(c.purpose, c.partner): c.in_force for c in son.consent_state}
    assert state[("partner_sharing", "UNHCR")] is False
    with container.uow() as uow:
        person = uow.session.get(Person, son_id)
        assert person is not None and not person.consent_in_force(ConsentPurpose.PARTNER_SHARING, "UNHCR")


def test_occupancy_follows_check_ins_and_check_outs(container, make_user, supervisor, site_id):
    airbase = services.create_site(
        container.uow(),
        schemas.SiteCreate(code="LTK-AB", name="Airbase", kind="airbase", country="SY", bed_capacity=2),
        actor=supervisor,
    )
    # checking someone in at a site is an act at that site: a clerk of Aleppo alone may not
    aleppo_only = make_user("clerk_aleppo_only", Role.REGISTRATION_CLERK, sites=[site_id])
    clerk_aleppo = make_user("clerk_both", Role.REGISTRATION_CLERK, sites=[site_id, airbase])
    household_id = register(container, clerk_aleppo, site_id)
    mother_id, son_id = (m.id for m in members(container, clerk_aleppo, household_id))
    with pytest.raises(Forbidden, match="not one of your sites"):
        services.check_in(container.uow(), son_id, schemas.CheckIn(site_id=airbase), actor=aleppo_only)
    for person_id in (mother_id, son_id):
        services.check_in(container.uow(), person_id, schemas.CheckIn(site_id=site_id), actor=clerk_aleppo)
    services.check_in(
        container.uow(), son_id, schemas.CheckIn(site_id=site_id), actor=clerk_aleppo
    )  # twice: harmless

    def occupancy():
        return {
            s.code: (s.occupancy, s.free_beds)
            for s in queries.list_sites(container.uow(), actor=clerk_aleppo)
        }

    assert occupancy() == {"ALP-AP": (2, 298), "LTK-AB": (0, 2)}
    services.check_in(container.uow(), son_id, schemas.CheckIn(site_id=airbase), actor=clerk_aleppo)
    assert occupancy() == {"ALP-AP": (1, 299), "LTK-AB": (1, 1)}
    services.check_out(container.uow(), mother_id, schemas.CheckOut(), actor=clerk_aleppo)
    assert occupancy() == {"ALP-AP": (0, 300), "LTK-AB": (1, 1)}
    with pytest.raises(Conflict, match="not checked in"):
        services.check_out(container.uow(), mother_id, schemas.CheckOut(), actor=clerk_aleppo)


def test_split_merge_and_removing_the_head(container, clerk_aleppo, site_id):
    household_id = register(container, clerk_aleppo, site_id)
    mother_id, son_id = (m.id for m in members(container, clerk_aleppo, household_id))
    with pytest.raises(Invalid, match="name the head of those who stay"):
        services.remove_member(
            container.uow(), household_id, mother_id, schemas.MemberRemove(), actor=clerk_aleppo
        )
    new_id = services.remove_member(
        container.uow(), household_id, mother_id, schemas.MemberRemove(new_head_id=son_id), actor=clerk_aleppo
    )
    old = queries.get_household(container.uow(), household_id, actor=clerk_aleppo)
    new = queries.get_household(container.uow(), new_id, actor=clerk_aleppo)
    assert old.head_id == son_id and new.head_id == mother_id
    services.merge_households(
        container.uow(),
        new_id,
        schemas.HouseholdMerge(
            other_household_id=household_id, relationship_of_other_head=Relationship.CHILD
        ),
        actor=clerk_aleppo,
    )
    merged = queries.get_household(container.uow(), new_id, actor=clerk_aleppo)
    closed = queries.get_household(container.uow(), household_id, actor=clerk_aleppo)
    assert merged.head_id == mother_id and {m.id for m in merged.members} == {mother_id, son_id}
    assert closed.status == HouseholdStatus.MERGED and closed.merged_into_id == new_id
    son_history = queries.history(container.uow(), son_id, actor=clerk_aleppo)
    assert any(c.field == "household_id" for c in son_history)


def test_a_source_row_is_registered_once(container, clerk_aleppo, site_id):
    cmd = schemas.HouseholdCreate.model_validate(household_payload(site_id))
    first = services.register_household(container.uow(), cmd, actor=clerk_aleppo, source_key="partner:1")
    again = services.register_household(container.uow(), cmd, actor=clerk_aleppo, source_key="partner:1")
    assert first == again
    page = queries.list_persons(container.uow(), queries.PersonFilter(), actor=clerk_aleppo)
    assert len(page.items) == 2


def test_roles_are_enforced(container, make_user, site_id):
    auditor = make_user("auditor1", Role.AUDITOR)
    cmd = schemas.HouseholdCreate.model_validate(household_payload(site_id))
    with pytest.raises(Forbidden):
        services.register_household(container.uow(), cmd, actor=auditor)
    planner = make_user("planner", Role.MOVEMENT_PLANNER)
    with pytest.raises(Forbidden):
        services.register_household(container.uow(), cmd, actor=planner)


def test_a_name_as_long_as_allowed_in_arabic_is_stored_and_found(container, clerk_aleppo, site_id):
    long_name = "شمس" * 66  # 198 letters, one word: its Latin key and skeleton are longer than the name
    payload = household_payload(site_id)
    payload["members"][1]["given_name"] = long_name  # type: ignore[index]
    household_id = register(container, clerk_aleppo, site_id, members=payload["members"])
    son = members(container, clerk_aleppo, household_id)[1]
    assert son.display_name.startswith(long_name)
    found = queries.list_persons(container.uow(), queries.PersonFilter(q=long_name), actor=clerk_aleppo)
    assert [p.id for p in found.items] == [son.id]
