"""After an import: every household of the source without a head gets one (its first adult member,
else its first member), with the change record of that update."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select, update

from safepassage.db import Columns, insert_rows
from safepassage.registry.codes import HouseholdStatus, Relationship
from safepassage.registry.importing.factory import TABLES
from safepassage.registry.models import Household, Person
from safepassage.shared.dates import PartialDate
from safepassage.shared.ids import new_id
from safepassage.uow import UnitOfWork

ADULT_AGE = 18


def settle_heads(uow: UnitOfWork, *, source: str, actor: str, today: dt.date) -> list[tuple[str, bool]]:
    """Give every household of ``source`` that has no head one: its first adult member, else its
    first member. Returns (household reference, whether an adult was found) for each; commits."""
    conn = uow.session.connection()
    prefix = f"{source}:hh:"
    has_head = (
        select(Person.id)
        .where(Person.household_id == Household.id, Person.relationship_to_head == Relationship.HEAD.value)
        .exists()
    )
    query = (
        select(Household.id, Household.source_key)
        .where(Household.source_key.startswith(prefix, autoescape=True))
        .where(Household.status == HouseholdStatus.ACTIVE.value, ~has_head)
        .order_by(Household.id)
        .limit(500)
    )
    settled: list[tuple[str, bool]] = []
    heads: list[str] = []
    changes = Columns(TABLES["change_records"], conn.dialect)
    now, txn = uow.now(), uow.session.info["transaction_id"]
    after: uuid.UUID | None = None
    while page := conn.execute(query if after is None else query.where(Household.id > after)).all():
        after = page[-1].id
        members: dict[uuid.UUID, list[Any]] = {}
        for row in conn.execute(
            select(Person.id, Person.household_id, Person.birth_year, Person.birth_month, Person.birth_day)
            .where(Person.household_id.in_([h.id for h in page]), Person.merged_into_id.is_(None))
            .order_by(Person.id)
        ):
            members.setdefault(row.household_id, []).append(row)
        rows = []
        for household in page:
            if household.id not in members:
                continue
            head, adult = _first_adult(members[household.id], today)
            conn.execute(
                update(Person)
                .where(Person.id == head.id)
                .values(relationship_to_head=Relationship.HEAD.value, updated_at=now)
            )
            rows.append(changes.row({
                "id": new_id(), "at": now, "actor": actor, "action": "update", "entity": "persons",
                "entity_id": str(head.id), "subject_id": head.id, "field": "relationship_to_head",
                "old_value": Relationship.OTHER_RELATIVE.value, "new_value": Relationship.HEAD.value,
                "transaction_id": txn,
            }))  # fmt: skip
            settled.append(((household.source_key or "")[len(prefix) :], adult))
            heads.append(str(head.id))
        insert_rows(conn, changes, rows)
    if heads:
        uow.audit(
            "import.heads_settled", entity="import_source", entity_id=source, details={"persons": heads}
        )
    uow.commit()
    return settled


def _first_adult(people: list[Any], today: dt.date) -> tuple[Any, bool]:
    for person in people:
        try:
            age = PartialDate(person.birth_year, person.birth_month, person.birth_day).age_on(today)
        except ValueError:
            age = None
        if age is not None and age >= ADULT_AGE:
            return person, True
    return people[0], False
