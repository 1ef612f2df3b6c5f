"""The forms of the person page: form fields in, service commands out, problems back to fields.

Each form names its fields under its own prefix (``statement.stated_on``, ``phone.number``,
``person.given_name``…), so every field has its own id on the page and a problem, from pydantic or
from a service (``FieldProblem("number", …)``), goes next to the field it concerns.

The correction forms send only what was changed. Each field carries, in a hidden ``was.<field>``, a
fingerprint of the value the page showed; a field whose value still has that fingerprint is left
out of the command (``PersonUpdate`` is applied with PATCH semantics), so a correction never writes
back a value nobody touched over another clerk's change made in the meantime. A role that may write
protection attributes but not read them gets a blank protection form without fingerprints: a field
left blank keeps what is recorded, a field filled in replaces it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from safepassage.registry import schemas
from safepassage.shared.errors import DomainError
from safepassage.web.forms import FieldError, describe, split_list
from safepassage.web.labels import N_, Gettext

# Each form of the page: its prefix and the fields a problem can be shown next to.
FIELDS: dict[str, tuple[str, ...]] = {
    "statement": ("intention", "stated_on"),
    "consent": ("purpose", "partner", "decision", "method"),
    "checkin": ("site_id",),
    "checkout": (),
    "spelling": ("part", "text"),
    "phone": ("number",),
    "document": ("type", "number", "issuing_country", "expiry_date"),
    "person": (
        "given_name",
        "father_name",
        "grandfather_name",
        "family_name",
        "sex",
        "birth_date.value",
        "place_of_birth",
        "nationalities",
        "languages",
        "needs",
        "category",
    ),
    "protection": ("religion", "ethnicity", "narrative", "medical_detail"),
}
NAME_KEYS = ("given_name", "father_name", "grandfather_name", "family_name")
LIST_KEYS = ("nationalities", "languages")
PROTECTION_KEYS = FIELDS["protection"]
WAS = "was."
# A problem whose path names no field of the form goes to this field (else to the top of the form).
ROOT_FIELD = {"consent": "partner"}
ALIASES = {"birth_date": "birth_date.value"}

_COUNTRY = N_("Not a country we know: type a code such as SY or RU, or its name.")
MESSAGES: dict[str, str] = {
    "statement.stated_on": N_("Check the date (YYYY-MM-DD)."),
    "consent.partner": N_("Sharing with a partner needs the partner's name; other purposes have none."),
    "phone.number": N_("Not a phone number we can read."),
    "document.issuing_country": _COUNTRY,
    "document.expiry_date": N_("Not a date: use YYYY-MM-DD."),
    "person.birth_date.value": N_("Not a possible birth date: type YYYY, YYYY-MM or YYYY-MM-DD."),
    "person.nationalities": _COUNTRY,
    "person.languages": N_("Not a language we know: type a code such as ar or ru, or its name."),
    "person.needs": N_("Choose among the needs listed."),
}


def fingerprint(value: str) -> str:
    """A short digest of a value as a form shows it (line ends as a browser sends them do not count)."""
    canonical = value.replace("\r\n", "\n").strip()
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _text(data: FormData | Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return value.strip() if isinstance(value, str) else ""


def _texts(data: FormData, key: str) -> list[str]:
    return [v for v in data.getlist(key) if isinstance(v, str) and v]


# --- what each form shows ---------------------------------------------------------------------------


@dataclass
class PersonForms:
    """The values and problems of every form of a person page. ``failed`` is the form sent back with
    its problems (shown open, with what was typed); the others show the person as recorded."""

    values: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, list[FieldError]] = field(default_factory=dict)
    general: list[FieldError] = field(default_factory=list)
    failed: str = ""

    def get(self, key: str) -> str:
        return self.values.get(key, "")

    def getlist(self, key: str) -> list[str]:
        return self.lists.get(key, [])

    def fingerprints(self, name: str) -> list[tuple[str, str]]:
        """The hidden ``was.<name>.…`` fields of form ``name``."""
        return sorted((k, v) for k, v in self.values.items() if k.startswith(f"{WAS}{name}."))

    @classmethod
    def of(cls, person: schemas.PersonRead, *, today: dt.date) -> PersonForms:
        """The forms of a fresh page: today's date, the current site, the values to correct."""
        forms = cls()
        forms.values["statement.stated_on"] = today.isoformat()
        forms.values["checkin.site_id"] = str(person.current_site_id or person.site_id)
        forms.values["consent.decision"] = "given"
        primary = {n.part.value: n.text for n in person.names if n.is_primary}
        shown: dict[str, str] = {
            "given_name": primary.get("given", ""),
            "father_name": primary.get("father", ""),
            "grandfather_name": primary.get("grandfather", ""),
            "family_name": primary.get("family", ""),
            "sex": person.sex.value,
            "category": person.category.value,
            "place_of_birth": person.place_of_birth or "",
            "nationalities": ", ".join(person.nationalities),
            "languages": ", ".join(person.languages),
            "birth_date.value": person.birth_date.value,
            "birth_date.estimated": "1" if person.birth_date.estimated else "",
        }
        for key, value in shown.items():
            forms.values[f"person.{key}"] = value
        forms.lists["person.needs"] = [n.value for n in person.needs]
        for key in CORRECTED:
            forms.values[f"{WAS}person.{key}"] = fingerprint(_canonical(forms.values, forms.lists, key))
        if person.protection is not None:  # asked for, by a role that may read it
            for key in PROTECTION_KEYS:
                value = getattr(person.protection, key)
                text = value if isinstance(value, str) else ""  # a shredded value: blank, kept if left so
                forms.values[f"protection.{key}"] = text
                forms.values[f"{WAS}protection.{key}"] = fingerprint(text)
        return forms

    def show_again(self, name: str, data: FormData, problems: PersonForms) -> None:
        """Show form ``name`` again as it was sent (typed values and fingerprints), with ``problems``."""
        self.failed = name
        self.errors = problems.errors
        self.general = problems.general
        for key in [k for k in self.values if k.startswith((f"{name}.", f"{WAS}{name}."))]:
            del self.values[key]
        for key, value in data.multi_items():
            if not isinstance(value, str) or not key.startswith((f"{name}.", f"{WAS}{name}.")):
                continue
            if key == "person.needs":
                continue
            self.values[key] = value
        if name == "person":
            self.lists["person.needs"] = _texts(data, "person.needs")

    # --- problems back to fields -----------------------------------------------------------------

    def field_key(self, name: str, path: str) -> str:
        """The form field a command path concerns (``birth_date`` → ``person.birth_date.value``);
        ``""`` for the form as a whole."""
        parts = [p for p in path.split(".") if p and not p.isdigit()]
        known = FIELDS[name]
        while parts:
            candidate = ".".join(parts)
            candidate = ALIASES.get(candidate, candidate)
            if candidate in known:
                return f"{name}.{candidate}"
            parts.pop()
        root = ROOT_FIELD.get(name)
        return f"{name}.{root}" if root else ""

    def add_problem(self, name: str, path: str, kind: str, reason: str, gettext: Gettext) -> None:
        key = self.field_key(name, path)
        error = describe(key, kind, reason, gettext, MESSAGES)
        if key:
            self.errors.setdefault(key, []).append(error)
        else:
            self.general.append(error)

    def add_validation_error(self, name: str, exc: ValidationError, gettext: Gettext) -> None:
        for err in exc.errors():
            loc = ".".join(str(p) for p in err.get("loc", ()))
            reason = str(err.get("msg", "")).removeprefix("Value error, ")
            self.add_problem(name, loc, str(err.get("type", "")), reason, gettext)

    def add_refusal(self, name: str, exc: DomainError, gettext: Gettext) -> None:
        """A service's refusal: next to the fields it names, else at the top of the form."""
        if not exc.problems:
            self.general.append(FieldError(gettext(N_("This was not recorded.")), exc.message))
        for problem in exc.problems:
            self.add_problem(name, problem.field, "domain", problem.reason, gettext)


# --- commands --------------------------------------------------------------------------------------


def payload(name: str, data: FormData) -> dict[str, Any]:
    """The filled fields of a simple form as a command's input: ``phone.number`` → ``number``.
    A field left empty is left out (the command's default applies, or "required" is reported)."""
    values = {key: _text(data, f"{name}.{key}") for key in FIELDS[name]}
    return {key: value for key, value in values.items() if value}


# The fields of the correction form, each compared with what the page showed as one value.
CORRECTED = (
    *NAME_KEYS,
    "sex",
    "birth_date",
    "place_of_birth",
    "nationalities",
    "languages",
    "needs",
    "category",
)


def _canonical(values: Mapping[str, Any], lists: Mapping[str, list[str]], key: str) -> str:
    """One field of the correction form as one string, to compare with the page's fingerprint."""
    if key == "birth_date":
        parts = ("birth_date.value", "birth_date.precision", "birth_date.estimated")
        return "|".join(_text(values, f"person.{p}") for p in parts)
    if key in LIST_KEYS:
        return "\n".join(split_list(_text(values, f"person.{key}")))
    if key == "needs":
        return "\n".join(sorted(lists.get("person.needs", [])))
    return _text(values, f"person.{key}")


def correction(data: FormData) -> dict[str, Any]:
    """The ``PersonUpdate`` input of the correction form: the fields whose value differs from the one
    the page showed. A field with no fingerprint counts as changed when it was sent."""
    lists = {"person.needs": _texts(data, "person.needs")}
    changes: dict[str, Any] = {}
    for key in CORRECTED:
        was = data.get(f"{WAS}person.{key}")
        sent = f"person.{key}" in data or f"person.{key}.value" in data
        if not isinstance(was, str):
            if not sent:
                continue
        elif fingerprint(_canonical(data, lists, key)) == was:
            continue
        if key == "birth_date":
            changes[key] = {
                "value": _text(data, "person.birth_date.value") or None,
                "precision": _text(data, "person.birth_date.precision") or None,
                "estimated": bool(_text(data, "person.birth_date.estimated")),
            }
        elif key in LIST_KEYS:
            changes[key] = split_list(_text(data, f"person.{key}"))
        elif key == "needs":
            changes[key] = lists["person.needs"]
        else:
            changes[key] = _text(data, f"person.{key}") or None
    return changes


def protection_changes(data: FormData) -> dict[str, Any]:
    """The ``ProtectionInput`` of the protection form. With fingerprints (a role that may read what is
    recorded saw it): the fields changed, an emptied one cleared. Without (a role that may only
    write): the fields filled in; a blank one keeps what is recorded."""
    changes: dict[str, Any] = {}
    for key in PROTECTION_KEYS:
        raw = data.get(f"protection.{key}")
        value = raw.replace("\r\n", "\n").strip() if isinstance(raw, str) else ""
        was = data.get(f"{WAS}protection.{key}")
        if isinstance(was, str):
            if fingerprint(value) != was:
                changes[key] = value or None
        elif value:
            changes[key] = value
    purpose = data.get("protection.purpose")
    if isinstance(purpose, str) and purpose.strip() and changes:
        changes["purpose"] = purpose.strip()
    return changes
