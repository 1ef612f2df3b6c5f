"""Family tracing over the engine's ``LinkIndex.trace``: more ways to read a request, one line per person.

Pure (no database): ``safepassage trace`` (files) and the tracing workflow (``tracing.py``) both call
``trace_ranked``. The engine finds candidates sharing a name key with the request and ranks them by
the model's evidence. A relative's request is looser than a registration, so this adapter asks the
engine more than one question and merges the answers:

- **the request as written**;
- **given and family names swapped**: the request, or the registry record, may have the names the
  other way round (``Al-Shaikh Bassam``); the engine blocks on the given name as given, so such a
  record is found only when the request is read swapped. Its score is taken as it comes: the
  evidence is the same fields compared the other way round (the explanation says so);
- **without the given name** (when a family name is known): a given name the relative spells her
  own way, with a typo or as a short form (``Hala``/``هازة``, ``Salah al-Din``/``Salahuddin``) shares
  no key with the record. Records found only this way are scored on the other fields and then
  counted as if their given name were different: ``GIVEN_NOT_MATCHED`` bits are taken off, so they
  rank below every candidate whose given name does agree. A record the request as written already
  scored keeps that score (its given name was compared, and a relative's was kept apart).

Then **one line per person**: a registry often holds one person two or three times (lists from
several desks); candidates that are clearly the same person (the same document, or the same phone,
given name, sex and birth year give or take one) are shown once, at the best score, with a note of
how many records look like the same person. The caseworker sees ten different people, not the same
woman three times. The engine's own ranking and explanations are kept for everything else.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from safepassage.linking.engine import Candidate, LinkIndex, PersonRecord, TracingRequest
from safepassage.shared.text import skeleton_key

GIVEN_NOT_MATCHED = 4.5  # bits: a record found without the given name counts it as different
_WIDE = 5  # each question keeps this many times ``top`` candidates before merging

RecordsOf = Callable[[Sequence[str]], Mapping[str, PersonRecord]]


@dataclass(frozen=True, slots=True)
class _Scored:
    candidate: Candidate
    score: float
    note: str


def _ask(
    indexes: Sequence[LinkIndex], requests: Sequence[TracingRequest], keep: int
) -> dict[str, dict[str, Candidate]]:
    """Each request's candidates over every index, the best score of a record kept."""
    out: dict[str, dict[str, Candidate]] = {}
    if not requests:
        return out
    for index in indexes:
        for request_id, candidates in index.trace(requests, top=keep).items():
            bucket = out.setdefault(request_id, {})
            for c in candidates:
                if c.record_id not in bucket or bucket[c.record_id].score < c.score:
                    bucket[c.record_id] = c
    return out


def trace_ranked(
    indexes: Sequence[LinkIndex],
    requests: Sequence[TracingRequest],
    *,
    top: int = 10,
    records_of: RecordsOf | None = None,
) -> dict[str, list[Candidate]]:
    """Ranked candidates for each request (by request_id), best first, at most ``top`` people.

    ``records_of`` (record ids -> records) lets candidates of one person be shown once; without it,
    every record is its own line."""
    keep = _WIDE * top
    swapped = [
        replace(r, given_name=r.family_name, family_name=r.given_name)
        for r in requests
        if r.given_name.strip() and r.family_name.strip()
    ]
    relaxed = [replace(r, given_name="") for r in requests if r.given_name.strip() and r.family_name.strip()]
    as_written = _ask(indexes, requests, keep)
    answers = (
        (as_written, 0.0, ""),
        (_ask(indexes, swapped, keep), 0.0, "names read swapped"),
        (_ask(indexes, relaxed, keep), -GIVEN_NOT_MATCHED, "found without the given name"),
    )
    merged: dict[str, dict[str, _Scored]] = {r.request_id: {} for r in requests}
    for found, shift, note in answers:
        for request_id, candidates in found.items():
            bucket = merged.setdefault(request_id, {})
            written = as_written.get(request_id, {})
            for record_id, c in candidates.items():
                if shift and record_id in written:
                    continue  # compared with the given name as written: that verdict stands
                score = round(c.score + shift, 3)
                if record_id not in bucket or bucket[record_id].score < score:
                    bucket[record_id] = _Scored(c, score, note)
    ranked = {
        k: sorted(v.values(), key=lambda s: (-s.score, s.candidate.record_id)) for k, v in merged.items()
    }
    records: Mapping[str, PersonRecord] = {}
    if records_of is not None:
        wanted = sorted({s.candidate.record_id for v in ranked.values() for s in v[: keep * 2]})
        records = records_of(wanted) if wanted else {}
    return {k: _people(v, records, top) for k, v in ranked.items()}


def _people(scored: list[_Scored], records: Mapping[str, PersonRecord], top: int) -> list[Candidate]:
    """The best ``top`` lines, one per person (see module docstring)."""
    shown: list[tuple[_Scored, list[PersonRecord]]] = []
    for s in scored:
        record = records.get(s.candidate.record_id)
        group = next(
            (g for g in shown if record is not None and any(same_person(record, o) for o in g[1])), None
        )
        if group is not None:
            group[1].append(record)  # type: ignore[arg-type]  # not None: see the test above
            continue
        if len(shown) < top:
            shown.append((s, [record] if record is not None else []))
    return [_with_notes(s, len(rs) - 1) for s, rs in shown]


def _with_notes(s: _Scored, more: int) -> Candidate:
    c = s.candidate
    notes = [n for n in (s.note, f"{more} more record(s) look like the same person" if more else "") if n]
    if s.note == "found without the given name":
        notes[0] = f"{s.note} (-{GIVEN_NOT_MATCHED:.1f})"
    explanation = "; ".join([*notes, c.explanation] if c.explanation else notes)
    return Candidate(c.record_id, s.score, c.match_probability, c.match_weight, explanation, c.levels)


_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]")


def _document(text: str) -> str:
    return _NOT_ALNUM.sub("", text).upper()


def _phone(text: str) -> str:
    digits = re.sub(r"\D", "", text)
    return digits[-9:] if len(digits) >= 7 else ""


def _year(text: str) -> int | None:
    return int(text[:4]) if len(text) >= 4 and text[:4].isdigit() else None


def same_person(a: PersonRecord, b: PersonRecord) -> bool:
    """Two records clearly of one person: the same document number, or the same phone with the same
    given name (first part, any script), sex and birth year give or take one. Relatives share a
    phone but not a given name; a son named after his father is decades apart."""
    document = _document(a.document_number)
    if document and document == _document(b.document_number):
        return True
    phone = _phone(a.phone)
    if not phone or phone != _phone(b.phone):
        return False
    given_a, given_b = skeleton_key(a.given_name).split(), skeleton_key(b.given_name).split()
    if not given_a or not given_b or given_a[0] != given_b[0]:
        return False
    if a.sex and b.sex and a.sex != b.sex:
        return False
    year_a, year_b = _year(a.birth_date), _year(b.birth_date)
    return year_a is None or year_b is None or abs(year_a - year_b) <= 1
