"""One spreadsheet row → one validated person (``schemas.PersonCreate``), or the reasons it is not.

Every reason names the column as the file calls it and says what is wrong in a plain sentence. A
row with any problem is rejected whole; nothing in it is guessed. Values are read generously: the
code words of ``codes.py``, their English, Russian and Arabic everyday words, UNHCR need codes,
ISO country and language codes or names, dates as YYYY, YYYY-MM, YYYY-MM-DD, DD/MM/YYYY,
DD.MM.YYYY, MM/YYYY, an Excel serial number, or a date cell of a workbook.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from safepassage.registry import schemas
from safepassage.registry.codes import (
    ConsentDecision,
    ConsentMethod,
    ConsentPurpose,
    DocumentType,
    NamePart,
    Relationship,
    Sex,
    parse_need,
)
from safepassage.registry.importing import mapping as words
from safepassage.registry.importing.mapping import ColumnMap, fold
from safepassage.registry.importing.reader import BrokenRow, Cell, cell_text
from safepassage.shared.dates import DatePrecision, PartialDate
from safepassage.shared.reference import normalise_country, normalise_phone
from safepassage.shared.text import name_keys, name_tokens

_SPLIT = re.compile(r"\s*[;,|/]\s*")
_SPLIT_NAMES = re.compile(r"\s*[;|]\s*")
_NUMBER = re.compile(r"^\d{3,7}(?:\.\d+)?$")  # a year or an Excel day number, not 05.2014
_SCIENTIFIC = re.compile(r"^\d(?:[.,]\d+)?[eE]\+?\d+$")
_MIDNIGHT = re.compile(r"[ T]00:00(?::00(?:\.0+)?)?$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)
MAX_REF = 80
LONG_NAME = 60  # names longer than this have their search keys checked
MAX_NAME = 200
NAME_FIELDS = ("given_name", "father_name", "grandfather_name", "family_name")
MEMO_SIZE = 32_768


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Why one row was not imported: ``row_number`` as the spreadsheet shows it (the header row is
    counted), ``field`` the column header as written in the file ("" for the row as a whole)."""

    row_number: int
    field: str
    value: str
    reason: str


@dataclass(slots=True)
class ImportRecord:
    """A valid row, ready to write."""

    row_number: int
    cells: list[str]
    person: schemas.PersonCreate
    birth: PartialDate
    relationship_stated: bool
    household_ref: str | None
    source_id: str | None
    site_code: str | None
    fingerprint: str  # sha256 of the mapped values; only for rows without a source id


class Rejected(ValueError):
    """A field's value cannot be used; the message is the reason."""


class RowReader:
    """Reads the rows of one file with one column map: ``reader(number, cells)``."""

    def __init__(self, columns: ColumnMap, *, phone_region: str, today: dt.date, now: dt.datetime) -> None:
        self.columns = columns
        self.phone_region = phone_region
        self.today = today
        self.now = now
        self.scalar = {name: cols[0] for name, cols in columns.fields.items()}
        self.scalar_index = [(name, column.index) for name, column in self.scalar.items()]
        self.indexes = {name: [c.index for c in cols] for name, cols in columns.fields.items()}
        self.order = {c.header: c.index for cols in columns.fields.values() for c in cols}
        self.spelling_parts = [p for p in NamePart if f"other_{p.value}" in columns.fields]
        self.mapped = sorted({c.index for cols in columns.fields.values() for c in cols})
        self.implied_document = columns.implied_document_type
        self.defaulted_method = 0  # consents recorded as verbal because no method was given
        self._memo: dict[tuple[Any, ...], tuple[Any, str | None]] = {}

    def __call__(self, number: int, cells: Sequence[Cell]) -> ImportRecord | list[RowProblem] | None:
        """The record, the problems, or None for an empty row."""
        if len(cells) == 1 and isinstance(cells[0], BrokenRow):
            return [RowProblem(number, "", "", str(cells[0]))]
        texts = [cell_text(c) for c in cells]
        if not any(t.strip() for t in texts):
            return None
        return _Row(self, number, cells, texts).read()

    def remember(
        self, key: tuple[Any, ...], compute: Callable[..., Any], *args: Any
    ) -> tuple[Any, str | None]:
        """(value, None) or (None, reason): parsed once per distinct cell value, as values repeat."""
        known = self._memo.get(key)
        if known is not None:
            return known
        try:
            outcome: tuple[Any, str | None] = (compute(*args), None)
        except (Rejected, ValueError) as exc:
            outcome = (None, str(exc))
        if len(self._memo) >= MEMO_SIZE:
            self._memo.clear()
        self._memo[key] = outcome
        return outcome

    def fingerprint(self, texts: Sequence[str]) -> str:
        parts = []
        for name in sorted(self.columns.fields):
            for column in self.columns.fields[name]:
                value = texts[column.index] if column.index < len(texts) else ""
                parts.append(f"{name}={' '.join(value.split()).casefold()}")
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


class _Row:
    def __init__(self, reader: RowReader, number: int, cells: Sequence[Cell], texts: list[str]) -> None:
        self.r = reader
        self.number = number
        self.cells = cells
        self.texts = texts
        self.problems: list[RowProblem] = []
        width = len(texts)
        self.stripped = {name: texts[i].strip() for name, i in reader.scalar_index if i < width}

    # -- access ------------------------------------------------------------------------------------
    def raw(self, name: str) -> Cell:
        column = self.r.scalar.get(name)
        if column is None or column.index >= len(self.cells):
            return None
        return self.cells[column.index]

    def text(self, name: str) -> str:
        return self.stripped.get(name, "")

    def values(self, name: str, split: re.Pattern[str] = _SPLIT) -> list[str]:
        indexes = self.r.indexes.get(name)
        if not indexes:
            return []
        found: list[str] = []
        texts = self.texts
        for index in indexes:
            text = texts[index].strip() if index < len(texts) else ""
            if text:
                found.extend(v for v in split.split(text) if v)
        return found

    def problem(self, name: str, reason: str, value: str | None = None) -> None:
        column = self.r.scalar.get(name)
        header = column.header if column is not None else name
        self.problems.append(
            RowProblem(self.number, header, self.text(name) if value is None else value, reason)
        )

    def parse(self, name: str, parser: Callable[[str], Any]) -> Any:
        value = self.text(name)
        if not value:
            return None
        result, reason = self.r.remember((name, value), parser, value)
        if reason is not None:
            self.problem(name, reason)
        return result

    # -- the row -----------------------------------------------------------------------------------
    def read(self) -> ImportRecord | list[RowProblem]:
        unreadable = "\ufffd" in "".join(self.texts)
        for index in self.r.mapped if unreadable else ():
            if index < len(self.texts) and "\ufffd" in self.texts[index]:
                header = next(
                    c.header for cols in self.r.columns.fields.values() for c in cols if c.index == index
                )
                self.problems.append(
                    RowProblem(
                        self.number,
                        header,
                        self.texts[index],
                        "some characters cannot be read in the file's encoding: save the file as UTF-8",
                    )
                )
        given = self.text("given_name")
        if not given:
            self.problem("given_name", "is empty: every person needs a given name")
        relationship = self.parse("relationship", words.relationship)
        birth = self.birth()
        data: dict[str, Any] = {
            "given_name": given,
            "father_name": self.text("father_name") or None,
            "grandfather_name": self.text("grandfather_name") or None,
            "family_name": self.text("family_name") or None,
            "other_spellings": self.spellings(),
            "sex": self.parse("sex", words.sex) or Sex.UNKNOWN,
            "birth_date": {"value": birth.iso() or None, "estimated": birth.estimated},
            "place_of_birth": self.text("place_of_birth") or None,
            "nationalities": self.listed("nationality", normalise_country),
            "languages": self.listed("languages", words.language),
            "documents": self.documents(),
            "phones": self.listed("phone", self.phone),
            "needs": self.listed("needs", parse_need),
            "category": self.parse("category", words.category),
            "intention": self.parse("intention", words.intention),
            "relationship_to_head": relationship or Relationship.HEAD,
            "consents": self.consents(),
        }
        self.check_keys(data)
        household = self.reference("household")
        source_id = self.reference("source_id")
        if self.problems:
            return sorted(self.problems, key=lambda p: self.r.order.get(p.field, -1))
        try:
            person = schemas.PersonCreate.model_validate(data)
        except ValidationError as exc:
            return [self.translate(e) for e in exc.errors()]
        return ImportRecord(
            row_number=self.number,
            cells=self.texts,
            person=person,
            birth=birth,
            relationship_stated=relationship is not None,
            household_ref=household,
            source_id=source_id,
            site_code=self.text("site") or None,
            fingerprint="" if source_id else self.r.fingerprint(self.texts),
        )

    def check_keys(self, data: dict[str, Any]) -> None:
        """Long names: their search keys must fit their columns (latin and skeleton 200, a token 80)."""
        for name, text in [(n, data[n]) for n in NAME_FIELDS] + [("other_spellings", s["text"]) for s in
                                                                 data["other_spellings"]]:  # fmt: skip
            if not text or not LONG_NAME < len(text) <= MAX_NAME:  # longer ones are refused anyway
                continue
            keys = name_keys(text)
            if (
                len(keys.latin) > 200
                or len(keys.skeleton) > 200
                or any(len(t) > 80 for t in name_tokens(text))
            ):
                self.problem(name, "is too long to be searched: shorten it, or split it into its parts")

    def reference(self, name: str) -> str | None:
        value = " ".join(self.text(name).split())
        if len(value) > MAX_REF:
            self.problem(name, f"is too long ({len(value)} characters; at most {MAX_REF})")
            return None
        return value or None

    def listed(self, name: str, parser: Callable[[str], Any]) -> list[Any]:
        result = []
        for value in self.values(name):
            parsed, reason = self.r.remember((name, value), parser, value)
            if reason is not None:
                self.problem(name, reason)
            else:
                result.append(parsed)
        return list(dict.fromkeys(result))

    def phone(self, value: str) -> str:
        if _SCIENTIFIC.match(value):
            raise Rejected(
                f"'{value}' was written by Excel in scientific notation and its digits are lost: "
                "format the column as text and type the number again"
            )
        return normalise_phone(value, self.r.phone_region)

    def spellings(self) -> list[dict[str, str]]:
        found: list[dict[str, str]] = []
        for value in self.values("other_spellings", _SPLIT_NAMES):
            part, sep, text = value.partition(":")
            named = words.NAME_PARTS.get(fold(part)) if sep else None
            found.append({"part": named or NamePart.GIVEN, "text": text.strip() if named else value})
        for part in self.r.spelling_parts:
            for value in self.values(f"other_{part.value}", _SPLIT_NAMES):
                found.append({"part": part, "text": value})
        return found

    def birth(self) -> PartialDate:
        precision = self.parse("birth_date_precision", words.precision)
        estimated = self.parse("birth_date_estimated", words.yes_no) or False
        raw = self.raw("birth_date")
        today = self.r.today
        value, reason = self.r.remember(
            ("birth_date", raw, precision, estimated),
            lambda: PartialDate.parse(
                date_text(raw), precision=precision, estimated=bool(estimated), today=today
            ),
        )
        if reason is not None:
            self.problem("birth_date", reason)
            return PartialDate()
        return value  # type: ignore[no-any-return]

    def full_date(self, name: str) -> dt.date | None:
        raw = self.raw(name)
        try:
            value = PartialDate.parse(date_text(raw), today=dt.date.max)
        except ValueError as exc:
            self.problem(name, str(exc))
            return None
        if value.is_known and value.precision != DatePrecision.DAY:
            self.problem(name, "needs a full date (day, month and year)")
            return None
        return value.earliest()

    def documents(self) -> list[dict[str, Any]]:
        number = self.text("document_number")
        doc_type = self.parse("document_type", words.document_type)
        country = self.parse("document_country", normalise_country)
        expiry = self.full_date("document_expiry")
        if not number:
            if doc_type or country or expiry:
                self.problem(
                    "document_number",
                    "the document number is missing, but the row gives the document's type, country "
                    "or expiry",
                )
            return []
        kind = doc_type or self.r.implied_document or DocumentType.OTHER
        return [{"type": kind, "number": number, "issuing_country": country, "expiry_date": expiry}]

    def consents(self) -> list[dict[str, Any]]:
        method = self.parse("consent_method", words.consent_method)
        decided = self.full_date("consent_date")
        decided_at = dt.datetime.combine(decided, dt.time(), tzinfo=dt.UTC) if decided else None
        if decided is not None and decided > self.r.today:
            self.problem("consent_date", "is in the future")
        result = []
        for name, purpose in (
            ("consent_registration", ConsentPurpose.REGISTRATION),
            ("consent_evacuation", ConsentPurpose.EVACUATION),
            ("consent_resettlement", ConsentPurpose.RESETTLEMENT),
        ):
            answer = self.parse(name, words.yes_no)
            if answer is None:
                continue
            if method is None:
                self.r.defaulted_method += 1
            result.append(
                {
                    "purpose": purpose,
                    "decision": ConsentDecision.GIVEN if answer else ConsentDecision.WITHDRAWN,
                    "method": method or ConsentMethod.VERBAL,
                    "decided_at": decided_at,
                }
            )
        return result

    # -- pydantic's words into ours ----------------------------------------------------------------
    def translate(self, error: Any) -> RowProblem:
        loc = error.get("loc", ())
        name = _SCHEMA_FIELDS.get(str(loc[0]) if loc else "", "")
        column = self.r.scalar.get(name)
        header = column.header if column is not None else (name or "")
        ctx = error.get("ctx") or {}
        kind = error.get("type", "")
        if kind == "string_too_long":
            reason = f"is too long (at most {ctx.get('max_length')} characters)"
        elif kind == "too_long":
            reason = f"has too many values (at most {ctx.get('max_length')})"
        elif kind in {"missing", "string_too_short"}:
            reason = "is empty"
        else:
            reason = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
        return RowProblem(self.number, header, self.text(name) if name else "", reason)


_SCHEMA_FIELDS = {
    "given_name": "given_name",
    "father_name": "father_name",
    "grandfather_name": "grandfather_name",
    "family_name": "family_name",
    "other_spellings": "other_spellings",
    "sex": "sex",
    "birth_date": "birth_date",
    "place_of_birth": "place_of_birth",
    "nationalities": "nationality",
    "languages": "languages",
    "documents": "document_number",
    "phones": "phone",
    "needs": "needs",
    "category": "category",
    "intention": "intention",
    "relationship_to_head": "relationship",
    "consents": "consent_registration",
}


def date_text(value: Cell) -> str:
    """A date cell as text PartialDate reads: a workbook date, an Excel serial, or what was typed."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bool):
        raise ValueError("is not a date")
    if isinstance(value, int | float):
        return _serial_or_year(float(value))
    text = _MIDNIGHT.sub("", (value or "").strip())
    if _NUMBER.match(text):
        return _serial_or_year(float(text))
    return text


def _serial_or_year(number: float) -> str:
    """1990 is a year; 32874 is Excel's day count since 1899-12-30 (1990-01-01). Below 100 a number
    is no date of this century's people; the time of day (a fraction) is dropped."""
    whole = int(number)
    if number.is_integer() and 1000 <= whole <= 2200:
        return str(whole)
    if not 100 <= whole <= 2958465:
        raise ValueError(f"'{number:g}' is neither a year nor an Excel date number")
    return (_EXCEL_EPOCH + dt.timedelta(days=whole)).isoformat()


__all__ = ["ImportRecord", "RowProblem", "RowReader", "date_text"]
