"""Dynamic placement: weekly batches placed as they arrive, capacity kept for later arrivals.

Each week the batch is placed by one LP over the batch (whole households) together with a forecast
of everyone still to come (fractional households: the empirical distribution of past placements and
arrivals so far, scaled to the expected number of later arrivals), against the capacity left. The
forecast households compete for capacity at their predicted value, so a dialysis place or a large
flat is kept when later households are expected to need it more; only the batch's placements are
kept, and the next week starts from what is left. A household the LP does not place this week
(its capacity is worth more to those expected) waits for the next batch; in the last week everyone
who still fits anywhere is placed. This is the re-solved certainty-equivalent
(fluid) approximation of the two-stage stochastic programme, the policy family that reaches near
the hindsight optimum in the dynamic resettlement literature (Ahani et al., Operations Research 2024).
Hindsight: the same LP decomposition over the whole year's arrivals at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from safepassage.placement.engine.decomposition import TypedProblem
from safepassage.placement.engine.instance import Instance, build_instance
from safepassage.placement.engine.plan import _PERSONS, aggregate, disaggregate
from safepassage.placement.engine.repair import solve_typed
from safepassage.placement.engine.types import RESOURCES, Household, PlacementPolicy, Region
from safepassage.placement.engine.weekly import WeekBlock, solve_week

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class DynamicResult:
    """Region index per household (-1: unplaced) in the order the batches were given, and totals."""

    household_ids: tuple[str, ...]
    region: IntArray
    objective: float
    expected_outcome: float
    weeks: int
    seconds: float


@dataclass(frozen=True)
class Scenario:
    """Households that may still come this year, each standing for ``weight`` arrivals."""

    households: Sequence[Household]
    scores: FloatArray
    weight: float = 1.0
    integral: bool = False  # placed whole in the week's model (a clairvoyant forecast of real people)


# week index (0-based) -> scenarios of who is still to come after this week
Forecast = Callable[[int], Sequence[Scenario]]


def clairvoyant(
    batches: Sequence[Sequence[Household]], batch_scores: Sequence[FloatArray], *, integral: bool = True
) -> Forecast:
    """The forecast that knows the year: after week w, exactly the households of weeks w+1.. (a
    diagnostic: re-solved each week it must reach the hindsight plan, or the weekly model is wrong)."""

    def forecast(week: int) -> list[Scenario]:
        later = [h for b in batches[week + 1 :] for h in b]
        if not later:
            return []
        return [Scenario(later, np.vstack([np.asarray(s) for s in batch_scores[week + 1 :]]), 1.0, integral)]

    return forecast


def _with_capacity(regions: Sequence[Region], capacity: IntArray) -> list[Region]:
    out: list[Region] = []
    for j, r in enumerate(regions):
        caps: dict[str, Any] = {res.value: int(capacity[j, k]) for k, res in enumerate(RESOURCES)}
        out.append(replace(r, **caps))
    return out


def _sampled(
    pool_h: Sequence[Household],
    pool_all: FloatArray,
    lo: int,
    later: int,
    pool_size: int,
    n_scenarios: int,
    rng: np.random.Generator,
) -> list[Scenario]:
    """``n_scenarios`` independent samples of the pool from row ``lo`` on, each scaled to ``later``."""
    available = len(pool_h) - lo
    if not later or available <= 0 or pool_size <= 0:
        return []
    out: list[Scenario] = []
    for _ in range(n_scenarios):
        take = lo + rng.choice(available, size=min(pool_size, available), replace=False)
        out.append(Scenario([pool_h[int(i)] for i in take], pool_all[take], later / len(take)))
    return out


def place_dynamic(
    batches: Sequence[Sequence[Household]],
    batch_scores: Sequence[FloatArray],
    regions: Sequence[Region],
    policy: PlacementPolicy,
    *,
    forecast_pool: Sequence[Household],
    forecast_scores: FloatArray,
    expected_total: int | None = None,
    pool_size: int = 600,
    min_arrivals: int = 200,
    now_bonus: float = 0.0,
    time_limit_per_batch: float = 20.0,
    scenarios: int = 1,
    method: str = "milp",
    forecast: Forecast | None = None,
) -> DynamicResult:
    """Place ``batches`` in order; ``forecast_pool`` (e.g. the history's households) with its scores
    describes who may still come. ``expected_total`` is the planned arrivals in the period (default:
    the batches' mean size times their number, as a planner would project it). ``scenarios``
    samples of ``pool_size`` households each are drawn per week; ``method`` "milp" solves the
    week's two-stage programme exactly (``weekly.py``), "lp" by the static solver's LP and repair
    (one scenario only). ``forecast`` replaces the sampling (e.g. ``clairvoyant``).
    """
    start = time.monotonic()
    rng = np.random.default_rng(policy.seed)
    capacity = np.array([[r.capacity(res) for res in RESOURCES] for r in regions], dtype=np.int64)
    sizes = [len(b) for b in batches]
    planned = expected_total if expected_total is not None else sum(sizes)
    pool_h: list[Household] = list(forecast_pool)
    pool_s: list[FloatArray] = [
        np.asarray(forecast_scores, dtype=np.float64).reshape(len(pool_h), len(regions))
    ]
    ids: list[str] = []
    objective = outcome = 0.0
    arrived = 0
    weight = policy.placement_weight
    if weight is None:
        top = max(
            [float(np.max(s)) for s in batch_scores if s.size] + [float(np.max(pool_s[0], initial=0.0))]
        )
        weight = 1.0 + max(top, 0.0)
    fixed = replace(policy, placement_weight=weight, min_fill=0.0)
    waiting: list[Household] = []
    waiting_s = np.zeros((0, len(regions)))
    decided: dict[str, int] = {}
    last = len(batches) - 1
    for week, (arrivals, arrival_score) in enumerate(zip(batches, batch_scores, strict=True)):
        arrived += len(arrivals)
        later = max(planned - arrived, 0)
        fresh = np.asarray(arrival_score, dtype=np.float64).reshape(len(arrivals), len(regions))
        # Households the optimiser kept for a later week (capacity reserved for others) join this batch.
        batch = [*waiting, *arrivals]
        scores = np.vstack([waiting_s, fresh])
        pool_all = np.concatenate(pool_s) if pool_s else np.zeros((0, len(regions)))
        # Who is still to come looks like who came so far (ties and preferences included) once
        # enough have come; before that, like the history.
        lo = len(forecast_pool) if arrived - len(arrivals) >= min_arrivals else 0
        drawn = (
            list(forecast(week))
            if forecast is not None
            else _sampled(pool_h, pool_all, lo, later, pool_size, scenarios, rng)
        )
        current = _with_capacity(regions, capacity)
        inst = build_instance(batch, current, scores, fixed)
        region = None
        if method == "milp":
            region = _week_milp(inst, drawn, current, fixed, now_bonus, time_limit_per_batch)
        if region is None:  # "lp", or the week's MILP found no placement in time
            region = _week_lp(inst, drawn[:1], current, fixed, now_bonus, time_limit_per_batch, week == last)
        placed = np.flatnonzero(region >= 0)
        np.subtract.at(capacity, region[placed], inst.use[placed])
        objective += float(inst.value[placed, region[placed]].sum())
        outcome += float(inst.score[placed, region[placed]].sum())
        for i in placed:
            decided[batch[int(i)].household_id] = int(region[i])
        deferred = np.flatnonzero(region < 0)
        waiting = [batch[int(i)] for i in deferred]
        waiting_s = scores[deferred]
        ids.extend(h.household_id for h in arrivals)
        pool_h.extend(arrivals)
        pool_s.append(fresh)
    return DynamicResult(
        household_ids=tuple(ids),
        region=np.array([decided.get(i, -1) for i in ids], dtype=np.int64),
        objective=objective,
        expected_outcome=outcome,
        weeks=len(batches),
        seconds=time.monotonic() - start,
    )


def _week_milp(
    inst: Instance,
    drawn: Sequence[Scenario],
    current: Sequence[Region],
    policy: PlacementPolicy,
    now_bonus: float,
    time_limit: float,
) -> IntArray | None:
    """The week's two-stage programme solved exactly: the batch integral, each scenario continuous."""
    batch = WeekBlock(inst.use, inst.eligible, inst.value + now_bonus, np.ones(len(inst.use)))
    blocks = []
    for sc in drawn:
        f = build_instance(list(sc.households), current, sc.scores, policy)
        blocks.append(WeekBlock(f.use, f.eligible, f.value, np.full(len(f.use), sc.weight), sc.integral))
    decision = solve_week(batch, blocks, inst.capacity, time_limit=time_limit)
    return decision.region if decision.solved else None


def _week_lp(
    inst: Instance,
    drawn: Sequence[Scenario],
    current: Sequence[Region],
    policy: PlacementPolicy,
    now_bonus: float,
    time_limit: float,
    last: bool,
) -> IntArray:
    """The week's certainty-equivalent LP by the static solver (typed LP, repair), one scenario."""
    n_now = len(inst.use)
    if drawn:
        sc = drawn[0]
        f = build_instance(list(sc.households), current, sc.scores, policy)
        use = np.vstack([inst.use, f.use])
        eligible = np.vstack([inst.eligible, f.eligible])
        value = np.vstack([inst.value, f.value])
        scale = sc.weight
    else:
        use, eligible, value, scale = inst.use, inst.eligible, inst.value, 0.0
    both = replace(inst, use=use, eligible=eligible, value=value)
    first_now, inv_now = _types(both, 0, n_now)
    first_f, inv_f = _types(both, n_now, len(use))
    count_f = np.bincount(inv_f, minlength=len(first_f)).astype(np.float64) * scale
    rows = np.concatenate([first_now, first_f])
    problem = TypedProblem(
        count=np.concatenate([np.bincount(inv_now, minlength=len(first_now)).astype(np.float64), count_f]),
        integral=np.concatenate([np.ones(len(first_now), dtype=bool), np.zeros(len(first_f), dtype=bool)]),
        use=use[rows].astype(np.float64),
        value=value[rows]
        + np.concatenate([np.full(len(first_now), now_bonus), np.zeros(len(first_f))])[:, None],
        eligible=eligible[rows],
        capacity=inst.capacity.astype(np.float64),
        min_persons=np.zeros(len(current)),
        persons_col=_PERSONS,
    )
    solution = solve_typed(
        problem, time_limit=time_limit, gap_target=policy.gap_target, release_forecast=last
    )
    return disaggregate(solution.assign[: len(first_now)], inv_now, len(current))


def _types(inst: Instance, lo: int, hi: int) -> tuple[IntArray, IntArray]:
    """Types among rows lo..hi of an instance (first row of each type, absolute; type of each row)."""
    sub = replace(
        inst,
        use=inst.use[lo:hi],
        eligible=inst.eligible[lo:hi],
        value=inst.value[lo:hi],
    )
    first, inverse = aggregate(sub)
    return first + lo, inverse
