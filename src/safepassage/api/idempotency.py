"""``Idempotency-Key`` on every POST: a retry with the same key gets the first answer and creates
nothing. The same key with a different request is refused; a retry while the first request still
runs is told to wait. Keys are scoped to the caller's credential and kept ``idempotency_ttl_hours``.

A pure ASGI middleware, so it sees the raw request body and the exact response bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any, NamedTuple

from sqlalchemy import Table, and_, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from safepassage.api.errors import problem_body
from safepassage.bootstrap import Container
from safepassage.idempotency import IdempotencyRecord

HEADER = b"idempotency-key"
_TABLE: Table = IdempotencyRecord.__table__  # type: ignore[assignment]  # declared as FromClause


class Stored(NamedTuple):
    request_hash: str
    status_code: int | None
    content_type: str | None
    body: bytes | None


MAX_KEY = 200
# POSTs that create nothing and answer with protected values: never stored for a replay (the table
# would keep in clear what the database keeps sealed).
NOT_KEPT_SUFFIXES = ("/protection/open",)


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, container: Container) -> None:
        self.app = app
        self.container = container

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"].endswith(NOT_KEPT_SUFFIXES):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        key_bytes = headers.get(HEADER)
        if not key_bytes:
            await self.app(scope, receive, send)
            return
        key = key_bytes.decode("latin-1").strip()
        if not key or len(key) > MAX_KEY:
            await _reply(
                send, 422, problem_body("invalid", f"Idempotency-Key must be 1 to {MAX_KEY} characters")
            )
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        credential = headers.get(b"authorization", b"") or headers.get(b"cookie", b"")
        scope_id = hashlib.sha256(credential).hexdigest()[:40]
        request_hash = hashlib.sha256(
            scope["path"].encode() + b"?" + scope.get("query_string", b"") + b"\n" + body
        ).hexdigest()

        claimed, record = await run_in_threadpool(self._claim, scope_id, key, scope["path"], request_hash)
        if not claimed:
            assert record is not None
            if record.request_hash != request_hash:
                await _reply(
                    send,
                    422,
                    problem_body(
                        "idempotency_key_reused", "This Idempotency-Key was used for a different request."
                    ),
                )
            elif record.status_code is None:
                await _reply(
                    send,
                    409,
                    problem_body(
                        "idempotency_in_progress",
                        "The first request with this Idempotency-Key is still running.",
                    ),
                )
            else:
                await send(
                    {
                        "type": "http.response.start",
                        "status": record.status_code,
                        "headers": [
                            (b"content-type", (record.content_type or "application/json").encode()),
                            (b"idempotent-replayed", b"true"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": record.body or b""})
            return

        sent_body = False

        async def replay_receive() -> Message:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        status = 500
        content_type = "application/json"
        chunks: list[bytes] = []

        async def capture_send(message: Message) -> None:
            nonlocal status, content_type
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", []):
                    if name.lower() == b"content-type":
                        content_type = value.decode("latin-1")
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_receive, capture_send)
        finally:
            await run_in_threadpool(self._finish, scope_id, key, status, content_type, b"".join(chunks))

    def _claim(self, scope_id: str, key: str, path: str, request_hash: str) -> tuple[bool, Stored | None]:
        """One statement in the usual case (a new key): INSERT ... ON CONFLICT DO NOTHING."""
        engine = self.container.engine
        now = self.container.clock.now()
        ttl = dt.timedelta(hours=self.container.settings.idempotency_ttl_hours)
        table = _TABLE
        dialect_insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
        claim = (
            dialect_insert(table)
            .values(
                actor=scope_id, key=key, method="POST", path=path, request_hash=request_hash, created_at=now
            )
            .on_conflict_do_nothing()
            .returning(table.c.key)
        )
        this = and_(table.c.actor == scope_id, table.c.key == key)
        with engine.begin() as conn:
            if conn.execute(claim).first() is not None:
                return True, None
            row = conn.execute(
                select(table.c.request_hash, table.c.status_code, table.c.content_type, table.c.body,
                       table.c.created_at).where(this)
            ).one_or_none()  # fmt: skip
            if row is not None and row.created_at >= now - ttl:
                return False, Stored(*row[:4])
            # expired (or gone meanwhile): forget it and claim again
            conn.execute(delete(table).where(this))
            if conn.execute(claim).first() is not None:
                return True, None
            return False, Stored(request_hash, None, None, None)  # claimed by a retry meanwhile

    def _finish(self, scope_id: str, key: str, status: int, content_type: str, body: bytes) -> None:
        table = _TABLE
        this = and_(table.c.actor == scope_id, table.c.key == key)
        with self.container.engine.begin() as conn:
            if status >= 500 or status in (401, 409, 429):
                conn.execute(delete(table).where(this))  # not a final answer: a retry may do better
            else:
                values = {"status_code": status, "content_type": content_type, "body": body}
                conn.execute(update(table).where(this).values(**values))


async def _reply(send: Send, status: int, payload: dict[str, Any]) -> None:
    await send(
        {"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]}
    )
    await send({"type": "http.response.body", "body": json.dumps(payload).encode()})
