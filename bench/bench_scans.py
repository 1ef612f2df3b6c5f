"""Checkpoint scans through the HTTP API against PostgreSQL, beside the floor measured in the same run.

Setup: a fresh database, the demo sites, ``--households`` synthetic households registered through the
registry's service, one leg from their site, a boarding pass per person (written directly: the scan
path is what is measured, not planning) and a boarding-pass key file shared by this process (which
signs the QR tokens) and the server (which verifies them).

API: a real uvicorn process (``--workers``) and ``--clients`` concurrent clients POST /api/v1/scans
for ``--duration`` seconds after a warm-up, ``--repeats`` times, in two shapes: one scan per request
(a checkpoint online: scan, answer, next person) and ``--batch`` scans per request (a device uploading
its offline queue). Each scan carries a signed QR token, a fresh client id, a checkpoint (check-in or
boarding at the origin) and a device time; 5% are re-sent duplicates and 1% carry an altered token,
so the idempotent and the rejecting paths are exercised too.

Floor: the same scan rows INSERTed with psycopg on ``--clients`` connections, one transaction per
scan (what the API does per single-scan request, without HTTP, signature checks and lookups).

Prints scans/s, request p50/p99 and CPU of server, PostgreSQL and load generator, the floor, the
ratio, and whether the targets (>= 500 scans/s sustained, p99 <= 100 ms) are met. Exits 0.

    flock /tmp/sp-bench.lock .venv/bin/python bench/bench_scans.py
    flock /tmp/sp-bench.lock .venv/bin/python bench/bench_scans.py --duration 10 --repeats 1
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import random
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
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
    errors: dict[int, int]
    latencies: list[float]
    outcomes: dict[str, int]
    cores: dict[str, float]

    @property
    def rate(self) -> float:
        return self.scans / self.duration


async def drive(
    url: str,
    token: str,
    scans: list[dict[str, Any]],
    cursor: int,
    batch: int,
    clients: int,
    seconds: float,
    meter: c.CpuMeter | None,
) -> tuple[Run, int]:
    import httpx

    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    latencies: list[float] = []
    errors: dict[int, int] = {}
    outcomes = {"accepted": 0, "rejected": 0, "duplicates": 0}
    done = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=60) as client:

        async def one(deadline: float) -> None:
            nonlocal cursor, done
            while time.perf_counter() < deadline:
                chunk = [scans[(cursor + k) % len(scans)] for k in range(batch)]
                cursor += batch
                body = json.dumps({"scans": chunk})
                t0 = time.perf_counter()
                try:
                    r = await client.post("/api/v1/scans", content=body)
                    status = r.status_code
                except httpx.HTTPError:
                    status = -1
                elapsed = time.perf_counter() - t0
                if status == 200:
                    latencies.append(elapsed)
                    answer = r.json()
                    done += len(chunk)
                    for key in outcomes:
                        outcomes[key] += answer[key]
                else:
                    errors[status] = errors.get(status, 0) + 1

        if meter is not None:
            meter.start()
        begin = time.perf_counter()
        await asyncio.gather(*(one(begin + seconds) for _ in range(clients)))
        duration = time.perf_counter() - begin
        if meter is not None:
            meter.stop()
    return Run(
        duration, done, len(latencies), errors, latencies, outcomes, meter.cores() if meter else {}
    ), cursor


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
    return (
        f"{run.rate:.0f} scans/s in {run.requests / run.duration:.0f} requests/s; request p50 "
        f"{c.percentile(run.latencies, 50) * 1e3:.1f} ms p99 {c.percentile(run.latencies, 99) * 1e3:.1f} ms; "
        f"accepted {run.outcomes['accepted']}, rejected {run.outcomes['rejected']}, duplicates "
        f"{run.outcomes['duplicates']}; errors {run.errors or 0}; cores busy: {cores}"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database", default="sp_bench_scans", help="Database (recreated).")
    ap.add_argument(
        "--households", type=int, default=500, help="Households registered (about 4 persons each)."
    )
    ap.add_argument("--clients", type=int, default=8, help="Concurrent clients (and floor connections).")
    ap.add_argument("--workers", type=int, default=2, help="uvicorn worker processes.")
    ap.add_argument(
        "--batch",
        type=int,
        nargs="+",
        default=[50],
        help="Scans per request in the offline-upload shape (several: one shape each, e.g. 50 10).",
    )
    ap.add_argument("--duration", type=float, default=20.0, help="Seconds measured per repeat.")
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
    shapes = [("single", 1)] + [(f"batch {b}", b) for b in args.batch]
    results: dict[str, list[Run]] = {shape: [] for shape, _ in shapes}
    server = c.Server(
        args.database, workers=args.workers, env={"SAFEPASSAGE_BOARDING_PASS_KEY_FILE": str(key_file)}
    )
    with server:
        token = c.get_token(server.base_url, "bench_scanner")
        meter = c.CpuMeter(
            {"server": server.pids(), "postgres": "postgres", "load generator": [__import__("os").getpid()]}
        )
        for shape, batch in shapes:
            _, cursor = asyncio.run(
                drive(server.base_url, token, scans, cursor, batch, args.clients, args.warmup, None)
            )
            for i in range(args.repeats):
                run, cursor = asyncio.run(
                    drive(server.base_url, token, scans, cursor, batch, args.clients, args.duration, meter)
                )
                results[shape].append(run)
                print(f"{shape} ({batch} per request) repeat {i + 1}: {describe(run)}")
    floor_rows = scans[cursor : cursor + args.floor_scans]
    floor_rate = asyncio.run(floor(args.database, floor_rows, world, args.clients))
    print(
        f"floor: {floor_rate:.0f} scans/s (psycopg INSERT, one transaction per scan, "
        f"{args.clients} connections)"
    )
    print()
    for shape, runs in results.items():
        rate = c.median([r.rate for r in runs])
        p99 = c.median([c.percentile(r.latencies, 99) for r in runs])
        ok_rate, ok_p99 = rate >= TARGET_RATE, p99 <= TARGET_P99
        print(
            f"{shape:9s}: median {rate:.0f} scans/s ({rate / floor_rate:.0%} of the floor), "
            f"p99 {p99 * 1e3:.1f} ms; target >= {TARGET_RATE:.0f}/s {'MET' if ok_rate else 'NOT MET'}, "
            f"p99 <= {TARGET_P99 * 1e3:.0f} ms {'MET' if ok_p99 else 'NOT MET'}"
        )
    key_dir.cleanup()
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
