"""One person written down by one source: the row of the batch CSV, with the noise of each list.

Sources and the scripts they write in: a consulate copies Russian passports (Cyrillic, or the
passport's Latin page in a Russian transliteration), the shelter writes Arabic script, field teams and
partners' spreadsheets write Latin in many spellings. Every source has its habits: missing fields,
given and family names swapped, a woman under her husband's family name, a birth date of 1 January
for want of one, day and month swapped, a year estimated, a document or phone number mistyped.
"""

from __future__ import annotations

import random

from .population import Person, Spelling
from .scripts import LATIN_STYLES, arabic_variant, cyr_to_latin, patronymic, typo, with_article

HEADER = (
    "record_id", "source", "given_name", "father_name", "family_name", "sex", "birth_date",
    "birth_place", "nationality", "document_number", "phone",
)  # fmt: skip

SOURCES = ("consulate", "shelter", "field", "partner")

# Which lists a person appears on, by who they are.
_SOURCE_WEIGHTS = {
    "citizen": (45, 22, 16, 17),
    "spouse": (12, 35, 28, 25),
    "other": (0, 40, 35, 25),
}


def pick_source(person: Person, rng: random.Random) -> str:
    kind = "citizen" if person.russian_passport else "spouse" if person.spouse_of_citizen else "other"
    return rng.choices(SOURCES, _SOURCE_WEIGHTS[kind])[0]


def pick_script(person: Person, source: str, rng: random.Random) -> str:
    r = rng.random()
    if source == "consulate":
        return "cyrillic" if r < 0.8 else "latin"
    if source == "shelter":
        return "arabic" if r < 0.85 else "latin"
    if source == "field":
        return "latin" if r < 0.85 else "arabic"
    if r < 0.88:
        return "latin"
    return "cyrillic" if person.russian_passport and r < 0.94 else "arabic"


def _form(sp: Spelling, script: str, rng: random.Random, *, usual: float = 0.55) -> str:
    forms = sp.arabic if script == "arabic" else sp.cyrillic if script == "cyrillic" else sp.latin
    text = forms[0] if len(forms) == 1 or rng.random() < usual else rng.choice(forms)
    if script == "arabic":
        text = arabic_variant(text, rng)
    return text


def _family(sp: Spelling, script: str, rng: random.Random, *, passport: bool) -> str:
    if passport:
        base = sp.cyrillic[0]
        return ("Аль-" + base) if sp.article else base
    if sp.article:
        forms = sp.arabic if script == "arabic" else sp.cyrillic if script == "cyrillic" else sp.latin
        stem = forms[0] if rng.random() < 0.6 else rng.choice(forms)
        out = with_article(stem, script, rng)
        return arabic_variant(out, rng) if script == "arabic" else out
    return _form(sp, script, rng)


def _birth_date(p: Person, rng: random.Random) -> str:
    r = rng.random()
    if not p.day_known:  # nobody knows the day: a year, an estimate, or 1 January
        if r < 0.55:
            return f"{p.year:04d}"
        if r < 0.80:
            return f"{p.year:04d}-01-01"
        if r < 0.93:
            return f"{p.year + rng.choice((-1, 1)):04d}"
        return ""
    y, m, d = p.year, p.month, p.day
    if r < 0.04:
        return ""
    if r < 0.14:
        return f"{y:04d}"
    if r < 0.17:
        return f"{y:04d}-{m:02d}"
    if r < 0.22:
        return f"{y:04d}-01-01"
    if r < 0.25 and d <= 12 and d != m:
        m, d = d, m
    elif r < 0.27:
        y += rng.choice((-1, 1))
    elif r < 0.28:
        d = min(28, max(1, d + rng.choice((-1, 1))))
    return f"{y:04d}-{m:02d}-{d:02d}"


def _document(p: Person, source: str, rng: random.Random) -> str:
    share = {"consulate": 0.9, "shelter": 0.4, "field": 0.25, "partner": 0.45}[source]
    if rng.random() >= share:
        return ""
    if source == "consulate" and p.russian_passport:
        number = p.russian_passport
    else:
        have = [n for n in (p.local_id, p.russian_passport) if n]
        if not have:
            return ""
        number = rng.choice(have)
    if rng.random() < 0.03:
        i = rng.randrange(len(number) - 1)
        if rng.random() < 0.5:  # one digit mistyped, or two swapped
            number = number[:i] + rng.choice("0123456789") + number[i + 1 :]
        else:
            number = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
    if len(number) == 9 and rng.random() < 0.4:
        return number[:2] + (" " if rng.random() < 0.7 else " № ") + number[2:]
    return number


def _phone(p: Person, rng: random.Random) -> str:
    phone = p.phone
    if phone is None or (p.contact_phone and rng.random() < 0.5):
        phone = p.contact_phone
    if phone is None or rng.random() < 0.4:
        return ""
    country, n = phone
    if rng.random() < 0.02:
        n = n[:-2] + n[-1] + n[-2]
    r = rng.random()
    if country == "RU":
        if r < 0.35:
            return f"+7 {n[:3]} {n[3:6]}-{n[6:8]}-{n[8:]}"
        if r < 0.6:
            return "8" + n
        if r < 0.8:
            return f"8 ({n[:3]}) {n[3:6]}-{n[6:8]}-{n[8:]}"
        return "+7" + n
    if r < 0.3:
        return f"+963 {n[:3]} {n[3:6]} {n[6:]}"
    if r < 0.55:
        return f"0{n[:3]} {n[3:6]} {n[6:]}"
    if r < 0.7:
        return "0" + n
    if r < 0.85:
        return "00963" + n
    return f"+963-{n[:3]}-{n[3:]}"


def _nationality(p: Person, source: str, rng: random.Random) -> str:
    if source != "consulate" and rng.random() < 0.3:
        return ""
    nat = list(p.nationality)
    if len(nat) > 1 and rng.random() < 0.35:
        nat = [rng.choice(nat)]
    elif len(nat) > 1 and rng.random() < 0.3:
        nat.reverse()
    return ";".join(nat)


def render(p: Person, source: str, script: str, rng: random.Random) -> tuple[list[str], list[str]]:
    """The row (without record_id) this source writes for this person, in this script, and the
    noise it carries (``married``, ``swapped``, ``joined``, ``typo``, ``passport_latin``...), which
    the benchmark uses to say which kinds of pair an engine misses."""
    flags: list[str] = []
    passport = source == "consulate" and p.russian_passport is not None
    female = p.sex == "F"
    use_married = p.married is not None and (
        p.married_on_passport if passport else rng.random() < (0.7 if source == "shelter" else 0.5)
    )
    family_sp = p.married if use_married and p.married is not None else p.family
    if use_married:
        flags.append("married")

    if passport and script == "cyrillic":
        given = p.given.cyrillic[0]
        family = _family(family_sp, script, rng, passport=True)
        father = patronymic(p.father.cyrillic[0], female=female) if p.father and rng.random() < 0.92 else ""
    elif passport:  # the Latin page of the passport: a Russian transliteration of the Cyrillic
        flags.append("passport_latin")
        style = LATIN_STYLES[0] if rng.random() < 0.7 else LATIN_STYLES[1]
        given = cyr_to_latin(p.given.cyrillic[0], style)
        family = cyr_to_latin(_family(family_sp, "cyrillic", rng, passport=True), style)
        father = ""
        if p.father and rng.random() < 0.25:
            father = cyr_to_latin(patronymic(p.father.cyrillic[0], female=female), style)
        if rng.random() < 0.5:
            given, family, father = given.upper(), family.upper(), father.upper()
    else:
        given = _form(p.given, script, rng)
        family = _family(family_sp, script, rng, passport=False)
        father = ""
        if p.father is not None:
            r = rng.random()
            if script == "cyrillic" and p.russian_passport and r < 0.5:
                father = patronymic(p.father.cyrillic[0], female=female)
            elif r < (0.8 if script == "arabic" else 0.65):
                father = _form(p.father, script, rng)
        if father and rng.random() < (0.04 if script != "cyrillic" else 0.0):
            given, father = f"{given} {father}", ""  # given and father's names in one field
            flags.append("joined")
        if script == "latin" and rng.random() < 0.08:
            given, family, father = given.upper(), family.upper(), father.upper()
        if rng.random() < {"latin": 0.045, "arabic": 0.015, "cyrillic": 0.02}[script]:
            given = typo(given, script, rng)
            flags.append("typo")
        if rng.random() < {"latin": 0.035, "arabic": 0.015, "cyrillic": 0.015}[script]:
            family = typo(family, script, rng)
            flags.append("typo")
        if rng.random() < 0.02:
            family = ""
            flags.append("no_family")
    if not passport and rng.random() < {"latin": 0.05, "arabic": 0.02, "cyrillic": 0.02}[script]:
        given, family = family, given
        flags.append("swapped")

    sex = p.sex
    r = rng.random()
    if r < (0.1 if source == "field" else 0.04):
        sex = ""
    elif r > 0.997:
        sex = "M" if female else "F"

    place = ""
    if p.place is not None and rng.random() < (0.6 if passport else 0.3):
        place = _form(p.place, script, rng, usual=0.7)

    birth = _birth_date(p, rng)
    if len(birth) != 10 or birth.endswith("-01-01"):
        flags.append("no_day")
    row = [
        source, given, father, family, sex, birth, place, _nationality(p, source, rng),
        _document(p, source, rng), _phone(p, rng),
    ]  # fmt: skip
    return row, flags
