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
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from safepassage.placement.engine.decomposition import TypedProblem
from safepassage.placement.engine.instance import Instance, build_instance
from safepassage.placement.engine.plan import _PERSONS, aggregate, disaggregate
from safepassage.placement.engine.repair import solve_typed
from safepassage.placement.engine.types import RESOURCES, Household, PlacementPolicy, Region

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


def _with_capacity(regions: Sequence[Region], capacity: IntArray) -> list[Region]:
    out: list[Region] = []
    for j, r in enumerate(regions):
        caps: dict[str, Any] = {res.value: int(capacity[j, k]) for k, res in enumerate(RESOURCES)}
        out.append(replace(r, **caps))
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
) -> DynamicResult:
    """Place ``batches`` in order; ``forecast_pool`` (e.g. the history's households) with its scores
    describes who may still come. ``expected_total`` is the planned arrivals in the period (default:
    the batches' mean size times their number, as a planner would project it).
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
        available = len(pool_h) - lo
        take: IntArray = (
            lo + rng.choice(available, size=min(pool_size, available), replace=False)
            if later and available > 0 and pool_size > 0
            else np.zeros(0, dtype=np.int64)
        )
        sample = [pool_h[int(i)] for i in take]
        households = [*batch, *sample]
        all_scores = (
            np.vstack([scores, pool_all[np.asarray(take, dtype=np.int64)]]) if len(sample) else scores
        )
        inst = build_instance(households, _with_capacity(regions, capacity), all_scores, fixed)
        n_now = len(batch)
        first_now, inv_now = _types(inst, 0, n_now)
        first_f, inv_f = _types(inst, n_now, len(households))
        count_f = np.bincount(inv_f, minlength=len(first_f)).astype(np.float64) * (
            later / max(len(sample), 1)
        )
        rows = np.concatenate([first_now, first_f])
        problem = TypedProblem(
            count=np.concatenate(
                [np.bincount(inv_now, minlength=len(first_now)).astype(np.float64), count_f]
            ),
            integral=np.concatenate(
                [np.ones(len(first_now), dtype=bool), np.zeros(len(first_f), dtype=bool)]
            ),
            use=inst.use[rows].astype(np.float64),
            value=inst.value[rows]
            + np.concatenate([np.full(len(first_now), now_bonus), np.zeros(len(first_f))])[:, None],
            eligible=inst.eligible[rows],
            capacity=inst.capacity.astype(np.float64),
            min_persons=np.zeros(len(regions)),
            persons_col=_PERSONS,
        )
        solution = solve_typed(
            problem,
            time_limit=time_limit_per_batch,
            gap_target=policy.gap_target,
            release_forecast=week == last,
        )
        region = disaggregate(solution.assign[: len(first_now)], inv_now, len(regions))
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
