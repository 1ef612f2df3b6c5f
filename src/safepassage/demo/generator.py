"""Synthetic demo data: a state evacuates its citizens, their families and at-risk civilians from Syria.

The scenario is modelled on a Russian-style operation: citizens (often women born in the USSR married
to Syrian men) and their dual-national children register at the consulate and assembly points; local
embassy staff are evacuated with them; members of a persecuted minority sheltering at an airbase are
offered voluntary departure. Every person, date, number and story is drawn from small tables with a
seeded ``random.Random``: the same seed and ``today`` always give the same households.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from safepassage.demo import names as nm
from safepassage.registry.codes import (
    ConsentDecision,
    ConsentMethod,
    ConsentPurpose,
    DocumentType,
    EvacuationCategory,
    Intention,
    Relationship,
    Sex,
    SiteKind,
    SpecificNeed,
)
from safepassage.registry.schemas import HouseholdCreate, SiteCreate

DEMO_DISCLAIMER = (
    "DEMO DATA - ENTIRELY SYNTHETIC. Every person, name, birth date, document, phone number and story "
    "was generated at random from small tables; any resemblance to a real person is coincidental. "
    "Never mix demo data with real registrations."
)

AIRBASE_CODE = "LTK-AB"
CONSULAR_SITE_CODES = ("DAM-CONS", "DAM-AP", "DAM-SH", "ALP-AP", "LTK-AP", "TRT-AP")

_SITES = (
    ("DAM-CONS", "Consulate, Damascus", SiteKind.CONSULATE, "SY", 33.5150, 36.2920, 60),
    ("DAM-AP", "Assembly point, Mezzeh, Damascus", SiteKind.ASSEMBLY_POINT, "SY", 33.5030, 36.2530, 600),
    ("DAM-SH", "Shelter, Bab Touma, Damascus", SiteKind.SHELTER, "SY", 33.5130, 36.3170, 1200),
    ("ALP-AP", "Assembly point, Aleppo", SiteKind.ASSEMBLY_POINT, "SY", 36.2021, 37.1343, 800),
    ("LTK-AP", "Assembly point, Latakia", SiteKind.ASSEMBLY_POINT, "SY", 35.5317, 35.7901, 1000),
    ("TRT-AP", "Assembly point, Tartus", SiteKind.ASSEMBLY_POINT, "SY", 34.8890, 35.8866, 900),
    (
        AIRBASE_CODE,
        "Airbase near Jableh, Latakia (Hmeimim-like)",
        SiteKind.AIRBASE,
        "SY",
        35.4011,
        35.9487,
        8000,
    ),
    ("DAM-APT", "Damascus International Airport", SiteKind.AIRPORT, "SY", 33.4114, 36.5156, 300),
    ("MOW-RC", "Reception centre, Moscow region", SiteKind.RECEPTION_CENTRE, "RU", 55.8540, 38.4410, 2500),
    ("GRZ-RC", "Reception centre, Grozny", SiteKind.RECEPTION_CENTRE, "RU", 43.3178, 45.6949, 1500),
    ("MCX-RC", "Reception centre, Makhachkala", SiteKind.RECEPTION_CENTRE, "RU", 42.9849, 47.5047, 1200),
    ("KZN-RC", "Reception centre, Kazan", SiteKind.RECEPTION_CENTRE, "RU", 55.7961, 49.1064, 1000),
)


def generate_sites() -> list[SiteCreate]:
    """Consulate, assembly points and shelters in Syria, the airbase, an airport and reception centres."""
    return [
        SiteCreate(code=c, name=n, kind=k, country=cc, latitude=lat, longitude=lon, bed_capacity=b)
        for c, n, k, cc, lat, lon, b in _SITES
    ]


T = TypeVar("T")
_YEAR = 365.2425
_SY_MOBILE = "345689"  # 093x, 094x, ... 099x
_RU_MOBILE = (
    "903",
    "905",
    "909",
    "915",
    "916",
    "917",
    "919",
    "925",
    "926",
    "928",
    "929",
    "977",
    "985",
    "999",
)
_RU_BIRTH_SERIES = ("I-СИ", "II-МЮ", "III-ЛО", "IV-АГ", "I-РУ", "II-ДМ")
_PARTNERS = ("UNHCR", "ICRC")
_THIRD_COUNTRIES = (("KZ", "N"), ("BY", "MP"), ("UA", "FA"), ("UZ", "AB"))


@dataclass(slots=True)
class _Member:
    data: dict[str, Any]
    born: int  # the true birth date as an ordinal; what was recorded may be less precise
    female: bool


class _Generator:
    def __init__(self, seed: int, site_ids: Mapping[str, uuid.UUID], today: dt.date) -> None:
        missing = [c for c in (*CONSULAR_SITE_CODES, AIRBASE_CODE) if c not in site_ids]
        if missing:
            raise KeyError(f"site_ids lacks the demo sites {', '.join(missing)}")
        self.rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
        self.sites = site_ids
        self.today = today
        self.day0 = today.toordinal()
        self.midnight = dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC)

    # ---- small helpers -------------------------------------------------------------------------

    def pick(self, options: Sequence[T], weights: Sequence[float] | None = None) -> T:
        return self.rng.choices(options, weights)[0] if weights else self.rng.choice(options)

    def spelling(self, options: Sequence[str]) -> str:
        """The usual spelling most of the time, another one otherwise."""
        if len(options) == 1 or self.rng.random() < 0.6:
            return options[0]
        return self.rng.choice(options[1:])

    def text(self, forms: nm.Forms, script: str) -> str:
        if script == "ar":
            return forms.arabic
        return self.spelling(forms.cyrillic if script == "cy" else forms.latin)

    def born(self, lo: float, hi: float) -> int:
        """A birth date (ordinal) for someone aged between ``lo`` and ``hi`` years today."""
        return self.day0 - self.rng.randint(int(lo * _YEAR), int((hi + 1) * _YEAR) - 1)

    def age(self, born: int) -> float:
        return (self.day0 - born) / _YEAR

    def names(
        self,
        script: str,
        given: nm.Forms,
        family: nm.Forms | None,
        father: nm.Forms | str | None = None,
        grandfather: nm.Forms | None = None,
        *,
        family_text: str | None = None,
        must: Sequence[tuple[str, str]] = (),
    ) -> dict[str, Any]:
        """Name fields in ``script`` (the main document's) and up to three other spellings."""
        out: dict[str, Any] = {}
        pool: list[tuple[str, str]] = []
        for part, forms, fixed in (
            ("given", given, None),
            ("father", father, None),
            ("grandfather", grandfather, None),
            ("family", family, family_text),
        ):
            if forms is None:
                continue
            if isinstance(forms, str):  # a patronymic, already written out
                out[f"{part}_name"] = forms
                continue
            primary = fixed or self.text(forms, script)
            out[f"{part}_name"] = primary
            pool.extend((part, t) for t in forms.all() if t != primary and (part, t) not in must)
        count = self.pick((0, 1, 2, 3), (20, 35, 30, 15))
        extra = self.rng.sample(pool, max(0, min(count - len(must), len(pool))))
        out["other_spellings"] = [{"part": p, "text": t} for p, t in (*must, *extra)]
        return out

    def birth(self, born: int, estimate: bool) -> dict[str, Any]:
        d = dt.date.fromordinal(born)
        r = self.rng.random()
        if r < 0.04:  # "1 January" typed for want of a day, recorded as the year it is
            return {"value": f"{d.year:04d}-01-01", "precision": "year", "estimated": estimate}
        if r < 0.08:  # ... and the same left as if it were a real day
            return {"value": f"{d.year:04d}-01-01"}
        if r < 0.74:
            return {"value": d.isoformat()}
        if r < 0.84:
            return {"value": f"{d.year:04d}-{d.month:02d}", "precision": "month"}
        if r < 0.95:
            return {"value": f"{d.year:04d}", "precision": "year", "estimated": estimate}
        return {"precision": "unknown"}

    def phone(self, russian: bool = False) -> str:
        rng = self.rng
        if russian:
            code, n = self.pick(_RU_MOBILE), rng.randrange(10**7)
            return (
                f"+7{code}{n:07d}"
                if rng.random() < 0.6
                else f"+7 {code} {n // 10000:03d}-{n // 100 % 100:02d}-{n % 100:02d}"
            )
        digits = f"9{self.pick(_SY_MOBILE)}{rng.randrange(10**7):07d}"
        style = rng.random()
        if style < 0.5:
            return f"+963{digits}"
        if style < 0.8:
            return f"0{digits[:3]} {digits[3:6]} {digits[6:]}"
        if style < 0.9:
            return f"+963 {digits[:3]} {digits[3:6]} {digits[6:]}"
        return f"00963{digits}"

    def expiry(self, years: int) -> dt.date:
        """Expiry of a document valid ``years`` years, issued some time in the last ``years + 2``."""
        issued = self.day0 - self.rng.randint(30, int((years + 2) * _YEAR))
        return dt.date.fromordinal(issued + int(years * _YEAR))

    def ru_passport(self) -> dict[str, Any]:
        number = f"{self.rng.randint(70, 77)} {self.rng.randrange(10**7):07d}"
        return {
            "type": DocumentType.PASSPORT,
            "number": number,
            "issuing_country": "RU",
            "expiry_date": self.expiry(10),
        }

    def ru_documents(self, born: int) -> list[dict[str, Any]]:
        rng, age = self.rng, self.age(born)
        docs = []
        if age < 14 or rng.random() < 0.1:
            series = f"{self.pick(_RU_BIRTH_SERIES)} {rng.randrange(10**6):06d}"
            docs.append({"type": DocumentType.BIRTH_CERTIFICATE, "number": series, "issuing_country": "RU"})
        if age >= 14 or rng.random() < 0.4:
            if rng.random() < 0.9:
                docs.append(self.ru_passport())
            if age >= 14 and rng.random() < 0.35:  # the internal passport: no expiry date
                number = f"{rng.randint(1, 99):02d} {rng.randint(0, 24):02d} {rng.randrange(10**6):06d}"
                docs.append({"type": DocumentType.NATIONAL_ID, "number": number, "issuing_country": "RU"})
        return docs

    def sy_documents(self, born: int, head: bool) -> list[dict[str, Any]]:
        rng, docs = self.rng, []
        if self.age(born) >= 14 and rng.random() < 0.9:
            number = f"{rng.randint(1, 14):02d}{rng.randrange(10**9):09d}"
            docs.append({"type": DocumentType.NATIONAL_ID, "number": number, "issuing_country": "SY"})
        if self.age(born) >= 18 and rng.random() < 0.3:
            number = f"{self.pick('NP')}{rng.randrange(10**9):09d}"
            docs.append(
                {
                    "type": DocumentType.PASSPORT,
                    "number": number,
                    "issuing_country": "SY",
                    "expiry_date": self.expiry(6),
                }
            )
        if head and rng.random() < 0.3:
            number = f"{rng.randint(1, 14):02d}/{rng.randrange(10**5):05d}"
            docs.append({"type": DocumentType.FAMILY_BOOK, "number": number, "issuing_country": "SY"})
        return docs

    def adult_phones(self, russian: float) -> list[str]:
        r = self.rng.random()
        if r < 0.1:
            return []
        phones = [self.phone(self.rng.random() < russian)]
        if r > 0.9:
            phones.append(self.phone(not phones[0].startswith("+7") and self.rng.random() < 0.5))
        return phones

    def person(self, names: dict[str, Any], sex: Sex, born: int, rel: Relationship, **fields: Any) -> _Member:
        data = {**names, "sex": sex, "relationship_to_head": rel, **fields}
        data.setdefault("birth_date", self.birth(born, estimate=False))
        return _Member(data, born, sex == Sex.FEMALE)

    def children_born(self, parent_born: int, count: int) -> list[int]:
        """Birth dates of ``count`` children, each born when the parent was 19 to 44 and not after today."""
        lo, hi = parent_born + int(19 * _YEAR), min(self.day0, parent_born + int(44 * _YEAR))
        return sorted(self.rng.randint(lo, hi) for _ in range(count)) if lo <= hi else []

    # ---- households ---------------------------------------------------------------------------

    def household(self) -> dict[str, Any]:
        r = self.rng.random()
        if r < 0.55:
            category, site, members = EvacuationCategory.CITIZEN, self.consular_site(), self.mixed()
        elif r < 0.65:
            category, site = EvacuationCategory.STAFF, self.pick(("DAM-CONS", "DAM-AP"), (80, 20))
            members = self.syrian(category, "ar")
        elif r < 0.95:
            category, site = EvacuationCategory.AT_RISK_NATIONAL, AIRBASE_CODE
            members = self.at_risk()
        else:
            category, site, members = self.other()
        at_airbase = site == AIRBASE_CODE
        intention = self.pick(
            (Intention.LEAVE_NOW, Intention.LEAVE_LATER, Intention.UNDECIDED, Intention.STAY),
            (75, 5, 10, 10) if at_airbase else (22, 40, 30, 8),
        )
        registered = self.midnight - dt.timedelta(seconds=self.rng.randrange(86400, 30 * 86400))
        stated = min(self.today, registered.date() + dt.timedelta(days=self.rng.randint(0, 3)))
        self.finish(members, category, intention, registered)
        return {
            "site_id": self.sites[site],
            "category": category,
            "intention": intention,
            "intention_date": None
            if intention == Intention.UNDECIDED and self.rng.random() < 0.5
            else stated,
            "members": [m.data for m in members],
        }

    def consular_site(self) -> str:
        return self.pick(CONSULAR_SITE_CODES, (30, 15, 10, 12, 18, 15))

    def mixed(self) -> list[_Member]:
        """A citizen mother born in the USSR or Russia, her Syrian husband and their dual-national children."""
        rng, cat = self.rng, EvacuationCategory
        fam, husband, husband_father = (
            self.pick(nm.ARABIC_FAMILY),
            self.pick(nm.ARABIC_MALE),
            self.pick(nm.ARABIC_MALE),
        )
        fam_cy = self.spelling(fam.cyrillic)
        m_born = self.born(22, 55)
        must: list[tuple[str, str]] = []
        given = self.pick(nm.RUSSIAN_FEMALE)
        if rng.random() < 0.6:  # the Latin spelling of her international passport
            must.append(("given", self.spelling(given.latin)))
        if rng.random() < 0.6:  # kept her maiden name
            maiden = nm.surname_forms(self.pick(nm.RUSSIAN_FAMILY), female=True)
            names = self.names(
                "cy", given, maiden, nm.patronymic(self.pick(nm.RUSSIAN_MALE).cyrillic[0], True), must=must
            )
        else:  # took her husband's, and the Arabic spelling of it is on her Syrian papers
            must.append(("family", fam.arabic))
            names = self.names(
                "cy",
                given,
                fam,
                nm.patronymic(self.pick(nm.RUSSIAN_MALE).cyrillic[0], True),
                family_text=fam_cy,
                must=must,
            )
        y = dt.date.fromordinal(m_born).year
        soviet, modern = self.pick(nm.SOVIET_PLACES)
        mother = self.person(
            names,
            Sex.FEMALE,
            m_born,
            Relationship.HEAD,
            category=cat.CITIZEN,
            nationalities=["RU"],
            place_of_birth=soviet if y < 1992 else modern,
            languages=["rus", "ara"] if rng.random() < 0.7 else ["rus"],
            documents=self.ru_documents(m_born) if rng.random() > 0.03 else [],
            phones=self.adult_phones(0.5),
        )
        members, f_born = [mother], m_born
        if rng.random() < 0.88:
            f_born = max(m_born - rng.randint(0, int(12 * _YEAR)), self.day0 - int(80 * _YEAR))
            latin = [("given", self.spelling(husband.latin))] if rng.random() < 0.7 else []
            grandfather = self.pick(nm.ARABIC_MALE) if rng.random() < 0.4 else None
            docs = self.sy_documents(f_born, head=True)
            if rng.random() < 0.25:
                number = f"{self.pick(('82', '83'))} {rng.randrange(10**7):07d}"
                docs.append(
                    {
                        "type": DocumentType.RESIDENCE_PERMIT,
                        "number": number,
                        "issuing_country": "RU",
                        "expiry_date": self.expiry(5),
                    }
                )
            father = self.person(
                self.names("ar", husband, fam, husband_father, grandfather, must=latin),
                Sex.MALE,
                f_born,
                Relationship.SPOUSE,
                category=cat.FAMILY_OF_CITIZEN,
                nationalities=["SY"],
                place_of_birth=self.pick(nm.SYRIAN_PLACES),
                languages=["ara", "rus"] if rng.random() < 0.5 else ["ara"],
                documents=docs,
                phones=self.adult_phones(0.1),
                intention=Intention.STAY if rng.random() < 0.06 else None,
            )
            members.append(father)
        father_cy = self.spelling(
            [c for c in husband.cyrillic if " " not in c and "-" not in c] or husband.cyrillic
        )
        for born in self.children_born(m_born, self.pick((1, 2, 3, 4, 5), (25, 35, 25, 10, 5))):
            female = rng.random() < 0.5
            table = nm.RUSSIAN_FEMALE if female else nm.RUSSIAN_MALE
            if rng.random() < 0.85:
                table = nm.ARABIC_FEMALE if female else nm.ARABIC_MALE
            names = self.names(
                "cy",
                self.pick(table),
                fam,
                nm.patronymic(father_cy, female),
                family_text=fam_cy,
                must=[("father", husband.arabic)],
            )
            place = self.pick(nm.SYRIAN_PLACES_RU) if rng.random() < 0.8 else self.pick(nm.SOVIET_PLACES)[1]
            child = self.person(
                names,
                Sex.FEMALE if female else Sex.MALE,
                born,
                Relationship.CHILD,
                category=cat.CITIZEN,
                nationalities=["RU", "SY"],
                place_of_birth=place,
                languages=["ara", "rus"],
                documents=self.ru_documents(born),
                phones=[self.phone()] if self.age(born) >= 14 and rng.random() < 0.4 else [],
            )
            members.append(child)
        if rng.random() < 0.1:  # the husband's mother came along
            born = min(self.born(62, 88), min(f_born, m_born) - int(20 * _YEAR))
            names = self.names(
                "ar", self.pick(nm.ARABIC_FEMALE), self.pick(nm.ARABIC_FAMILY), self.pick(nm.ARABIC_MALE)
            )
            members.append(
                self.person(
                    names,
                    Sex.FEMALE,
                    born,
                    Relationship.OTHER_RELATIVE,
                    category=cat.FAMILY_OF_CITIZEN,
                    nationalities=["SY"],
                    languages=["ara"],
                    documents=self.sy_documents(born, head=False),
                    place_of_birth=self.pick(nm.SYRIAN_PLACES),
                    birth_date=self.birth(born, estimate=True),
                )
            )
        return members

    def syrian(self, category: EvacuationCategory, script: str, extended: bool = False) -> list[_Member]:
        """A Syrian household: a couple or a lone parent, children, and for ``extended`` older relatives."""
        rng, at_risk = self.rng, category == EvacuationCategory.AT_RISK_NATIONAL
        fam, man, man_father = (
            self.pick(nm.ARABIC_FAMILY),
            self.pick(nm.ARABIC_MALE),
            self.pick(nm.ARABIC_MALE),
        )
        man_grandfather = self.pick(nm.ARABIC_MALE)
        gf_rate = 0.7 if at_risk else 0.3
        langs = ["ara", "kur"] if at_risk and rng.random() < 0.08 else ["ara"]
        if category == EvacuationCategory.STAFF:
            langs = ["ara", "eng", "rus"] if rng.random() < 0.4 else ["ara", "eng"]

        def adult(names: dict[str, Any], sex: Sex, born: int, rel: Relationship, head: bool) -> _Member:
            docs = [] if at_risk and rng.random() < 0.1 else self.sy_documents(born, head)
            if category == EvacuationCategory.STAFF and rel == Relationship.HEAD and rng.random() < 0.5:
                docs.append({"type": DocumentType.OTHER, "number": f"STAFF-{rng.randrange(10**5):05d}"})
            protection = None
            if at_risk and rng.random() < 0.2:
                protection = {"religion": "minority (synthetic)", "narrative": self.pick(nm.NARRATIVES)}
            return self.person(
                names,
                sex,
                born,
                rel,
                nationalities=["SY"],
                languages=list(langs),
                documents=docs,
                place_of_birth=self.pick(nm.SYRIAN_PLACES_LATIN if script == "la" else nm.SYRIAN_PLACES),
                phones=self.adult_phones(0.05),
                protection=protection,
                birth_date=self.birth(born, estimate=at_risk and rng.random() < 0.85),
            )

        man_present = rng.random() < (0.75 if at_risk else 0.65)
        woman_present = not man_present or rng.random() < (0.85 if at_risk else 0.7)
        man_born = self.born(22, 70 if at_risk else 60)
        woman_born = min(man_born + rng.randint(0, int(10 * _YEAR)), self.day0 - int(18 * _YEAR))
        if not man_present:
            woman_born = self.born(24, 68 if at_risk else 60)
        members: list[_Member] = []
        if man_present:
            gf = man_grandfather if rng.random() < gf_rate else None
            names = self.names(script, man, fam, man_father, gf)
            members.append(adult(names, Sex.MALE, man_born, Relationship.HEAD, head=True))
        if woman_present:
            gf = self.pick(nm.ARABIC_MALE) if rng.random() < gf_rate else None
            names = self.names(
                script,
                self.pick(nm.ARABIC_FEMALE),
                self.pick(nm.ARABIC_FAMILY),
                self.pick(nm.ARABIC_MALE),
                gf,
            )
            rel = Relationship.SPOUSE if man_present else Relationship.HEAD
            members.append(adult(names, Sex.FEMALE, woman_born, rel, head=not man_present))
        weights = (8, 12, 18, 20, 17, 12, 8, 5) if at_risk else (20, 20, 30, 20, 10, 0, 0, 0)
        for born in self.children_born(
            woman_born if woman_present else man_born, self.pick(range(8), weights)
        ):
            female = rng.random() < 0.5
            names = self.names(
                script,
                self.pick(nm.ARABIC_FEMALE if female else nm.ARABIC_MALE),
                fam,
                man,
                man_father if rng.random() < gf_rate else None,
            )
            sex = Sex.FEMALE if female else Sex.MALE
            if self.age(born) >= 18:
                members.append(adult(names, sex, born, Relationship.CHILD, head=False))
                continue
            docs = self.sy_documents(born, head=False)
            members.append(
                self.person(
                    names,
                    sex,
                    born,
                    Relationship.CHILD,
                    nationalities=["SY"],
                    languages=list(langs),
                    documents=docs,
                )
            )
        head_born = members[0].born
        if extended and rng.random() < 0.3:  # a parent of the head
            born = max(head_born - rng.randint(int(20 * _YEAR), int(38 * _YEAR)), self.day0 - int(96 * _YEAR))
            if man_present and rng.random() < 0.4:
                names = self.names(script, man_father, fam, man_grandfather)
                members.append(adult(names, Sex.MALE, born, Relationship.PARENT, head=False))
            else:
                names = self.names(
                    script,
                    self.pick(nm.ARABIC_FEMALE),
                    self.pick(nm.ARABIC_FAMILY),
                    self.pick(nm.ARABIC_MALE),
                )
                members.append(adult(names, Sex.FEMALE, born, Relationship.PARENT, head=False))
        if extended and rng.random() < 0.15 and man_present:  # a brother or sister of the head
            female = rng.random() < 0.5
            born = man_born + rng.randint(-int(8 * _YEAR), int(8 * _YEAR))
            born = min(born, self.day0 - int(18 * _YEAR))
            names = self.names(
                script,
                self.pick(nm.ARABIC_FEMALE if female else nm.ARABIC_MALE),
                fam,
                man_father,
                man_grandfather,
            )
            members.append(
                adult(names, Sex.FEMALE if female else Sex.MALE, born, Relationship.SIBLING, head=False)
            )
        return members

    def at_risk(self) -> list[_Member]:
        """A minority household at the airbase; sometimes known only from a partner's list (Latin)."""
        script = "la" if self.rng.random() < 0.15 else "ar"
        if self.rng.random() < 0.01:
            return self.unaccompanied(script)
        return self.syrian(EvacuationCategory.AT_RISK_NATIONAL, script, extended=True)

    def unaccompanied(self, script: str) -> list[_Member]:
        """A child without parents: alone or with a younger sibling, with an unrelated adult, or with a relative."""
        rng, need = self.rng, SpecificNeed.UNACCOMPANIED_CHILD
        fam, father = self.pick(nm.ARABIC_FAMILY), self.pick(nm.ARABIC_MALE)
        variant = rng.random()
        members: list[_Member] = []
        if variant >= 0.4:  # an adult looks after the child
            born = self.born(25, 60)
            female = rng.random() < 0.5
            adult_fam = fam if variant >= 0.7 else self.pick(nm.ARABIC_FAMILY)
            names = self.names(
                script,
                self.pick(nm.ARABIC_FEMALE if female else nm.ARABIC_MALE),
                adult_fam,
                self.pick(nm.ARABIC_MALE),
            )
            sex = Sex.FEMALE if female else Sex.MALE
            members.append(
                self.person(
                    names,
                    sex,
                    born,
                    Relationship.HEAD,
                    nationalities=["SY"],
                    languages=["ara"],
                    phones=[self.phone()],
                )
            )
        rel = Relationship.NON_RELATIVE if variant < 0.7 else Relationship.OTHER_RELATIVE
        if variant >= 0.7:
            need = SpecificNeed.SEPARATED_CHILD
        ages = [(13, 17)] if variant >= 0.4 else [(14, 17), (5, 12)][: rng.randint(1, 2)]
        for i, (lo, hi) in enumerate(ages):
            female = rng.random() < 0.5
            born = self.born(lo, hi)
            names = self.names(script, self.pick(nm.ARABIC_FEMALE if female else nm.ARABIC_MALE), fam, father)
            child_rel = (Relationship.HEAD if i == 0 else Relationship.SIBLING) if variant < 0.4 else rel
            members.append(
                self.person(
                    names,
                    Sex.FEMALE if female else Sex.MALE,
                    born,
                    child_rel,
                    nationalities=["SY"],
                    languages=["ara"],
                    needs=[need],
                    documents=self.sy_documents(born, head=False),
                )
            )
        return members

    def other(self) -> tuple[EvacuationCategory, str, list[_Member]]:
        """An older citizen on their own, or a citizen of another post-Soviet state."""
        rng, site = self.rng, self.consular_site()
        female = rng.random() < 0.65
        given = self.pick(nm.RUSSIAN_FEMALE if female else nm.RUSSIAN_MALE)
        surname = nm.surname_forms(self.pick(nm.RUSSIAN_FAMILY), female)
        if female and rng.random() < 0.3:
            surname = self.pick(nm.ARABIC_FAMILY)
        names = self.names(
            "cy", given, surname, nm.patronymic(self.pick(nm.RUSSIAN_MALE).cyrillic[0], female)
        )
        sex = Sex.FEMALE if female else Sex.MALE
        if rng.random() < 0.6:
            born = self.born(62, 92)
            person = self.person(
                names,
                sex,
                born,
                Relationship.HEAD,
                nationalities=["RU"],
                languages=["rus", "ara"][: rng.randint(1, 2)],
                place_of_birth=self.pick(nm.SOVIET_PLACES)[0],
                documents=[self.ru_passport()],
                phones=self.adult_phones(0.3),
            )
            return EvacuationCategory.CITIZEN, site, [person]
        country, prefix = self.pick(_THIRD_COUNTRIES)
        born = self.born(25, 80)
        doc = {
            "type": DocumentType.PASSPORT,
            "number": f"{prefix}{rng.randrange(10**7):07d}",
            "issuing_country": country,
            "expiry_date": self.expiry(10),
        }
        person = self.person(
            names,
            sex,
            born,
            Relationship.HEAD,
            nationalities=[country],
            languages=["rus"],
            place_of_birth=self.pick(nm.SOVIET_PLACES)[0 if born < self.day0 - 34 * _YEAR else 1],
            documents=[doc],
            phones=self.adult_phones(0.3),
        )
        return EvacuationCategory.OTHER, site, [person]

    # ---- needs and consents -------------------------------------------------------------------

    def finish(
        self,
        members: list[_Member],
        category: EvacuationCategory,
        intention: Intention,
        registered: dt.datetime,
    ) -> None:
        rng, at_risk = self.rng, category == EvacuationCategory.AT_RISK_NATIONAL
        adults = [m for m in members if self.age(m.born) >= 18]
        minors_of_head = [
            m
            for m in members
            if m.data["relationship_to_head"] == Relationship.CHILD and self.age(m.born) < 18
        ]
        for m in members:
            age, needs = self.age(m.born), m.data.setdefault("needs", [])
            draws = (
                (SpecificNeed.SERIOUS_MEDICAL_CONDITION, 0.04),
                (SpecificNeed.DISABILITY, 0.03),
                (SpecificNeed.OLDER_PERSON_AT_RISK, 0.6 if age > 65 else 0),
                (SpecificNeed.PREGNANT_OR_LACTATING, 0.08 if m.female and 18 <= age <= 45 else 0),
                (SpecificNeed.CHILD_AT_RISK, 0.02 if age < 18 else 0),
                (SpecificNeed.WOMAN_AT_RISK, 0.03 if m.female and age >= 18 else 0),
                (SpecificNeed.SURVIVOR_OF_VIOLENCE, 0.02 if at_risk and age >= 16 else 0),
                (SpecificNeed.SURVIVOR_OF_TORTURE, 0.02 if at_risk and age >= 16 else 0),
            )
            needs.extend(need for need, rate in draws if rate and rng.random() < rate)
            if len(adults) == 1 and m is adults[0] and minors_of_head:
                needs.append(SpecificNeed.SINGLE_PARENT)
            if m.data.get("protection") and rng.random() < 0.3:
                needs.append(SpecificNeed.LEGAL_PHYSICAL_PROTECTION)
            if age >= 18 or m.data["relationship_to_head"] == Relationship.HEAD:
                witnessed = age < 18
                m.data["consents"] = self.consents(registered, intention, 0.35 if at_risk else 0.1, witnessed)

    def consents(
        self, at: dt.datetime, intention: Intention, sharing: float, witnessed: bool
    ) -> list[dict[str, Any]]:
        rng = self.rng
        method = (
            ConsentMethod.WITNESSED
            if witnessed
            else self.pick((ConsentMethod.SIGNED, ConsentMethod.VERBAL), (70, 30))
        )
        at = at + dt.timedelta(minutes=rng.randint(0, 90))
        out: list[dict[str, Any]] = [
            {"purpose": ConsentPurpose.REGISTRATION, "method": method, "decided_at": at}
        ]
        if intention == Intention.LEAVE_NOW:
            out.append(
                {
                    "purpose": ConsentPurpose.EVACUATION,
                    "method": ConsentMethod.SIGNED if not witnessed else method,
                    "decided_at": at,
                }
            )
        if rng.random() < sharing:
            out.append(
                {
                    "purpose": ConsentPurpose.PARTNER_SHARING,
                    "partner": self.pick(_PARTNERS),
                    "method": method,
                    "decided_at": at,
                }
            )
        if len(out) > 1 and rng.random() < 0.05:  # changed their mind later
            later = min(self.midnight, at + dt.timedelta(hours=rng.randint(2, 200)))
            withdrawn = {
                **out[-1],
                "decision": ConsentDecision.WITHDRAWN,
                "decided_at": later,
                "method": ConsentMethod.SIGNED,
            }
            out.append(withdrawn)
        return out


def generate_households(
    n: int, seed: int, site_ids: Mapping[str, uuid.UUID], today: dt.date
) -> Iterator[HouseholdCreate]:
    """``n`` synthetic households, the same ones for the same ``seed`` and ``today``.

    ``site_ids`` maps the codes of :func:`generate_sites` to the ids the sites were given.
    """
    generator = _Generator(seed, site_ids, today)
    for _ in range(n):
        yield HouseholdCreate.model_validate(generator.household())
