"""Registry use cases: the only code that changes registry data.

Each function checks permission through the policy, changes state through model methods, and commits
once. The change history is written by ``safepassage.history`` in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from safepassage.registry import schemas
from safepassage.registry.codes import (
    EvacuationCategory,
    HouseholdStatus,
    Intention,
    NamePart,
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
    ProtectionAttributes,
    Site,
)
from safepassage.registry.naming import SpelledName, name_parts, spell, spelled_names, tokens_of
from safepassage.security.policy import Actor, Permission, require
from safepassage.shared.errors import Conflict, FieldProblem, Forbidden, Invalid, NotFound
from safepassage.shared.ids import new_id
from safepassage.shared.reference import document_number_key, normalise_phone
from safepassage.uow import UnitOfWork

# ---------------------------------------------------------------------------------------------------
# Lookups


def get_site_or_raise(uow: UnitOfWork, site_id: uuid.UUID) -> Site:
    site = uow.session.get(Site, site_id)
    if site is None:
        raise NotFound(f"site {site_id} does not exist")
    return site


def get_site_by_code_or_raise(uow: UnitOfWork, code: str) -> Site:
    site = uow.session.scalar(select(Site).where(Site.code == code))
    if site is None:
        raise NotFound(f"site '{code}' does not exist")
    return site


def get_person_or_raise(uow: UnitOfWork, person_id: uuid.UUID) -> Person:
    person = uow.session.get(Person, person_id)
    if person is None or person.merged_into_id is not None:
        raise NotFound(f"person {person_id} does not exist")
    return person


def get_household_or_raise(uow: UnitOfWork, household_id: uuid.UUID) -> Household:
    household = uow.session.scalar(
        select(Household).where(Household.id == household_id).options(selectinload(Household.members))
    )
    if household is None:
        raise NotFound(f"household {household_id} does not exist")
    return household


# ---------------------------------------------------------------------------------------------------
# Sites


def create_site(uow: UnitOfWork, cmd: schemas.SiteCreate, *, actor: Actor) -> uuid.UUID:
    require(actor, Permission.SITE_MANAGE)
    with uow.acting(actor.username):
        if uow.session.scalar(select(Site.id).where(Site.code == cmd.code)) is not None:
            raise Conflict(
                f"a site with code '{cmd.code}' exists already",
                problems=[FieldProblem("code", "already in use")],
            )
        site = Site(created_at=uow.now(), **cmd.model_dump())
        uow.session.add(site)
        uow.commit()
        return site.id


def update_site(uow: UnitOfWork, site_id: uuid.UUID, cmd: schemas.SiteUpdate, *, actor: Actor) -> None:
    require(actor, Permission.SITE_MANAGE)
    with uow.acting(actor.username):
        site = get_site_or_raise(uow, site_id)
        for key, value in cmd.model_dump(exclude_unset=True).items():
            if value is None and key in {"name", "kind", "bed_capacity"}:
                raise Invalid(f"{key} cannot be empty", problems=[FieldProblem(key, "cannot be empty")])
            setattr(site, key, value)
        uow.commit()


# ---------------------------------------------------------------------------------------------------
# Persons and households


def _name_rows(names: list[SpelledName]) -> list[PersonName]:
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


def _set_tokens(person: Person) -> None:
    names = [
        SpelledName(n.part, n.position, n.text, n.script, n.is_primary, n.latin_key, n.skeleton_key)
        for n in person.names
    ]
    wanted = tokens_of(names)
    person.tokens[:] = [t for t in person.tokens if t.token in wanted]
    have = {t.token for t in person.tokens}
    person.tokens.extend(NameToken(token=token) for token in sorted(wanted - have))


def _check_protection_permission(actor: Actor, protection: schemas.ProtectionInput | None) -> None:
    if protection is not None and not protection.is_empty() and not actor.can(Permission.PROTECTED_WRITE):
        raise Forbidden("your role may not record protection attributes")


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
    try:
        birth = cmd.birth_date.parse(today=now.date())
    except ValueError as exc:
        raise Invalid(str(exc), problems=[FieldProblem(f"{prefix}birth_date", str(exc))]) from None
    phones: list[str] = []
    for i, raw in enumerate(cmd.phones):
        try:
            phones.append(normalise_phone(raw, uow.default_phone_region))
        except ValueError as exc:
            raise Invalid(str(exc), problems=[FieldProblem(f"{prefix}phones.{i}", str(exc))]) from None
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
    person.names = _name_rows(names)
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
        person.record_consent(_consent_record(uow, consent, actor))
    if cmd.protection is not None and not cmd.protection.is_empty():
        person.protection = ProtectionAttributes(**cmd.protection.model_dump())
    person.tokens = [NameToken(token=token) for token in sorted(tokens_of(names))]
    return person


def _consent_record(uow: UnitOfWork, cmd: schemas.ConsentCreate, actor: Actor) -> ConsentRecord:
    now = uow.now()
    decided = cmd.decided_at or now
    if decided > now + dt.timedelta(minutes=5):
        raise Invalid(
            "consent cannot be dated in the future", problems=[FieldProblem("decided_at", "in the future")]
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


def register_household_returning(uow: UnitOfWork, cmd: schemas.HouseholdCreate, *, actor: Actor) -> Household:
    """``register_household``, returning the household as written: committed and detached, with its
    members and their names and needs loaded, for the caller to present without reading it back."""
    household = _register_household(uow, cmd, actor=actor, source_key=None)
    if not isinstance(household, Household):  # pragma: no cover - only a source key finds an existing one
        raise Conflict("the household exists already")
    return household


def _register_household(
    uow: UnitOfWork, cmd: schemas.HouseholdCreate, *, actor: Actor, source_key: str | None
) -> Household | uuid.UUID:
    require(actor, Permission.REGISTRY_WRITE)
    for member in cmd.members:
        _check_protection_permission(actor, member.protection)
    with uow.acting(actor.username):
        if source_key is not None:
            existing = uow.session.scalar(select(Household.id).where(Household.source_key == source_key))
            if existing is not None:
                return existing
        site = get_site_or_raise(uow, cmd.site_id)
        now = uow.now()
        household = Household(
            site_id=site.id,
            status=HouseholdStatus.ACTIVE,
            merged_into_id=None,
            source_key=source_key,
            created_at=now,
            updated_at=now,
        )
        uow.session.add(household)
        stated_on = cmd.intention_date or now.date()
        for i, member in enumerate(cmd.members):
            person = _build_person(
                uow,
                member,
                site=site,
                category=cmd.category,
                intention=cmd.intention,
                intention_date=stated_on,
                actor=actor,
                prefix=f"members.{i}.",
            )
            household.members.append(person)
            uow.session.add(person)
        household.check_one_head()
        uow.commit()
        return household


def add_person(
    uow: UnitOfWork, household_id: uuid.UUID, cmd: schemas.PersonCreate, *, actor: Actor
) -> uuid.UUID:
    """Register one more person into an existing household (a newborn, a relative who arrived)."""
    require(actor, Permission.REGISTRY_WRITE)
    _check_protection_permission(actor, cmd.protection)
    with uow.acting(actor.username):
        household = get_household_or_raise(uow, household_id)
        if cmd.relationship_to_head == Relationship.HEAD:
            raise Invalid(
                "the household has a head: use change-head after adding",
                problems=[FieldProblem("relationship_to_head", "the household has a head already")],
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


def update_person(uow: UnitOfWork, person_id: uuid.UUID, cmd: schemas.PersonUpdate, *, actor: Actor) -> None:
    require(actor, Permission.REGISTRY_WRITE)
    _check_protection_permission(actor, cmd.protection)
    with uow.acting(actor.username):
        person = get_person_or_raise(uow, person_id)
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
            raise Invalid("a person needs a given name", problems=[FieldProblem("given_name", "required")])
        if cmd.birth_date is not None:
            try:
                person.set_birth_date(cmd.birth_date.parse(today=uow.now().date()))
            except ValueError as exc:
                raise Invalid(str(exc), problems=[FieldProblem("birth_date", str(exc))]) from None
        for key in ("sex", "place_of_birth", "nationalities", "languages", "category"):
            if key in data:
                if data[key] is None and key in {"sex", "category"}:
                    raise Invalid(f"{key} cannot be empty", problems=[FieldProblem(key, "cannot be empty")])
                setattr(
                    person,
                    key,
                    data[key]
                    if data[key] is not None
                    else ([] if key in {"nationalities", "languages"} else None),
                )
        if cmd.needs is not None:
            person.set_needs(list(cmd.needs))
        if cmd.protection is not None:
            values = cmd.protection.model_dump(exclude_unset=True)
            if person.protection is None:
                person.protection = ProtectionAttributes(**values)
            else:
                for key, value in values.items():
                    setattr(person.protection, key, value)
        if renamed:
            _set_tokens(person)
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
    person.names.extend(_name_rows([new]))


def add_spelling(uow: UnitOfWork, person_id: uuid.UUID, cmd: schemas.SpellingCreate, *, actor: Actor) -> None:
    require(actor, Permission.REGISTRY_WRITE)
    with uow.acting(actor.username):
        person = get_person_or_raise(uow, person_id)
        position = max((n.position for n in person.names), default=-1) + 1
        new = spell(cmd.part, cmd.text, position=position, is_primary=False)
        if any(n.part == cmd.part and n.text == new.text for n in person.names):
            return
        person.names.extend(_name_rows([new]))
        _set_tokens(person)
        person.updated_at = uow.now()
        uow.commit()


def add_document(
    uow: UnitOfWork, person_id: uuid.UUID, cmd: schemas.DocumentCreate, *, actor: Actor
) -> uuid.UUID:
    require(actor, Permission.REGISTRY_WRITE)
    with uow.acting(actor.username):
        person = get_person_or_raise(uow, person_id)
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
    with uow.acting(actor.username):
        person = get_person_or_raise(uow, person_id)
        if all(p.e164 != e164 for p in person.phones):
            person.phones.append(Phone(e164=e164))
            person.updated_at = uow.now()
            uow.commit()
        return e164


def state_intention(
    uow: UnitOfWork, person_id: uuid.UUID, cmd: schemas.IntentionCreate, *, actor: Actor
) -> None:
    require(actor, Permission.REGISTRY_WRITE)
    with uow.acting(actor.username):
        person = get_person_or_raise(uow, person_id)
        now = uow.now()
        stated_on = cmd.stated_on or now.date()
        if stated_on > now.date():
            raise Invalid(
                "an intention cannot be stated in the future",
                problems=[FieldProblem("stated_on", "in the future")],
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
    with uow.acting(actor.username):
        person = get_person_or_raise(uow, person_id)
        record = _consent_record(uow, cmd, actor)
        person.record_consent(record)
        person.updated_at = uow.now()
        uow.commit()
        return record.id


def check_in(uow: UnitOfWork, person_id: uuid.UUID, cmd: schemas.CheckIn, *, actor: Actor) -> None:
    require(actor, Permission.REGISTRY_WRITE)
    with uow.acting(actor.username):
        person = get_person_or_raise(uow, person_id)
        site = get_site_or_raise(uow, cmd.site_id)
        at = cmd.at or uow.now()
        current = person.current_stay
        if current is not None and at < current.checked_in_at:
            raise Invalid(
                "check-in cannot be before the current stay began",
                problems=[FieldProblem("at", "before the current check-in")],
            )
        person.check_in(site, at=at, by=actor.username)
        uow.commit()


def check_out(uow: UnitOfWork, person_id: uuid.UUID, cmd: schemas.CheckOut, *, actor: Actor) -> None:
    require(actor, Permission.REGISTRY_WRITE)
    with uow.acting(actor.username):
        person = get_person_or_raise(uow, person_id)
        person.check_out(at=cmd.at or uow.now(), by=actor.username)
        uow.commit()


# ---------------------------------------------------------------------------------------------------
# Household composition


def change_head(uow: UnitOfWork, household_id: uuid.UUID, cmd: schemas.HeadChange, *, actor: Actor) -> None:
    require(actor, Permission.REGISTRY_WRITE)
    with uow.acting(actor.username):
        household = get_household_or_raise(uow, household_id)
        new_head = get_person_or_raise(uow, cmd.new_head_id)
        household.change_head(new_head, former_head_becomes=cmd.former_head_becomes)
        household.check_one_head()
        household.updated_at = uow.now()
        uow.commit()


def add_member(uow: UnitOfWork, household_id: uuid.UUID, cmd: schemas.MemberAdd, *, actor: Actor) -> None:
    """Move a registered person into this household. A head leaving a household of several must
    first hand the headship to another member."""
    require(actor, Permission.REGISTRY_WRITE)
    with uow.acting(actor.username):
        household = get_household_or_raise(uow, household_id)
        person = get_person_or_raise(uow, cmd.person_id)
        if person.household_id == household.id:
            raise Conflict("this person is already a member of the household")
        previous = person.household
        if previous is not None:
            previous.remove_member(person)
            previous.updated_at = uow.now()
        household.add_member(person, cmd.relationship_to_head)
        household.check_one_head()
        household.updated_at = uow.now()
        uow.commit()


def remove_member(
    uow: UnitOfWork, household_id: uuid.UUID, person_id: uuid.UUID, cmd: schemas.MemberRemove, *, actor: Actor
) -> uuid.UUID:
    """Take a person out of a household; they become the head of a household of their own, which is
    returned. Removing the head requires naming another member as the new head."""
    return split_household(
        uow,
        household_id,
        schemas.HouseholdSplit(
            person_ids=[person_id], new_head_id=person_id, remaining_head_id=cmd.new_head_id
        ),
        actor=actor,
    )


def split_household(
    uow: UnitOfWork, household_id: uuid.UUID, cmd: schemas.HouseholdSplit, *, actor: Actor
) -> uuid.UUID:
    require(actor, Permission.REGISTRY_WRITE)
    if cmd.new_head_id not in cmd.person_ids:
        raise Invalid(
            "the new household's head must be one of the persons who leave",
            problems=[FieldProblem("new_head_id", "not among person_ids")],
        )
    with uow.acting(actor.username):
        household = get_household_or_raise(uow, household_id)
        member_ids = {m.id for m in household.members}
        leaving = [m for m in household.members if m.id in set(cmd.person_ids)]
        unknown = set(cmd.person_ids) - member_ids
        if unknown:
            raise Invalid(
                "some persons are not members of this household",
                problems=[FieldProblem("person_ids", f"not members: {', '.join(map(str, sorted(unknown)))}")],
            )
        staying = [m for m in household.members if m.id not in set(cmd.person_ids)]
        head = household.head
        if head is not None and head in leaving and staying:
            if cmd.remaining_head_id is None:
                raise Invalid(
                    "the head is leaving: name the head of those who stay",
                    problems=[FieldProblem("remaining_head_id", "required when the head leaves")],
                )
            remaining = next((m for m in staying if m.id == cmd.remaining_head_id), None)
            if remaining is None:
                raise Invalid(
                    "the remaining head must be a member who stays",
                    problems=[FieldProblem("remaining_head_id", "not among those who stay")],
                )
            remaining.relationship_to_head = Relationship.HEAD
            head.relationship_to_head = Relationship.OTHER_RELATIVE
        now = uow.now()
        new = Household(
            site_id=household.site_id, status=HouseholdStatus.ACTIVE, created_at=now, updated_at=now
        )
        uow.session.add(new)
        for person in leaving:
            household.members.remove(person)
            new.members.append(person)
            person.relationship_to_head = (
                Relationship.HEAD if person.id == cmd.new_head_id else Relationship.OTHER_RELATIVE
            )
        if not household.members:
            household.status = HouseholdStatus.DISSOLVED
        household.updated_at = now
        household.check_one_head()
        new.check_one_head()
        uow.commit()
        return new.id


def merge_households(
    uow: UnitOfWork, household_id: uuid.UUID, cmd: schemas.HouseholdMerge, *, actor: Actor
) -> None:
    """The other household's members join this one; its head becomes a member with the given
    relationship; the other household is closed as merged (and kept, for its history)."""
    require(actor, Permission.REGISTRY_WRITE)
    if cmd.other_household_id == household_id:
        raise Invalid(
            "a household cannot merge with itself",
            problems=[FieldProblem("other_household_id", "same household")],
        )
    with uow.acting(actor.username):
        household = get_household_or_raise(uow, household_id)
        other = get_household_or_raise(uow, cmd.other_household_id)
        for h in (household, other):
            if h.status != HouseholdStatus.ACTIVE:
                raise Conflict(f"household {h.id} is {h.status.value}, not active")
        if cmd.relationship_of_other_head == Relationship.HEAD:
            raise Invalid(
                "this household keeps its head; the other head needs another relationship",
                problems=[FieldProblem("relationship_of_other_head", "cannot be head")],
            )
        now = uow.now()
        for person in list(other.members):
            if person.relationship_to_head == Relationship.HEAD:
                person.relationship_to_head = cmd.relationship_of_other_head
            other.members.remove(person)
            household.members.append(person)
        other.status = HouseholdStatus.MERGED
        other.merged_into_id = household.id
        other.updated_at = now
        household.updated_at = now
        household.check_one_head()
        uow.commit()
