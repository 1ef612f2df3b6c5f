"""plan-movements end to end (typer CliRunner), bad rows, bad policies."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safepassage.cli.main import app
from safepassage.movements.planner import load_policy
from safepassage.shared.errors import Invalid

POLICY = """
[operation]
name = "test airlift"

[[tiers]]
rank = 1
name = "urgent"
needs = ["serious_medical_condition"]
departure_weight = 8

[[tiers]]
rank = 2
name = "everyone else"

[solver]
time_limit_s = 20
mip_rel_gap = 0
threads = 1
isolate = false
"""

GROUPS = """group_id,origin_site,persons,infants,stretchers,baggage_kg,tier,registered_at
G1,damascus,2,1,0,30,1,2026-11-20T08:00:00Z
G2,damascus,3,0,0,45,2,2026-11-20T09:00:00Z
G3,damascus,2,0,0,20,2,2026-11-20T10:00:00Z
G4,aleppo,1,0,1,10,1,2026-11-20T11:00:00Z
BAD1,damascus,two,0,0,10,2,2026-11-20T11:00:00Z
BAD2,damascus,0,1,0,10,2,2026-11-20T11:00:00Z
BAD3,damascus,1,0,0,10,7,2026-11-20T11:00:00Z
BAD4,damascus,1,0,0,10,2,2026-11-20T11:00:00
G1,damascus,1,0,0,10,2,2026-11-20T11:00:00Z
"""

LEGS = """leg_id,origin_site,destination_site,departure,seats,lap_places,stretcher_places,baggage_kg
L1,damascus,larnaca,2026-11-23T06:00:00Z,5,1,0,100
L2,aleppo,amman,2026-11-23T07:00:00Z,2,0,1,50
"""


def _files(tmp_path: Path, groups: str = GROUPS, legs: str = LEGS, policy: str = POLICY) -> list[str]:
    (tmp_path / "groups.csv").write_text(groups)
    (tmp_path / "legs.csv").write_text(legs)
    (tmp_path / "policy.toml").write_text(policy)
    return [
        "plan-movements",
        "--groups", str(tmp_path / "groups.csv"),
        "--legs", str(tmp_path / "legs.csv"),
        "--policy", str(tmp_path / "policy.toml"),
        "--out", str(tmp_path / "out"),
    ]  # fmt: skip


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_plans_valid_rows_rejects_bad_ones_with_row_and_reason(tmp_path):
    result = CliRunner().invoke(app, _files(tmp_path))
    assert result.exit_code == 2, result.output
    out = tmp_path / "out"
    rows = {r["group_id"]: r["leg_id"] for r in _csv(out / "assignments.csv")}
    # 5 seats at damascus: G1 (tier 1, 2 + infant) then G2 (3 of tier 2) fills it; G3 waits
    assert rows == {"G1": "L1", "G2": "L1", "G3": "", "G4": "L2"}
    problems = {(p["row"], p["column"]) for p in _csv(out / "problems.csv")}
    assert problems == {
        ("6", "persons"),
        ("7", "infants"),
        ("8", "tier"),
        ("9", "registered_at"),
        ("10", "group_id"),
    }
    reasons = " ".join(p["reason"] for p in _csv(out / "problems.csv"))
    assert "whole number" in reasons and "adult" in reasons and "UTC offset" in reasons
    summary = json.loads((out / "summary.json").read_text())
    assert summary["people_moved_by_tier"] == {"1": 5, "2": 3}
    assert summary["seats_used"] == 6
    assert summary["gap"] == 0.0 and summary["outcome"] == "optimal"
    assert summary["groups"]["rejected_rows"] == 5


def test_clean_input_exits_zero_and_greedy_works_too(tmp_path):
    clean = "\n".join(line for line in GROUPS.splitlines() if not line.startswith(("BAD", "G1,damascus,1")))
    args = _files(tmp_path, groups=clean + "\n")
    assert CliRunner().invoke(app, args).exit_code == 0
    result = CliRunner().invoke(app, [*args, "--solver", "greedy"])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["solver"] == "greedy" and summary["gap"] is None


def test_replanning_writes_changes_and_keeps_boarding_pass_holders(tmp_path):
    clean = "\n".join(line for line in GROUPS.splitlines() if not line.startswith(("BAD", "G1,damascus,1")))
    args = _files(tmp_path, groups=clean + "\n")
    assert CliRunner().invoke(app, args).exit_code == 0
    previous = tmp_path / "previous.csv"
    (tmp_path / "out" / "assignments.csv").rename(previous)
    (tmp_path / "boarded.csv").write_text("group_id\nG2\n")
    (tmp_path / "legs.csv").write_text(
        "leg_id,origin_site,destination_site,departure,seats,lap_places,stretcher_places,baggage_kg,status\n"
        "L1,damascus,larnaca,2026-11-23T06:00:00Z,5,1,0,100,cancelled\n"
        "L2,aleppo,amman,2026-11-23T07:00:00Z,2,0,1,50,planned\n"
        "L3,damascus,larnaca,2026-11-23T09:00:00Z,5,1,0,100,planned\n"
    )
    result = CliRunner().invoke(
        app,
        [*args, "--previous", str(previous), "--boarded", str(tmp_path / "boarded.csv")],
    )
    assert result.exit_code == 0, result.output
    rows = {r["group_id"]: r["leg_id"] for r in _csv(tmp_path / "out" / "assignments.csv")}
    assert rows["G1"] == "L3"
    changes = {c["group_id"]: c["reason"] for c in _csv(tmp_path / "out" / "changes.csv")}
    assert changes["G1"] == "leg L1 cancelled"


def test_missing_column_is_reported_and_nothing_planned(tmp_path):
    result = CliRunner().invoke(app, _files(tmp_path, legs="leg_id,origin_site\nL1,damascus\n"))
    assert result.exit_code == 2
    assert "required column(s) missing" in result.output
    assert not (tmp_path / "out" / "assignments.csv").exists()


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("[[tiers]]\nrank = 2\nname = 'x'\n", "tiers[0].rank"),
        ("[[tiers]]\nrank = 1\nname = 'x'\n[solver]\ntime_limt_s = 3\n", "solver.time_limt_s"),
        ("[[tiers]]\nrank = 1\nname = 'x'\n[solver]\nmip_rel_gap = 2\n", "solver.mip_rel_gap"),
        (
            "[[tiers]]\nrank = 1\nname = 'x'\n[[admission]]\nlegs = ['L1']\ntiers = [3]\n",
            "admission[0].tiers",
        ),
        ("[[tiers]]\nrank = 1\nname = 'x'\ndeparture_weight = -1\n", "tiers[0].departure_weight"),
        ("tiers = 3", "tiers"),
    ],
)
def test_policy_problems_name_the_key(tmp_path, policy, expected):
    path = tmp_path / "policy.toml"
    path.write_text(policy)
    with pytest.raises(Invalid) as info:
        load_policy(path)
    assert expected in {p.field for p in info.value.problems}


def test_bad_policy_exits_2_with_the_key_named(tmp_path):
    result = CliRunner().invoke(app, _files(tmp_path, policy="[[tiers]]\nrank = 1\nname = 'x'\nnope = 1\n"))
    assert result.exit_code == 2
    assert "tiers[0].nope" in result.output


def test_the_policy_maps_needs_to_tiers(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text(POLICY)
    policy = load_policy(path)
    assert policy.tier_for_needs(["serious_medical_condition", "disability"]) == 1
    assert policy.tier_for_needs(["disability"]) == 2
