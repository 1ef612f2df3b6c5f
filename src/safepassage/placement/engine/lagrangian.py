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
from the last. Every evaluation is one T x R matrix product and exponential. The prices then decide
which types the LP fixes (``pricefix.py``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize

from safepassage.placement.engine.decomposition import TypedProblem

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class DualPrices:
    """Prices per region and resource, the proven bound ``L(prices)``, and what it took."""

    prices: FloatArray  # R x K
    bound: float
    evaluations: int
    seconds: float


def priced(p: TypedProblem, y_cap: FloatArray, y_min: FloatArray | None = None) -> FloatArray:
    """T x R reduced values under capacity (>= 0) and minimum-fill (<= 0) prices; -inf if ineligible."""
    value = p.value - p.use @ np.maximum(y_cap, 0.0).T
    if y_min is not None:
        value = value - p.use[:, p.persons_col][:, None] * np.minimum(y_min, 0.0)[None, :]
    return np.where(p.eligible, value, -np.inf)


def bound_at(
    p: TypedProblem, reduced: FloatArray, y_cap: FloatArray, y_min: FloatArray | None = None
) -> float:
    """``L`` at these prices (``reduced`` = ``priced(p, y_cap, y_min)``): a proven upper bound on the
    LP, hence on every placement. Minimum-fill prices (``<= 0``) enter with the fill they ask for."""
    best = reduced.max(axis=1, initial=-np.inf)
    bound = float((p.capacity * np.maximum(y_cap, 0.0)).sum()) + float(p.count @ np.maximum(best, 0.0))
    if y_min is not None:
        bound += float(p.min_persons @ np.minimum(y_min, 0.0))
    return bound


def lagrangian_bound(p: TypedProblem, prices: FloatArray) -> float:
    """``L(prices)``: exact (not smoothed), valid for any non-negative prices."""
    return bound_at(p, priced(p, prices), prices)


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
    steps: tuple[float, ...] = (0.1, 0.03, 0.01, 0.003, 0.001, 0.0003),
    iterations: int = 150,
    start: FloatArray | None = None,
) -> DualPrices:
    """Minimise the smoothed Lagrangian by continuation; return the best exact bound met on the way.

    Each smoothing step has its share of the time limit, growing as the smoothing falls (the later
    steps need more iterations): a step stopped early leaves its time to the next.
    """
    began = time.monotonic()
    n_regions, k_res = p.capacity.shape
    # The smoothed search runs in single precision (about 2.5x faster here: the T x R products and
    # exponentials dominate); sums that make the value are taken in double, and the bounds reported
    # are always the exact ``L`` in double precision.
    eligible_value = np.where(p.eligible, p.value, -np.inf).astype(np.float32)
    use32 = p.use.astype(np.float32)
    cap = p.capacity.astype(np.float64)
    count = p.count.astype(np.float64)
    evaluations = 0

    def smoothed(flat: FloatArray, mu: float) -> tuple[float, FloatArray]:
        nonlocal evaluations
        evaluations += 1
        y = flat.reshape(n_regions, k_res)
        d = eligible_value - use32 @ y.T.astype(np.float32)
        top = np.maximum(d.max(axis=1, initial=-np.inf), 0.0)
        d -= top[:, None]
        d *= np.float32(1.0 / mu)
        np.exp(d, out=d)
        s = d.sum(axis=1, dtype=np.float64) + np.exp(-top.astype(np.float64) / mu)
        value = float((cap * y).sum() + count @ (top.astype(np.float64) + mu * np.log(s)))
        d *= (count / s).astype(np.float32)[:, None]
        grad = cap - (d.T @ use32).astype(np.float64)
        return value, grad.reshape(-1)

    y = np.zeros(n_regions * k_res) if start is None else np.maximum(start, 0.0).reshape(-1).copy()
    best_y = y.reshape(n_regions, k_res).copy()
    best = lagrangian_bound(p, best_y)
    if len(count) == 0 or n_regions == 0:
        return DualPrices(best_y, best, evaluations, time.monotonic() - began)
    unit = _scale(p)
    shares = np.cumsum(np.linspace(1.0, 2.5, len(steps)))
    for step, share in zip(steps, shares / shares[-1], strict=True):
        if time.monotonic() - began >= time_limit:
            break
        deadline = began + share * time_limit

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
