"""The batch files: GROUPS.csv, LEGS.csv, a previous assignments.csv and a boarded list, read with
every problem reported by row number, column and reason; valid rows are kept.

Row numbers count the header as row 1, as a spreadsheet shows them.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from safepassage.movements.planner.model import Group, Leg, LegStatus, Placement, SplitPermission

GROUP_COLUMNS = (
    "group_id",
    "origin_site",
    "persons",
    "infants",
    "stretchers",
    "baggage_kg",
    "tier",
    "registered_at",
)
GROUP_OPTIONAL = ("may_split_by", "may_split_reason")
LEG_COLUMNS = (
    "leg_id",
    "origin_site",
    "destination_site",
    "departure",
    "seats",
    "lap_places",
    "stretcher_places",
    "baggage_kg",
)
LEG_OPTIONAL = ("status",)
ASSIGNMENT_COLUMNS = ("group_id", "leg_id")


@dataclass(frozen=True)
class RowProblem:
    file: str
    row: int  # 1 is the header; 0 for the whole file
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row else "file"
        return f"{self.file} {where}, {self.column}: {self.reason}"


class FileRejected(Exception):
    """The file as a whole cannot be read (missing, not CSV, a required column absent)."""

    def __init__(self, problem: RowProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _rows(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise FileRejected(RowProblem(path.name, 0, "-", f"cannot read: {exc.strerror}")) from None
    with handle:
        reader = csv.DictReader(handle)
        try:
            header = [h.strip() for h in (reader.fieldnames or [])]
        except (csv.Error, UnicodeDecodeError) as exc:
            raise FileRejected(RowProblem(path.name, 1, "-", f"not a readable CSV file: {exc}")) from None
        reader.fieldnames = header
        missing = [c for c in required if c not in header]
        if missing:
            raise FileRejected(RowProblem(path.name, 1, ", ".join(missing), "required column(s) missing"))
        try:
            for number, row in enumerate(reader, start=2):
                if not any((v or "").strip() for k, v in row.items() if k is not None):
                    continue  # blank line
                yield number, {k: (v or "").strip() for k, v in row.items() if k is not None}
        except (csv.Error, UnicodeDecodeError) as exc:
            raise FileRejected(RowProblem(path.name, reader.line_num, "-", f"not readable: {exc}")) from None


class _Row:
    def __init__(self, file: str, number: int, values: dict[str, str]) -> None:
        self.file, self.number, self.values = file, number, values
        self.problems: list[RowProblem] = []

    def bad(self, column: str, reason: str) -> None:
        self.problems.append(RowProblem(self.file, self.number, column, reason))

    def text(self, column: str) -> str:
        value = self.values.get(column, "")
        if not value:
            self.bad(column, "is empty")
        return value

    def count(self, column: str) -> int:
        raw = self.values.get(column, "")
        try:
            value = int(raw)
        except ValueError:
            self.bad(column, f"must be a whole number, not {raw!r}" if raw else "is empty")
            return 0
        if value < 0:
            self.bad(column, f"must not be negative ({value})")
        return value

    def kilos(self, column: str) -> float:
        raw = self.values.get(column, "")
        try:
            value = float(raw)
        except ValueError:
            self.bad(column, f"must be a number of kilograms, not {raw!r}" if raw else "is empty")
            return 0.0
        if not math.isfinite(value) or value < 0:
            self.bad(column, f"must be a non-negative number ({raw})")
        return value

    def moment(self, column: str) -> dt.datetime:
        raw = self.values.get(column, "")
        try:
            value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            self.bad(column, f"must be an ISO 8601 time with offset, e.g. 2026-11-23T06:00:00Z, not {raw!r}")
            return dt.datetime.min.replace(tzinfo=dt.UTC)
        if value.tzinfo is None:
            self.bad(column, f"needs a UTC offset (e.g. {raw}Z): a time without one is ambiguous")
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def read_groups(path: Path, tiers: tuple[int, ...]) -> tuple[list[Group], list[RowProblem]]:
    groups: list[Group] = []
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    for number, values in _rows(path, GROUP_COLUMNS):
        r = _Row(path.name, number, values)
        gid, origin = r.text("group_id"), r.text("origin_site")
        persons, infants, stretchers = r.count("persons"), r.count("infants"), r.count("stretchers")
        baggage, registered = r.kilos("baggage_kg"), r.moment("registered_at")
        tier = r.count("tier")
        if r.values.get("tier", "").lstrip("-").isdigit() and tier not in tiers:
            r.bad("tier", f"{tier} is not a tier of the policy ({', '.join(map(str, tiers))})")
        if not r.problems:
            if persons + infants + stretchers == 0:
                r.bad("persons", "the group has nobody in it (persons, infants and stretchers are all 0)")
            elif infants and not persons:
                r.bad("infants", "an infant travels on an adult's lap: the group has no seated person")
        split = None
        by, reason = values.get("may_split_by", ""), values.get("may_split_reason", "")
        if by or reason:
            if not by:
                r.bad("may_split_by", "a permission to split names the supervisor who gave it")
            if not reason:
                r.bad("may_split_reason", "a permission to split needs its reason")
            split = SplitPermission(by, reason)
        if gid in seen:
            r.bad("group_id", f"{gid!r} already on row {seen[gid]}")
        if r.problems:
            problems.extend(r.problems)
            continue
        seen[gid] = number
        groups.append(Group(gid, origin, persons, infants, stretchers, baggage, tier, registered, split))
    return groups, problems


def read_legs(path: Path) -> tuple[list[Leg], list[RowProblem]]:
    legs: list[Leg] = []
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    for number, values in _rows(path, LEG_COLUMNS):
        r = _Row(path.name, number, values)
        lid, origin, destination = r.text("leg_id"), r.text("origin_site"), r.text("destination_site")
        departure = r.moment("departure")
        seats, lap, stretchers = r.count("seats"), r.count("lap_places"), r.count("stretcher_places")
        baggage = r.kilos("baggage_kg")
        status = LegStatus.PLANNED
        raw = values.get("status", "").lower()
        if raw:
            try:
                status = LegStatus(raw)
            except ValueError:
                r.bad("status", f"must be one of {', '.join(s.value for s in LegStatus)}, not {raw!r}")
        if origin and origin == destination:
            r.bad("destination_site", "is the same as origin_site")
        if lid in seen:
            r.bad("leg_id", f"{lid!r} already on row {seen[lid]}")
        if r.problems:
            problems.extend(r.problems)
            continue
        seen[lid] = number
        legs.append(Leg(lid, origin, destination, departure, seats, lap, stretchers, baggage, status))
    return legs, problems


def read_assignments(
    path: Path, groups: dict[str, Group]
) -> tuple[list[Placement], set[str], list[RowProblem]]:
    """A previous plan as written by ``plan-movements`` (its count columns are optional): the
    placements of groups still listed, every group id it mentions, and its problems."""
    placements: list[Placement] = []
    known: set[str] = set()
    problems: list[RowProblem] = []
    for number, values in _rows(path, ASSIGNMENT_COLUMNS):
        r = _Row(path.name, number, values)
        gid, lid = r.text("group_id"), values.get("leg_id", "")
        if not gid:
            problems.extend(r.problems)
            continue
        known.add(gid)
        g = groups.get(gid)
        if not lid:
            continue  # not moved in that plan
        has_counts = all(values.get(c, "") for c in ("persons", "infants", "stretchers"))
        if has_counts:
            pe, inf, st = r.count("persons"), r.count("infants"), r.count("stretchers")
        elif g is not None:
            pe, inf, st = g.persons, g.infants, g.stretchers
        else:
            pe, inf, st = 0, 0, 0  # a group that has left: reported as a change, counts unknown
        if r.problems:
            problems.extend(r.problems)
            continue
        people = pe + inf + st
        bag = g.baggage_kg * people / g.people if g is not None and g.people else 0.0
        placements.append(Placement(gid, lid, pe, inf, st, bag))
    return placements, known, problems


def read_boarded(path: Path) -> tuple[set[str], list[RowProblem]]:
    """Group ids holding boarding passes: a CSV with a ``group_id`` column."""
    boarded: set[str] = set()
    problems: list[RowProblem] = []
    for number, values in _rows(path, ("group_id",)):
        gid = values.get("group_id", "")
        if gid:
            boarded.add(gid)
        else:
            problems.append(RowProblem(path.name, number, "group_id", "is empty"))
    return boarded, problems
