"""Registry schemas: commands in (``*Create``, ``*Update``), views out (``*Read``, ``*Page``).

The API and the pages never return ORM objects. Input validation here is about shape; rules that
need the database (a site exists, a household keeps one head) live in the services.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from safepassage.registry.codes import (
    CollectionPurpose,
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
    parse_need,
)
from safepassage.shared.dates import DatePrecision, PartialDate
from safepassage.shared.i18n import say
from safepassage.shared.reference import normalise_country, normalise_language

Name = Annotated[str, Field(max_length=200)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --------------------------------------------------------------------------------------------------
# Inputs


def _countries(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    return list(dict.fromkeys(normalise_country(v) for v in values if v.strip()))


def _languages(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    return list(dict.fromkeys(normalise_language(v) for v in values if v.strip()))


def _needs(values: object) -> object:
    if isinstance(values, list):
        return [parse_need(v) if isinstance(v, str) else v for v in values]
    return values


class OtherSpelling(Strict):
    part: NamePart
    text: Name = Field(min_length=1)


class DocumentCreate(Strict):
    type: DocumentType
    number: str = Field(min_length=1, max_length=60)
    issuing_country: str | None = None
    expiry_date: dt.date | None = None

    @field_validator("issuing_country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        return normalise_country(value) if value else None


class ConsentCreate(Strict):
    purpose: ConsentPurpose
    partner: str | None = Field(default=None, max_length=120)
    decision: ConsentDecision = ConsentDecision.GIVEN
    method: ConsentMethod
    decided_at: dt.datetime | None = Field(
        default=None, description="When it was given or withdrawn; now if omitted."
    )
    note: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _partner_only_for_sharing(self) -> ConsentCreate:
        if self.purpose == ConsentPurpose.PARTNER_SHARING and not self.partner:
            raise ValueError(say("consent to share needs the partner's name"))
        if self.purpose != ConsentPurpose.PARTNER_SHARING and self.partner:
            raise ValueError(say("only consent to share (partner_sharing) names a partner"))
        if self.decided_at is not None and self.decided_at.tzinfo is None:
            raise ValueError(say("decided_at needs a time zone (e.g. 2026-11-22T10:00:00Z)"))
        return self


class ProtectionInput(Strict):
    purpose: CollectionPurpose | None = Field(
        default=None,
        description="Why these details are collected (required with any value): sets how long they are kept.",
    )
    religion: str | None = Field(default=None, max_length=200)
    ethnicity: str | None = Field(default=None, max_length=200)
    narrative: str | None = Field(default=None, max_length=20000)
    medical_detail: str | None = Field(default=None, max_length=20000)

    def is_empty(self) -> bool:
        return not any((self.religion, self.ethnicity, self.narrative, self.medical_detail))


class BirthDateInput(Strict):
    """``value`` is ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (or DD/MM/YYYY); ``precision`` truncates it."""

    value: str | None = None
    precision: DatePrecision | None = None
    estimated: bool = False

    def parse(self, today: dt.date | None = None) -> PartialDate:
        return PartialDate.parse(self.value, precision=self.precision, estimated=self.estimated, today=today)


class PersonCreate(Strict):
    given_name: Name = Field(min_length=1)
    father_name: Name | None = None
    grandfather_name: Name | None = None
    family_name: Name | None = None
    other_spellings: list[OtherSpelling] = Field(default_factory=list, max_length=50)
    sex: Sex = Sex.UNKNOWN
    birth_date: BirthDateInput = Field(default_factory=BirthDateInput)
    place_of_birth: str | None = Field(default=None, max_length=200)
    nationalities: list[str] = Field(default_factory=list, max_length=5)
    languages: list[str] = Field(default_factory=list, max_length=10)
    documents: list[DocumentCreate] = Field(default_factory=list, max_length=10)
    phones: list[str] = Field(default_factory=list, max_length=5)
    needs: list[SpecificNeed] = Field(default_factory=list)
    category: EvacuationCategory | None = Field(default=None, description="Defaults to the household's.")
    intention: Intention | None = Field(default=None, description="Defaults to the household's.")
    relationship_to_head: Relationship = Relationship.HEAD
    consents: list[ConsentCreate] = Field(default_factory=list, max_length=20)
    protection: ProtectionInput | None = None

    _nationalities = field_validator("nationalities")(lambda cls, v: _countries(v))
    _languages = field_validator("languages")(lambda cls, v: _languages(v))
    _needs = field_validator("needs", mode="before")(lambda cls, v: _needs(v))


class HouseholdCreate(Strict):
    """Register a whole household at once: exactly one member is the head."""

    site_id: uuid.UUID
    category: EvacuationCategory
    intention: Intention = Intention.UNDECIDED
    intention_date: dt.date | None = None
    members: list[PersonCreate] = Field(min_length=1, max_length=40)

    @model_validator(mode="after")
    def _one_head(self) -> HouseholdCreate:
        heads = sum(1 for m in self.members if m.relationship_to_head == Relationship.HEAD)
        if heads != 1:
            raise ValueError(
                say("a household has exactly one head; %(heads)s members are marked head", heads=heads)
            )
        return self


class PersonUpdate(Strict):
    """Fields to change; those left out stay as they are."""

    given_name: Name | None = None
    father_name: Name | None = None
    grandfather_name: Name | None = None
    family_name: Name | None = None
    sex: Sex | None = None
    birth_date: BirthDateInput | None = None
    place_of_birth: str | None = Field(default=None, max_length=200)
    nationalities: list[str] | None = None
    languages: list[str] | None = None
    needs: list[SpecificNeed] | None = None
    category: EvacuationCategory | None = None
    protection: ProtectionInput | None = None

    _nationalities = field_validator("nationalities")(lambda cls, v: _countries(v))
    _languages = field_validator("languages")(lambda cls, v: _languages(v))
    _needs = field_validator("needs", mode="before")(lambda cls, v: _needs(v))


class IntentionCreate(Strict):
    intention: Intention
    stated_on: dt.date | None = Field(default=None, description="Today if omitted.")


class SpellingCreate(OtherSpelling):
    pass


class PhoneCreate(Strict):
    number: str = Field(min_length=1, max_length=40)


class CheckIn(Strict):
    site_id: uuid.UUID
    at: dt.datetime | None = None


class CheckOut(Strict):
    at: dt.datetime | None = None


class MemberAdd(Strict):
    person_id: uuid.UUID
    relationship_to_head: Relationship


class MemberRemove(Strict):
    new_head_id: uuid.UUID | None = None


class HeadChange(Strict):
    new_head_id: uuid.UUID
    former_head_becomes: Relationship = Relationship.SPOUSE


class HouseholdSplit(Strict):
    person_ids: list[uuid.UUID] = Field(min_length=1)
    new_head_id: uuid.UUID = Field(description="Head of the new household; one of person_ids.")
    remaining_head_id: uuid.UUID | None = Field(
        default=None, description="Needed when the current head leaves with the split."
    )


class HouseholdMerge(Strict):
    other_household_id: uuid.UUID = Field(description="Its members join this household; it is closed.")
    relationship_of_other_head: Relationship = Relationship.OTHER_RELATIVE


class SiteCreate(Strict):
    code: str = Field(min_length=2, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(min_length=1, max_length=200)
    kind: SiteKind
    country: str
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    bed_capacity: int = Field(default=0, ge=0, le=1_000_000)

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        return normalise_country(value)


class SiteUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: SiteKind | None = None
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    bed_capacity: int | None = Field(default=None, ge=0, le=1_000_000)


# --------------------------------------------------------------------------------------------------
# Views


class NameRead(BaseModel):
    part: NamePart
    text: str
    script: str
    is_primary: bool
    latin: str


class DocumentRead(BaseModel):
    id: uuid.UUID
    type: DocumentType
    number: str
    issuing_country: str | None
    expiry_date: dt.date | None


class ConsentRead(BaseModel):
    id: uuid.UUID
    purpose: ConsentPurpose
    partner: str | None
    decision: ConsentDecision
    method: ConsentMethod
    decided_at: dt.datetime
    recorded_at: dt.datetime
    recorded_by: str


class ConsentState(BaseModel):
    purpose: ConsentPurpose
    partner: str | None
    in_force: bool


class IntentionRead(BaseModel):
    intention: Intention
    stated_on: dt.date
    recorded_at: dt.datetime
    recorded_by: str


class BirthDateRead(BaseModel):
    value: str
    precision: DatePrecision
    estimated: bool


class StayRead(BaseModel):
    site_id: uuid.UUID
    site_code: str
    checked_in_at: dt.datetime
    checked_out_at: dt.datetime | None


class Withheld(BaseModel):
    """A protected value that is recorded but cannot be shown, in place of the value:
    ``shredded``: its site's data key was destroyed (``safepassage site shred``), for ever;
    ``unavailable``: its key cannot be used on this server now (a key file or KEK missing: see the
    server log and ``safepassage keys status``); ``damaged``: the stored value fails authentication
    (altered, or moved from another record or field)."""

    state: Literal["shredded", "unavailable", "damaged"]


class ProtectionRead(BaseModel):
    """The protection attributes, opened for a stated purpose (the read is in the audit trail). A
    value is text, ``null`` (not recorded) or ``{"state": "shredded"}`` and the like (``Withheld``)."""

    religion: str | Withheld | None
    ethnicity: str | Withheld | None
    narrative: str | Withheld | None
    medical_detail: str | Withheld | None


class PersonSummary(BaseModel):
    id: uuid.UUID
    household_id: uuid.UUID | None
    display_name: str
    latin_name: str
    sex: Sex
    birth_date: BirthDateRead
    category: EvacuationCategory
    intention: Intention
    site_id: uuid.UUID
    needs: list[SpecificNeed]
    relationship_to_head: Relationship


class PersonRead(PersonSummary):
    names: list[NameRead]
    place_of_birth: str | None
    nationalities: list[str]
    languages: list[str]
    documents: list[DocumentRead]
    phones: list[str]
    identifying_withheld: bool = Field(
        default=False, description="Documents and phones left out: the reader's role may not read them."
    )
    intention_date: dt.date | None
    intentions: list[IntentionRead]
    consents: list[ConsentRead]
    consent_state: list[ConsentState]
    current_site_id: uuid.UUID | None
    stays: list[StayRead]
    has_protection_data: bool
    protection: ProtectionRead | None = Field(
        default=None, description="Only when asked for (include=protection) by a role allowed to read it."
    )
    created_at: dt.datetime
    updated_at: dt.datetime


class HouseholdRead(BaseModel):
    id: uuid.UUID
    site_id: uuid.UUID
    status: HouseholdStatus
    merged_into_id: uuid.UUID | None
    head_id: uuid.UUID | None
    members: list[PersonSummary]
    created_at: dt.datetime
    updated_at: dt.datetime


class SiteRead(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    kind: SiteKind
    country: str
    latitude: float | None
    longitude: float | None
    bed_capacity: int
    occupancy: int
    free_beds: int


class ChangeRead(BaseModel):
    at: dt.datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    field: str | None
    old_value: str | None
    new_value: str | None


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="Pass as ?cursor= to get the next page; null on the last.")
