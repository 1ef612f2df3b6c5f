"""Docs are tested: every CLI command and option, and every setting, is documented."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer.main

from safepassage.cli.main import app
from safepassage.config import Settings

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _commands(group: Any, prefix: str = "") -> list[tuple[str, Any]]:
    found = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}".strip()
        if hasattr(command, "commands"):
            found.extend(_commands(command, path))
        else:
            found.append((path, command))
    return found


COMMANDS = _commands(typer.main.get_command(app))


def test_the_cli_has_the_commands_the_issue_names():
    names = {name for name, _ in COMMANDS}
    assert {"init", "serve", "demo", "import", "export", "user add"} <= names


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_every_cli_command_and_option_is_documented(name, command):
    text = (DOCS / "cli.md").read_text()
    assert re.search(rf"^## `safepassage {re.escape(name)}\b", text, re.M), f"docs/cli.md lacks `{name}`"
    section = text.split(f"## `safepassage {name}", 1)[1].split("\n## ", 1)[0]
    for param in command.params:
        if param.param_type_name == "option":
            flag = max(param.opts, key=len)
            assert f"`{flag}" in section, f"docs/cli.md: `{name}` does not document {flag}"


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_documented(field):
    text = (DOCS / "configuration.md").read_text()
    assert f"`SAFEPASSAGE_{field.upper()}`" in text
