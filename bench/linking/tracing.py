"""Tracing requests as a relative writes them: what a mother, brother or cousin knows of the person.

A relative knows the given name (in the spelling of her own script, often not the one on the
registry record), nearly always the family name (a married name for a woman, or her maiden name),
the father's name when she is close family, the age more or less well ("about 30": a birth year give
or take a few years, the tolerance she states; a parent knows the year), sometimes the place of
birth. The sought person's entity id is the ground truth.
"""

from __future__ import annotations

import random

from .population import CURRENT_YEAR, Person
from .render import _family, _form
from .scripts import typo

REQUEST_HEADER = (
    "request_id", "given_name", "father_name", "family_name", "sex", "approx_birth_year",
    "age_tolerance_years", "birth_place", "relationship",
)  # fmt: skip

_CLOSE = ("mother", "father", "sibling", "spouse", "child")


def _relationship(p: Person, rng: random.Random) -> str:
    if p.age < 16:
        return rng.choices(
            ("mother", "father", "sibling", "aunt", "uncle", "neighbour"), (35, 25, 20, 8, 7, 5)
        )[0]
    kinds = ("mother", "father", "sibling", "spouse", "child", "cousin", "aunt", "uncle", "neighbour")
    weights = (8, 7, 25, 20, 15, 8, 4, 3, 10) if p.age < 60 else (0, 0, 25, 25, 30, 8, 0, 0, 12)
    return rng.choices(kinds, weights)[0]


def make_request(request_id: str, p: Person, rng: random.Random) -> list[str]:
    """One request for person ``p``: partial, approximate, in the requester's script. What the
    requester knows depends on who she is: a mother knows the birth year and the father's name, a
    neighbour knows a name and roughly an age."""
    relationship = _relationship(p, rng)
    close = relationship in _CLOSE
    if p.russian_passport is not None:
        script = rng.choices(("cyrillic", "latin", "arabic"), (40, 40, 20))[0]
    else:
        script = rng.choices(("arabic", "latin", "cyrillic"), (50, 45, 5))[0]
    given = _form(p.given, script, rng)
    if rng.random() < 0.03:
        given = typo(given, script, rng)
    family = ""
    if rng.random() < (0.97 if close else 0.85):
        married = (
            0.8
            if relationship == "spouse"
            else 0.2
            if relationship in ("mother", "father", "sibling")
            else 0.5
        )
        sp = p.married if p.married is not None and rng.random() < married else p.family
        family = _family(sp, script, rng, passport=False)
    know_father = 0.75 if relationship in ("mother", "father", "sibling") else 0.45 if close else 0.25
    father = _form(p.father, script, rng) if p.father is not None and rng.random() < know_father else ""
    sex = p.sex if rng.random() < (0.95 if close else 0.75) else ""
    if relationship in ("mother", "father"):
        error = rng.choices((0, 1), (80, 20))[0]
    elif close:
        error = rng.choices((0, 1, 2), (55, 35, 10))[0]
    else:
        error = rng.choices((0, 1, 2, 3), (40, 35, 18, 7))[0]
    error *= rng.choice((-1, 1))
    if p.age < 18:
        error = max(-1, min(1, error))
    tolerance = max(abs(error), rng.choice((1, 2) if close else (1, 2, 3, 5)))
    place = _form(p.place, script, rng, usual=0.7) if p.place is not None and rng.random() < 0.3 else ""
    year = min(CURRENT_YEAR, p.year + error)
    return [request_id, given, father, family, sex, str(year), str(tolerance), place, relationship]
