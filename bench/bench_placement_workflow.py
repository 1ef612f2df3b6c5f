"""Placement runs in the background: what a request costs now, what the run costs, and how the review
page answers while a run works.

On a fresh SQLite database: the demo's sites and N synthetic households (the demo generator), the
demo's regions (sized for them), a synthetic history of 3,000 past placements, and synthetic consent
to resettlement for about nine households in ten (``placement.demo``). Then, measured in one process:

- ``POST /api/v1/placement/runs`` (through the ASGI app in process): the answer's time and status (202,
  the run queued): what the officer waits for now;
- the run itself on the worker thread: the time of each stage (reading, training, solving, storing)
  and in all: what the request used to block for when runs were synchronous;
- ``GET /placement?run=...`` (the page that follows the run) while the run works and afterwards, idle:
  median and 95th percentile.

    flock /tmp/sp-bench.lock .venv/bin/python bench/bench_placement_workflow.py --households 2000

Exit code 0 always; nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path

from _common import BENCH_PASSWORD, machine_line  # type: ignore[import-not-found]
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select

from safepassage import migrate
from safepassage.app import create_app
from safepassage.bootstrap import bootstrap
from safepassage.config import Settings
from safepassage.demo.loader import load_demo
from safepassage.placement import queries, runs
from safepassage.placement.models import RunStatus
from safepassage.registry.models import Site
from safepassage.security import services as security
from safepassage.security.policy import SYSTEM, Actor, Role


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--households", type=int, default=2000)
    ap.add_argument("--time-limit", type=float, default=60.0)
    args = ap.parse_args()
    print(machine_line())
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        engine = create_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        settings = Settings(database_url=url, var_dir=Path(folder) / "var", secret_key="bench-" + "x" * 40)
        container = bootstrap(settings)
        started = time.perf_counter()
        load_demo(container, households=args.households, seed=7, actor=SYSTEM)
        print(
            f"set-up: {args.households} households, regions, history, consent "
            f"in {time.perf_counter() - started:.0f} s"
        )
        with container.uow() as uow:
            site_ids = list(uow.session.scalars(select(Site.id)))
        security.create_user(
            container.uow(),
            username="bench_placement",
            role=Role.PLACEMENT_OFFICER,  # every site: the whole demo is planned in one run
            password=BENCH_PASSWORD,
            site_ids=site_ids,
            actor=Actor(username="bench", role=Role.ADMINISTRATOR),
        )
        client = TestClient(create_app(container))
        token = client.post(
            "/api/v1/tokens",
            json={"username": "bench_placement", "password": BENCH_PASSWORD, "name": "bench"},
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}

        t0 = time.perf_counter()
        answer = client.post("/api/v1/placement/runs", json={"time_limit": args.time_limit}, headers=headers)
        request_s = time.perf_counter() - t0
        run_id = uuid.UUID(answer.json()["id"])
        print(
            f"POST /runs: {answer.status_code} in {request_s * 1000:.0f} ms "
            f"(status {answer.json()['status']})"
        )

        stages: dict[str, float] = {}
        busy: list[float] = []
        done = threading.Event()

        def watch() -> None:
            while not done.is_set():
                run = queries.get_run(container.uow(), run_id, actor=SYSTEM)
                stages.setdefault(run.stage, time.perf_counter())
                if run.status in (RunStatus.DONE, RunStatus.FAILED):
                    done.set()
                time.sleep(0.05)

        watcher = threading.Thread(target=watch)
        watcher.start()
        while not done.is_set():
            t = time.perf_counter()
            client.get(f"/api/v1/placement/runs/{run_id}", headers=headers)
            busy.append(time.perf_counter() - t)
            time.sleep(0.2)
        watcher.join()
        runs.WORKER.wait(run_id)
        run = queries.get_run(container.uow(), run_id, actor=SYSTEM)
        idle = []
        for _ in range(max(len(busy), 20)):
            t = time.perf_counter()
            client.get(f"/api/v1/placement/runs/{run_id}", headers=headers)
            idle.append(time.perf_counter() - t)
        order = sorted(stages.items(), key=lambda kv: kv[1])
        print(
            f"run {run.status.value}: {run.households} households proposed, {run.not_eligible} not eligible, "
            f"{run.placed_households} placed, gap {run.gap}, solver {run.seconds:.1f} s"
        )
        print("stage durations (first seen by a 50 ms poll):")
        for (stage, at), (_, nxt) in zip(order, [*order[1:], ("end", order[-1][1])], strict=True):
            print(f"  {stage:<10} {nxt - at:7.2f} s")
        total = order[-1][1] - t0
        print(f"run in all (queue to done): {total:.1f} s; the request answered in {request_s * 1000:.0f} ms")
        print(
            f"GET /runs/{{id}} while the run works: median {statistics.median(busy) * 1000:.0f} ms, "
            f"p95 {_p95(busy) * 1000:.0f} ms ({len(busy)} requests)"
        )
        print(
            f"GET /runs/{{id}} idle, afterwards:   median {statistics.median(idle) * 1000:.0f} ms, "
            f"p95 {_p95(idle) * 1000:.0f} ms ({len(idle)} requests)"
        )
        client.close()
        container.dispose()


if __name__ == "__main__":
    main()
