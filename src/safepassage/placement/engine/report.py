"""placements.csv and report.json: what a placement run hands to people, in files."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from safepassage.placement.engine.model import ModelMetrics
from safepassage.placement.engine.types import PlacementPlan, PlacementPolicy

PLACEMENT_COLUMNS = (
    "household_id",
    "region_id",
    "predicted_outcome",
    "next_best_region",
    "next_best_outcome",
    "reason_code",
    "reason",
)


def _num(value: float | None, digits: int = 4) -> str:
    return "" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


def write_placements(path: Path, plan: PlacementPlan) -> None:
    """One row per household, in input order; an empty region_id carries the reason."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(PLACEMENT_COLUMNS)
        for p in plan.proposals:
            writer.writerow(
                [
                    p.household_id,
                    p.region_id or "",
                    _num(p.predicted_outcome),
                    p.next_best_region or "",
                    _num(p.next_best_outcome),
                    p.reason_code.value,
                    p.reason,
                ]
            )


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def gain(ours: float, baseline: float) -> float | None:
    return (ours - baseline) / baseline if baseline > 0 else None


def build_report(
    plan: PlacementPlan,
    *,
    policy: PlacementPolicy,
    metrics: ModelMetrics | None,
    baselines: Mapping[str, tuple[float, int, int]],
    rejected: Sequence[str] = (),
    warnings: Sequence[str] = (),
) -> dict[str, Any]:
    """The report: objective, proven bound and gap, utilisation, model metrics, gains over baselines.

    ``baselines`` maps a name to (predicted outcome, households placed, persons placed).
    """
    stats = plan.stats
    regions: dict[str, dict[str, dict[str, float | int | None]]] = {}
    for u in plan.utilisation:
        regions.setdefault(u.region_id, {})[u.resource.value] = {
            "used": u.used,
            "capacity": u.capacity,
            "share": u.used / u.capacity if u.capacity else None,
        }
    base = {
        name: {
            "expected_outcome": outcome,
            "placed_households": placed,
            "placed_persons": persons,
            "gain_of_plan": gain(plan.expected_outcome, outcome),
        }
        for name, (outcome, placed, persons) in baselines.items()
    }
    report = {
        "households": len(plan.proposals),
        "placed_households": plan.placed_households,
        "placed_persons": plan.placed_persons,
        "unplaced_households": len(plan.proposals) - plan.placed_households,
        "expected_outcome": plan.expected_outcome,
        "outcome": "expected adults employed within 90 days (model prediction)",
        "objective": stats.objective,
        "bound": stats.bound,
        "gap": stats.gap,
        "gap_outcome": stats.gap_outcome,
        "solver": asdict(stats),
        "model": asdict(metrics) if metrics is not None else None,
        "baselines": base,
        "gain_over_fcfs": base.get("first_come_first_served", {}).get("gain_of_plan"),
        "gain_over_proportional": base.get("proportional", {}).get("gain_of_plan"),
        "policy": asdict(policy),
        "utilisation": regions,
        "rejected_rows": list(rejected),
        "warnings": list(warnings),
    }
    return dict(_clean(report))


def write_report(path: Path, report: Mapping[str, Any]) -> None:
    path.write_text(json.dumps(report, indent=2, sort_keys=False, default=str) + "\n", encoding="utf-8")


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))
