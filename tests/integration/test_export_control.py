"""Export control: a purpose always, a second supervisor over 100 rows, a mark in every row, once."""

from __future__ import annotations

import csv
import uuid

import pytest
from typer.testing import CliRunner

from safepassage.cli.main import app
from safepassage.registry import exporting, schemas, services
from safepassage.security.grants import ExportState
from safepassage.security.policy import SYSTEM, Role
from safepassage.shared.errors import Conflict, Forbidden, Invalid
from tests.conftest import household_payload

pytestmark = pytest.mark.db


def _register(container, actor, site_id, households: int) -> None:
    for _ in range(households):
        cmd = schemas.HouseholdCreate.model_validate(household_payload(site_id))
        services.register_household(container.uow(), cmd, actor=actor)


def _rows(path):
    with path.open(encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def test_a_small_export_is_written_at_once_marked_and_only_once(container, supervisor, site_id, tmp_path):
    _register(container, supervisor, site_id, 3)
    request = exporting.request_export(container.uow(), purpose="lists for the UNHCR desk", actor=supervisor)
    assert request.state == ExportState.APPROVED and request.row_count == 6
    out = tmp_path / "x.csv"
    assert exporting.export_csv(container.uow(), out, request_id=request.id, actor=supervisor) == 6
    assert {r["export_id"] for r in _rows(out)} == {str(request.id)}
    with pytest.raises(Conflict, match="produced"):
        exporting.export_csv(container.uow(), tmp_path / "again.csv", request_id=request.id, actor=supervisor)


def test_an_export_needs_a_purpose(container, supervisor):
    with pytest.raises(Invalid) as caught:
        exporting.request_export(container.uow(), purpose=" x ", actor=supervisor)
    assert caught.value.problems[0].field == "purpose"


def test_a_large_export_waits_for_a_second_supervisor(container, make_user, supervisor, site_id, tmp_path):
    _register(container, supervisor, site_id, 51)  # 102 persons
    request = exporting.request_export(container.uow(), purpose="hand-over to the ministry", actor=supervisor)
    assert request.state == ExportState.PENDING and request.row_count == 102
    with pytest.raises(Conflict, match="pending"):
        exporting.export_csv(container.uow(), tmp_path / "x.csv", request_id=request.id, actor=supervisor)
    with pytest.raises(Forbidden, match="second supervisor"):
        exporting.decide_export(container.uow(), request.id, approve=True, actor=supervisor)
    other = make_user("supervisor2", Role.SUPERVISOR, sites=[site_id])
    _register(container, supervisor, site_id, 2)  # registered after the request: not in the file
    decided = exporting.decide_export(container.uow(), request.id, approve=True, note="agreed", actor=other)
    assert decided.state == ExportState.APPROVED and decided.decided_by == "supervisor2"
    # only the requester produces it
    with pytest.raises(Forbidden):
        exporting.export_csv(container.uow(), tmp_path / "y.csv", request_id=request.id, actor=other)
    out = tmp_path / "z.csv"
    assert exporting.export_csv(container.uow(), out, request_id=request.id, actor=supervisor) == 102
    assert len(_rows(out)) == 102


def test_a_rejected_export_is_never_written(container, make_user, supervisor, site_id, tmp_path):
    _register(container, supervisor, site_id, 51)
    request = exporting.request_export(container.uow(), purpose="a list for a journalist", actor=supervisor)
    other = make_user("supervisor2", Role.SUPERVISOR, sites=[site_id])
    exporting.decide_export(container.uow(), request.id, approve=False, note="no lawful basis", actor=other)
    with pytest.raises(Conflict, match="rejected"):
        exporting.export_csv(container.uow(), tmp_path / "x.csv", request_id=request.id, actor=supervisor)
    assert not (tmp_path / "x.csv").exists()


def test_an_export_covers_only_the_supervisors_sites(container, make_user, supervisor, site_id, tmp_path):
    beirut = services.create_site(
        container.uow(),
        schemas.SiteCreate(code="BEY-1", name="Beirut", kind="shelter", country="LB"),
        actor=SYSTEM,
    )
    _register(container, supervisor, site_id, 2)
    _register(container, SYSTEM, beirut, 3)
    with pytest.raises(Forbidden, match="not one of your sites"):
        exporting.request_export(
            container.uow(), purpose="the Beirut list please", actor=supervisor, site_id=beirut
        )
    request = exporting.request_export(container.uow(), purpose="everything I can see", actor=supervisor)
    assert request.row_count == 4


def test_the_cli_asks_then_a_second_operator_approves(container, settings, monkeypatch, tmp_path):
    monkeypatch.setenv("SAFEPASSAGE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SAFEPASSAGE_VAR_DIR", str(settings.var_dir))
    runner = CliRunner()
    assert runner.invoke(app, ["demo", "--households", "40", "--seed", "3"]).exit_code == 0
    out = tmp_path / "all.csv"
    asked = runner.invoke(app, ["export", "--out", str(out), "--purpose", "full list for the ministry"])
    assert asked.exit_code == 3, asked.output
    request_id = next(w for w in asked.output.replace(":", " ").split() if _is_uuid(w))
    own = runner.invoke(app, ["export-decide", request_id, "--approve"])
    assert own.exit_code == 2 and "second supervisor" in own.output
    monkeypatch.setattr("getpass.getuser", lambda: "second_operator")
    approved = runner.invoke(app, ["export-decide", request_id, "--approve", "--note", "checked"])
    assert approved.exit_code == 0, approved.output
    monkeypatch.undo()
    monkeypatch.setenv("SAFEPASSAGE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SAFEPASSAGE_VAR_DIR", str(settings.var_dir))
    written = runner.invoke(app, ["export", "--out", str(out), "--request", request_id])
    assert written.exit_code == 0, written.output
    assert len(_rows(out)) > 100


def _is_uuid(word: str) -> bool:
    try:
        uuid.UUID(word)
    except ValueError:
        return False
    return True


def test_a_refused_export_leaves_no_file_behind(container, supervisor, site_id, monkeypatch, tmp_path):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(scratch))
    _register(container, supervisor, site_id, 51)
    request = exporting.request_export(container.uow(), purpose="hand-over to the ministry", actor=supervisor)
    with pytest.raises(Conflict, match="pending"):
        exporting.produce_export_file(container.uow(), request.id, actor=supervisor)
    assert list(scratch.iterdir()) == []
