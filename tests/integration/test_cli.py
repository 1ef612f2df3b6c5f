"""The command line, run in-process against the test database."""

from __future__ import annotations

import csv

import pytest
from typer.testing import CliRunner

from safepassage.cli.main import app
from safepassage.registry import queries
from safepassage.security import services as security

pytestmark = pytest.mark.db


@pytest.fixture
def cli(container, settings, monkeypatch):
    monkeypatch.setenv("SAFEPASSAGE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SAFEPASSAGE_VAR_DIR", str(settings.var_dir))
    runner = CliRunner()

    def run(*args: str, input: str | None = None):
        return runner.invoke(app, list(args), input=input, catch_exceptions=False)

    return run


def test_init_creates_the_administrator_once(cli, container):
    first = cli("init")
    assert first.exit_code == 0, first.output
    assert "administrator created" in first.output
    password = first.output.split("password ")[1].split()[0]
    assert security.authenticate(container.uow(), "admin", password) is not None
    second = cli("init")
    assert second.exit_code == 0 and "administrator created" not in second.output


def test_user_add_with_a_password_from_stdin_and_a_bad_role(cli, container):
    ok = cli(
        "user",
        "add",
        "clerk_latakia",
        "--role",
        "registration_clerk",
        "--password-stdin",
        input="a-long-enough-password\n",
    )
    assert ok.exit_code == 0, ok.output
    assert security.authenticate(container.uow(), "clerk_latakia", "a-long-enough-password") is not None
    assert cli("user", "add", "x", "--role", "emperor").exit_code != 0
    short = cli("user", "add", "clerk2", "--role", "caseworker", "--password-stdin", input="short\n")
    assert short.exit_code == 2 and "password" in short.output


def test_demo_then_export_round_trip(cli, container, supervisor, tmp_path):
    loaded = cli("demo", "--households", "12", "--seed", "7")
    assert loaded.exit_code == 0, loaded.output
    again = cli("demo", "--households", "12", "--seed", "7")
    assert "0 households created" in again.output
    skipped = cli("demo", "--households", "5", "--if-empty")
    assert "not loaded" in skipped.output
    out = tmp_path / "export.csv"
    exported = cli("export", "--out", str(out))
    assert exported.exit_code == 0, exported.output
    with out.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    page = queries.list_persons(container.uow(), queries.PersonFilter(), actor=supervisor, limit=500)
    assert len(rows) == len(page.items) > 12
    assert {r["person_id"] for r in rows} == {str(p.id) for p in page.items}
    assert "religion" not in rows[0] and "narrative" not in rows[0]


def test_export_of_an_unknown_site_fails_clearly(cli, tmp_path):
    result = cli("export", "--out", str(tmp_path / "x.csv"), "--site", "NOPE")
    assert result.exit_code == 2 and "site 'NOPE' does not exist" in result.output
