"""Engine inputs: person records as listed, their validation, and the problems found in them.

A record is kept as written (names in any script). Validation never guesses: an unreadable birth
date or sex makes the row *malformed*: it is reported (row number, field, reason), kept out of the
model and still returned as a cluster of its own, so no listed person is lost. An unreadable phone
or nationality only drops that value (reported too): the rest of the row still links.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from safepassage.shared.dates import EARLIEST_YEAR
from safepassage.shared.reference import document_number_key, normalise_country, normalise_phone

__all__ = [
    "INPUT_COLUMNS",
    "BirthDate",
    "CleanRecord",
    "CsvRecords",
    "InputFileError",
    "PersonRecord",
    "Problem",
    "ValidatedRecords",
    "csv_rows",
    "read_records_csv",
    "validate_records",
]

INPUT_COLUMNS = (
    "record_id",
    "source",
    "given_name",
    "father_name",
    "family_name",
    "sex",
    "birth_date",
    "birth_place",
    "nationality",
    "document_number",
    "phone",
)
_DOC_NOISE = re.compile(r"[^0-9A-Z]")  # "76 № 1015256" = "761015256"
_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


class InputFileError(ValueError):
    """The file as a whole cannot be read (missing, not UTF-8 CSV, header without required columns)."""


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """One listed person, fields as written in the source list (empty string when absent)."""

    record_id: str
    source: str = ""
    given_name: str = ""
    father_name: str = ""
    family_name: str = ""
    sex: str = ""
    birth_date: str = ""
    birth_place: str = ""
    nationality: str = ""
    document_number: str = ""
    phone: str = ""


@dataclass(frozen=True, slots=True)
class Problem:
    """A problem in one input row: ``row`` counts data rows from 1 (the header is row 0)."""

    row: int
    field: str
    reason: str
    malformed: bool = True


@dataclass(frozen=True, slots=True)
class BirthDate:
    """A birth date at the precision given: never a day or month nobody wrote.

    ``january_first`` marks a typed 1 January, often entered for want of a day: linking treats it as
    possibly year-only.
    """

    year: int | None = None
    month: int | None = None
    day: int | None = None

    @property
    def january_first(self) -> bool:
        return self.month == 1 and self.day == 1

    @classmethod
    def parse(cls, text: str) -> BirthDate:
        """Read ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` or nothing; ValueError with a reason otherwise."""
        raw = text.strip()
        if not raw:
            return cls()
        match = _DATE_RE.match(raw)
        if not match:
            raise ValueError(f"'{raw}' is not a date: use YYYY, YYYY-MM or YYYY-MM-DD")
        year, month, day = (int(part) if part else None for part in match.groups())
        assert year is not None
        if year < EARLIEST_YEAR or year > 2100:
            raise ValueError(f"year {year} is not a plausible birth year")
        if month is not None and not 1 <= month <= 12:
            raise ValueError(f"month {month} is not between 1 and 12")
        if day is not None and month is not None:
            import calendar

            if not 1 <= day <= calendar.monthrange(year, month)[1]:
                raise ValueError(f"day {day} does not exist in {year}-{month:02d}")
        return cls(year, month, day)


@dataclass(frozen=True, slots=True)
class CleanRecord:
    """A valid record with its normalised comparable values (names still as written)."""

    record: PersonRecord
    birth: BirthDate
    sex: str
    nationalities: tuple[str, ...]
    document: str
    phone: str


@dataclass(frozen=True)
class ValidatedRecords:
    """Records split into those the model links and those reported malformed (own clusters)."""

    valid: list[CleanRecord]
    malformed: list[PersonRecord]
    problems: list[Problem] = field(default_factory=list)


def _clean(
    row: int, record: PersonRecord, phone_regions: Sequence[str]
) -> tuple[CleanRecord | None, list[Problem]]:
    problems: list[Problem] = []
    if not (record.given_name.strip() or record.family_name.strip()):
        problems.append(Problem(row, "given_name", "neither a given nor a family name"))
    sex = record.sex.strip().upper()
    if sex not in ("", "M", "F"):
        problems.append(Problem(row, "sex", f"'{record.sex.strip()}' is not M, F or empty"))
    try:
        birth = BirthDate.parse(record.birth_date)
    except ValueError as exc:
        problems.append(Problem(row, "birth_date", str(exc)))
        birth = BirthDate()
    nationalities: list[str] = []
    for part in record.nationality.replace(",", ";").split(";"):
        if part.strip():
            try:
                nationalities.append(normalise_country(part))
            except ValueError as exc:
                problems.append(Problem(row, "nationality", f"{exc}; ignored", malformed=False))
    phone = ""
    if record.phone.strip():
        phone = _phone(record.phone, (*nationalities, *phone_regions))
        if not phone:
            digits = re.sub(r"\D", "", record.phone)
            if len(digits) >= 7:
                phone = "+" + digits.lstrip("0")  # kept as digits: a one-typo agreement still counts
            else:
                problems.append(
                    Problem(
                        row,
                        "phone",
                        f"'{record.phone.strip()}' is not a phone number; ignored",
                        malformed=False,
                    )
                )
    document = _DOC_NOISE.sub("", document_number_key(record.document_number))
    if any(p.malformed for p in problems):
        return None, problems
    clean = CleanRecord(record, birth, sex, tuple(sorted(set(nationalities))), document, phone)
    return clean, problems


def _phone(text: str, regions: Sequence[str]) -> str:
    """E.164 of a phone, trying the record's nationalities' numbering plans, then the default
    (``8 (960) 285-52-92`` is Russian written the Russian way); ``""`` when none reads it."""
    for region in dict.fromkeys(regions):
        try:
            return normalise_phone(text, region)
        except ValueError:
            continue
    return ""


def validate_records(
    records: Iterable[PersonRecord],
    *,
    rows: Sequence[int] | None = None,
    known_problems: Sequence[Problem] = (),
    phone_regions: Sequence[str] = ("SY", "RU"),
) -> ValidatedRecords:
    """Validate records in order. A phone without a country code is read in the numbering plan of
    the record's nationalities, then of ``phone_regions`` in turn. ``rows`` gives each record's row
    number (1, 2, ... by default); a row with a malformed problem in ``known_problems`` (found
    while reading) stays malformed.
    A repeated or empty ``record_id`` is reported and the row left out (the first occurrence of an
    id is the one linked: clusters list every id once)."""
    valid: list[CleanRecord] = []
    malformed: list[PersonRecord] = []
    problems: list[Problem] = list(known_problems)
    broken = {p.row for p in known_problems if p.malformed}
    seen: set[str] = set()
    for position, record in enumerate(records):
        row = rows[position] if rows is not None else position + 1
        rid = record.record_id.strip()
        if not rid:
            problems.append(Problem(row, "record_id", "record_id is empty"))
            continue
        if rid in seen:
            problems.append(
                Problem(row, "record_id", f"record_id '{rid}' repeats an earlier row; row left out")
            )
            continue
        seen.add(rid)
        if rid != record.record_id:
            record = PersonRecord(**{**_as_dict(record), "record_id": rid})
        if row in broken:
            malformed.append(record)
            continue
        clean, row_problems = _clean(row, record, phone_regions)
        problems.extend(row_problems)
        if clean is None:
            malformed.append(record)
        else:
            valid.append(clean)
    return ValidatedRecords(valid, malformed, problems)


def _as_dict(record: PersonRecord) -> dict[str, str]:
    return {name: getattr(record, name) for name in INPUT_COLUMNS}


@dataclass(frozen=True)
class CsvRecords:
    """Records read from a file, each with its row number, and the problems met while reading."""

    records: list[PersonRecord]
    rows: list[int]
    problems: list[Problem]


def read_records_csv(path: Path) -> CsvRecords:
    """Read a link-format CSV. Raises InputFileError when the file is unusable. A row with the wrong
    number of fields is reported malformed and still listed (by its first field as record_id)."""
    records: list[PersonRecord] = []
    rows: list[int] = []
    problems: list[Problem] = []
    for row, values, complete in csv_rows(path, INPUT_COLUMNS, required=("record_id",)):
        if not complete:
            problems.append(Problem(row, "", "wrong number of fields"))
        records.append(PersonRecord(**values))
        rows.append(row)
    return CsvRecords(records, rows, problems)


def csv_rows(
    path: Path, columns: Sequence[str], required: Sequence[str]
) -> Iterator[tuple[int, dict[str, str], bool]]:
    """Rows of a UTF-8 CSV as dicts of the known ``columns`` present in the header, with a flag
    telling whether the row had as many fields as the header. Blank lines are skipped."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InputFileError(f"{path}: cannot be opened ({exc.strerror})") from None
    with handle:
        try:
            reader = csv.reader(handle)
            header = [h.strip() for h in next(reader, [])]
            missing = [c for c in required if c not in header]
            if not header or missing:
                raise InputFileError(f"{path}: header lacks column(s) {', '.join(missing or required)}")
            index = {name: header.index(name) for name in columns if name in header}
            for row, values in enumerate(reader, start=1):
                if not values or (len(values) == 1 and not values[0].strip()):
                    continue
                complete = len(values) == len(header)
                yield row, {name: values[i] for name, i in index.items() if i < len(values)}, complete
        except UnicodeDecodeError:
            raise InputFileError(f"{path}: not UTF-8 text") from None
        except csv.Error as exc:
            raise InputFileError(f"{path}: not a CSV file ({exc})") from None
