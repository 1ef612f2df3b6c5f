"""Labels of codes, in one place: every code the pages show or offer goes through ``LABELS``.

Messages are marked with ``N_`` for extraction and translated when shown, in the page's language.
A test fails when a code has no label or a label has no Russian or Arabic translation.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

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
from safepassage.registry.schemas import BirthDateRead
from safepassage.shared.dates import DatePrecision
from safepassage.shared.text import Script

Gettext = Callable[[str], str]


def N_(message: str) -> str:
    return message


LABELS: dict[type[StrEnum], dict[str, str]] = {
    Sex: {
        Sex.FEMALE: N_("female"),
        Sex.MALE: N_("male"),
        Sex.OTHER: N_("other"),
        Sex.UNKNOWN: N_("not known"),
    },
    NamePart: {
        NamePart.GIVEN: N_("given name"),
        NamePart.FATHER: N_("father's name"),
        NamePart.GRANDFATHER: N_("grandfather's name"),
        NamePart.FAMILY: N_("family name"),
    },
    Relationship: {
        Relationship.HEAD: N_("head of household"),
        Relationship.SPOUSE: N_("spouse"),
        Relationship.CHILD: N_("child"),
        Relationship.STEPCHILD: N_("stepchild"),
        Relationship.PARENT: N_("parent"),
        Relationship.SIBLING: N_("brother or sister"),
        Relationship.GRANDCHILD: N_("grandchild"),
        Relationship.GRANDPARENT: N_("grandparent"),
        Relationship.OTHER_RELATIVE: N_("other relative"),
        Relationship.NON_RELATIVE: N_("not a relative"),
    },
    EvacuationCategory: {
        EvacuationCategory.CITIZEN: N_("citizen"),
        EvacuationCategory.FAMILY_OF_CITIZEN: N_("family of a citizen"),
        EvacuationCategory.AT_RISK_NATIONAL: N_("national at risk"),
        EvacuationCategory.STAFF: N_("staff"),
        EvacuationCategory.OTHER: N_("other category"),
    },
    Intention: {
        Intention.LEAVE_NOW: N_("leave now"),
        Intention.LEAVE_LATER: N_("leave later"),
        Intention.STAY: N_("stay"),
        Intention.UNDECIDED: N_("undecided"),
    },
    ConsentPurpose: {
        ConsentPurpose.REGISTRATION: N_("registration"),
        ConsentPurpose.PARTNER_SHARING: N_("sharing with a partner"),
        ConsentPurpose.EVACUATION: N_("evacuation"),
        ConsentPurpose.RESETTLEMENT: N_("resettlement"),
    },
    ConsentDecision: {
        ConsentDecision.GIVEN: N_("given"),
        ConsentDecision.WITHDRAWN: N_("withdrawn"),
    },
    ConsentMethod: {
        ConsentMethod.SIGNED: N_("signed"),
        ConsentMethod.VERBAL: N_("verbal"),
        ConsentMethod.WITNESSED: N_("witnessed"),
    },
    DocumentType: {
        DocumentType.PASSPORT: N_("passport"),
        DocumentType.NATIONAL_ID: N_("national ID card"),
        DocumentType.BIRTH_CERTIFICATE: N_("birth certificate"),
        DocumentType.FAMILY_BOOK: N_("family book"),
        DocumentType.RESIDENCE_PERMIT: N_("residence permit"),
        DocumentType.REFUGEE_ID: N_("refugee ID"),
        DocumentType.EMERGENCY_TRAVEL_DOCUMENT: N_("emergency travel document"),
        DocumentType.OTHER: N_("other document"),
    },
    SpecificNeed: {
        SpecificNeed.CHILD_AT_RISK: N_("child at risk"),
        SpecificNeed.UNACCOMPANIED_CHILD: N_("unaccompanied child"),
        SpecificNeed.SEPARATED_CHILD: N_("separated child"),
        SpecificNeed.WOMAN_AT_RISK: N_("woman at risk"),
        SpecificNeed.OLDER_PERSON_AT_RISK: N_("older person at risk"),
        SpecificNeed.SINGLE_PARENT: N_("single parent or caregiver"),
        SpecificNeed.DISABILITY: N_("disability"),
        SpecificNeed.SERIOUS_MEDICAL_CONDITION: N_("serious medical condition"),
        SpecificNeed.PREGNANT_OR_LACTATING: N_("pregnant or breastfeeding"),
        SpecificNeed.SURVIVOR_OF_VIOLENCE: N_("survivor of violence"),
        SpecificNeed.SURVIVOR_OF_TORTURE: N_("survivor of torture"),
        SpecificNeed.LEGAL_PHYSICAL_PROTECTION: N_("legal or physical protection"),
        SpecificNeed.FAMILY_UNITY: N_("family unity"),
    },
    SiteKind: {
        SiteKind.CONSULATE: N_("consulate"),
        SiteKind.SHELTER: N_("shelter"),
        SiteKind.ASSEMBLY_POINT: N_("assembly point"),
        SiteKind.AIRPORT: N_("airport"),
        SiteKind.AIRBASE: N_("airbase"),
        SiteKind.RECEPTION_CENTRE: N_("reception centre"),
    },
    HouseholdStatus: {
        HouseholdStatus.ACTIVE: N_("active"),
        HouseholdStatus.MERGED: N_("merged"),
        HouseholdStatus.DISSOLVED: N_("dissolved"),
    },
    DatePrecision: {
        DatePrecision.DAY: N_("exact day"),
        DatePrecision.MONTH: N_("month and year only"),
        DatePrecision.YEAR: N_("year only"),
        DatePrecision.UNKNOWN: N_("not known"),
    },
    Script: {
        Script.ARABIC: N_("Arabic"),
        Script.CYRILLIC: N_("Cyrillic"),
        Script.LATIN: N_("Latin"),
        Script.MIXED: N_("mixed"),
        Script.UNKNOWN: N_("unknown script"),
    },
}

# Code lists offered by the forms, by the name the templates use.
KINDS: dict[str, type[StrEnum]] = {
    "sex": Sex,
    "name_part": NamePart,
    "relationship": Relationship,
    "category": EvacuationCategory,
    "intention": Intention,
    "consent_purpose": ConsentPurpose,
    "consent_decision": ConsentDecision,
    "consent_method": ConsentMethod,
    "document_type": DocumentType,
    "need": SpecificNeed,
    "site_kind": SiteKind,
    "household_status": HouseholdStatus,
    "date_precision": DatePrecision,
    "script": Script,
}

# Actions of the change history.
ACTIONS: dict[str, str] = {"create": N_("created"), "update": N_("changed"), "delete": N_("removed")}


# What a change-history row is about (the table it was recorded for).
ENTITIES: dict[str, str] = {
    "sites": N_("site"),
    "households": N_("household"),
    "persons": N_("person"),
    "person_names": N_("name"),
    "documents": N_("document"),
    "phones": N_("phone"),
    "person_needs": N_("specific need"),
    "intention_statements": N_("intention"),
    "consent_records": N_("consent"),
    "protection_attributes": N_("protection data"),
    "site_stays": N_("stay at a site"),
}


def label(gettext: Gettext, value: object, kind: str | None = None) -> str:
    """The label of a code in the page's language: ``label(_, Sex.FEMALE)``, ``label(_, "female", "sex")``.
    A value with no label is shown as it is (never an error on a page)."""
    if value is None or value == "":
        return ""
    enum_cls = KINDS.get(kind) if kind else type(value)
    messages = (
        LABELS.get(enum_cls, {}) if isinstance(enum_cls, type) and issubclass(enum_cls, StrEnum) else {}
    )
    message = messages.get(str(value))
    return gettext(message) if message else str(value)


def options(gettext: Gettext, kind: str) -> list[tuple[str, str]]:
    """``(code, label)`` pairs of a code list, in the order of its enum."""
    return [(member.value, label(gettext, member)) for member in KINDS[kind]]


def action(gettext: Gettext, value: str) -> str:
    message = ACTIONS.get(value)
    return gettext(message) if message else value


def entity(gettext: Gettext, value: str) -> str:
    message = ENTITIES.get(value)
    return gettext(message) if message else value


_BIRTH: dict[tuple[DatePrecision, bool], str] = {
    (DatePrecision.DAY, True): N_("%(date)s (estimated)"),
    (DatePrecision.MONTH, False): N_("%(date)s (month and year only)"),
    (DatePrecision.MONTH, True): N_("%(date)s (month and year only, estimated)"),
    (DatePrecision.YEAR, False): N_("%(date)s (year only)"),
    (DatePrecision.YEAR, True): N_("%(date)s (year only, estimated)"),
}


def birth_date(gettext: Gettext, value: BirthDateRead) -> str:
    """A birth date as precise as it was given, and no more: "1990 (year only, estimated)"."""
    if not value.value or value.precision == DatePrecision.UNKNOWN:
        return gettext(N_("not known"))
    if value.precision == DatePrecision.DAY and not value.estimated:
        return value.value
    return gettext(_BIRTH[(value.precision, value.estimated)]) % {"date": value.value}
