"""Benchmark of the bulk import: rows/s and peak memory beside a plain csv read of the same file.

    .venv/bin/python bench/bench_import.py                     # 100k and 1M rows, SQLite
    .venv/bin/python bench/bench_import.py --rows 100000 --repeat 3
    SAFEPASSAGE_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python bench/bench_import.py                 # and PostgreSQL (a scratch database
                                                               # is created beside the one named)

Generates synthetic partner lists under /tmp/sp_bench (fixed seed; Arabic, Cyrillic and Latin
names; households of 1 to 7 persons, the head first), then for each size: the plain read (csv module
over every row) and the import into a fresh, migrated database, each in its own process so that peak
RSS (ru_maxrss) belongs to that run alone. Prints figures and ratios; medians where repeated.
Nothing is written to RESULTS.md: copy the figures there by hand.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

OUT = Path(tempfile.gettempdir()) / "sp_bench"
SEED = 20261122
TARGET_ROWS_PER_S = 20_000
HEADER = [
    "source_id", "household", "relationship", "given_name", "father_name", "family_name", "sex",
    "birth_date", "nationality", "languages", "phone", "needs", "document_type", "document_number",
    "consent_registration", "consent_method",
]  # fmt: skip
ARABIC_GIVEN = [
    "محمد",
    "أحمد",
    "علي",
    "حسن",
    "حسين",
    "عمر",
    "خالد",
    "يوسف",
    "إبراهيم",
    "مصطفى",
    "سامر",
    "رامي",
    "طارق",
    "زياد",
    "باسل",
    "فاطمة",
    "مريم",
    "عائشة",
    "زينب",
    "نور",
    "هدى",
    "سارة",
    "ليلى",
    "رنا",
    "دانة",
]
ARABIC_FAMILY = [
    "الحلبي",
    "الشامي",
    "الحسن",
    "العلي",
    "النجار",
    "الخطيب",
    "الأحمد",
    "السيد",
    "الحمصي",
    "الإدلبي",
    "الدمشقي",
    "العمر",
    "الخليل",
    "الزعبي",
]
CYRILLIC_GIVEN = [
    "Иван",
    "Сергей",
    "Алексей",
    "Дмитрий",
    "Андрей",
    "Николай",
    "Михаил",
    "Павел",
    "Ольга",
    "Наталья",
    "Елена",
    "Татьяна",
    "Анна",
    "Мария",
    "Ирина",
    "Светлана",
]
CYRILLIC_FAMILY = [
    "Иванов",
    "Петров",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Соколов",
    "Лебедев",
    "Козлов",
    "Новиков",
    "Морозов",
    "Волков",
    "Фёдоров",
]
LATIN_GIVEN = [
    "John",
    "Ahmad",
    "Mohammed",
    "Anna",
    "Maria",
    "Peter",
    "Sara",
    "Omar",
    "Leila",
    "Daniel",
    "Lucas",
    "Emma",
    "Yusuf",
    "Nadia",
]
LATIN_FAMILY = [
    "Smith",
    "Haddad",
    "Khoury",
    "Nassar",
    "Haddad",
    "Saleh",
    "Mansour",
    "Brown",
    "Wilson",
    "Taylor",
    "Aziz",
    "Karam",
]
RELATIONS = ["spouse", "child", "child", "child", "parent", "sibling", "other_relative"]
NEEDS = ["", "", "", "", "SM", "DS", "ER", "CR", "SM;DS", "PG"]


def phone(rng: random.Random) -> str:
    return f"+9639{rng.choice((3, 4, 5, 6, 8, 9))}{rng.randint(0, 9)}{rng.randint(0, 999999):06d}"


def generate(rows: int) -> Path:
    """A synthetic partner list of ``rows`` persons (cached: same seed, same file)."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"persons_{rows}.csv"
    if path.exists():
        return path
    rng = random.Random(SEED)
    tmp = path.with_suffix(".part")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        written = household = 0
        while written < rows:
            household += 1
            script = rng.choice(("ar", "ar", "ru", "lat"))
            given, family, nationality, lang = {
                "ar": (ARABIC_GIVEN, ARABIC_FAMILY, "SY", "ar"),
                "ru": (CYRILLIC_GIVEN, CYRILLIC_FAMILY, "RU", "ru"),
                "lat": (LATIN_GIVEN, LATIN_FAMILY, "LB", "en;ar"),
            }[script]
            surname = rng.choice(family)
            for member in range(min(rng.randint(1, 7), rows - written)):
                year = rng.randint(1940, 2004) if member == 0 else rng.randint(1950, 2024)
                written += 1
                writer.writerow(
                    [
                        f"P{written:08d}",
                        f"H{household:07d}",
                        "head" if member == 0 else rng.choice(RELATIONS),
                        rng.choice(given),
                        rng.choice(given),
                        surname,
                        rng.choice("FM"),
                        rng.choice(
                            (
                                f"{year}",
                                f"{year}-{rng.randint(1, 12):02d}",
                                f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{year}",
                            )
                        ),
                        nationality,
                        lang,
                        phone(rng) if member == 0 else "",
                        rng.choice(NEEDS),
                        "passport" if member == 0 else "",
                        f"N{rng.randint(0, 99_999_999):08d}" if member == 0 else "",
                        "yes",
                        "signed",
                    ]
                )
    tmp.replace(path)
    return path


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def child_plain(path: Path) -> dict[str, float]:
    start = time.perf_counter()
    count = 0
    with path.open(encoding="utf-8", newline="") as handle:
        for _ in csv.reader(handle):
            count += 1
    return {"seconds": time.perf_counter() - start, "rows": count - 1, "peak_rss_mb": peak_rss_mb()}


def child_import(path: Path, database_url: str) -> dict[str, float]:
    from safepassage import migrate
    from safepassage.bootstrap import bootstrap
    from safepassage.config import Settings
    from safepassage.registry import schemas, services
    from safepassage.registry.importing import import_file
    from safepassage.security.policy import SYSTEM

    container = bootstrap(Settings(database_url=database_url))
    migrate.upgrade(container.engine)
    site = services.create_site(
        container.uow(),
        schemas.SiteCreate(code="BENCH", name="Bench", kind="shelter", country="SY"),
        actor=SYSTEM,
    )
    rss_before = peak_rss_mb()
    cpu = time.process_time()
    start = time.perf_counter()
    report = import_file(
        container.uow(),
        path,
        actor=SYSTEM,
        site_id=site,
        rejects_path=OUT / "bench.rejects.csv",
        batch_size=container.settings.import_batch_size,
    )
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    container.dispose()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "worker_cpu_seconds": children.ru_utime + children.ru_stime,
        "worker_peak_rss_mb": children.ru_maxrss / 1024,
        "rows": report.rows_read,
        "created": report.persons_created,
        "rejected": report.rows_rejected,
        "peak_rss_mb": peak_rss_mb(),
        "rss_before_mb": rss_before,
    }


def scratch_database(kind: str, rows: int) -> tuple[str, object]:
    """A fresh database URL and a function that drops it."""
    if kind == "sqlite":
        path = OUT / f"bench_{rows}_{uuid.uuid4().hex[:6]}.db"
        return f"sqlite:///{path}", lambda: [p.unlink(missing_ok=True) for p in OUT.glob(path.name + "*")]
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(os.environ["SAFEPASSAGE_BENCH_DATABASE_URL"])
    name = f"sp_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return base.set(database=name).render_as_string(hide_password=False), drop


def run_child(*args: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=1, help="runs per size (medians are printed)")
    parser.add_argument("--child", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        kind, path = args.child[0], Path(args.child[1])
        result = child_plain(path) if kind == "plain" else child_import(path, args.child[2])
        print(json.dumps(result))
        return
    summary: dict[str, list[tuple[int, float, float]]] = {}
    backends = ["sqlite"] + (["postgresql"] if os.environ.get("SAFEPASSAGE_BENCH_DATABASE_URL") else [])
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, repeat={args.repeat}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for rows in args.rows:
        path = generate(rows)
        size_mb = path.stat().st_size / 1e6
        plain = [run_child("plain", str(path)) for _ in range(args.repeat)]
        plain_s = statistics.median(p["seconds"] for p in plain)
        plain_rss = statistics.median(p["peak_rss_mb"] for p in plain)
        print(f"\n{rows:,} rows ({size_mb:.0f} MB)")
        rate = rows / plain_s
        print(f"  plain csv read   {plain_s:7.2f} s  {rate:12,.0f} rows/s  peak RSS {plain_rss:6.0f} MB")
        for backend in backends:
            runs = []
            for _ in range(args.repeat):
                url, drop = scratch_database(backend, rows)
                try:
                    runs.append(run_child("import", str(path), url))
                finally:
                    drop()  # type: ignore[operator]
            seconds = statistics.median(r["seconds"] for r in runs)
            rss = statistics.median(r["peak_rss_mb"] for r in runs)
            base = statistics.median(r["rss_before_mb"] for r in runs)
            worker_rss = statistics.median(r["worker_peak_rss_mb"] for r in runs)
            cpu = statistics.median(r["cpu_seconds"] for r in runs)
            worker_cpu = statistics.median(r["worker_cpu_seconds"] for r in runs)
            created = runs[0]["created"]
            summary.setdefault(backend, []).append((rows, rows / seconds, rss))
            print(
                f"  import {backend:<10}{seconds:7.2f} s  {rows / seconds:12,.0f} rows/s"
                f"  ({seconds / plain_s:.0f}x the plain read's time)"
            )
            print(
                f"      peak RSS: writer {rss:.0f} MB (before the import {base:.0f} MB), reader worker"
                f" {worker_rss:.0f} MB; CPU: writer {cpu:.1f} s, worker {worker_cpu:.1f} s;"
                f" created {created:,.0f}, rejected {runs[0]['rejected']:,.0f}"
            )
    verdict(summary)


def verdict(summary: dict[str, list[tuple[int, float, float]]]) -> None:
    print()
    for backend, results in summary.items():
        rows, rate, _ = max(results)
        met = "met" if rate >= TARGET_ROWS_PER_S else "NOT met"
        print(f"{backend}: {rate:,.0f} rows/s at {rows:,} rows; target >= {TARGET_ROWS_PER_S:,} rows/s {met}")
        if len(results) > 1:
            (small, _, rss_small), (large, _, rss_large) = min(results), max(results)
            print(
                f"  peak RSS (writer) {rss_small:.0f} MB at {small:,} rows, {rss_large:.0f} MB at {large:,}"
                f" rows: x{rss_large / rss_small:.2f} for x{large / small:.0f} rows"
            )


if __name__ == "__main__":
    main()
