"""A small synthetic population for the linking tests: families written in Latin, Cyrillic and Arabic.

Every name here is invented from common name stock; no real person is described. Each person gets
one to three records from different "lists", written in different scripts and spellings, with the
date noise of real lists (year only, 1 January, day/month swapped, a year off). Siblings (twins
among them) share father and family names, the hard negatives linking must keep apart.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from safepassage.linking.engine.records import PersonRecord

# (Latin spellings..., Cyrillic, Arabic)
MALE = [
    (("Mohammed", "Muhammad", "Mohamed"), "Мухаммед", "محمد"),
    (("Ali",), "Али", "علي"),
    (("Omar", "Umar"), "Омар", "عمر"),
    (("Yusuf", "Youssef"), "Юсуф", "يوسف"),
    (("Khalid", "Khaled"), "Халид", "خالد"),
    (("Ibrahim",), "Ибрахим", "إبراهيم"),
    (("Mahmoud", "Mahmud"), "Махмуд", "محمود"),
    (("Tariq", "Tarek"), "Тарик", "طارق"),
    (("Samir",), "Самир", "سمير"),
    (("Karim", "Kareem"), "Карим", "كريم"),
    (("Ivan",), "Иван", "ايفان"),
    (("Sergey", "Sergei"), "Сергей", "سيرغي"),
    (("Nikolai", "Nikolay"), "Николай", "نيكولاي"),
    (("Bilal",), "Билал", "بلال"),
    (("Ziad", "Ziyad"), "Зияд", "زياد"),
    (("Nabil",), "Набиль", "نبيل"),
    (("Walid", "Waleed"), "Валид", "وليد"),
    (("Faris", "Fares"), "Фарис", "فارس"),
]
FEMALE = [
    (("Natalia", "Natalya"), "Наталья", "ناتاليا"),
    (("Fatima", "Fatma"), "Фатима", "فاطمة"),
    (("Aisha", "Aysha"), "Аиша", "عائشة"),
    (("Maryam", "Mariam"), "Марьям", "مريم"),
    (("Layla", "Leila"), "Лейла", "ليلى"),
    (("Zainab", "Zaynab"), "Зайнаб", "زينب"),
    (("Huda", "Houda"), "Худа", "هدى"),
    (("Rania",), "Рания", "رانيا"),
    (("Elena", "Yelena"), "Елена", "ايلينا"),
    (("Olga",), "Ольга", "اولغا"),
    (("Samira",), "Самира", "سميرة"),
    (("Nour", "Noor"), "Нур", "نور"),
]
# (Latin, Cyrillic masculine, Cyrillic feminine, Arabic)
FAMILY = [
    ("Al-Hassan", "Аль-Хасан", "Аль-Хасан", "الحسن"),
    ("Haddad", "Хаддад", "Хаддад", "حداد"),
    ("Ivanov", "Иванов", "Иванова", "ايفانوف"),
    ("Petrov", "Петров", "Петрова", "بيتروف"),
    ("Khoury", "Хури", "Хури", "خوري"),
    ("Nasser", "Насер", "Насер", "ناصر"),
    ("Darwish", "Дарвиш", "Дарвиш", "درويش"),
    ("Mansour", "Мансур", "Мансур", "منصور"),
    ("Saleh", "Салех", "Салех", "صالح"),
    ("Kuznetsov", "Кузнецов", "Кузнецова", "كوزنيتسوف"),
    ("Al-Tamimi", "Ат-Тамими", "Ат-Тамими", "التميمي"),
    ("Jaber", "Джабер", "Джабер", "جابر"),
    ("Barakat", "Баракат", "Баракат", "بركات"),
    ("Qasim", "Касим", "Касим", "قاسم"),
    ("Rahimov", "Рахимов", "Рахимова", "رحيموف"),
    ("Aziz", "Азиз", "Азиз", "عزيز"),
]
PLACES = [
    ("Aleppo", "Алеппо", "حلب"),
    ("Homs", "Хомс", "حمص"),
    ("Damascus", "Дамаск", "دمشق"),
    ("Kazan", "Казань", "قازان"),
    ("Idlib", "Идлиб", "إدلب"),
]


def patronymic(cyrillic_given: str, female: bool) -> str:
    """A Russian patronymic for a Cyrillic given name (simplified: -ович/-овна, -евич after й)."""
    stem = cyrillic_given
    if stem.endswith("й"):
        return stem[:-1] + ("евна" if female else "евич")
    return stem + ("овна" if female else "ович")


@dataclass(frozen=True)
class Person:
    person_id: int
    family_id: int
    given: int
    female: bool
    father: int
    family: int
    year: int
    month: int
    day: int
    place: int
    document: str
    phone: str


def population(n_families: int, seed: int = 7) -> list[Person]:
    """Families of 1-4 children sharing father and family; some pairs of twins."""
    rng = random.Random(seed)
    people: list[Person] = []
    for family_id in range(n_families):
        father = rng.randrange(len(MALE))
        family = rng.randrange(len(FAMILY))
        place = rng.randrange(len(PLACES))
        year = rng.randint(1960, 2015)
        used: set[tuple[bool, int]] = set()
        for child in range(rng.randint(1, 4)):
            female = rng.random() < 0.5
            pool = FEMALE if female else MALE
            given = rng.randrange(len(pool))
            while (female, given) in used:
                given = rng.randrange(len(pool))
            used.add((female, given))
            twin = child > 0 and rng.random() < 0.15
            if not twin:
                year += rng.randint(1, 3) if child else 0
                month, day = rng.randint(1, 12), rng.randint(1, 28)
            people.append(
                Person(
                    len(people),
                    family_id,
                    given,
                    female,
                    father,
                    family,
                    year,
                    month,
                    day,
                    place,
                    f"N{rng.randint(10**7, 10**8 - 1)}",
                    f"+9639{rng.randint(10**7, 10**8 - 1)}",
                )
            )
    return people


def _date(person: Person, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.55:
        return f"{person.year}-{person.month:02d}-{person.day:02d}"
    if roll < 0.7:
        return str(person.year)
    if roll < 0.8:
        return f"{person.year}-01-01"
    if roll < 0.85 and person.day <= 12:
        return f"{person.year}-{person.day:02d}-{person.month:02d}"
    if roll < 0.9:
        return str(person.year + rng.choice((-1, 1)))
    if roll < 0.95:
        return f"{person.year}-{person.month:02d}"
    return ""


def record_of(person: Person, record_id: str, script: str, rng: random.Random) -> PersonRecord:
    pool = FEMALE if person.female else MALE
    latin, cyrillic, arabic = pool[person.given]
    f_latin, f_cyr_m, f_cyr_f, f_arabic = FAMILY[person.family]
    father_latin, father_cyr, father_arabic = MALE[person.father]
    place = PLACES[person.place]
    if script == "latin":
        given, family, father, birth_place = rng.choice(latin), f_latin, rng.choice(father_latin), place[0]
        if rng.random() < 0.1 and len(given) > 4:  # a typo
            i = rng.randrange(1, len(given) - 1)
            given = given[:i] + given[i + 1] + given[i] + given[i + 2 :]
    elif script == "cyrillic":
        given, family, birth_place = cyrillic, f_cyr_f if person.female else f_cyr_m, place[1]
        father = patronymic(father_cyr, person.female)
    else:
        given, family, father, birth_place = arabic, f_arabic, father_arabic, place[2]
    if rng.random() < 0.05:
        given, family = family, given
    if rng.random() < 0.15:
        father = ""
    return PersonRecord(
        record_id=record_id,
        source=script,
        given_name=given,
        father_name=father,
        family_name=family,
        sex="F" if person.female else "M",
        birth_date=_date(person, rng),
        birth_place=birth_place if rng.random() < 0.6 else "",
        nationality="SY",
        document_number=person.document if rng.random() < 0.3 else "",
        phone=person.phone if rng.random() < 0.25 else "",
    )


def records(n_families: int, seed: int = 7) -> tuple[list[PersonRecord], dict[str, int]]:
    """Records of a synthetic population and the truth (record_id -> person_id)."""
    rng = random.Random(seed + 1)
    out: list[PersonRecord] = []
    truth: dict[str, int] = {}
    for person in population(n_families, seed):
        copies = rng.choice((1, 2, 2, 3))
        scripts = rng.sample(["latin", "cyrillic", "arabic"], k=copies)
        for script in scripts:
            record_id = f"r{len(out):06d}"
            out.append(record_of(person, record_id, script, rng))
            truth[record_id] = person.person_id
    rng.shuffle(out)
    return out, truth
