"""Who may be planned, and why not: one person at a time, every reason at once.

A person may be planned on a leg from site S only with all of:

1. consent to evacuation in force (the latest decision is "given": the same rule as the registry's
   ``consent_in_force_filter``);
2. intention "leave now";
3. a category the operation admits, on every leg or on the agreed legs (``[eligibility]`` of the
   policy);
4. a usable travel document: one of the accepted types, unexpired at departure, or an emergency
   travel document (issued for this journey, whatever its expiry);
5. presence at S: an open stay there, or registered at S and checked in nowhere else, or a leg of an
   accepted plan that takes them to S.

Pure: it reads ORM objects already loaded (names, documents, needs, consents, stays) and the policy;
the database side is ``movements.planning``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from collections.abc import Collection
from dataclasses import dataclass

from safepassage.movements.models import PlaceKind
from safepassage.movements.operation import OperationPolicy
from safepassage.registry.codes import ConsentPurpose, DocumentType, Intention, Sex
from safepassage.registry.models import Person


@dataclass(frozen=True)
class Assessment:
    person_id: uuid.UUID
    household_id: uuid.UUID | None
    eligible: bool
    reasons: tuple[str, ...]  # empty when eligible
    tier: int
    codes: frozenset[str]  # needs codes and derived codes, what the tier was decided on
    place: PlaceKind
    only_legs: frozenset[str] | None  # None: any leg; else the agreed legs (codes) only
    registered_at: dt.datetime


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def birth_bounds(person: Person) -> tuple[dt.date, dt.date] | None:
    """The earliest and latest birth dates the recorded (partial) date allows; None if no year."""
    year, month, day = person.birth_year, person.birth_month, person.birth_day
    if year is None:
        return None
    if month is None:
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    if day is None:
        return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])
    return dt.date(year, month, day), dt.date(year, month, day)


def surely_under(person: Person, years: int, on: dt.date) -> bool:
    """Under ``years`` on ``on`` whatever the missing day or month was (never a guess that helps)."""
    bounds = birth_bounds(person)
    return bounds is not None and _add_years(bounds[0], years) > on


def surely_at_least(person: Person, years: int, on: dt.date) -> bool:
    bounds = birth_bounds(person)
    return bounds is not None and _add_years(bounds[1], years) <= on


def derived_codes(person: Person, on: dt.date) -> set[str]:
    codes = set()
    if surely_under(person, 18, on):
        codes.add("child")
    if surely_under(person, 5, on):
        codes.add("small_child")
    if surely_under(person, 2, on):
        codes.add("infant")
    if person.sex == Sex.FEMALE and surely_at_least(person, 18, on):
        codes.add("woman")
    if surely_at_least(person, 60, on):
        codes.add("older_person")
    return codes


def place_of(person: Person, policy: OperationPolicy, on: dt.date) -> PlaceKind:
    """A stretcher for the needs the policy names; a lap place for an infant surely under two; a seat."""
    if set(person.need_codes) & policy.eligibility.stretcher_needs:
        return PlaceKind.STRETCHER
    if surely_under(person, 2, on):
        return PlaceKind.LAP
    return PlaceKind.SEAT


def _document_reason(person: Person, policy: OperationPolicy, departure: dt.date) -> str | None:
    accepted = policy.eligibility.travel_documents
    held = [d for d in person.documents if d.type in accepted]
    if any(d.type == DocumentType.EMERGENCY_TRAVEL_DOCUMENT for d in held):
        return None
    if any(d.expiry_date is None or d.expiry_date >= departure for d in held):
        return None
    if held:
        return f"every accepted travel document expires before departure ({departure.isoformat()})"
    names = ", ".join(sorted(t.value for t in accepted))
    return f"no usable travel document (accepted: {names}) and no emergency travel document"


def assess(
    person: Person,
    *,
    origin_site_id: uuid.UUID,
    departure: dt.date,
    policy: OperationPolicy,
    leg_codes: Collection[str] = (),
    arriving: Collection[uuid.UUID] = (),
) -> Assessment:
    """Whether ``person`` may be planned on legs leaving ``origin_site_id`` (``leg_codes``: the legs
    considered, for categories admitted only on agreed legs); every reason they may not.

    ``arriving``: persons an accepted plan takes to the origin site (they count as present there)."""
    reasons: list[str] = []
    if not person.consent_in_force(ConsentPurpose.EVACUATION):
        reasons.append("no consent to evacuation in force")
    if person.intention != Intention.LEAVE_NOW:
        reasons.append(f"intention is {person.intention.value}, not leave_now")
    only_legs = policy.eligibility.restricted(person.category)
    if only_legs is not None:
        usable = only_legs & set(leg_codes) if leg_codes else only_legs
        if not usable:
            reasons.append(f"category {person.category.value} is not admitted on these legs")
        only_legs = frozenset(usable)
    document = _document_reason(person, policy, departure)
    if document:
        reasons.append(document)
    stay = person.current_stay
    present = (
        (stay is not None and stay.site_id == origin_site_id)
        or (stay is None and person.site_id == origin_site_id)
        or person.id in arriving
    )
    if not present:
        reasons.append("not present at the origin site and no planned leg to it")
    codes = {n.value for n in person.need_codes} | derived_codes(person, departure)
    return Assessment(
        person_id=person.id,
        household_id=person.household_id,
        eligible=not reasons,
        reasons=tuple(reasons),
        tier=policy.planner.tier_for_needs(codes),
        codes=frozenset(codes),
        place=place_of(person, policy, departure),
        only_legs=only_legs,
        registered_at=person.created_at,
    )
