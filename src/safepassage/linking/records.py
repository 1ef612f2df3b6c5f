"""Registry persons as the engine's ``PersonRecord``: the one place that maps one to the other.

The engine knows nothing of the database; this module reads persons (with their names, documents and
phones) and hands the engine plain records whose ``record_id`` is the person's id.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from safepassage.linking.engine import PersonRecord
from safepassage.registry import schemas
from safepassage.registry.codes import NamePart, Sex
from safepassage.registry.models import Person
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
    if person.birth_year is None:
        return ""
    text = f"{person.birth_year:04d}"
    if person.birth_precision in (DatePrecision.MONTH, DatePrecision.DAY) and person.birth_month:
        text += f"-{person.birth_month:02d}"
        if person.birth_precision == DatePrecision.DAY and person.birth_day:
            text += f"-{person.birth_day:02d}"
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
