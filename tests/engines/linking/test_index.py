"""The prepared index: a new registration checked against the registry, tracing requests, the
trained model saved as JSON and reused without retraining."""

from __future__ import annotations

import json

import pytest

from safepassage.linking.engine import (
    LinkIndex,
    LinkSettings,
    PersonRecord,
    TracingRequest,
    link,
    prior_model,
)
from tests.engines.linking.golden import GOLDEN


@pytest.fixture(scope="module")
def index():
    return LinkIndex(GOLDEN, prior_model())


def test_a_new_registration_finds_its_duplicate_with_reasons(index):
    new = PersonRecord(
        "new-1", "clerk", "Natalya", "Nikolayevna", "Ivanova", "F", "1979-03-14", "", "RU", "751234567"
    )
    found = index.score_new_record(new)
    assert found, "the same woman is registered already"
    assert found[0].record_id.startswith("nat-")
    assert found[0].match_probability >= 0.9
    assert found[0].levels["document"] == "same"
    assert "document: same" in found[0].explanation
    assert [c.score for c in found] == sorted((c.score for c in found), reverse=True)


def test_a_sibling_registered_is_not_proposed_as_a_duplicate(index):
    sister = PersonRecord(
        "new-2",
        "clerk",
        "Layla",
        "Mohammed",
        "Al-Hassan",
        "F",
        "2010-02-02",
        "Aleppo",
        "SY",
        "",
        "0944 123 456",
    )
    assert all(c.match_probability < 0.5 for c in index.score_new_record(sister))


def test_a_batch_of_new_records_keeps_each_apart(index):
    found = index.score_new_records(
        [
            PersonRecord(
                "a",
                given_name="Omar",
                father_name="Muhammad",
                family_name="Al Hassan",
                sex="M",
                birth_date="2007",
            ),
            PersonRecord("b", given_name="Nobody", family_name="Atall", birth_date="1950"),
            PersonRecord("c", given_name="", family_name="", birth_date="bad"),
        ]
    )
    assert found["a"] and found["a"][0].record_id.startswith("omar-")
    assert found["b"] == [] and found["c"] == []


def test_trace_by_partial_names_in_another_script_and_an_age(index):
    requests = [
        TracingRequest(
            "t1", given_name="عمر", family_name="الحسن", approx_birth_year=2006, age_tolerance_years=2
        ),
        TracingRequest(
            "t2", given_name="Huda", approx_birth_year=2012, age_tolerance_years=1, relationship="daughter"
        ),
        TracingRequest(
            "t3", given_name="Omar", family_name="Al-Hassan", approx_birth_year=1990, age_tolerance_years=2
        ),
    ]
    found = index.trace(requests, top=5)
    assert found["t1"][0].record_id.startswith("omar-")
    assert "age: born 2007" in found["t1"][0].explanation
    assert {c.record_id for c in found["t2"][:2]} == {"huda", "huda-cyr"}
    assert found["t3"] == []  # Omar was born 2007: outside the tolerance of a request for 1988-1992
    assert len(found["t2"]) <= 5


def test_a_trained_model_is_saved_as_json_and_reused_without_training(tmp_path):
    model = link(GOLDEN, LinkSettings()).model
    path = tmp_path / "model.json"
    path.write_text(json.dumps(model), encoding="utf-8")
    loaded = json.loads(path.read_text(encoding="utf-8"))
    again = link(GOLDEN, LinkSettings(model=loaded))
    assert not again.trained
    assert again.clusters == link(GOLDEN, LinkSettings(model=model)).clusters


def test_the_fast_path_leaves_no_tables_behind_and_agrees_with_the_batch_path(index):
    new = PersonRecord(
        "new-9", "clerk", "Али", "Мухаммедович", "Аль-Хасан", "M", "2008", "", "RU", "767654321"
    )
    fast = index.score_new_record(new)
    batch = index.score_new_records([new])["new-9"]
    assert [c.record_id for c in fast] == [c.record_id for c in batch]
    assert [c.match_probability for c in fast] == pytest.approx(
        [c.match_probability for c in batch], abs=1e-6
    )
    leftovers = index._db_api._con.sql(
        "SELECT count(*) FROM information_schema.tables WHERE table_name LIKE '__splink__compare_records_%'"
    ).fetchall()
    assert leftovers == [(0,)]
