"""Checkpoint scans through the HTTP API against PostgreSQL, beside the floor measured in the same run.

Setup: a fresh database, the demo sites, ``--households`` synthetic households registered through the
registry's service, one leg from their site, a boarding pass per person (written directly: the scan
path is what is measured, not planning) and a boarding-pass key file shared by this process (which
signs the QR tokens) and the server (which verifies them).

API: a real uvicorn process (``--workers``) answering POST /api/v1/scans, driven by a small HTTP/1.1
keep-alive client (cheap in CPU: the load generator shares the machine's 2 cores). Each scan
carries a signed QR token, a fresh client id, a checkpoint (check-in or boarding at the origin) and
a device time; 5% are re-sent duplicates and 1% carry an altered token, so the idempotent and the
rejecting paths are exercised too. Two ways of loading it, each ``--repeats`` times after a
``--warmup``:

- Closed loop (saturation): ``--clients`` clients, each sending its next request when the last is
  answered, for ``--duration`` seconds; one scan per request (a checkpoint online) and ``--batch``
  scans per request (a device uploading its offline queue). The latency is mostly queueing (about
  clients / throughput): this says what the server can do at most, not what a checkpoint waits.
- Open loop (the target as stated: "500 scans/s sustained, p99 <= 100 ms"): ``--rate`` scans/s
  offered for ``--duration`` seconds as requests of ``--open-batch`` scans (1, 10, 20: many devices,
  each sending when ready: Poisson arrivals, seeded), sent on schedule whether or not earlier ones
  were answered, up to ``--max-connections`` at once. Latency runs from each request's scheduled
  time, so queueing anywhere is counted (no coordinated omission); requests still unanswered 15 s
  after the last send are counted as such. The shape is "sustained" when the scans answered come to
  at least 97% of the offered rate with nothing unanswered.

Floor: the same scan rows INSERTed with psycopg on ``--clients`` connections, one transaction per
scan (what the API does per single-scan request, without HTTP, signature checks and lookups).

Prints scans/s, request p50/p99 and CPU of server, PostgreSQL and load generator, the floor, the
ratio, and whether the targets (>= 500 scans/s sustained, p99 <= 100 ms) are met. Exits 0.

    /tmp/sp-quiet .venv/bin/python bench/bench_scans.py
    /tmp/sp-quiet .venv/bin/python bench/bench_scans.py --src BASELINE/src   # another tree's code
    /tmp/sp-slot .venv/bin/python bench/bench_scans.py --duration 5 --repeats 1 --households 100
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

c.use_src_from_argv()

TARGET_RATE = 500.0  # scans/s
TARGET_P99 = 0.100  # s, per request


@dataclass
class World:
    site: uuid.UUID
    leg: uuid.UUID
    passes: list[tuple[uuid.UUID, uuid.UUID]]  # (pass id, person id)
    key_file: Path


def build_world(database: str, households: int, seed: int, key_file: Path) -> World:
    from safepassage.bootstrap import bootstrap
    from safepassage.config import Settings
    from safepassage.movements import legs, passes
    from safepassage.movements.models import BoardingPass, LegKind, PlaceKind
    from safepassage.movements.schemas import LegCreate
    from safepassage.registry import services
    from safepassage.security import services as security
    from safepassage.security.policy import SYSTEM, Actor, Role

    site_ids = c.ensure_sites(database)
    codes = sorted(site_ids)
    origin, dest = site_ids[codes[0]], site_ids[codes[1]]
    container = bootstrap(Settings(database_url=c.sa_url(database)))
    try:
        security.create_user(
            container.uow(),
            username="bench_scanner",
            role=Role.REGISTRATION_CLERK,
            password=c.BENCH_PASSWORD,
            site_ids=frozenset({origin}),
            actor=Actor(username="bench", role=Role.ADMINISTRATOR),
        )
        today = dt.datetime.now(dt.UTC).date()
        for household in c.households(households, seed, site_ids, today):
            services.register_household(container.uow(), household, actor=SYSTEM)
        leg_id = legs.create_leg(
            container.uow(),
            LegCreate(
                code="BENCH-1",
                kind=LegKind.FLIGHT,
                origin_site_id=origin,
                destination_site_id=dest,
                departure_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=1),
                seats=100_000,
                baggage_kg=10_000_000,
            ),
            actor=SYSTEM,
        )
        from sqlalchemy import select

        from safepassage.registry.models import Person

        made: list[tuple[uuid.UUID, uuid.UUID]] = []
        with container.uow() as uow:
            for person_id in uow.session.scalars(select(Person.id).order_by(Person.id)):
                boarding = BoardingPass(
                    id=uuid.uuid4(),
                    number=passes.new_number(),
                    person_id=person_id,
                    leg_id=leg_id,
                    group_key=f"bench:{person_id}",
                    place=PlaceKind.SEAT,
                    issued_at=dt.datetime.now(dt.UTC),
                    issued_by="bench",
                )
                uow.session.add(boarding)
                made.append((boarding.id, person_id))
            uow.commit()
    finally:
        container.dispose()
    passes.signing_key(key_file)  # made now (0600), read by the server through the setting
    return World(origin, leg_id, made, key_file)


def make_scans(world: World, n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` scan bodies: signed tokens, fresh client ids, 5% duplicates, 1% altered tokens."""
    from safepassage.movements import passes

    key = passes.signing_key(world.key_file)
    rng = random.Random(seed)
    tokens = {p: passes.make_token(key, p, person, world.leg) for p, person in world.passes}
    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    out: list[dict[str, Any]] = []
    for i in range(n):
        if out and rng.random() < 0.05:
            out.append(dict(rng.choice(out)))  # a re-sent duplicate: same client id
            continue
        pass_id, _ = rng.choice(world.passes)
        token = tokens[pass_id]
        if rng.random() < 0.01:
            token = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
        out.append(
            {
                "client_id": f"bench-{uuid.uuid4().hex}",
                "token": token,
                "checkpoint": rng.choice(("assembly_check_in", "boarding")),
                "site_id": str(world.site),
                "leg_id": str(world.leg),
                "device_at": (start + dt.timedelta(milliseconds=i * 37)).isoformat(),
            }
        )
    return out


@dataclass
class Run:
    duration: float
    scans: int
    requests: int
    errors: dict[str, int]
    latencies: list[float]
    outcomes: dict[str, int]
    cores: dict[str, float]
    extra: dict[str, float] = field(default_factory=dict)  # open loop: offered rate, send lag

    @property
    def rate(self) -> float:
        return self.scans / self.duration


async def drive(
    http: Http,
    scans: list[dict[str, Any]],
    cursor: int,
    batch: int,
    clients: int,
    seconds: float,
    meter: c.CpuMeter | None,
) -> tuple[Run, int]:
    """Closed loop: ``clients`` clients, each sending its next request when the last is answered
    (saturation: the latency is mostly queueing, about clients / throughput)."""
    tally = Tally()

    async def one(deadline: float) -> None:
        nonlocal cursor
        while time.perf_counter() < deadline:
            body, cursor = bodies(scans, cursor, batch)
            t0 = time.perf_counter()
            status, answer = await http.post("/api/v1/scans", body)
            tally.add(status, answer, batch, time.perf_counter() - t0)

    if meter is not None:
        meter.start()
    begin = time.perf_counter()
    await asyncio.gather(*(one(begin + seconds) for _ in range(clients)))
    duration = time.perf_counter() - begin
    if meter is not None:
        meter.stop()
    return tally.run(duration, meter), cursor


class Http:
    """A small HTTP/1.1 keep-alive client for one POST route (a load generator that costs little
    CPU: on 2 shared cores httpx would take a fair part of what the server needs). A request takes
    an idle connection or opens one, up to ``cap``; beyond that it waits for one (its latency runs
    from its scheduled time all the same)."""

    def __init__(self, url: str, headers: dict[str, str], cap: int) -> None:
        address = url.split("://", 1)[1]
        self.host, port = address.split(":")
        self.port = int(port)
        self.head = "".join(f"{k}: {v}\r\n" for k, v in {"Host": address, **headers}.items())
        self.cap = cap
        self.opened = 0
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.writers: list[asyncio.StreamWriter] = []
        self.freed = asyncio.Condition()

    async def _take(self) -> tuple[tuple[asyncio.StreamReader, asyncio.StreamWriter], bool]:
        """A connection, and whether it was idle (the server may have closed it meanwhile)."""
        async with self.freed:
            while not self.idle and self.opened >= self.cap:
                await self.freed.wait()
            if self.idle:
                return self.idle.pop(), True
            self.opened += 1
        reader, writer = await asyncio.open_connection(self.host, self.port)
        self.writers.append(writer)
        return (reader, writer), False

    async def _give(self, conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None) -> None:
        async with self.freed:
            if conn is None:
                self.opened -= 1
            else:
                self.idle.append(conn)
            self.freed.notify()

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        """(status, body); status -1 when the connection failed. A kept-alive connection that the
        server closed while idle (uvicorn: after 5 s) is replaced once, as any HTTP client does."""
        for _ in range(2):
            conn, reused = await self._take()
            reader, writer = conn
            try:
                writer.write(
                    f"POST {path} HTTP/1.1\r\n{self.head}Content-Length: {len(body)}\r\n\r\n".encode() + body
                )
                first = await reader.readline()
                if not first and reused:
                    raise ConnectionResetError  # closed while idle: nothing was read, send again
                status = int(first.split()[1])
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                answer = await reader.readexactly(length)
            except (OSError, IndexError, ValueError, asyncio.IncompleteReadError) as exc:
                writer.close()
                await self._give(None)
                if reused and isinstance(exc, ConnectionError):
                    continue
                return -1, b""
            await self._give(conn)
            return status, answer
        return -1, b""

    async def close(self) -> None:
        """Every connection closed, in use or not (an overloaded shape's backlog is dropped); the
        client starts afresh (connections held by cancelled requests are never given back)."""
        for writer in self.writers:
            writer.close()
        async with self.freed:
            self.writers, self.idle, self.opened = [], [], 0
            self.freed.notify_all()


class Tally:
    """Answers counted: latencies of the good ones, scans done, outcomes, errors by status."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors: dict[str, int] = {}
        self.outcomes = {"accepted": 0, "rejected": 0, "duplicates": 0}
        self.done = 0

    def add(self, status: int, answer: bytes, scans: int, elapsed: float) -> None:
        if status != 200:
            self.errors[str(status)] = self.errors.get(str(status), 0) + 1
            return
        self.latencies.append(elapsed)
        self.done += scans
        result = json.loads(answer)
        for key in self.outcomes:
            self.outcomes[key] += result[key]

    def run(self, duration: float, meter: c.CpuMeter | None, **extra: float) -> Run:
        cores = meter.cores() if meter else {}
        return Run(
            duration, self.done, len(self.latencies), self.errors, self.latencies, self.outcomes, cores, extra
        )


def bodies(scans: list[dict[str, Any]], cursor: int, batch: int) -> tuple[bytes, int]:
    chunk = [scans[(cursor + k) % len(scans)] for k in range(batch)]
    return json.dumps({"scans": chunk}).encode(), cursor + batch


async def drive_open(
    http: Http,
    scans: list[dict[str, Any]],
    cursor: int,
    batch: int,
    rate: float,
    seconds: float,
    seed: int,
    meter: c.CpuMeter | None,
    drain: float = 15.0,
) -> tuple[Run, int]:
    """Open loop: requests of ``batch`` scans sent at ``rate`` scans/s on a schedule made beforehand
    (Poisson arrivals: many devices, each uploading when it is ready), whether or not earlier ones
    were answered. Each latency runs from the request's scheduled time, so time spent queued anywhere
    (waiting for a connection here, in the server, in PostgreSQL) is counted: no coordinated
    omission. Every request scheduled within ``seconds`` is awaited, for ``drain`` seconds at most
    after the last send (what is left then is counted unanswered); the rate achieved is the scans
    answered over the time from the first schedule to the end."""
    loop = asyncio.get_running_loop()
    rng = random.Random(seed)
    tally = Tally()
    start = loop.time() + 0.05
    due, schedule = 0.0, []
    while True:
        due += rng.expovariate(rate / batch)
        if due >= seconds:
            break
        schedule.append(start + due)
    lag: list[float] = []

    async def one(at: float, body: bytes) -> None:
        status, answer = await http.post("/api/v1/scans", body)
        tally.add(status, answer, batch, loop.time() - at)

    if meter is not None:
        meter.start()
    tasks = []
    for at in schedule:
        body, cursor = bodies(scans, cursor, batch)
        wait = at - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        lag.append(max(0.0, loop.time() - at))
        tasks.append(asyncio.create_task(one(at, body)))
    _, pending = await asyncio.wait(tasks, timeout=drain) if tasks else (set(), set())
    for task in pending:  # not answered ``drain`` s after the last send: an overload, counted as such
        task.cancel()
    if pending:
        tally.errors["unanswered"] = len(pending)
        await asyncio.gather(*pending, return_exceptions=True)
        await http.close()  # what the server still holds is dropped with the connections
        await asyncio.sleep(3.0)  # and the requests it is working on finish before the next run
    duration = loop.time() - start
    if meter is not None:
        meter.stop()
    late = c.percentile(lag, 99)
    return tally.run(duration, meter, offered=rate, send_lag_p99=late, connections=http.opened), cursor


async def floor(database: str, rows: list[dict[str, Any]], world: World, connections: int) -> float:
    """INSERT the scan rows, one transaction each, on ``connections`` connections; scans/s."""
    import psycopg

    person = dict(world.passes)
    conns = [await psycopg.AsyncConnection.connect(c.dsn(database)) for _ in range(connections)]
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for row in rows:
        queue.put_nowait(row)
    now = dt.datetime.now(dt.UTC)

    async def writer(conn: Any) -> None:
        pass_id = world.passes[0][0]
        while True:
            try:
                row = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            async with conn.transaction():
                await conn.execute(
                    "INSERT INTO movement_scans (id, client_id, outcome, reason, person_id, pass_id,"
                    " checkpoint, site_id, leg_id, device_at, received_at, recorded_by, by_token) VALUES"
                    " (%s, %s, 'accepted', NULL, %s, %s, %s, %s, %s, %s, %s, 'floor', true)",
                    (
                        uuid.uuid4(),
                        f"floor-{uuid.uuid4().hex}",
                        person[pass_id],
                        pass_id,
                        row["checkpoint"],
                        world.site,
                        world.leg,
                        row["device_at"],
                        now,
                    ),
                )

    t0 = time.perf_counter()
    await asyncio.gather(*(writer(conn) for conn in conns))
    elapsed = time.perf_counter() - t0
    for conn in conns:
        await conn.close()
    return len(rows) / elapsed


def describe(run: Run) -> str:
    cores = ", ".join(f"{k} {v:.2f}" for k, v in run.cores.items())
    offered = ""
    if run.extra:
        offered = (
            f"offered {run.extra['offered']:.0f}/s, send lag p99 {run.extra['send_lag_p99'] * 1e3:.1f} ms, "
            f"{run.extra['connections']:.0f} connections; "
        )
    return (
        f"{offered}{run.rate:.0f} scans/s in {run.requests / run.duration:.0f} requests/s; request p50 "
        f"{c.percentile(run.latencies, 50) * 1e3:.1f} ms p99 {c.percentile(run.latencies, 99) * 1e3:.1f} ms "
        f"max {max(run.latencies, default=float('nan')) * 1e3:.0f} ms; accepted {run.outcomes['accepted']}, "
        f"rejected {run.outcomes['rejected']}, duplicates {run.outcomes['duplicates']}; "
        f"errors {run.errors or 0}; cores busy: {cores}"
    )


def verdict(name: str, runs: list[Run], floor_rate: float, open_loop: bool) -> str:
    rate = c.median([r.rate for r in runs])
    p99 = c.median([c.percentile(r.latencies, 99) for r in runs])
    # open loop: the offered rate is sustained when the scans are all answered at about that rate
    ok_rate = rate >= TARGET_RATE * (0.97 if open_loop else 1.0) and not any(r.errors for r in runs)
    ok_p99 = p99 <= TARGET_P99
    return (
        f"{name:22s}: median {rate:.0f} scans/s ({rate / floor_rate:.0%} of the floor), "
        f"p99 {p99 * 1e3:.1f} ms; >= {TARGET_RATE:.0f}/s {'MET' if ok_rate else 'NOT MET'}, "
        f"p99 <= {TARGET_P99 * 1e3:.0f} ms {'MET' if ok_p99 else 'NOT MET'}"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database", default="sp_bench_scans", help="Database (recreated).")
    ap.add_argument(
        "--households", type=int, default=500, help="Households registered (about 4 persons each)."
    )
    ap.add_argument(
        "--clients", type=int, default=8, help="Closed loop: concurrent clients (and floor connections)."
    )
    ap.add_argument("--workers", type=int, default=2, help="uvicorn worker processes.")
    ap.add_argument(
        "--batch",
        type=int,
        nargs="*",
        default=[10, 50],
        help="Closed loop: scans per request beside the single scan (one shape each).",
    )
    ap.add_argument("--rate", type=float, default=TARGET_RATE, help="Open loop: scans/s offered.")
    ap.add_argument(
        "--open-batch",
        type=int,
        nargs="*",
        default=[1, 10, 20],
        help="Open loop: scans per request, one shape each (none: no open loop).",
    )
    ap.add_argument("--max-connections", type=int, default=64, help="Open loop: connections at most.")
    ap.add_argument("--duration", type=float, default=15.0, help="Seconds measured per repeat.")
    ap.add_argument("--warmup", type=float, default=3.0, help="Seconds of warm-up before each shape.")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--floor-scans", type=int, default=20_000, help="Scan rows inserted by the floor.")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--src", help="Import safepassage from this src directory (a worktree).")
    args = ap.parse_args()

    print(f"machine: {c.machine_line()}")
    print(f"postgres: {c.pg_settings()}")
    c.recreate_database(args.database)
    key_dir = tempfile.TemporaryDirectory(prefix="sp-bench-keys-")
    key_file = Path(key_dir.name) / "boarding-pass.key"
    t0 = time.perf_counter()
    world = build_world(args.database, args.households, args.seed, key_file)
    print(f"setup: {len(world.passes)} persons with a pass on one leg ({time.perf_counter() - t0:.1f} s)")
    scans = make_scans(world, 400_000, args.seed)
    cursor = 0
    closed = [(f"closed, {b} per request", b) for b in [1, *args.batch]]
    # the largest requests first: the single scan may overload the server, and its backlog must not
    # spill into another shape's figures
    opened = [(f"open {args.rate:.0f}/s, {b} per req.", b) for b in sorted(args.open_batch, reverse=True)]
    results: dict[str, list[Run]] = {shape: [] for shape, _ in closed + opened}
    server = c.Server(
        args.database, workers=args.workers, env={"SAFEPASSAGE_BOARDING_PASS_KEY_FILE": str(key_file)}
    )
    with server:
        token = c.get_token(server.base_url, "bench_scanner")
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        meter = c.CpuMeter({"server": server.pids(), "postgres": "postgres", "load generator": [os.getpid()]})

        async def shapes() -> None:
            nonlocal cursor
            for shape, batch in closed:
                http = Http(server.base_url, headers, args.clients)
                _, cursor = await drive(http, scans, cursor, batch, args.clients, args.warmup, None)
                for i in range(args.repeats):
                    run, cursor = await drive(http, scans, cursor, batch, args.clients, args.duration, meter)
                    results[shape].append(run)
                    print(f"{shape} repeat {i + 1}: {describe(run)}", flush=True)
                await http.close()
            for n, (shape, batch) in enumerate(opened):
                http = Http(server.base_url, headers, args.max_connections)
                seed = args.seed * 1000 + n * 100
                _, cursor = await drive_open(http, scans, cursor, batch, args.rate, args.warmup, seed, None)
                for i in range(args.repeats):
                    run, cursor = await drive_open(
                        http, scans, cursor, batch, args.rate, args.duration, seed + i + 1, meter
                    )
                    results[shape].append(run)
                    print(f"{shape} repeat {i + 1}: {describe(run)}", flush=True)
                await http.close()

        asyncio.run(shapes())
    floor_rows = scans[cursor : cursor + args.floor_scans]
    floor_rate = asyncio.run(floor(args.database, floor_rows, world, args.clients))
    print(
        f"floor: {floor_rate:.0f} scans/s (psycopg INSERT, one transaction per scan, "
        f"{args.clients} connections)"
    )
    print()
    for shape, runs in results.items():
        print(verdict(shape, runs, floor_rate, open_loop=shape.startswith("open")))
    key_dir.cleanup()
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
