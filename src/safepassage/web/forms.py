"""The household registration form: form fields in, ``HouseholdCreate`` out, problems back to fields.

Fields are named by where they go, ``members.<block>.<field>``. Blank member blocks are ignored, so
the form can offer three blocks without JavaScript. Problems, from pydantic or from the services,
name paths in the command (``members.1.birth_date.value``); ``form_key`` turns them into the field
they concern in the form (whose block numbers differ when blank blocks were skipped).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from safepassage.registry import schemas
from safepassage.registry.codes import ConsentPurpose, NamePart, Relationship
from safepassage.shared.errors import FieldProblem
from safepassage.shared.reference import normalise_phone
from safepassage.web.labels import N_, Gettext

MAX_MEMBERS = 40
BLANK_BLOCKS = 3
NAME_FIELDS = ("given_name", "father_name", "grandfather_name", "family_name")
TEXT_FIELDS = (
    *NAME_FIELDS,
    *(f"other.{part.value}" for part in NamePart),
    "birth_date.value",
    "nationalities",
    "languages",
    "document.number",
    "document.issuing_country",
    "document.expiry_date",
    "phone",
)
CHOICE_FIELDS = (
    "sex",
    "birth_date.precision",
    "document.type",
    "relationship_to_head",
    "consent.registration",
    "consent.evacuation",
)
FLAG_FIELDS = ("birth_date.estimated",)
CONSENTS = {
    "consent.registration": ConsentPurpose.REGISTRATION,
    "consent.evacuation": ConsentPurpose.EVACUATION,
}
HOUSEHOLD_FIELDS = ("site_id", "category", "intention")
# Member fields next to which the form shows problems.
SHOWN = frozenset({*TEXT_FIELDS, *CHOICE_FIELDS, "needs", "consent"})

_MEMBER_FIELD = re.compile(r"^members\.(\d{1,3})\.([a-z_.]+)$")
_SEPARATORS = re.compile(r"[,;،؛\n]+")


def split_list(text: str) -> list[str]:
    """``"SY, RU"`` → ``["SY", "RU"]`` (commas, semicolons, Arabic commas or new lines)."""
    return [part.strip() for part in _SEPARATORS.split(text) if part.strip()]


@dataclass(frozen=True)
class FieldError:
    """What to tell the clerk next to a field: a message in their language and, when it says more,
    the reason as the service gave it."""

    message: str
    detail: str | None = None


@dataclass
class MemberBlock:
    index: int
    values: dict[str, str] = field(default_factory=dict)
    needs: list[str] = field(default_factory=list)

    def get(self, key: str) -> str:
        return self.values.get(key, "")

    def is_blank(self) -> bool:
        return not self.needs and not any(self.get(key).strip() for key in TEXT_FIELDS)

    def payload(self) -> dict[str, Any]:
        v = self.get
        data: dict[str, Any] = {key: v(key).strip() or None for key in NAME_FIELDS}
        data["given_name"] = v("given_name").strip()  # empty → "required", next to the field
        data["other_spellings"] = [
            {"part": part.value, "text": text} for part in NamePart for text in split_list(v(f"other.{part}"))
        ]
        data["sex"] = v("sex") or "unknown"
        data["birth_date"] = {
            "value": v("birth_date.value").strip() or None,
            "precision": v("birth_date.precision") or None,
            "estimated": bool(v("birth_date.estimated")),
        }
        data["nationalities"] = split_list(v("nationalities"))
        data["languages"] = split_list(v("languages"))
        document = {key: v(f"document.{key}").strip() for key in ("type", "number", "issuing_country")}
        document["expiry_date"] = v("document.expiry_date").strip()
        if any(document.values()):
            data["documents"] = [
                {key: value for key, value in document.items() if value or key in ("type", "number")}
            ]
        data["phones"] = [v("phone").strip()] if v("phone").strip() else []
        data["needs"] = list(self.needs)
        data["relationship_to_head"] = v("relationship_to_head")  # none chosen → "choose one"
        data["consents"] = [
            {"purpose": purpose.value, "method": v(key)} for key, purpose in CONSENTS.items() if v(key)
        ]
        return data


@dataclass
class HouseholdForm:
    site_id: str = ""
    category: str = ""
    intention: str = ""
    members: list[MemberBlock] = field(default_factory=list)
    errors: dict[str, list[FieldError]] = field(default_factory=dict)
    general: list[FieldError] = field(default_factory=list)

    @classmethod
    def blank(cls, *, site_id: str = "", blocks: int = BLANK_BLOCKS) -> HouseholdForm:
        members = [MemberBlock(i) for i in range(blocks)]
        members[0].values["relationship_to_head"] = Relationship.HEAD.value
        return cls(site_id=site_id, intention="undecided", members=members)

    @classmethod
    def parse(cls, form: FormData) -> HouseholdForm:
        blocks: dict[int, MemberBlock] = {}
        for key, value in form.multi_items():
            match = _MEMBER_FIELD.match(key)
            if match is None or not isinstance(value, str):
                continue
            index, name = int(match.group(1)), match.group(2)
            if index >= MAX_MEMBERS * 2:
                continue
            block = blocks.setdefault(index, MemberBlock(index))
            if name == "needs":
                block.needs.append(value)
            elif name in TEXT_FIELDS or name in CHOICE_FIELDS or name in FLAG_FIELDS:
                block.values[name] = value
        members = [blocks[i] for i in sorted(blocks)]
        while len(members) < BLANK_BLOCKS:
            members.append(MemberBlock(max((m.index for m in members), default=-1) + 1))
        text = {key: str(form.get(key) or "") for key in HOUSEHOLD_FIELDS}
        return cls(
            site_id=text["site_id"], category=text["category"], intention=text["intention"], members=members
        )

    def filled(self) -> list[MemberBlock]:
        return [m for m in self.members if not m.is_blank()]

    @property
    def next_index(self) -> int:
        return max((m.index for m in self.members), default=-1) + 1

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "site_id": self.site_id or None,
            "category": self.category or None,
            "intention": self.intention or "undecided",
            "members": [m.payload() for m in self.filled()],
        }
        return data

    def command(self) -> schemas.HouseholdCreate:
        """The registration command; raises pydantic's ValidationError."""
        return schemas.HouseholdCreate.model_validate(self.payload())

    # --- problems back to fields ---------------------------------------------------------------

    def form_key(self, path: str) -> str:
        """The form field a command path concerns: ``members.0.documents.0.number`` →
        ``members.<block>.document.number``; ``""`` for the form as a whole."""
        parts = [p for p in path.split(".") if p]
        if not parts:
            return ""
        if parts[0] in HOUSEHOLD_FIELDS:
            return parts[0]
        if parts[0] != "members" or len(parts) < 2 or not parts[1].isdigit():
            return ""
        filled = self.filled()
        position = int(parts[1])
        block = filled[position].index if position < len(filled) else position
        rest = parts[2:]
        if not rest:
            return f"members.{block}"
        name = rest[0]
        if name == "documents":
            sub = rest[2] if len(rest) > 2 else "number"
            name = (
                f"document.{sub}"
                if sub in ("type", "number", "issuing_country", "expiry_date")
                else "document.number"
            )
        elif name == "other_spellings":
            part = self._spelling_part(position, rest)
            name = f"other.{part}"
        elif name == "consents":
            name = "consent"
        elif name == "phones":
            name = "phone"
        elif name == "birth_date":
            name = "birth_date.value"
        if name not in SHOWN:
            return f"members.{block}"  # shown at the top of the member's block
        return f"members.{block}.{name}"

    def _spelling_part(self, position: int, rest: list[str]) -> str:
        filled = self.filled()
        try:
            spelling = filled[position].payload()["other_spellings"][int(rest[1])]
            return str(spelling["part"])
        except (IndexError, ValueError, KeyError):
            return NamePart.GIVEN.value

    def add_problem(self, path: str, kind: str, reason: str, gettext: Gettext) -> None:
        key = self.form_key(path)
        error = describe(key, kind, reason, gettext)
        if key:
            self.errors.setdefault(key, []).append(error)
        else:
            self.general.append(error)

    def add_validation_error(self, exc: ValidationError, gettext: Gettext) -> None:
        for err in exc.errors():
            loc = ".".join(str(p) for p in err.get("loc", ()))
            reason = str(err.get("msg", "")).removeprefix("Value error, ")
            self.add_problem(loc, str(err.get("type", "")), reason, gettext)

    def add_problems(self, problems: list[FieldProblem], gettext: Gettext) -> None:
        for problem in problems:
            self.add_problem(problem.field, "domain", problem.reason, gettext)

    @property
    def has_problems(self) -> bool:
        return bool(self.errors or self.general)

    def precheck(self, *, today: dt.date, phone_region: str, gettext: Gettext) -> None:
        """Find, for every member at once, what the service would report one member at a time: birth
        dates and phones are read with the very parsers the service uses (no rule of the page's own)."""
        for position, block in enumerate(self.filled()):
            data = block.payload()
            try:
                schemas.BirthDateInput.model_validate(data["birth_date"]).parse(today=today)
            except ValidationError:
                pass  # a malformed field: the command's validation reports it
            except ValueError as exc:
                self.add_problem(f"members.{position}.birth_date", "domain", str(exc), gettext)
            for i, phone in enumerate(data["phones"]):
                try:
                    normalise_phone(phone, phone_region)
                except ValueError as exc:
                    self.add_problem(f"members.{position}.phones.{i}", "domain", str(exc), gettext)


_PLAIN = {"missing", "string_too_short", "string_too_long", "enum", "uuid_parsing", "uuid_type"}
_BY_FIELD: dict[str, str] = {
    "birth_date.value": N_("Not a possible birth date: type YYYY, YYYY-MM or YYYY-MM-DD."),
    "nationalities": N_("Not a country we know: type a code such as SY or RU, or its name."),
    "document.issuing_country": N_("Not a country we know: type a code such as SY or RU, or its name."),
    "languages": N_("Not a language we know: type a code such as ar or ru, or its name."),
    "phone": N_("Not a phone number we can read."),
    "document.expiry_date": N_("Not a date: use YYYY-MM-DD."),
    "consent": N_("Check the consent."),
    "needs": N_("Choose among the needs listed."),
}


def describe(
    key: str, kind: str, reason: str, gettext: Gettext, by_field: Mapping[str, str] = _BY_FIELD
) -> FieldError:
    """A message for one problem, in the page's language, with the service's reason when it helps.
    ``by_field`` holds the message of a field whose problems need more than "Please check this"."""
    last = key.split(".", 2)[-1] if key.startswith("members.") else key
    detail: str | None = reason or None
    if key == "" and kind == "too_short":
        return FieldError(gettext(N_("Fill in at least one member.")))
    if kind in {"missing", "string_too_short"}:
        message = gettext(N_("Required."))
    elif kind == "string_too_long":
        message = gettext(N_("Too long."))
    elif kind in {"enum", "uuid_parsing", "uuid_type"}:
        message = gettext(N_("Choose one of the options."))
    elif last in by_field:
        message = gettext(by_field[last])
    else:
        message = gettext(N_("Please check this."))
    if kind in _PLAIN:
        detail = None
    return FieldError(message, detail)
