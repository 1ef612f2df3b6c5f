"""Bulk persistence: one transaction per batch of validated rows, SQLAlchemy Core executemany.

The ORM unit of work per row is far too slow for a million rows, so this writes the same rows the
services would (``registry.services._build_person``), derived the same way (``registry.naming``,
``shared.reference``, ``Person.set_birth_date``), plus one ``change_records`` row per created person
and household, since the history listener only sees ORM flushes.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table, insert, select, update
from sqlalchemy.exc import IntegrityError

from safepassage.history import ChangeRecord
from safepassage.registry.codes import (
    EvacuationCategory,
    HouseholdStatus,
    Intention,
    NamePart,
    Relationship,
)
from safepassage.registry.importing.rows import ImportRecord, RowProblem
from safepassage.registry.models import (
    ConsentRecord,
    Document,
    Household,
    IntentionStatement,
    NameToken,
    Person,
    PersonName,
    PersonNeed,
    Phone,
    Site,
)
from safepassage.registry.naming import SpelledName, spell
from safepassage.shared.dates import PartialDate
from safepassage.shared.ids import new_id
from safepassage.shared.reference import document_number_key
from safepassage.shared.text import name_tokens
from safepassage.uow import UnitOfWork

ADULT_AGE = 18
MAX_WARNINGS = 200
_TABLES: tuple[Table, ...] = tuple(
    model.__table__  # type: ignore[misc]
    for model in (
        Household,
        Person,
        PersonName,
        NameToken,
        Document,
        Phone,
        PersonNeed,
        IntentionStatement,
        ConsentRecord,
        ChangeRecord,
    )
)
_CHANGES: Table = ChangeRecord.__table__  # type: ignore[assignment]


@functools.lru_cache(maxsize=200_000)
def _spell(part: NamePart, text: str, position: int, is_primary: bool) -> SpelledName:
    return spell(part, text, position=position, is_primary=is_primary)


@functools.lru_cache(maxsize=200_000)
def _tokens(text: str) -> tuple[str, ...]:
    return tuple(t for t in name_tokens(text) if t)


def spelled_names_cached(
    primary: dict[NamePart, str | None], others: list[tuple[NamePart, str]]
) -> list[SpelledName]:
    """``naming.spelled_names`` with each spelling cached (names repeat across a partner's list).
    A unit test holds the two equal."""
    result: list[SpelledName] = []
    seen: set[tuple[NamePart, str]] = set()
    for part in NamePart:
        text = primary.get(part)
        if text and text.strip():
            name = _spell(part, text, len(result), True)
            seen.add((part, name.text))
            result.append(name)
    for part, text in others:
        if not text or not text.strip():
            continue
        name = _spell(part, text, len(result), False)
        if (part, name.text) in seen:
            continue
        seen.add((part, name.text))
        result.append(name)
    return result


def tokens_cached(names: list[SpelledName]) -> set[str]:
    """``naming.tokens_of``, cached per spelling."""
    tokens: set[str] = set()
    for name in names:
        tokens.update(_tokens(name.text))
    return tokens


@dataclass
class BatchResult:
    persons_created: int = 0
    households_created: int = 0
    already_imported: int = 0
    rejected: list[tuple[ImportRecord, list[RowProblem]]] = field(default_factory=list)


@dataclass
class _Household:
    id: uuid.UUID
    has_head: bool


@dataclass
class _Rows:
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {t.name: [] for t in _TABLES})

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.tables[table].append(row)


class BatchWriter:
    """Writes batches for one import: one source, one default site, one actor."""

    def __init__(
        self,
        uow: UnitOfWork,
        *,
        actor: str,
        batch_id: uuid.UUID,
        source: str,
        site_id: uuid.UUID,
        field_names: dict[str, str],
    ) -> None:
        self.uow = uow
        self.actor = actor
        self.batch_id = str(batch_id)
        self.source = source
        self.site_id = site_id
        self.headers = field_names  # field → the column header, for problems found here
        self.sites: dict[str, uuid.UUID | None] = {}
        self.warnings: list[str] = []
        self.warning_count = 0
        self.no_household_relationship = 0
        self.no_relationship = 0

    # -- keys ----------------------------------------------------------------------------------------
    def person_key(self, record: ImportRecord) -> str:
        if record.source_id:
            return f"{self.source}:{record.source_id}"
        return f"{self.source}:{record.fingerprint}"

    def household_key(self, ref: str) -> str:
        return f"{self.source}:hh:{ref}"

    def warn(self, text: str) -> None:
        self.warning_count += 1
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(text)

    # -- a batch ------------------------------------------------------------------------------------
    def write(self, records: list[ImportRecord]) -> BatchResult:
        """Write one batch in one transaction; a unique-key race with another import is retried once."""
        try:
            return self._write(records)
        except IntegrityError:
            self.uow.rollback()
            return self._write(records)

    def _write(self, records: list[ImportRecord]) -> BatchResult:
        conn = self.uow.session.connection()
        result = BatchResult()
        keys = [self.person_key(r) for r in records]
        existing = _existing_keys(conn, keys)
        households = _households(
            conn, {self.household_key(r.household_ref) for r in records if r.household_ref}
        )
        now = self.uow.now()
        txn = self.uow.session.info["transaction_id"]
        rows = _Rows()
        seen: set[str] = set()
        for record, key in zip(records, keys, strict=True):
            if key in existing or key in seen:
                result.already_imported += 1
                continue
            problems = self._place(record, households)
            site_id = self._site(record, problems)
            if problems:
                result.rejected.append((record, problems))
                continue
            seen.add(key)
            household_id, created = self._household(record, households, site_id, now, txn, rows)
            result.households_created += created
            self._person(record, key, household_id, site_id, now, txn, rows)
            result.persons_created += 1
        for table in _TABLES:
            if rows.tables[table.name]:
                conn.execute(insert(table), rows.tables[table.name])
        self.uow.commit()
        return result

    def _place(self, record: ImportRecord, households: dict[str, _Household]) -> list[RowProblem]:
        """The person's relationship within the household; a second head is a problem."""
        person = record.person
        if not record.household_ref:
            if record.relationship_stated and person.relationship_to_head != Relationship.HEAD:
                self.no_household_relationship += 1
            person.relationship_to_head = Relationship.HEAD
            return []
        if not record.relationship_stated:
            self.no_relationship += 1
            person.relationship_to_head = Relationship.OTHER_RELATIVE
            return []
        state = households.get(self.household_key(record.household_ref))
        if person.relationship_to_head == Relationship.HEAD and state is not None and state.has_head:
            header = self.headers.get("relationship", "relationship")
            reason = (
                f"household '{record.household_ref}' already has a head: "
                "give this person's relationship to the head instead"
            )
            return [RowProblem(record.row_number, header, "head", reason)]
        return []

    def _site(self, record: ImportRecord, problems: list[RowProblem]) -> uuid.UUID:
        if not record.site_code:
            return self.site_id
        code = record.site_code
        if code not in self.sites:
            conn = self.uow.session.connection()
            self.sites[code] = conn.scalar(select(Site.id).where(Site.code == code))
        found = self.sites[code]
        if found is None:
            header = self.headers.get("site", "site")
            problems.append(
                RowProblem(record.row_number, header, code, f"there is no site with code '{code}'")
            )
            return self.site_id
        return found

    def _household(
        self,
        record: ImportRecord,
        households: dict[str, _Household],
        site_id: uuid.UUID,
        now: dt.datetime,
        txn: uuid.UUID,
        rows: _Rows,
    ) -> tuple[uuid.UUID, int]:
        key = self.household_key(record.household_ref) if record.household_ref else None
        is_head = record.person.relationship_to_head == Relationship.HEAD
        state = households.get(key) if key else None
        if state is not None:
            state.has_head = state.has_head or is_head
            return state.id, 0
        hid = new_id()
        if key is not None:
            households[key] = _Household(hid, is_head)
        rows.add(
            "households",
            {
                "id": hid,
                "site_id": site_id,
                "status": HouseholdStatus.ACTIVE.value,
                "merged_into_id": None,
                "source_key": key,
                "created_at": now,
                "updated_at": now,
            },
        )
        rows.add("change_records", self._change("households", hid, now, txn, key))
        return hid, 1

    def _change(
        self, entity: str, entity_id: uuid.UUID, now: dt.datetime, txn: uuid.UUID, key: str | None
    ) -> dict[str, Any]:
        value = {"import_batch": self.batch_id, "source_key": key}
        return {
            "id": new_id(),
            "at": now,
            "actor": self.actor,
            "action": "create",
            "entity": entity,
            "entity_id": str(entity_id),
            "subject_id": entity_id,
            "field": None,
            "old_value": None,
            "new_value": json.dumps(value, ensure_ascii=False, sort_keys=True),
            "transaction_id": txn,
        }

    def _person(
        self,
        record: ImportRecord,
        key: str,
        household_id: uuid.UUID,
        site_id: uuid.UUID,
        now: dt.datetime,
        txn: uuid.UUID,
        rows: _Rows,
    ) -> None:
        cmd = record.person
        pid = new_id()
        birth = record.birth
        intention = cmd.intention or Intention.UNDECIDED
        today = now.date()
        rows.add(
            "persons",
            {
                "id": pid,
                "household_id": household_id,
                "relationship_to_head": cmd.relationship_to_head.value,
                "site_id": site_id,
                "sex": cmd.sex.value,
                "birth_year": birth.year,
                "birth_month": birth.month,
                "birth_day": birth.day,
                "birth_precision": birth.precision.value,
                "birth_estimated": birth.estimated,
                "place_of_birth": cmd.place_of_birth,
                "nationalities": list(cmd.nationalities),
                "languages": list(cmd.languages),
                "category": (cmd.category or EvacuationCategory.OTHER).value,
                "intention": intention.value,
                "intention_date": today,
                "merged_into_id": None,
                "source_key": key,
                "created_at": now,
                "updated_at": now,
            },
        )
        names = spelled_names_cached(
            {
                NamePart.GIVEN: cmd.given_name,
                NamePart.FATHER: cmd.father_name,
                NamePart.GRANDFATHER: cmd.grandfather_name,
                NamePart.FAMILY: cmd.family_name,
            },
            [(s.part, s.text) for s in cmd.other_spellings],
        )
        for n in names:
            rows.add(
                "person_names",
                {
                    "id": new_id(),
                    "person_id": pid,
                    "part": n.part.value,
                    "position": n.position,
                    "text": n.text,
                    "script": n.script,
                    "is_primary": n.is_primary,
                    "latin_key": n.latin_key,
                    "skeleton_key": n.skeleton_key,
                },
            )
        for token in sorted(tokens_cached(names)):
            rows.add("name_tokens", {"person_id": pid, "token": token})
        for d in cmd.documents:
            rows.add(
                "documents",
                {
                    "id": new_id(),
                    "person_id": pid,
                    "type": d.type.value,
                    "number": d.number,
                    "number_key": document_number_key(d.number),
                    "issuing_country": d.issuing_country,
                    "expiry_date": d.expiry_date,
                },
            )
        for e164 in dict.fromkeys(cmd.phones):
            rows.add("phones", {"id": new_id(), "person_id": pid, "e164": e164})
        for code in sorted(set(cmd.needs)):
            rows.add("person_needs", {"person_id": pid, "code": code.value})
        rows.add(
            "intention_statements",
            {
                "id": new_id(),
                "person_id": pid,
                "intention": intention.value,
                "stated_on": today,
                "recorded_at": now,
                "recorded_by": self.actor,
            },
        )
        for c in cmd.consents:
            rows.add(
                "consent_records",
                {
                    "id": new_id(),
                    "person_id": pid,
                    "purpose": c.purpose.value,
                    "partner": c.partner,
                    "decision": c.decision.value,
                    "method": c.method.value,
                    "decided_at": c.decided_at or now,
                    "recorded_at": now,
                    "recorded_by": self.actor,
                    "note": c.note,
                },
            )
        rows.add("change_records", self._change("persons", pid, now, txn, key))

    # -- heads ----------------------------------------------------------------------------------------
    def settle_heads(self, today: dt.date) -> int:
        """Give every household of this source that has no head one: its first adult member, else its
        first member. Returns how many were settled; the warnings say which."""
        conn = self.uow.session.connection()
        prefix = f"{self.source}:hh:"
        has_head = (
            select(Person.id)
            .where(Person.household_id == Household.id)
            .where(Person.relationship_to_head == Relationship.HEAD.value)
            .exists()
        )
        query = (
            select(Household.id, Household.source_key)
            .where(Household.source_key.startswith(prefix, autoescape=True))
            .where(Household.status == HouseholdStatus.ACTIVE.value)
            .where(~has_head)
            .order_by(Household.id)
            .limit(500)
        )
        settled = 0
        now = self.uow.now()
        txn = self.uow.session.info["transaction_id"]
        after: uuid.UUID | None = None
        while True:
            page = conn.execute(query if after is None else query.where(Household.id > after)).all()
            if not page:
                break
            after = page[-1].id
            members: dict[uuid.UUID, list[Any]] = {}
            for row in conn.execute(
                select(
                    Person.id, Person.household_id, Person.birth_year, Person.birth_month, Person.birth_day
                )
                .where(Person.household_id.in_([h.id for h in page]))
                .where(Person.merged_into_id.is_(None))
                .order_by(Person.id)
            ):
                members.setdefault(row.household_id, []).append(row)
            changes = []
            for household in page:
                people = members.get(household.id)
                if not people:
                    continue
                head, adult = _first_adult(people, today)
                conn.execute(
                    update(Person)
                    .where(Person.id == head.id)
                    .values(relationship_to_head=Relationship.HEAD.value, updated_at=now)
                )
                changes.append(self._head_change(head.id, now, txn))
                ref = (household.source_key or "")[len(prefix) :]
                who = "the first adult" if adult else "no member is known to be an adult, so the first member"
                self.warn(f"household {ref} had no head row; {who} was made head")
                settled += 1
            if changes:
                conn.execute(insert(_CHANGES), changes)
        self.uow.commit()
        return settled

    def _head_change(self, person_id: uuid.UUID, now: dt.datetime, txn: uuid.UUID) -> dict[str, Any]:
        return {
            "id": new_id(),
            "at": now,
            "actor": self.actor,
            "action": "update",
            "entity": "persons",
            "entity_id": str(person_id),
            "subject_id": person_id,
            "field": "relationship_to_head",
            "old_value": Relationship.OTHER_RELATIVE.value,
            "new_value": Relationship.HEAD.value,
            "transaction_id": txn,
        }


def _first_adult(people: list[Any], today: dt.date) -> tuple[Any, bool]:
    for person in people:
        try:
            age = PartialDate(person.birth_year, person.birth_month, person.birth_day).age_on(today)
        except ValueError:
            age = None
        if age is not None and age >= ADULT_AGE:
            return person, True
    return people[0], False


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing_keys(conn: Connection, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(keys, 500):
        found.update(conn.scalars(select(Person.source_key).where(Person.source_key.in_(chunk))))
    return found


def _households(conn: Connection, keys: set[str]) -> dict[str, _Household]:
    """The households these source keys name, and whether each has a head already."""
    found: dict[str, _Household] = {}
    for chunk in _chunks(sorted(keys), 500):
        query = select(Household.id, Household.source_key).where(Household.source_key.in_(chunk))
        states = {key: _Household(hid, False) for hid, key in conn.execute(query).tuples() if key}
        by_id = {state.id: state for state in states.values()}
        heads = select(Person.household_id).where(
            Person.household_id.in_(list(by_id)), Person.relationship_to_head == Relationship.HEAD.value
        )
        for hid in conn.scalars(heads):
            if hid is not None:
                by_id[hid].has_head = True
        found.update(states)
    return found
