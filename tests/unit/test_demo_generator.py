"""Tests for safepassage.demo: the synthetic evacuation scenario (sites, households, name tables)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import uuid
from collections import Counter
from collections.abc import Iterable

import pytest

from safepassage.demo import DEMO_DISCLAIMER, generate_households, generate_sites
from safepassage.demo import names as nm
from safepassage.demo.generator import AIRBASE_CODE, CONSULAR_SITE_CODES
from safepassage.registry.codes import (
    ConsentDecision,
    ConsentPurpose,
    DocumentType,
    EvacuationCategory,
    Intention,
    NamePart,
    Relationship,
    Sex,
    SiteKind,
    SpecificNeed,
)
from safepassage.registry.schemas import HouseholdCreate, PersonCreate
from safepassage.shared.dates import DatePrecision, PartialDate
from safepassage.shared.reference import normalise_country, normalise_language, normalise_phone

TODAY = dt.date(2026, 11, 22)
MIDNIGHT = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)
SEED = 2026
N = 2000
SITES = generate_sites()
SITE_IDS = {s.code: uuid.uuid5(uuid.NAMESPACE_URL, f"safepassage-demo/{s.code}") for s in SITES}
CODE_OF = {v: k for k, v in SITE_IDS.items()}
Member = tuple[HouseholdCreate, PersonCreate]


@pytest.fixture(scope="module")
def households() -> list[HouseholdCreate]:
    return list(generate_households(N, SEED, SITE_IDS, TODAY))


@pytest.fixture(scope="module")
def people(households: list[HouseholdCreate]) -> list[Member]:
    return [(h, m) for h in households for m in h.members]


def birth(person: PersonCreate) -> PartialDate:
    return person.birth_date.parse(today=TODAY)


def age(person: PersonCreate) -> int | None:
    """The youngest age the recorded birth date allows."""
    return birth(person).age_on(TODAY)


def category(household: HouseholdCreate, person: PersonCreate) -> EvacuationCategory:
    return person.category or household.category


def scripts(text: str) -> set[str]:
    return {unicodedata.name(ch).split()[0] for ch in text if ch.isalpha()}


def name_texts(person: PersonCreate) -> Iterable[str]:
    yield from (
        t for t in (person.given_name, person.father_name, person.grandfather_name, person.family_name) if t
    )
    yield from (s.text for s in person.other_spellings)


def share(part: int, whole: int) -> float:
    assert whole > 0
    return part / whole


# --------------------------------------------------------------------------------------------------
# Sites


def test_sites_have_unique_codes_plausible_places_and_capacities():
    codes = [s.code for s in SITES]
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+", c) for c in codes)
    assert {*CONSULAR_SITE_CODES, AIRBASE_CODE} <= set(codes)
    for site in SITES:
        assert site.latitude is not None and site.longitude is not None
        if site.country == "SY":
            assert 32.3 <= site.latitude <= 37.4 and 35.6 <= site.longitude <= 42.4, site
        else:
            assert site.country == "RU" and site.kind == SiteKind.RECEPTION_CENTRE
            assert 41 <= site.latitude <= 70 and 27 <= site.longitude <= 180, site
        assert site.bed_capacity >= 0
    kinds = Counter(s.kind for s in SITES)
    assert kinds[SiteKind.CONSULATE] >= 1 and kinds[SiteKind.AIRPORT] >= 1
    assert 3 <= kinds[SiteKind.RECEPTION_CENTRE] <= 4
    airbase = next(s for s in SITES if s.code == AIRBASE_CODE)
    assert airbase.kind == SiteKind.AIRBASE and 5000 <= airbase.bed_capacity <= 10000
    assert airbase.latitude is not None and 35.2 <= airbase.latitude <= 35.7  # near Latakia


def test_generator_needs_the_demo_sites():
    with pytest.raises(KeyError, match="LTK-AB"):
        next(generate_households(1, SEED, {c: i for c, i in SITE_IDS.items() if c != AIRBASE_CODE}, TODAY))


def test_disclaimer_says_synthetic():
    assert "SYNTHETIC" in DEMO_DISCLAIMER.upper()


# --------------------------------------------------------------------------------------------------
# Determinism and validity


def test_same_seed_gives_the_same_households_and_another_seed_others():
    def dump(seed: int) -> list[dict[str, object]]:
        return [h.model_dump() for h in generate_households(200, seed, SITE_IDS, TODAY)]

    first = dump(SEED)
    assert first == dump(SEED)
    other = dump(SEED + 1)
    assert other != first
    assert sum(a == b for a, b in zip(first, other, strict=True)) == 0


def test_prefix_is_stable_whatever_n():
    few = [h.model_dump() for h in generate_households(20, SEED, SITE_IDS, TODAY)]
    many = [h.model_dump() for h in generate_households(50, SEED, SITE_IDS, TODAY)]
    assert many[:20] == few


def test_every_household_validates_with_one_head(households: list[HouseholdCreate]):
    assert len(households) == N
    for household in households:
        again = HouseholdCreate.model_validate(household.model_dump())
        assert again == household
        heads = [m for m in household.members if m.relationship_to_head == Relationship.HEAD]
        assert len(heads) == 1
        assert household.site_id in CODE_OF


def test_categories_sites_and_nationalities_fit_each_scenario(households: list[HouseholdCreate]):
    counts = Counter(h.category for h in households)
    assert 0.48 <= share(counts[EvacuationCategory.CITIZEN], N) <= 0.68
    assert 0.06 <= share(counts[EvacuationCategory.STAFF], N) <= 0.14
    assert 0.25 <= share(counts[EvacuationCategory.AT_RISK_NATIONAL], N) <= 0.35
    assert 0 < counts[EvacuationCategory.OTHER] <= 0.05 * N
    for h in households:
        code = CODE_OF[h.site_id]
        members = h.members
        if h.category == EvacuationCategory.AT_RISK_NATIONAL:
            assert code == AIRBASE_CODE
            assert all(m.nationalities == ["SY"] and category(h, m) == h.category for m in members)
            continue
        assert code in CONSULAR_SITE_CODES
        if h.category == EvacuationCategory.STAFF:
            assert all(
                m.nationalities == ["SY"] and category(h, m) == EvacuationCategory.STAFF for m in members
            )
        elif h.category == EvacuationCategory.CITIZEN:
            head = next(m for m in members if m.relationship_to_head == Relationship.HEAD)
            assert head.nationalities == ["RU"]
            for m in members:
                if m.nationalities == ["RU", "SY"]:
                    assert category(h, m) == EvacuationCategory.CITIZEN
                elif m.nationalities == ["SY"]:
                    assert category(h, m) == EvacuationCategory.FAMILY_OF_CITIZEN
        else:
            assert len(members) == 1 and "RU" not in members[0].nationalities


def test_mixed_families_have_a_citizen_mother_a_syrian_father_and_dual_national_children(
    households: list[HouseholdCreate],
):
    mixed = [h for h in households if any(m.nationalities == ["RU", "SY"] for m in h.members)]
    assert share(len(mixed), N) >= 0.45
    for h in mixed:
        head = h.members[0]
        assert head.relationship_to_head == Relationship.HEAD and head.sex == Sex.FEMALE
        assert head.nationalities == ["RU"] and "rus" in head.languages
        fathers = [m for m in h.members if m.relationship_to_head == Relationship.SPOUSE]
        assert all(f.sex == Sex.MALE and f.nationalities == ["SY"] for f in fathers)


# --------------------------------------------------------------------------------------------------
# Birth dates


def test_birth_dates_are_never_in_the_future_nor_invent_a_day(people: list[Member]):
    for _, m in people:
        date = birth(m)  # raises on a date after TODAY
        earliest = date.earliest()
        assert earliest is None or earliest <= TODAY
        precision = m.birth_date.precision
        if precision == DatePrecision.YEAR:
            assert date.month is None and date.day is None
            assert m.birth_date.value is not None
            assert len(m.birth_date.value) == 4 or m.birth_date.value.endswith("-01-01")
        elif precision == DatePrecision.MONTH:
            assert date.day is None and re.fullmatch(r"\d{4}-\d{2}", m.birth_date.value or "")
        elif precision == DatePrecision.UNKNOWN:
            assert not date.is_known


def test_precision_mix_is_plausible(people: list[Member]):
    counts = Counter(birth(m).precision for _, m in people)
    total = len(people)
    assert 0.62 <= share(counts[DatePrecision.DAY], total) <= 0.78
    assert 0.06 <= share(counts[DatePrecision.MONTH], total) <= 0.14
    assert 0.11 <= share(counts[DatePrecision.YEAR], total) <= 0.20
    assert 0.03 <= share(counts[DatePrecision.UNKNOWN], total) <= 0.08
    january_first = [m.birth_date for _, m in people if (m.birth_date.value or "").endswith("-01-01")]
    assert 0.05 <= share(len(january_first), total) <= 0.13
    as_year = sum(b.precision == DatePrecision.YEAR for b in january_first)
    assert 0.3 <= share(as_year, len(january_first)) <= 0.7  # some recorded as a year, some left as a day


def test_year_only_dates_of_at_risk_adults_are_mostly_estimated(people: list[Member]):
    year_only = [
        m.birth_date
        for h, m in people
        if h.category == EvacuationCategory.AT_RISK_NATIONAL
        and m.birth_date.precision == DatePrecision.YEAR
        and (age(m) or 0) >= 18
    ]
    assert len(year_only) > 50
    assert share(sum(b.estimated for b in year_only), len(year_only)) >= 0.6


def test_children_are_at_least_16_years_younger_than_their_mother(households: list[HouseholdCreate]):
    checked = 0
    for h in households:
        parents = (Relationship.HEAD, Relationship.SPOUSE)
        mothers = [m for m in h.members if m.sex == Sex.FEMALE and m.relationship_to_head in parents]
        if len(mothers) != 1 or not birth(mothers[0]).is_known:
            continue
        mother_latest = birth(mothers[0]).latest()
        assert mother_latest is not None
        for child in h.members:
            child_earliest = birth(child).earliest()
            if child.relationship_to_head == Relationship.CHILD and child_earliest is not None:
                assert (child_earliest - mother_latest).days >= 16 * 365, (mothers[0], child)
                checked += 1
    assert checked > 1500


# --------------------------------------------------------------------------------------------------
# Names


def test_all_three_scripts_are_used_and_no_name_mixes_scripts(people: list[Member]):
    primary = Counter(frozenset(scripts(m.given_name)) for _, m in people)
    for script in ("ARABIC", "CYRILLIC", "LATIN"):
        assert primary[frozenset({script})] > 100, script
    others = Counter(frozenset(scripts(s.text)) for _, m in people for s in m.other_spellings)
    assert all(others[frozenset({script})] > 100 for script in ("ARABIC", "CYRILLIC", "LATIN"))
    for _, m in people:
        for text in name_texts(m):
            assert len(scripts(text)) == 1, text
        assert len(m.other_spellings) <= 3
        assert len({(s.part, s.text) for s in m.other_spellings}) == len(m.other_spellings)


def test_dual_national_children_carry_a_cyrillic_patronymic_and_the_arabic_father_name(
    households: list[HouseholdCreate],
):
    seen = 0
    for h in households:
        father = next((m for m in h.members if m.relationship_to_head == Relationship.SPOUSE), None)
        for child in h.members:
            if child.nationalities != ["RU", "SY"]:
                continue
            seen += 1
            assert child.father_name and scripts(child.father_name) == {"CYRILLIC"}
            ending = ("овна", "евна") if child.sex == Sex.FEMALE else ("ович", "евич")
            assert child.father_name.endswith(ending), child.father_name
            arabic = [s.text for s in child.other_spellings if s.part == NamePart.FATHER]
            assert arabic and scripts(arabic[0]) == {"ARABIC"}
            if father is not None and father.nationalities == ["SY"]:
                assert arabic[0] == father.given_name  # the father's name as his Syrian papers write it
    assert seen > 1000


def test_some_at_risk_households_are_known_only_in_latin_from_a_partner_list(
    households: list[HouseholdCreate],
):
    at_risk = [h for h in households if h.category == EvacuationCategory.AT_RISK_NATIONAL]
    latin_only = [
        h for h in at_risk if all(scripts(t) == {"LATIN"} for m in h.members for t in name_texts(m))
    ]
    assert 0.08 <= share(len(latin_only), len(at_risk)) <= 0.22
    assert all(
        m.place_of_birth is None or scripts(m.place_of_birth) == {"LATIN"}
        for h in latin_only
        for m in h.members
    )


def test_mothers_sometimes_take_the_husbands_family_name(households: list[HouseholdCreate]):
    mothers = [h.members[0] for h in households if any(m.nationalities == ["RU", "SY"] for m in h.members)]
    taken = [
        m
        for m in mothers
        if any(s.part == NamePart.FAMILY and scripts(s.text) == {"ARABIC"} for s in m.other_spellings)
    ]
    assert 0.25 <= share(len(taken), len(mothers)) <= 0.55


@pytest.mark.parametrize(
    ("father", "female", "expected"),
    [
        ("Мухаммед", False, "Мухаммедович"),
        ("Мухаммед", True, "Мухаммедовна"),
        ("Али", False, "Алиевич"),
        ("Муса", True, "Мусаевна"),
        ("Абдурахман", False, "Абдурахманович"),
        ("Сергей", True, "Сергеевна"),
        ("Юрий", False, "Юрьевич"),
        ("Дмитрий", False, "Дмитриевич"),
        ("Игорь", True, "Игоревна"),
        ("Павел", False, "Павлович"),
        ("Пётр", True, "Петровна"),
    ],
)
def test_patronymic(father: str, female: bool, expected: str):
    assert nm.patronymic(father, female) == expected


def test_surnames_have_feminine_forms_in_every_script():
    by_name = {f.cyrillic[0]: f for f in nm.RUSSIAN_FAMILY}
    ivanova = nm.surname_forms(by_name["Иванов"], female=True)
    assert ivanova == nm.Forms("إيفانوفا", ("Иванова",), ("Ivanova",))
    kovalevskaya = nm.surname_forms(by_name["Ковалевский"], female=True)
    assert kovalevskaya.cyrillic == ("Ковалевская",) and set(kovalevskaya.latin) == {"Kovalevskaya"}
    assert nm.surname_forms(by_name["Шевченко"], female=True) == by_name["Шевченко"]
    assert nm.surname_forms(by_name["Иванов"], female=False) == by_name["Иванов"]


def test_name_tables_are_large_enough_and_each_column_in_its_script():
    tables = {
        "ARABIC_MALE": (nm.ARABIC_MALE, 55),
        "ARABIC_FEMALE": (nm.ARABIC_FEMALE, 45),
        "RUSSIAN_FEMALE": (nm.RUSSIAN_FEMALE, 35),
        "RUSSIAN_MALE": (nm.RUSSIAN_MALE, 18),
        "ARABIC_FAMILY": (nm.ARABIC_FAMILY, 45),
        "RUSSIAN_FAMILY": (nm.RUSSIAN_FAMILY, 35),
    }
    for label, (table, minimum) in tables.items():
        assert len(table) >= minimum, label
        assert len({f.arabic for f in table}) == len(table), label
        for forms in table:
            assert scripts(forms.arabic) == {"ARABIC"}, forms
            assert all(scripts(c) == {"CYRILLIC"} for c in forms.cyrillic), forms
            assert 1 <= len(forms.latin) <= 3 and all(scripts(t) == {"LATIN"} for t in forms.latin), forms
    mohammed = next(f for f in nm.ARABIC_MALE if f.arabic == "محمد")
    assert {"Mohammed", "Muhammad", "Mohamad"} <= set(mohammed.latin) and "Мухаммед" in mohammed.cyrillic
    natalia = next(f for f in nm.RUSSIAN_FEMALE if "Наталья" in f.cyrillic)
    assert {"Natalia", "Natalya"} <= set(natalia.latin)


# --------------------------------------------------------------------------------------------------
# Needs, documents, phones, languages


def test_needs_occur_at_realistic_rates(households: list[HouseholdCreate], people: list[Member]):
    total = len(people)
    needs = Counter(n for _, m in people for n in m.needs)
    assert 0.025 <= share(needs[SpecificNeed.SERIOUS_MEDICAL_CONDITION], total) <= 0.06
    assert 0.015 <= share(needs[SpecificNeed.DISABILITY], total) <= 0.045
    older = [m for _, m in people if (age(m) or 0) >= 67]
    assert len(older) > 100
    assert 0.4 <= share(sum(SpecificNeed.OLDER_PERSON_AT_RISK in m.needs for m in older), len(older)) <= 0.8
    women = [m for _, m in people if m.sex == Sex.FEMALE and birth(m).is_known and 19 <= (age(m) or 0) <= 44]
    pregnant = sum(SpecificNeed.PREGNANT_OR_LACTATING in m.needs for m in women)
    assert 0.04 <= share(pregnant, len(women)) <= 0.13
    assert all(SpecificNeed.PREGNANT_OR_LACTATING not in m.needs for _, m in people if m.sex == Sex.MALE)
    for need in (SpecificNeed.SURVIVOR_OF_VIOLENCE, SpecificNeed.SURVIVOR_OF_TORTURE):
        assert needs[need] > 0
        assert all(h.category == EvacuationCategory.AT_RISK_NATIONAL for h, m in people if need in m.needs)
    single = [(h, m) for h, m in people if SpecificNeed.SINGLE_PARENT in m.needs]
    assert len(single) > 50
    for h, _ in single:
        assert sum(SpecificNeed.SINGLE_PARENT in x.needs for x in h.members) == 1
        assert any(x.relationship_to_head == Relationship.CHILD for x in h.members)
        assert not any(x.relationship_to_head == Relationship.SPOUSE for x in h.members)


def test_unaccompanied_and_separated_children_are_rare_and_consistent(households: list[HouseholdCreate]):
    child_needs = (SpecificNeed.UNACCOMPANIED_CHILD, SpecificNeed.SEPARATED_CHILD)
    flagged = [h for h in households if any(n in m.needs for m in h.members for n in child_needs)]
    assert 1 <= len(flagged) <= 0.01 * N
    for h in flagged:
        assert h.category == EvacuationCategory.AT_RISK_NATIONAL
        assert not any(m.relationship_to_head in (Relationship.CHILD, Relationship.SPOUSE) for m in h.members)
        for m in h.members:
            if SpecificNeed.SEPARATED_CHILD in m.needs:
                assert m.relationship_to_head == Relationship.OTHER_RELATIVE
            if SpecificNeed.UNACCOMPANIED_CHILD in m.needs:
                allowed = (Relationship.HEAD, Relationship.SIBLING, Relationship.NON_RELATIVE)
                assert m.relationship_to_head in allowed
            if any(n in m.needs for n in child_needs):
                assert birth(m).is_known is False or (age(m) or 0) < 18


def test_every_phone_normalises(people: list[Member]):
    phones = [p for _, m in people for p in m.phones]
    assert share(len(phones), sum(1 for _, m in people if (age(m) or 99) >= 18)) >= 0.7
    normalised = [normalise_phone(p) for p in phones]
    assert any(p.startswith("+9639") for p in normalised) and any(p.startswith("+79") for p in normalised)
    assert any(re.fullmatch(r"09\d\d \d{3} \d{3}", p) for p in phones)  # typed in the local format


def test_documents_are_plausible(people: list[Member]):
    docs = [(h, m, d) for h, m in people for d in m.documents]
    formats = {
        (DocumentType.PASSPORT, "RU"): r"\d{2} \d{7}",
        (DocumentType.NATIONAL_ID, "SY"): r"\d{11}",
        (DocumentType.PASSPORT, "SY"): r"[NP]\d{9}",
    }
    for _, m, d in docs:
        pattern = formats.get((d.type, d.issuing_country or ""))
        assert pattern is None or re.fullmatch(pattern, d.number), d
        if "RU" not in m.nationalities and d.type != DocumentType.RESIDENCE_PERMIT:
            assert d.issuing_country != "RU"
    expiries = [d.expiry_date for _, _, d in docs if d.expiry_date]
    assert any(e < TODAY for e in expiries) and any(e >= TODAY for e in expiries)
    assert share(sum(e < TODAY for e in expiries), len(expiries)) <= 0.4
    at_risk_adults = [
        m for h, m in people if h.category == EvacuationCategory.AT_RISK_NATIONAL and (age(m) or 0) >= 18
    ]
    assert 0.05 <= share(sum(not m.documents for m in at_risk_adults), len(at_risk_adults)) <= 0.2
    child_docs = {d.type for h, m, d in docs if m.nationalities == ["RU", "SY"]}
    assert DocumentType.BIRTH_CERTIFICATE in child_docs


def test_languages_and_nationalities_are_iso_codes(people: list[Member]):
    for _, m in people:
        assert set(m.languages) <= {"ara", "rus", "eng", "kur"} and m.languages
        assert all(normalise_language(code) == code for code in m.languages)
        assert m.nationalities and all(normalise_country(c) == c for c in m.nationalities)
    assert {tuple(m.nationalities) for _, m in people} >= {("RU",), ("SY",), ("RU", "SY")}


# --------------------------------------------------------------------------------------------------
# Intentions, consents, protection


def test_intentions_depend_on_the_site_and_are_recent(households: list[HouseholdCreate]):
    at_base = [h for h in households if CODE_OF[h.site_id] == AIRBASE_CODE]
    elsewhere = [h for h in households if CODE_OF[h.site_id] != AIRBASE_CODE]
    assert share(sum(h.intention == Intention.LEAVE_NOW for h in at_base), len(at_base)) >= 0.6
    assert share(sum(h.intention == Intention.LEAVE_NOW for h in elsewhere), len(elsewhere)) <= 0.35
    assert any(h.intention == Intention.STAY for h in at_base)
    for h in households:
        assert h.intention_date is None or TODAY - dt.timedelta(days=30) <= h.intention_date <= TODAY


def test_consents_are_recent_aware_and_consistent(people: list[Member]):
    withdrawals = partners = 0
    for h, m in people:
        consents = m.consents
        if (age(m) or 0) >= 19 or m.relationship_to_head == Relationship.HEAD:  # a "1 January" may add a year
            assert consents and consents[0].purpose == ConsentPurpose.REGISTRATION
        for c in consents:
            assert c.decided_at is not None and c.decided_at.tzinfo is not None
            assert MIDNIGHT - dt.timedelta(days=31) <= c.decided_at <= MIDNIGHT
            if c.purpose == ConsentPurpose.PARTNER_SHARING:
                assert c.partner in ("UNHCR", "ICRC")
                partners += 1
            if c.purpose == ConsentPurpose.EVACUATION:
                assert (m.intention or h.intention) == Intention.LEAVE_NOW
            if c.decision == ConsentDecision.WITHDRAWN:
                withdrawals += 1
                given = [
                    g for g in consents if g.decision == ConsentDecision.GIVEN and g.purpose == c.purpose
                ]
                assert given and all(g.partner == c.partner for g in given)
                assert all(g.decided_at and c.decided_at and g.decided_at <= c.decided_at for g in given)
    assert partners > 100 and 5 <= withdrawals <= 0.05 * len(people)


def test_protection_data_is_synthetic_and_only_for_at_risk_adults(people: list[Member]):
    at_risk_adults = [
        m for h, m in people if h.category == EvacuationCategory.AT_RISK_NATIONAL and (age(m) or 0) >= 18
    ]
    protected = [(h, m) for h, m in people if m.protection is not None]
    assert 0.1 <= share(len(protected), len(at_risk_adults)) <= 0.3
    for h, m in protected:
        assert h.category == EvacuationCategory.AT_RISK_NATIONAL
        assert m.protection is not None and m.protection.religion == "minority (synthetic)"
        assert m.protection.narrative and "(synthetic)" in m.protection.narrative
