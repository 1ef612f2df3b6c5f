"""Runs in the background: queued, then running with a stage and progress, then done or failed with a
message the officer can act on (never a 500, never a traceback); the page follows the run and refreshes
itself until it is finished; a run left behind by a stopped server is marked interrupted."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from safepassage.bootstrap import Container
from safepassage.placement import queries, runs, services
from safepassage.placement.engine import GreedySolver
from safepassage.placement.models import PlacementRun, RunStatus
from safepassage.placement.schemas import RunCreate
from safepassage.security.policy import SYSTEM, Actor, Role
from tests.conftest import web_sign_in
from tests.integration.test_placement_workflow import (
    audit_actions,
    regions_csv,
    register,
    set_up_regions_and_history,
)

pytestmark = pytest.mark.db

BASE = "/api/v1/placement"


@pytest.fixture
def officer(make_user: Callable[..., Actor], site_id: uuid.UUID) -> Actor:
    return make_user("placement_aleppo", Role.PLACEMENT_OFFICER, sites=[site_id])


@pytest.fixture
def officer_client(app_client: TestClient, container: Container, officer: Actor) -> TestClient:
    assert web_sign_in(app_client, container, officer.username).status_code == 303
    return app_client


class BrokenSolver:
    """A solver that fails as a bug would."""

    name = "broken"

    def solve(self, problem: Any, *, time_limit: float, gap_target: float) -> Any:
        raise RuntimeError("index 7 is out of bounds for axis 0")


@dataclass(frozen=True)
class WhereSolver:
    """Greedy, and writes the number of the process that solved into a file."""

    path: str
    name: str = "where"

    def solve(self, problem: Any, *, time_limit: float, gap_target: float) -> Any:
        Path(self.path).write_text(str(os.getpid()))
        return GreedySolver().solve(problem, time_limit=time_limit, gap_target=gap_target)


def test_the_worker_computes_in_a_child_process_and_the_cli_path_in_its_own(
    container, site_id, officer, tmp_path
):
    set_up_regions_and_history(container)
    register(container, site_id)
    where = tmp_path / "pid"
    run_id = runs.start_run(
        container.uow, RunCreate(time_limit=5), actor=officer, solver=WhereSolver(str(where))
    )
    assert runs.WORKER.wait(run_id, timeout=120)
    run = queries.get_run(container.uow(), run_id, actor=officer)
    assert run.status is RunStatus.DONE, run.error
    assert int(where.read_text()) != os.getpid()  # the server's GIL stays free for its requests
    assert queries.list_proposals(container.uow(), run_id=run_id, actor=officer)  # stored by the worker
    where.unlink()
    register(container, site_id)
    again = runs.run_placement(
        container.uow(), RunCreate(time_limit=5), actor=officer, solver=WhereSolver(str(where))
    )
    assert int(where.read_text()) == os.getpid()
    assert queries.get_run(container.uow(), again, actor=officer).status is RunStatus.DONE


def test_a_run_without_history_fails_with_its_reason_and_no_500(
    app_client, api_as, officer, container, site_id
):
    services.import_regions(container.uow(), regions_csv(), actor=SYSTEM)  # regions, but no history
    register(container, site_id)
    clerk = api_as(officer)
    r = app_client.post(f"{BASE}/runs", json={"time_limit": 5}, headers=clerk)
    assert r.status_code == 202, r.text
    run_id = r.json()["id"]
    assert runs.WORKER.wait(uuid.UUID(run_id), timeout=120)
    run = app_client.get(f"{BASE}/runs/{run_id}", headers=clerk)
    assert run.status_code == 200
    body = run.json()
    assert body["status"] == "failed" and body["finished_at"] is not None
    assert "history" in body["error"] and body["progress"] < 1.0
    assert app_client.get(f"{BASE}/proposals", params={"run_id": run_id}, headers=clerk).json() == []
    failed = audit_actions(container, "placement.run.failed")
    assert [e.details["error"] for e in failed] == [body["error"]]


def test_an_unexpected_failure_is_recorded_with_a_reference_not_the_detail(
    container, site_id, officer, caplog
):
    set_up_regions_and_history(container)
    register(container, site_id)
    with caplog.at_level(logging.ERROR, logger="safepassage.placement.runs"):
        run_id = runs.start_run(container.uow, RunCreate(time_limit=5), actor=officer, solver=BrokenSolver())
        assert runs.WORKER.wait(run_id, timeout=120)
    run = queries.get_run(container.uow(), run_id, actor=officer)
    assert run.status is RunStatus.FAILED and run.stage == "solving"
    assert run.error is not None and "reference" in run.error
    assert "out of bounds" not in run.error  # the detail is for the server's log, not the officer
    reference = run.error.split("reference ")[1][:12]
    assert any(reference in r.getMessage() and r.exc_info for r in caplog.records)


def test_the_page_follows_a_queued_run_until_it_is_done(officer_client, container, site_id, officer):
    set_up_regions_and_history(container)
    register(container, site_id)
    run_id = runs.queue_run(container.uow(), RunCreate(time_limit=20), actor=officer)  # no worker yet
    waiting = officer_client.get(f"/placement?run={run_id}")
    assert waiting.status_code == 200 and waiting.headers["Refresh"] == str(runs_refresh())
    assert "waiting for the worker" in waiting.text and "<progress" in waiting.text
    assert "Each proposal with its explanation" not in waiting.text
    assert runs.execute_run(container.uow(), run_id, actor=officer) is None
    done = officer_client.get(f"/placement?run={run_id}")
    assert "Refresh" not in done.headers and "<progress" not in done.text
    assert "Each proposal with its explanation" in done.text
    run = queries.get_run(container.uow(), run_id, actor=officer)
    assert (run.status, run.stage, run.progress) == (RunStatus.DONE, "done", 1.0)
    assert run.started_at is not None and run.finished_at is not None and run.started_at <= run.finished_at
    again = runs.execute_run(container.uow(), run_id, actor=officer)  # a run is executed once
    assert again is not None and "done already" in again.message
    assert queries.get_run(container.uow(), run_id, actor=officer).status is RunStatus.DONE


def runs_refresh() -> int:
    from safepassage.web.placement_pages import REFRESH_SECONDS

    return REFRESH_SECONDS


def test_a_run_left_behind_by_a_stopped_server_is_marked_interrupted(container, site_id, officer):
    set_up_regions_and_history(container)
    register(container, site_id)
    stale = runs.queue_run(container.uow(), RunCreate(time_limit=5), actor=officer)
    gone = subprocess.Popen(["true"])  # ends at once: its number is free
    gone.wait()
    with container.uow() as uow:
        run = uow.session.get(PlacementRun, stale)
        assert run is not None
        run.worker = f"{socket.gethostname()}:{gone.pid}"
        uow.commit()
    runs.queue_run(container.uow(), RunCreate(time_limit=5), actor=officer)
    run_read = queries.get_run(container.uow(), stale, actor=officer)
    assert run_read.status is RunStatus.FAILED and "interrupted" in (run_read.error or "")


def test_a_request_that_cannot_run_is_refused_at_once(app_client, api_as, officer, container):
    clerk = api_as(officer)
    r = app_client.post(f"{BASE}/runs", json={"time_limit": 5}, headers=clerk)
    assert r.status_code == 409 and "region" in r.json()["error"]["message"]  # nothing queued
    r = app_client.post(f"{BASE}/runs", json={"time_limit": 5, "period": "2026-13"}, headers=clerk)
    assert r.status_code == 422 and r.json()["error"]["problems"][0]["field"] == "period"
    assert app_client.get(f"{BASE}/runs", headers=clerk).json() == []
