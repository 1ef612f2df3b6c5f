"""Synthetic placement data with a known ground truth: regions, arriving households, a history.

Real employment outcomes of refugees are sensitive and absent here, so gains are measured against a
truth we write down: :class:`Truth` gives every household's true employment probability per adult in
every region, from household features crossed with hidden region traits (which occupations its labour
market wants, whether it is urban, a region effect) and observed ones (unemployment, communities).
The outcome model never sees the truth, only a history of noisy outcomes drawn from it; this module
is kept apart from ``safepassage.placement.engine``, which never imports it.

Everything is seeded and pure (no database, no web stack).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from safepassage.placement.engine.types import EDUCATION_RANK, Education, HistoryRecord, Household, Region

FloatArray = NDArray[np.float64]
OFFICIAL = "de"
LANGUAGES = ("ar", "fa", "ps", "ku", "ti", "so", "uk", "ru", "fr")
LANGUAGE_SHARE = (0.30, 0.15, 0.10, 0.08, 0.08, 0.07, 0.12, 0.05, 0.05)
OCCUPATIONS = (
    "none",
    "agriculture",
    "construction",
    "manufacturing",
    "care",
    "hospitality",
    "retail",
    "it",
    "teaching",
)
EDUCATION_SHARE = (0.15, 0.25, 0.30, 0.15, 0.15)
OTHER_NEEDS = (
    "woman_at_risk",
    "single_parent",
    "serious_medical_condition",
    "survivor_of_torture",
    "older_person_at_risk",
)


@dataclass(frozen=True)
class Truth:
    """The hidden employment model: per-adult probability for any household in any region."""

    region_ids: tuple[str, ...]
    demand: FloatArray  # regions x occupations, standardised: how much each market wants each trade
    urban: FloatArray  # regions
    effect: FloatArray  # regions
    unemployment: FloatArray  # regions
    communities: tuple[frozenset[str], ...]

    def probability(self, households: Sequence[Household], regions: Sequence[Region]) -> FloatArray:
        index = {rid: j for j, rid in enumerate(self.region_ids)}
        cols = np.array([index[r.region_id] for r in regions], dtype=np.int64)
        edu = np.array([EDUCATION_RANK[h.education_max] for h in households], dtype=np.float64)
        occ = np.array(
            [OCCUPATIONS.index(h.occupation) if h.occupation in OCCUPATIONS else 0 for h in households]
        )
        official = np.array([OFFICIAL in h.languages for h in households], dtype=np.float64)
        english = np.array(["en" in h.languages for h in households], dtype=np.float64)
        small = np.array([h.children_0_5 for h in households], dtype=np.float64)
        medical = np.array(
            [bool({"serious_medical_condition", "dialysis", "oncology"} & set(h.needs)) for h in households],
            dtype=np.float64,
        )
        adults = np.array([h.adults for h in households], dtype=np.float64)
        community = np.array(
            [[bool(set(h.languages) & self.communities[j]) for j in cols] for h in households],
            dtype=np.float64,
        ).reshape(len(households), len(cols))
        logit = (
            -0.9
            + 0.35 * edu[:, None]
            + 0.75 * np.where(occ[:, None] > 0, self.demand[cols][:, occ].T, -0.3)
            + 0.6 * community
            + 0.5 * official[:, None]
            + 0.2 * english[:, None]
            - 8.0 * self.unemployment[cols][None, :]
            + self.effect[cols][None, :]
            + 0.45 * (edu[:, None] >= 3) * (2 * self.urban[cols][None, :] - 1)
            - 0.25 * small[:, None]
            - 0.4 * medical[:, None]
            - 0.1 * (adults[:, None] - 1)
            + 0.6
        )
        return np.asarray(1.0 / (1.0 + np.exp(-logit)), dtype=np.float64)

    def expected(self, households: Sequence[Household], regions: Sequence[Region]) -> FloatArray:
        """True expected employed adults, households x regions (what an oracle would optimise)."""
        adults = np.array([h.adults for h in households], dtype=np.float64)
        return self.probability(households, regions) * adults[:, None]


def _pick(rng: np.random.Generator, options: Sequence[str], p: Sequence[float]) -> str:
    return str(options[int(rng.choice(len(options), p=np.asarray(p) / np.sum(p)))])


def generate_regions(
    n: int = 89, *, persons: int = 300_000, slack: float = 1.05, seed: int = 0
) -> tuple[list[Region], Truth]:
    """``n`` regions whose capacities add up to ``slack`` times the need of ``persons`` arrivals.

    Capacities are heterogeneous per resource (a region rich in school places may have no dialysis),
    so different resources bind in different places.
    """
    rng = np.random.default_rng(seed)
    size = rng.lognormal(0.0, 0.7, n)
    share = size / size.sum()
    # Average need per person of the households generate_households makes (measured, rounded up).
    per_person = {
        "small": 0.29,
        "large": 0.022,
        "school": 0.29,
        "kinder": 0.16,
        "dialysis": 0.0016,
        "oncology": 0.003,
        "disability": 0.012,
        "language": 0.52,
    }

    def spread(total: float, sigma: float, present: float = 1.0) -> NDArray[np.int64]:
        has = rng.random(n) < present
        has[int(np.argmax(size))] = True
        w = share * rng.lognormal(0.0, sigma, n) * has
        return np.asarray(np.floor(total * w / w.sum() + rng.random(n)), dtype=np.int64)

    quota = spread(persons * slack, 0.1)
    small = spread(persons * per_person["small"] * slack, 0.4)
    large = spread(persons * per_person["large"] * slack, 0.6)
    school = spread(persons * per_person["school"] * slack, 0.5)
    kinder = spread(persons * per_person["kinder"] * slack, 0.5)
    dialysis = spread(persons * per_person["dialysis"] * slack * 1.3, 0.3, present=0.3)
    oncology = spread(persons * per_person["oncology"] * slack * 1.3, 0.3, present=0.4)
    disability = spread(persons * per_person["disability"] * slack * 1.2, 0.4, present=0.7)
    language = spread(persons * per_person["language"] * slack, 0.4)
    unemployment = np.round(rng.uniform(0.03, 0.15, n), 3)
    regions: list[Region] = []
    communities: list[frozenset[str]] = []
    for j in range(n):
        k = int(rng.integers(1, 5))
        langs = frozenset(
            str(x)
            for x in rng.choice(
                LANGUAGES, size=k, replace=False, p=np.array(LANGUAGE_SHARE) / sum(LANGUAGE_SHARE)
            )
        )
        communities.append(langs)
        regions.append(
            Region(
                region_id=f"R{j + 1:03d}",
                quota_persons=int(quota[j]),
                housing_small=int(small[j]),
                housing_large=int(large[j]),
                school_places=int(school[j]),
                kindergarten_places=int(kinder[j]),
                dialysis=int(dialysis[j]),
                oncology=int(oncology[j]),
                disability=int(disability[j]),
                language_course=int(language[j]),
                unemployment_rate=float(unemployment[j]),
                communities=tuple(sorted(langs)),
            )
        )
    demand = rng.gamma(1.0, 1.0, (n, len(OCCUPATIONS)))
    demand = (demand - demand.mean()) / demand.std()
    truth = Truth(
        region_ids=tuple(r.region_id for r in regions),
        demand=demand,
        urban=(rng.random(n) < 0.35).astype(np.float64),
        effect=rng.normal(0.0, 0.35, n),
        unemployment=unemployment.astype(np.float64),
        communities=tuple(communities),
    )
    return regions, truth


def generate_households(
    n: int,
    regions: Sequence[Region],
    *,
    seed: int = 0,
    prefix: str = "H",
    weeks: int = 0,
    tie_share: float = 0.08,
    preference_share: float = 0.15,
) -> list[Household]:
    """``n`` arriving households; with ``weeks`` > 0 each carries an arrival week, spread evenly."""
    rng = np.random.default_rng(seed)
    by_language = {lang: [r.region_id for r in regions if lang in r.communities] for lang in LANGUAGES}
    all_ids = [r.region_id for r in regions]
    out: list[Household] = []
    for i in range(n):
        lang = _pick(rng, LANGUAGES, LANGUAGE_SHARE)
        education = Education(_pick(rng, [e.value for e in Education], EDUCATION_SHARE))
        langs = {lang}
        if rng.random() < 0.1 + 0.12 * EDUCATION_RANK[education]:
            langs.add("en")
        if rng.random() < 0.08:
            langs.add(OFFICIAL)
        adults = int(rng.choice([1, 2, 3, 4], p=[0.3, 0.5, 0.13, 0.07]))
        needs: list[str] = []
        u = rng.random()
        if u < 0.005:
            needs.append("dialysis")
        elif u < 0.015:
            needs.append("oncology")
        elif u < 0.05:
            needs.append("disability")
        if rng.random() < 0.1:
            needs.append(str(rng.choice(OTHER_NEEDS)))
        home = by_language[lang] or all_ids
        tie = str(rng.choice(home)) if rng.random() < tie_share else None
        prefs: tuple[str, ...] = ()
        if rng.random() < preference_share:
            k = min(len(home), int(rng.integers(1, 4)))
            prefs = tuple(str(x) for x in rng.choice(home, size=k, replace=False))
        occupation = (
            "none" if education is Education.NONE and rng.random() < 0.5 else str(rng.choice(OCCUPATIONS[1:]))
        )
        out.append(
            Household(
                household_id=f"{prefix}{i + 1:06d}",
                adults=adults,
                children_0_5=int(min(rng.poisson(0.45), 3)),
                children_6_17=int(min(rng.poisson(0.85), 5)),
                elderly=int(rng.choice([0, 1, 2], p=[0.88, 0.09, 0.03])),
                languages=tuple(sorted(langs)),
                education_max=education,
                occupation=occupation,
                needs=tuple(needs),
                tie_region=tie,
                preferences=prefs,
                arrival_week=1 + (i * weeks) // n if weeks > 0 else None,
            )
        )
    return out


def generate_history(
    n: int, regions: Sequence[Region], truth: Truth, *, seed: int = 0
) -> list[HistoryRecord]:
    """Past placements (in proportion to quota, as practice did) with outcomes drawn from the truth."""
    rng = np.random.default_rng(seed + 7919)
    households = generate_households(
        n, regions, seed=seed + 104729, prefix="X", tie_share=0.0, preference_share=0.0
    )
    quota = np.array([max(r.quota_persons, 1) for r in regions], dtype=np.float64)
    where = rng.choice(len(regions), size=n, p=quota / quota.sum())
    p = truth.probability(households, regions)
    employed = rng.binomial(np.array([h.adults for h in households]), p[np.arange(n), where])
    return [
        HistoryRecord(h, regions[int(j)].region_id, int(e))
        for h, j, e in zip(households, where, employed, strict=True)
    ]


def _household_cells(h: Household) -> list[object]:
    return [
        h.household_id,
        h.adults,
        h.children_0_5,
        h.children_6_17,
        h.elderly,
        ";".join(h.languages),
        h.education_max.value,
        h.occupation,
        ";".join(h.needs),
        h.tie_region or "",
        ";".join(h.preferences),
    ]


def write_households(path: Path, households: Sequence[Household]) -> None:
    from safepassage.placement.engine.csvio import HOUSEHOLD_COLUMNS

    weeks = any(h.arrival_week is not None for h in households)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([*HOUSEHOLD_COLUMNS, *(["arrival_week"] if weeks else [])])
        for h in households:
            w.writerow([*_household_cells(h), *([h.arrival_week or ""] if weeks else [])])


def write_regions(path: Path, regions: Sequence[Region]) -> None:
    from safepassage.placement.engine.csvio import REGION_COLUMNS

    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(REGION_COLUMNS)
        for r in regions:
            w.writerow(
                [
                    r.region_id,
                    r.quota_persons,
                    r.housing_small,
                    r.housing_large,
                    r.school_places,
                    r.kindergarten_places,
                    r.dialysis,
                    r.oncology,
                    r.disability,
                    r.language_course,
                    r.unemployment_rate,
                    ";".join(r.communities),
                ]
            )


def write_history(path: Path, history: Sequence[HistoryRecord]) -> None:
    from safepassage.placement.engine.csvio import HISTORY_COLUMNS

    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HISTORY_COLUMNS)
        for rec in history:
            w.writerow([*_household_cells(rec.household), rec.region_id, rec.employed_adults_90d])


def size_capacities(
    regions: Sequence[Region], households: Sequence[Household], *, slack: float = 1.05, seed: int = 0
) -> list[Region]:
    """The same regions with capacities rescaled to ``slack`` times what ``households`` need in all.

    Each resource keeps its regional pattern (where it is plentiful, where it is absent); medical
    services get 30% more spare, as services for rare needs must.
    """
    from dataclasses import replace

    from safepassage.placement.engine.instance import consumption
    from safepassage.placement.engine.types import MEDICAL_RESOURCES, RESOURCES, PlacementPolicy

    policy = PlacementPolicy(official_languages=(OFFICIAL,))
    need = np.zeros(len(RESOURCES))
    for h in households:
        need += np.array(consumption(h, policy), dtype=np.float64)
    rng = np.random.default_rng(seed + 31)
    out: list[dict[str, Any]] = [{} for _ in regions]
    for k, resource in enumerate(RESOURCES):
        old = np.array([r.capacity(resource) for r in regions], dtype=np.float64)
        extra = 1.3 if resource in MEDICAL_RESOURCES else 1.0
        weights = old / old.sum() if old.sum() > 0 else np.full(len(regions), 1.0 / len(regions))
        new = np.floor(slack * extra * need[k] * weights + rng.random(len(regions))).astype(np.int64)
        for j in range(len(regions)):
            out[j][resource.value] = int(new[j])
    return [replace(r, **caps) for r, caps in zip(regions, out, strict=True)]
