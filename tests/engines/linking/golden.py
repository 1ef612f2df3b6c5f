"""Hand-written golden records: invented people, the cases issue 4 names.

``SAME`` lists groups of record ids that are one person; ``APART`` lists pairs that must never share a
cluster (siblings, twins, a son named after his father, namesakes born years apart).
"""

from __future__ import annotations

from safepassage.linking.engine.records import PersonRecord

R = PersonRecord

GOLDEN: list[PersonRecord] = [
    # Natalia Ivanova, a Russian wife in Syria: Latin, Cyrillic (patronymic), Arabic script.
    R(
        "nat-lat",
        "consulate",
        "Natalia",
        "Nikolai",
        "Ivanova",
        "F",
        "1979-03-14",
        "Kazan",
        "RU",
        "75 1234567",
        "",
    ),
    R(
        "nat-cyr",
        "consulate",
        "Наталья",
        "Николаевна",
        "Иванова",
        "F",
        "1979-03-14",
        "Казань",
        "RU",
        "751234567",
        "",
    ),
    R("nat-ar", "shelter", "ناتاليا", "نيكولاي", "إيفانوفا", "F", "1979", "", "RU;SY", "", ""),
    # Her son Ali: "Ali Al-Hassan" to one clerk, "Али Мухаммедович Аль-Хасан" in his passport, علي الحسن.
    R(
        "ali-lat",
        "field",
        "Ali",
        "Mohammed",
        "Al-Hassan",
        "M",
        "2008-01-01",
        "Aleppo",
        "SY",
        "",
        "0944 123 456",
    ),
    R(
        "ali-cyr",
        "consulate",
        "Али",
        "Мухаммедович",
        "Аль-Хасан",
        "M",
        "2008-06-02",
        "Алеппо",
        "RU",
        "76 7654321",
        "",
    ),
    R("ali-ar", "shelter", "علي", "محمد", "الحسن", "M", "2008", "حلب", "SY", "", "+963944123456"),
    # His brother Omar, one year older: same father and family, another given name.
    R(
        "omar-lat",
        "field",
        "Omar",
        "Mohammed",
        "Al-Hassan",
        "M",
        "2007-02-10",
        "Aleppo",
        "SY",
        "",
        "0944 123 456",
    ),
    R("omar-ar", "shelter", "عمر", "محمد", "الحسن", "M", "2007", "حلب", "SY", "", "+963944123456"),
    # Twin sisters: same father, family, birth date and phone, different given names.
    R(
        "huda",
        "field",
        "Huda",
        "Mohammed",
        "Al-Hassan",
        "F",
        "2012-09-30",
        "Aleppo",
        "SY",
        "",
        "0944 123 456",
    ),
    R(
        "huda-cyr",
        "consulate",
        "Худа",
        "Мухаммедовна",
        "Аль-Хасан",
        "F",
        "2012-09-30",
        "Алеппо",
        "RU",
        "",
        "",
    ),
    R(
        "rania",
        "field",
        "Rania",
        "Mohammed",
        "Al-Hassan",
        "F",
        "2012-09-30",
        "Aleppo",
        "SY",
        "",
        "0944 123 456",
    ),
    # The father, Mohammed son of Ali, and his first son named after him (Mohammed son of Mohammed).
    R("moh-sr", "field", "Mohammed", "Ali", "Al-Hassan", "M", "1975", "Aleppo", "SY", "", "0944 123 456"),
    R("moh-sr-ar", "shelter", "محمد", "علي", "الحسن", "M", "1975-01-01", "حلب", "SY", "", ""),
    R("moh-jr", "field", "Mohammed", "Mohammed", "Al-Hassan", "M", "2004-05-05", "Aleppo", "SY", "", ""),
    # Given and family names swapped by a clerk, day and month swapped.
    R("kar-1", "partner", "Karim", "Yusuf", "Haddad", "M", "1990-04-11", "Homs", "SY", "", ""),
    R("kar-2", "field", "Haddad", "Yusuf", "Karim", "M", "1990-11-04", "Homs", "SY", "", ""),
    # A namesake: same full name, born twenty years later, nothing else shared.
    R("kar-3", "field", "Karim", "Yusuf", "Haddad", "M", "2010-07-20", "Idlib", "SY", "", ""),
]

SAME: list[set[str]] = [
    {"nat-lat", "nat-cyr", "nat-ar"},
    {"ali-lat", "ali-cyr", "ali-ar"},
    {"omar-lat", "omar-ar"},
    {"huda", "huda-cyr"},
    {"moh-sr", "moh-sr-ar"},
    {"kar-1", "kar-2"},
]

APART: list[tuple[str, str]] = [
    ("ali-lat", "omar-lat"),  # brothers
    ("ali-ar", "omar-ar"),
    ("huda", "rania"),  # twins
    ("huda-cyr", "rania"),
    ("moh-sr", "moh-jr"),  # son named after his father
    ("moh-sr-ar", "moh-jr"),
    ("kar-1", "kar-3"),  # namesakes twenty years apart
    ("nat-lat", "huda"),
]
