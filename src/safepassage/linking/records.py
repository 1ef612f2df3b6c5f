"""Registry persons as the engine's ``PersonRecord``: the one place that maps one to the other.

The engine knows nothing of the database; this module reads persons (with their names, documents and
phones) and hands the engine plain records whose ``record_id`` is the person's id.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import uuid
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from safepassage.linking.engine import PersonRecord
from safepassage.registry import schemas
from safepassage.registry.codes import NamePart, Sex
from safepassage.registry.models import Document, Person, PersonName, Phone
from safepassage.registry.scoping import in_scope
from safepassage.security.policy import Actor
from safepassage.shared.dates import DatePrecision
from safepassage.uow import UnitOfWork

_SEX = {Sex.FEMALE: "F", Sex.MALE: "M"}


def _name(person: Person, part: NamePart) -> str:
    names = sorted(
        (n for n in person.names if n.part == part and n.is_primary), key=lambda n: (n.position, str(n.id))
    )
    return " ".join(n.text for n in names)


def _birth_date(person: Person) -> str:
    return _date_text(person.birth_year, person.birth_month, person.birth_day, person.birth_precision)


def _date_text(year: int | None, month: int | None, day: int | None, precision: DatePrecision) -> str:
    if year is None:
        return ""
    text = f"{year:04d}"
    if precision in (DatePrecision.MONTH, DatePrecision.DAY) and month:
        text += f"-{month:02d}"
        if precision == DatePrecision.DAY and day:
            text += f"-{day:02d}"
    return text


def person_record(person: Person) -> PersonRecord:
    """The engine's view of a registered person (names as written, in any script)."""
    documents = sorted(person.documents, key=lambda d: str(d.id))
    phones = sorted(person.phones, key=lambda p: str(p.id))
    return PersonRecord(
        record_id=str(person.id),
        source="registry",
        given_name=_name(person, NamePart.GIVEN),
        father_name=_name(person, NamePart.FATHER),
        family_name=_name(person, NamePart.FAMILY),
        sex=_SEX.get(person.sex, ""),
        birth_date=_birth_date(person),
        birth_place=person.place_of_birth or "",
        nationality=";".join(person.nationalities or []),
        document_number=documents[0].number if documents else "",
        phone=phones[0].e164 if phones else "",
    )


def draft_record(record_id: str, member: schemas.PersonCreate) -> PersonRecord:
    """The engine's view of a member not registered yet (a registration form's, before it is sent):
    the same fields as ``person_record`` reads from a registered person. A birth date that does not
    parse is left out (the registration itself reports it)."""
    try:
        birth = member.birth_date.parse().iso()
    except ValueError:
        birth = ""
    return PersonRecord(
        record_id=record_id,
        source="draft",
        given_name=member.given_name,
        father_name=member.father_name or "",
        family_name=member.family_name or "",
        sex=_SEX.get(member.sex, ""),
        birth_date=birth,
        birth_place=member.place_of_birth or "",
        nationality=";".join(member.nationalities),  # codes: the command's validator normalised them
        document_number=member.documents[0].number if member.documents else "",
        phone=member.phones[0] if member.phones else "",
    )


def _loaded() -> Sequence[object]:
    return (selectinload(Person.names), selectinload(Person.documents), selectinload(Person.phones))


def active_records(uow: UnitOfWork, *, batch: int = 20_000) -> list[PersonRecord]:
    """``person_record`` of every person not merged into another, read with four plain statements
    (persons, primary names, documents, phones) instead of loading a million ORM objects: the
    duplicate check's index is built from it. The same records as ``person_record`` makes; call it
    inside ``uow.acting(...)``. On PostgreSQL the rows come as CSV through ``COPY (SELECT ...) TO
    STDOUT`` (in the session's transaction, so its row-level security applies): no per-value type
    conversion, about three times faster than fetching them at a million persons."""
    active = Person.merged_into_id.is_(None)
    names: dict[str, dict[str, list[tuple[int, str, str]]]] = {}
    stmt = (
        select(PersonName.person_id, PersonName.part, PersonName.position, PersonName.id, PersonName.text)
        .join(Person, Person.id == PersonName.person_id)
        .where(PersonName.is_primary.is_(True), active)
    )
    for pid, part, position, nid, text in _rows(uow, stmt, batch):
        names.setdefault(str(pid), {}).setdefault(str(part), []).append((int(position), str(nid), text or ""))
    documents = _first_by_id(uow, Document.person_id, Document.id, Document.number, active, batch)
    phones = _first_by_id(uow, Phone.person_id, Phone.id, Phone.e164, active, batch)
    columns = (
        Person.id,
        Person.sex,
        Person.birth_year,
        Person.birth_month,
        Person.birth_day,
        Person.birth_precision,
        Person.place_of_birth,
        Person.nationalities,
    )
    out: list[PersonRecord] = []
    for pid, sex, year, month, day, precision, place, nationalities in _rows(
        uow, select(*columns).where(active).order_by(Person.id), batch
    ):
        key = str(pid)
        parts = names.pop(key, {})

        def joined(part: NamePart, parts: dict[str, list[tuple[int, str, str]]] = parts) -> str:
            return " ".join(text for _, _, text in sorted(parts.get(part.value, ())))

        if isinstance(nationalities, str):  # JSON as text (PostgreSQL's CSV)
            nationalities = json.loads(nationalities) if nationalities else []
        out.append(
            PersonRecord(
                record_id=key,
                source="registry",
                given_name=joined(NamePart.GIVEN),
                father_name=joined(NamePart.FATHER),
                family_name=joined(NamePart.FAMILY),
                sex=_SEX.get(Sex(sex), "") if sex else "",
                birth_date=_date_text(_int(year), _int(month), _int(day), DatePrecision(precision)),
                birth_place=place or "",
                nationality=";".join(nationalities or []),
                document_number=documents.get(key, ""),
                phone=phones.get(key, ""),
            )
        )
    return out


def _int(value: Any) -> int | None:
    return None if value is None or value == "" else int(value)


def _rows(uow: UnitOfWork, stmt: Any, batch: int) -> Iterator[tuple[Any, ...]]:
    """The rows of ``stmt``: on PostgreSQL as text through COPY (NULL and empty both ``""``: the
    callers treat them alike), elsewhere as the driver gives them, ``batch`` at a time."""
    connection = uow.session.connection()
    if connection.dialect.name != "postgresql":
        for found in connection.execute(stmt.execution_options(yield_per=batch)):
            yield tuple(found)
        return
    # literal values only (booleans, NULL tests): nothing from a user is in these statements
    sql = str(stmt.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    raw = connection.connection.driver_connection
    assert raw is not None  # an open connection of the session
    with tempfile.TemporaryFile("w+b") as spool:
        with raw.cursor().copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy:
            for chunk in copy:
                spool.write(chunk)
        spool.seek(0)
        with io.TextIOWrapper(spool, encoding="utf-8", newline="") as text:
            for row in csv.reader(text):
                yield tuple(row)


def _first_by_id(
    uow: UnitOfWork, owner: Any, row_id: Any, value: Any, active: Any, batch: int
) -> dict[str, str]:
    """Per person, ``value`` of the row with the smallest id as text (as ``person_record`` picks)."""
    best: dict[str, tuple[str, str]] = {}
    stmt = select(owner, row_id, value).join(Person, Person.id == owner).where(active)
    for pid, rid, text in _rows(uow, stmt, batch):
        key, person = str(rid), str(pid)
        if person not in best or key < best[person][0]:
            best[person] = (key, text or "")
    return {pid: text for pid, (_, text) in best.items()}


def active_persons(uow: UnitOfWork, *, actor: Actor) -> list[Person]:
    """Every person of the actor's sites not merged into another, with what linking reads."""
    stmt = (
        select(Person)
        .where(Person.merged_into_id.is_(None), in_scope(Person.site_id, actor))
        .options(*_loaded())  # type: ignore[arg-type]
        .order_by(Person.id)
    )
    return list(uow.session.scalars(stmt))


def persons_by_id(uow: UnitOfWork, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Person]:
    wanted = sorted(set(ids), key=str)
    if not wanted:
        return {}
    stmt = select(Person).where(Person.id.in_(wanted)).options(*_loaded())  # type: ignore[arg-type]
    return {p.id: p for p in uow.session.scalars(stmt)}
