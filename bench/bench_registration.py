"""Registration throughput through the HTTP API against PostgreSQL, beside the floor measured in the
same run.

API: a real uvicorn process (``--workers``) serves the app against a fresh PostgreSQL database;
``--clients`` concurrent tasks of one ``httpx.AsyncClient`` POST whole households to
/api/v1/households (each with its own ``Idempotency-Key``, as a field tablet sends them) for
``--duration`` seconds after a warm-up, ``--repeats`` times.

Floor: after each API repeat, the very rows that repeat wrote (households, persons, person_names,
name_tokens, documents, phones, person_needs, intention_statements, consent_records,
protection_attributes, change_records) are read back as COPY text and replayed into a second fresh
database through psycopg COPY on ``--clients`` connections, twice: one transaction per household
(the API's durability: a registration is committed when it is answered) and batches of
``--floor-batch`` households per transaction (the fastest the database takes these rows). Only the
replay is timed: the rows are prepared in memory first.

Prints households/s, persons/s, p50/p99 latency per request and per person, CPU cores used by the
server, PostgreSQL and the load generator, the floors and the ratios. Exits 0.

    .venv/bin/python bench/bench_registration.py                # defaults: 16 clients, 2 workers, 3 x 30 s
    .venv/bin/python bench/bench_registration.py --duration 10 --repeats 1 --workers 3
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import functools
import json
import re
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

from safepassage.shared.ids import new_id  # noqa: E402

TARGET_RATE = 1000.0  # persons/s
TARGET_SHARE = 0.25  # of the floor
TARGET_P99 = 0.050  # s, per request

# Parents before children, so each COPY meets its foreign keys.
TABLES = (
    "households",
    "persons",
    "person_names",
    "name_tokens",
    "documents",
    "phones",
    "person_needs",
    "intention_statements",
    "consent_records",
    "protection_attributes",
    "change_records",
)


# ---------------------------------------------------------------------------------------------------
# The API run


@dataclass
class ApiResult:
    duration: float
    households: int
    persons: int
    errors: dict[int, int]
    latencies: list[float]
    per_person: list[float]
    cores: dict[str, float]
    household_ids: list[str] = field(default_factory=list)
    connections: list[int] = field(default_factory=list)  # client connections per server process

    @property
    def persons_per_s(self) -> float:
        return self.persons / self.duration

    @property
    def households_per_s(self) -> float:
        return self.households / self.duration

    def cpu_ms_per_household(self) -> dict[str, float]:
        return {k: v * self.duration / max(self.households, 1) * 1e3 for k, v in self.cores.items()}


def describe(r: ApiResult) -> str:
    ms = c.fmt_ms
    cores = ", ".join(f"{k} {v:.2f}" for k, v in r.cores.items())
    cpu = r.cpu_ms_per_household()
    return (
        f"{r.households_per_s:.0f} households/s, {r.persons_per_s:.0f} persons/s, request p50 "
        f"{ms(c.percentile(r.latencies, 50))} ms p99 {ms(c.percentile(r.latencies, 99))} ms, per person p50 "
        f"{ms(c.percentile(r.per_person, 50))} ms p99 {ms(c.percentile(r.per_person, 99))} ms, errors "
        f"{r.errors or 0}; cores busy: {cores}; CPU ms per household: server {cpu['server']:.1f}, "
        f"postgres {cpu['postgres']:.1f}, load generator {cpu['load generator']:.1f}; client connections "
        f"per server process at the end: {r.connections}"
    )


def _spread(pids: list[int]) -> list[int]:
    """How many client connections each server process holds (those of PostgreSQL left out)."""
    import psutil

    out = []
    for pid in pids:
        try:
            conns = psutil.Process(pid).net_connections(kind="tcp")
        except psutil.Error:
            continue
        n = sum(
            1
            for x in conns
            if x.status == "ESTABLISHED" and x.raddr and c.PG_PORT not in (x.raddr.port, x.laddr.port)
        )
        if n:
            out.append(n)
    return out


def make_bodies(n: int, seed: int, site_ids: dict[str, uuid.UUID]) -> list[tuple[bytes, int]]:
    """``n`` household registrations as JSON request bodies, with their member counts."""
    today = dt.datetime.now(dt.UTC).date()
    out = []
    for household in c.households(n, seed, site_ids, today):
        body = household.model_dump(mode="json", exclude_defaults=True)
        out.append((json.dumps(body, ensure_ascii=False).encode(), len(household.members)))
    return out


async def _drive(
    base_urls: list[str],
    token: str,
    bodies: list[tuple[bytes, int]],
    start: int,
    clients: int,
    seconds: float,
    idempotency: bool,
    meter: c.CpuMeter | None,
    probe: Any = None,
    rate: float = 0.0,
    path: str = "/api/v1/households",
) -> tuple[ApiResult, int]:
    import httpx

    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    per_server = -(-clients // len(base_urls))
    limits = httpx.Limits(max_connections=per_server, max_keepalive_connections=per_server)
    latencies: list[float] = []
    per_person: list[float] = []
    errors: dict[int, int] = {}
    ids: list[str] = []
    persons = 0
    cursor = start

    async with contextlib.AsyncExitStack() as stack:
        pool = [
            await stack.enter_async_context(
                httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=60)
            )
            for url in base_urls
        ]

        sent = 0
        begin = 0.0  # set when the clients start

        async def one_client(client: httpx.AsyncClient, deadline: float) -> None:
            nonlocal cursor, persons, sent
            while time.perf_counter() < deadline:
                due = 0.0
                if rate:  # open loop: the n-th request is due at n / rate, whoever is free sends it
                    due = begin + sent / rate
                    sent += 1
                    if due > time.perf_counter():
                        await asyncio.sleep(due - time.perf_counter())
                    if time.perf_counter() >= deadline:
                        return
                body, members = bodies[cursor % len(bodies)]
                cursor += 1
                extra = {"Idempotency-Key": uuid.uuid4().hex} if idempotency else None
                # open loop: counted from when it was due, so a request kept waiting for a free client
                # counts that wait (no coordinated omission)
                started = due or time.perf_counter()
                try:
                    r = await client.post(path, content=body, headers=extra)
                    status = r.status_code
                except httpx.HTTPError:
                    status = -1
                elapsed = time.perf_counter() - started
                if status == 201:
                    latencies.append(elapsed)
                    per_person.append(elapsed / members)
                    persons += members
                    ids.append(r.json()["id"])
                else:
                    errors[status] = errors.get(status, 0) + 1

        if meter is not None:
            meter.start()
        begin = time.perf_counter()
        deadline = begin + seconds
        await asyncio.gather(*(one_client(pool[i % len(pool)], deadline) for i in range(clients)))
        duration = time.perf_counter() - begin
        if meter is not None:
            meter.stop()
        connections = probe() if probe is not None else []  # while the clients' connections are open
    result = ApiResult(
        duration=duration,
        households=len(latencies),
        persons=persons,
        errors=errors,
        latencies=latencies,
        per_person=per_person,
        cores=meter.cores() if meter else {},
        household_ids=ids,
        connections=connections,
    )
    return result, cursor


# ---------------------------------------------------------------------------------------------------
# The floor: the same rows, replayed through psycopg COPY


def _select(table: str) -> str:
    """Rows of ``table`` belonging to the households in %(h)s, each led by its household id."""
    if table == "households":
        return "SELECT t.id AS hh, t.* FROM households t WHERE t.id = ANY(%(h)s)"
    if table == "persons":
        return "SELECT t.household_id AS hh, t.* FROM persons t WHERE t.household_id = ANY(%(h)s)"
    if table == "change_records":
        return (
            "SELECT coalesce(p.household_id, t.subject_id) AS hh, t.* FROM change_records t "
            "LEFT JOIN persons p ON p.id = t.subject_id "
            "WHERE t.subject_id = ANY(%(h)s) OR p.household_id = ANY(%(h)s)"
        )
    return (
        f"SELECT p.household_id AS hh, t.* FROM {table} t JOIN persons p ON p.id = t.person_id "
        "WHERE p.household_id = ANY(%(h)s)"
    )


def extract_rows(
    database: str, household_ids: list[str]
) -> tuple[dict[str, str], dict[str, dict[str, bytes]]]:
    """COPY text of each table's rows, per household: ({table: column list}, {household: {table: data}})."""
    import psycopg

    columns: dict[str, str] = {}
    per_household: dict[str, dict[str, bytearray]] = {h: {} for h in household_ids}
    ids = [uuid.UUID(h) for h in household_ids]
    with psycopg.connect(c.dsn(database)) as conn:
        for table in TABLES:
            cols = [
                r[0]
                for r in conn.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                    "ORDER BY ordinal_position",
                    (table,),
                )
            ]
            columns[table] = ", ".join(f'"{col}"' for col in cols)
            statement = psycopg.ClientCursor(conn).mogrify(_select(table), {"h": ids})
            buffer = bytearray()
            with conn.cursor().copy(f"COPY ({statement}) TO STDOUT") as copy:
                for chunk in copy:
                    buffer += chunk
            for line in bytes(buffer).splitlines(keepends=True):
                hh, row = line.split(b"\t", 1)
                per_household[hh.decode()].setdefault(table, bytearray()).extend(row)
    return columns, {h: {t: bytes(d) for t, d in tables.items()} for h, tables in per_household.items()}


def copy_sites(source: str, target: str) -> None:
    import psycopg

    with psycopg.connect(c.dsn(source)) as src, psycopg.connect(c.dsn(target)) as dst:
        data = bytearray()
        with src.cursor().copy("COPY sites TO STDOUT") as copy:
            for chunk in copy:
                data += chunk
        dst.execute("DELETE FROM sites")
        with dst.cursor().copy("COPY sites FROM STDIN") as copy:
            copy.write(bytes(data))
        dst.commit()


async def replay(
    database: str,
    columns: dict[str, str],
    groups: list[dict[str, bytes]],
    connections: int,
) -> float:
    """COPY each group (one transaction each) on ``connections`` connections; the seconds it took."""
    import psycopg

    conns = [await psycopg.AsyncConnection.connect(c.dsn(database)) for _ in range(connections)]
    queue: asyncio.Queue[dict[str, bytes]] = asyncio.Queue()
    for g in groups:
        queue.put_nowait(g)

    async def writer(conn: Any) -> None:
        while True:
            try:
                group = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            async with conn.transaction():
                cur = conn.cursor()
                for table in TABLES:
                    data = group.get(table)
                    if data:
                        async with cur.copy(f"COPY {table} ({columns[table]}) FROM STDIN") as copy:
                            await copy.write(data)

    t0 = time.perf_counter()
    await asyncio.gather(*(writer(conn) for conn in conns))
    elapsed = time.perf_counter() - t0
    for conn in conns:
        await conn.close()
    return elapsed


_UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def replicas(groups: list[dict[str, bytes]], n: int, keep: set[bytes]) -> list[dict[str, bytes]]:
    """``n`` copies of the households in ``groups`` (in a cycle), each with fresh identifiers: every
    UUID but the sites' is replaced, consistently within one copy (keys, foreign keys, the ids inside
    the history's JSON snapshots)."""
    out = []
    for i in range(n):
        fresh = _Renamer(keep)
        out.append({t: _UUID.sub(fresh, data) for t, data in groups[i % len(groups)].items()})
    return out


class _Renamer:
    """A new UUID for each UUID met (the same one each time it is met again), except those kept."""

    def __init__(self, keep: set[bytes]) -> None:
        self.keep = keep
        self.mapping: dict[bytes, bytes] = {}

    def __call__(self, m: re.Match[bytes]) -> bytes:
        old = m.group()
        if old in self.keep:
            return old
        new = self.mapping.get(old)
        if new is None:
            new = self.mapping[old] = str(new_id()).encode()
        return new


def batches(groups: list[dict[str, bytes]], size: int) -> list[dict[str, bytes]]:
    items = groups
    out = []
    for i in range(0, len(items), size):
        merged: dict[str, bytearray] = {}
        for group in items[i : i + size]:
            for table, data in group.items():
                merged.setdefault(table, bytearray()).extend(data)
        out.append({t: bytes(d) for t, d in merged.items()})
    return out


# ---------------------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database", default="sp_bench_reg", help="API database (recreated).")
    ap.add_argument("--floor-database", default="sp_bench_reg_floor", help="Floor database (recreated).")
    ap.add_argument("--clients", type=int, default=16, help="Concurrent clients (and floor connections).")
    ap.add_argument("--workers", type=int, default=2, help="uvicorn worker processes.")
    ap.add_argument(
        "--servers",
        type=int,
        default=0,
        help="Instead: this many single-worker uvicorn processes, the clients spread evenly over them.",
    )
    ap.add_argument("--duration", type=float, default=30.0, help="Seconds measured per repeat.")
    ap.add_argument("--warmup", type=float, default=5.0, help="Seconds of warm-up before each repeat.")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="Open loop: send this many households/s (at most --clients at once) instead of as fast as "
        "the clients go; shows the latency at a given load rather than at saturation.",
    )
    ap.add_argument("--pool", type=int, default=3000, help="Distinct household bodies (sent in a cycle).")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-idempotency-key", action="store_true", help="Send no Idempotency-Key header.")
    ap.add_argument(
        "--no-duplicate-check",
        action="store_true",
        help="POST /households?check_duplicates=false: registration without the possible-duplicate check.",
    )
    ap.add_argument("--http", default="auto", help="uvicorn --http (h11, httptools, auto).")
    ap.add_argument("--loop", default="auto", help="uvicorn --loop (asyncio, uvloop, auto).")
    ap.add_argument(
        "--src", help="Import safepassage from this src directory (a worktree), here and in the server."
    )
    ap.add_argument(
        "--server-path",
        action="append",
        default=[],
        help="Put this first on the server's PYTHONPATH (a worktree's src; repeatable).",
    )
    ap.add_argument("--floor-batch", type=int, default=200, help="Households per transaction, batched floor.")
    ap.add_argument("--floor-households", type=int, default=4000, help="Households replayed per floor.")
    ap.add_argument("--floor-sample", type=int, default=1000, help="API households whose rows are replayed.")
    ap.add_argument("--skip-floor", action="store_true")
    ap.add_argument("--hold", type=float, default=0.0, help="Keep the server up this long (for py-spy).")
    ap.add_argument("--json", type=Path, help="Also write the figures here as JSON.")
    args = ap.parse_args()

    print(f"machine: {c.machine_line()}")
    print(f"postgres: {c.pg_settings()}")
    print(f"population: {c.population_source()}")
    c.recreate_database(args.database)
    site_ids = c.ensure_sites(args.database)
    c.create_bench_user(args.database)
    if not args.skip_floor:
        c.recreate_database(args.floor_database)
        copy_sites(args.database, args.floor_database)
    t0 = time.perf_counter()
    bodies = make_bodies(args.pool, args.seed, site_ids)
    members = sum(m for _, m in bodies) / len(bodies)
    took = time.perf_counter() - t0
    print(f"{len(bodies)} household bodies, {members:.2f} persons each on average ({took:.1f} s)")

    api_runs: list[ApiResult] = []
    floors_tx: list[float] = []
    floors_batch: list[float] = []
    # the product's own switch (programs that leave the comparison to the batch linking run)
    path = "/api/v1/households" + ("?check_duplicates=false" if args.no_duplicate_check else "")
    # one var dir for every server: the field-encryption keys of the sites (made by whichever server
    # first seals a protection attribute at a site) are files there, and every server needs them
    shared_var = tempfile.TemporaryDirectory(prefix="sp-bench-var-")
    if args.no_duplicate_check:
        shape_note = ", without the possible-duplicate check"
    else:
        shape_note = ", with the possible-duplicate check"
    if args.servers:  # N single-worker servers, clients spread evenly: what a balancing proxy does
        servers = [
            c.Server(
                args.database,
                workers=1,
                http=args.http,
                loop=args.loop,
                pythonpath=args.server_path,
                var_dir=shared_var.name,
            )
            for _ in range(args.servers)
        ]
        shape = f"{args.servers} uvicorn processes of 1 worker, clients spread evenly"
    else:  # one uvicorn, N workers sharing its socket (the kernel hands each connection to one of them)
        servers = [
            c.Server(
                args.database,
                workers=args.workers,
                http=args.http,
                loop=args.loop,
                pythonpath=args.server_path,
                var_dir=shared_var.name,
            )
        ]
        shape = f"uvicorn --workers {args.workers}"
    with contextlib.ExitStack() as stack:
        stack.callback(shared_var.cleanup)
        for server in servers:
            stack.enter_context(server)
        urls = [server.base_url for server in servers]
        token = c.get_token(urls[0])
        pids = [pid for server in servers for pid in server.pids()]
        print(f"server: {shape}{shape_note} (--http {args.http} --loop {args.loop}), pids {pids}")
        cursor = 0
        idempotency = not args.no_idempotency_key
        for rep in range(args.repeats):
            warm = _drive(
                urls,
                token,
                bodies,
                cursor,
                args.clients,
                args.warmup,
                idempotency,
                None,
                None,
                args.rate,
                path=path,
            )
            _, cursor = asyncio.run(warm)
            meter = c.CpuMeter({"server": pids, "postgres": "postgres", "load generator": [c.os.getpid()]})
            probe = functools.partial(_spread, pids)
            run = _drive(
                urls,
                token,
                bodies,
                cursor,
                args.clients,
                args.duration,
                idempotency,
                meter,
                probe,
                args.rate,
                path=path,
            )
            result, cursor = asyncio.run(run)
            api_runs.append(result)
            print(f"[api {rep + 1}] {describe(result)}")
            if args.skip_floor:
                continue
            sample = result.household_ids[: args.floor_sample]
            columns, per_household = extract_rows(args.database, sample)
            rows = sum(d.count(b"\n") for g in per_household.values() for d in g.values())
            persons = sum(g["persons"].count(b"\n") for g in per_household.values())
            keep = {str(i).encode() for i in site_ids.values()}
            tx_part = replicas(list(per_household.values()), args.floor_households, keep)
            batch_part = replicas(list(per_household.values()), args.floor_households, keep)
            persons_tx = sum(g["persons"].count(b"\n") for g in tx_part)
            persons_batch = sum(g["persons"].count(b"\n") for g in batch_part)
            t_tx = asyncio.run(replay(args.floor_database, columns, tx_part, args.clients))
            t_batch = asyncio.run(
                replay(args.floor_database, columns, batches(batch_part, args.floor_batch), args.clients)
            )
            floors_tx.append(persons_tx / t_tx)
            floors_batch.append(persons_batch / t_batch)
            print(
                f"[floor {rep + 1}] rows of {len(per_household)} households the API wrote "
                f"({rows / max(persons, 1):.1f} rows per person), replayed as {args.floor_households} "
                f"households with fresh ids; COPY one "
                f"transaction per household: {persons_tx / t_tx:.0f} persons/s; COPY {args.floor_batch} "
                f"households per transaction: {persons_batch / t_batch:.0f} persons/s"
            )
        if args.hold:
            print(f"holding the server for {args.hold:.0f} s (pids {pids})")
            time.sleep(args.hold)

    rate = c.median([r.persons_per_s for r in api_runs])
    hh = c.median([r.households_per_s for r in api_runs])
    p50 = c.median([c.percentile(r.latencies, 50) for r in api_runs])
    p99 = c.median([c.percentile(r.latencies, 99) for r in api_runs])
    pp50 = c.median([c.percentile(r.per_person, 50) for r in api_runs])
    pp99 = c.median([c.percentile(r.per_person, 99) for r in api_runs])
    cores = {k: c.median([r.cores[k] for r in api_runs]) for k in api_runs[0].cores}
    cpu_ms = {k: c.median([r.cpu_ms_per_household()[k] for r in api_runs]) for k in api_runs[0].cores}
    print()
    load = f"open loop, {args.rate:g} households/s" if args.rate else "closed loop"
    what = f"{args.repeats} x {args.duration:.0f} s, {args.clients} clients ({load})"
    print(f"== registration, medians of {what} ==")
    head = ("persons/s", "households/s", "req p50 ms", "req p99 ms", "person p50", "person p99")
    print(f"{'':40}" + "".join(f"{h:>13}" for h in head))
    api = (
        f"API ({args.servers} x 1 worker, balanced)"
        if args.servers
        else f"API (uvicorn, {args.workers} workers)"
    )
    cells = (
        f"{rate:.0f}",
        f"{hh:.0f}",
        f"{p50 * 1e3:.1f}",
        f"{p99 * 1e3:.1f}",
        f"{pp50 * 1e3:.2f}",
        f"{pp99 * 1e3:.2f}",
    )
    print(f"{api:40}" + "".join(f"{x:>13}" for x in cells))
    figures: dict[str, Any] = {
        "api_persons_per_s": rate,
        "api_households_per_s": hh,
        "request_p50_ms": p50 * 1e3,
        "request_p99_ms": p99 * 1e3,
        "person_p50_ms": pp50 * 1e3,
        "person_p99_ms": pp99 * 1e3,
        "cores": cores,
        "cpu_ms_per_household": cpu_ms,
        "runs": [r.persons_per_s for r in api_runs],
        "errors": [r.errors for r in api_runs],
    }
    if not args.skip_floor:
        ftx, fb = c.median(floors_tx), c.median(floors_batch)
        print(f"{'floor: COPY, 1 transaction/household':40}{ftx:>13.0f}")
        print(f"{'floor: COPY, ' + str(args.floor_batch) + ' households/transaction':40}{fb:>13.0f}")
        print(f"API / floor (1 transaction per household): {rate / ftx:.1%}; (batched): {rate / fb:.1%}")
        figures.update(floor_tx=ftx, floor_batch=fb, share_tx=rate / ftx, share_batch=rate / fb)
    print("cores busy (2 = the whole machine): " + ", ".join(f"{k} {v:.2f}" for k, v in cores.items()))
    print("CPU ms per household: " + ", ".join(f"{k} {v:.1f}" for k, v in cpu_ms.items() if k != "machine"))
    verdict = {True: "met", False: "NOT met"}
    print(f"target >= {TARGET_RATE:.0f} persons/s: {verdict[rate >= TARGET_RATE]} ({rate:.0f})")
    limit = f"{TARGET_P99 * 1e3:.0f} ms"
    print(f"target p99 <= {limit} per request: {verdict[p99 <= TARGET_P99]} ({p99 * 1e3:.1f} ms)")
    if not args.skip_floor:
        share = rate / c.median(floors_batch)
        print(
            f"target >= {TARGET_SHARE:.0%} of the floor (batched COPY): {verdict[share >= TARGET_SHARE]} "
            f"({share:.1%}); of the per-household floor: {rate / c.median(floors_tx):.1%}"
        )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
