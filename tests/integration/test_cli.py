"""The command line, run in-process against the test database."""

from __future__ import annotations

import csv

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from safepassage.cli.main import app
from safepassage.registry import queries
from safepassage.registry.models import Site
from safepassage.security import services as security
from safepassage.security.models import User
from safepassage.security.policy import SYSTEM

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
    exported = cli("export", "--out", str(out), "--purpose", "round trip check of the demo")
    assert exported.exit_code == 0, exported.output
    with out.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    # the CLI works for every site; a supervisor of one site sees only that site's share
    page = queries.list_persons(container.uow(), queries.PersonFilter(), actor=SYSTEM, limit=500)
    assert len(rows) == len(page.items) > 12
    mine = queries.list_persons(container.uow(), queries.PersonFilter(), actor=supervisor, limit=500)
    assert {p.site_id for p in mine.items} <= supervisor.site_ids
    assert {r["person_id"] for r in rows} == {str(p.id) for p in page.items}
    assert "religion" not in rows[0] and "narrative" not in rows[0]


def test_export_of_an_unknown_site_fails_clearly(cli, tmp_path):
    result = cli(
        "export", "--out", str(tmp_path / "x.csv"), "--site", "NOPE", "--purpose", "a list for the desk"
    )
    assert result.exit_code == 2 and "site 'NOPE' does not exist" in result.output


def test_import_reports_rejects_and_exits_3_then_nothing_new(cli, container, supervisor, site_id, tmp_path):
    source = tmp_path / "partner.csv"
    source.write_text(
        "household;relationship;given_name;family_name;sex;birth_date;phone\n"
        "H1;head;Наталья;Иванова;F;1986-04;0944 123 456\n"
        "H1;child;علي;الحسن;M;2014;\n"
        "H2;head;Ahmad;Khatib;M;1990-13-45;\n",
        encoding="utf-8",
    )
    first = cli("import", str(source), "--site", "ALP-AP")
    assert first.exit_code == 3, first.output
    rejects = tmp_path / "partner.rejects.csv"
    assert rejects.exists(), first.output
    text = rejects.read_text(encoding="utf-8-sig")
    assert "birth_date" in text and "1990-13-45" in text
    page = queries.list_persons(container.uow(), queries.PersonFilter(q="Natalia"), actor=supervisor)
    assert len(page.items) == 1
    again = cli("import", str(source), "--site", "ALP-AP")
    assert again.exit_code == 3
    everyone = queries.list_persons(container.uow(), queries.PersonFilter(), actor=supervisor)
    assert len(everyone.items) == 2
    missing = cli("import", str(source), "--site", "NOPE")
    assert missing.exit_code == 2 and "site 'NOPE' does not exist" in missing.output


def test_demo_accounts_work_for_the_demo_sites(cli, container):
    loaded = cli("demo", "--households", "6", "--seed", "5", "--with-users")
    assert loaded.exit_code == 0, loaded.output
    assert "demo_registration_clerk" in loaded.output
    with container.uow() as uow:
        sites = set(uow.session.scalars(select(Site.id)))
        clerk = uow.session.scalar(select(User).where(User.username == "demo_registration_clerk"))
        auditor = uow.session.scalar(select(User).where(User.username == "demo_auditor"))
        assert {s.site_id for s in clerk.sites} == sites and sites
        assert auditor.sites == []  # the auditor reads the trail, not the records


def test_serve_bounds_concurrency_when_told(cli, monkeypatch):
    import uvicorn

    seen: list[dict[str, object]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.append(options))
    assert cli("init").exit_code == 0
    assert cli("serve").exit_code == 0
    monkeypatch.setenv("SAFEPASSAGE_MAX_CONCURRENCY", "64")
    assert cli("serve").exit_code == 0
    assert [options["limit_concurrency"] for options in seen] == [None, 64]  # beyond it: 503 at once


def test_serve_runs_several_processes_by_the_apps_name(cli, monkeypatch, settings):
    import uvicorn

    from safepassage.app import app_from_settings

    seen: list[tuple[object, dict[str, object]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.append((app, options)))
    assert cli("init").exit_code == 0
    several = cli("serve", "--workers", "3")
    if settings.database_url.startswith("sqlite"):
        assert several.exit_code == 2 and "PostgreSQL" in several.output and seen == []
        return
    assert several.exit_code == 0, several.output
    ((app, options),) = seen
    assert app == "safepassage.app:app_from_settings" and options["factory"] is True
    assert options["workers"] == 3
    built = app_from_settings()  # what each worker process calls, from the same settings
    try:
        assert built.state.container.settings.database_url == settings.database_url
    finally:
        built.state.container.dispose()
