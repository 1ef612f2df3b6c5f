"""Registering households and persons, and the person-building rules they share with corrections."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from safepassage.registry import schemas
from safepassage.registry.codes import (
    EvacuationCategory,
    HouseholdStatus,
    Intention,
    Relationship,
)
from safepassage.registry.models import (
    ConsentRecord,
    Document,
    Household,
    NameToken,
    Person,
    PersonName,
    PersonNeed,
    Phone,
    Site,
)
from safepassage.registry.naming import SpelledName, name_parts, spelled_names, tokens_of
from safepassage.registry.protection import seal_protection
from safepassage.registry.services import household_rows
from safepassage.registry.services.lookups import get_household_or_raise
from safepassage.security.policy import Actor, Permission, require, require_site
from safepassage.shared.dates import latest_today
from safepassage.shared.errors import Conflict, FieldProblem, Forbidden, Invalid, NotFound
from safepassage.shared.i18n import say
from safepassage.shared.ids import new_id
from safepassage.shared.reference import document_number_key
from safepassage.uow import UnitOfWork

# ---------------------------------------------------------------------------------------------------
# Persons and households


def name_rows(names: list[SpelledName]) -> list[PersonName]:
    return [
        PersonName(
            part=n.part,
            position=n.position,
            text=n.text,
            script=n.script,
            is_primary=n.is_primary,
            latin_key=n.latin_key,
            skeleton_key=n.skeleton_key,
        )
        for n in names
    ]


def set_tokens(person: Person) -> None:
    wanted = tokens_of(n.text for n in person.names)
    person.tokens[:] = [t for t in person.tokens if t.token in wanted]
    have = {t.token for t in person.tokens}
    person.tokens.extend(NameToken(token=token) for token in sorted(wanted - have))


def check_protection_permission(actor: Actor, protection: schemas.ProtectionInput | None) -> None:
    if protection is not None and not protection.is_empty() and not actor.can(Permission.PROTECTED_WRITE):
        raise Forbidden(say("your role may not record protection attributes"))


def _build_person(
    uow: UnitOfWork,
    cmd: schemas.PersonCreate,
    *,
    site: Site,
    category: EvacuationCategory,
    intention: Intention,
    intention_date: dt.date,
    actor: Actor,
    prefix: str = "",
) -> Person:
    now = uow.now()
    birth, phones = household_rows.birth_and_phones(
        cmd, today=latest_today(now), phone_region=uow.default_phone_region, prefix=prefix
    )
    person = Person(
        id=new_id(),  # known before flush: the name tokens refer to it
        site_id=site.id,
        merged_into_id=None,  # set, not defaulted at flush: register_household_returning reads it back
        source_key=None,
        sex=cmd.sex,
        place_of_birth=cmd.place_of_birth,
        nationalities=list(cmd.nationalities),
        languages=list(cmd.languages),
        category=cmd.category or category,
        relationship_to_head=cmd.relationship_to_head,
        created_at=now,
        updated_at=now,
    )
    person.set_birth_date(birth)
    names = spelled_names(*name_parts(cmd))
    person.names = name_rows(names)
    person.documents = [
        Document(
            type=d.type,
            number=d.number,
            number_key=document_number_key(d.number),
            issuing_country=d.issuing_country,
            expiry_date=d.expiry_date,
        )
        for d in cmd.documents
    ]
    person.phones = [Phone(e164=p) for p in dict.fromkeys(phones)]
    person.needs = [PersonNeed(code=code) for code in sorted(set(cmd.needs))]  # loaded even when empty
    person.state_intention(
        cmd.intention or intention, stated_on=intention_date, recorded_at=now, recorded_by=actor.username
    )
    for consent in cmd.consents:
        person.record_consent(consent_record(uow, consent, actor))
    if cmd.protection is not None and not cmd.protection.is_empty():
        seal_protection(uow, person, cmd.protection.model_dump())  # sealed under the site's key
    person.tokens = [NameToken(token=token) for token in sorted(tokens_of(n.text for n in names))]
    return person


def consent_record(uow: UnitOfWork, cmd: schemas.ConsentCreate, actor: Actor) -> ConsentRecord:
    now = uow.now()
    decided = cmd.decided_at or now
    if decided > now + dt.timedelta(minutes=5):
        raise Invalid(
            say("consent cannot be dated in the future"),
            problems=[FieldProblem("decided_at", say("in the future"))],
        )
    return ConsentRecord(
        purpose=cmd.purpose,
        partner=cmd.partner,
        decision=cmd.decision,
        method=cmd.method,
        decided_at=decided,
        recorded_at=now,
        recorded_by=actor.username,
        note=cmd.note,
    )


def register_household(
    uow: UnitOfWork, cmd: schemas.HouseholdCreate, *, actor: Actor, source_key: str | None = None
) -> uuid.UUID:
    """Register a household and all its members in one transaction. With ``source_key`` (a partner
    list's row identity), registering the same source again returns the first household unchanged."""
    household = _register_household(uow, cmd, actor=actor, source_key=source_key)
    return household if isinstance(household, uuid.UUID) else household.id


def register_household_returning(
    uow: UnitOfWork, cmd: schemas.HouseholdCreate, *, actor: Actor
) -> schemas.HouseholdRead:
    """``register_household``, returning the household as written (what a read of it returns), for
    the caller to present without reading it back."""
    household = _register_household(uow, cmd, actor=actor, source_key=None)
    if not isinstance(household, schemas.HouseholdRead):  # pragma: no cover - only a source key finds one
        raise Conflict(say("the household exists already"))
    return household


def _register_household(
    uow: UnitOfWork, cmd: schemas.HouseholdCreate, *, actor: Actor, source_key: str | None
) -> schemas.HouseholdRead | uuid.UUID:
    """The household's rows are built in memory and inserted without the ORM unit of work
    (``household_rows``: same rules, same history and audit entries), in one transaction."""
    require(actor, Permission.REGISTRY_WRITE)
    for member in cmd.members:
        check_protection_permission(actor, member.protection)
    with uow.acting(actor):
        conn = uow.session.connection()  # Core reads: no ORM objects on this path
        if source_key is not None:
            existing: uuid.UUID | None = conn.scalar(
                select(Household.id).where(Household.source_key == source_key)
            )
            if existing is not None:
                return existing
        site_id: uuid.UUID | None = conn.scalar(select(Site.id).where(Site.id == cmd.site_id))
        if site_id is None:
            raise NotFound(say("site %(id)s does not exist", id=cmd.site_id))
        require_site(actor, site_id)
        now = uow.now()
        ctx = household_rows.Context(
            now=now,
            actor=actor.username,
            phone_region=uow.default_phone_region,
            site_id=site_id,
            category=cmd.category,
            intention=cmd.intention,
            stated_on=cmd.intention_date or now.date(),
        )
        rows = household_rows.household_rows(uow, cmd, ctx, source_key)
        household_rows.write(uow, rows)
        uow.commit()
        return schemas.HouseholdRead(
            id=rows.household_id,
            site_id=site_id,
            status=HouseholdStatus.ACTIVE,
            merged_into_id=None,
            head_id=next(m.id for m in rows.members if m.relationship_to_head == Relationship.HEAD),
            members=sorted(rows.members, key=lambda m: (m.relationship_to_head != Relationship.HEAD, m.id)),
            created_at=now,
            updated_at=now,
        )


def add_person(
    uow: UnitOfWork, household_id: uuid.UUID, cmd: schemas.PersonCreate, *, actor: Actor
) -> uuid.UUID:
    """Register one more person into an existing household (a newborn, a relative who arrived)."""
    require(actor, Permission.REGISTRY_WRITE)
    check_protection_permission(actor, cmd.protection)
    with uow.acting(actor):
        household = get_household_or_raise(uow, household_id, actor=actor)
        if cmd.relationship_to_head == Relationship.HEAD:
            raise Invalid(
                say("the household has a head: use change-head after adding"),
                problems=[FieldProblem("relationship_to_head", say("the household has a head already"))],
            )
        head = household.head
        person = _build_person(
            uow,
            cmd,
            site=household.site,
            category=head.category if head else EvacuationCategory.OTHER,
            intention=head.intention if head else Intention.UNDECIDED,
            intention_date=uow.now().date(),
            actor=actor,
        )
        household.add_member(person, cmd.relationship_to_head)
        uow.session.add(person)
        household.updated_at = uow.now()
        uow.commit()
        return person.id
