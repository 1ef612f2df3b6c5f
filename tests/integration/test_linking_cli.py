"""``safepassage linking ...`` in-process against the test database: a run queues the cross-script
pair, a rejection without a reason exits 2, accept, merge and unmerge, the index and the re-check."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from safepassage.cli.main import app
from safepassage.linking.models import PairStatus
from tests.integration.test_linking_workflow import pair_of, register_duplicates

pytestmark = pytest.mark.db


@pytest.fixture
def duplicates(container, site_id):
    return register_duplicates(container, site_id)


@pytest.fixture
def cli(container, settings, monkeypatch):
    monkeypatch.setenv("SAFEPASSAGE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SAFEPASSAGE_VAR_DIR", str(settings.var_dir))
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, list(args), catch_exceptions=False)

    return run


def test_the_workflow_from_the_command_line(cli, container, duplicates):
    a, b = duplicates
    result = cli("linking", "run", "--floor", "0.5")
    assert result.exit_code == 0, result.output
    assert re.search(r"4 persons, \d+ pairs queued", result.output), result.output
    pair = pair_of(container, a, b, PairStatus.OPEN)
    assert pair is not None
    result = cli("linking", "queue", "--limit", "10")
    assert result.exit_code == 0 and str(pair.id)[:8] in result.output, result.output
    assert cli("linking", "reject", str(pair.id)).exit_code == 2
    assert cli("linking", "accept", str(pair.id)).exit_code == 0
    result = cli("linking", "merge", str(pair.id))
    assert result.exit_code == 0, result.output
    merge_id = result.output.split()[-1]
    assert cli("linking", "unmerge", merge_id).exit_code == 2
    result = cli("linking", "unmerge", merge_id, "--reason", "two women")
    assert result.exit_code == 0 and "undone" in result.output, result.output
    result = cli("linking", "refresh-index")
    assert result.exit_code == 0 and "index of 4 persons" in result.output, result.output
    result = cli("linking", "trace-recheck")
    assert result.exit_code == 0 and "0 new tracing candidates" in result.output, result.output
