"""Validated partner-list rows → the database rows of one person each: pure (no connection), so it
also runs in the reader's worker process.

The rows are those the services would write (``registry.services.household_rows``), derived the same
way (``registry.naming``, ``shared.reference``, the parsed ``PartialDate``), already in the
database's form (the column types' own bind processing applied, ``db.Columns``). Which household a
person joins, and whether a head is a second one, is decided per batch by ``writer.BatchWriter``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Dialect, Table

from safepassage.db import Columns
from safepassage.history import ChangeRecord
from safepassage.registry.codes import EvacuationCategory, Intention, Relationship
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
)
from safepassage.registry.naming import name_parts, spelled_names, tokens_of
from safepassage.shared.ids import new_id
from safepassage.shared.reference import document_number_key

KEY_LENGTH = 200  # persons.source_key, households.source_key

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
