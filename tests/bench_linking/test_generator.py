"""The cross-script benchmark's generator: deterministic per seed, a consistent ground truth, the
population it promises (scripts, appearances, hard negatives), and its spelling rules."""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import random
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from linking import scripts
from linking.generator import Paths, generate
from linking.population import FamilyMaker
from linking.render import HEADER
from linking.tracing import REQUEST_HEADER

N = 6_000


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _digest(out: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.glob("*.csv"))}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("xs")
    generate(out, N, seed=11, requests=300)
    return out


def test_same_seed_same_files_other_seed_other_files(dataset: Path, tmp_path: Path) -> None:
    generate(tmp_path / "again", N, seed=11, requests=300)
    generate(tmp_path / "other", N, seed=12, requests=300)
    assert _digest(tmp_path / "again") == _digest(dataset)
    other = _digest(tmp_path / "other")
    assert other["records.csv"] != _digest(dataset)["records.csv"]


def test_every_record_has_exactly_one_entity(dataset: Path) -> None:
    paths = Paths.under(dataset)
    records = _rows(paths.records)
    truth = _rows(paths.truth)
    assert list(records[0]) == list(HEADER)
    assert len(records) == N
    ids = [r["record_id"] for r in records]
    assert len(set(ids)) == N
    truth_ids = [t["record_id"] for t in truth]
    assert sorted(truth_ids) == sorted(ids)
    per_entity = Counter(t["entity_id"] for t in truth)
    assert max(per_entity.values()) <= 4
    assert 1.8 <= N / len(per_entity) <= 2.6  # 1-4 appearances, 2.15 on average


def test_records_are_not_grouped_by_person(dataset: Path) -> None:
    """The shuffle buffer spreads a person's records: neighbours in the file are rarely one person."""
    paths = Paths.under(dataset)
    entity = {t["record_id"]: t["entity_id"] for t in _rows(paths.truth)}
    order = [r["record_id"] for r in _rows(paths.records)]
    same = sum(entity[a] == entity[b] for a, b in itertools.pairwise(order))
    assert same < N * 0.02


def test_relations_join_different_persons_and_cover_every_kind(dataset: Path) -> None:
    paths = Paths.under(dataset)
    entity = {t["record_id"]: t["entity_id"] for t in _rows(paths.truth)}
    relations = _rows(paths.relations)
    kinds = Counter(r["relation"] for r in relations)
    for kind in ("sibling", "twin", "namesake", "father_son_same_name", "spouse", "parent_child"):
        assert kinds[kind] > 0, kind
    for r in relations:
        assert entity[r["record_id_l"]] != entity[r["record_id_r"]]
    # Siblings are a large share of the hard negatives; twins and namesakes a small one.
    assert kinds["sibling"] > 10 * kinds["twin"]
    assert kinds["sibling"] > kinds["namesake"]


def test_scripts_and_sources_in_the_promised_shares(dataset: Path) -> None:
    paths = Paths.under(dataset)
    manifest = json.loads(paths.manifest.read_text(encoding="utf-8"))
    shares = manifest["scripts"]
    assert 0.25 <= shares["arabic"] <= 0.45
    assert 0.08 <= shares["cyrillic"] <= 0.22
    assert 0.40 <= shares["latin"] <= 0.65
    meta = {m["record_id"]: m["script"] for m in _rows(paths.meta)}
    by_script = Counter(scripts.script_of(r["given_name"] + r["family_name"]) for r in _rows(paths.records))
    # The script written in meta.csv is the script of the names.
    assert by_script == Counter(meta.values())
    sources = Counter(r["source"] for r in _rows(paths.records))
    assert set(sources) == {"consulate", "shelter", "field", "partner"}


def test_cross_script_pairs_are_common(dataset: Path) -> None:
    paths = Paths.under(dataset)
    meta = {m["record_id"]: m["script"] for m in _rows(paths.meta)}
    members: dict[str, list[str]] = defaultdict(list)
    for t in _rows(paths.truth):
        members[t["entity_id"]].append(t["record_id"])
    cross = total = 0
    for rids in members.values():
        for i, a in enumerate(rids):
            for b in rids[i + 1 :]:
                total += 1
                cross += meta[a] != meta[b]
    assert 0.35 <= cross / total <= 0.8


def test_birth_dates_have_every_precision_and_1_january(dataset: Path) -> None:
    dates = [r["birth_date"] for r in _rows(Paths.under(dataset).records)]
    lengths = Counter(len(d) for d in dates)
    assert lengths[10] > lengths[4] > lengths[7] > 0
    assert lengths[0] > 0
    assert sum(d.endswith("-01-01") for d in dates) > 0.03 * N


def test_requests_point_at_persons_on_the_lists(dataset: Path) -> None:
    paths = Paths.under(dataset)
    entities = {t["entity_id"] for t in _rows(paths.truth)}
    requests = _rows(paths.requests)
    assert list(requests[0]) == list(REQUEST_HEADER)
    truth = {t["request_id"]: t["entity_id"] for t in _rows(paths.requests_truth)}
    assert len(requests) == len(truth) == 300
    assert set(truth.values()) <= entities
    for r in requests:
        assert r["given_name"]
        assert int(r["age_tolerance_years"]) >= 1


def test_families_siblings_twins_and_namesakes_of_the_father() -> None:
    maker = FamilyMaker(random.Random(3))
    twins = siblings = 0
    for i in range(3000):
        persons, rels = maker.mixed() if i % 2 else maker.minority()
        for a, b, kind in rels:
            pa, pb = persons[a], persons[b]
            assert pa.entity_id != pb.entity_id
            if kind == "twin":
                twins += 1
                assert (pa.year, pa.month, pa.day) == (pb.year, pb.month, pb.day)
                assert pa.given is not pb.given
            elif kind == "sibling":
                siblings += 1
                assert pa.family is pb.family and pa.father is pb.father
                assert pa.given is not pb.given
                assert pa.year != pb.year
            elif kind in ("father_son_same_name", "grandson_same_name"):
                assert pa.given is pb.given
    assert twins > 0 and siblings > 20 * twins


def test_sibling_birth_years_step_one_to_three() -> None:
    maker = FamilyMaker(random.Random(5))
    for _ in range(500):
        persons, rels = maker.minority()
        twin_pairs = {(a, b) for a, b, k in rels if k == "twin"}
        kids = sorted({i for a, b, k in rels if k in ("sibling", "twin") for i in (a, b)})
        years = [persons[i].year for i in kids]
        for (i, a), (j, b) in zip(enumerate(years), list(enumerate(years))[1:], strict=False):
            if (kids[i], kids[j]) in twin_pairs:
                assert a == b
            else:
                assert 1 <= b - a <= 3


@pytest.mark.parametrize(
    ("father", "female", "expected"),
    [
        ("Мухаммед", False, "Мухаммедович"),
        ("Мухаммед", True, "Мухаммедовна"),
        ("Али", True, "Алиевна"),
        ("Муса", False, "Мусаевич"),
        ("Сергей", True, "Сергеевна"),
        ("Юрий", False, "Юрьевич"),
        ("Михаил", True, "Михайловна"),
    ],
)
def test_patronymics(father: str, female: bool, expected: str) -> None:
    assert scripts.patronymic(father, female=female) == expected


def test_transliteration_styles_and_feminine_surnames() -> None:
    assert scripts.latin_forms("Наталья")[:2] == ("Natalia", "Natalya")
    assert scripts.cyr_to_latin("Елена", scripts.LATIN_STYLES[1]) == "Yelena"
    assert scripts.feminine_surname("Иванов") == "Иванова"
    assert scripts.feminine_surname("Высоцкий") == "Высоцкая"
    assert scripts.cyr_to_arabic("Наталья") == "ناتاليا"
    assert scripts.script_of("الحسن") == "arabic"
    assert scripts.script_of("Аль-Хасан") == "cyrillic"
    assert scripts.script_of("al-Hassan") == "latin"
