"""Codes of the registry. String enums, stored as their string values; labels live in the UI catalogues."""

from __future__ import annotations

from enum import StrEnum


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


class NamePart(StrEnum):
    GIVEN = "given"
    FATHER = "father"  # father's name, or the patronymic as written in a Russian document
    GRANDFATHER = "grandfather"
    FAMILY = "family"


class Relationship(StrEnum):
    """A member's relationship to the head of the household."""

    HEAD = "head"
    SPOUSE = "spouse"
    CHILD = "child"
    STEPCHILD = "stepchild"
    PARENT = "parent"
    SIBLING = "sibling"
    GRANDCHILD = "grandchild"
    GRANDPARENT = "grandparent"
    OTHER_RELATIVE = "other_relative"
    NON_RELATIVE = "non_relative"


class EvacuationCategory(StrEnum):
    CITIZEN = "citizen"
    FAMILY_OF_CITIZEN = "family_of_citizen"
    AT_RISK_NATIONAL = "at_risk_national"
    STAFF = "staff"
    OTHER = "other"


class Intention(StrEnum):
    LEAVE_NOW = "leave_now"
    LEAVE_LATER = "leave_later"
    STAY = "stay"
    UNDECIDED = "undecided"


class ConsentPurpose(StrEnum):
    REGISTRATION = "registration"
    PARTNER_SHARING = "partner_sharing"  # sharing with one named partner
    EVACUATION = "evacuation"
    RESETTLEMENT = "resettlement"


class CollectionPurpose(StrEnum):
    """Why protected details (religion, ethnicity, narrative, medical detail) are collected: nothing
    protected is recorded without one, and each has a retention period (``protection_retention_days``)
    after which ``safepassage retention apply`` removes them."""

    STATUS_DETERMINATION = "status_determination"  # refugee or asylum status: the claim turns on it
    PROTECTION_CASE = "protection_case"  # a protection case: risk assessment, referral
    MEDICAL_CARE = "medical_care"  # care and medical evacuation
    RESETTLEMENT = "resettlement"  # placement needs (e.g. a community of the same faith)


DEFAULT_RETENTION_DAYS: dict[str, int] = {
    CollectionPurpose.STATUS_DETERMINATION.value: 3650,
    CollectionPurpose.PROTECTION_CASE.value: 1825,
    CollectionPurpose.MEDICAL_CARE.value: 730,
    CollectionPurpose.RESETTLEMENT.value: 1825,
}


class ConsentDecision(StrEnum):
    GIVEN = "given"
    WITHDRAWN = "withdrawn"


class ConsentMethod(StrEnum):
    SIGNED = "signed"
    VERBAL = "verbal"
    WITNESSED = "witnessed"


class DocumentType(StrEnum):
    PASSPORT = "passport"
    NATIONAL_ID = "national_id"
    BIRTH_CERTIFICATE = "birth_certificate"
    FAMILY_BOOK = "family_book"
    RESIDENCE_PERMIT = "residence_permit"
    REFUGEE_ID = "refugee_id"
    EMERGENCY_TRAVEL_DOCUMENT = "emergency_travel_document"
    OTHER = "other"


class SpecificNeed(StrEnum):
    """Specific needs, after UNHCR's standardised categories (the code in brackets)."""

    CHILD_AT_RISK = "child_at_risk"  # CR
    UNACCOMPANIED_CHILD = "unaccompanied_child"  # UM
    SEPARATED_CHILD = "separated_child"  # SC
    WOMAN_AT_RISK = "woman_at_risk"  # WR
    OLDER_PERSON_AT_RISK = "older_person_at_risk"  # ER
    SINGLE_PARENT = "single_parent"  # SP (single parent or caregiver)
    DISABILITY = "disability"  # DS
    SERIOUS_MEDICAL_CONDITION = "serious_medical_condition"  # SM
    PREGNANT_OR_LACTATING = "pregnant_or_lactating"  # PG / LW
    SURVIVOR_OF_VIOLENCE = "survivor_of_violence"  # SV (incl. sexual and gender-based violence)
    SURVIVOR_OF_TORTURE = "survivor_of_torture"  # TR
    LEGAL_PHYSICAL_PROTECTION = "legal_physical_protection"  # LP
    FAMILY_UNITY = "family_unity"  # FU


UNHCR_NEED_CODES: dict[str, SpecificNeed] = {
    "CR": SpecificNeed.CHILD_AT_RISK,
    "UM": SpecificNeed.UNACCOMPANIED_CHILD,
    "SC": SpecificNeed.SEPARATED_CHILD,
    "WR": SpecificNeed.WOMAN_AT_RISK,
    "ER": SpecificNeed.OLDER_PERSON_AT_RISK,
    "SP": SpecificNeed.SINGLE_PARENT,
    "DS": SpecificNeed.DISABILITY,
    "SM": SpecificNeed.SERIOUS_MEDICAL_CONDITION,
    "PG": SpecificNeed.PREGNANT_OR_LACTATING,
    "LW": SpecificNeed.PREGNANT_OR_LACTATING,
    "SV": SpecificNeed.SURVIVOR_OF_VIOLENCE,
    "TR": SpecificNeed.SURVIVOR_OF_TORTURE,
    "LP": SpecificNeed.LEGAL_PHYSICAL_PROTECTION,
    "FU": SpecificNeed.FAMILY_UNITY,
}


def parse_need(value: str) -> SpecificNeed:
    """A need from its code here (``serious_medical_condition``) or UNHCR's (``SM``)."""
    text = value.strip()
    if text.upper() in UNHCR_NEED_CODES:
        return UNHCR_NEED_CODES[text.upper()]
    try:
        return SpecificNeed(text.lower().replace(" ", "_").replace("-", "_"))
    except ValueError:
        raise ValueError(f"'{text}' is not a specific-needs code") from None


class SiteKind(StrEnum):
    CONSULATE = "consulate"
    SHELTER = "shelter"
    ASSEMBLY_POINT = "assembly_point"
    AIRPORT = "airport"
    AIRBASE = "airbase"
    RECEPTION_CENTRE = "reception_centre"


class HouseholdStatus(StrEnum):
    ACTIVE = "active"
    MERGED = "merged"  # merged into another household; kept for history
    DISSOLVED = "dissolved"  # every member left (split off)
