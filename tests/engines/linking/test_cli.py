"""``safepassage link`` and ``safepassage trace`` end to end, through typer's CliRunner."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from safepassage.cli.main import app
from safepassage.linking.engine.records import INPUT_COLUMNS
from tests.engines.linking.golden import GOLDEN

runner = CliRunner()


def _write_records(path: Path, extra_rows: list[list[str]] = ()) -> Path:  # type: ignore[assignment]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(INPUT_COLUMNS)
        for record in GOLDEN:
            writer.writerow([getattr(record, c) for c in INPUT_COLUMNS])
        writer.writerows(extra_rows)
    return path


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_link_writes_clusters_pairs_problems_and_model(tmp_path):
    bad = [
        ["bad-1", "field", "Ali", "", "Haddad", "M", "31/02/1990", "", "", "", ""],
        ["bad-2", "field", "Ali", "Haddad"],  # too few fields
    ]
    source = _write_records(tmp_path / "in.csv", bad)
    out = tmp_path / "out"
    result = runner.invoke(app, ["link", str(source), "--out", str(out), "--threshold", "0.9", "--seed", "3"])
    assert result.exit_code == 0, result.output
    clusters = _read(out / "clusters.csv")
    ids = [row["record_id"] for row in clusters]
    assert sorted(ids) == sorted([r.record_id for r in GOLDEN] + ["bad-1", "bad-2"])  # each exactly once
    by_id = {row["record_id"]: row["cluster_id"] for row in clusters}
    assert by_id["nat-lat"] == by_id["nat-cyr"] == by_id["nat-ar"]
    assert by_id["huda"] != by_id["rania"]
    assert by_id["bad-1"] == "bad-1" and by_id["bad-2"] == "bad-2"
    problems = _read(out / "problems.csv")
    assert {(p["row"], p["field"]) for p in problems} >= {
        (str(len(GOLDEN) + 1), "birth_date"),
        (str(len(GOLDEN) + 2), ""),
    }
    pairs = _read(out / "pairs.csv")
    assert list(pairs[0])[:3] == ["record_id_l", "record_id_r", "match_probability"]
    assert "explanation" in pairs[0] and "given_name_level" in pairs[0]
    assert all(float(p["match_probability"]) >= 0.5 for p in pairs)
    model = json.loads((out / "model.json").read_text(encoding="utf-8"))
    assert model["comparisons"][0]["output_column_name"] == "given_name"


def test_link_with_a_saved_model_gives_the_same_clusters(tmp_path):
    source = _write_records(tmp_path / "in.csv")
    first = runner.invoke(app, ["link", str(source), "--out", str(tmp_path / "a")])
    assert first.exit_code == 0, first.output
    again = runner.invoke(
        app,
        ["link", str(source), "--out", str(tmp_path / "b"), "--model", str(tmp_path / "a" / "model.json")],
    )
    assert again.exit_code == 0, again.output
    assert _read(tmp_path / "a" / "clusters.csv") == _read(tmp_path / "b" / "clusters.csv")
    assert (tmp_path / "a" / "pairs.csv").read_text() == (tmp_path / "b" / "pairs.csv").read_text()


def test_link_refuses_an_unusable_file_with_exit_code_2(tmp_path):
    missing = runner.invoke(app, ["link", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o")])
    assert missing.exit_code == 2
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("name,age\nAli,3\n", encoding="utf-8")
    result = runner.invoke(app, ["link", str(wrong), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "record_id" in result.output
    binary = tmp_path / "latin1.csv"
    binary.write_bytes("record_id,given_name\n1,Jos\xe9\n".encode("latin-1"))
    assert runner.invoke(app, ["link", str(binary), "--out", str(tmp_path / "o")]).exit_code == 2
    assert (
        runner.invoke(
            app, ["link", str(wrong), "--out", str(tmp_path / "o"), "--backend", "oracle"]
        ).exit_code
        == 2
    )


def test_trace_ranks_the_sought_person_first(tmp_path):
    registry = _write_records(tmp_path / "registry.csv")
    requests = tmp_path / "requests.csv"
    requests.write_text(
        "request_id,given_name,father_name,family_name,sex,approx_birth_year,age_tolerance_years,birth_place,relationship\n"
        "Q1,Омар,,Аль-Хасан,M,2006,3,,brother\n"  # Omar, asked for in Cyrillic by his sister
        "Q2,ناتاليا,,,F,1980,5,,mother\n"  # only a given name in Arabic and an age
        "Q3,Nobody,,Unknown,,,,,cousin\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = runner.invoke(app, ["trace", str(registry), str(requests), "--out", str(out), "--top", "3"])
    assert result.exit_code == 0, result.output
    rows = _read(out / "candidates.csv")
    first = {r["request_id"]: r["record_id"] for r in rows if r["rank"] == "1"}
    assert first["Q1"].startswith("omar-")
    assert first["Q2"].startswith("nat-")
    assert all(int(r["rank"]) <= 3 for r in rows)
    q1 = [r for r in rows if r["request_id"] == "Q1"]
    assert [int(r["rank"]) for r in q1] == list(range(1, len(q1) + 1))
    assert "Q3" not in first
    assert "given name" in q1[0]["explanation"]
