"""Labels of codes, in one place: every code the pages show or offer goes through ``LABELS``.

Messages are marked with ``N_`` for extraction and translated when shown, in the page's language.
A test fails when a code has no label or a label has no Russian or Arabic translation.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import NamedTuple

from safepassage.linking.models import Band, PairStatus, TracingStatus, Verdict
from safepassage.movements.models import Checkpoint, LegKind, PlaceKind, PlanStatus, ScanOutcome
from safepassage.movements.planner.model import LegStatus
from safepassage.placement.models import ProposalStatus
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
from safepassage.security.grants import ExportState, GrantedRecord, ShredState
from safepassage.security.policy import Role
from safepassage.shared.dates import DatePrecision
from safepassage.shared.text import Script

Gettext = Callable[[str], str]


def N_(message: str) -> str:
    return message


class Contextual(NamedTuple):
    """A message whose translation depends on what it qualifies: "accepted" is «принят» of a plan and
    «принято» of a proposal. Catalogues hold it under ``msgctxt``; gettext finds it under
    ``context + "\\x04" + message``, as ``pgettext`` does."""

    context: str
    message: str


def NC_(context: str, message: str) -> Contextual:
    """Mark a message with its context for extraction (``pybabel extract -k NC_:1c,2``)."""
    return Contextual(context, message)


Message = str | Contextual


def translate(gettext: Gettext, message: Message) -> str:
    """``message`` in the page's language; a contextual one through its ``msgctxt`` key."""
    if isinstance(message, str):
        return gettext(message)
    key = f"{message.context}\x04{message.message}"
    translated = gettext(key)
    return message.message if translated == key else translated


LABELS: dict[type[StrEnum], dict[str, Message]] = {
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
    Role: {
        Role.REGISTRATION_CLERK: N_("registration clerk"),
        Role.CASEWORKER: N_("caseworker"),
        Role.MOVEMENT_PLANNER: N_("movement planner"),
        Role.STATUS_OFFICER: N_("status officer"),
        Role.PLACEMENT_OFFICER: N_("placement officer"),
        Role.SUPERVISOR: N_("supervisor"),
        Role.AUDITOR: N_("auditor"),
        Role.ADMINISTRATOR: N_("administrator"),
    },
    LegKind: {
        LegKind.FLIGHT: N_("flight"),
        LegKind.CONVOY: N_("convoy"),
        LegKind.SHIP: N_("ship"),
    },
    LegStatus: {
        LegStatus.PLANNED: NC_("leg status", "planned"),
        LegStatus.BOARDING: NC_("leg status", "boarding"),
        LegStatus.DEPARTED: NC_("leg status", "departed"),
        LegStatus.ARRIVED: NC_("leg status", "arrived"),
        LegStatus.CANCELLED: NC_("leg status", "cancelled"),
    },
    PlanStatus: {
        PlanStatus.PROPOSED: NC_("plan status", "proposed"),
        PlanStatus.ACCEPTED: NC_("plan status", "accepted"),
        PlanStatus.SUPERSEDED: NC_("plan status", "superseded"),
    },
    PlaceKind: {
        PlaceKind.SEAT: N_("seat"),
        PlaceKind.LAP: N_("on an adult's lap"),
        PlaceKind.STRETCHER: N_("stretcher"),
    },
    Checkpoint: {
        Checkpoint.ASSEMBLY_CHECK_IN: N_("check-in at the assembly point"),
        Checkpoint.BOARDING: NC_("checkpoint", "boarding"),
        Checkpoint.ARRIVAL: N_("arrival"),
    },
    ScanOutcome: {
        ScanOutcome.ACCEPTED: NC_("scan outcome", "accepted"),
        ScanOutcome.REJECTED: NC_("scan outcome", "rejected"),
    },
    ProposalStatus: {
        ProposalStatus.PROPOSED: NC_("proposal status", "proposed"),
        ProposalStatus.ACCEPTED: NC_("proposal status", "accepted"),
        ProposalStatus.OVERRIDDEN: NC_("proposal status", "overridden"),
        ProposalStatus.REJECTED: NC_("proposal status", "rejected"),
        ProposalStatus.SUPERSEDED: NC_("proposal status", "superseded"),
        ProposalStatus.WITHDRAWN: NC_("proposal status", "withdrawn"),
        ProposalStatus.NOT_ELIGIBLE: NC_("proposal status", "not eligible"),
    },
    Band: {
        Band.NEAR_CERTAIN: N_("near certain"),
        Band.UNCERTAIN: N_("uncertain"),
    },
    PairStatus: {
        PairStatus.OPEN: NC_("pair status", "open"),
        PairStatus.ACCEPTED: NC_("pair status", "accepted"),
        PairStatus.REJECTED: NC_("pair status", "rejected"),
        PairStatus.MERGED: NC_("pair status", "merged"),
        PairStatus.SUPERSEDED: NC_("pair status", "superseded"),
    },
    Verdict: {
        Verdict.ACCEPTED: NC_("verdict", "the same person"),
        Verdict.REJECTED: NC_("verdict", "two people"),
    },
    TracingStatus: {
        TracingStatus.OPEN: NC_("tracing status", "open"),
        TracingStatus.CLOSED: NC_("tracing status", "closed"),
    },
    GrantedRecord: {
        GrantedRecord.PERSON: N_("person"),
        GrantedRecord.HOUSEHOLD: N_("household"),
    },
    ExportState: {
        ExportState.PENDING: NC_("request state", "waiting for a second supervisor"),
        ExportState.APPROVED: NC_("request state", "approved"),
        ExportState.REJECTED: NC_("request state", "rejected"),
        ExportState.PRODUCED: NC_("request state", "produced"),
    },
    ShredState: {
        ShredState.PENDING: NC_("request state", "waiting for a second supervisor"),
        ShredState.DONE: NC_("request state", "keys destroyed"),
        ShredState.REJECTED: NC_("request state", "rejected"),
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
    "role": Role,
    "leg_kind": LegKind,
    "leg_status": LegStatus,
    "plan_status": PlanStatus,
    "place": PlaceKind,
    "checkpoint": Checkpoint,
    "scan_outcome": ScanOutcome,
    "proposal_status": ProposalStatus,
    "band": Band,
    "pair_status": PairStatus,
    "verdict": Verdict,
    "tracing_status": TracingStatus,
    "granted_record": GrantedRecord,
    "export_state": ExportState,
    "shred_state": ShredState,
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
    return translate(gettext, message) if message else str(value)


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
