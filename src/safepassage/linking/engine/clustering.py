"""Clusters from scored pairs: connected components at a threshold, guarded against chaining.

Plain connected components let one doubtful link join two groups of different people (a father
and his son named after him, each with three records). The guard: links are added strongest first;
two groups are joined only when no pair across them was scored as *clearly different* (a match
probability at or below ``cannot_link_below`` among the scored pairs). Siblings and namesakes
scored strongly apart therefore never end in one cluster through a third record.

Deterministic: links are taken by (probability descending, ids ascending); cluster ids are the
smallest record_id of each cluster.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = ["cluster_pairs"]


class _Groups:
    def __init__(self, ids: Iterable[str]) -> None:
        self.parent: dict[str, str] = {i: i for i in ids}
        self.members: dict[str, set[str]] = {i: {i} for i in self.parent}

    def find(self, item: str) -> str:
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a: str, b: str) -> None:
        if len(self.members[a]) < len(self.members[b]):
            a, b = b, a
        self.parent[b] = a
        self.members[a] |= self.members.pop(b)


def cluster_pairs(
    ids: Sequence[str],
    pairs: Iterable[tuple[str, str, float]],
    *,
    threshold: float,
    cannot_link_below: float = 0.001,
) -> dict[str, str]:
    """Map every id to its cluster id (the smallest id in the cluster); ``pairs`` are
    ``(id_l, id_r, match_probability)``, ids not in ``ids`` are ignored."""
    groups = _Groups(ids)
    links: list[tuple[float, str, str]] = []
    apart: dict[str, set[str]] = {}
    for left, right, probability in pairs:
        if left not in groups.parent or right not in groups.parent or left == right:
            continue
        a, b = (left, right) if left < right else (right, left)
        if probability >= threshold:
            links.append((-probability, a, b))
        elif probability <= cannot_link_below:
            apart.setdefault(a, set()).add(b)
            apart.setdefault(b, set()).add(a)
    links.sort()
    for _, a, b in links:
        root_a, root_b = groups.find(a), groups.find(b)
        if root_a == root_b:
            continue
        small, large = sorted((root_a, root_b), key=lambda r: len(groups.members[r]))
        large_members = groups.members[large]
        if any(apart.get(m, set()) & large_members for m in groups.members[small]):
            continue
        groups.union(root_a, root_b)
    cluster_of: dict[str, str] = {}
    for root, members in groups.members.items():
        del root
        label = min(members)
        for member in members:
            cluster_of[member] = label
    return cluster_of
