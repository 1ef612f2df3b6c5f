"""The benchmark's figures on cases small enough to count by hand, the FEBRL conversion, and the
harness end to end with the exact-match stand-in."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from linking import metrics
from linking.febrl import birth_date, entity_of, to_batch_row
from linking.generator import Paths, generate
from linking.runner import python_script, run_measured

# Entity 1 has records a, b, c; entity 2 has d, e. True pairs: ab, ac, bc, de (4).
TRUTH = {"a": "1", "b": "1", "c": "1", "d": "2", "e": "2"}


def test_pairwise_counts_pairs_implied_by_clusters() -> None:
    # Clusters {a,b} {c,d} {e}: predicted ab, cd (2); true among them: ab (1).
    scores = metrics.pairwise({"a": "X", "b": "X", "c": "Y", "d": "Y", "e": "Z"}, TRUTH)
    assert (scores.true_positives, scores.predicted, scores.actual) == (1, 2, 4)
    assert scores.precision == pytest.approx(0.5)
    assert scores.recall == pytest.approx(0.25)
    assert scores.f1 == pytest.approx(2 * 0.5 * 0.25 / 0.75)


def test_pairwise_perfect_and_all_in_one() -> None:
    perfect = metrics.pairwise(dict(TRUTH), TRUTH)
    assert perfect.precision == perfect.recall == perfect.f1 == 1.0
    lump = metrics.pairwise(dict.fromkeys(TRUTH, "all"), TRUTH)
    assert (lump.true_positives, lump.predicted) == (4, 10)
    assert lump.recall == 1.0
    assert lump.precision == pytest.approx(0.4)


def test_records_missing_from_clusters_are_singletons() -> None:
    scores = metrics.pairwise({"a": "X", "b": "X"}, TRUTH)
    assert (scores.true_positives, scores.predicted, scores.actual) == (1, 1, 4)
    # and two missing records never fall into one cluster by accident
    assert metrics.pairwise({}, {"x": "1", "y": "1"}).predicted == 0


def test_nothing_predicted_is_precise_and_recalls_nothing() -> None:
    scores = metrics.pairwise({k: k for k in TRUTH}, TRUTH)
    assert scores.precision == 1.0
    assert scores.recall == 0.0
    assert scores.f1 == 0.0


def test_cross_dataset_counts_only_pairs_across_files() -> None:
    truth = {"a1": "p", "b1": "p", "a2": "q", "b2": "q", "a3": "r"}
    dataset = {"a1": "A", "a2": "A", "a3": "A", "b1": "B", "b2": "B"}
    # One cluster {a1, a3, b1}: cross pairs a1-b1 (true), a3-b1 (false); a1-a3 is within A, not counted.
    clusters = {"a1": "X", "a3": "X", "b1": "X", "a2": "Y", "b2": "Z"}
    scores = metrics.cross_dataset(clusters, truth, dataset)
    assert (scores.true_positives, scores.predicted, scores.actual) == (1, 2, 2)
    assert scores.precision == pytest.approx(0.5)
    assert scores.recall == pytest.approx(0.5)


def test_cross_script_recall_and_groups() -> None:
    script = {"a": "latin", "b": "arabic", "c": "latin", "d": "cyrillic", "e": "cyrillic"}
    clusters = {"a": "X", "b": "X", "c": "Y", "d": "Z", "e": "Z"}
    # Cross-script true pairs: ab (found), bc (missed). Same-script: ac (missed), de (found).
    assert metrics.cross_script_recall(clusters, TRUTH, script) == (1, 2)
    groups = metrics.recall_by_group(clusters, metrics.true_pairs(TRUTH), None, script)
    assert groups == {"arabic-latin": (1, 2), "cyrillic-cyrillic": (1, 1), "latin-latin": (0, 1)}


def test_recall_by_flags_counts_a_pair_under_each_kind() -> None:
    clusters = {"a": "X", "b": "X", "c": "Y", "d": "Z", "e": "Z"}
    flags = {"a": frozenset({"typo"}), "c": frozenset({"married", "typo"})}
    out = metrics.recall_by_flags(clusters, metrics.true_pairs(TRUTH), flags)
    # ab: typo, found; ac: married+typo, missed; bc: married+typo, missed; de: clean, found.
    assert out == {"clean": (1, 1), "married": (0, 2), "typo": (1, 3)}


def test_relatives_merged_by_kind() -> None:
    clusters = {"a": "X", "d": "X", "b": "Y", "e": "Z"}
    relations = [("a", "d", "sibling"), ("b", "e", "sibling"), ("a", "e", "twin")]
    out = metrics.relatives_merged(clusters, relations)
    assert out == {"all": (1, 3), "sibling": (1, 2), "twin": (0, 1)}


def test_false_pairs_and_their_kinds() -> None:
    clusters = {"a": "X", "b": "X", "d": "X", "c": "Y", "e": "Y"}
    wrong, largest, uncounted = metrics.false_pairs(clusters, TRUTH)
    # Cluster X = {a, b, d}: ad and bd wrong; cluster Y = {c, e}: ce wrong.
    assert sorted(wrong) == [("a", "d"), ("b", "d"), ("c", "e")]
    assert (largest, uncounted) == (3, 0)
    kinds = metrics.classify_false_pairs(
        wrong, [("d", "a", "sibling"), ("a", "d", "sibling"), ("a", "b", "x")]
    )
    assert kinds == {"sibling": 1, "unrelated": 2}
    _, largest, uncounted = metrics.false_pairs(clusters, TRUTH, max_cluster=2)
    assert (largest, uncounted) == (3, 2)


def test_recall_at_k() -> None:
    truth = {"r1": "p", "r2": "q", "r3": "p", "r4": "s"}
    requests = {"Q1": "p", "Q2": "q", "Q3": "s"}
    ranked = {"Q1": ["r3", "r2"], "Q2": ["r4"] * 10 + ["r2"], "Q3": []}
    assert metrics.recall_at_k(ranked, requests, truth, (1, 10, 11)) == {
        1: pytest.approx(1 / 3), 10: pytest.approx(1 / 3), 11: pytest.approx(2 / 3)
    }  # fmt: skip


def test_read_candidates_orders_by_rank(tmp_path: Path) -> None:
    path = tmp_path / "candidates.csv"
    path.write_text(
        "request_id,rank,record_id,score,explanation\nQ1,2,r2,0.5,x\nQ1,1,r1,0.9,y\n", encoding="utf-8"
    )
    assert metrics.read_candidates(path) == {"Q1": ["r1", "r2"]}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("19560314", "1956-03-14"), ("19560231", "1956-02"), ("19561314", "1956"), ("", ""), ("1956", ""),
     ("18000101", "")],
)  # fmt: skip
def test_febrl_birth_dates(raw: str, expected: str) -> None:
    assert birth_date(raw) == expected


def test_febrl_row_mapping() -> None:
    row = {
        "given_name": "michaela", "surname": "neumann", "suburb": "winston hills",
        "date_of_birth": "19151111", "soc_sec_id": "5304218", "postcode": "4223", "state": float("nan"),
    }  # fmt: skip
    assert to_batch_row("rec-1070-org", "A", row) == [
        "rec-1070-org", "A", "michaela", "", "neumann", "", "1915-11-11", "winston hills", "", "5304218", ""
    ]  # fmt: skip
    assert entity_of("rec-1070-dup-0") == entity_of("rec-1070-org") == "rec-1070"


def test_harness_end_to_end_with_the_standin(tmp_path: Path) -> None:
    """Generate, link with the exact-match stand-in in a measured child process, score."""
    data = tmp_path / "data"
    generate(data, 2_000, seed=3, requests=50)
    paths = Paths.under(data)
    run = run_measured(
        python_script("standin_exact.py", "link", str(paths.records), "--out", str(tmp_path / "o"))
    )
    assert run.ok, run.stderr
    assert run.peak_rss_bytes > 0
    clusters = metrics.read_map(tmp_path / "o" / "clusters.csv", "record_id", "cluster_id")
    truth = metrics.read_map(paths.truth, "record_id", "entity_id")
    assert set(clusters) == set(truth)
    scores = metrics.pairwise(clusters, truth)
    # Exact matching finds some pairs, misses the cross-script ones, and rarely errs.
    assert 0.05 < scores.recall < 0.6
    assert scores.precision > 0.9
    found, total = metrics.cross_script_recall(
        clusters, truth, {m[0]: m[1] for m in csv.reader(paths.meta.open(encoding="utf-8"))}
    )
    assert total > 0 and found / total < scores.recall
    run = run_measured(python_script("standin_exact.py", "trace", str(paths.records), str(paths.requests),
                                     "--out", str(tmp_path / "t")))  # fmt: skip
    assert run.ok, run.stderr
    ranked = metrics.read_candidates(tmp_path / "t" / "candidates.csv")
    recall = metrics.recall_at_k(
        ranked, metrics.read_map(paths.requests_truth, "request_id", "entity_id"), truth
    )
    assert 0 < recall[1] <= recall[10] < 1
