"""Seeded synthetic instances (never real people): groups waiting at four assembly points and the
legs leaving them, for tests and benchmarks.

The shape follows the operation the issue describes: assembly points at Damascus, Aleppo and
Latakia and an airbase where thousands shelter; households of 1 to 10 seated persons (about 4
people a group), some infants, a few stretcher patients; declared baggage in whole kilograms;
four tiers, the urgent ones rare; flights, convoys and ships over three days with fewer places
than people (about 70% of the seats needed), so the tiers really compete.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from safepassage.movements.planner.model import Group, Leg, SplitPermission

ORIGINS = (("damascus", 0.3), ("aleppo", 0.2), ("latakia", 0.15), ("airbase", 0.35))
DESTINATIONS = ("larnaca", "amman", "beirut-port")
START = dt.datetime(2026, 11, 23, 6, 0, tzinfo=dt.UTC)
TIER_SHARES = (0.08, 0.22, 0.35, 0.35)


@dataclass(frozen=True)
class Instance:
    groups: tuple[Group, ...]
    legs: tuple[Leg, ...]


def _group(rng: random.Random, i: int, origin: str, split_share: float, baggage_step: int) -> Group:
    persons = min(10, max(1, round(rng.gammavariate(2.6, 1.5))))
    infants = 0 if rng.random() > 0.22 else (1 if rng.random() < 0.85 else 2)
    stretchers = 1 if rng.random() < 0.02 else 0
    tier = rng.choices(range(1, 5), weights=TIER_SHARES)[0]
    if stretchers:
        tier = 1
    kilos = sum(max(0.0, rng.gauss(17, 6)) for _ in range(persons + stretchers)) + 5 * infants
    baggage = baggage_step * round(kilos / baggage_step)
    registered = START - dt.timedelta(days=20) + dt.timedelta(seconds=rng.randrange(20 * 86400))
    split = (
        SplitPermission("supervisor_synthetic", "large travel group, agreed to travel on several legs")
        if persons >= 6 and rng.random() < split_share
        else None
    )
    return Group(
        group_id=f"G{i:06d}",
        origin_site=origin,
        persons=persons,
        infants=infants,
        stretchers=stretchers,
        baggage_kg=float(baggage),
        tier=tier,
        registered_at=registered,
        may_split=split,
    )


def generate(
    n_groups: int = 10_000,
    n_legs: int = 100,
    *,
    seed: int = 1,
    capacity_ratio: float = 0.7,
    split_share: float = 0.0,
    baggage_step: int = 1,
) -> Instance:
    """``n_groups`` groups and ``n_legs`` legs; ``capacity_ratio`` is seats offered per seated
    person waiting; ``split_share`` of large groups (6+) may split; baggage is declared to
    ``baggage_step`` kg (1: to the kilogram)."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    origins = [o for o, _ in ORIGINS]
    weights = [w for _, w in ORIGINS]
    groups = [
        _group(rng, i, rng.choices(origins, weights=weights)[0], split_share, baggage_step)
        for i in range(n_groups)
    ]
    legs: list[Leg] = []
    per_origin = {o: max(1, round(n_legs * w)) for o, w in ORIGINS}
    while sum(per_origin.values()) > n_legs and n_legs >= len(origins):
        biggest = max(per_origin, key=lambda o: per_origin[o])
        per_origin[biggest] -= 1
    while sum(per_origin.values()) < n_legs:
        per_origin[max(per_origin, key=lambda o: per_origin[o])] += 1
    count = 0
    for origin in origins:
        mine = [g for g in groups if g.origin_site == origin]
        seats_needed = sum(g.persons for g in mine)
        k = per_origin[origin]
        if k <= 0:
            continue
        shares = [rng.uniform(0.5, 1.5) for _ in range(k)]
        total = sum(shares)
        for share in shares:
            seats = max(4, round(seats_needed * capacity_ratio * share / total))
            count += 1
            legs.append(
                Leg(
                    leg_id=f"L{count:03d}",
                    origin_site=origin,
                    destination_site=rng.choice(DESTINATIONS),
                    departure=START + dt.timedelta(minutes=15 * rng.randrange(4 * 72)),
                    seats=seats,
                    lap_places=max(1, round(seats * rng.uniform(0.03, 0.07))),
                    stretcher_places=rng.choice((0, 0, 2, 4, 6)),
                    baggage_kg=float(round(seats * rng.uniform(12, 18))),
                )
            )
    return Instance(tuple(groups), tuple(legs))
