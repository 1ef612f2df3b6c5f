"""A Lagrangian dual over the capacity rows: a proven bound and prices, from vectorised numpy alone.

Relax every capacity row (region x resource) with a price ``y >= 0``; what is left splits by type:

    L(y) = sum_rk capacity[r, k] y[r, k]
         + sum_t count[t] max(0, max over eligible r of (value[t, r] - use[t] . y[r]))

``L(y)`` is an upper bound on the LP (hence on every placement) for ANY ``y >= 0``, so whatever the
search below reaches, the bound it reports is proven. Minimum-fill rows are dropped, which only
loosens the relaxation (the bound stays valid).

``L`` is piecewise linear; it is minimised through its smoothed version (the inner max replaced by
``mu * log-sum-exp(./mu)``, which overstates it by at most ``mu * log(R + 1)`` per household) by
L-BFGS-B over the ~R x K prices, with ``mu`` lowered in steps (continuation), each step warm-started
from the last. Every evaluation is one T x R matrix product and exponential. The prices then rank
each type's regions for the LP's first columns and order a greedy placement (``dual_greedy``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize

from safepassage.placement.engine.decomposition import TypedProblem

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class DualPrices:
    """Prices per region and resource, the proven bound ``L(prices)``, and what it took."""

    prices: FloatArray  # R x K
    bound: float
    evaluations: int
    seconds: float


def lagrangian_bound(p: TypedProblem, prices: FloatArray) -> float:
    """``L(prices)``: exact (not smoothed), valid for any non-negative prices."""
    y = np.maximum(prices, 0.0)
    masked = np.where(p.eligible, p.value - p.use @ y.T, -np.inf)
    best = masked.max(axis=1, initial=-np.inf)
    return float((p.capacity * y).sum() + p.count @ np.maximum(best, 0.0))


def reduced_values(p: TypedProblem, prices: FloatArray) -> FloatArray:
    """T x R: value less the priced use; ``-inf`` where the type is not eligible."""
    return np.where(p.eligible, p.value - p.use @ np.maximum(prices, 0.0).T, -np.inf)


def _scale(p: TypedProblem) -> float:
    """How far apart a type's region values typically lie: the unit the smoothing steps are set in."""
    any_eligible = p.eligible.any(axis=1)
    high = np.where(p.eligible, p.value, -np.inf).max(axis=1, initial=-np.inf)
    low = np.where(p.eligible, p.value, np.inf).min(axis=1, initial=np.inf)
    spread = (high - low)[any_eligible]
    spread = spread[np.isfinite(spread) & (spread > 0)]
    return float(np.median(spread)) if len(spread) else 1.0


def solve_dual(
    p: TypedProblem,
    *,
    time_limit: float,
    steps: tuple[float, ...] = (0.1, 0.03, 0.01, 0.003, 0.001),
    iterations: int = 60,
    start: FloatArray | None = None,
) -> DualPrices:
    """Minimise the smoothed Lagrangian by continuation; return the best exact bound met on the way."""
    began = time.monotonic()
    n_regions, k_res = p.capacity.shape
    eligible_value = np.where(p.eligible, p.value, -np.inf)
    cap = p.capacity.astype(np.float64)
    count = p.count.astype(np.float64)
    evaluations = 0

    def smoothed(flat: FloatArray, mu: float) -> tuple[float, FloatArray]:
        nonlocal evaluations
        evaluations += 1
        y = flat.reshape(n_regions, k_res)
        d = eligible_value - p.use @ y.T
        top = np.maximum(d.max(axis=1, initial=-np.inf), 0.0)
        e = np.exp((d - top[:, None]) / mu)
        s = e.sum(axis=1) + np.exp(-top / mu)
        value = float((cap * y).sum() + count @ (top + mu * np.log(s)))
        weights = e * (count / s)[:, None]
        grad = cap - (weights.T @ p.use)
        return value, grad.reshape(-1)

    y = np.zeros(n_regions * k_res) if start is None else np.maximum(start, 0.0).reshape(-1).copy()
    best_y = y.reshape(n_regions, k_res).copy()
    best = lagrangian_bound(p, best_y)
    if len(count) == 0 or n_regions == 0:
        return DualPrices(best_y, best, evaluations, time.monotonic() - began)
    unit = _scale(p)
    for step in steps:
        left = time_limit - (time.monotonic() - began)
        if left <= 0:
            break
        deadline = time.monotonic() + left

        def stop_after(_: FloatArray, deadline: float = deadline) -> None:
            if time.monotonic() > deadline:
                raise StopIteration

        result = minimize(
            smoothed,
            y,
            args=(step * unit,),
            jac=True,
            method="L-BFGS-B",
            bounds=[(0.0, None)] * len(y),
            callback=stop_after,
            options={"maxiter": iterations, "maxcor": 20},
        )
        y = np.maximum(np.asarray(result.x, dtype=np.float64), 0.0)
        candidate = lagrangian_bound(p, y.reshape(n_regions, k_res))
        if candidate < best:
            best, best_y = candidate, y.reshape(n_regions, k_res).copy()
    return DualPrices(best_y, best, evaluations, time.monotonic() - began)


def dual_greedy(p: TypedProblem, prices: FloatArray, left: FloatArray, residual: FloatArray) -> FloatArray:
    """Types by regret (best reduced value less the next best, or less nothing), each to its
    best-priced region that still fits: types that lose most when pushed from their region go first.

    ``left`` (households per type still to place) and ``residual`` (capacity left) are updated in
    place. As many households of a type as fit go at once, so the loop runs once per type and region.
    """
    out = np.zeros_like(p.value)
    reduced = reduced_values(p, prices)
    best = reduced.max(axis=1, initial=-np.inf)
    if reduced.shape[1] > 1:
        second = np.partition(np.where(np.isfinite(reduced), reduced, -1e300), -2, axis=1)[:, -2]
    else:
        second = np.full(len(best), -1e300)
    regret = np.where(np.isfinite(best), best - np.maximum(second, 0.0), -np.inf)
    order = np.argsort(-regret, kind="stable")
    ranked = np.argsort(-reduced, axis=1, kind="stable")
    for t in order:
        if left[t] < 0.5 or not np.isfinite(best[t]):
            continue
        use = p.use[t]
        needs = use > 0
        for r in ranked[t]:
            if not np.isfinite(reduced[t, r]):
                break
            room = residual[r, needs] / use[needs]
            fit = float(np.floor(room.min() + 1e-9)) if needs.any() else float(left[t])
            k = min(float(np.floor(left[t] + 1e-9)), fit)
            if k >= 1:
                out[t, r] += k
                left[t] -= k
                residual[r] -= k * use
            if left[t] < 0.5:
                break
    return out
