"""The engine on hand-written golden records (prior model, DuckDB): same people together across
scripts, relatives apart, dates at their precision, every pair explained, the same output twice."""

from __future__ import annotations

import pytest

from safepassage.linking.engine import LinkSettings, PersonRecord, link
from tests.engines.linking.golden import APART, GOLDEN, SAME


@pytest.fixture(scope="module")
def result():
    return link(GOLDEN, LinkSettings())


def test_every_record_is_in_exactly_one_cluster(result):
    assert sorted(result.clusters) == sorted(r.record_id for r in GOLDEN)
    assert not result.trained  # a golden set is too small to train on: the prior model scores it


@pytest.mark.parametrize("group", SAME, ids=lambda g: "+".join(sorted(g)))
def test_the_same_person_across_scripts_is_one_cluster(result, group):
    assert len({result.clusters[rid] for rid in group}) == 1


@pytest.mark.parametrize(("left", "right"), APART, ids=lambda x: str(x))
def test_relatives_and_namesakes_stay_apart(result, left, right):
    assert result.clusters[left] != result.clusters[right]


def _pair(result, a, b):
    a, b = sorted((a, b))
    rows = [r for r in result.pairs.to_pylist() if (r["record_id_l"], r["record_id_r"]) == (a, b)]
    return rows[0] if rows else None


def test_a_twin_is_explained_as_a_relative(result):
    settings = LinkSettings(pairs_floor=0.0, threshold=0.9)
    pairs = link(GOLDEN, settings).pairs.to_pylist()
    twins = [r for r in pairs if {r["record_id_l"], r["record_id_r"]} == {"huda", "rania"}]
    assert twins, "twins share keys: they must be scored, and scored apart"
    assert twins[0]["given_name_level"] == "different, same family (a relative)"
    assert twins[0]["given_name_weight"] < -15
    assert twins[0]["match_probability"] < 0.01


def test_cross_script_levels_name_what_agreed(result):
    pair = _pair(result, "nat-cyr", "nat-lat")
    assert pair is not None
    assert pair["father_name_level"] == "same"  # Николаевна -> Nikolai
    assert pair["family_name_level"] == "same spelling"  # Иванова = Ivanova
    assert pair["document_level"] == "same"  # "75 1234567" = "751234567"
    arabic = _pair(result, "ali-ar", "ali-lat")
    assert arabic is not None
    assert arabic["given_name_level"] == "same consonants, Arabic script"


def test_year_only_and_first_of_january_agree_with_a_full_date(result):
    pair = _pair(result, "ali-cyr", "ali-lat")  # 2008-01-01 vs 2008-06-02
    assert pair is not None and pair["birth_date_level"] == "same year (one date imprecise)"
    pair = _pair(result, "nat-ar", "nat-lat")  # 1979 vs 1979-03-14
    assert pair is not None and pair["birth_date_level"] == "same year (one date imprecise)"
    assert pair["birth_date_weight"] > 0


def test_day_month_swap_and_name_swap_are_near_agreements(result):
    pair = _pair(result, "kar-1", "kar-2")
    assert pair is not None
    assert pair["birth_date_level"] == "day and month swapped"
    assert pair["given_name_level"] == "given and family swapped"
    assert pair["birth_date_weight"] > 0 and pair["given_name_weight"] > 0


def test_explanation_columns_are_consistent(result):
    fields = [
        "given_name",
        "family_name",
        "father_name",
        "birth_date",
        "sex",
        "document",
        "phone",
        "birth_place",
    ]
    prior = None
    for row in result.pairs.to_pylist():
        for field in fields:
            assert f"{field}_level" in row and f"{field}_weight" in row
        total = sum(row[f"{f}_weight"] for f in fields)
        offset = row["match_weight"] - total  # the prior (log2 odds of a random pair), the same for all
        prior = offset if prior is None else prior
        assert offset == pytest.approx(prior, abs=0.02)
        for field in fields:
            if row[f"{field}_level"] != "not given":
                assert f"{row[f'{field}_level']} (" in row["explanation"]
        assert 0.0 <= row["match_probability"] <= 1.0


def test_same_input_same_output():
    first = link(GOLDEN, LinkSettings())
    second = link(list(reversed(GOLDEN)), LinkSettings())
    assert first.clusters == second.clusters
    assert first.pairs.to_pylist() == second.pairs.to_pylist()


def test_malformed_rows_are_reported_and_kept_as_their_own_cluster():
    records = [
        *GOLDEN[:3],
        PersonRecord("bad-date", "", "Natalia", "", "Ivanova", "F", "1979-02-30"),
        PersonRecord("bad-sex", "", "Natalia", "", "Ivanova", "X", "1979-03-14"),
        PersonRecord("no-name", "", "", "", "", "F", "1979"),
        PersonRecord("nat-lat", "", "Natalia", "", "Ivanova", "F", "1979"),  # repeated id
        PersonRecord("odd-phone", "", "Natalia", "Nikolai", "Ivanova", "F", "1979-03-14", phone="call me"),
    ]
    result = link(records, LinkSettings())
    by_row = {(p.row, p.field): p for p in result.problems}
    assert by_row[(4, "birth_date")].malformed and "does not exist" in by_row[(4, "birth_date")].reason
    assert by_row[(5, "sex")].malformed
    assert by_row[(6, "given_name")].malformed
    assert "repeats" in by_row[(7, "record_id")].reason
    assert not by_row[(8, "phone")].malformed  # a bad phone drops the phone, not the person
    for rid in ("bad-date", "bad-sex", "no-name"):
        assert result.clusters[rid] == rid
        assert rid in result.malformed_ids
    assert result.clusters["odd-phone"] == result.clusters["nat-lat"]
    assert list(result.clusters).count("nat-lat") == 1
