"""The read side of the registry: lists, pages, search and history. Never mutates.

Lists load what they show in a fixed number of queries (``selectinload``), never one per row.
Cursor pagination is keyset on the primary key (UUIDv7, so registration order).
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, false, func, select, union
from sqlalchemy.orm import aliased, selectinload

from safepassage.history import MASK, ChangeRecord
from safepassage.registry import schemas
from safepassage.registry.codes import (
    ConsentDecision,
    ConsentPurpose,
    EvacuationCategory,
    HouseholdStatus,
    Intention,
    SpecificNeed,
)
from safepassage.registry.models import (
    ConsentRecord,
    Document,
    Household,
    NameToken,
    Person,
    PersonNeed,
    Phone,
    Site,
    SiteStay,
)
from safepassage.registry.protection import open_protection, stated_purpose
from safepassage.registry.scoping import in_scope
from safepassage.security.policy import (
    Actor,
    FieldClass,
    Permission,
    require,
    require_record,
)
from safepassage.shared.errors import Invalid, NotFound
from safepassage.shared.i18n import say
from safepassage.shared.reference import document_number_key, phone_search_forms
from safepassage.shared.text import search_keys
from safepassage.uow import UnitOfWork

MAX_PAGE = 500


def encode_cursor(last_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(last_id.bytes).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> uuid.UUID | None:
    if not cursor:
        return None
    try:
        return uuid.UUID(bytes=base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError):
        raise Invalid(say("the cursor is not one this service gave out")) from None


# ---------------------------------------------------------------------------------------------------
# Persons


@dataclass
class PersonFilter:
    q: str | None = None  # name in any script, document number or phone
    name: str | None = None
    document: str | None = None
    phone: str | None = None
    site_id: uuid.UUID | None = None
    category: EvacuationCategory | None = None
    intention: Intention | None = None
    needs: list[SpecificNeed] = field(default_factory=list)
    household_id: uuid.UUID | None = None


def _name_keys(text: str) -> list[str]:
    return sorted(set(search_keys(text)))


def _with_name(stmt: Select[tuple[Any]], keys: list[str]) -> Select[tuple[Any]]:
    """Persons holding every token in ``keys``: one join on name_tokens per token. The (token,
    person_id) index gives each token's persons in id order, so a page of a common name ("Mohammed")
    is read from the index's first entries, and the rarest token drives a rare combination; a
    GROUP BY over every holder of every token would read them all before the first row."""
    for key in keys:
        token = aliased(NameToken)
        stmt = stmt.join(token, and_(token.person_id == Person.id, token.token == key))
    return stmt


def _document_key(text: str) -> str | None:
    key = document_number_key(text)
    return key if len(key) >= 3 else None


def _document_match(key: str) -> Select[tuple[uuid.UUID]]:
    return select(Document.person_id).where(Document.number_key == key)


def _phone_match(forms: list[str]) -> Select[tuple[uuid.UUID]]:
    return select(Phone.person_id).where(Phone.e164.in_(forms))


def _filtered(f: PersonFilter, region: str) -> Select[tuple[Person]] | None:
    """Persons matching every filter but ``q``; None when a filter can match nobody."""
    stmt = select(Person).where(Person.merged_into_id.is_(None))
    if f.name:
        keys = _name_keys(f.name)
        if not keys:
            return None
        stmt = _with_name(stmt, keys)
    if f.document:
        key = _document_key(f.document)
        if key is None:
            return None
        stmt = stmt.where(Person.id.in_(_document_match(key)))
    if f.phone:
        forms = phone_search_forms(f.phone, region)
        if not forms:
            return None
        stmt = stmt.where(Person.id.in_(_phone_match(forms)))
    if f.site_id:
        stmt = stmt.where(Person.site_id == f.site_id)
    if f.category:
        stmt = stmt.where(Person.category == f.category)
    if f.intention:
        stmt = stmt.where(Person.intention == f.intention)
    for need in f.needs:
        stmt = stmt.where(Person.id.in_(select(PersonNeed.person_id).where(PersonNeed.code == need)))
    if f.household_id:
        stmt = stmt.where(Person.household_id == f.household_id)
    return stmt


def person_search_statement(
    f: PersonFilter, region: str, after: uuid.UUID | None, size: int
) -> Select[tuple[Person]]:
    """The first ``size`` persons (by id, after ``after``) matching ``f``.

    ``q`` is a name, a document number or a phone number: each reading is its own branch, cut to a
    page in id order before they are united, so that no branch reads past one page; an OR of IN
    subqueries instead walks every person and tests each against every reading."""
    base = _filtered(f, region)
    if base is None:
        return select(Person).where(false()).limit(size)
    if after is not None:
        base = base.where(Person.id > after)
    if not f.q:
        return base.order_by(Person.id).limit(size)
    ids = base.with_only_columns(Person.id)
    branches = []
    keys = _name_keys(f.q)
    if keys:
        branches.append(_with_name(ids, keys))
    document = _document_key(f.q)
    if document is not None:
        branches.append(ids.where(Person.id.in_(_document_match(document))))
    forms = phone_search_forms(f.q, region)
    if forms:
        branches.append(ids.where(Person.id.in_(_phone_match(forms))))
    if not branches:
        return select(Person).where(false()).limit(size)
    pages = [select(b.order_by(Person.id).limit(size).subquery().c.id) for b in branches]
    found = pages[0] if len(pages) == 1 else union(*pages)
    return select(Person).where(Person.id.in_(found)).order_by(Person.id).limit(size)


def list_persons(
    uow: UnitOfWork, f: PersonFilter, *, actor: Actor, cursor: str | None = None, limit: int | None = None
) -> schemas.Page[schemas.PersonSummary]:
    require(actor, Permission.REGISTRY_READ)
    limit = max(1, min(limit or uow.page_size, MAX_PAGE))
    after = decode_cursor(cursor)
    with uow.acting(actor):
        stmt = (
            person_search_statement(f, uow.default_phone_region, after, limit + 1)
            .where(in_scope(Person.site_id, actor))
            .options(selectinload(Person.names), selectinload(Person.needs))
        )
        rows = list(uow.session.scalars(stmt))
        more = len(rows) > limit
        rows = rows[:limit]
        return schemas.Page[schemas.PersonSummary](
            items=[person_summary(p) for p in rows],
            next_cursor=encode_cursor(rows[-1].id) if more and rows else None,
        )


def _birth(p: Person) -> schemas.BirthDateRead:
    return schemas.BirthDateRead(
        value=p.birth_date.iso(), precision=p.birth_precision, estimated=p.birth_estimated
    )


def person_summary(p: Person) -> schemas.PersonSummary:
    return schemas.PersonSummary(
        id=p.id,
        household_id=p.household_id,
        display_name=p.display_name(),
        latin_name=p.latin_display_name(),
        sex=p.sex,
        birth_date=_birth(p),
        category=p.category,
        intention=p.intention,
        site_id=p.site_id,
        needs=p.need_codes,
        relationship_to_head=p.relationship_to_head,
    )


def consent_state(p: Person) -> list[schemas.ConsentState]:
    keys = sorted({(c.purpose, c.partner or "") for c in p.consents})
    return [
        schemas.ConsentState(
            purpose=purpose, partner=partner or None, in_force=p.consent_in_force(purpose, partner)
        )
        for purpose, partner in keys
    ]


def _audit_break_glass_read(
    uow: UnitOfWork, actor: Actor, entity: str, record_id: uuid.UUID, site_id: uuid.UUID
) -> None:
    """A record opened through a break-glass grant (not one of the actor's sites): the read itself
    goes on the audit trail, flagged for review."""
    if actor.covers(site_id):
        return
    uow.audit(
        f"{entity}.read",
        entity=entity,
        entity_id=record_id,
        site_id=site_id,
        flagged=True,
        details={"via": "break-glass"},
    )
    uow.commit()


def get_person(
    uow: UnitOfWork,
    person_id: uuid.UUID,
    *,
    actor: Actor,
    include_protection: bool = False,
    purpose: str | None = None,
) -> schemas.PersonRead:
    """The person. ``include_protection`` opens the protection attributes too, for a stated
    ``purpose`` (``registry.protection.open_protection``: checked, audited, committed first)."""
    require(actor, Permission.REGISTRY_READ)
    if include_protection:
        require(actor, Permission.PROTECTED_READ)
        stated_purpose(purpose)  # a missing purpose is refused before anything is read
    with uow.acting(actor):
        p = uow.session.scalar(
            select(Person)
            .where(Person.id == person_id, Person.merged_into_id.is_(None))
            .options(
                selectinload(Person.names),
                selectinload(Person.needs),
                selectinload(Person.documents),
                selectinload(Person.phones),
                selectinload(Person.intentions),
                selectinload(Person.consents),
                selectinload(Person.stays).selectinload(SiteStay.site),
                selectinload(Person.protection),
            )
        )
        if p is None:
            raise NotFound(say("person %(id)s does not exist", id=person_id))
        require_record(actor, p.site_id, p.id, what=f"person {person_id}")
        _audit_break_glass_read(uow, actor, "person", p.id, p.site_id)
        identifying = actor.may_read(FieldClass.IDENTIFYING)
        summary = person_summary(p)
        current = p.current_stay
        protection = open_protection(uow, p, actor=actor, purpose=purpose) if include_protection else None
        return schemas.PersonRead(
            **summary.model_dump(),
            names=[
                schemas.NameRead(
                    part=n.part, text=n.text, script=n.script, is_primary=n.is_primary, latin=n.latin_key
                )
                for n in p.names
            ],
            place_of_birth=p.place_of_birth,
            nationalities=list(p.nationalities),
            languages=list(p.languages),
            documents=[
                schemas.DocumentRead(
                    id=d.id,
                    type=d.type,
                    number=d.number,
                    issuing_country=d.issuing_country,
                    expiry_date=d.expiry_date,
                )
                for d in p.documents
                if identifying
            ],
            phones=[ph.e164 for ph in p.phones] if identifying else [],
            identifying_withheld=not identifying,
            intention_date=p.intention_date,
            intentions=[
                schemas.IntentionRead(
                    intention=s.intention,
                    stated_on=s.stated_on,
                    recorded_at=s.recorded_at,
                    recorded_by=s.recorded_by,
                )
                for s in p.intentions
            ],
            consents=[
                schemas.ConsentRead(
                    id=c.id,
                    purpose=c.purpose,
                    partner=c.partner,
                    decision=c.decision,
                    method=c.method,
                    decided_at=c.decided_at,
                    recorded_at=c.recorded_at,
                    recorded_by=c.recorded_by,
                )
                for c in p.consents
            ],
            consent_state=consent_state(p),
            current_site_id=current.site_id if current else None,
            stays=[
                schemas.StayRead(
                    site_id=s.site_id,
                    site_code=s.site.code,
                    checked_in_at=s.checked_in_at,
                    checked_out_at=s.checked_out_at,
                )
                for s in p.stays
            ],
            has_protection_data=p.protection is not None,
            protection=protection,
            created_at=p.created_at,
            updated_at=p.updated_at,
        )


def consent_in_force_filter(purpose: ConsentPurpose, partner: str | None = None) -> Select[tuple[uuid.UUID]]:
    """Persons whose latest decision for ``purpose`` (and ``partner``) is "given": the one rule that
    exports, sharing and (later) movement planning apply, so a withdrawal counts everywhere at once."""
    latest = (
        select(
            ConsentRecord.person_id,
            ConsentRecord.decision,
            func.row_number()
            .over(
                partition_by=ConsentRecord.person_id,
                order_by=(
                    ConsentRecord.decided_at.desc(),
                    ConsentRecord.recorded_at.desc(),
                    ConsentRecord.id.desc(),
                ),
            )
            .label("rank"),
        )
        .where(ConsentRecord.purpose == purpose)
        .where(func.lower(func.coalesce(ConsentRecord.partner, "")) == (partner or "").lower())
        .subquery()
    )
    return select(latest.c.person_id).where(
        and_(latest.c.rank == 1, latest.c.decision == ConsentDecision.GIVEN)
    )


# ---------------------------------------------------------------------------------------------------
# Households


def get_household(uow: UnitOfWork, household_id: uuid.UUID, *, actor: Actor) -> schemas.HouseholdRead:
    require(actor, Permission.REGISTRY_READ)
    with uow.acting(actor):
        h = uow.session.scalar(
            select(Household)
            .where(Household.id == household_id)
            .options(
                selectinload(Household.members).selectinload(Person.names),
                selectinload(Household.members).selectinload(Person.needs),
            )
        )
        if h is None:
            raise NotFound(say("household %(id)s does not exist", id=household_id))
        require_record(actor, h.site_id, h.id, what=f"household {household_id}")
        _audit_break_glass_read(uow, actor, "household", h.id, h.site_id)
        return household_read(h)


def household_read(h: Household) -> schemas.HouseholdRead:
    head = h.head
    return schemas.HouseholdRead(
        id=h.id,
        site_id=h.site_id,
        status=h.status,
        merged_into_id=h.merged_into_id,
        head_id=head.id if head else None,
        members=[
            person_summary(m)
            for m in sorted(h.members, key=lambda m: (m.relationship_to_head != "head", m.id))
        ],
        created_at=h.created_at,
        updated_at=h.updated_at,
    )


def list_households(
    uow: UnitOfWork,
    *,
    actor: Actor,
    site_id: uuid.UUID | None = None,
    cursor: str | None = None,
    limit: int | None = None,
    include_closed: bool = False,
) -> schemas.Page[schemas.HouseholdRead]:
    require(actor, Permission.REGISTRY_READ)
    limit = max(1, min(limit or uow.page_size, MAX_PAGE))
    after = decode_cursor(cursor)
    with uow.acting(actor):
        stmt = select(Household).where(in_scope(Household.site_id, actor))
        if not include_closed:
            stmt = stmt.where(Household.status == HouseholdStatus.ACTIVE)
        if site_id:
            stmt = stmt.where(Household.site_id == site_id)
        if after:
            stmt = stmt.where(Household.id > after)
        stmt = (
            stmt.order_by(Household.id)
            .limit(limit + 1)
            .options(
                selectinload(Household.members).selectinload(Person.names),
                selectinload(Household.members).selectinload(Person.needs),
            )
        )
        rows = list(uow.session.scalars(stmt))
        more = len(rows) > limit
        rows = rows[:limit]
        return schemas.Page[schemas.HouseholdRead](
            items=[household_read(h) for h in rows],
            next_cursor=encode_cursor(rows[-1].id) if more and rows else None,
        )


# ---------------------------------------------------------------------------------------------------
# Sites


def _occupancy(uow: UnitOfWork, site_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not site_ids:
        return {}
    rows = uow.session.execute(
        select(SiteStay.site_id, func.count())
        .where(SiteStay.site_id.in_(site_ids), SiteStay.checked_out_at.is_(None))
        .group_by(SiteStay.site_id)
    ).all()
    return {site_id: int(count) for site_id, count in rows}


def site_read(site: Site, occupancy: int) -> schemas.SiteRead:
    return schemas.SiteRead(
        id=site.id,
        code=site.code,
        name=site.name,
        kind=site.kind,
        country=site.country,
        latitude=site.latitude,
        longitude=site.longitude,
        bed_capacity=site.bed_capacity,
        occupancy=occupancy,
        free_beds=max(site.bed_capacity - occupancy, 0),
    )


def list_sites(uow: UnitOfWork, *, actor: Actor) -> list[schemas.SiteRead]:
    require(actor, Permission.AUTHENTICATED)
    with uow.acting(actor):
        sites = list(uow.session.scalars(select(Site).order_by(Site.country, Site.code)))
        occ = _occupancy(uow, [s.id for s in sites])
        return [site_read(s, occ.get(s.id, 0)) for s in sites]


def get_site(uow: UnitOfWork, site_id: uuid.UUID, *, actor: Actor) -> schemas.SiteRead:
    require(actor, Permission.AUTHENTICATED)
    with uow.acting(actor):
        site = uow.session.get(Site, site_id)
        if site is None:
            raise NotFound(say("site %(id)s does not exist", id=site_id))
        return site_read(site, _occupancy(uow, [site.id]).get(site.id, 0))


# ---------------------------------------------------------------------------------------------------
# History


def history(
    uow: UnitOfWork, subject_id: uuid.UUID, *, actor: Actor, limit: int = 500
) -> list[schemas.ChangeRead]:
    """Every recorded change of a person, household or site, newest first. Values of identifying
    fields (documents, phones) are masked for roles that may not read them."""
    require(actor, Permission.HISTORY_READ)
    with uow.acting(actor):
        _require_subject(uow, subject_id, actor)
        hide = set() if actor.may_read(FieldClass.IDENTIFYING) else IDENTIFYING_ENTITIES
        rows = uow.session.scalars(
            select(ChangeRecord)
            .where(ChangeRecord.subject_id == subject_id)
            .order_by(ChangeRecord.id.desc())
            .limit(limit)
        )
        return [
            schemas.ChangeRead(
                at=r.at,
                actor=r.actor,
                action=r.action,
                entity=r.entity,
                entity_id=r.entity_id,
                field=r.field,
                old_value=MASK if r.entity in hide and r.old_value is not None else r.old_value,
                new_value=MASK if r.entity in hide and r.new_value is not None else r.new_value,
            )
            for r in rows
        ]


# Change records of these entities hold identifying values (document numbers, phone numbers).
IDENTIFYING_ENTITIES = frozenset({"documents", "phones"})


def _require_subject(uow: UnitOfWork, subject_id: uuid.UUID, actor: Actor) -> None:
    """The history of a person or household is visible only where the record is; a site's to anyone
    signed in; anything else does not exist."""
    for model in (Person, Household):
        site_id = uow.session.scalar(select(model.site_id).where(model.id == subject_id))
        if site_id is not None:
            require_record(actor, site_id, subject_id, what="record")
            return
    if uow.session.get(Site, subject_id) is None:
        raise NotFound(say("record not found"))
