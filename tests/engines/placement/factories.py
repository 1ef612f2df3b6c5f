"""Small seeded instances for the placement tests (synthetic; no real people)."""

from __future__ import annotations

import numpy as np

from safepassage.placement.engine import Education, Household, Region


def household(hid: str, **overrides: object) -> Household:
    fields: dict[str, object] = {"household_id": hid, "adults": 2, "languages": ("ar",)}
    fields.update(overrides)
    return Household(**fields)  # type: ignore[arg-type]


def region(rid: str, **overrides: object) -> Region:
    fields: dict[str, object] = {
        "region_id": rid,
        "quota_persons": 100,
        "housing_small": 50,
        "housing_large": 10,
        "school_places": 50,
        "kindergarten_places": 50,
        "dialysis": 0,
        "oncology": 0,
        "disability": 0,
        "language_course": 100,
        "unemployment_rate": 0.05,
        "communities": ("ar",),
    }
    fields.update(overrides)
    return Region(**fields)  # type: ignore[arg-type]


def random_instance(seed: int, n: int = 30, m: int = 4) -> tuple[list[Household], list[Region], np.ndarray]:
    """Tight random capacities, some medical needs and ties, random scores."""
    rng = np.random.default_rng(seed)
    regions = [
        region(
            f"R{j}",
            quota_persons=int(rng.integers(10, 40)),
            housing_small=int(rng.integers(2, 10)),
            housing_large=int(rng.integers(0, 3)),
            school_places=int(rng.integers(0, 12)),
            kindergarten_places=int(rng.integers(0, 8)),
            dialysis=int(rng.integers(0, 2)) * int(rng.integers(1, 3)),
            oncology=int(rng.integers(0, 2)),
            disability=int(rng.integers(0, 3)),
            language_course=int(rng.integers(5, 30)),
        )
        for j in range(m)
    ]
    households = []
    for i in range(n):
        needs: tuple[str, ...] = ()
        u = rng.random()
        if u < 0.08:
            needs = ("dialysis",)
        elif u < 0.15:
            needs = ("oncology",)
        elif u < 0.25:
            needs = ("disability", "woman_at_risk")
        households.append(
            household(
                f"H{i}",
                adults=int(rng.integers(1, 4)),
                children_0_5=int(rng.integers(0, 3)),
                children_6_17=int(rng.integers(0, 4)),
                elderly=int(rng.integers(0, 2)),
                languages=("ar", "de") if rng.random() < 0.2 else ("ar",),
                education_max=Education.SECONDARY,
                needs=needs,
                tie_region=f"R{int(rng.integers(0, m))}" if rng.random() < 0.15 else None,
                preferences=(f"R{int(rng.integers(0, m))}",) if rng.random() < 0.2 else (),
            )
        )
    scores = rng.uniform(0.0, 2.0, (n, m))
    return households, regions, scores
