"""Bulk persistence: one transaction per batch of validated rows.

The ORM unit of work per row is far too slow for a million rows, so the import writes plain rows
(``factory.RowFactory``: the rows of one person, made in the reader's worker process), plus one
``change_records`` row per created person and household, since the history listener only sees ORM
flushes, and one audit entry per batch.

``BatchWriter`` decides, per batch, what is new (source keys), which household each person joins
and whether a head is a second one, and writes: ``executemany`` on SQLite, ``COPY`` on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Dialect, select
from sqlalchemy.exc import IntegrityError

from safepassage.db import Columns, insert_rows
from safepassage.registry.codes import HouseholdStatus, Relationship
from safepassage.registry.importing.factory import TABLES, Prepared, household_key
from safepassage.registry.models import Household, Person, Site
from safepassage.shared.ids import new_id
from safepassage.uow import UnitOfWork

ANALYSE_EVERY = 5000
SQLITE_CACHE_KIB = 65536
SQLITE_CHECKPOINT_PAGES = 10000
UNIQUE_VIOLATION = "23505"  # PostgreSQL's code, raised by COPY outside SQLAlchemy's wrapping


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
