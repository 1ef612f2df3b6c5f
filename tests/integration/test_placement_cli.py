"""``safepassage placement ...`` in-process against the test database: files in (bad rows named, exit
code 2, valid rows kept), a run that applies nothing, a decision, a refused override."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from safepassage.cli.main import app
from safepassage.placement import queries
from safepassage.security.policy import SYSTEM
from tests.integration.test_placement_workflow import history_csv, regions_csv, register

pytestmark = pytest.mark.db


@pytest.fixture
def cli(container, settings, monkeypatch):
    monkeypatch.setenv("SAFEPASSAGE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SAFEPASSAGE_VAR_DIR", str(settings.var_dir))
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, list(args), catch_exceptions=False)

    return run


def test_the_workflow_from_the_command_line(cli, container, site_id, tmp_path):
    regions = tmp_path / "R.csv"
    regions.write_text(regions_csv() + "WEST,West,,,-3,1,0,1,1,0,0,0,1,0.1,\n")
    result = cli("placement", "regions-import", str(regions))
    assert result.exit_code == 2, result.output
    assert "3 created" in result.output and "row 5, quota_persons: must be at least 0" in result.output
    history = tmp_path / "X.csv"
    history.write_text(history_csv())
    result = cli("placement", "history-import", str(history), "--source", "synthetic")
    assert result.exit_code == 0 and "300 created" in result.output, result.output
    household = register(container, site_id)
    result = cli("placement", "profile", str(household), "--dialysis", "1", "--preference", "SOUTH")
    assert result.exit_code == 0, result.output

    result = cli("placement", "run", "--site", "ALP-AP", "--time-limit", "20")
    assert result.exit_code == 0, result.output
    assert "1 of 1 households proposed a region" in result.output and "nothing is applied" in result.output
    (proposal,) = queries.list_proposals(container.uow(), actor=SYSTEM)
    assert proposal.region == "SOUTH"
    listed = cli("placement", "proposals")
    assert str(proposal.id) in listed.output

    refused = cli("placement", "override", str(proposal.id), "--region", "EAST", "--reason", "work offer")
    assert refused.exit_code == 2 and "EAST offers no dialysis" in refused.output
    accepted = cli("placement", "accept", str(proposal.id))
    assert accepted.exit_code == 0, accepted.output
    again = cli("placement", "reject", str(proposal.id), "--reason", "changed our mind")
    assert again.exit_code == 1 and "accepted already" in again.output
    table = cli("placement", "utilisation", "--region", "SOUTH")
    assert "dialysis" in table.output and "50%" in table.output  # one of two dialysis places used
    assert cli("placement", "regions").exit_code == 0


def test_capacities_per_period_from_the_command_line(cli, container, tmp_path):
    regions = tmp_path / "R.csv"
    regions.write_text(regions_csv())
    assert cli("placement", "regions-import", str(regions), "--period", "2099-Q1").exit_code == 0
    result = cli("placement", "capacity", "NORTH", "--period", "2099-02", "--quota-persons", "5")
    assert result.exit_code == 2 and "overlaps 2099-02" in result.output  # inside the recorded quarter
    result = cli("placement", "capacity", "NORTH", "--period", "2099-Q2", "--quota-persons", "7")
    assert result.exit_code == 0 and "NORTH 2099-Q2: quota_persons 7 (used 0)" in result.output
    table = cli("placement", "utilisation", "--region", "NORTH", "--period", "2099-05")
    assert table.exit_code == 0 and "2099-Q2" in table.output and "7" in table.output
    assert "2099-Q1" in cli("placement", "regions", "--period", "2099-03").output
    bad = cli("placement", "regions", "--period", "someday")
    assert bad.exit_code != 0 and "not a period" in bad.output
