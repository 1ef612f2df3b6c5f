"""The codes behind each proposal's explanation, stored with it so that the pages can say it in the
reader's language (``detail``): the region it speaks of, the resource (a capacity code), what kind of
shortage (``short``: the period never had enough of it for this household; ``taken``: other households
of the run took it; ``priced``: it is worth more to others, with the engine's shadow price), and for a
household the run could not place, the resource most often short. Computed from what the run gave
the engine (what each region had left) and what its plan used; the engine's own sentence stays as it
is, in English.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from safepassage.placement.engine import PlacementPlan, ReasonCode
from safepassage.placement.models import CAPACITIES

MEDICAL = ("dialysis", "oncology", "disability")
_PRICE = re.compile(r"shadow price ([0-9.]+)")


def residual(
    left: dict[str, dict[str, int]], plan: PlacementPlan | None, uses: dict[str, dict[str, int]]
) -> dict[str, dict[str, int]]:
    after = {code: dict(values) for code, values in left.items()}
    for proposal in plan.proposals if plan else ():
        if proposal.region_id is not None and proposal.region_id in after:
            for name, n in uses[proposal.household_id].items():
                after[proposal.region_id][name] -= n
    return after


def _first_short(use: dict[str, int], room: dict[str, int]) -> str | None:
    return next((name for name in CAPACITIES if use.get(name, 0) > room.get(name, 0)), None)


def explain_detail(
    proposal: Any,
    use: dict[str, int],
    tie: str | None,
    left: dict[str, dict[str, int]],
    after: dict[str, dict[str, int]],
) -> dict[str, Any]:
    """The codes behind the engine's sentence, for the pages to say it in the reader's language:
    the region it speaks of, the resource (a capacity code), and what kind of shortage."""
    code = ReasonCode(proposal.reason_code)
    other = proposal.next_best_region
    if code is ReasonCode.BEST:
        return {"region": other}
    if code is ReasonCode.TIE:
        return {"region": tie or proposal.region_id}
    if code is ReasonCode.NEED and other in left:
        missing = next((r for r in MEDICAL if use.get(r, 0) > 0 and left[other][r] == 0), None)
        return {"region": other, "resource": missing}
    if code in (ReasonCode.CAPACITY, ReasonCode.QUOTA) and other in left:
        never = _first_short(use, left[other])
        if never is not None:
            return {"region": other, "resource": never, "kind": "short", "left": left[other][never]}
        taken = _first_short(use, after[other])
        if taken is not None:
            return {"region": other, "resource": taken, "kind": "taken"}
        price = _PRICE.search(proposal.reason or "")
        return {
            "region": other,
            "resource": "quota_persons" if code is ReasonCode.QUOTA else None,
            "kind": "priced",
            "price": float(price.group(1)) if price else None,
        }
    if code is ReasonCode.UNPLACED_NEED:
        missing = next(
            (r for r in MEDICAL if use.get(r, 0) > 0 and all(v[r] == 0 for v in left.values())), None
        )
        return {"resource": missing}
    if code is ReasonCode.UNPLACED_TIE and tie in left:
        return {"region": tie, "resource": _first_short(use, left[tie])}
    if code is ReasonCode.UNPLACED_CAPACITY:
        counts: dict[str, int] = defaultdict(int)
        for room in after.values():
            short = _first_short(use, room)
            if short is not None:
                counts[short] += 1
        return {"resource": max(counts, key=lambda k: counts[k]) if counts else None}
    return {"region": other} if other else {}


__all__ = ["MEDICAL", "explain_detail", "residual"]
