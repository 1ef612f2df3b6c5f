"""The outcome model on synthetic data with a known signal; CSV parsing; purity of the engine."""

from __future__ import annotations

import ast
import io
from pathlib import Path

import numpy as np
import pytest

from safepassage.placement import synthetic
from safepassage.placement.engine import GradientBoostingModel, read_history, read_households, read_regions


@pytest.fixture(scope="module")
def world() -> tuple[list, synthetic.Truth, list]:  # type: ignore[type-arg]
    regions, truth = synthetic.generate_regions(12, seed=5)
    history = synthetic.generate_history(4000, regions, truth, seed=6)
    return regions, truth, history


def test_model_learns_the_signal_and_is_calibrated(world) -> None:  # type: ignore[no-untyped-def]
    regions, truth, history = world
    model = GradientBoostingModel.fit(history, regions, seed=1)
    m = model.metrics
    assert m.auc > 0.62  # the truth's own AUC on these outcomes is about 0.7
    assert m.ece < 0.05
    assert 0.0 < m.brier < 0.25
    assert m.train_adults + m.calibration_adults + m.test_adults == sum(r.household.adults for r in history)
    # Predictions track the truth: per household, the region ranking correlates with the true one.
    households = synthetic.generate_households(300, regions, seed=9)
    predicted = model.probability(households, regions)
    true = truth.probability(households, regions)
    assert np.corrcoef(predicted.ravel(), true.ravel())[0, 1] > 0.5
    assert ((predicted >= 0) & (predicted <= 1)).all()


def test_model_is_deterministic_per_seed(world) -> None:  # type: ignore[no-untyped-def]
    regions, _, history = world
    households = synthetic.generate_households(50, regions, seed=10)
    a = GradientBoostingModel.fit(history, regions, seed=3).predict(households, regions)
    b = GradientBoostingModel.fit(history, regions, seed=3).predict(households, regions)
    assert np.array_equal(a, b)


def test_model_refuses_a_history_too_small(world) -> None:  # type: ignore[no-untyped-def]
    regions, _, history = world
    with pytest.raises(ValueError, match="at least 50"):
        GradientBoostingModel.fit(history[:10], regions)


def test_bad_household_rows_are_reported_and_valid_ones_kept() -> None:
    text = (
        "household_id,adults,children_0_5,children_6_17,elderly,languages,education_max,occupation,needs,tie_region,preferences\n"
        "H1,2,0,1,0,ar;de,secondary,care,dialysis;SM,,R1;R2\n"
        "H2,two,0,0,0,ar,secondary,care,,,\n"
        "H3,1,0,0,0,ar,doctorate,care,,,\n"
        "H4,1,0,0,0,ar,none,,flying,,\n"
        "H1,1,0,0,0,ar,none,,,,\n"
        "H5,0,0,0,0,ar,none,,,,\n"
        "H6,1,0,0,0,fa,tertiary,it,DS;WR,R3,\n"
    )
    parsed = read_households(io.StringIO(text))
    assert [h.household_id for h in parsed.records] == ["H1", "H6"]
    assert parsed.records[0].needs == ("dialysis", "serious_medical_condition")
    assert parsed.records[1].needs == ("disability", "woman_at_risk")
    assert parsed.records[0].preferences == ("R1", "R2")
    found = {(p.row, p.field) for p in parsed.problems}
    assert found == {(3, "adults"), (4, "education_max"), (5, "needs"), (6, "household_id"), (7, "adults")}
    assert all(p.reason for p in parsed.problems)


def test_bad_region_and_history_rows() -> None:
    regions_text = (
        "region_id,quota_persons,housing_small,housing_large,school_places,kindergarten_places,dialysis,oncology,"
        "disability,language_course,unemployment_rate,communities\n"
        "R1,100,30,3,20,10,2,0,1,40,0.07,ar;fa\n"
        "R2,100,30,3,20,10,2,0,1,40,7%,ar\n"
        "R3,-5,30,3,20,10,2,0,1,40,0.07,ar\n"
    )
    regions = read_regions(io.StringIO(regions_text))
    assert [r.region_id for r in regions.records] == ["R1"]
    assert {(p.row, p.field) for p in regions.problems} == {(3, "unemployment_rate"), (4, "quota_persons")}
    history_text = (
        "household_id,adults,children_0_5,children_6_17,elderly,languages,education_max,occupation,needs,tie_region,"
        "preferences,region_id,employed_adults_90d\n"
        "X1,2,0,0,0,ar,primary,care,,,,R1,1\n"
        "X2,2,0,0,0,ar,primary,care,,,,R9,1\n"
        "X3,2,0,0,0,ar,primary,care,,,,R1,3\n"
    )
    history = read_history(io.StringIO(history_text), regions.records)
    assert len(history.records) == 1
    assert {(p.row, p.field) for p in history.problems} == {(3, "region_id"), (4, "employed_adults_90d")}


def test_missing_column_is_one_clear_problem() -> None:
    parsed = read_households(io.StringIO("household_id,adults\nH1,2\n"))
    assert parsed.records == ()
    assert parsed.problems[0].row == 1 and "children_0_5" in parsed.problems[0].field


def test_engine_never_imports_the_synthetic_truth() -> None:
    import safepassage.placement.engine as engine

    root = Path(engine.__file__).parent
    for path in root.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any("synthetic" in n for n in names), f"{path.name} imports the synthetic truth"
