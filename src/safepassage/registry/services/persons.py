"""Changing a registered person: corrections, spellings, documents, phones, intention, consent, presence."""

from __future__ import annotations

import uuid

from safepassage.registry import schemas
from safepassage.registry.codes import (
    NamePart,
)
from safepassage.registry.models import (
    Document,
    Person,
    Phone,
)
from safepassage.registry.naming import spell
from safepassage.registry.protection import seal_protection
from safepassage.registry.services.lookups import get_person_or_raise, get_site_or_raise
from safepassage.registry.services.registration import (
    check_protection_permission,
    consent_record,
    name_rows,
    set_tokens,
)
from safepassage.security.policy import Actor, Permission, require, require_site
from safepassage.shared.dates import latest_today
from safepassage.shared.errors import FieldProblem, Invalid
from safepassage.shared.i18n import say
from safepassage.shared.reference import document_number_key, normalise_phone
from safepassage.uow import UnitOfWork


def update_person(uow: UnitOfWork, person_id: uuid.UUID, cmd: schemas.PersonUpdate, *, actor: Actor) -> None:
    require(actor, Permission.REGISTRY_WRITE)
    check_protection_permission(actor, cmd.protection)
    with uow.acting(actor):
        person = get_person_or_raise(uow, person_id, actor=actor)
        data = cmd.model_dump(exclude_unset=True)
        renamed = False
        for part, key in (
            (NamePart.GIVEN, "given_name"),
            (NamePart.FATHER, "father_name"),
            (NamePart.GRANDFATHER, "grandfather_name"),
            (NamePart.FAMILY, "family_name"),
        ):
            if key not in data:
                continue
            renamed = True
            _replace_primary_name(person, part, data[key])
        if renamed and person.primary_name(NamePart.GIVEN) is None:
            raise Invalid(
                say("a person needs a given name"), problems=[FieldProblem("given_name", say("required"))]
            )
        if cmd.birth_date is not None:
            try:
                person.set_birth_date(cmd.birth_date.parse(today=latest_today(uow.now())))
            except ValueError as exc:
                raise Invalid(str(exc), problems=[FieldProblem("birth_date", str(exc))]) from None
        for key in ("sex", "place_of_birth", "nationalities", "languages", "category"):
            if key in data:
                if data[key] is None and key in {"sex", "category"}:
                    raise Invalid(
                        say("%(field)s cannot be empty", field=key),
                        problems=[FieldProblem(key, say("cannot be empty"))],
                    )
                setattr(
                    person,
                    key,
                    data[key]
                    if data[key] is not None
                    else ([] if key in {"nationalities", "languages"} else None),
                )
        if cmd.needs is not None:
            person.set_needs(list(cmd.needs))
        if cmd.protection is not None:  # sealed under the person's site key
            seal_protection(uow, person, cmd.protection.model_dump(exclude_unset=True))
        if renamed:
            set_tokens(person)
        person.updated_at = uow.now()
        uow.commit()


def _replace_primary_name(person: Person, part: NamePart, text: str | None) -> None:
    """A corrected primary spelling; the old one stays as another spelling (nothing typed is lost)."""
    current = person.primary_name(part)
    if current is not None:
        if text is not None and current.text == text.strip():
            return
        current.is_primary = False
    if text is None or not text.strip():
        return
    position = max((n.position for n in person.names), default=-1) + 1
    new = spell(part, text, position=position, is_primary=True)
    for existing in person.names:
        if existing.part == part and existing.text == new.text:
            existing.is_primary = True
            return
    person.names.extend(name_rows([new]))


def add_spelling(uow: UnitOfWork, person_id: uuid.UUID, cmd: schemas.SpellingCreate, *, actor: Actor) -> None:
    require(actor, Permission.REGISTRY_WRITE)
    with uow.acting(actor):
        person = get_person_or_raise(uow, person_id, actor=actor)
        position = max((n.position for n in person.names), default=-1) + 1
        new = spell(cmd.part, cmd.text, position=position, is_primary=False)
        if any(n.part == cmd.part and n.text == new.text for n in person.names):
            return
        person.names.extend(name_rows([new]))
        set_tokens(person)
        person.updated_at = uow.now()
        uow.commit()


def add_document(
    uow: UnitOfWork, person_id: uuid.UUID, cmd: schemas.DocumentCreate, *, actor: Actor
) -> uuid.UUID:
    require(actor, Permission.REGISTRY_WRITE)
    with uow.acting(actor):
        person = get_person_or_raise(uow, person_id, actor=actor)
        key = document_number_key(cmd.number)
        for doc in person.documents:
            if doc.number_key == key and doc.type == cmd.type:
                return doc.id
        doc = Document(
            type=cmd.type,
            number=cmd.number,
            number_key=key,
            issuing_country=cmd.issuing_country,
            expiry_date=cmd.expiry_date,
        )
        person.documents.append(doc)
        person.updated_at = uow.now()
        uow.commit()
        return doc.id


def add_phone(uow: UnitOfWork, person_id: uuid.UUID, cmd: schemas.PhoneCreate, *, actor: Actor) -> str:
    require(actor, Permission.REGISTRY_WRITE)
    try:
        e164 = normalise_phone(cmd.number, uow.default_phone_region)
    except ValueError as exc:
        raise Invalid(str(exc), problems=[FieldProblem("number", str(exc))]) from None
    with uow.acting(actor):
        person = get_person_or_raise(uow, person_id, actor=actor)
        if all(p.e164 != e164 for p in person.phones):
            person.phones.append(Phone(e164=e164))
            person.updated_at = uow.now()
            uow.commit()
        return e164


def state_intention(
    uow: UnitOfWork, person_id: uuid.UUID, cmd: schemas.IntentionCreate, *, actor: Actor
) -> None:
    require(actor, Permission.REGISTRY_WRITE)
    with uow.acting(actor):
        person = get_person_or_raise(uow, person_id, actor=actor)
        now = uow.now()
        stated_on = cmd.stated_on or now.date()
        if stated_on > latest_today(now):
            raise Invalid(
                say("an intention cannot be stated in the future"),
                problems=[FieldProblem("stated_on", say("in the future"))],
            )
        person.state_intention(
            cmd.intention, stated_on=stated_on, recorded_at=now, recorded_by=actor.username
        )
        person.updated_at = now
        uow.commit()


def record_consent(
    uow: UnitOfWork, person_id: uuid.UUID, cmd: schemas.ConsentCreate, *, actor: Actor
) -> uuid.UUID:
    """Record consent given or withdrawn. A withdrawal takes effect at once everywhere the purpose is
    checked (``Person.consent_in_force``, ``queries.consent_filter``)."""
    require(actor, Permission.REGISTRY_WRITE)
    with uow.acting(actor):
        person = get_person_or_raise(uow, person_id, actor=actor)
        record = consent_record(uow, cmd, actor)
        person.record_consent(record)
        person.updated_at = uow.now()
        uow.commit()
        return record.id


def check_in(uow: UnitOfWork, person_id: uuid.UUID, cmd: schemas.CheckIn, *, actor: Actor) -> None:
    require(actor, Permission.REGISTRY_WRITE)
    with uow.acting(actor):
        person = get_person_or_raise(uow, person_id, actor=actor)
        site = get_site_or_raise(uow, cmd.site_id)
        require_site(actor, site.id)
        at = cmd.at or uow.now()
        current = person.current_stay
        if current is not None and at < current.checked_in_at:
            raise Invalid(
                say("check-in cannot be before the current stay began"),
                problems=[FieldProblem("at", say("before the current check-in"))],
            )
        person.check_in(site, at=at, by=actor.username)
        uow.commit()


def check_out(uow: UnitOfWork, person_id: uuid.UUID, cmd: schemas.CheckOut, *, actor: Actor) -> None:
    require(actor, Permission.REGISTRY_WRITE)
    with uow.acting(actor):
        person = get_person_or_raise(uow, person_id, actor=actor)
        person.check_out(at=cmd.at or uow.now(), by=actor.username)
        uow.commit()
