"""The use case: import a partner's spreadsheet of persons, one row per person.

Valid rows are written in batches (one transaction each), invalid rows go to a rejects file that
can be corrected and imported again as it is, and re-importing creates nothing twice: each person
and household carries a source key (see docs/import.md).

Reading, validating and deriving the rows of a large file runs in a worker process while this one
writes: the two halves take about the same time, and a machine has more than one core.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import pickle
import queue
import subprocess
import sys
import threading
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from safepassage.db import dialect_of
from safepassage.registry.importing.factory import Prepared, RowFactory
from safepassage.registry.importing.heads import settle_heads
from safepassage.registry.importing.mapping import map_columns
from safepassage.registry.importing.reader import RejectsFile, Table, cell_text, open_table
from safepassage.registry.importing.rows import RowProblem, RowReader
from safepassage.registry.importing.writer import BatchWriter
from safepassage.registry.models import ImportBatch
from safepassage.registry.services import get_site_or_raise
from safepassage.security.policy import Actor, Permission, require, require_site
from safepassage.shared.dates import latest_today
from safepassage.shared.errors import DomainError, Invalid
from safepassage.shared.i18n import say
from safepassage.uow import UnitOfWork

MAX_PROBLEMS = 100
MAX_WARNINGS = 200
MAX_SOURCE = 120
REJECTS_SUFFIX = ".rejects"
QUEUED_BATCHES = 3
PARALLEL_MIN_BYTES = 4 << 20  # below this, starting a worker process costs more than it saves


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
    parallel: bool | None = None,
) -> ImportReport:
    """Import the persons of a CSV or XLSX file into ``site_id``.

    Raises Invalid for a problem with the file as a whole (not a CSV or XLSX, no given-name column,
    no header); row problems never raise: they go to the rejects file and the report. ``parallel``
    reads in a worker process (default: for files of 4 MB and more).
    """
    require(actor, Permission.REGISTRY_IMPORT)
    path = Path(path)
    source = " ".join((source if source is not None else default_source(path)).split())
    if not source or len(source) > MAX_SOURCE:
        raise Invalid(say("the source name must have 1 to %(max)s characters", max=MAX_SOURCE))
    rejects = Path(rejects_path) if rejects_path is not None else default_rejects_path(path, source)
    with uow.acting(actor):
        get_site_or_raise(uow, site_id)
        require_site(actor, site_id)
        with open_table(path, sheet=sheet, is_header=_names_someone) as table:
            columns = map_columns(table.headers, table.hxl)
            if not columns.has("given_name"):
                found = ", ".join(f"'{h}'" for h in table.headers if h) or "none"
                raise Invalid(
                    say(
                        "no column holds the given name: call one 'given_name' (or 'first name', 'имя', "
                        "'الاسم'), or tag it #beneficiary+name+first in an HXL row. Columns found: "
                        "%(found)s. Nothing was imported.",
                        found=found,
                    )
                )
        dialect = uow.session.connection().dialect
        job = Job(path.absolute(), sheet, dialect.name, dialect.driver, source, site_id, actor.username,
                  uow.now(), uow.default_phone_region, max(1, batch_size))  # fmt: skip
        if parallel is None:
            parallel = (os.cpu_count() or 1) > 1 and path.stat().st_size >= PARALLEL_MIN_BYTES
        run = _Run(uow, job, table, rejects, columns.ignored, columns.notes, progress)
        run.writer.allowed_sites = None if actor.all_sites else actor.site_ids
        try:
            run.go(_in_worker(job) if parallel else produce(job))
        except BaseException:
            run.fail()
            raise
        return run.finish()


def _names_someone(headers: list[str], hxl: list[str] | None) -> bool:
    return map_columns(headers, hxl).has("given_name")


# -- reading: in this process or a worker ------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """What a reader needs to know; it crosses to a worker process, so it is plain data."""

    path: Path
    sheet: str | None
    dialect: str
    driver: str
    source: str
    site_id: uuid.UUID
    actor: str
    now: dt.datetime
    phone_region: str
    batch_size: int


@dataclass
class Batch:
    """Rows ready to write, rows rejected while reading, and the counts so far."""

    prepared: list[Prepared]
    rejected: list[tuple[int, list[str], list[RowProblem]]]
    rows_read: int
    empty_rows: int
    counts: dict[str, int]
    headers: dict[str, str]  # field → its column header, for problems found while writing


def produce(job: Job) -> Iterator[Batch]:
    """Read, validate and derive the rows of ``job.path``, a batch at a time."""
    with open_table(job.path, sheet=job.sheet, is_header=_names_someone) as table:
        columns = map_columns(table.headers, table.hxl)
        headers = {name: cols[0].header for name, cols in columns.fields.items()}
        reader = RowReader(columns, phone_region=job.phone_region, today=latest_today(job.now), now=job.now)
        factory = RowFactory(
            dialect_of(job.dialect, job.driver),
            source=job.source,
            site_id=job.site_id,
            actor=job.actor,
            now=job.now,
        )
        read = empty = 0
        prepared: list[Prepared] = []
        rejected: list[tuple[int, list[str], list[RowProblem]]] = []

        def batch() -> Batch:
            counts = {
                "no_relationship": factory.counts.no_relationship,
                "no_household_relationship": factory.counts.no_household_relationship,
                "defaulted_method": reader.defaulted_method,
            }
            return Batch(prepared, rejected, read, empty, counts, headers)

        for number, cells in table.rows:
            outcome = reader(number, cells)
            if outcome is None:
                empty += 1
            elif isinstance(outcome, list):
                read += 1
                rejected.append((number, [cell_text(c) for c in cells], outcome))
            else:
                read += 1
                prepared.append(factory.prepare(outcome))
            if len(prepared) >= job.batch_size or len(rejected) >= job.batch_size:
                yield batch()
                prepared, rejected = [], []
        yield batch()


def serve() -> None:  # pragma: no cover - runs in the worker process
    """The worker: a pickled Job on stdin; pickled ("batch", Batch) messages on stdout, then
    ("end", None), ("invalid", message) or ("crash", traceback)."""
    job = pickle.load(sys.stdin.buffer)  # noqa: S301 - written by our own parent process
    out = sys.stdout.buffer
    try:
        for batch in produce(job):
            pickle.dump(("batch", batch), out, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.dump(("end", None), out)
    except DomainError as exc:
        pickle.dump(("invalid", exc.message), out)
    except BaseException:  # reported to the parent, which raises
        pickle.dump(("crash", traceback.format_exc()), out)
    out.flush()


def _in_worker(job: Job) -> Iterator[Batch]:
    """``produce(job)`` in a worker process (``python -m`` this module, so that no caller's script is
    run again), a few batches ahead of the writer: a thread here receives them while the writer
    waits on the database. Falls back to reading here when the worker cannot start."""
    command = [sys.executable, "-W", "ignore", "-m", "safepassage.registry.importing.service"]
    try:
        worker = subprocess.Popen(  # noqa: S603 - a fixed command: this interpreter, this module
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
    except OSError:
        yield from produce(job)
        return
    if worker.stdin is None or worker.stdout is None:  # pragma: no cover - PIPE always gives both
        raise RuntimeError("the reading process has no pipes")
    inbox: queue.Queue[tuple[str, object]] = queue.Queue(maxsize=QUEUED_BATCHES)
    stop = threading.Event()
    receiver = threading.Thread(target=_receive, args=(worker.stdout, inbox, stop), daemon=True)
    try:
        pickle.dump(job, worker.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        worker.stdin.close()
        receiver.start()
        received = 0
        while True:
            kind, payload = inbox.get()
            if kind == "eof":
                if received:
                    raise RuntimeError("the process reading the file stopped unexpectedly")
                yield from produce(job)  # it could not start (an unusual environment): read here
                return
            received += 1
            if kind == "batch" and isinstance(payload, Batch):
                yield payload
            elif kind == "end":
                return
            elif kind == "invalid":
                raise Invalid(str(payload))
            else:
                raise RuntimeError(f"reading the file failed:\n{payload}")
    finally:
        stop.set()
        if worker.poll() is None:
            worker.kill()
        worker.wait(timeout=30)
        with contextlib.suppress(queue.Empty):
            inbox.get_nowait()  # let a receiver blocked on a full inbox see the stop
        if receiver.is_alive():
            receiver.join(timeout=30)
        worker.stdout.close()


def _receive(stream: IO[bytes], inbox: queue.Queue[tuple[str, object]], stop: threading.Event) -> None:
    """Unpickle the worker's messages into ``inbox`` (bounded: the worker waits when it is full)."""
    while not stop.is_set():
        try:
            message = pickle.load(stream)  # noqa: S301 - our own worker's output
        except (EOFError, OSError, ValueError):
            message = ("eof", None)
        while not stop.is_set():
            try:
                inbox.put(message, timeout=0.5)
                break
            except queue.Full:
                continue
        if message[0] in {"eof", "end", "invalid", "crash"}:
            return


# -- writing ------------------------------------------------------------------------------------------


class _Run:
    """One import in progress: its ImportBatch row, its counts, the rejects file."""

    def __init__(
        self,
        uow: UnitOfWork,
        job: Job,
        table: Table,
        rejects: Path,
        ignored: list[str],
        notes: list[str],
        progress: Callable[[int], None] | None,
    ) -> None:
        self.uow, self.job, self.table, self.progress = uow, job, table, progress
        self.ignored, self.notes = ignored, notes
        self.batch = ImportBatch(
            filename=job.path.name[:300],
            sha256=table.sha256,
            source=job.source,
            site_id=job.site_id,
            started_at=uow.now(),
            actor=job.actor,
            status="running",
        )
        uow.session.add(self.batch)
        uow.commit()
        dialect = uow.session.connection().dialect
        self.writer = BatchWriter(uow, dialect, batch_id=self.batch.id, actor=job.actor, site_id=job.site_id)
        self.rejects = RejectsFile(rejects, table.headers, table.hxl, table.delimiter or ",")
        self.rows_read = self.empty_rows = self.created = self.households = self.already = 0
        self.counts: dict[str, int] = {}
        self.problems: list[RowProblem] = []
        self.warnings: list[str] = []
        self.heads_settled = 0

    def go(self, batches: Iterator[Batch]) -> None:
        for batch in batches:
            for number, cells, problems in batch.rejected:
                self.reject(number, cells, problems)
            if batch.prepared:
                result = self.writer.write(batch.prepared, source=self.job.source)
                self.created += result.persons_created
                self.households += result.households_created
                self.already += result.already_imported
                for row, name, reason in result.rejected:
                    value = (row.site_code if name == "site" else "head") or ""
                    problem = RowProblem(row.row_number, batch.headers.get(name, name), value, reason)
                    self.reject(row.row_number, row.cells or [], [problem])
            self.rows_read, self.empty_rows, self.counts = batch.rows_read, batch.empty_rows, batch.counts
            if self.progress is not None:
                self.progress(self.rows_read + self.empty_rows)
        for ref, adult in settle_heads(self.uow, source=self.job.source, actor=self.job.actor,
                                       today=self.uow.now().date()):  # fmt: skip
            self.heads_settled += 1
            who = "the first adult" if adult else "no member is known to be an adult, so the first member"
            if len(self.warnings) < MAX_WARNINGS:
                self.warnings.append(f"household {ref} had no head row; {who} was made head")

    def reject(self, number: int, cells: list[str], problems: list[RowProblem]) -> None:
        self.rejects.write(number, cells, [p.field for p in problems], [p.reason for p in problems])
        room = MAX_PROBLEMS - len(self.problems)
        if room > 0:
            self.problems.extend(problems[:room])

    def fail(self) -> None:
        """Record what was done before the failure; rows of committed batches stay imported."""
        self.rejects.discard()
        try:
            self.uow.rollback()
            self._save("failed")
        except Exception:  # noqa: S110 - the original error matters more than this one
            pass

    def finish(self) -> ImportReport:
        rejects_path = self.rejects.close()
        self._save("done", rejects_path)
        return ImportReport(
            batch_id=self.batch.id,
            source=self.job.source,
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
            ignored_columns=list(self.ignored),
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
        notes = list(self.notes)
        counts = self.counts
        if counts.get("no_relationship"):
            notes.append(
                f"{counts['no_relationship']} rows of a household gave no relationship to the head; "
                "they were recorded as other_relative"
            )
        if counts.get("no_household_relationship"):
            notes.append(
                f"{counts['no_household_relationship']} rows gave a relationship but no household; "
                "each was registered as the head of a household of their own"
            )
        if counts.get("defaulted_method"):
            notes.append(
                f"{counts['defaulted_method']} consents had no consent method; they were recorded as verbal"
            )
        notes.extend(self.warnings)
        if self.heads_settled > len(self.warnings):
            notes.append(f"… and {self.heads_settled - len(self.warnings)} more households were given a head")
        return notes


if __name__ == "__main__":  # pragma: no cover - the worker process
    from safepassage.registry.importing import service as _service  # the module proper, for pickling

    _service.serve()
