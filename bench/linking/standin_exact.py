"""STAND-IN for harness testing only: NOT the SafePassage engine, never reported as ours.

A trivial exact-match linker with the command-line shape of ``safepassage link`` and ``safepassage
trace``, so the benchmark harness can be exercised before (or without) the engine:

    python bench/linking/standin_exact.py link INPUT.csv --out DIR
    python bench/linking/standin_exact.py trace REGISTRY.csv REQUESTS.csv --out DIR [--top K]

``link`` puts records in one cluster when their case-folded given name, family name and birth date are
equal, or their document numbers (digits only) are; ``trace`` returns records whose case-folded given
and family names equal the request's, nearest birth year first.
"""

from __future__ import annotations

import argparse
import csv
import re
from collections import defaultdict
from pathlib import Path

_DIGITS = re.compile(r"\D+")


def _find(parent: dict[str, str], x: str) -> str:
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def link(input_csv: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    parent: dict[str, str] = {}
    first: dict[tuple[str, ...], str] = {}
    with input_csv.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            rid = row["record_id"]
            parent[rid] = rid
            keys = []
            if row["given_name"] and row["family_name"] and row["birth_date"]:
                keys.append(
                    ("n", row["given_name"].casefold(), row["family_name"].casefold(), row["birth_date"])
                )
            doc = _DIGITS.sub("", row["document_number"])
            if len(doc) >= 6:
                keys.append(("d", doc))
            for key in keys:
                other = first.setdefault(key, rid)
                if other != rid:
                    parent[_find(parent, rid)] = _find(parent, other)
    with (out / "clusters.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("record_id", "cluster_id"))
        for rid in parent:
            writer.writerow((rid, _find(parent, rid)))
    with (out / "pairs.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerow(("record_id_l", "record_id_r", "match_probability"))


def trace(registry: Path, requests: Path, out: Path, top: int) -> None:
    out.mkdir(parents=True, exist_ok=True)
    index: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    with registry.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            key = (row["given_name"].casefold(), row["family_name"].casefold())
            index[key].append((row["record_id"], row["birth_date"][:4]))
    with (
        requests.open(encoding="utf-8", newline="") as src,
        (out / "candidates.csv").open("w", encoding="utf-8", newline="") as dst,
    ):
        writer = csv.writer(dst, lineterminator="\n")
        writer.writerow(("request_id", "rank", "record_id", "score", "explanation"))
        for req in csv.DictReader(src):
            year = int(req["approx_birth_year"] or 0)
            found = index.get((req["given_name"].casefold(), req["family_name"].casefold()), [])
            ranked = sorted(found, key=lambda r: abs(int(r[1]) - year) if r[1].isdigit() else 99)
            for rank, (rid, _) in enumerate(ranked[:top], start=1):
                writer.writerow((req["request_id"], rank, rid, "1.0", "exact given and family name"))


def main() -> int:
    parser = argparse.ArgumentParser(description="Exact-match STAND-IN (not the engine)")
    sub = parser.add_subparsers(dest="command", required=True)
    p_link = sub.add_parser("link")
    p_link.add_argument("input", type=Path)
    p_link.add_argument("--out", type=Path, required=True)
    p_link.add_argument("--backend", default="duckdb")
    p_link.add_argument("--seed", type=int, default=0)
    p_trace = sub.add_parser("trace")
    p_trace.add_argument("registry", type=Path)
    p_trace.add_argument("requests", type=Path)
    p_trace.add_argument("--out", type=Path, required=True)
    p_trace.add_argument("--top", type=int, default=10)
    args = parser.parse_args()
    if args.command == "link":
        link(args.input, args.out)
    else:
        trace(args.registry, args.requests, args.out, args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
