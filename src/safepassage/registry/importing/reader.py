"""Open a partner's spreadsheet and stream its rows, never holding the whole file.

CSV: the byte-order mark, else strict UTF-8 (checked over the whole file, in chunks), else the
single-byte code page whose letters make the most plausible words (Windows-1256 Arabic,
Windows-1251 Cyrillic, Windows-1252 Latin), else Latin-1; the delimiter among , ; tab | from the
first lines. XLSX: openpyxl in read-only mode, the first sheet or a named one.

Rows come out as (row number as the spreadsheet shows it, cells); a row's number counts the
header row and every empty row, so problems name the row a person sees in Excel.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import os
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from safepassage.registry.importing.mapping import REJECT_COLUMNS, is_hxl_row
from safepassage.shared.errors import Invalid
from safepassage.shared.i18n import say

Cell = str | int | float | bool | dt.datetime | dt.date | dt.time | None

CHUNK = 1 << 20
HEADER_SCAN_ROWS = 25
SINGLE_BYTE = ("cp1256", "cp1251", "cp1252")
DELIMITERS = (",", ";", "\t", "|")
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0"
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass
class Table:
    """An opened file: what was detected, its header, and its data rows as a stream."""

    format: str  # "csv" or "xlsx"
    sha256: str
    headers: list[str]
    hxl: list[str] | None
    rows: Iterator[tuple[int, list[Cell]]]
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    header_row: int = 1


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _any(_headers: list[str], _hxl: list[str] | None) -> bool:
    return True


@contextmanager
def open_table(
    path: Path, *, sheet: str | None = None, is_header: Callable[[list[str], list[str] | None], bool] = _any
) -> Iterator[Table]:
    """The file at ``path`` as a :class:`Table`; raises Invalid when it is no CSV or XLSX."""
    if not path.is_file():
        raise Invalid(say("%(file)s: no such file", file=path.name))
    with path.open("rb") as handle:
        head = handle.read(8)
    if not head:
        raise Invalid(say("%(file)s is empty", file=path.name))
    suffix = path.suffix.lower()
    if head.startswith(_ZIP):
        with _open_xlsx(path, sheet, is_header) as table:
            yield table
        return
    if head.startswith(_OLE) or suffix == ".xls":
        raise Invalid(
            say(
                "%(file)s is an old Excel .xls workbook: save it as .xlsx or CSV and import that",
                file=path.name,
            )
        )
    if suffix in {".xlsx", ".xlsm"}:
        raise Invalid(
            say("%(file)s is not a readable XLSX workbook (it is not a zip archive)", file=path.name)
        )
    with _open_csv(path, is_header) as table:
        yield table


# -- CSV -----------------------------------------------------------------------------------------------


def detect_encoding(path: Path) -> tuple[str, str]:
    """(encoding, sha256). Reads the file once, in chunks: memory stays flat whatever its size."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        first = handle.read(CHUNK)
        digest.update(first)
        for bom, name in _BOMS:
            if first.startswith(bom):
                for chunk in iter(lambda: handle.read(CHUNK), b""):
                    digest.update(chunk)
                return name, digest.hexdigest()
        utf16 = _utf16_without_bom(first)
        if utf16:
            for chunk in iter(lambda: handle.read(CHUNK), b""):
                digest.update(chunk)
            return utf16, digest.hexdigest()
        decoder = codecs.getincrementaldecoder("utf-8")()
        utf8 = True
        sample = bytearray()
        chunk = first
        while chunk:
            if utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
            if not utf8 and len(sample) < CHUNK:
                sample += b"\n".join(line for line in chunk.split(b"\n") if not line.isascii())
            chunk = handle.read(CHUNK)
            digest.update(chunk)
        if utf8:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                utf8 = False
    if utf8:
        return "utf-8", digest.hexdigest()
    return guess_single_byte(bytes(sample)), digest.hexdigest()


def _utf16_without_bom(sample: bytes) -> str | None:
    even, odd = sample[0:200:2], sample[1:200:2]
    if len(sample) >= 4 and odd.count(0) > 0.4 * len(odd) and even.count(0) == 0:
        return "utf-16-le"
    if len(sample) >= 4 and even.count(0) > 0.4 * len(even) and odd.count(0) == 0:
        return "utf-16-be"
    return None


def guess_single_byte(sample: bytes) -> str:
    """The code page under which the non-ASCII words of ``sample`` read most like words."""
    best, best_score = "latin-1", 0.0
    for encoding in SINGLE_BYTE:
        score = _plausibility(sample.decode(encoding, errors="replace"), encoding)
        if score > best_score:
            best, best_score = encoding, score
    return best if best_score >= 0.5 else "latin-1"


def _plausibility(text: str, encoding: str) -> float:
    words = [w for w in "".join(c if c.isalpha() or c == "\ufffd" else " " for c in text).split()]
    words = [w for w in words if any(ord(c) > 0x7F for c in w)]
    if not words:
        return 0.0
    good = sum(1 for w in words if _plausible_word(w, encoding))
    return good / len(words)


def _plausible_word(word: str, encoding: str) -> bool:
    if "\ufffd" in word:
        return False
    if encoding == "cp1256":
        return all("\u0600" <= c <= "\u06ff" for c in word)
    if encoding == "cp1251":
        cyrillic = all("\u0400" <= c <= "\u04ff" for c in word)
        return cyrillic and (word.islower() or word.isupper() or word.istitle())
    latin = all(c.isascii() or "\u00c0" <= c <= "\u024f" for c in word)
    return latin and (word.islower() or word.isupper() or word.istitle())


def sniff_delimiter(lines: list[str]) -> str:
    """The delimiter that splits the first lines into the most, and most regular, columns."""
    best, best_score = ",", (0, 0.0)
    for delimiter in DELIMITERS:
        try:
            rows = [r for r in csv.reader(lines, delimiter=delimiter) if any(c.strip() for c in r)]
        except csv.Error:
            continue
        if not rows:
            continue
        width = len(rows[0])
        if width < 2:
            continue
        regular = sum(1 for r in rows if len(r) == width) / len(rows)
        score = (1 if regular >= 0.8 else 0, regular * width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


@contextmanager
def _open_csv(path: Path, is_header: Callable[[list[str], list[str] | None], bool]) -> Iterator[Table]:
    encoding, digest = detect_encoding(path)
    if encoding.startswith("utf-16") or encoding.startswith("utf-32"):
        with path.open("rb") as probe:
            if b"\x00" not in probe.read(4096):
                raise Invalid(say("%(file)s is not a CSV or XLSX file", file=path.name))  # pragma: no cover
    elif _looks_binary(path):
        raise Invalid(say("%(file)s is not a CSV or XLSX file (it holds binary data)", file=path.name))
    with path.open("r", encoding=encoding, errors="replace", newline="") as text:
        sample_lines: list[str] = []
        for _ in range(50):
            line = text.readline(1 << 16)
            if not line:
                break
            sample_lines.append(line)
        delimiter = sniff_delimiter(sample_lines)
        text.seek(0)
        reader = csv.reader(text, delimiter=delimiter)
        rows = _csv_rows(reader)
        yield _with_header(rows, "csv", digest, is_header, encoding=encoding, delimiter=delimiter)


def _looks_binary(path: Path) -> bool:
    with path.open("rb") as handle:
        sample = handle.read(4096)
    return b"\x00" in sample


def _csv_rows(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[Cell]]]:
    number = 0
    while True:
        number += 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield number, [BrokenRow(f"the row cannot be read as CSV ({exc})")]
            continue
        yield number, list(row)


class BrokenRow(str):
    """A row the CSV reader could not split; its text is the reason."""

    __slots__ = ()


# -- XLSX ----------------------------------------------------------------------------------------------


@contextmanager
def _open_xlsx(
    path: Path, sheet: str | None, is_header: Callable[[list[str], list[str] | None], bool]
) -> Iterator[Table]:
    from openpyxl import load_workbook  # imported here: the CSV path does not need it

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise Invalid(
            say(
                "%(file)s is not a readable XLSX workbook (%(why)s)",
                file=path.name,
                why=f"{type(exc).__name__}: {exc}",
            )
        ) from None
    except Exception as exc:  # openpyxl raises many kinds on damaged files
        raise Invalid(
            say("%(file)s is not a readable XLSX workbook (%(why)s)", file=path.name, why=type(exc).__name__)
        ) from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise Invalid(
                say(
                    "%(file)s has no sheet '%(sheet)s'; its sheets are: %(sheets)s",
                    file=path.name,
                    sheet=sheet,
                    sheets=", ".join(book.sheetnames),
                )
            )
        worksheet = book[sheet] if sheet is not None else book.worksheets[0]
        rows = _xlsx_rows(path, worksheet.iter_rows(values_only=True))
        yield _with_header(rows, "xlsx", file_sha256(path), is_header, sheet=worksheet.title)
    finally:
        book.close()


def _xlsx_rows(path: Path, source: Iterator[tuple[object, ...]]) -> Iterator[tuple[int, list[Cell]]]:
    number = 0
    while True:
        try:
            values = next(source)
        except StopIteration:
            return
        except Exception as exc:  # a damaged sheet part
            raise Invalid(
                f"{path.name}: the sheet cannot be read after row {number} ({type(exc).__name__})"
            ) from None
        number += 1
        yield (
            number,
            [
                v if isinstance(v, str | int | float | dt.date | dt.time) or v is None else str(v)
                for v in values
            ],
        )


# -- header ------------------------------------------------------------------------------------------------


def cell_text(value: Cell) -> str:
    """A cell as text, as a person would type it: 12 not 12.0, dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _with_header(
    rows: Iterator[tuple[int, list[Cell]]],
    fmt: str,
    digest: str,
    is_header: Callable[[list[str], list[str] | None], bool],
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
) -> Table:
    """Find the header and an HXL hashtag row within the first rows.

    The header is the first non-empty row that ``is_header`` accepts (so a title row above it is
    skipped), else the first non-empty row. An HXL row is the first row of hashtags; the header is
    then the row above it, if any.
    """
    head: list[tuple[int, list[Cell]]] = []
    for number, cells in rows:
        head.append((number, cells))
        if len(head) >= HEADER_SCAN_ROWS:
            break
    texts = [(i, [cell_text(c).strip() for c in cells]) for i, (_, cells) in enumerate(head)]
    filled = [(i, c) for i, c in texts if any(c)]
    if not filled:
        raise Invalid(say("the file has no header row: it is empty"))
    hxl: list[str] | None = None
    hxl_at = next((k for k, (_, c) in enumerate(filled) if is_hxl_row(c)), None)
    if hxl_at is not None:
        last, hxl = filled[hxl_at]
        header_at, headers = filled[hxl_at - 1] if hxl_at > 0 else (last, [""] * len(hxl))
    else:
        header_at, headers = next(((i, c) for i, c in filled if is_header(c, None)), filled[0])
        last = header_at
    rest = head[last + 1 :]

    def stream() -> Iterator[tuple[int, list[Cell]]]:
        yield from rest
        yield from rows

    return Table(
        format=fmt,
        sha256=digest,
        headers=headers,
        hxl=hxl,
        rows=stream(),
        header_row=head[header_at][0],
        encoding=encoding,
        delimiter=delimiter,
        sheet=sheet,
    )


# -- the rejects file ----------------------------------------------------------------------------------


class RejectsFile:
    """The rejected rows with their original columns plus _row, _field and _reason: UTF-8 with a BOM
    (so Excel shows Arabic and Cyrillic), written beside the final path and moved there at the end."""

    def __init__(self, path: Path, headers: list[str], hxl: list[str] | None, delimiter: str) -> None:
        self.path = path
        self.part = path.with_name(path.name + ".part")
        self.headers = headers
        self.hxl = hxl
        self.keep = [i for i, h in enumerate(headers) if h not in REJECT_COLUMNS]
        self.delimiter = delimiter
        self.count = 0
        self._handle: TextIO | None = None
        self._writer: Any = None

    def _open(self) -> Any:
        self.part.parent.mkdir(parents=True, exist_ok=True)
        self._handle = self.part.open("w", encoding="utf-8-sig", newline="")
        writer = csv.writer(self._handle, delimiter=self.delimiter)
        writer.writerow([self.headers[i] for i in self.keep] + list(REJECT_COLUMNS))
        if self.hxl is not None:
            writer.writerow([self.hxl[i] if i < len(self.hxl) else "" for i in self.keep] + ["", "", ""])
        self._writer = writer
        return writer

    def write(self, number: int, cells: Sequence[str], fields: list[str], reasons: list[str]) -> None:
        """One rejected row: ``reasons`` are sentences about ``fields`` (columns as in the file)."""
        writer = self._writer or self._open()
        values = [cells[i] if i < len(cells) else "" for i in self.keep]
        stray = list(cells[len(self.headers) :])  # cells beyond the header stay with their row
        field_text = " | ".join(dict.fromkeys(f for f in fields if f))
        reason_text = " | ".join(f"{f}: {r}" if f else r for f, r in zip(fields, reasons, strict=True))
        writer.writerow([*values, number, field_text, reason_text, *stray])
        self.count += 1

    def close(self) -> Path | None:
        """Move the file in place; None when no row was rejected (nothing is written then)."""
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
