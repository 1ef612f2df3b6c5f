"""``safepassage place`` end to end on synthetic files (typer's CliRunner, no database)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safepassage.cli.main import app

runner = CliRunner()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("placement-in")
    result = runner.invoke(
        app,
        [
            "place-synthetic",
            "--out",
            str(out),
            "--households",
            "150",
            "--regions",
            "8",
            "--history",
            "2500",
            "--seed",
            "4",
        ],
    )
    assert result.exit_code == 0, result.output
    return out


def _place(inputs: Path, out: Path, *extra: str, households: Path | None = None) -> object:
    return runner.invoke(
        app,
        [
            "place",
            "--households",
            str(households or inputs / "H.csv"),
            "--regions",
            str(inputs / "R.csv"),
            "--history",
            str(inputs / "X.csv"),
            "--out",
            str(out),
            "--time-limit",
            "2",
            "--gap-target",
            "0.01",
            *extra,
        ],
    )


@pytest.mark.slow
def test_place_writes_every_household_once_and_a_report(inputs: Path, tmp_path: Path) -> None:
    result = _place(inputs, tmp_path, "--seed", "2", "--ties", "weighted")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    with (inputs / "H.csv").open() as fh:
        ids = [row["household_id"] for row in csv.DictReader(fh)]
    with (tmp_path / "placements.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert sorted(r["household_id"] for r in rows) == sorted(ids)
    assert all(r["reason"] for r in rows)
    assert all(r["predicted_outcome"] for r in rows if r["region_id"])
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["bound"] >= report["objective"] - 1e-6
    assert report["gap"] >= 0
    assert report["model"]["auc"] > 0.5
    assert set(report["baselines"]) == {"first_come_first_served", "proportional"}
    assert report["placed_households"] == sum(1 for r in rows if r["region_id"])
    assert "R001" in report["utilisation"] and "school_places" in report["utilisation"]["R001"]


@pytest.mark.slow
def test_bad_rows_are_reported_valid_rows_still_placed(inputs: Path, tmp_path: Path) -> None:
    text = (inputs / "H.csv").read_text()
    lines = text.splitlines()
    lines.insert(2, "BAD1,many,0,0,0,ar,none,,,,")
    broken = tmp_path / "H-broken.csv"
    broken.write_text("\n".join(lines) + "\n")
    result = _place(inputs, tmp_path / "out", households=broken)
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "row 3" in result.output and "adults" in result.output  # type: ignore[attr-defined]
    with (tmp_path / "out" / "placements.csv").open() as fh:
        assert len(list(csv.DictReader(fh))) == len(lines) - 2
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert any("row 3" in r for r in report["rejected_rows"])


def test_missing_file_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "place",
            "--households",
            str(tmp_path / "none.csv"),
            "--regions",
            str(tmp_path / "r.csv"),
            "--history",
            str(tmp_path / "x.csv"),
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 2
    assert "no such file" in result.output


@pytest.mark.slow
def test_only_bad_rows_is_explained_not_crashed(inputs: Path, tmp_path: Path) -> None:
    header = (inputs / "H.csv").read_text().splitlines()[0]
    only_bad = tmp_path / "H-bad.csv"
    only_bad.write_text(header + "\nB1,x,0,0,0,ar,none,,,,\n")
    result = _place(inputs, tmp_path / "out", households=only_bad)
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    assert "row 2" in result.output  # type: ignore[attr-defined]
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["households"] == 0 and report["rejected_rows"]


@pytest.mark.slow
def test_dynamic_places_week_by_week_and_reports_the_hindsight(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    made = runner.invoke(
        app,
        [
            "place-synthetic",
            "--out",
            str(inputs),
            "--households",
            "120",
            "--regions",
            "6",
            "--history",
            "1500",
            "--weeks",
            "4",
            "--seed",
            "8",
        ],
    )
    assert made.exit_code == 0, made.output
    result = _place(inputs, tmp_path / "out", "--dynamic")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["solver"]["method"] == "dynamic"
    assert "hindsight_optimum" in report["baselines"]
    with (tmp_path / "out" / "placements.csv").open() as fh:
        assert len(list(csv.DictReader(fh))) == 120
