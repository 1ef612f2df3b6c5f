"""The hash chain, pure: the canonical form of an entry, its hash, the messages the signing key signs,
and the checker that walks a chain (in ``seq`` order) and says where and how it was tampered with.

No database here: ``verify.py`` streams the stored rows through ``ChainChecker``; the unit tests feed
it lists.

What each kind of tampering looks like to the checker:

- **changed**: an entry's fields no longer hash to its stored ``hash`` (or its hash was recomputed
  and the next entry's ``prev_hash`` no longer matches it).
- **deleted**: a gap in ``seq``.
- **reordered**: an entry's ``prev_hash`` is the hash of an entry elsewhere in the chain.
- **truncated**: the signed head, a checkpoint or the checkpoint file names an entry beyond the last.
- **forged**: the chain is consistent but a head or checkpoint signature fails, or disagrees with a
  validly signed checkpoint: someone with write access to the database recomputed the chain, or
  appended entries, without the signing key.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

GENESIS = "0" * 64
HASH_DOMAIN = b"safepassage-audit-entry-v1\n"
MAX_PROBLEMS = 50  # a wrecked chain is reported by its first breaks, not by a million lines


class TamperKind(enum.StrEnum):
    CHANGED = "changed"
    DELETED = "deleted"
    REORDERED = "reordered"
    TRUNCATED = "truncated"
    FORGED = "forged"


@dataclass(frozen=True)
class ChainEntry:
    """The fields an entry's hash covers, as stored."""

    seq: int
    id: uuid.UUID
    at: dt.datetime
    actor: str
    role: str | None
    action: str
    entity: str | None
    entity_id: str | None
    site_id: uuid.UUID | None
    purpose: str | None
    address: str | None
    flagged: bool
    details: Mapping[str, Any]
    prev_hash: str
    hash: str = ""


@dataclass(frozen=True)
class SignedPoint:
    """A signed (seq, hash): the head or a checkpoint (``source`` says which, for the report)."""

    seq: int
    hash: str
    signature: str | None
    key_id: str | None
    source: str  # "head", "checkpoint", "checkpoint file"
    at: dt.datetime | None = None


@dataclass(frozen=True)
class Problem:
    seq: int
    kind: TamperKind
    message: str


@dataclass
class VerifyReport:
    entries: int = 0
    last_seq: int = 0
    head_seq: int | None = None
    checkpoints: int = 0
    file_checkpoints: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Problem | None:
        return min(self.problems, key=lambda p: p.seq) if self.problems else None


def _utc(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def plain_details(value: Any) -> Any:
    """Details reduced to what survives a JSON round trip through both databases unchanged: strings,
    integers, booleans, null, lists and string-keyed objects (floats become strings)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Mapping):
        return {str(k): plain_details(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [plain_details(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, enum.Enum):
        return plain_details(value.value)
    return str(value)


def canonical(entry: ChainEntry) -> bytes:
    """Every field but ``hash``, as sorted compact JSON: one byte string per entry, whatever database
    it was read from."""
    body = {
        "seq": entry.seq,
        "id": str(entry.id),
        "at": _utc(entry.at),
        "actor": entry.actor,
        "role": entry.role,
        "action": entry.action,
        "entity": entry.entity,
        "entity_id": entry.entity_id,
        "site_id": None if entry.site_id is None else str(entry.site_id),
        "purpose": entry.purpose,
        "address": entry.address,
        "flagged": bool(entry.flagged),
        "details": entry.details,  # plain already: made so by the trail, or read back from JSON
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry: ChainEntry) -> str:
    return hashlib.sha256(HASH_DOMAIN + canonical(entry)).hexdigest()


def head_message(seq: int, hash_: str) -> bytes:
    return f"safepassage-audit-head-v1\n{seq}\n{hash_}\n".encode()


def checkpoint_message(seq: int, hash_: str) -> bytes:
    return f"safepassage-audit-checkpoint-v1\n{seq}\n{hash_}\n".encode()


SignatureCheck = Callable[[str | None, bytes, str | None], bool]  # (key id, message, signature)


class ChainChecker:
    """Walks entries in ``seq`` order (``feed``), then the signed points (``finish``).

    ``locate(hash)`` answers at which seq an entry with that hash is stored (or None): consulted only
    when a link breaks, to tell a reordering from a change. ``wanted`` are the seqs whose stored hash
    the signed points will be compared with."""

    def __init__(self, locate: Callable[[str], int | None], wanted: Iterable[int] = ()) -> None:
        self.report = VerifyReport()
        self._locate = locate
        self._wanted = set(wanted)
        self.hash_at: dict[int, str] = {}
        self._prev = GENESIS
        self._last = 0

    def _problem(self, seq: int, kind: TamperKind, message: str) -> None:
        if len(self.report.problems) < MAX_PROBLEMS:
            self.report.problems.append(Problem(seq, kind, message))

    def feed(self, entry: ChainEntry) -> None:
        expected = self._last + 1
        recomputed = entry_hash(entry)
        if entry.seq != expected:
            gap = f"{expected}" if entry.seq == expected + 1 else f"{expected}-{entry.seq - 1}"
            self._problem(expected, TamperKind.DELETED, f"entries {gap} are missing (a gap in the chain)")
            if recomputed != entry.hash:
                self._problem(entry.seq, TamperKind.CHANGED, "the entry's fields do not match its hash")
        elif entry.prev_hash != self._prev:
            where = self._locate(entry.prev_hash)
            if where is not None and where != entry.seq - 1:
                self._problem(
                    entry.seq,
                    TamperKind.REORDERED,
                    f"the entry follows the entry stored at seq {where}, not the one at seq {entry.seq - 1}",
                )
            elif recomputed != entry.hash:
                self._problem(entry.seq, TamperKind.CHANGED, "the entry's fields do not match its hash")
            else:
                self._problem(
                    entry.seq - 1,
                    TamperKind.CHANGED,
                    "the entry was changed and its hash recomputed: the next entry no longer links to it",
                )
        elif recomputed != entry.hash:
            self._problem(entry.seq, TamperKind.CHANGED, "the entry's fields do not match its hash")
        if entry.seq in self._wanted:
            self.hash_at[entry.seq] = entry.hash
        self._prev = entry.hash
        self._last = entry.seq
        self.report.entries += 1
        self.report.last_seq = entry.seq

    def finish(
        self,
        head: SignedPoint | None,
        checkpoints: Iterable[SignedPoint],
        file_checkpoints: Iterable[SignedPoint],
        signature_ok: SignatureCheck,
    ) -> VerifyReport:
        report = self.report
        last = self._last
        if head is None:
            if last:
                self._problem(last, TamperKind.TRUNCATED, "the chain's head row is missing")
        else:
            report.head_seq = head.seq
            self._check_head(head, signature_ok)
        for point in checkpoints:
            report.checkpoints += 1
            self._check_point(point, signature_ok)
        for point in file_checkpoints:
            report.file_checkpoints += 1
            self._check_point(point, signature_ok)
        report.problems.sort(key=lambda p: p.seq)
        return report

    def _check_head(self, head: SignedPoint, signature_ok: SignatureCheck) -> None:
        last = self._last
        signed = (head.seq == 0 and head.signature is None) or signature_ok(
            head.key_id, head_message(head.seq, head.hash), head.signature
        )
        if not signed:
            self._problem(
                min(head.seq, last) or 1,
                TamperKind.FORGED,
                "the head's signature does not verify: the chain was rewritten without the signing key",
            )
        if head.seq > last:
            self._problem(
                last + 1,
                TamperKind.TRUNCATED,
                f"the head names entry {head.seq} but the chain ends at {last}",
            )
        elif head.seq < last:
            self._problem(
                head.seq + 1,
                TamperKind.FORGED,
                f"entries {head.seq + 1}-{last} lie beyond the signed head: appended outside the application",
            )
        elif signed and head.seq and head.hash != self._prev:
            self._problem(
                last,
                TamperKind.FORGED,
                "the chain does not end with the hash the head signed: it was recomputed without the key",
            )

    def _check_point(self, point: SignedPoint, signature_ok: SignatureCheck) -> None:
        where = f"the {point.source} at seq {point.seq}"
        if not signature_ok(point.key_id, checkpoint_message(point.seq, point.hash), point.signature):
            self._problem(point.seq, TamperKind.FORGED, f"{where} has a signature that does not verify")
            return
        if point.seq > self._last:
            hint = ""
            if "file" in point.source:
                hint = " (the database was restored to an older state or cut short)"
            self._problem(
                self._last + 1,
                TamperKind.TRUNCATED,
                f"{where} names an entry beyond the chain's end at {self._last}{hint}",
            )
        elif self.hash_at.get(point.seq) != point.hash:
            self._problem(
                point.seq,
                TamperKind.FORGED,
                f"the chain up to seq {point.seq} is not the one signed by {where}: it was recomputed",
            )
