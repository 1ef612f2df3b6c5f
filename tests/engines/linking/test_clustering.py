"""Clustering at a threshold with the guard against chaining different people together."""

from __future__ import annotations

from safepassage.linking.engine.clustering import cluster_pairs


def test_connected_components_at_the_threshold_with_smallest_id_as_label():
    clusters = cluster_pairs(
        ["c", "a", "b", "d"], [("a", "b", 0.95), ("b", "c", 0.91), ("c", "d", 0.5)], threshold=0.9
    )
    assert clusters == {"a": "a", "b": "a", "c": "a", "d": "d"}


def test_a_doubtful_link_does_not_chain_two_people_scored_apart():
    # father (f1, f2) and son named after him (s1, s2); one doubtful f2-s1 link would join them
    pairs = [
        ("f1", "f2", 0.99),
        ("s1", "s2", 0.99),
        ("f2", "s1", 0.92),
        ("f1", "s1", 0.0001),
        ("f2", "s2", 0.3),
    ]
    clusters = cluster_pairs(["f1", "f2", "s1", "s2"], pairs, threshold=0.9, cannot_link_below=0.001)
    assert clusters["f1"] == clusters["f2"] == "f1"
    assert clusters["s1"] == clusters["s2"] == "s1"


def test_order_of_pairs_does_not_change_the_result():
    pairs = [("a", "b", 0.95), ("b", "c", 0.93), ("a", "c", 0.0), ("c", "d", 0.97)]
    ids = ["a", "b", "c", "d"]
    assert cluster_pairs(ids, pairs, threshold=0.9) == cluster_pairs(
        ids, list(reversed(pairs)), threshold=0.9
    )
    # strongest links first: c-d (0.97), a-b (0.95); b-c (0.93) would put a with c, scored apart
    assert cluster_pairs(ids, pairs, threshold=0.9) == {"a": "a", "b": "a", "c": "c", "d": "c"}


def test_unknown_ids_and_self_pairs_are_ignored():
    assert cluster_pairs(["a"], [("a", "a", 1.0), ("a", "zz", 1.0)], threshold=0.5) == {"a": "a"}
