"""Where a scan's time goes: cProfile and SQL statement counts, in-process against PostgreSQL.

Setup as ``bench_scans.py`` (a fresh database, ``--households`` synthetic households, one leg, a pass
per person, signed tokens with 5% duplicates and 1% altered), then ``--calls`` batches of ``--batch``
scans after 20 unprofiled ones, either

- ``--through service`` (default): ``record_scans`` called directly (no HTTP, no token lookup): the
  service's own cost; or
- ``--through api``: POST /api/v1/scans through the whole ASGI application (middlewares, the bearer
  token's lookup, validation, the route, the answer's serialisation), called in-process with no
  socket and no HTTP parser; the thread-pool hops of sync routes run inline so that the profile
  sees them.

Prints CPU and wall per call, SQL statements and transactions per call (counted with SQLAlchemy's
cursor events: what a change did to the round trips), and the top of the profile by own time. Not
a throughput figure: the HTTP benchmark is ``bench_scans.py``.

    /tmp/sp-slot .venv/bin/python bench/profile_scans.py --batch 50 --calls 60
    /tmp/sp-slot .venv/bin/python bench/profile_scans.py --batch 1 --calls 400 --through api
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import logging
import pstats
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

c.use_src_from_argv()

import bench_scans as b  # noqa: E402 (after the --src switch)


class Statements:
    """SQL statements and transactions run on an engine, by the first words of the statement."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.kinds: Counter[str] = Counter()
        self.transactions = 0
        self.checkouts = 0
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "begin", self._begin)
        event.listen(engine, "checkout", self._checkout)

    def _checkout(self, *args: Any) -> None:
        self.checkouts += 1  # the pool's pre-ping: one round trip more

    def _statement(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        words = statement.split()
        head = " ".join(words[:2]) if words and words[0].upper() in ("SELECT", "WITH") else words[0]
        self.kinds[head.upper()[:40]] += 1

    def _begin(self, conn: Any) -> None:
        if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            self.transactions += 1

    def reset(self) -> None:
        self.kinds.clear()
        self.transactions = 0
        self.checkouts = 0

    def line(self, calls: int) -> str:
        total = sum(self.kinds.values())
        parts = ", ".join(f"{k} {v / calls:.2f}" for k, v in self.kinds.most_common())
        return (
            f"SQL statements per call {total / calls:.2f} in {self.transactions / calls:.2f} "
            f"transactions, {self.checkouts / calls:.2f} connection checkouts ({parts}); psycopg "
            "pipelines (the audit append's INSERTs) are not seen by SQLAlchemy's events"
        )


def inline_threadpool() -> None:
    """Sync routes and dependencies run in the calling thread (cProfile sees one thread only)."""
    import fastapi.dependencies.utils as deps
    import fastapi.routing as routing

    async def inline(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    setattr(routing, "run_in_threadpool", inline)  # noqa: B010 (a module's private import)
    setattr(deps, "run_in_threadpool", inline)  # noqa: B010


def api_caller(container: Any, token: str) -> Callable[[bytes], dict[str, Any]]:
    """A function POSTing one body to /api/v1/scans through the ASGI app, in this thread."""
    from safepassage.app import create_app

    app = create_app(container)
    loop = asyncio.new_event_loop()
    headers = [
        (b"host", b"bench"),
        (b"authorization", f"Bearer {token}".encode()),
        (b"content-type", b"application/json"),
    ]

    async def post(body: bytes) -> dict[str, Any]:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/api/v1/scans",
            "raw_path": b"/api/v1/scans",
            "query_string": b"",
            "root_path": "",
            "headers": [*headers, (b"content-length", str(len(body)).encode())],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "app": app,
        }
        sent = False
        status, chunks = 0, []

        async def receive() -> MutableMapping[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        async def send(message: MutableMapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await app(scope, receive, send)
        if status != 200:
            raise SystemExit(f"POST /api/v1/scans answered {status}: {b''.join(chunks)[:300]!r}")
        answer: dict[str, Any] = json.loads(b"".join(chunks))
        return answer

    return lambda body: loop.run_until_complete(post(body))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database", default="sp_profile_scans", help="Database (recreated).")
    ap.add_argument("--households", type=int, default=60)
    ap.add_argument("--batch", type=int, default=50, help="Scans per call.")
    ap.add_argument("--calls", type=int, default=60, help="Profiled calls.")
    ap.add_argument("--through", choices=("service", "api"), default="service")
    ap.add_argument("--top", type=int, default=25, help="Rows of the profile printed.")
    ap.add_argument("--sort", default="tottime", help="Profile order: tottime, cumulative.")
    ap.add_argument("--no-profile", action="store_true", help="CPU and wall without the profiler's cost.")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--src", help="Import safepassage from this src directory (a worktree).")
    args = ap.parse_args()
    logging.disable(logging.INFO)

    from safepassage.bootstrap import bootstrap
    from safepassage.config import Settings
    from safepassage.movements import passes
    from safepassage.movements import scans as service
    from safepassage.movements.schemas import ScanBatch
    from safepassage.security import services as security
    from safepassage.security.policy import Actor, Role

    c.recreate_database(args.database)
    var_dir = Path(tempfile.mkdtemp(prefix="sp-profile-"))
    key = var_dir / "boarding-pass.key"
    world = b.build_world(args.database, args.households, args.seed, key)
    n = args.calls + 20
    bodies = b.make_scans(world, n * args.batch, args.seed)
    chunks = [{"scans": bodies[i * args.batch : (i + 1) * args.batch]} for i in range(n)]
    settings = Settings(
        database_url=c.sa_url(args.database), boarding_pass_key_file=key, var_dir=var_dir / "var"
    )
    container = bootstrap(settings)
    counted = Statements(container.engine)
    call: Callable[[Any], Any]
    if args.through == "api":
        inline_threadpool()
        token = security.issue_token(
            container.uow(),
            username="bench_scanner",
            name="profile",
            actor=Actor(username="bench", role=Role.ADMINISTRATOR),
        )
        post = api_caller(container, token)
        calls: list[Any] = [json.dumps(chunk).encode() for chunk in chunks]
        call = post
    else:
        public = passes.public_key(key)
        actor = Actor(
            username="bench_scanner", role=Role.REGISTRATION_CLERK, site_ids=frozenset({world.site})
        )
        calls = [ScanBatch.model_validate(chunk) for chunk in chunks]

        def call(batch: Any) -> Any:
            return service.record_scans(container.uow(), batch, actor=actor, public_key=public)

    try:
        for one in calls[:20]:
            call(one)
        counted.reset()
        profile = cProfile.Profile()
        wall, cpu = time.perf_counter(), time.process_time()
        if not args.no_profile:
            profile.enable()
        for one in calls[20:]:
            call(one)
        profile.disable()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        container.dispose()
    print(f"machine: {c.machine_line()}")
    print(
        f"{args.calls} calls of {args.batch} scans through the {args.through}: CPU "
        f"{cpu / args.calls * 1e3:.1f} ms per call, wall {wall / args.calls * 1e3:.1f} ms per call "
        f"({'not ' if args.no_profile else ''}profiled)"
    )
    print(counted.line(args.calls))
    if not args.no_profile:
        pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
