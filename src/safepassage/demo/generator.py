"""Synthetic demo data: a state evacuates its citizens, their families and at-risk civilians from Syria.

Modelled on a Russian-style operation: citizens (often women born in the USSR married to Syrian men)
and their dual-national children register at the consulate and assembly points, local embassy staff
leave with them, and members of a persecuted minority sheltering at an airbase are offered voluntary
departure. Everything is drawn from small tables with ``random.Random(seed)``: the same ``seed`` and
``today`` always give the same households, and no real person is described.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from safepassage.demo import names as nm
from safepassage.registry import codes
from safepassage.registry.schemas import HouseholdCreate, SiteCreate

DEMO_DISCLAIMER = (
    "DEMO DATA - ENTIRELY SYNTHETIC: every person, name, date, document, phone number and story was made up "
    "at random; any resemblance to a real person is coincidental. Never mix it with real registrations."
)

AIRBASE_CODE = "LTK-AB"  # where the at-risk households are; the citizens are at the consular sites
CONSULAR_SITE_CODES = ("DAM-CONS", "DAM-AP", "DAM-SH", "ALP-AP", "LTK-AP", "TRT-AP")


def generate_sites() -> list[SiteCreate]:
    """Consulate, assembly points and a shelter in Syria, the airbase, an airport and reception centres."""
    return [
        SiteCreate(code=c, name=n, kind=k, country=cc, latitude=lat, longitude=lon, bed_capacity=b)
        for c, n, k, cc, lat, lon, b in nm.SITES
    ]


T = TypeVar("T")
_C, _D, _N, _I = codes.EvacuationCategory, codes.DocumentType, codes.SpecificNeed, codes.Intention
_R = codes.Relationship
_F, _M, _P, _CM = codes.Sex.FEMALE, codes.Sex.MALE, codes.ConsentPurpose, codes.ConsentMethod
_YEAR = 365.2425
_SY_MOBILE = "345689"  # 093x, 094x, 095x, 096x, 098x, 099x
_RU_MOBILE = ("903", "905", "909", "915", "916", "917", "919", "925", "926", "928", "977", "985", "999")
_RU_BIRTH_SERIES = ("I-СИ", "II-МЮ", "III-ЛО", "IV-АГ", "I-РУ", "II-ДМ")
_THIRD_COUNTRIES = (("KZ", "N"), ("BY", "MP"), ("UA", "FA"), ("UZ", "AB"))
_ARABIC = {_F: nm.ARABIC_FEMALE, _M: nm.ARABIC_MALE}
_RUSSIAN = {_F: nm.RUSSIAN_FEMALE, _M: nm.RUSSIAN_MALE}
Data = dict[str, Any]
Must = Sequence[tuple[str, str]]
Part = nm.Forms | str | None  # a name in all its spellings, a patronymic as written, or nothing


def _doc(kind: codes.DocumentType, no: str, country: str | None, exp: dt.date | None = None) -> Data:
    return {"type": kind, "number": no, "issuing_country": country, "expiry_date": exp}


@dataclass(slots=True)
class _Member:
    data: Data
    born: int  # the true birth date (an ordinal); what is recorded may be less precise


class _Generator:
    def __init__(self, seed: int, site_ids: Mapping[str, uuid.UUID], today: dt.date) -> None:
        missing = [c for c in (*CONSULAR_SITE_CODES, AIRBASE_CODE) if c not in site_ids]
        if missing:
            raise KeyError(f"site_ids lacks the demo sites {', '.join(missing)}")
        self.rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
        self.sites, self.today, self.day0 = site_ids, today, today.toordinal()
        self.midnight = dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC)

    def pick(self, options: Sequence[T], weights: Sequence[float] | None = None) -> T:
        return self.rng.choices(options, weights)[0] if weights else self.rng.choice(options)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def spelling(self, options: Sequence[str]) -> str:  # the usual one most of the time
        return options[0] if len(options) == 1 or self.chance(0.6) else self.rng.choice(options[1:])

    def years(self, n: float) -> int:
        return int(n * _YEAR)

    def born(self, lo: float, hi: float) -> int:
        """A birth date (ordinal) for someone aged ``lo`` to ``hi`` years today."""
        return self.day0 - self.rng.randint(self.years(lo), self.years(hi + 1) - 1)

    def age(self, born: int) -> float:
        return (self.day0 - born) / _YEAR

    def names(self, script: str, *parts: Part, fam_text: str = "", must: Must = ()) -> Data:
        """Names in ``script`` (the main document's), 0-3 other spellings; parts: given, family, father..."""
        out: Data = {}
        pool: list[tuple[str, str]] = []
        for part, forms in zip(("given", "family", "father", "grandfather"), parts, strict=False):
            if isinstance(forms, str):  # a patronymic, already written out
                out[f"{part}_name"] = forms
            elif forms is not None:
                spellings = getattr(forms, script)
                text = spellings if isinstance(spellings, str) else self.spelling(spellings)
                out[f"{part}_name"] = text = (part == "family" and fam_text) or text
                variants = forms.latin if script == "latin" else forms.all()  # a partner's list: Latin only
                pool.extend((part, t) for t in variants if t != text and (part, t) not in must)
        count = max(0, min(self.pick((0, 1, 2, 3), (20, 35, 30, 15)) - len(must), len(pool)))
        out["other_spellings"] = [{"part": p, "text": t} for p, t in (*must, *self.rng.sample(pool, count))]
        return out

    def birth(self, born: int, estimate: bool = False) -> Data:
        """~70% a full date, ~10% month, ~15% year, ~5% unknown; ~8% a "1 January" typed for want of a day."""
        d, r = dt.date.fromordinal(born), self.rng.random()
        if r < 0.04:  # recorded as the year it is
            return {"value": f"{d.year:04d}-01-01", "precision": "year", "estimated": estimate}
        if r < 0.08:  # left as if it were a real day
            return {"value": f"{d.year:04d}-01-01"}
        if r < 0.74:
            return {"value": d.isoformat()}
        if r < 0.84:
            return {"value": f"{d.year:04d}-{d.month:02d}", "precision": "month"}
        if r < 0.95:
            return {"value": f"{d.year:04d}", "precision": "year", "estimated": estimate}
        return {"precision": "unknown"}

    def phone(self, russian: bool = False) -> str:
        if russian:
            code, n = self.pick(_RU_MOBILE), self.rng.randrange(10**7)
            spaced = f"+7 {code} {n // 10000:03d}-{n // 100 % 100:02d}-{n % 100:02d}"
            return f"+7{code}{n:07d}" if self.chance(0.6) else spaced
        d = f"9{self.pick(_SY_MOBILE)}{self.rng.randrange(10**7):07d}"
        styles = (f"+963{d}", f"0{d[:3]} {d[3:6]} {d[6:]}", f"+963 {d[:3]} {d[3:6]} {d[6:]}", f"00963{d}")
        return self.pick(styles, (50, 30, 10, 10))

    def phones(self, russian: float) -> list[str]:
        """None for one adult in ten, two for one in ten."""
        r, first = self.rng.random(), self.phone(self.chance(russian))
        second = self.phone(not first.startswith("+7") and self.chance(0.5))
        return [] if r < 0.1 else [first, second] if r > 0.9 else [first]

    def expiry(self, valid: int) -> dt.date:
        """The expiry of a document valid ``valid`` years, issued in the last ``valid + 2`` (some expired)."""
        issued = self.day0 - self.rng.randint(30, self.years(valid + 2))
        return dt.date.fromordinal(issued + self.years(valid))

    def ru_documents(self, born: int, passport: float = 0.9) -> list[Data]:
        rng, age, docs = self.rng, self.age(born), []
        if age < 14 or self.chance(0.1):
            no = f"{self.pick(_RU_BIRTH_SERIES)} {rng.randrange(10**6):06d}"
            docs.append(_doc(_D.BIRTH_CERTIFICATE, no, "RU"))
        if (age >= 14 or self.chance(0.4)) and self.chance(passport):
            no = f"{rng.randint(70, 77)} {rng.randrange(10**7):07d}"
            docs.append(_doc(_D.PASSPORT, no, "RU", self.expiry(10)))
        if age >= 14 and self.chance(0.35):  # the internal passport: no expiry date
            no = f"{rng.randint(1, 99):02d} {rng.randint(0, 24):02d} {rng.randrange(10**6):06d}"
            docs.append(_doc(_D.NATIONAL_ID, no, "RU"))
        return docs

    def sy_documents(self, born: int, head: bool = False) -> list[Data]:
        rng, age, docs = self.rng, self.age(born), []
        if age >= 14 and self.chance(0.9):
            docs.append(_doc(_D.NATIONAL_ID, f"{rng.randint(1, 14):02d}{rng.randrange(10**9):09d}", "SY"))
        if age >= 18 and self.chance(0.3):
            no = f"{self.pick('NP')}{rng.randrange(10**9):09d}"
            docs.append(_doc(_D.PASSPORT, no, "SY", self.expiry(6)))
        if head and self.chance(0.3):
            docs.append(_doc(_D.FAMILY_BOOK, f"{rng.randint(1, 14):02d}/{rng.randrange(10**5):05d}", "SY"))
        return docs

    def person(self, names: Data, sex: codes.Sex, born: int, rel: _R, **fields: Any) -> _Member:
        data = {**names, "sex": sex, "relationship_to_head": rel, **fields}
        data.setdefault("birth_date", self.birth(born))
        return _Member(data, born)

    def children(self, parent_born: int, weights: Sequence[float]) -> list[tuple[int, codes.Sex]]:
        """Children born when the parent was 19 to 44, none after today, at least 11 months apart."""
        lo, hi = parent_born + self.years(19), min(self.day0, parent_born + self.years(44))
        count = self.pick(range(len(weights)), weights) if lo <= hi else 0
        out: list[tuple[int, codes.Sex]] = []
        for born in sorted(self.rng.randint(lo, hi) for _ in range(count)):
            if not out or born - out[-1][0] >= 335:
                out.append((born, self.pick((_F, _M))))
        return out

    def household(self) -> Data:
        r, site = self.rng.random(), self.pick(CONSULAR_SITE_CODES, (30, 15, 10, 12, 18, 15))
        if r < 0.55:
            category, members = _C.CITIZEN, self.mixed()
        elif r < 0.65:
            site = self.pick(("DAM-CONS", "DAM-AP"), (4, 1))
            category, members = _C.STAFF, self.syrian(False, "arabic")
        elif r < 0.95:
            category, site = _C.AT_RISK_NATIONAL, AIRBASE_CODE
            script = "latin" if self.chance(0.15) else "arabic"  # some known only from a partner's list
            members = self.unaccompanied(script) if self.chance(0.01) else self.syrian(True, script)
        else:
            category, members = self.other()
        choices = (_I.LEAVE_NOW, _I.LEAVE_LATER, _I.UNDECIDED, _I.STAY)
        intention = self.pick(choices, (75, 5, 10, 10) if site == AIRBASE_CODE else (22, 40, 30, 8))
        registered = self.midnight - dt.timedelta(seconds=self.rng.randrange(86400, 30 * 86400))
        stated = min(self.today, registered.date() + dt.timedelta(days=self.rng.randint(0, 3)))
        undated = intention == _I.UNDECIDED and self.chance(0.5)
        data = self.finish(members, category, intention, registered)
        household = {"site_id": self.sites[site], "category": category, "intention": intention}
        return {**household, "intention_date": None if undated else stated, "members": data}

    def mixed(self) -> list[_Member]:
        """A citizen mother born in the USSR or Russia, her Syrian husband, their dual-national children."""
        fam, (husband, husband_father) = self.pick(nm.ARABIC_FAMILY), self.rng.choices(nm.ARABIC_MALE, k=2)
        fam_cy, m_born, given = self.spelling(fam.cyrillic), self.born(22, 55), self.pick(nm.RUSSIAN_FEMALE)
        must = [("given", self.spelling(given.latin))] if self.chance(0.6) else []  # her passport's spelling
        patronymic = nm.patronymic(self.pick(nm.RUSSIAN_MALE).cyrillic[0], True)
        took = self.chance(0.4)  # her husband's family name, whose Arabic spelling is on her Syrian papers
        family = fam if took else nm.surname_forms(self.pick(nm.RUSSIAN_FAMILY), True)  # or her maiden name
        must += [("family", fam.arabic)] if took else []
        names = self.names("cyrillic", given, family, patronymic, fam_text=fam_cy if took else "", must=must)
        place = self.pick(nm.SOVIET_PLACES)[dt.date.fromordinal(m_born).year >= 1992]
        docs = self.ru_documents(m_born) if self.chance(0.97) else []
        mother = self.person(names, _F, m_born, _R.HEAD, nationalities=["RU"], documents=docs)
        mother.data.update(place_of_birth=place, phones=self.phones(0.5))
        mother.data["languages"] = ["rus", "ara"][: 1 + self.chance(0.7)]
        members = [mother]
        if self.chance(0.88):  # the husband is here too
            f_born = max(m_born - self.rng.randint(0, self.years(12)), self.day0 - self.years(80))
            latin = [("given", self.spelling(husband.latin))] if self.chance(0.7) else []
            grandfather = self.pick(nm.ARABIC_MALE) if self.chance(0.4) else None
            names = self.names("arabic", husband, fam, husband_father, grandfather, must=latin)
            docs = self.sy_documents(f_born, head=True)
            if self.chance(0.25):
                no = f"82 {self.rng.randrange(10**7):07d}"
                docs.append(_doc(_D.RESIDENCE_PERMIT, no, "RU", self.expiry(5)))
            father = self.person(names, _M, f_born, _R.SPOUSE, category=_C.FAMILY_OF_CITIZEN, documents=docs)
            stay = _I.STAY if self.chance(0.06) else None  # sees his family off and stays
            father.data.update(
                nationalities=["SY"], place_of_birth=self.pick(nm.SYRIAN_PLACES), intention=stay
            )
            father.data.update(phones=self.phones(0.1), languages=["ara", "rus"][: 1 + self.chance(0.5)])
            members.append(father)
        father_cy = self.spelling([c for c in husband.cyrillic if " " not in c and "-" not in c])
        for born, sex in self.children(m_born, (0, 25, 35, 25, 10, 5)):
            given = self.pick(_ARABIC[sex] if self.chance(0.85) else _RUSSIAN[sex])
            patronymic, arabic_father = nm.patronymic(father_cy, sex == _F), ("father", husband.arabic)
            names = self.names("cyrillic", given, fam, patronymic, fam_text=fam_cy, must=[arabic_father])
            place = self.pick(nm.SYRIAN_PLACES_RU) if self.chance(0.8) else self.pick(nm.SOVIET_PLACES)[1]
            child = self.person(names, sex, born, _R.CHILD, nationalities=["RU", "SY"], place_of_birth=place)
            phones = [self.phone()] if self.age(born) >= 14 and self.chance(0.4) else []
            child.data.update(languages=["ara", "rus"], documents=self.ru_documents(born), phones=phones)
            members.append(child)
        return members

    def syrian(self, at_risk: bool, script: str) -> list[_Member]:
        """Staff or an at-risk household: a couple or a lone parent, children, maybe a parent or a sibling."""
        fam, (man, man_father, grandfather) = self.pick(nm.ARABIC_FAMILY), self.rng.choices(_ARABIC[_M], k=3)
        gf_rate = 0.7 if at_risk else 0.3
        places = nm.SYRIAN_PLACES_LATIN if script == "latin" else nm.SYRIAN_PLACES
        langs = ["ara", "eng", "rus"][: 2 + self.chance(0.4)]  # staff
        if at_risk:
            langs = ["ara", "kur"][: 1 + self.chance(0.08)]
        members: list[_Member] = []

        def add(names: Data, sex: codes.Sex, born: int, rel: _R, head: bool = False) -> None:
            member = self.person(names, sex, born, rel, nationalities=["SY"], languages=langs)
            members.append(member)
            if self.age(born) < 18:
                member.data["documents"] = self.sy_documents(born)
                return
            docs = [] if at_risk and self.chance(0.06) else self.sy_documents(born, head)
            if not at_risk and head and self.chance(0.5):
                docs.append(_doc(_D.OTHER, f"STAFF-{self.rng.randrange(10**5):05d}", None))
            member.data.update(documents=docs, place_of_birth=self.pick(places), phones=self.phones(0.05))
            member.data["birth_date"] = self.birth(born, at_risk and self.chance(0.85))
            if at_risk and self.chance(0.2):
                member.data["protection"] = {
                    "purpose": "status_determination",
                    "religion": nm.MINORITY,
                    "narrative": self.pick(nm.NARRATIVES),
                }

        man_here = self.chance(0.75 if at_risk else 0.65)
        woman_here = not man_here or self.chance(0.85 if at_risk else 0.7)
        man_born = self.born(22, 70 if at_risk else 60)
        woman_born = min(man_born + self.rng.randint(0, self.years(10)), self.day0 - self.years(18))
        if not man_here:  # a widow, or a woman whose husband stayed behind or is missing
            woman_born = self.born(24, 68 if at_risk else 60)
        if man_here:
            gf = grandfather if self.chance(gf_rate) else None
            add(self.names(script, man, fam, man_father, gf), _M, man_born, _R.HEAD, head=True)
        if woman_here:
            gf = self.pick(nm.ARABIC_MALE) if self.chance(gf_rate) else None
            wife = self.pick(nm.ARABIC_FEMALE), self.pick(nm.ARABIC_FAMILY), self.pick(nm.ARABIC_MALE), gf
            add(self.names(script, *wife), _F, woman_born, _R.SPOUSE if man_here else _R.HEAD, not man_here)
        weights = (8, 12, 18, 20, 17, 12, 8, 5) if at_risk else (20, 20, 30, 20, 10)
        for born, sex in self.children(woman_born if woman_here else man_born, weights):
            gf = man_father if self.chance(gf_rate) else None
            add(self.names(script, self.pick(_ARABIC[sex]), fam, man, gf), sex, born, _R.CHILD)
        if at_risk and self.chance(0.3):  # a parent of the head
            born = max(members[0].born - self.rng.randint(self.years(20), self.years(38)), self.born(90, 96))
            if man_here and self.chance(0.4):
                add(self.names(script, man_father, fam, grandfather), _M, born, _R.PARENT)
            else:
                mother = self.pick(nm.ARABIC_FEMALE), self.pick(nm.ARABIC_FAMILY), self.pick(nm.ARABIC_MALE)
                add(self.names(script, *mother), _F, born, _R.PARENT)
        if at_risk and man_here and self.chance(0.15):  # a brother or sister of the head
            sex = self.pick((_F, _M))
            born = min(man_born + self.rng.randint(-self.years(8), self.years(8)), self.day0 - self.years(18))
            names = self.names(script, self.pick(_ARABIC[sex]), fam, man_father, grandfather)
            add(names, sex, born, _R.SIBLING)
        return members

    def unaccompanied(self, script: str) -> list[_Member]:
        """A child alone, with a younger sibling or an unrelated adult; or with a relative (separated)."""
        fam, father, variant = self.pick(nm.ARABIC_FAMILY), self.pick(nm.ARABIC_MALE), self.rng.random()
        members: list[_Member] = []
        if variant >= 0.4:  # an adult looks after the child
            sex, born = self.pick((_F, _M)), self.born(25, 60)
            adult_family = fam if variant >= 0.7 else self.pick(nm.ARABIC_FAMILY)
            names = self.names(script, self.pick(_ARABIC[sex]), adult_family, self.pick(nm.ARABIC_MALE))
            members.append(self.person(names, sex, born, _R.HEAD, nationalities=["SY"], languages=["ara"]))
            members[0].data.update(phones=[self.phone()], documents=self.sy_documents(born))
        need = _N.SEPARATED_CHILD if variant >= 0.7 else _N.UNACCOMPANIED_CHILD
        rel = _R.OTHER_RELATIVE if variant >= 0.7 else _R.NON_RELATIVE if variant >= 0.4 else _R.SIBLING
        ages = [(13, 17)] if variant >= 0.4 else [(14, 17), (5, 12)][: self.rng.randint(1, 2)]
        for i, (lo, hi) in enumerate(ages):
            sex, born = self.pick((_F, _M)), self.born(lo, hi)
            names = self.names(script, self.pick(_ARABIC[sex]), fam, father)
            child = self.person(names, sex, born, _R.HEAD if i == 0 and variant < 0.4 else rel, needs=[need])
            child.data.update(nationalities=["SY"], languages=["ara"], documents=self.sy_documents(born))
            members.append(child)
        return members

    def other(self) -> tuple[codes.EvacuationCategory, list[_Member]]:
        """An older citizen on their own, or a citizen of another post-Soviet state."""
        sex = _F if self.chance(0.65) else _M
        surname = nm.surname_forms(self.pick(nm.RUSSIAN_FAMILY), sex == _F)
        if sex == _F and self.chance(0.3):  # the widow of a Syrian husband
            surname = self.pick(nm.ARABIC_FAMILY)
        patronymic = nm.patronymic(self.pick(nm.RUSSIAN_MALE).cyrillic[0], sex == _F)
        names = self.names("cyrillic", self.pick(_RUSSIAN[sex]), surname, patronymic)
        if self.chance(0.6):
            born = self.born(62, 92)
            person = self.person(names, sex, born, _R.HEAD, documents=self.ru_documents(born, 1))
            person.data.update(place_of_birth=self.pick(nm.SOVIET_PLACES)[0], phones=self.phones(0.3))
            person.data.update(nationalities=["RU"], languages=["rus", "ara"][: 1 + self.chance(0.5)])
            return _C.CITIZEN, [person]
        (country, prefix), born = self.pick(_THIRD_COUNTRIES), self.born(25, 80)
        doc = _doc(_D.PASSPORT, f"{prefix}{self.rng.randrange(10**7):07d}", country, self.expiry(10))
        person = self.person(names, sex, born, _R.HEAD, nationalities=[country], documents=[doc])
        place = self.pick(nm.SOVIET_PLACES)[dt.date.fromordinal(born).year >= 1992]
        person.data.update(place_of_birth=place, phones=self.phones(0.3), languages=["rus"])
        return _C.OTHER, [person]

    def finish(self, members: list[_Member], category: str, intention: str, at: dt.datetime) -> list[Data]:
        """Needs and consents, once the household is complete."""
        at_risk = category == _C.AT_RISK_NATIONAL
        adults = [m for m in members if self.age(m.born) >= 18]
        minors = any(m.data["relationship_to_head"] == _R.CHILD and self.age(m.born) < 18 for m in members)
        for m in members:
            age, needs = self.age(m.born), m.data.setdefault("needs", [])
            rates = (
                (_N.SERIOUS_MEDICAL_CONDITION, 0.04),
                (_N.DISABILITY, 0.03),
                (_N.OLDER_PERSON_AT_RISK, 0.6 if age > 65 else 0),
                (_N.PREGNANT_OR_LACTATING, 0.08 if m.data["sex"] == _F and 18 <= age <= 45 else 0),
                (_N.CHILD_AT_RISK, 0.02 if age < 18 else 0),
                (_N.WOMAN_AT_RISK, 0.03 if m.data["sex"] == _F and age >= 18 else 0),
                (_N.SURVIVOR_OF_VIOLENCE, 0.02 if at_risk and age >= 16 else 0),
                (_N.SURVIVOR_OF_TORTURE, 0.02 if at_risk and age >= 16 else 0),
                (_N.LEGAL_PHYSICAL_PROTECTION, 0.3 if m.data.get("protection") else 0),
            )
            needs.extend(need for need, rate in rates if rate and self.chance(rate))
            if minors and len(adults) == 1 and m is adults[0]:
                needs.append(_N.SINGLE_PARENT)
            if age >= 18 or m.data["relationship_to_head"] == _R.HEAD:
                own = m.data.get("intention") or intention  # a father may stay behind
                m.data["consents"] = self.consents(at, own, 0.35 if at_risk else 0.1, age < 18)
        return [m.data for m in members]

    def consents(self, at: dt.datetime, intention: str, sharing: float, minor: bool) -> list[Data]:
        """Registration; evacuation when leaving now; sometimes sharing with a partner; rarely withdrawn."""
        method = _CM.WITNESSED if minor else self.pick((_CM.SIGNED, _CM.VERBAL), (7, 3))
        at += dt.timedelta(minutes=self.rng.randint(0, 90))
        out: list[Data] = [{"purpose": _P.REGISTRATION, "method": method, "decided_at": at}]
        if intention == _I.LEAVE_NOW:
            out.append({"purpose": _P.EVACUATION, "method": method, "decided_at": at})
        if self.chance(sharing):
            sharing_consent = {"purpose": _P.PARTNER_SHARING, "partner": self.pick(("UNHCR", "ICRC"))}
            out.append({**sharing_consent, "method": method, "decided_at": at})
        if len(out) > 1 and self.chance(0.05):  # changed their mind later
            later = min(self.midnight, at + dt.timedelta(hours=self.rng.randint(2, 200)))
            out.append({**out[-1], "decision": codes.ConsentDecision.WITHDRAWN, "decided_at": later})
        return out


def generate_households(
    n: int, seed: int, site_ids: Mapping[str, uuid.UUID], today: dt.date
) -> Iterator[HouseholdCreate]:
    """``n`` synthetic households, the same for the same ``seed`` and ``today`` (nothing else is read).

    ``site_ids`` maps the codes of :func:`generate_sites` to the sites' ids; the consular sites and the
    airbase must be there.
    """
    generator = _Generator(seed, site_ids, today)
    for _ in range(n):
        yield HouseholdCreate.model_validate(generator.household())
