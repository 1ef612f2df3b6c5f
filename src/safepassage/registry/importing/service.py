"""The use case: import a partner's spreadsheet of persons, one row per person.

Valid rows are written in batches (one transaction each), invalid rows go to a rejects file that
can be corrected and imported again as it is, and re-importing creates nothing twice: each person
and household carries a source key (see docs/import.md).
"""

from __future__ import annotations

import contextlib
import csv
import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from safepassage.registry.importing.mapping import REJECT_COLUMNS, ColumnMap, map_columns
from safepassage.registry.importing.reader import Table, cell_text, open_table
from safepassage.registry.importing.rows import ImportRecord, RowProblem, RowReader
from safepassage.registry.importing.writer import BatchResult, BatchWriter
from safepassage.registry.models import ImportBatch
from safepassage.registry.services import get_site_or_raise
from safepassage.security.policy import Actor, Permission, require
from safepassage.shared.errors import Invalid
from safepassage.uow import UnitOfWork

MAX_PROBLEMS = 100
MAX_SOURCE = 120
REJECTS_SUFFIX = ".rejects"


@dataclass(frozen=True)
class ImportReport:
    """What an import did. ``rows_read`` counts non-empty data rows; each was created, found already
    imported, or rejected (with its reasons in ``rejects_path``)."""

    batch_id: uuid.UUID
    source: str
    format: str
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    rows_read: int
    empty_rows: int
    persons_created: int
    households_created: int
    rows_already_imported: int
    rows_rejected: int
    rejects_path: Path | None
    ignored_columns: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)  # the first ones, for display


def default_source(path: Path) -> str:
    """The file name without its extension, and without ``.rejects`` so that a corrected rejects
    file joins the households and keys of the file it came from."""
    stem = path.stem
    return stem[: -len(REJECTS_SUFFIX)] if stem.endswith(REJECTS_SUFFIX) else stem


def default_rejects_path(path: Path, source: str) -> Path:
    return path.with_name(f"{default_source(path) or source}{REJECTS_SUFFIX}.csv")


def import_file(
    uow: UnitOfWork,
    path: Path,
    *,
    actor: Actor,
    site_id: uuid.UUID,
    source: str | None = None,
    rejects_path: Path | None = None,
    progress: Callable[[int], None] | None = None,
    sheet: str | None = None,
    batch_size: int = 2000,
) -> ImportReport:
    """Import the persons of a CSV or XLSX file into ``site_id``.

    Raises Invalid for a problem with the file as a whole (not a CSV or XLSX, no given-name column,
    no header); row problems never raise: they go to the rejects file and the report.
    """
    require(actor, Permission.REGISTRY_IMPORT)
    path = Path(path)
    source = " ".join((source if source is not None else default_source(path)).split())
    if not source or len(source) > MAX_SOURCE:
        raise Invalid(f"the source name must have 1 to {MAX_SOURCE} characters")
    rejects = Path(rejects_path) if rejects_path is not None else default_rejects_path(path, source)
    with uow.acting(actor.username):
        get_site_or_raise(uow, site_id)
        with open_table(path, sheet=sheet, is_header=_names_someone) as table:
            columns = map_columns(table.headers, table.hxl)
            _require_name_column(columns, table)
            run = _Run(
                uow, path, table, columns, actor, site_id, source, rejects, max(1, batch_size), progress
            )
            try:
                run.go()
            except BaseException:
                run.fail()
                raise
        return run.finish()


def _names_someone(headers: list[str], hxl: list[str] | None) -> bool:
    return map_columns(headers, hxl).has("given_name")


def _require_name_column(columns: ColumnMap, table: Table) -> None:
    if columns.has("given_name"):
        return
    found = ", ".join(f"'{h}'" for h in table.headers if h) or "none"
    raise Invalid(
        "no column holds the given name: call one 'given_name' (or 'first name', 'имя', 'الاسم'), "
        f"or tag it #beneficiary+name+first in an HXL row. Columns found: {found}. Nothing was imported."
    )


class _Run:
    """One import in progress: counts, the pending batch, the rejects file."""

    def __init__(
        self,
        uow: UnitOfWork,
        path: Path,
        table: Table,
        columns: ColumnMap,
        actor: Actor,
        site_id: uuid.UUID,
        source: str,
        rejects: Path,
        batch_size: int,
        progress: Callable[[int], None] | None,
    ) -> None:
        self.uow, self.table, self.columns, self.progress = uow, table, columns, progress
        self.batch_size = batch_size
        now = uow.now()
        self.batch = ImportBatch(
            filename=path.name[:300],
            sha256=table.sha256,
            source=source,
            site_id=site_id,
            started_at=now,
            actor=actor.username,
            status="running",
        )
        uow.session.add(self.batch)
        uow.commit()
        headers = {name: cols[0].header for name, cols in columns.fields.items()}
        self.writer = BatchWriter(
            uow,
            actor=actor.username,
            batch_id=self.batch.id,
            source=source,
            site_id=site_id,
            field_names=headers,
        )
        self.reader = RowReader(columns, phone_region=uow.default_phone_region, today=now.date(), now=now)
        self.rejects = _RejectsFile(rejects, table, table.delimiter or ",")
        self.rows_read = self.empty_rows = self.created = self.households = self.already = 0
        self.problems: list[RowProblem] = []

    def go(self) -> None:
        pending: list[ImportRecord] = []
        for number, cells in self.table.rows:
            outcome = self.reader(number, cells)
            if outcome is None:
                self.empty_rows += 1
                continue
            self.rows_read += 1
            if isinstance(outcome, list):
                self.reject(number, [cell_text(c) for c in cells], outcome)
            else:
                pending.append(outcome)
                if len(pending) >= self.batch_size:
                    self.flush(pending)
                    pending = []
        self.flush(pending)
        self.writer.settle_heads(self.uow.now().date())

    def flush(self, pending: list[ImportRecord]) -> None:
        if pending:
            result: BatchResult = self.writer.write(pending)
            self.created += result.persons_created
            self.households += result.households_created
            self.already += result.already_imported
            for record, problems in result.rejected:
                self.reject(record.row_number, record.cells, problems)
        if self.progress is not None:
            self.progress(self.rows_read + self.empty_rows)

    def reject(self, number: int, cells: list[str], problems: list[RowProblem]) -> None:
        self.rejects.write(number, cells, problems)
        room = MAX_PROBLEMS - len(self.problems)
        if room > 0:
            self.problems.extend(problems[:room])

    def fail(self) -> None:
        """Record what was done before the failure; rows of committed batches stay imported."""
        self.rejects.discard()
        with contextlib.suppress(Exception):  # the original error matters more than this one
            self.uow.rollback()
            self._save("failed")

    def finish(self) -> ImportReport:
        rejects_path = self.rejects.close()
        self._save("done", rejects_path)
        return ImportReport(
            batch_id=self.batch.id,
            source=self.batch.source,
            format=self.table.format,
            encoding=self.table.encoding,
            delimiter=self.table.delimiter,
            sheet=self.table.sheet,
            rows_read=self.rows_read,
            empty_rows=self.empty_rows,
            persons_created=self.created,
            households_created=self.households,
            rows_already_imported=self.already,
            rows_rejected=self.rejects.count,
            rejects_path=rejects_path,
            ignored_columns=list(self.columns.ignored),
            warnings=self._warnings(),
            problems=self.problems,
        )

    def _save(self, status: str, rejects_path: Path | None = None) -> None:
        batch = self.batch
        batch.finished_at = self.uow.now()
        batch.rows_read = self.rows_read
        batch.persons_created = self.created
        batch.households_created = self.households
        batch.rows_already_imported = self.already
        batch.rows_rejected = self.rejects.count
        batch.rejects_path = str(rejects_path)[:500] if rejects_path else None
        batch.status = status
        self.uow.session.add(batch)
        self.uow.commit()

    def _warnings(self) -> list[str]:
        notes = list(self.columns.notes)
        w = self.writer
        if w.no_relationship:
            notes.append(
                f"{w.no_relationship} rows of a household gave no relationship to the head; "
                "they were recorded as other_relative"
            )
        if w.no_household_relationship:
            notes.append(
                f"{w.no_household_relationship} rows gave a relationship but no household; "
                "each was registered as the head of a household of their own"
            )
        if self.reader.defaulted_method:
            notes.append(
                f"{self.reader.defaulted_method} consents had no consent method; they were recorded as verbal"
            )
        notes.extend(w.warnings)
        if w.warning_count > len(w.warnings):
            notes.append(f"… and {w.warning_count - len(w.warnings)} more households were given a head")
        return notes


class _RejectsFile:
    """The rejected rows with their original columns plus _row, _field and _reason: UTF-8 with a BOM
    (so Excel shows Arabic and Cyrillic), written beside the final path and moved there at the end."""

    def __init__(self, path: Path, table: Table, delimiter: str) -> None:
        self.path = path
        self.part = path.with_name(path.name + ".part")
        self.keep = [i for i, h in enumerate(table.headers) if h not in REJECT_COLUMNS]
        self.table = table
        self.delimiter = delimiter
        self.count = 0
        self._handle: TextIO | None = None
        self._writer: Any = None

    def _open(self) -> None:
        self.part.parent.mkdir(parents=True, exist_ok=True)
        handle = self.part.open("w", encoding="utf-8-sig", newline="")
        self._handle = handle
        self._writer = csv.writer(handle, delimiter=self.delimiter)
        self._writer.writerow([self.table.headers[i] for i in self.keep] + list(REJECT_COLUMNS))
        if self.table.hxl is not None:
            hxl = self.table.hxl
            self._writer.writerow([hxl[i] if i < len(hxl) else "" for i in self.keep] + ["", "", ""])

    def write(self, number: int, cells: Sequence[str], problems: list[RowProblem]) -> None:
        if self._writer is None:
            self._open()
        width = len(self.table.headers)
        values = [cells[i] if i < len(cells) else "" for i in self.keep]
        values.extend(cells[width:])  # stray cells beyond the header stay with their row
        fields = " | ".join(dict.fromkeys(p.field for p in problems if p.field))
        reasons = " | ".join(f"{p.field}: {p.reason}" if p.field else p.reason for p in problems)
        self._writer.writerow([*values[: len(self.keep)], number, fields, reasons, *values[len(self.keep) :]])
        self.count += 1

    def close(self) -> Path | None:
        if self._handle is None:
            return None
        self._handle.close()
        os.replace(self.part, self.path)
        return self.path

    def discard(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self.part.unlink(missing_ok=True)
            self._handle = None
