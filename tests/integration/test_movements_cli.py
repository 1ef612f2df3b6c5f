"""``safepassage movement ...``: a leg created, a plan proposed then accepted, the manifest and the
passes written to files, a cancellation with a re-plan, accountability; bad input exits 2."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from safepassage.cli.main import app
from tests.integration.test_movements_workflow import destination, member, register

pytestmark = pytest.mark.db

SOON = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def cli(container, settings, monkeypatch):
    monkeypatch.setenv("SAFEPASSAGE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SAFEPASSAGE_VAR_DIR", str(settings.var_dir))
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, list(args))

    return run


def test_plan_accept_and_print_from_the_command_line(cli, container, site_id, tmp_path):
    destination(container)
    register(container, site_id, member("Anna", "Cli"), member("Boris", "Cli", sex="male"))
    r = cli("movement", "leg", "create", "--code", "AF-9", "--from", "ALP-AP", "--to", "BEY-RC",
            "--departure", SOON, "--seats", "10", "--lap-places", "2", "--baggage-kg", "800")  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "AF-9" in cli("movement", "leg", "list").output
    r = cli("movement", "plan", "--site", "ALP-AP", "--solver", "greedy")
    assert r.exit_code == 0, r.output
    assert "persons moved: 2" in r.output and "nothing changes until it is accepted" in r.output
    plan_id = re.search(r"proposed plan ([0-9a-f-]{36})", r.output).group(1)
    manifest = tmp_path / "m.csv"
    r = cli("movement", "manifest", "AF-9", "--out", str(manifest))
    assert r.exit_code == 0 and manifest.read_text().count("\n") == 1, "only the header before acceptance"
    assert cli("movement", "accept", plan_id).exit_code == 0
    cli("movement", "manifest", "AF-9", "--out", str(manifest))
    assert "CLI" in manifest.read_text() and manifest.read_text().count("\n") == 3
    r = cli("movement", "passes", "AF-9", "--out", str(tmp_path / "passes"))
    assert r.exit_code == 0, r.output
    pdfs = sorted((tmp_path / "passes").glob("*.pdf"))
    assert len(pdfs) == 2 and "CLI" in PdfReader(pdfs[0]).pages[0].extract_text()
    r = cli("movement", "accountability", "AF-9")
    assert "manifested 2, checked in 0, boarded 0, arrived 0" in r.output
    r = cli("movement", "leg", "cancel", "AF-9", "--reason", "airspace closed")
    assert r.exit_code == 0 and "cancelled" in r.output


def test_bad_input_exits_2_with_the_reason(cli, container, site_id):
    destination(container)
    r = cli("movement", "leg", "create", "--code", "AF-1", "--from", "ALP-AP", "--to", "ALP-AP",
            "--departure", "2099-01-01T08:00", "--seats", "10")  # fmt: skip
    assert r.exit_code == 2 and "destination_site_id" in r.output
    r = cli("movement", "leg", "create", "--code", "AF-1", "--from", "ALP-AP", "--to", "BEY-RC",
            "--departure", "tomorrow", "--seats", "10")  # fmt: skip
    assert r.exit_code == 2 and "--departure" in r.output
    assert cli("movement", "accept", "not-an-id").exit_code == 2
    assert cli("movement", "leg", "cancel", "NOPE", "--reason", "x").exit_code == 2
