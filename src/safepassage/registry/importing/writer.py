"""Bulk persistence: one transaction per batch of validated rows.

The ORM unit of work per row is far too slow for a million rows, so this writes the same rows the
services would (``registry.services.registration._build_person``), derived the same way (``registry.naming``,
``shared.reference``, ``Person.set_birth_date``), plus one ``change_records`` row per created person
and household, since the history listener only sees ORM flushes.

Two halves: ``RowFactory`` turns a validated row into the database rows of one person, already in
the database's form (the column types' own bind processing applied); it needs no connection, so it
can run in a worker process. ``BatchWriter`` decides, per batch, what is new (source keys), which
household each person joins and whether a head is a second one, and writes: ``executemany`` on
SQLite, ``COPY`` on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Dialect, Table, select, update
from sqlalchemy.exc import IntegrityError

from safepassage.db import Columns, insert_rows
from safepassage.history import ChangeRecord
from safepassage.registry.codes import EvacuationCategory, HouseholdStatus, Intention, Relationship
from safepassage.registry.importing.rows import ImportRecord
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
from safepassage.registry.naming import name_parts, spelled_names, tokens_of
from safepassage.shared.dates import PartialDate
from safepassage.shared.ids import new_id
from safepassage.shared.reference import document_number_key
from safepassage.uow import UnitOfWork

ADULT_AGE = 18
KEY_LENGTH = 200  # persons.source_key, households.source_key
ANALYSE_EVERY = 5000
SQLITE_CACHE_KIB = 65536
SQLITE_CHECKPOINT_PAGES = 10000
UNIQUE_VIOLATION = "23505"  # PostgreSQL's code, raised by COPY outside SQLAlchemy's wrapping

TABLES: dict[str, Table] = {
    model.__tablename__: model.__table__  # type: ignore[misc]
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
}


def person_key(source: str, source_id: str | None, fingerprint: str) -> str:
    """``{source}:{source_id}``, else ``{source}:{sha256 of the row}``; a key too long for the
    column (200) names the source id by its sha256."""
    key = f"{source}:{source_id or fingerprint}"
    return key if len(key) <= KEY_LENGTH else f"{source}:#{_sha256(source_id or fingerprint)}"


def household_key(source: str, ref: str) -> str:
    key = f"{source}:hh:{ref}"
    return key if len(key) <= KEY_LENGTH else f"{source}:hh:#{_sha256(ref)}"


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(slots=True)
class Prepared:
    """One person's rows, ready to write but for the household (decided per batch)."""

    row_number: int
    key: str
    household_ref: str | None
    is_head: bool
    site_code: str | None
    cells: list[str] | None  # only when the writer may still reject the row (a head, a site code)
    person: list[Any]  # the persons row; household_id (and site_id, for a site code) filled in later
    person_text_id: str
    children: list[tuple[str, tuple[Any, ...]]]


@dataclass
class FactoryCounts:
    no_relationship: int = 0  # household rows without a relationship: recorded as other_relative
    no_household_relationship: int = 0  # rows with a relationship but no household: heads of their own


class RowFactory:
    """Validated rows → database rows. Pure: no connection, so it also runs in a worker process."""

    def __init__(
        self,
        dialect: Dialect,
        *,
        source: str,
        site_id: uuid.UUID,
        actor: str,
        now: dt.datetime,
    ) -> None:
        self.cols = {name: Columns(table, dialect) for name, table in TABLES.items()}
        self.source = source
        self.site = self.cols["persons"].value("site_id", site_id)
        self.actor = actor
        self.now = now
        self.today = now.date()
        self.counts = FactoryCounts()

    def key(self, record: ImportRecord) -> str:
        return person_key(self.source, record.source_id, record.fingerprint)

    def relationship(self, record: ImportRecord) -> Relationship:
        """Within its household; a row without a household heads one of its own."""
        stated = record.person.relationship_to_head
        if not record.household_ref:
            if record.relationship_stated and stated != Relationship.HEAD:
                self.counts.no_household_relationship += 1
            return Relationship.HEAD
        if not record.relationship_stated:
            self.counts.no_relationship += 1
            return Relationship.OTHER_RELATIVE
        return stated

    def prepare(self, record: ImportRecord) -> Prepared:
        cmd = record.person
        cols = self.cols
        pid = new_id()
        ident = cols["persons"].value("id", pid)
        birth = record.birth
        intention = (cmd.intention or Intention.UNDECIDED).value
        relationship = self.relationship(record)
        now, today, actor = self.now, self.today, self.actor
        person = cols["persons"].row(
            {
                "id": pid,
                "household_id": None,
                "relationship_to_head": relationship.value,
                "site_id": None,
                "sex": cmd.sex.value,
                "birth_year": birth.year,
                "birth_month": birth.month,
                "birth_day": birth.day,
                "birth_precision": birth.precision.value,
                "birth_estimated": birth.estimated,
                "place_of_birth": cmd.place_of_birth,
                "nationalities": cmd.nationalities,
                "languages": cmd.languages,
                "category": (cmd.category or EvacuationCategory.OTHER).value,
                "intention": intention,
                "intention_date": today,
                "merged_into_id": None,
                "source_key": self.key(record),
                "created_at": now,
                "updated_at": now,
            }
        )
        names = spelled_names(*name_parts(cmd))
        children: list[tuple[str, tuple[Any, ...]]] = []
        add = children.append
        for n in names:
            add(("person_names", cols["person_names"].row({
                "id": new_id(), "person_id": pid, "part": n.part.value, "position": n.position,
                "text": n.text, "script": n.script, "is_primary": n.is_primary, "latin_key": n.latin_key,
                "skeleton_key": n.skeleton_key,
            })))  # fmt: skip
        for token in sorted(tokens_of(n.text for n in names)):
            add(("name_tokens", (ident, token)))
        for d in cmd.documents:
            add(("documents", cols["documents"].row({
                "id": new_id(), "person_id": pid, "type": d.type.value, "number": d.number,
                "number_key": document_number_key(d.number), "issuing_country": d.issuing_country,
                "expiry_date": d.expiry_date,
            })))  # fmt: skip
        for e164 in dict.fromkeys(cmd.phones):
            add(("phones", cols["phones"].row({"id": new_id(), "person_id": pid, "e164": e164})))
        for code in sorted(set(cmd.needs)):
            add(("person_needs", (ident, code.value)))
        add(("intention_statements", cols["intention_statements"].row({
            "id": new_id(), "person_id": pid, "intention": intention, "stated_on": today, "recorded_at": now,
            "recorded_by": actor,
        })))  # fmt: skip
        for c in cmd.consents:
            add(("consent_records", cols["consent_records"].row({
                "id": new_id(), "person_id": pid, "purpose": c.purpose.value, "partner": c.partner,
                "decision": c.decision.value, "method": c.method.value, "decided_at": c.decided_at or now,
                "recorded_at": now, "recorded_by": actor, "note": c.note,
            })))  # fmt: skip
        is_head = relationship == Relationship.HEAD
        at_risk = bool(record.site_code) or (is_head and bool(record.household_ref))
        return Prepared(
            row_number=record.row_number,
            key=self.key(record),
            household_ref=record.household_ref,
            is_head=is_head,
            site_code=record.site_code,
            cells=record.cells if at_risk else None,
            person=list(person),
            person_text_id=str(pid),
            children=children,
        )


def change_value(batch_id: str, key: str | None) -> str:
    """``json.dumps({"import_batch": ..., "source_key": ...}, sort_keys=True)``, cheaper per row."""
    return f'{{"import_batch": "{batch_id}", "source_key": {json.dumps(key, ensure_ascii=False)}}}'


@dataclass
class BatchResult:
    persons_created: int = 0
    households_created: int = 0
    already_imported: int = 0
    rejected: list[tuple[Prepared, str, str]] = field(default_factory=list)  # (row, field, reason)


@dataclass
class _Household:
    id: Any  # in the database's form
    has_head: bool


class BatchWriter:
    """Writes the batches of one import: one source, one default site, one actor."""

    def __init__(
        self, uow: UnitOfWork, dialect: Dialect, *, batch_id: uuid.UUID, actor: str, site_id: uuid.UUID
    ):
        self.uow = uow
        self.cols = {name: Columns(table, dialect) for name, table in TABLES.items()}
        self.batch_id = str(batch_id)
        self.actor = actor
        self.site_id = site_id
        # the importer's sites (None: every site): a row naming another site is rejected
        self.allowed_sites: frozenset[uuid.UUID] | None = frozenset({site_id})
        self.sites: dict[str, uuid.UUID | None] = {}
        self.written = 0
        self.analysed_at = 0
        if dialect.name == "sqlite":  # per connection: a bigger page cache, fewer checkpoints
            conn = uow.session.connection()
            conn.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
            conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint = {SQLITE_CHECKPOINT_PAGES}")

    def write(self, batch: list[Prepared], *, source: str) -> BatchResult:
        """Write one batch in one transaction; a unique-key race with another import is retried once."""
        try:
            return self._write(batch, source)
        except Exception as exc:
            if not isinstance(exc, IntegrityError) and getattr(exc, "sqlstate", None) != UNIQUE_VIOLATION:
                raise
            self.uow.rollback()
            return self._write(batch, source)

    def _write(self, batch: list[Prepared], source: str) -> BatchResult:
        conn = self.uow.session.connection()
        result = BatchResult()
        existing = _existing_keys(conn, [p.key for p in batch])
        refs = {household_key(source, p.household_ref) for p in batch if p.household_ref}
        households = _households(conn, refs, self.cols["households"])
        now = self.uow.now()
        txn = self.uow.session.info["transaction_id"]
        tables: dict[str, list[tuple[Any, ...]]] = {name: [] for name in TABLES}
        person_cols, seen = self.cols["persons"], set()
        household_at, site_at = person_cols.index["household_id"], person_cols.index["site_id"]
        for row in batch:
            if row.key in existing or row.key in seen:
                result.already_imported += 1
                continue
            site_id = self._site(row.site_code) if row.site_code else self.site_id
            if site_id is None:
                result.rejected.append((row, "site", f"there is no site with code '{row.site_code}'"))
                continue
            if self.allowed_sites is not None and site_id not in self.allowed_sites:
                result.rejected.append((row, "site", f"site '{row.site_code}' is not one of your sites"))
                continue
            hh_key = household_key(source, row.household_ref) if row.household_ref else None
            state = households.get(hh_key) if hh_key else None
            if row.is_head and state is not None and state.has_head:
                reason = (
                    f"household '{row.household_ref}' already has a head: "
                    "give this person's relationship to the head instead"
                )
                result.rejected.append((row, "relationship", reason))
                continue
            seen.add(row.key)
            if state is None:
                state = self._household(hh_key, site_id, row.is_head, now, txn, tables)
                result.households_created += 1
                if hh_key is not None:
                    households[hh_key] = state
            state.has_head = state.has_head or row.is_head
            row.person[household_at] = state.id
            row.person[site_at] = person_cols.value("site_id", site_id)
            tables["persons"].append(tuple(row.person))
            for table, values in row.children:
                tables[table].append(values)
            tables["change_records"].append(
                self._change("persons", row.person_text_id, row.person[0], row.key, now, txn)
            )
            result.persons_created += 1
        for name in TABLES:
            insert_rows(conn, self.cols[name], tables[name])
        if result.persons_created:
            # one audit entry per batch written (the rows' own change records are beside them)
            self.uow.audit(
                "import.rows",
                entity="import_batch",
                entity_id=self.batch_id,
                site_id=self.site_id,
                details={
                    "persons": result.persons_created,
                    "households": result.households_created,
                    "person_ids": [str(values[0]) for values in tables["persons"]],
                },
            )
        self.uow.commit()
        self.written += result.persons_created
        self._analyse_if_grown()
        return result

    def _site(self, code: str) -> uuid.UUID | None:
        if code not in self.sites:
            conn = self.uow.session.connection()
            self.sites[code] = conn.scalar(select(Site.id).where(Site.code == code))
        return self.sites[code]

    def _household(
        self,
        key: str | None,
        site_id: uuid.UUID,
        is_head: bool,
        now: dt.datetime,
        txn: uuid.UUID,
        tables: dict[str, list[tuple[Any, ...]]],
    ) -> _Household:
        hid = new_id()
        cols = self.cols["households"]
        tables["households"].append(cols.row({
            "id": hid, "site_id": site_id, "status": HouseholdStatus.ACTIVE.value, "merged_into_id": None,
            "source_key": key, "created_at": now, "updated_at": now,
        }))  # fmt: skip
        ident = cols.value("id", hid)
        tables["change_records"].append(self._change("households", str(hid), ident, key, now, txn))
        return _Household(ident, is_head)

    def _change(
        self, entity: str, text_id: str, subject: Any, key: str | None, now: dt.datetime, txn: uuid.UUID
    ) -> tuple[Any, ...]:
        cols = self.cols["change_records"]
        values = list(cols.row({
            "id": new_id(), "at": now, "actor": self.actor, "action": "create", "entity": entity,
            "entity_id": text_id, "subject_id": None, "field": None, "old_value": None,
            "new_value": change_value(self.batch_id, key), "transaction_id": txn,
        }))  # fmt: skip
        values[cols.index["subject_id"]] = subject  # in the database's form already
        return tuple(values)

    def _analyse_if_grown(self) -> None:
        """PostgreSQL plans the per-batch lookups from table statistics; a table that grew tenfold
        since they were taken gets sequential scans (minutes at a million rows). Refresh them."""
        if self.written < max(ANALYSE_EVERY, 2 * self.analysed_at):
            return
        conn = self.uow.session.connection()
        if conn.dialect.name != "postgresql":
            return
        conn.exec_driver_sql("ANALYZE persons, households")
        self.uow.commit()
        self.analysed_at = self.written


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing_keys(conn: Connection, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(keys, 500):
        found.update(conn.scalars(select(Person.source_key).where(Person.source_key.in_(chunk))))
    return found


def _households(conn: Connection, keys: set[str], process: Columns) -> dict[str, _Household]:
    """The households these source keys name (ids in the database's form), and whether each has a
    head already."""
    found: dict[str, _Household] = {}
    for chunk in _chunks(sorted(keys), 500):
        query = select(Household.id, Household.source_key).where(Household.source_key.in_(chunk))
        ids = {hid: key for hid, key in conn.execute(query).tuples() if key}
        heads = set()
        if ids:
            heads = set(conn.scalars(select(Person.household_id).where(
                Person.household_id.in_(list(ids)), Person.relationship_to_head == Relationship.HEAD.value
            )))  # fmt: skip
        for hid, key in ids.items():
            found[key] = _Household(process.value("id", hid), hid in heads)
    return found


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
