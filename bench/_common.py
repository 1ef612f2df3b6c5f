"""Helpers shared by the benchmarks: databases, a real uvicorn server in a subprocess, a token, a
synthetic population, CPU accounting and percentiles.

Nothing here is imported by the application; the server subprocess imports ``app_factory`` from this
module (``uvicorn --factory _common:app_factory``), which builds the app exactly as ``safepassage
serve`` does, from ``SAFEPASSAGE_*`` environment variables.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

BENCH_DIR = Path(__file__).resolve().parent


def use_src_from_argv() -> None:
    """``--src DIR`` on the command line: import safepassage from DIR (a worktree's src), in this
    process and in the server it starts. Call before anything imports safepassage."""
    if "--src" in sys.argv:
        src = str(Path(sys.argv[sys.argv.index("--src") + 1]).resolve())
        sys.path.insert(0, src)
        os.environ["PYTHONPATH"] = os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])


ROOT = BENCH_DIR.parent
PG_HOST = os.environ.get("SP_BENCH_PGHOST", "127.0.0.1")
PG_PORT = int(os.environ.get("SP_BENCH_PGPORT", "5432"))
PG_USER = os.environ.get("SP_BENCH_PGUSER", "postgres")
BENCH_PASSWORD = "bench-password-not-secret"  # noqa: S105 - a throwaway account in a throwaway database


# ---------------------------------------------------------------------------------------------------
# Databases


def sa_url(database: str) -> str:
    return f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}"


def dsn(database: str) -> str:
    return f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname={database}"


def _admin() -> Any:
    import psycopg

    return psycopg.connect(dsn("postgres"), autocommit=True)


def database_exists(name: str) -> bool:
    with _admin() as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def recreate_database(name: str) -> None:
    """Drop ``name`` if it exists, create it empty and migrate it to the project's head revision."""
    from sqlalchemy import create_engine

    from safepassage import migrate

    with _admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    engine = create_engine(sa_url(name))
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()


def pg_settings() -> dict[str, str]:
    import psycopg

    with psycopg.connect(dsn("postgres")) as conn:
        rows = conn.execute(
            "SELECT name, setting || coalesce(unit, '') FROM pg_settings WHERE name IN "
            "('shared_buffers', 'synchronous_commit', 'fsync', 'max_connections', 'work_mem', "
            "'effective_cache_size', 'wal_level', 'max_wal_size', 'server_version')"
        ).fetchall()
    return dict(rows)


# ---------------------------------------------------------------------------------------------------
# The application server


def app_factory() -> Any:
    """``uvicorn --factory _common:app_factory``: the app as ``safepassage serve`` builds it."""
    try:
        from safepassage.app import create_app
    except ImportError:  # before the app module moved out of the api package
        from safepassage.api.app import create_app  # type: ignore[no-redef]
    from safepassage.bootstrap import bootstrap

    return create_app(bootstrap())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A real uvicorn process (``workers`` worker processes) serving the app on 127.0.0.1."""

    database: str
    workers: int = 1
    http: str = "auto"  # h11, httptools, auto
    loop: str = "auto"  # asyncio, uvloop, auto
    pythonpath: Sequence[str] = ()  # put first on the server's path (a worktree's src, extra packages)
    env: Mapping[str, str] = field(default_factory=dict)
    var_dir: str | None = None  # SAFEPASSAGE_VAR_DIR; servers of one benchmark share it (site keys)
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    _tmp: tempfile.TemporaryDirectory[str] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        self._tmp = tempfile.TemporaryDirectory(prefix="sp-bench-")
        self.port = self.port or free_port()
        env = dict(os.environ)
        env.update(
            SAFEPASSAGE_DATABASE_URL=sa_url(self.database),
            SAFEPASSAGE_SECRET_KEY="bench-secret-key-" + "x" * 32,
            SAFEPASSAGE_VAR_DIR=self.var_dir or self._tmp.name,
            SAFEPASSAGE_LOG_LEVEL="WARNING",
            PYTHONPATH=os.pathsep.join([*self.pythonpath, str(BENCH_DIR), env.get("PYTHONPATH", "")]),
        )
        env.update(self.env)
        cmd = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "_common:app_factory",
            "--app-dir",
            str(BENCH_DIR),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--http",
            self.http,
            "--loop",
            self.loop,
            "--no-access-log",
            "--log-level",
            "warning",
        ]
        self.process = subprocess.Popen(cmd, env=env, cwd=self._tmp.name)
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 60.0) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        ready = 0
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with code {self.process.returncode}")
            try:
                # an unauthenticated request: 401 proves the app (and every worker, eventually) is up
                httpx.get(self.base_url + "/api/v1/sites", timeout=2.0)
                ready += 1
                if ready >= 3 * self.workers:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("the server did not come up")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._tmp is not None:
            self._tmp.cleanup()

    def pids(self) -> list[int]:
        assert self.process is not None
        proc = psutil.Process(self.process.pid)
        return [proc.pid, *(c.pid for c in proc.children(recursive=True))]


def create_bench_user(database: str, username: str = "bench_clerk") -> None:
    """A registration clerk (registry read and write, no second factor: a field tablet's account)
    working for every site in ``database``, made through the service. Supervisors need a TOTP code
    since the protection issue, which a token request from a script does not carry."""
    from sqlalchemy import select

    from safepassage.bootstrap import bootstrap
    from safepassage.config import Settings
    from safepassage.registry.models import Site
    from safepassage.security import services as security
    from safepassage.security.policy import Actor, Role
    from safepassage.shared.errors import Conflict

    container = bootstrap(Settings(database_url=sa_url(database)))
    try:
        with container.uow() as uow:
            site_ids = list(uow.session.scalars(select(Site.id)))
        security.create_user(
            container.uow(),
            username=username,
            role=Role.REGISTRATION_CLERK,
            password=BENCH_PASSWORD,
            site_ids=site_ids,
            actor=Actor(username="bench", role=Role.ADMINISTRATOR),
        )
    except Conflict:
        pass  # exists already (a reused database)
    finally:
        container.dispose()


def get_token(base_url: str, username: str = "bench_clerk") -> str:
    """A bearer token from POST /api/v1/tokens, as a partner's script gets one."""
    import httpx

    r = httpx.post(
        base_url + "/api/v1/tokens",
        json={"username": username, "password": BENCH_PASSWORD, "name": "bench"},
        timeout=30,
    )
    r.raise_for_status()
    return str(r.json()["access_token"])


def ensure_sites(database: str) -> dict[str, uuid.UUID]:
    """The demo sites (created through the service when missing): code -> id."""
    from sqlalchemy import select

    from safepassage.bootstrap import bootstrap
    from safepassage.config import Settings
    from safepassage.registry import services
    from safepassage.registry.models import Site
    from safepassage.security.policy import Actor, Role

    container = bootstrap(Settings(database_url=sa_url(database)))
    actor = Actor(username="bench", role=Role.ADMINISTRATOR)
    try:
        with container.uow() as uow:
            have = dict(uow.session.execute(select(Site.code, Site.id)).tuples().all())
        for site in site_definitions():
            if site.code not in have:
                have[site.code] = services.create_site(container.uow(), site, actor=actor)
        return have
    finally:
        container.dispose()


# ---------------------------------------------------------------------------------------------------
# Synthetic population (the demo generator when it is there, else a small one of our own)


def site_definitions() -> list[Any]:
    try:
        from safepassage.demo.generator import generate_sites

        return list(generate_sites())
    except ImportError:
        from safepassage.registry.schemas import SiteCreate

        return [
            SiteCreate(code=c, name=c, kind=k, country="SY", bed_capacity=1000)
            for c, k in (("DAM-AP", "assembly_point"), ("ALP-AP", "assembly_point"), ("LTK-AB", "airbase"))
        ]


def population_source() -> str:
    try:
        from safepassage.demo.generator import generate_households  # noqa: F401

        return "safepassage.demo.generator.generate_households"
    except ImportError:
        return "bench/_common.py fallback generator (the demo generator was not importable)"


def households(n: int, seed: int, site_ids: Mapping[str, uuid.UUID], today: dt.date) -> Iterator[Any]:
    """``n`` synthetic ``HouseholdCreate`` commands."""
    try:
        from safepassage.demo.generator import generate_households
    except ImportError:
        yield from _fallback_households(n, seed, site_ids, today)
        return
    yield from generate_households(n, seed, site_ids, today)


_FALLBACK_MALE = (
    ("محمد", "Мухаммед", "Mohammed"), ("أحمد", "Ахмед", "Ahmed"), ("علي", "Али", "Ali"),
    ("حسن", "Хасан", "Hassan"), ("خالد", "Халид", "Khaled"), ("عمر", "Омар", "Omar"),
    ("يوسف", "Юсуф", "Youssef"), ("سامر", "Самер", "Samer"), ("باسل", "Басиль", "Bassel"),
)  # fmt: skip
_FALLBACK_FEMALE = (
    ("فاطمة", "Фатима", "Fatima"), ("مريم", "Марьям", "Maryam"), ("ليلى", "Лейла", "Layla"),
    ("ناتاليا", "Наталья", "Natalia"), ("إيلينا", "Елена", "Elena"), ("أولغا", "Ольга", "Olga"),
)  # fmt: skip
_FALLBACK_FAMILY = (
    ("الحسن", "Аль-Хасан", "Al-Hassan"), ("الأحمد", "Аль-Ахмад", "Al-Ahmad"), ("خوري", "Хури", "Khoury"),
    ("إيفانوف", "Иванов", "Ivanov"), ("بيتروف", "Петров", "Petrov"), ("حداد", "Хаддад", "Haddad"),
    ("الشامي", "Аш-Шами", "Al-Shami"), ("سميرنوف", "Смирнов", "Smirnov"), ("كوزمين", "Кузьмин", "Kuzmin"),
)  # fmt: skip


def _fallback_households(
    n: int, seed: int, site_ids: Mapping[str, uuid.UUID], today: dt.date
) -> Iterator[Any]:
    from safepassage.registry.schemas import HouseholdCreate

    rng = random.Random(seed)
    sites = sorted(site_ids.values())
    for _ in range(n):
        family = rng.choice(_FALLBACK_FAMILY)
        members = []
        for i in range(rng.choice((1, 2, 3, 3, 4, 4, 5, 6))):
            female = rng.random() < 0.5
            given = rng.choice(_FALLBACK_FEMALE if female else _FALLBACK_MALE)
            script = rng.randrange(3)
            year = today.year - (rng.randint(25, 60) if i < 2 else rng.randint(0, 20))
            member: dict[str, Any] = {
                "given_name": given[script],
                "family_name": family[script],
                "father_name": rng.choice(_FALLBACK_MALE)[script],
                "other_spellings": [{"part": "given", "text": given[(script + 1) % 3]}],
                "sex": "female" if female else "male",
                "birth_date": {"value": f"{year:04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"},
                "nationalities": ["SY"],
                "languages": ["ara"],
                "relationship_to_head": "head" if i == 0 else ("spouse" if i == 1 else "child"),
                "documents": [
                    {"type": "passport", "number": f"N{rng.randrange(10**8):08d}", "issuing_country": "SY"}
                ],
                "phones": [f"+9639{rng.choice('345689')}{rng.randrange(10**7):07d}"] if i < 2 else [],
                "consents": [{"purpose": "registration", "method": "signed"}] if i == 0 else [],
            }
            members.append(member)
        yield HouseholdCreate.model_validate(
            {"site_id": str(rng.choice(sites)), "category": "citizen", "intention": "leave_now",
             "members": members}
        )  # fmt: skip


# ---------------------------------------------------------------------------------------------------
# Measuring


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0-100), nearest-rank on sorted values; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


class CpuMeter:
    """CPU seconds used by groups of processes between ``start()`` and ``stop()``."""

    def __init__(self, groups: Mapping[str, Sequence[int] | str]) -> None:
        # a group is a list of pids, or "postgres" for every PostgreSQL process on the machine
        self.groups = groups
        self._start: dict[str, float] = {}
        self.wall = 0.0
        self.used: dict[str, float] = {}

    def _pids(self, group: Sequence[int] | str) -> list[int]:
        if group == "postgres":
            return [
                p.pid for p in psutil.process_iter(["name"]) if (p.info["name"] or "").startswith("postgres")
            ]
        return list(group)

    def _sample(self) -> dict[str, float]:
        t = psutil.cpu_times()
        out: dict[str, float] = {
            "machine": t.user + t.system + t.nice + getattr(t, "irq", 0) + getattr(t, "softirq", 0)
        }
        for name, group in self.groups.items():
            total = 0.0
            for pid in self._pids(group):
                with contextlib.suppress(psutil.Error):
                    t = psutil.Process(pid).cpu_times()
                    total += t.user + t.system
            out[name] = total
        return out

    def start(self) -> None:
        self._t0 = time.perf_counter()
        self._start = self._sample()

    def stop(self) -> None:
        end = self._sample()
        self.wall = time.perf_counter() - self._t0
        self.used = {k: end[k] - self._start.get(k, 0.0) for k in end}

    def cores(self) -> dict[str, float]:
        """Average cores busy per group over the interval (2.0 = both cores of this machine)."""
        return {k: v / self.wall for k, v in self.used.items()} if self.wall else {}


def machine_line() -> str:
    freq = psutil.cpu_freq()
    cpu = platform.processor() or platform.machine()
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = psutil.virtual_memory().total / 2**30
    return (
        f"{psutil.cpu_count()} cores ({model or cpu}{f', {freq.max:.0f} MHz' if freq and freq.max else ''}), "
        f"{mem:.0f} GiB RAM, {platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"
