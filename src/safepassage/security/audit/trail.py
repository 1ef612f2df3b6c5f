"""Appending to the chain, in the action's own transaction (the unit of work's ``AuditSink``).

``uow.commit()`` calls ``append`` last, just before the database commit, so the head's lock is held
for a few milliseconds: the first statement is an UPDATE of the single head row (a row lock on
PostgreSQL, the write lock on SQLite), and only then is the previous hash read. Appenders therefore
queue one behind the other and the chain has no fork and no gap. On PostgreSQL the entries, the
head's move, the due checkpoints and the COMMIT itself go in one round trip after the lock (psycopg's
pipeline): two round trips under the lock in all, where every other writer waits. Every append
re-signs the head; every ``checkpoint_every`` entries a signed checkpoint is written, and, after the
commit, copied to the checkpoint file outside the database.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Dialect, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from safepassage.db import Columns, insert_batches
from safepassage.security.audit.chain import (
    GENESIS,
    ChainEntry,
    SignedPoint,
    checkpoint_message,
    entry_hash,
    head_message,
    plain_details,
)
from safepassage.security.audit.models import HEAD_ID, AuditCheckpoint, AuditEntry, AuditHead
from safepassage.security.audit.signing import Signer, load_signer, public_pem
from safepassage.shared.clock import Clock, SystemClock
from safepassage.shared.ids import new_id
from safepassage.uow import AuditEvent, UnitOfWork

log = logging.getLogger(__name__)


def _cut(value: str | None, length: int) -> str | None:
    return None if value is None else value[:length]


def _site(value: Any) -> uuid.UUID | None:
    if value is None or isinstance(value, uuid.UUID):
        return value
    return uuid.UUID(str(value))


# Built once: an append runs on every audited action.
_LOCK_HEAD = (
    update(AuditHead)
    .where(AuditHead.id == HEAD_ID)
    .values(last_seq=AuditHead.last_seq)
    .returning(AuditHead.last_seq, AuditHead.last_hash)
)
_MOVE_HEAD = (
    update(AuditHead)
    .where(AuditHead.id == HEAD_ID)
    .values(
        last_seq=bindparam("new_seq"),
        last_hash=bindparam("new_hash"),
        signature=bindparam("new_signature"),
        key_id=bindparam("new_key_id"),
        updated_at=bindparam("new_updated_at"),
    )
)
_ENTRIES: dict[str, Columns] = {}


def _entry_columns(dialect: Dialect) -> Columns:
    """The entries' columns with the dialect's bind processing, made once per dialect."""
    if dialect.name not in _ENTRIES:
        _ENTRIES[dialect.name] = Columns(AuditEntry.__table__, dialect)  # type: ignore[arg-type]
    return _ENTRIES[dialect.name]


@functools.cache
def _move_head_sql(dialect: Dialect) -> tuple[str, dict[str, Any]]:
    """``_MOVE_HEAD`` as the driver's SQL and its fixed parameters (the head's id), compiled once."""
    compiled = _MOVE_HEAD.compile(dialect=dialect)
    return compiled.string, {k: v for k, v in compiled.params.items() if not k.startswith("new_")}


@functools.cache
def _checkpoint_sql(dialect: Dialect) -> str:
    """The checkpoint row's INSERT as the driver's SQL (named parameters), compiled once."""
    return str(insert(AuditCheckpoint).compile(dialect=dialect, column_keys=list(_CHECKPOINT_KEYS)))


_CHECKPOINT_KEYS = ("seq", "hash", "at", "signature", "key_id")


def _entries_head_and_commit(
    conn: Connection,
    columns: Columns,
    entries: list[tuple[Any, ...]],
    moved: dict[str, Any],
    points: list[dict[str, Any]],
) -> None:
    """PostgreSQL: the entries' INSERT, the due checkpoints, the head's UPDATE and the COMMIT in one
    round trip (psycopg's pipeline: all sent, then one sync). The head's lock is held from
    ``lock_head`` to the commit, so every round trip saved here is time every other appender no
    longer waits. A failing statement aborts the rest of the pipeline, COMMIT included (the
    transaction is then rolled back by the unit of work); the caller's ``session.commit()`` that
    follows finds the connection's transaction done and sends nothing."""
    insert_sql, positional = columns.insert_sql(conn.dialect)
    move_sql, fixed = _move_head_sql(conn.dialect)
    params: list[Any] = entries if positional else [dict(zip(columns.names, r, strict=True)) for r in entries]
    raw: Any = conn.connection.dbapi_connection
    with raw.pipeline(), raw.cursor() as cursor:
        cursor.executemany(insert_sql, params)
        if points:
            cursor.executemany(_checkpoint_sql(conn.dialect), points)
        cursor.execute(move_sql, {**fixed, **moved})
        cursor.execute("COMMIT")


@dataclass(frozen=True)
class Appended:
    """What one append wrote that must be copied out after the commit."""

    checkpoints: tuple[SignedPoint, ...]


class AuditTrail:
    """The audit chain of one database, with its signing key and checkpoint file."""

    def __init__(
        self,
        key_file: Path,
        *,
        checkpoint_every: int = 1000,
        checkpoint_file: Path | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.key_file = key_file
        self.checkpoint_every = checkpoint_every
        self.checkpoint_file = checkpoint_file
        self.clock: Clock = clock or SystemClock()
        self._signer: Signer | None = None
        self._lock = threading.Lock()

    # -- the key ------------------------------------------------------------------------------------

    def signer(self) -> Signer:
        """The signing key, read (or made) once per process."""
        if self._signer is None:
            with self._lock:
                if self._signer is None:
                    self._signer = load_signer(self.key_file)
        return self._signer

    def public_key_pem(self) -> bytes:
        return public_pem(self.signer().public)

    # -- appending ----------------------------------------------------------------------------------

    @staticmethod
    def lock_head(conn: Connection) -> tuple[int, str]:
        """Take the head's lock (an UPDATE, before any read) and return the last seq and hash."""
        stmt = _LOCK_HEAD
        row = conn.execute(stmt).first()
        if row is None:  # a new database: the first appender makes the head; racers skip
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            conn.execute(
                dialect.insert(AuditHead)
                .values(id=HEAD_ID, last_seq=0, last_hash=GENESIS)
                .on_conflict_do_nothing(index_elements=["id"])
            )
            row = conn.execute(stmt).one()
        return int(row[0]), str(row[1])

    def append(self, session: Session, events: list[AuditEvent]) -> Appended | None:
        """Append ``events`` to the chain in the session's transaction (``uow.commit()`` calls this,
        last before ``session.commit()``). On PostgreSQL the append's last round trip commits the
        transaction: nothing may be written after it."""
        signer = self.signer()  # before the lock: a missing key fails the action without waiting
        conn = session.connection()
        seq, prev = self.lock_head(conn)
        first = seq + 1
        rows: list[dict[str, Any]] = []
        for event in events:
            seq += 1
            entry = ChainEntry(
                seq=seq,
                id=new_id(),
                at=event.at,
                actor=_cut(event.actor, 80) or "",
                role=_cut(event.role, 40),
                action=_cut(event.action, 80) or "",
                entity=_cut(event.entity, 60),
                entity_id=_cut(event.entity_id, 120),
                site_id=_site(event.site_id),
                purpose=event.purpose,
                address=_cut(event.address, 200),
                flagged=bool(event.flagged),
                details=plain_details(dict(event.details)),
                prev_hash=prev,
            )
            prev = entry_hash(entry)
            rows.append({**entry.__dict__, "hash": prev})
        columns = _entry_columns(conn.dialect)  # one statement, the values bound once each
        now = self.clock.now()
        signature = signer.sign(head_message(seq, prev))
        moved = {
            "new_seq": seq,
            "new_hash": prev,
            "new_signature": signature,
            "new_key_id": signer.key_id,
            "new_updated_at": now,
        }
        every = self.checkpoint_every
        due = [r for r in rows[(-first) % every :: every]] if every > 0 else []
        if conn.dialect.name == "postgresql":
            points = tuple(self._signed_point(signer, r["seq"], r["hash"], now) for r in due)
            values = [{k: getattr(p, k) for k in _CHECKPOINT_KEYS} for p in points]
            _entries_head_and_commit(conn, columns, [columns.row(r) for r in rows], moved, values)
        else:
            insert_batches(conn, [(columns, [columns.row(r) for r in rows])])
            conn.execute(_MOVE_HEAD, moved)
            points = tuple(self._checkpoint_row(conn, signer, r["seq"], r["hash"], now) for r in due)
        return Appended(points) if points and self.checkpoint_file is not None else None

    @staticmethod
    def _signed_point(signer: Signer, seq: int, hash_: str, at: Any) -> SignedPoint:
        signature = signer.sign(checkpoint_message(seq, hash_))
        return SignedPoint(seq, hash_, signature, signer.key_id, "checkpoint", at)

    def _checkpoint_row(self, conn: Connection, signer: Signer, seq: int, hash_: str, at: Any) -> SignedPoint:
        point = self._signed_point(signer, seq, hash_, at)
        conn.execute(insert(AuditCheckpoint).values({k: getattr(point, k) for k in _CHECKPOINT_KEYS}))
        return point

    def after_commit(self, appended: object) -> None:
        """Copy the committed checkpoints to the file; a failure here is logged, not raised (the
        action is committed and must not look failed)."""
        if not isinstance(appended, Appended) or self.checkpoint_file is None:
            return
        try:
            write_checkpoints(self.checkpoint_file, appended.checkpoints)
        except OSError as exc:
            log.error("audit checkpoint not copied to %s: %s", self.checkpoint_file, exc.strerror)

    def checkpoint(self, uow: UnitOfWork) -> SignedPoint | None:
        """A signed checkpoint at the current head, now (``safepassage audit checkpoint``); None if the
        chain is empty. Written to the database and, if configured, to the checkpoint file."""
        signer = self.signer()
        with uow:
            conn = uow.session.connection()
            seq, hash_ = self.lock_head(conn)
            if seq == 0:
                return None
            row = conn.execute(
                select(AuditCheckpoint.signature, AuditCheckpoint.key_id, AuditCheckpoint.at).where(
                    AuditCheckpoint.seq == seq
                )
            ).first()
            if row is not None:  # the head has not moved since the last checkpoint
                point = SignedPoint(seq, hash_, row[0], row[1], "checkpoint", row[2])
            else:
                point = self._checkpoint_row(conn, signer, seq, hash_, self.clock.now())
            uow.commit()
        if self.checkpoint_file is not None:
            write_checkpoints(self.checkpoint_file, (point,))
        return point


def write_checkpoints(path: Path, points: tuple[SignedPoint, ...]) -> None:
    """Append checkpoints to ``path`` as JSON lines, one write each (atomic for a line this short),
    flushed to disk."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        for p in points:
            line = {
                "seq": p.seq,
                "hash": p.hash,
                "at": p.at.isoformat() if p.at is not None else None,
                "key_id": p.key_id,
                "signature": p.signature,
            }
            os.write(fd, (json.dumps(line, sort_keys=True) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
