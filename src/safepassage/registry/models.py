"""Registry models. Invariants and state transitions are methods here, with no session inside.

Names are stored exactly as written, one row per spelling, with the script and the search keys
(``safepassage.shared.text``). Birth dates are partial: year, month and day are separate and any
may be missing. Protection attributes live in their own table so they can be encrypted apart.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safepassage.db import Base, JSONType, UTCDateTime, code_column
from safepassage.registry.codes import (
    ConsentDecision,
    ConsentMethod,
    ConsentPurpose,
    DocumentType,
    EvacuationCategory,
    HouseholdStatus,
    Intention,
    NamePart,
    Relationship,
    Sex,
    SiteKind,
    SpecificNeed,
)
from safepassage.shared.dates import DatePrecision, PartialDate
from safepassage.shared.errors import Conflict, Invalid
from safepassage.shared.i18n import say
from safepassage.shared.ids import new_id

S = String(40)


class Site(Base):
    __tablename__ = "sites"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[SiteKind] = mapped_column(code_column(SiteKind))
    country: Mapped[str] = mapped_column(String(2))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    bed_capacity: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Household(Base):
    __tablename__ = "households"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"), index=True)
    status: Mapped[HouseholdStatus] = mapped_column(
        code_column(HouseholdStatus), default=HouseholdStatus.ACTIVE
    )
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("households.id"))
    source_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    members: Mapped[list[Person]] = relationship(
        back_populates="household", order_by="Person.id", foreign_keys="Person.household_id"
    )
    site: Mapped[Site] = relationship()

    @property
    def head(self) -> Person | None:
        heads = [m for m in self.members if m.relationship_to_head == Relationship.HEAD]
        return heads[0] if heads else None

    def check_one_head(self) -> None:
        if self.status != HouseholdStatus.ACTIVE:
            return
        heads = [m for m in self.members if m.relationship_to_head == Relationship.HEAD]
        if len(heads) != 1:
            raise Invalid(
                say("a household has exactly one head; this one would have %(heads)s", heads=len(heads))
            )

    def add_member(self, person: Person, relationship_to_head: Relationship) -> None:
        if self.status != HouseholdStatus.ACTIVE:
            raise Conflict(say("members can only join an active household"))
        if relationship_to_head == Relationship.HEAD and self.head is not None:
            raise Invalid(say("this household has a head already: change the head instead"))
        person.household = self
        person.relationship_to_head = relationship_to_head

    def change_head(self, new_head: Person, *, former_head_becomes: Relationship) -> None:
        if new_head not in self.members:
            raise Invalid(say("the new head must be a member of the household"))
        if former_head_becomes == Relationship.HEAD:
            raise Invalid(say("the former head needs a relationship other than head"))
        old = self.head
        if old is new_head:
            return
        if old is not None:
            old.relationship_to_head = former_head_becomes
        new_head.relationship_to_head = Relationship.HEAD

    def remove_member(self, person: Person, *, new_head: Person | None = None) -> None:
        """Take ``person`` out. Removing the head requires naming another member as head."""
        if person not in self.members:
            raise Invalid(say("this person is not a member of the household"))
        if person.relationship_to_head == Relationship.HEAD:
            others = [m for m in self.members if m is not person]
            if others and new_head is None:
                raise Invalid(say("removing the head requires naming another member as the new head"))
            if new_head is not None:
                if new_head is person or new_head not in others:
                    raise Invalid(say("the new head must be another member of the household"))
                new_head.relationship_to_head = Relationship.HEAD
        self.members.remove(person)
        person.household = None
        if not self.members:
            self.status = HouseholdStatus.DISSOLVED


class Person(Base):
    __tablename__ = "persons"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    household_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("households.id"), index=True)
    relationship_to_head: Mapped[Relationship] = mapped_column(
        code_column(Relationship), default=Relationship.HEAD
    )
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"), index=True)
    sex: Mapped[Sex] = mapped_column(code_column(Sex), default=Sex.UNKNOWN)
    birth_year: Mapped[int | None] = mapped_column(Integer)
    birth_month: Mapped[int | None] = mapped_column(Integer)
    birth_day: Mapped[int | None] = mapped_column(Integer)
    birth_precision: Mapped[DatePrecision] = mapped_column(
        code_column(DatePrecision), default=DatePrecision.UNKNOWN
    )
    birth_estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    place_of_birth: Mapped[str | None] = mapped_column(String(200))
    nationalities: Mapped[list[str]] = mapped_column(JSONType, default=list)
    languages: Mapped[list[str]] = mapped_column(JSONType, default=list)
    category: Mapped[EvacuationCategory] = mapped_column(code_column(EvacuationCategory), index=True)
    intention: Mapped[Intention] = mapped_column(
        code_column(Intention), index=True, default=Intention.UNDECIDED
    )
    intention_date: Mapped[dt.date | None] = mapped_column(Date)
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id"))
    source_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    household: Mapped[Household | None] = relationship(back_populates="members", foreign_keys=[household_id])
    names: Mapped[list[PersonName]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="PersonName.position"
    )
    documents: Mapped[list[Document]] = relationship(cascade="all, delete-orphan", order_by="Document.id")
    phones: Mapped[list[Phone]] = relationship(cascade="all, delete-orphan", order_by="Phone.id")
    needs: Mapped[list[PersonNeed]] = relationship(cascade="all, delete-orphan", order_by="PersonNeed.code")
    intentions: Mapped[list[IntentionStatement]] = relationship(
        cascade="all, delete-orphan", order_by="IntentionStatement.id"
    )
    consents: Mapped[list[ConsentRecord]] = relationship(
        cascade="all, delete-orphan", order_by="ConsentRecord.id"
    )
    protection: Mapped[ProtectionAttributes | None] = relationship(cascade="all, delete-orphan")
    stays: Mapped[list[SiteStay]] = relationship(cascade="all, delete-orphan", order_by="SiteStay.id")
    tokens: Mapped[list[NameToken]] = relationship(cascade="all, delete-orphan")
    site: Mapped[Site] = relationship()

    # -- birth date ---------------------------------------------------------------------------------
    @property
    def birth_date(self) -> PartialDate:
        return PartialDate(self.birth_year, self.birth_month, self.birth_day, self.birth_estimated)

    def set_birth_date(self, value: PartialDate) -> None:
        self.birth_year, self.birth_month, self.birth_day = value.year, value.month, value.day
        self.birth_precision = value.precision
        self.birth_estimated = value.estimated

    # -- names --------------------------------------------------------------------------------------
    def primary_name(self, part: NamePart) -> PersonName | None:
        for name in self.names:
            if name.part == part and name.is_primary:
                return name
        return None

    def display_name(self) -> str:
        parts = [self.primary_name(p) for p in (NamePart.GIVEN, NamePart.FATHER, NamePart.FAMILY)]
        return " ".join(n.text for n in parts if n is not None) or "—"

    def latin_display_name(self) -> str:
        parts = [self.primary_name(p) for p in (NamePart.GIVEN, NamePart.FATHER, NamePart.FAMILY)]
        return " ".join(n.latin_key.title() for n in parts if n is not None and n.latin_key) or "—"

    # -- needs --------------------------------------------------------------------------------------
    def set_needs(self, codes: list[SpecificNeed]) -> None:
        wanted = set(codes)
        self.needs[:] = [n for n in self.needs if n.code in wanted]
        have = {n.code for n in self.needs}
        for code in sorted(wanted - have):
            self.needs.append(PersonNeed(code=code))

    @property
    def need_codes(self) -> list[SpecificNeed]:
        return sorted(n.code for n in self.needs)

    # -- intention ----------------------------------------------------------------------------------
    def state_intention(
        self, intention: Intention, *, stated_on: dt.date, recorded_at: dt.datetime, recorded_by: str
    ) -> IntentionStatement:
        """Record what the person says now. Earlier statements stay in the history."""
        statement = IntentionStatement(
            intention=intention, stated_on=stated_on, recorded_at=recorded_at, recorded_by=recorded_by
        )
        self.intentions.append(statement)
        latest = max(self.intentions, key=lambda s: (s.stated_on, s.recorded_at))
        self.intention = latest.intention
        self.intention_date = latest.stated_on
        return statement

    # -- consent ------------------------------------------------------------------------------------
    def record_consent(self, record: ConsentRecord) -> None:
        if record.purpose == ConsentPurpose.PARTNER_SHARING and not record.partner:
            raise Invalid(say("consent to share needs the partner's name"), problems=[])
        if record.purpose != ConsentPurpose.PARTNER_SHARING and record.partner:
            raise Invalid(say("only consent to share names a partner"))
        self.consents.append(record)

    def consent_in_force(self, purpose: ConsentPurpose, partner: str | None = None) -> bool:
        """True when the latest decision for this purpose (and partner) is "given"."""
        key = (partner or "").casefold()
        relevant = [c for c in self.consents if c.purpose == purpose and (c.partner or "").casefold() == key]
        if not relevant:
            return False
        latest = max(relevant, key=lambda c: (c.decided_at, c.recorded_at))
        return latest.decision == ConsentDecision.GIVEN

    # -- presence -----------------------------------------------------------------------------------
    @property
    def current_stay(self) -> SiteStay | None:
        for stay in self.stays:
            if stay.checked_out_at is None:
                return stay
        return None

    def check_in(self, site: Site, *, at: dt.datetime, by: str) -> SiteStay:
        """Arrive at ``site``. Being checked in elsewhere ends that stay at the same moment."""
        current = self.current_stay
        if current is not None:
            if current.site_id == site.id:
                return current  # checking in twice is harmless
            current.checked_out_at = at
            current.checked_out_by = by
        stay = SiteStay(site=site, site_id=site.id, checked_in_at=at, checked_in_by=by)
        self.stays.append(stay)
        return stay

    def check_out(self, *, at: dt.datetime, by: str) -> SiteStay:
        current = self.current_stay
        if current is None:
            raise Conflict(say("this person is not checked in anywhere"))
        if at < current.checked_in_at:
            raise Invalid(say("check-out cannot be before check-in"))
        current.checked_out_at = at
        current.checked_out_by = by
        return current


class PersonName(Base):
    __tablename__ = "person_names"
    __table_args__ = (
        Index("ix_person_names_skeleton", "skeleton_key"),
        Index("ix_person_names_latin", "latin_key"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    part: Mapped[NamePart] = mapped_column(code_column(NamePart))
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(String(200))  # exactly as written
    script: Mapped[str] = mapped_column(S)
    is_primary: Mapped[bool] = mapped_column(Boolean, default=True)
    latin_key: Mapped[str] = mapped_column(Text)
    skeleton_key: Mapped[str] = mapped_column(Text)

    person: Mapped[Person] = relationship(back_populates="names")


class NameToken(Base):
    """One skeleton token of one of a person's names: the index behind search in any script."""

    __tablename__ = "name_tokens"

    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    token: Mapped[str] = mapped_column(Text, primary_key=True)

    __table_args__ = (Index("ix_name_tokens_token_person", "token", "person_id"),)


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    type: Mapped[DocumentType] = mapped_column(code_column(DocumentType))
    number: Mapped[str] = mapped_column(String(60))
    number_key: Mapped[str] = mapped_column(String(60), index=True)
    issuing_country: Mapped[str | None] = mapped_column(String(2))
    expiry_date: Mapped[dt.date | None] = mapped_column(Date)


class Phone(Base):
    __tablename__ = "phones"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    e164: Mapped[str] = mapped_column(String(20), index=True)


class PersonNeed(Base):
    __tablename__ = "person_needs"

    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[SpecificNeed] = mapped_column(code_column(SpecificNeed), primary_key=True)

    __table_args__ = (Index("ix_person_needs_code", "code", "person_id"),)


class IntentionStatement(Base):
    __tablename__ = "intention_statements"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    intention: Mapped[Intention] = mapped_column(code_column(Intention))
    stated_on: Mapped[dt.date] = mapped_column(Date)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(80))


class ConsentRecord(Base):
    __tablename__ = "consent_records"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[ConsentPurpose] = mapped_column(code_column(ConsentPurpose))
    partner: Mapped[str | None] = mapped_column(String(120))
    decision: Mapped[ConsentDecision] = mapped_column(code_column(ConsentDecision))
    method: Mapped[ConsentMethod] = mapped_column(code_column(ConsentMethod))
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(80))
    note: Mapped[str | None] = mapped_column(Text)


class ProtectionAttributes(Base):
    """Religion or sect, ethnicity, protection narrative, medical detail: kept apart from the rest,
    left out of every list, log and export, and each stored sealed under the data key of the
    person's site (``spf1:...`` envelope text, ``registry.protection``): never plaintext. Written
    and read only through ``registry.protection`` (seal on write; open with a purpose, audited)."""

    __tablename__ = "protection_attributes"

    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    religion: Mapped[str | None] = mapped_column(Text)
    ethnicity: Mapped[str | None] = mapped_column(Text)
    narrative: Mapped[str | None] = mapped_column(Text)
    medical_detail: Mapped[str | None] = mapped_column(Text)
    # minimisation: why they were collected, when, and until when they may be kept
    purpose: Mapped[str | None] = mapped_column(String(40))
    collected_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    retain_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)


PROTECTED_FIELDS = ("religion", "ethnicity", "narrative", "medical_detail")


class SiteStay(Base):
    """A person's presence at a site, from check-in to check-out. Occupancy counts open stays."""

    __tablename__ = "site_stays"
    __table_args__ = (Index("ix_site_stays_open", "site_id", "checked_out_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"))
    checked_in_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    checked_in_by: Mapped[str] = mapped_column(String(80))
    checked_out_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    checked_out_by: Mapped[str | None] = mapped_column(String(80))

    site: Mapped[Site] = relationship()


class ImportBatch(Base):
    """One run of the bulk import over one file: its counts and where its rejects went."""

    __tablename__ = "import_batches"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    filename: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(String(120))
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    persons_created: Mapped[int] = mapped_column(Integer, default=0)
    households_created: Mapped[int] = mapped_column(Integer, default=0)
    rows_already_imported: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    rejects_path: Mapped[str | None] = mapped_column(String(500))
    actor: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(S, default="running")


__all__ = [
    "PROTECTED_FIELDS",
    "ConsentRecord",
    "Document",
    "Household",
    "ImportBatch",
    "IntentionStatement",
    "NameToken",
    "Person",
    "PersonName",
    "PersonNeed",
    "Phone",
    "ProtectionAttributes",
    "Site",
    "SiteStay",
]


def _track_history() -> None:
    from safepassage.history import track

    track(Site)
    track(Household)
    track(Person)
    for child in (PersonName, Document, Phone, PersonNeed, IntentionStatement, ConsentRecord, SiteStay):
        track(child, subject="person_id")
    track(ProtectionAttributes, subject="person_id", masked=frozenset(PROTECTED_FIELDS))


_track_history()
