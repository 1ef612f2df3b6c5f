"""The synthetic population: families of the evacuation, each person an entity of the ground truth.

Two kinds of family, as in issue 4's driving case:

- mixed: a Russian-speaking woman (Russian passport, patronymic, a -ова/-ина surname and often her
  Arab husband's family name on some lists), her Arab husband (on the lists about half the time, as a
  spouse), their children with Russian passports (patronymic from the father's Arab name, the
  father's family name with Аль-), sometimes her mother;
- minority: an Arab family of a persecuted minority (no Russian documents): parents, children,
  sometimes the paternal grandparents; a first son is often named after his grandfather.

The relatives are the hard negatives: siblings share father's and family names and are born 1-3 years
apart, twins share a birth date, a son may carry his father's or grandfather's given name, spouses
share a family name and a phone. Namesakes (the same full name, a different person) are made across
families in ``generator.py``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from itertools import accumulate

from . import names
from .scripts import arabic_forms, feminine_surname, latin_forms

CURRENT_YEAR = 2026


@dataclass(frozen=True, slots=True)
class Spelling:
    """One name in the three scripts; the first form of each script is the usual one."""

    latin: tuple[str, ...]
    arabic: tuple[str, ...]
    cyrillic: tuple[str, ...]
    article: bool = False
    russian: bool = False


def _from_arab(row: names.ArabName) -> Spelling:
    return Spelling(row.latin, (row.arabic,), row.cyrillic, row.article)


def _from_cyrillic(cyr: str) -> Spelling:
    cyr_forms = tuple(dict.fromkeys((cyr, cyr.replace("ё", "е").replace("Ё", "Е"))))
    return Spelling(latin_forms(cyr.replace("ё", "е")), arabic_forms(cyr), cyr_forms, russian=True)


class Pool:
    """A weighted table of spellings: skewed draws, a few names for most people."""

    def __init__(self, items: list[tuple[float, Spelling]]) -> None:
        self.items = [s for _, s in items]
        self.cum = list(accumulate(w for w, _ in items))

    def draw(self, rng: random.Random) -> Spelling:
        return rng.choices(self.items, cum_weights=self.cum)[0]


MALE = Pool([(r.weight, _from_arab(r)) for r in names.MALE])
FEMALE = Pool([(r.weight, _from_arab(r)) for r in names.FEMALE])
FAMILY = Pool([(r.weight, _from_arab(r)) for r in names.FAMILY])
SHARED_MALE = Pool([(r.weight, _from_arab(r)) for r in names.SHARED_MALE])
SHARED_FEMALE = Pool([(r.weight, _from_arab(r)) for r in names.SHARED_FEMALE])
RU_FEMALE = Pool([(w, _from_cyrillic(n)) for w, n in names.RUSSIAN_FEMALE])
RU_MALE = Pool([(w, _from_cyrillic(n)) for w, n in names.RUSSIAN_MALE])
_RU_SURNAMES = [
    (w, _from_cyrillic(n), _from_cyrillic(feminine_surname(n))) for w, n in names.RUSSIAN_SURNAMES
]
RU_SURNAME_PAIR = [(m, f) for _, m, f in _RU_SURNAMES]
RU_SURNAME_CUM = list(accumulate(w for w, _, _ in _RU_SURNAMES))
LOCAL_PLACE = Pool([(r.weight, _from_arab(r)) for r in names.LOCAL_PLACES])
RU_PLACE = Pool([(r.weight, _from_arab(r)) for r in names.RUSSIAN_PLACES])


@dataclass(slots=True)
class Person:
    """One entity: what is true of the person, before any clerk writes it down."""

    entity_id: str
    sex: str
    given: Spelling
    father: Spelling | None
    family: Spelling
    year: int
    month: int
    day: int
    day_known: bool
    place: Spelling | None
    nationality: tuple[str, ...]
    russian_passport: str | None = None
    local_id: str | None = None
    phone: tuple[str, str] | None = None  # (country, national number)
    contact_phone: tuple[str, str] | None = None  # a child's mother's phone
    married: Spelling | None = None
    married_on_passport: bool = False
    spouse_of_citizen: bool = False
    arab_name: bool = True
    may_be_namesake: bool = False  # a name nobody in the family inherits: free to copy a stranger's
    records: list[str] = field(default_factory=list)

    @property
    def age(self) -> int:
        return CURRENT_YEAR - self.year


Relation = tuple[int, int, str]


def _date(rng: random.Random, year: int) -> tuple[int, int, int]:
    month = rng.randint(1, 12)
    return year, month, rng.randint(1, 28 if month == 2 else 30)


def _phone(rng: random.Random, country: str) -> tuple[str, str]:
    if country == "RU":
        return country, "9" + "".join(rng.choices("0123456789", k=9))
    return country, "9" + rng.choice("3456789") + "".join(rng.choices("0123456789", k=7))


def _ru_passport(rng: random.Random) -> str:
    return str(rng.randint(70, 77)) + "".join(rng.choices("0123456789", k=7))


def _local_id(rng: random.Random) -> str:
    return "0" + "".join(rng.choices("0123456789", k=10))


class FamilyMaker:
    """Makes one family at a time (persons and the relations among them) from one seeded stream."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.next_entity = 0

    def _eid(self) -> str:
        self.next_entity += 1
        return f"E{self.next_entity:08d}"

    def _arab_man(
        self, year: int, *, father: Spelling | None = None, family: Spelling | None = None
    ) -> Person:
        rng = self.rng
        y, m, d = _date(rng, year)
        return Person(
            self._eid(), "M", MALE.draw(rng), father or MALE.draw(rng), family or FAMILY.draw(rng),
            y, m, d, rng.random() < (0.8 if year > 1970 else 0.55), LOCAL_PLACE.draw(rng), ("SY",),
            local_id=_local_id(rng) if rng.random() < 0.75 else None,
            phone=_phone(rng, "SY") if rng.random() < 0.85 else None,
        )  # fmt: skip

    def _arab_woman(self, year: int) -> Person:
        rng = self.rng
        y, m, d = _date(rng, year)
        return Person(
            self._eid(), "F", FEMALE.draw(rng), MALE.draw(rng), FAMILY.draw(rng),
            y, m, d, rng.random() < (0.75 if year > 1970 else 0.5), LOCAL_PLACE.draw(rng), ("SY",),
            local_id=_local_id(rng) if rng.random() < 0.6 else None,
            phone=_phone(rng, "SY") if rng.random() < 0.7 else None,
        )  # fmt: skip

    def _russian_woman(self, year: int, surname: tuple[Spelling, Spelling] | None = None) -> Person:
        rng = self.rng
        y, m, d = _date(rng, year)
        pair = surname or rng.choices(RU_SURNAME_PAIR, cum_weights=RU_SURNAME_CUM)[0]
        nat = ("RU", "SY") if rng.random() < 0.3 else ("RU",)
        return Person(
            self._eid(), "F", RU_FEMALE.draw(rng), RU_MALE.draw(rng), pair[1],
            y, m, d, True, RU_PLACE.draw(rng), nat,
            russian_passport=_ru_passport(rng),
            local_id=_local_id(rng) if "SY" in nat else None,
            phone=_phone(rng, "RU" if rng.random() < 0.35 else "SY") if rng.random() < 0.9 else None,
            arab_name=False,
        )  # fmt: skip

    def _children(
        self,
        mother: Person,
        father: Person | None,
        family: Spelling,
        father_given: Spelling,
        *,
        mixed: bool,
        count: int,
    ) -> tuple[list[Person], list[Relation]]:
        """``count`` children born 1-3 years apart; twins now and then; relations among them."""
        rng = self.rng
        persons: list[Person] = []
        rels: list[Relation] = []
        year = mother.year + rng.randint(19, 30)
        used: set[str] = set()
        for _ in range(count):
            if year > CURRENT_YEAR:
                break
            twins = 2 if rng.random() < 0.03 and len(persons) + 2 <= count + 1 else 1
            birth = _date(rng, year)
            first_of_twins = len(persons)
            for _t in range(twins):
                sex = rng.choice("MF") if _t == 0 or rng.random() < 0.4 else persons[-1].sex
                given = self._child_name(
                    sex, mixed, used, father_given, first_son=not any(p.sex == "M" for p in persons)
                )
                used.add(given.latin[0])
                child = Person(
                    self._eid(), sex, given, father_given, family, *birth,
                    rng.random() < 0.9,
                    mother.place if mixed and rng.random() < 0.2 else LOCAL_PLACE.draw(rng),
                    ("RU", "SY") if mixed else ("SY",),
                    russian_passport=_ru_passport(rng) if mixed and rng.random() < 0.85 else None,
                    local_id=_local_id(rng) if rng.random() < (0.5 if mixed else 0.3) else None,
                    contact_phone=mother.phone or (father.phone if father else None),
                    arab_name=True,
                )  # fmt: skip
                if child.age >= 16 and rng.random() < 0.7:
                    child.phone = _phone(rng, "SY")
                persons.append(child)
            if twins == 2:
                rels.append((first_of_twins, first_of_twins + 1, "twin"))
            year += rng.randint(1, 3)
        for i in range(len(persons)):
            for j in range(i + 1, len(persons)):
                if (i, j, "twin") not in rels:
                    rels.append((i, j, "sibling"))
        return persons, rels

    def _child_name(
        self, sex: str, mixed: bool, used: set[str], father_given: Spelling, *, first_son: bool
    ) -> Spelling:
        rng = self.rng
        if sex == "M" and rng.random() < 0.03 and father_given.latin[0] not in used:
            return father_given  # named after his father
        for _ in range(20):
            if sex == "M":
                name = SHARED_MALE.draw(rng) if mixed and rng.random() < 0.45 else MALE.draw(rng)
            else:
                name = SHARED_FEMALE.draw(rng) if mixed and rng.random() < 0.65 else FEMALE.draw(rng)
            if name.latin[0] not in used:
                return name
        return name

    def mixed(self) -> tuple[list[Person], list[Relation]]:
        """A Russian citizen, her Arab husband (on the lists about half the time), their children."""
        rng = self.rng
        mother = self._russian_woman(rng.randint(1958, 2002))
        husband = self._arab_man(mother.year - rng.randint(-2, 8))
        husband.spouse_of_citizen = True
        mother.married = husband.family
        mother.married_on_passport = rng.random() < 0.4
        count = rng.choices((0, 1, 2, 3, 4), (10, 25, 35, 20, 10))[0]
        kids, kid_rels = self._children(
            mother, husband, husband.family, husband.given, mixed=True, count=count
        )
        persons = [mother, *kids]
        rels: list[Relation] = [(a + 1, b + 1, r) for a, b, r in kid_rels]
        rels += [(0, i, "parent_child") for i in range(1, len(persons))]
        if rng.random() < 0.55:
            h = len(persons)
            persons.append(husband)
            rels.append((0, h, "spouse"))
            for i in range(1, h):
                same = persons[i].given is husband.given
                rels.append((i, h, "father_son_same_name" if same else "parent_child"))
        if rng.random() < 0.08:
            grandmother = self._russian_woman(mother.year - rng.randint(20, 30), surname=None)
            grandmother.family = mother.family
            persons.append(grandmother)
            rels.append((0, len(persons) - 1, "parent_child"))
        return persons, rels

    def minority(self) -> tuple[list[Person], list[Relation]]:
        """An Arab family of the persecuted minority: parents, children, sometimes grandparents."""
        rng = self.rng
        if rng.random() < 0.15:
            single = self._arab_man(rng.randint(1985, 2007))
            single.may_be_namesake = True
            return [single], []
        father = self._arab_man(rng.randint(1950, 1998))
        mother = self._arab_woman(father.year + rng.randint(0, 8))
        mother.may_be_namesake = True
        count = rng.choices((0, 1, 2, 3, 4, 5, 6), (8, 14, 22, 22, 16, 11, 7))[0]
        grandfather = None
        if rng.random() < 0.2 and father.father is not None:
            grandfather = self._arab_man(father.year - rng.randint(20, 32), family=father.family)
            grandfather.given = father.father
        kids, kid_rels = self._children(mother, father, father.family, father.given, mixed=False, count=count)
        if grandfather is not None or rng.random() < 0.35:
            sons = [k for k in kids if k.sex == "M" and k.given is not father.given]
            if sons and father.father is not None and all(k.given is not father.father for k in kids):
                sons[0].given = father.father  # the first son carries his grandfather's name
        persons = [father, mother, *kids]
        rels: list[Relation] = [(0, 1, "spouse")]
        rels += [(a + 2, b + 2, r) for a, b, r in kid_rels]
        for i in range(2, len(persons)):
            same = persons[i].given is father.given
            rels.append((0, i, "father_son_same_name" if same else "parent_child"))
            rels.append((1, i, "parent_child"))
        if rng.random() < 0.35:
            for i in range(2, len(persons)):
                if persons[i].age < 16:
                    persons[i].contact_phone = mother.phone or father.phone
        if grandfather is not None:
            g = len(persons)
            persons.append(grandfather)
            rels.append((g, 0, "parent_child"))
            for i in range(2, g):
                if persons[i].given is grandfather.given:
                    rels.append((g, i, "grandson_same_name"))
        return persons, rels
