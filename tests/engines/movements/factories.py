"""Plain factories with keyword overrides for planner tests (synthetic, never real people)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from safepassage.movements.planner import Group, Leg, Policy, Problem, SolverSettings, default_policy

T0 = dt.datetime(2026, 11, 23, 6, 0, tzinfo=dt.UTC)


def group(gid: str, **kw: Any) -> Group:
    base: dict[str, Any] = dict(
        group_id=gid,
        origin_site="damascus",
        persons=1,
        infants=0,
        stretchers=0,
        baggage_kg=0.0,
        tier=4,
        registered_at=T0 - dt.timedelta(days=1),
    )
    base.update(kw)
    return Group(**base)


def leg(lid: str, **kw: Any) -> Leg:
    base: dict[str, Any] = dict(
        leg_id=lid,
        origin_site="damascus",
        destination_site="larnaca",
        departure=T0,
        seats=10,
        lap_places=10,
        stretcher_places=10,
        baggage_kg=10_000.0,
    )
    base.update(kw)
    return Leg(**base)


def policy(**solver: Any) -> Policy:
    p = default_policy()
    settings = dict(time_limit_s=20.0, mip_rel_gap=0.0, threads=1, isolate=False)
    settings.update(solver)
    return Policy(p.tiers, p.admission, SolverSettings(**settings), "test")


def problem(groups: list[Group], legs: list[Leg], **kw: Any) -> Problem:
    return Problem(tuple(groups), tuple(legs), kw.pop("policy", policy()), kw.pop("previous", None))
