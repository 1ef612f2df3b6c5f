"""H.csv, R.csv and X.csv read into engine records, each bad row reported and skipped.

A row with any problem is rejected whole (nothing in it is guessed) and named by its row number as a
spreadsheet shows it (the header is row 1), its field and the reason; the valid rows are kept.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from safepassage.placement.engine.types import Education, HistoryRecord, Household, Region

T = TypeVar("T")

HOUSEHOLD_COLUMNS = (
    "household_id",
    "adults",
    "children_0_5",
    "children_6_17",
    "elderly",
    "languages",
    "education_max",
    "occupation",
    "needs",
    "tie_region",
    "preferences",
)
OPTIONAL_HOUSEHOLD_COLUMNS = ("arrival_week",)
REGION_COLUMNS = (
    "region_id",
    "quota_persons",
    "housing_small",
    "housing_large",
    "school_places",
    "kindergarten_places",
    "dialysis",
    "oncology",
    "disability",
    "language_course",
    "unemployment_rate",
    "communities",
)
HISTORY_COLUMNS = (*HOUSEHOLD_COLUMNS, "region_id", "employed_adults_90d")

#: Needs that draw on a region's medical capacity (one place per mention) and are hard constraints.
MEDICAL_NEEDS = {
    "dialysis": "dialysis",
    "oncology": "oncology",
    "disability": "disability",
    "ds": "disability",
}
#: The registry's specific-needs codes (UNHCR's standardised categories) and their short codes.
#: Kept here rather than imported: the engine is pure and depends on no other domain.
REGISTRY_NEEDS = {
    "child_at_risk": "CR",
    "unaccompanied_child": "UM",
    "separated_child": "SC",
    "woman_at_risk": "WR",
    "older_person_at_risk": "ER",
    "single_parent": "SP",
    "serious_medical_condition": "SM",
    "pregnant_or_lactating": "PG",
    "survivor_of_violence": "SV",
    "survivor_of_torture": "TR",
    "legal_physical_protection": "LP",
    "family_unity": "FU",
}
_NEED_BY_CODE = {code.lower(): name for name, code in REGISTRY_NEEDS.items()} | {
    "lw": "pregnant_or_lactating"
}


@dataclass(frozen=True)
class RowProblem:
    """Why one row was rejected: ``row`` as a spreadsheet numbers it, ``field`` the column ('' = row)."""

    file: str
    row: int
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.file} row {self.row}" + (f", {self.field}" if self.field else "")
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class Parsed(Generic[T]):
    records: tuple[T, ...]
    problems: tuple[RowProblem, ...]


class _RowError(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def normalise_need(text: str) -> str:
    """A need code as the engine uses it: medical capacity names, else the registry's need names."""
    key = text.strip().lower().replace(" ", "_").replace("-", "_")
    if key in MEDICAL_NEEDS:
        return MEDICAL_NEEDS[key]
    if key in REGISTRY_NEEDS:
        return key
    if key in _NEED_BY_CODE:
        return _NEED_BY_CODE[key]
    raise ValueError(f"'{text.strip()}' is not a needs code")


def _int(row: Mapping[str, str], name: str, *, minimum: int = 0) -> int:
    text = (row.get(name) or "").strip()
    if not text:
        raise _RowError(name, "is required")
    try:
        value = int(text)
    except ValueError:
        raise _RowError(name, f"'{text}' is not a whole number") from None
    if value < minimum:
        raise _RowError(name, f"must be at least {minimum}")
    return value


def _list(row: Mapping[str, str], name: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in (row.get(name) or "").split(";") if part.strip())


def _household(row: Mapping[str, str]) -> Household:
    household_id = (row.get("household_id") or "").strip()
    if not household_id:
        raise _RowError("household_id", "is required")
    adults = _int(row, "adults")
    counts = [_int(row, name) for name in ("children_0_5", "children_6_17", "elderly")]
    if adults + sum(counts) == 0:
        raise _RowError("adults", "a household has at least one person")
    education_text = (row.get("education_max") or "").strip().lower() or "none"
    try:
        education = Education(education_text)
    except ValueError:
        allowed = ", ".join(e.value for e in Education)
        raise _RowError("education_max", f"'{education_text}' is not one of {allowed}") from None
    needs: list[str] = []
    for part in _list(row, "needs"):
        try:
            needs.append(normalise_need(part))
        except ValueError as exc:
            raise _RowError("needs", str(exc)) from None
    week_text = (row.get("arrival_week") or "").strip()
    week = _int(row, "arrival_week", minimum=1) if week_text else None
    return Household(
        household_id=household_id,
        adults=adults,
        children_0_5=counts[0],
        children_6_17=counts[1],
        elderly=counts[2],
        languages=tuple(sorted({lang.lower() for lang in _list(row, "languages")})),
        education_max=education,
        occupation=(row.get("occupation") or "").strip().lower() or "none",
        needs=tuple(needs),
        tie_region=(row.get("tie_region") or "").strip() or None,
        preferences=_list(row, "preferences"),
        arrival_week=week,
    )


def _region(row: Mapping[str, str]) -> Region:
    region_id = (row.get("region_id") or "").strip()
    if not region_id:
        raise _RowError("region_id", "is required")
    caps = {name: _int(row, name) for name in REGION_COLUMNS[1:10]}
    text = (row.get("unemployment_rate") or "").strip()
    try:
        rate = float(text)
    except ValueError:
        raise _RowError("unemployment_rate", f"'{text}' is not a number") from None
    if not math.isfinite(rate) or not 0.0 <= rate <= 1.0:
        raise _RowError("unemployment_rate", "must be a share between 0 and 1 (0.07 for 7%)")
    communities = tuple(sorted({c.lower() for c in _list(row, "communities")}))
    return Region(region_id=region_id, unemployment_rate=rate, communities=communities, **caps)


def _read(
    source: str | Path | Iterable[str],
    name: str,
    columns: tuple[str, ...],
    make: Callable[[Mapping[str, str]], T],
) -> tuple[list[tuple[int, T]], list[RowProblem]]:
    if isinstance(source, (str, Path)):
        text = Path(source).read_text(encoding="utf-8-sig")
        lines: Iterable[str] = io.StringIO(text)
    else:
        lines = source
    reader = csv.DictReader(lines)
    header = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = header
    missing = [c for c in columns if c not in header]
    if missing:
        return [], [RowProblem(name, 1, ", ".join(missing), "missing column(s)")]
    out: list[tuple[int, T]] = []
    problems: list[RowProblem] = []
    for number, row in enumerate(reader, start=2):
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        if None in row:
            problems.append(RowProblem(name, number, "", "more cells than columns"))
            continue
        try:
            out.append((number, make(row)))
        except _RowError as exc:
            problems.append(RowProblem(name, number, exc.field, exc.reason))
    return out, problems


def _unique(rows: list[tuple[int, T]], key: Callable[[T], str], name: str, field: str) -> Parsed[T]:
    seen: set[str] = set()
    kept: list[T] = []
    problems: list[RowProblem] = []
    for number, record in rows:
        k = key(record)
        if k in seen:
            problems.append(RowProblem(name, number, field, f"'{k}' appears more than once"))
            continue
        seen.add(k)
        kept.append(record)
    return Parsed(tuple(kept), tuple(problems))


def read_households(source: str | Path | Iterable[str], name: str = "H.csv") -> Parsed[Household]:
    rows, problems = _read(source, name, HOUSEHOLD_COLUMNS, _household)
    parsed = _unique(rows, lambda h: h.household_id, name, "household_id")
    return Parsed(parsed.records, tuple(problems) + parsed.problems)


def read_regions(source: str | Path | Iterable[str], name: str = "R.csv") -> Parsed[Region]:
    rows, problems = _read(source, name, REGION_COLUMNS, _region)
    parsed = _unique(rows, lambda r: r.region_id, name, "region_id")
    return Parsed(parsed.records, tuple(problems) + parsed.problems)


def read_history(
    source: str | Path | Iterable[str], regions: Iterable[Region], name: str = "X.csv"
) -> Parsed[HistoryRecord]:
    """History rows; a row naming a region that R.csv does not list is rejected (nothing to learn from)."""
    known = {r.region_id for r in regions}

    def make(row: Mapping[str, str]) -> HistoryRecord:
        household = _household(row)
        region_id = (row.get("region_id") or "").strip()
        if region_id not in known:
            raise _RowError("region_id", f"'{region_id}' is not a region of the regions file")
        employed = _int(row, "employed_adults_90d")
        if employed > household.adults:
            raise _RowError(
                "employed_adults_90d", f"{employed} is more than the household's {household.adults} adults"
            )
        return HistoryRecord(household, region_id, employed)

    rows, problems = _read(source, name, HISTORY_COLUMNS, make)
    return Parsed(tuple(r for _, r in rows), tuple(problems))


def check_references(households: Iterable[Household], regions: Iterable[Region]) -> list[str]:
    """Warnings for ties and preferences naming unknown regions (kept: the household is still placed)."""
    known = {r.region_id for r in regions}
    warnings: list[str] = []
    for h in households:
        if h.tie_region is not None and h.tie_region not in known:
            warnings.append(f"household {h.household_id}: tie_region '{h.tie_region}' is not a known region")
        unknown = [p for p in h.preferences if p not in known]
        if unknown:
            warnings.append(
                f"household {h.household_id}: preferences name unknown regions {', '.join(unknown)}"
            )
    return warnings


def write_csv(path: Path, header: tuple[str, ...], rows: Iterable[Iterable[object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
