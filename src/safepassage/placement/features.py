"""The engine's household, built from the registry and the placement profile.

Composition comes from the members' birth dates, as precise as they were given: a year-only date is
enough, and a partial date counts the youngest age it allows (someone born "in 2008" is treated as
17 until the end of 2025: a school place is kept rather than missed). A member with no birth date at
all counts as an adult and is reported as such. Ages: 0-5, 6-17, 18-64 adults (the working-age
adults the outcome counts), 65 and over elderly.

Languages: the registry keeps ISO 639-3 codes (``ara``); the engine's files, regions' communities and
the history use ISO 639-1 where one exists (``ar``), so codes are translated.

Needs: the members' registry codes (disability draws on a region's disability services, one place per
member with it; the others, such as a serious medical condition, are read by the outcome model), and
the dialysis and oncology places the profile records. Education, occupation, the tie region and the
ranked preferences come from the profile; nothing is guessed when it is missing.

Consent: a household may be proposed a region only when every member who consents for themselves
(the head, every adult, and anyone of unknown age) has consented to resettlement (the registry's
``resettlement`` consent purpose, the latest decision being "given"). Children are covered by their
parents' consent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pycountry

from safepassage.placement.engine import Education
from safepassage.placement.engine import Household as EngineHousehold
from safepassage.placement.models import Eligibility, PlacementProfile
from safepassage.registry.codes import ConsentPurpose, Relationship, SpecificNeed
from safepassage.registry.models import Household, Person

ADULT_AGE = 18
ELDERLY_AGE = 65
KINDERGARTEN_MAX_AGE = 5


@dataclass(frozen=True)
class Composition:
    adults: int
    children_0_5: int
    children_6_17: int
    elderly: int
    unknown_age: int  # members without a birth date, counted as adults


def composition(members: Sequence[Person], today: dt.date) -> Composition:
    adults = young = school = elderly = unknown = 0
    for person in members:
        age = person.birth_date.age_on(today)
        if age is None:
            unknown += 1
            adults += 1
        elif age <= KINDERGARTEN_MAX_AGE:
            young += 1
        elif age < ADULT_AGE:
            school += 1
        elif age >= ELDERLY_AGE:
            elderly += 1
        else:
            adults += 1
    return Composition(adults, young, school, elderly, unknown)


def language_code(code: str) -> str:
    """The registry's ISO 639-3 code as the engine's files write it (ISO 639-1 where one exists:
    ``ara`` is ``ar``), so that regions' communities and the history match."""
    text = code.strip().lower()
    found = pycountry.languages.get(alpha_3=text) if len(text) == 3 else None
    alpha_2 = getattr(found, "alpha_2", None) if found is not None else None
    return str(alpha_2) if alpha_2 else text


def current_members(household: Household) -> list[Person]:
    """Members still in the household (a person merged into another record is not counted twice)."""
    return [m for m in household.members if m.merged_into_id is None]


def registry_needs(members: Sequence[Person]) -> list[str]:
    """One entry per member and need code; disability is the engine's hard ``disability`` need."""
    needs: list[str] = []
    for person in members:
        for code in person.need_codes:
            needs.append("disability" if code == SpecificNeed.DISABILITY else code.value)
    return needs


def engine_household(
    household: Household, profile: PlacementProfile | None, today: dt.date
) -> tuple[EngineHousehold, Composition]:
    """The engine's view of one registry household (no names: the engine needs none)."""
    members = current_members(household)
    comp = composition(members, today)
    languages = sorted({language_code(lang) for m in members for lang in (m.languages or []) if lang.strip()})
    needs = registry_needs(members)
    if profile is not None:
        needs += ["dialysis"] * profile.dialysis_persons + ["oncology"] * profile.oncology_persons
    return (
        EngineHousehold(
            household_id=str(household.id),
            adults=comp.adults,
            children_0_5=comp.children_0_5,
            children_6_17=comp.children_6_17,
            elderly=comp.elderly,
            languages=tuple(languages),
            education_max=(profile.education_max if profile and profile.education_max else Education.NONE),
            occupation=(profile.occupation if profile and profile.occupation else "none"),
            needs=tuple(sorted(needs)),
            tie_region=profile.tie_region_code if profile else None,
            preferences=tuple(profile.preferences or ()) if profile else (),
        ),
        comp,
    )


@dataclass(frozen=True)
class ConsentGap:
    """Why a household may not be proposed a region: the code and how many members lack consent."""

    code: Eligibility
    members: int

    @property
    def sentence(self) -> str:
        if self.code is Eligibility.CONSENT_WITHDRAWN:
            return f"not eligible: {self.members} member(s) withdrew or lack consent to resettlement"
        return f"not eligible: {self.members} member(s) have not consented to resettlement"


def consenting_members(members: Sequence[Person], today: dt.date) -> list[Person]:
    """Who consents for themselves: the head, every adult, anyone of unknown age."""
    return [
        m
        for m in members
        if m.relationship_to_head == Relationship.HEAD
        or (age := m.birth_date.age_on(today)) is None
        or age >= ADULT_AGE
    ]


def consent_gap(members: Sequence[Person], today: dt.date) -> ConsentGap | None:
    """None when every member who consents for themselves consented to resettlement."""
    consenting = consenting_members(members, today)
    missing = [m for m in consenting if not m.consent_in_force(ConsentPurpose.RESETTLEMENT)]
    if not missing and consenting:
        return None
    if not consenting:  # nobody who could consent: no household to place on anyone's word
        return ConsentGap(Eligibility.NO_CONSENT, 0)
    withdrawn = any(c.purpose == ConsentPurpose.RESETTLEMENT for m in missing for c in m.consents)
    return ConsentGap(Eligibility.CONSENT_WITHDRAWN if withdrawn else Eligibility.NO_CONSENT, len(missing))
