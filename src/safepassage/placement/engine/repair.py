"""The decomposition end to end: Lagrangian prices, the LP by price-and-fix, rounding, repair.

The LP's solution is rounded by a MILP over its neighbourhood (``neighbourhood.py``: the types it
splits and the types whose best regions tie under its duals are freed, the rest keep their LP
placement). A greedy pass then places anyone still unplaced where capacity is left (in dynamic mode,
even into capacity the forecast had reserved: placing now beats a forecast).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from safepassage.placement.engine.decomposition import FloatArray, TypedProblem, TypedSolution
from safepassage.placement.engine.lagrangian import solve_dual
from safepassage.placement.engine.milp import solve_milp
from safepassage.placement.engine.neighbourhood import round_by_neighbourhood
from safepassage.placement.engine.pricefix import solve_fixed_lp


def _greedy_fill(p: TypedProblem, left: FloatArray, residual: FloatArray) -> FloatArray:
    """Each leftover household, best value first, to its best region where it still fits."""
    out = np.zeros_like(p.value)
    order = np.argsort(-np.where(p.eligible, p.value, -np.inf).max(axis=1, initial=-np.inf), kind="stable")
    for t in order:
        while left[t] > 0.5:
            fits = p.eligible[t] & (p.use[t][None, :] <= residual + 1e-9).all(axis=1)
            if not fits.any():
                break
            r = int(np.argmax(np.where(fits, p.value[t], -np.inf)))
            out[t, r] += 1
            left[t] -= 1
            residual[r] -= p.use[t]
    return out


def solve_typed(
    p: TypedProblem,
    *,
    time_limit: float = 60.0,
    gap_target: float = 1e-3,
    threads: int = 1,
    exact_pairs: int = 150_000,
    release_forecast: bool = True,
    dual_share: float = 0.3,
    progress: Callable[[float], None] | None = None,
) -> TypedSolution:
    """Lagrangian prices, LP by price-and-fix, rounded by the neighbourhood MILP, rest greedy.

    ``dual_share`` of the time limit at most goes to the Lagrangian prices."""
    start = time.monotonic()
    notes: list[str] = []
    seed = _greedy_fill(p, np.where(p.integral, p.count, 0.0), p.capacity.astype(np.float64).copy())
    # Lagrangian prices first (vectorised, no LP): a proven bound, and the prices that fix most types
    # for the LP (``pricefix.py``).
    dual = solve_dual(p, time_limit=dual_share * time_limit)
    if progress is not None:
        progress(dual.bound)
    lp = solve_fixed_lp(
        p,
        dual.prices,
        time_limit=time_limit * 0.85 - (time.monotonic() - start),
        gap_target=gap_target,
        threads=threads,
        initial_bound=dual.bound,
    )
    x, lp_obj, bound, y_cap, status = lp.x, lp.objective, lp.bound, lp.capacity_duals, lp.status
    if progress is not None:
        progress(bound)
    integral = p.integral[:, None]
    pairs = int(p.eligible.sum())
    exact_after = p.integral.all() and pairs <= exact_pairs
    remaining = time_limit - (time.monotonic() - start)
    # The rounding MILP stops within a quarter of the gap target of its own bound, or once the plan
    # is within 0.8 of the gap target of the proven bound, and takes at most 30 % of the time limit
    # (the dynamic mode's weekly solves stay short); on a small instance it leaves half the time to
    # the exact MILP that may follow.
    abs_gap = 0.25 * gap_target * abs(bound)
    enough = bound - 0.8 * gap_target * abs(bound) if gap_target > 0 else np.inf
    share = min(0.5 * remaining if exact_after else remaining - 0.5, max(5.0, 0.3 * time_limit))
    whole = round_by_neighbourhood(p, x, y_cap, time_limit=share, abs_gap=abs_gap, enough=enough)
    if whole is None and (p.min_persons > 0).any():
        notes.append("rounding could not meet the minimum fill exactly; placed without it")
        remaining = time_limit - (time.monotonic() - start)
        whole = round_by_neighbourhood(
            p, x, y_cap, time_limit=max(remaining - 0.5, 0.5), abs_gap=abs_gap, enough=enough, need_min=False
        )
    if whole is None:
        notes.append("rounding MILP gave no solution in time; greedy repair used")
        whole = np.where(integral, np.floor(x + 1e-6), x)
    placed_lp = np.where(integral, np.floor(x + 1e-6), x).sum()
    left = np.where(p.integral, np.rint(p.count - whole.sum(axis=1)), 0.0)
    left = np.maximum(left, 0.0)
    residual = p.capacity - whole.T @ p.use
    repaired = max(round(float(whole.sum() - placed_lp)), 0)
    # Forecast capacity (fractional types) is released for anyone still unplaced now, unless the
    # caller keeps it (dynamic mode defers such households to the next batch instead).
    forecast_use = np.where(integral, 0.0, whole).T @ p.use
    greedy = _greedy_fill(p, left, residual + forecast_use if release_forecast else residual)
    repaired += int(greedy.sum())
    assign = whole + greedy
    objective = float((assign * p.value).sum())
    seed_objective = float((seed * p.value).sum())
    if p.integral.all() and not (p.min_persons > 0).any() and seed_objective > objective:
        # The LP stopped too early to beat the greedy placement that seeded it: keep the greedy one
        # (only without fairness floors, which the greedy placement ignores).
        assign, objective = seed, seed_objective
        notes.append("the greedy seed beat the rounded LP (the LP stopped early): greedy placement kept")
    bound = max(bound, objective)
    remaining = time_limit - (time.monotonic() - start)
    if (bound - objective) > gap_target * abs(bound) and exact_after and remaining > 1.0:
        # Small instance: the LP splits a large share of households; finish with the exact MILP
        # from this placement, and keep whichever bound is tighter.
        exact = solve_milp(p, time_limit=remaining, gap_target=gap_target, start_assign=assign)
        if exact.objective > objective + 1e-9:
            assign, objective = exact.assign, exact.objective
            notes.append("finished by the exact MILP (small instance)")
        bound = max(min(bound, exact.bound), objective)
    if status != "optimal":
        notes.append(
            f"LP stopped ({status}) before its optimum: the bound is the best Lagrangian bound found"
        )
    return TypedSolution(
        assign=assign,
        objective=objective,
        bound=bound,
        status=status,
        lp_objective=lp_obj,
        capacity_duals=y_cap,
        rounds=lp.rounds,
        columns=lp.columns,
        repaired=repaired,
        seconds=time.monotonic() - start,
        notes=tuple(notes),
    )
