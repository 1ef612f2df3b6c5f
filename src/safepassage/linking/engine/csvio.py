"""Reading tracing requests from CSV (records are read by ``records.read_records_csv``)."""

from __future__ import annotations

from pathlib import Path

from safepassage.linking.engine.index import TracingRequest
from safepassage.linking.engine.records import Problem, csv_rows

__all__ = ["REQUEST_COLUMNS", "read_requests_csv"]

REQUEST_COLUMNS = (
    "request_id",
    "given_name",
    "father_name",
    "family_name",
    "sex",
    "approx_birth_year",
    "age_tolerance_years",
    "birth_place",
    "relationship",
)


def _int(value: str, row: int, name: str, problems: list[Problem]) -> int | None:
    text = value.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        problems.append(Problem(row, name, f"'{text}' is not a whole number; ignored", malformed=False))
        return None


def read_requests_csv(path: Path) -> tuple[list[TracingRequest], list[Problem]]:
    """Requests in file order. A row without request_id is reported and skipped; an unreadable year
    or tolerance is reported and ignored (default tolerance: 3 years)."""
    requests: list[TracingRequest] = []
    problems: list[Problem] = []
    for row, values, complete in csv_rows(path, REQUEST_COLUMNS, required=("request_id",)):
        request_id = values.get("request_id", "").strip()
        if not complete or not request_id:
            problems.append(
                Problem(
                    row,
                    "request_id" if complete else "",
                    "no request_id" if complete else "wrong number of fields",
                )
            )
            continue
        tolerance = _int(values.get("age_tolerance_years", ""), row, "age_tolerance_years", problems)
        requests.append(
            TracingRequest(
                request_id=request_id,
                given_name=values.get("given_name", ""),
                father_name=values.get("father_name", ""),
                family_name=values.get("family_name", ""),
                sex=values.get("sex", "").strip().upper(),
                approx_birth_year=_int(
                    values.get("approx_birth_year", ""), row, "approx_birth_year", problems
                ),
                age_tolerance_years=3 if tolerance is None else tolerance,
                birth_place=values.get("birth_place", ""),
                relationship=values.get("relationship", ""),
            )
        )
    return requests, problems
