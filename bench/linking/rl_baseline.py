"""recordlinkage's classic approach on FEBRL4, the second baseline of ``bench_febrl.py``.

    python bench/linking/rl_baseline.py A.csv B.csv --out DIR

As in the recordlinkage documentation: an index by blocking (here the union of blocks on given name,
surname and date of birth, so that one typo does not hide a pair), binary comparisons (Jaro-Winkler ≥
0.85 on names and address, exact on date of birth, suburb, state, soc_sec_id) and the unsupervised
ECMClassifier (Fellegi-Sunter with EM). Matched pairs become clusters by connected components, written
to ``DIR/clusters.csv`` like the other linkers'.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import pandas as pd
import recordlinkage


def link(a_csv: Path, b_csv: Path, out: Path) -> None:
    a = pd.read_csv(a_csv, dtype=str, keep_default_na=False).set_index("rec_id")
    b = pd.read_csv(b_csv, dtype=str, keep_default_na=False).set_index("rec_id")
    a = a.replace("", None)
    b = b.replace("", None)
    indexer = recordlinkage.Index()
    indexer.block("given_name")
    indexer.block("surname")
    indexer.block("date_of_birth")
    candidates = indexer.index(a, b)
    compare = recordlinkage.Compare()
    compare.string("given_name", "given_name", method="jarowinkler", threshold=0.85, label="given_name")
    compare.string("surname", "surname", method="jarowinkler", threshold=0.85, label="surname")
    compare.exact("date_of_birth", "date_of_birth", label="date_of_birth")
    compare.exact("suburb", "suburb", label="suburb")
    compare.exact("state", "state", label="state")
    compare.string("address_1", "address_1", method="jarowinkler", threshold=0.85, label="address_1")
    compare.exact("soc_sec_id", "soc_sec_id", label="soc_sec_id")
    features = compare.compute(candidates, a, b)
    ecm = recordlinkage.ECMClassifier(binarize=0.5)
    matches = ecm.fit_predict(features)

    parent = {rid: rid for rid in [*a.index, *b.index]}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for left, right in matches:
        parent[find(left)] = find(right)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "clusters.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("record_id", "cluster_id"))
        for rid in parent:
            writer.writerow((rid, find(rid)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    link(args.a, args.b, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
