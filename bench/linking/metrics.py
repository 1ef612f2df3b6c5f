"""Figures of a linkage against the ground truth: pairwise precision/recall/F1 from clusters, the same
restricted to pairs across two data sets (FEBRL4), recall of cross-script pairs, relatives merged,
recall@k of tracing.

Pairs are counted, never enumerated, where clusters can be large: a cluster of n records implies
n(n-1)/2 pairs, and the true pairs among them are, for each entity, the pairs of its records inside
the cluster. Records missing from a clusters file count as clusters of their own.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class PairScores:
    true_positives: int
    predicted: int
    actual: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.actual if self.actual else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _c2(n: int) -> int:
    return n * (n - 1) // 2


def read_map(path: Path, key: str, value: str) -> dict[str, str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {row[key]: row[value] for row in csv.DictReader(handle)}


def complete_clusters(clusters: Mapping[str, str], records: Iterable[str]) -> dict[str, str]:
    """Every record gets a cluster: those the linker left out become singletons."""
    out = dict(clusters)
    for rid in records:
        out.setdefault(rid, "\0single:" + rid)
    return out


def pairwise(clusters: Mapping[str, str], truth: Mapping[str, str]) -> PairScores:
    """Pairwise scores over the records of ``truth`` (pairs implied by clusters vs true pairs)."""
    clusters = complete_clusters(clusters, truth)
    by_cluster: Counter[str] = Counter()
    by_entity: Counter[str] = Counter()
    by_both: Counter[tuple[str, str]] = Counter()
    for rid, entity in truth.items():
        c = clusters[rid]
        by_cluster[c] += 1
        by_entity[entity] += 1
        by_both[(c, entity)] += 1
    return PairScores(
        sum(_c2(n) for n in by_both.values()),
        sum(_c2(n) for n in by_cluster.values()),
        sum(_c2(n) for n in by_entity.values()),
    )


def cross_dataset(
    clusters: Mapping[str, str], truth: Mapping[str, str], dataset: Mapping[str, str]
) -> PairScores:
    """Pairwise scores counting only pairs with one record in each of two data sets (link-only)."""
    clusters = complete_clusters(clusters, truth)
    names = sorted(set(dataset[r] for r in truth))
    if len(names) != 2:
        raise ValueError(f"cross_dataset needs exactly two data sets, got {names}")
    first = names[0]
    per_cluster: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    per_entity: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    per_both: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for rid, entity in truth.items():
        side = 0 if dataset[rid] == first else 1
        c = clusters[rid]
        per_cluster[c][side] += 1
        per_entity[entity][side] += 1
        per_both[(c, entity)][side] += 1
    return PairScores(
        sum(a * b for a, b in per_both.values()),
        sum(a * b for a, b in per_cluster.values()),
        sum(a * b for a, b in per_entity.values()),
    )


def true_pairs(truth: Mapping[str, str]) -> list[tuple[str, str]]:
    """Every pair of records of the same entity (entities have a handful of records each)."""
    members: dict[str, list[str]] = defaultdict(list)
    for rid, entity in truth.items():
        members[entity].append(rid)
    out = []
    for rids in members.values():
        rids.sort()
        out += [(a, b) for i, a in enumerate(rids) for b in rids[i + 1 :]]
    return out


def recall_by_group(
    clusters: Mapping[str, str],
    pairs: Iterable[tuple[str, str]],
    group_of: Mapping[tuple[str, str], str] | None,
    label: Mapping[str, str],
) -> dict[str, tuple[int, int]]:
    """For each group of true pairs, (found, total). ``label`` maps a record to a tag (its script);
    a pair's group is its two tags in sorted order ("arabic-latin"), or ``group_of[pair]``."""
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for a, b in pairs:
        group = group_of[(a, b)] if group_of is not None else "-".join(sorted((label[a], label[b])))
        cell = out[group]
        cell[1] += 1
        if clusters.get(a, "\0" + a) == clusters.get(b, "\0" + b):
            cell[0] += 1
    return {k: (v[0], v[1]) for k, v in sorted(out.items())}


def recall_by_flags(
    clusters: Mapping[str, str], pairs: Iterable[tuple[str, str]], flags: Mapping[str, frozenset[str]]
) -> dict[str, tuple[int, int]]:
    """For each kind of noise, (found, total) of true pairs where either record carries it; ``clean``
    counts pairs where neither does. A pair with several kinds counts under each."""
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for a, b in pairs:
        found = clusters.get(a, "\0" + a) == clusters.get(b, "\0" + b)
        kinds = flags.get(a, frozenset()) | flags.get(b, frozenset())
        for kind in kinds or ("clean",):
            out[kind][1] += 1
            out[kind][0] += found
    return {k: (v[0], v[1]) for k, v in sorted(out.items())}


def cross_script_recall(
    clusters: Mapping[str, str], truth: Mapping[str, str], script: Mapping[str, str]
) -> tuple[int, int]:
    """(found, total) of true pairs whose two records are written in different scripts."""
    found = total = 0
    for a, b in true_pairs(truth):
        if script[a] != script[b]:
            total += 1
            found += clusters.get(a, "\0" + a) == clusters.get(b, "\0" + b)
    return found, total


def relatives_merged(
    clusters: Mapping[str, str], relations: Iterable[tuple[str, str, str]]
) -> dict[str, tuple[int, int]]:
    """Per relation type (and ``all``): (pairs put in one cluster, pairs) among records of different
    persons who are related or share a name."""
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for a, b, relation in relations:
        merged = clusters.get(a, "\0" + a) == clusters.get(b, "\0" + b)
        for key in (relation, "all"):
            out[key][1] += 1
            out[key][0] += merged
    return {k: (v[0], v[1]) for k, v in sorted(out.items())}


def false_pairs(
    clusters: Mapping[str, str], truth: Mapping[str, str], max_cluster: int = 200
) -> tuple[list[tuple[str, str]], int, int]:
    """The predicted pairs that are wrong (records of different persons in one cluster), from
    clusters of at most ``max_cluster`` records; also the size of the largest cluster and the number
    of wrong pairs in larger clusters (counted, not listed)."""
    members: dict[str, list[str]] = defaultdict(list)
    for rid in truth:
        members[clusters.get(rid, "\0" + rid)].append(rid)
    out: list[tuple[str, str]] = []
    largest = uncounted = 0
    for rids in members.values():
        largest = max(largest, len(rids))
        if len(rids) < 2:
            continue
        if len(rids) > max_cluster:
            per_entity = Counter(truth[r] for r in rids)
            uncounted += _c2(len(rids)) - sum(_c2(n) for n in per_entity.values())
            continue
        rids.sort()
        out += [(a, b) for i, a in enumerate(rids) for b in rids[i + 1 :] if truth[a] != truth[b]]
    return out, largest, uncounted


def classify_false_pairs(
    wrong: Iterable[tuple[str, str]], relations: Iterable[tuple[str, str, str]]
) -> dict[str, int]:
    """How many wrong pairs are relatives or namesakes of ``relations`` (by relation), and how many
    are strangers (``unrelated``)."""
    wrong_set = {(a, b) if a < b else (b, a) for a, b in wrong}
    out: Counter[str] = Counter()
    found: set[tuple[str, str]] = set()
    for a, b, relation in relations:
        key = (a, b) if a < b else (b, a)
        if key in wrong_set and key not in found:
            found.add(key)
            out[relation] += 1
    out["unrelated"] = len(wrong_set) - len(found)
    return dict(sorted(out.items()))


def read_relations(path: Path) -> Iterable[tuple[str, str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        for row in reader:
            yield row[0], row[1], row[2]


def recall_at_k(
    ranked: Mapping[str, Sequence[str]],
    request_truth: Mapping[str, str],
    truth: Mapping[str, str],
    ks: Sequence[int] = (1, 10),
) -> dict[int, float]:
    """Share of requests whose sought person has a record among the first k candidates."""
    hits = dict.fromkeys(ks, 0)
    for request, entity in request_truth.items():
        candidates = ranked.get(request, ())
        for k in ks:
            if any(truth.get(rid) == entity for rid in candidates[:k]):
                hits[k] += 1
    n = max(1, len(request_truth))
    return {k: hits[k] / n for k in ks}


def read_candidates(path: Path) -> dict[str, list[str]]:
    """``candidates.csv`` (request_id, rank, record_id, ...) → request → record ids by rank."""
    rows: dict[str, list[tuple[float, str]]] = defaultdict(list)
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            rows[row["request_id"]].append((float(row["rank"]), row["record_id"]))
    return {k: [rid for _, rid in sorted(v)] for k, v in rows.items()}
