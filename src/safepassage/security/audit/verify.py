"""``audit verify``: stream the stored chain through the checker, then check the signed head, the
checkpoints in the database and those in the file outside it.

The read is made consistent without a long transaction: checkpoints first, then the entries page by
page, then the head; if the head has moved on meanwhile (the service keeps appending), the new
entries are read too, until the head is not ahead of what was read. Entries beyond the head after
that were not appended by the application (it moves the head in the same transaction).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from safepassage.security.audit.chain import ChainChecker, ChainEntry, SignedPoint, VerifyReport
from safepassage.security.audit.models import HEAD_ID, AuditCheckpoint, AuditEntry, AuditHead
from safepassage.security.audit.signing import PublicKeys

PAGE = 5000
_COLUMNS = (
    AuditEntry.seq,
    AuditEntry.id,
    AuditEntry.at,
    AuditEntry.actor,
    AuditEntry.role,
    AuditEntry.action,
    AuditEntry.entity,
    AuditEntry.entity_id,
    AuditEntry.site_id,
    AuditEntry.purpose,
    AuditEntry.address,
    AuditEntry.flagged,
    AuditEntry.details,
    AuditEntry.prev_hash,
    AuditEntry.hash,
)


class CheckpointFileError(ValueError):
    """The checkpoint file cannot be read as checkpoints (line number and reason)."""


def read_checkpoint_file(path: Path) -> list[SignedPoint]:
    points: list[SignedPoint] = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                at = dt.datetime.fromisoformat(raw["at"]) if raw.get("at") else None
                points.append(
                    SignedPoint(
                        int(raw["seq"]), str(raw["hash"]), raw.get("signature"), raw.get("key_id"),
                        "checkpoint file", at,
                    )
                )  # fmt: skip
            except (ValueError, KeyError, TypeError) as exc:
                raise CheckpointFileError(f"{path}, line {number}: not a checkpoint ({exc})") from None
    return points


def _head(session: Session) -> SignedPoint | None:
    row = session.execute(
        select(AuditHead.last_seq, AuditHead.last_hash, AuditHead.signature, AuditHead.key_id).where(
            AuditHead.id == HEAD_ID
        )
    ).first()
    return None if row is None else SignedPoint(int(row[0]), row[1], row[2], row[3], "head")


def verify_chain(session: Session, keys: PublicKeys, checkpoint_file: Path | None = None) -> VerifyReport:
    """The whole chain checked: entries, head, checkpoints, and the checkpoint file if given."""
    checkpoints = [
        SignedPoint(int(r[0]), r[1], r[2], r[3], "checkpoint", r[4])
        for r in session.execute(
            select(
                AuditCheckpoint.seq,
                AuditCheckpoint.hash,
                AuditCheckpoint.signature,
                AuditCheckpoint.key_id,
                AuditCheckpoint.at,
            ).order_by(AuditCheckpoint.seq)
        )
    ]
    in_file: list[SignedPoint] = []
    if checkpoint_file is not None and checkpoint_file.exists():  # none yet: before the first checkpoint
        in_file = read_checkpoint_file(checkpoint_file)

    def locate(hash_: str) -> int | None:
        found = session.execute(select(AuditEntry.seq).where(AuditEntry.hash == hash_).limit(1)).scalar()
        return None if found is None else int(found)

    checker = ChainChecker(locate, wanted={p.seq for p in checkpoints} | {p.seq for p in in_file})
    last = 0
    head = None
    for _round in range(100):
        new = 0
        while True:
            rows = session.execute(
                select(*_COLUMNS).where(AuditEntry.seq > last).order_by(AuditEntry.seq).limit(PAGE)
            ).all()
            for row in rows:
                checker.feed(ChainEntry(*row))
            new += len(rows)
            if rows:
                last = int(rows[-1][0])
            if len(rows) < PAGE:
                break
        head = _head(session)
        if head is None or head.seq <= last or not new:
            break
    return checker.finish(head, checkpoints, in_file, keys.verify)
