"""Seeded generator of the cross-script linking benchmark: records, ground truth, hard negatives, requests.

    .venv/bin/python bench/linking/generator.py --records 100000 --seed 7 --out /tmp/xs

writes, in ``--out``:

- ``records.csv``: the batch CSV of ``safepassage link`` (one row per record, in the order a shuffle
  buffer leaves them: a person's records are not neighbours, and record ids are a permutation);
- ``truth.csv`` (``record_id,entity_id``): the person behind each record;
- ``relations.csv`` (``record_id_l,record_id_r,relation``): record pairs of *different* persons who
  look alike: sibling, twin, namesake, father_son_same_name, grandson_same_name, spouse, parent_child;
- ``requests.csv`` (the REQUESTS.csv of ``safepassage trace``) and ``requests_truth.csv``
  (``request_id,entity_id``);
- ``meta.csv`` (``record_id,script,flags``): the script of each record and the noise it carries
  (married, swapped, joined, typo, passport_latin, no_family, no_day), to break recall down;
- ``manifest.json``: seed, counts, shares of scripts and relations, seconds taken.

Deterministic for a seed and a record count; memory is bounded (rows stream to disk through a
50,000-row shuffle buffer; the only array is the record-id permutation). Nothing here imports
``safepassage``: the truth must not share the engine's knowledge of names.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

if __package__ in (None, ""):  # run as a script: make ``linking`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "linking"

from .population import FamilyMaker, Person
from .render import HEADER, pick_script, pick_source, render
from .tracing import REQUEST_HEADER, make_request

GENERATOR_VERSION = 2  # 2: requests depend on the requester's relationship
_SHUFFLE_BUFFER = 50_000
_APPEARANCES = (1, 2, 3, 4)
_APPEARANCE_WEIGHTS = (30, 35, 25, 10)
_NAMESAKE_RESERVOIR = 5_000


@dataclass(frozen=True, slots=True)
class Paths:
    records: Path
    truth: Path
    relations: Path
    requests: Path
    requests_truth: Path
    manifest: Path
    meta: Path

    @classmethod
    def under(cls, out: Path) -> Paths:
        return cls(
            out / "records.csv", out / "truth.csv", out / "relations.csv", out / "requests.csv",
            out / "requests_truth.csv", out / "manifest.json", out / "meta.csv",
        )  # fmt: skip


class _ShuffledWriter:
    """Writes rows in a locally shuffled order: a row leaves the buffer at a random moment."""

    def __init__(self, handle: IO[str], rng: random.Random, size: int = _SHUFFLE_BUFFER) -> None:
        self.writer = csv.writer(handle, lineterminator="\n")
        self.rng = rng
        self.size = size
        self.buffer: list[list[str]] = []

    def add(self, row: list[str]) -> None:
        buf = self.buffer
        if len(buf) < self.size:
            buf.append(row)
            return
        i = self.rng.randrange(self.size)
        self.writer.writerow(buf[i])
        buf[i] = row

    def close(self) -> None:
        self.rng.shuffle(self.buffer)
        self.writer.writerows(self.buffer)
        self.buffer = []


def _families(
    maker: FamilyMaker, rng: random.Random
) -> Iterator[tuple[list[Person], list[tuple[int, int, str]]]]:
    while True:
        yield maker.mixed() if rng.random() < 0.5 else maker.minority()


def generate(out: Path, records: int, seed: int = 7, requests: int = 2_000) -> dict[str, object]:
    """Write the data set for ``records`` records and ``seed`` under ``out``; return the manifest."""
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    paths = Paths.under(out)
    rng = random.Random(seed)
    req_rng = random.Random(seed * 7919 + 1)
    ids = list(range(records))
    random.Random(seed * 7919 + 2).shuffle(ids)
    width = len(str(records))
    maker = FamilyMaker(rng)
    reservoir: list[Person] = []
    seen_for_reservoir = 0
    request_rate = min(1.0, requests / max(1.0, records / 2.2) * 1.1)
    scripts: Counter[str] = Counter()
    relations: Counter[str] = Counter()
    emitted = entities = made_requests = 0

    with (
        paths.records.open("w", encoding="utf-8", newline="") as rec_h,
        paths.truth.open("w", encoding="utf-8", newline="") as truth_h,
        paths.relations.open("w", encoding="utf-8", newline="") as rel_h,
        paths.requests.open("w", encoding="utf-8", newline="") as req_h,
        paths.requests_truth.open("w", encoding="utf-8", newline="") as reqt_h,
        paths.meta.open("w", encoding="utf-8", newline="") as meta_h,
    ):
        rec_w = _ShuffledWriter(rec_h, random.Random(seed * 7919 + 3))
        rec_w.writer.writerow(HEADER)
        truth_w = csv.writer(truth_h, lineterminator="\n")
        truth_w.writerow(("record_id", "entity_id"))
        rel_w = csv.writer(rel_h, lineterminator="\n")
        rel_w.writerow(("record_id_l", "record_id_r", "relation"))
        req_w = csv.writer(req_h, lineterminator="\n")
        req_w.writerow(REQUEST_HEADER)
        reqt_w = csv.writer(reqt_h, lineterminator="\n")
        reqt_w.writerow(("request_id", "entity_id"))
        meta_w = csv.writer(meta_h, lineterminator="\n")
        meta_w.writerow(("record_id", "script", "flags"))

        for persons, rels in _families(maker, rng):
            if emitted >= records:
                break
            namesakes: list[tuple[int, Person]] = []
            for i, p in enumerate(persons):
                # Namesakes: a mother or a man on his own takes the full name of an earlier stranger.
                if p.may_be_namesake and reservoir and rng.random() < 0.15:
                    other = rng.choice(reservoir)
                    if other.sex == p.sex and other.arab_name and other.records:
                        p.given, p.father, p.family = other.given, other.father, other.family
                        p.year = other.year + rng.randint(-4, 4)
                        namesakes.append((i, other))
            for p in persons:
                if emitted >= records:
                    break
                entities += 1
                for _ in range(rng.choices(_APPEARANCES, _APPEARANCE_WEIGHTS)[0]):
                    if emitted >= records:
                        break
                    source = pick_source(p, rng)
                    script = pick_script(p, source, rng)
                    rid = f"R{ids[emitted]:0{width}d}"
                    emitted += 1
                    p.records.append(rid)
                    scripts[script] += 1
                    row, flags = render(p, source, script, rng)
                    rec_w.add([rid, *row])
                    truth_w.writerow((rid, p.entity_id))
                    meta_w.writerow((rid, script, " ".join(flags)))
                if p.records and req_rng.random() < request_rate and made_requests < requests:
                    made_requests += 1
                    request_id = f"Q{made_requests:06d}"
                    req_w.writerow(make_request(request_id, p, req_rng))
                    reqt_w.writerow((request_id, p.entity_id))
            pairs = [(persons[a], persons[b], r) for a, b, r in rels]
            pairs += [(persons[i], other, "namesake") for i, other in namesakes]
            for a, b, relation in pairs:
                for ra in a.records:
                    for rb in b.records:
                        rel_w.writerow((ra, rb, relation))
                        relations[relation] += 1
            for p in persons:  # reservoir sampling of earlier persons, for namesakes
                seen_for_reservoir += 1
                if len(reservoir) < _NAMESAKE_RESERVOIR:
                    reservoir.append(p)
                else:
                    j = rng.randrange(seen_for_reservoir)
                    if j < _NAMESAKE_RESERVOIR:
                        reservoir[j] = p
        rec_w.close()

    total = max(1, sum(scripts.values()))
    manifest: dict[str, object] = {
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "records": emitted,
        "entities": entities,
        "requests": made_requests,
        "scripts": {k: round(v / total, 4) for k, v in sorted(scripts.items())},
        "relations": dict(sorted(relations.items())),
        "seconds": round(time.perf_counter() - started, 1),
    }
    paths.manifest.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    manifest = generate(args.out, args.records, args.seed, args.requests)
    print(json.dumps(manifest, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
