"""Registration writes its rows without the ORM unit of work (``services.household_rows``). It must
store what the ORM path stored: the same rows, the same change records (one ``create`` snapshot per
tracked row, protected values masked) and the same audit entries. The ORM path is rebuilt here from
``registration._build_person`` (which adding a person still uses) and the two are compared."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select

from safepassage.bootstrap import Container
from safepassage.history import ChangeRecord
from safepassage.registry import queries, schemas, services
from safepassage.registry.models import Household, Person, ProtectionAttributes
from safepassage.registry.services import registration
from safepassage.security.audit.models import AuditEntry
from safepassage.security.policy import Actor
from safepassage.shared.clock import FixedClock
from safepassage.shared.errors import Invalid
from tests.conftest import household_payload

pytestmark = pytest.mark.db

NOW = dt.datetime(2026, 11, 22, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def clock(container: Container) -> FixedClock:
    fixed = FixedClock(NOW)
    container.clock = fixed
    return fixed


def _payload(site_id: uuid.UUID) -> dict[str, Any]:
    payload = household_payload(site_id)
    members: list[dict[str, Any]] = payload["members"]  # type: ignore[assignment]
    members[0]["protection"] = {"purpose": "protection_case", "religion": "R-1", "narrative": "N-1"}
    members[0]["consents"].append(
        {"purpose": "partner_sharing", "partner": "UNHCR", "method": "verbal", "note": "at the desk"}
    )
    members.append(
        {
            "given_name": "Mohammed",
            "family_name": "Al-Hassan",
            "sex": "male",
            "relationship_to_head": "spouse",
            "birth_date": {"value": "1980", "estimated": True},
            "documents": [{"type": "national_id", "number": "0102-3344", "issuing_country": "SY"}],
            "phones": ["+963 944 123 457", "0944 123 457"],
            "needs": ["DS", "SM"],
            "intention": "leave_later",
        }
    )
    return payload


def _register_through_the_orm(container: Container, cmd: schemas.HouseholdCreate, actor: Actor) -> uuid.UUID:
    """What ``register_household`` did before it wrote rows: ORM objects, flushed at commit."""
    uow = container.uow()
    with uow.acting(actor):
        site = services.get_site_or_raise(uow, cmd.site_id)
        now = uow.now()
        household = Household(
            site_id=site.id, merged_into_id=None, source_key=None, created_at=now, updated_at=now
        )
        uow.session.add(household)
        for i, member in enumerate(cmd.members):
            person = registration._build_person(
                uow,
                member,
                site=site,
                category=cmd.category,
                intention=cmd.intention,
                intention_date=cmd.intention_date or now.date(),
                actor=actor,
                prefix=f"members.{i}.",
            )
            household.members.append(person)
            uow.session.add(person)
        household.check_one_head()
        uow.commit()
        return household.id


def _ids(container: Container, household_id: uuid.UUID) -> dict[str, str]:
    """Every id the household's rows carry → a stable placeholder (ids differ between the runs)."""
    with container.uow() as uow:
        persons = uow.session.scalars(
            select(Person).where(Person.household_id == household_id).order_by(Person.id)
        )
        names: dict[str, str] = {str(household_id): "household"}
        for n, person in enumerate(persons):
            names[str(person.id)] = f"person{n}"
            children = [
                *person.names,
                *person.documents,
                *person.phones,
                *person.intentions,
                *person.consents,
            ]
            for m, child in enumerate(children):
                names[str(child.id)] = f"person{n}.{type(child).__name__}{m}"
        return names


def _history(container: Container, household_id: uuid.UUID) -> Counter[str]:
    names = _ids(container, household_id)
    with container.uow() as uow:
        records = uow.session.scalars(
            select(ChangeRecord).where(ChangeRecord.subject_id.in_([uuid.UUID(i) for i in names]))
        ).all()
        out: Counter[str] = Counter()
        for r in records:
            value = json.loads(r.new_value or "{}")
            value.pop("id", None)  # a child's own id (the entity id says which row it is)
            plain = json.dumps(value, sort_keys=True, ensure_ascii=False)
            for raw, name in names.items():
                plain = plain.replace(raw, name)
            entity_id = ":".join(names.get(part, part) for part in r.entity_id.split(":"))
            if r.entity not in ("households", "persons"):
                entity_id = "child"  # ordered differently by the two paths
            subject = names[str(r.subject_id)]
            what = f"{r.action} {r.entity} {entity_id} {subject} {r.field} {r.old_value}"
            out[f"{what} {plain} {r.actor} {r.at}"] += 1
        return out


def _audit(container: Container, household_id: uuid.UUID, after: int, until: int) -> Counter[str]:
    """The audit entries with seq in (after, until], ids replaced."""
    names = _ids(container, household_id)
    with container.uow() as uow:
        entries = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.seq > after, AuditEntry.seq <= until)
        ).all()
        out: Counter[str] = Counter()
        for e in entries:
            details = json.dumps(e.details, sort_keys=True)
            for raw, name in names.items():
                details = details.replace(raw, name)
            entity = e.entity_id if e.entity in ("households", "persons") else "child"
            entity = names.get(entity or "", entity)
            out[f"{e.action} {e.entity} {entity} {e.actor} {e.role} {e.site_id} {details} {e.at}"] += 1
        return out


def _last_seq(container: Container) -> int:
    with container.uow() as uow:
        return max(uow.session.scalars(select(AuditEntry.seq)).all(), default=0)


def test_rows_history_and_audit_are_those_of_the_orm_path(container, clock, supervisor, site_id):
    cmd = schemas.HouseholdCreate.model_validate(_payload(site_id))
    seq = _last_seq(container)
    through_orm = _register_through_the_orm(container, cmd, supervisor)
    middle = _last_seq(container)
    read = services.register_household_returning(container.uow(), cmd, actor=supervisor)
    end = _last_seq(container)

    # the answer is the household as a read returns it
    with container.uow() as uow:
        assert read == queries.get_household(uow, read.id, actor=supervisor)
        a = queries.get_household(uow, through_orm, actor=supervisor).model_dump()
    b = read.model_dump()
    for doc, hid in ((a, through_orm), (b, read.id)):
        ids = {str(m["id"]): f"p{i}" for i, m in enumerate(doc["members"])}
        doc.pop("id")
        doc["head_id"] = ids[str(doc["head_id"])]
        for m in doc["members"]:
            m["id"], m["household_id"] = ids[str(m["id"])], str(m["household_id"]) == str(hid)
    assert a == b

    # the persons in full (documents, phones, intentions, consents, names), ids aside
    with container.uow() as uow:
        full = [
            [
                queries.get_person(uow, m.id, actor=supervisor).model_dump(exclude={"id", "household_id"})
                for m in queries.get_household(uow, hid, actor=supervisor).members
            ]
            for hid in (through_orm, read.id)
        ]
    for persons in full:
        for p in persons:
            for key in ("documents", "intentions", "consents", "names"):
                for item in p[key]:
                    item.pop("id", None)
    assert full[0] == full[1]

    # the sealed protection attributes: sealed, and only the collected fields
    with container.uow() as uow:
        sealed = uow.session.scalars(
            select(ProtectionAttributes).order_by(ProtectionAttributes.person_id)
        ).all()
        assert len(sealed) == 2
        for attrs in sealed:
            assert (
                attrs.religion is not None
                and attrs.religion.startswith("spf1:")
                and "R-1" not in attrs.religion
            )
            assert attrs.ethnicity is None and attrs.purpose == "protection_case"

    assert _history(container, read.id) == _history(container, through_orm)
    assert sum(_history(container, read.id).values()) > 20
    written = _audit(container, read.id, middle, end)
    assert written == _audit(container, through_orm, seq, middle)
    assert sum(written.values()) == sum(_history(container, read.id).values())  # one per tracked row


def test_a_bad_member_writes_nothing(container, clock, supervisor, site_id):
    payload = _payload(site_id)
    payload["members"][2]["phones"] = ["not a phone"]  # type: ignore[index]
    seq = _last_seq(container)
    with pytest.raises(Invalid) as caught:
        services.register_household(
            container.uow(), schemas.HouseholdCreate.model_validate(payload), actor=supervisor
        )
    assert caught.value.problems[0].field == "members.2.phones.0"
    with container.uow() as uow:
        assert uow.session.scalars(select(Person.id)).all() == []
        assert uow.session.scalars(select(ChangeRecord.id).where(ChangeRecord.entity != "sites")).all() == []
    assert _last_seq(container) == seq


def test_a_consent_dated_in_the_future_is_refused(container, clock, supervisor, site_id):
    payload = _payload(site_id)
    future = (NOW + dt.timedelta(hours=1)).isoformat()
    payload["members"][1]["consents"] = [
        {"purpose": "registration", "method": "signed", "decided_at": future}
    ]  # type: ignore[index]
    with pytest.raises(Invalid, match="future"):
        services.register_household(
            container.uow(), schemas.HouseholdCreate.model_validate(payload), actor=supervisor
        )


def test_the_same_source_key_registers_once(container, clock, supervisor, site_id):
    cmd = schemas.HouseholdCreate.model_validate(_payload(site_id))
    first = services.register_household(container.uow(), cmd, actor=supervisor, source_key="partner:hh:7")
    again = services.register_household(container.uow(), cmd, actor=supervisor, source_key="partner:hh:7")
    assert first == again
    with container.uow() as uow:
        assert len(uow.session.scalars(select(Person.id)).all()) == 3
