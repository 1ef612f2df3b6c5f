"""Placement use cases that keep its reference data: regions and their capacities per period,
household profiles, outcome history.

Each checks the permission, changes state, writes its audit entry in the same transaction and commits
once. Runs of the engine and the decisions on proposals are in ``placement.runs``.
"""

from __future__ import annotations

import csv
import io
import math
import uuid
from dataclasses import dataclass, field

from sqlalchemy import select

from safepassage.placement.engine import Region, Resource, RowProblem, read_history, read_regions
from safepassage.placement.models import (
    CAPACITIES,
    PlacementCapacity,
    PlacementHistory,
    PlacementProfile,
    PlacementRegion,
)
from safepassage.placement.periods import Period, current_period
from safepassage.placement.schemas import CapacityUpdate, ProfileUpdate, RegionCreate, RegionUpdate
from safepassage.registry.models import Household
from safepassage.security.policy import Actor, Permission, require, require_record
from safepassage.shared.errors import Conflict, FieldProblem, Invalid, NotFound
from safepassage.shared.i18n import say
from safepassage.uow import UnitOfWork

MAX_ROWS = 200_000


@dataclass
class ImportResult:
    """What an import did: rows kept, created, updated, already there, and each rejected row."""

    accepted: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    problems: list[RowProblem] = field(default_factory=list)


# --- regions ------------------------------------------------------------------------------------------


def get_region_by_code_or_raise(uow: UnitOfWork, code: str) -> PlacementRegion:
    region = uow.session.scalar(select(PlacementRegion).where(PlacementRegion.code == code.strip()))
    if region is None:
        raise NotFound(say("region %(code)s not found", code=code))
    return region


def _communities(values: list[str]) -> list[str]:
    return sorted({v.strip().lower() for v in values if v.strip()})


def create_region(uow: UnitOfWork, cmd: RegionCreate, *, actor: Actor) -> uuid.UUID:
    require(actor, Permission.REGIONS_MANAGE)
    with uow.acting(actor):
        if uow.session.scalar(select(PlacementRegion.id).where(PlacementRegion.code == cmd.code)):
            raise Conflict(say("a region with code %(code)s exists already", code=cmd.code))
        now = uow.now()
        period = _period(cmd.period, uow)
        data = cmd.model_dump(exclude={"period", *CAPACITIES})
        data["communities"] = _communities(cmd.communities)
        data["name"] = cmd.name or cmd.code
        region = PlacementRegion(**data, created_at=now, updated_at=now)
        uow.session.add(region)
        uow.session.flush()
        capacity = _capacity_row(uow, region, period, actor)
        capacity.set_values(cmd.model_dump(include=set(CAPACITIES)))
        uow.audit(
            "placement.region.created",
            entity="placement_region",
            entity_id=region.id,
            details={"code": region.code, "period": period.code, **capacity.values()},
        )
        uow.commit()
        return region.id


def update_region(uow: UnitOfWork, code: str, cmd: RegionUpdate, *, actor: Actor) -> None:
    """Capacities may go below what is placed already: the utilisation then shows the region over."""
    require(actor, Permission.REGIONS_MANAGE)
    with uow.acting(actor):
        region = get_region_by_code_or_raise(uow, code)
        changes = cmd.model_dump(exclude_unset=True, exclude={"period"})
        capacities = {k: changes.pop(k) for k in CAPACITIES if k in changes and changes[k] is not None}
        changes = {k: v for k, v in changes.items() if k not in CAPACITIES}
        if "communities" in changes and changes["communities"] is not None:
            changes["communities"] = _communities(changes["communities"])
        changed = {}
        for name, value in changes.items():
            if value is None and name not in ("latitude", "longitude"):
                continue
            if getattr(region, name) != value:
                changed[name] = value
                setattr(region, name, value)
        period = _period(cmd.period, uow)
        if capacities:
            capacity = _capacity_row(uow, region, period, actor)
            changed.update(dict.fromkeys(capacity.set_values(capacities), True))
            capacity.updated_at, capacity.updated_by = uow.now(), actor.username
        if changed:
            region.updated_at = uow.now()
            uow.audit(
                "placement.region.updated",
                entity="placement_region",
                entity_id=region.id,
                details={"code": region.code, "period": period.code, "changed": sorted(changed)},
            )
        uow.commit()


def _period(text: str | None, uow: UnitOfWork) -> Period:
    if not text:
        return current_period(uow.now().date())
    try:
        return Period.parse(text)
    except ValueError as exc:
        raise Invalid(str(exc), problems=[FieldProblem("period", str(exc))]) from None


def _overlapping(uow: UnitOfWork, region: PlacementRegion, period: Period) -> str | None:
    """Another of the region's periods that overlaps ``period`` (the same period is no clash)."""
    for row in uow.session.scalars(select(PlacementCapacity).where(PlacementCapacity.region_id == region.id)):
        if row.period != period.code and row.span.overlaps(period):
            return row.period
    return None


def _capacity_row(
    uow: UnitOfWork, region: PlacementRegion, period: Period, actor: Actor
) -> PlacementCapacity:
    """The region's capacity row for ``period``, made (all zero) if it has none. A period that overlaps
    another of the region's (a month inside a recorded quarter) is refused: a placement must count
    against one capacity only."""
    rows = list(
        uow.session.scalars(select(PlacementCapacity).where(PlacementCapacity.region_id == region.id))
    )
    for row in rows:
        if row.period == period.code:
            return row
        if row.span.overlaps(period):
            reason = (
                f"{region.code} has capacities for {row.period}, which overlaps {period.code}: "
                f"change {row.period} instead"
            )
            raise Invalid(
                reason, problems=[FieldProblem("period", say("overlaps %(period)s", period=row.period))]
            )
    row = PlacementCapacity(
        region_id=region.id,
        period=period.code,
        period_start=period.start,
        period_end=period.end,
        updated_at=uow.now(),
        updated_by=actor.username,
        **dict.fromkeys(CAPACITIES, 0),
    )
    uow.session.add(row)
    return row


def set_capacities(
    uow: UnitOfWork, code: str, period: str | None, cmd: CapacityUpdate, *, actor: Actor
) -> None:
    """Record what a region can take in a period (the fields given). Below what is placed already is
    allowed: the utilisation then shows the period over 100 %; nothing placed is undone."""
    require(actor, Permission.REGIONS_MANAGE)
    with uow.acting(actor):
        region = get_region_by_code_or_raise(uow, code)
        span = _period(period, uow)
        capacity = _capacity_row(uow, region, span, actor)
        changed = capacity.set_values(cmd.model_dump(exclude_none=True))
        capacity.updated_at, capacity.updated_by = uow.now(), actor.username
        uow.audit(
            "placement.capacity.set",
            entity="placement_region",
            entity_id=region.id,
            details={"code": region.code, "period": span.code, "changed": changed},
        )
        uow.commit()


def _float(text: str | None, name: str, low: float, high: float) -> float | None:
    raw = (text or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name}: '{raw}' is not a number") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise ValueError(f"{name}: must be between {low:g} and {high:g}")
    return value


def import_regions(
    uow: UnitOfWork,
    text: str,
    *,
    actor: Actor,
    name: str = "regions.csv",
    period: str | None = None,
) -> ImportResult:
    """Regions in the engine's R.csv format, with optional ``name``, ``latitude``, ``longitude`` and
    ``period`` columns: a known code is updated, a new one created, and the row's capacities are
    recorded for its period (the column, else ``period``, else the current month); a bad row is
    reported and skipped."""
    require(actor, Permission.REGIONS_MANAGE)
    with uow.acting(actor):
        default = _period(period, uow)
    text = text.lstrip("\ufeff")
    parsed = read_regions(io.StringIO(text), name)
    result = ImportResult(problems=list(parsed.problems))
    extra: dict[str, tuple[int, dict[str, str]]] = {}
    for number, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        key = (row.get("region_id") or "").strip()
        if key and key not in extra:
            extra[key] = (number, {k.strip(): (v or "") for k, v in row.items() if isinstance(k, str)})
    with uow.acting(actor):
        now = uow.now()
        for record in parsed.records:
            number, row = extra.get(record.region_id, (0, {}))
            try:
                lat = _float(row.get("latitude"), "latitude", -90, 90)
                lon = _float(row.get("longitude"), "longitude", -180, 180)
                span = _row_period(row.get("period"), default)
            except ValueError as exc:
                field_name, _, reason = str(exc).partition(": ")
                result.problems.append(RowProblem(name, number, field_name, reason))
                continue
            values = _region_values(record)
            capacities = {k: int(values.pop(k)) for k in CAPACITIES}  # type: ignore[call-overload]
            region = uow.session.scalar(
                select(PlacementRegion).where(PlacementRegion.code == record.region_id)
            )
            clash = _overlapping(uow, region, span) if region is not None else None
            if clash is not None:
                result.problems.append(RowProblem(name, number, "period", f"overlaps {clash}"))
                continue
            label = (row.get("name") or "").strip()[:200]
            if region is None:
                region = PlacementRegion(
                    code=record.region_id,
                    name=label or record.region_id,
                    latitude=lat,
                    longitude=lon,
                    created_at=now,
                    updated_at=now,
                    **values,
                )
                uow.session.add(region)
                result.created += 1
            else:
                for key, value in values.items():
                    setattr(region, key, value)
                region.name = label or region.name
                region.latitude = lat if lat is not None else region.latitude
                region.longitude = lon if lon is not None else region.longitude
                region.active = True
                region.updated_at = now
                result.updated += 1
            uow.session.flush()
            capacity = _capacity_row(uow, region, span, actor)
            capacity.set_values(capacities)
            capacity.updated_at, capacity.updated_by = now, actor.username
            result.accepted += 1
        uow.audit(
            "placement.regions.imported",
            entity="placement_region",
            details={
                "file": name,
                "created": result.created,
                "updated": result.updated,
                "rejected": len(result.problems),
            },
        )
        uow.commit()
    result.problems.sort(key=lambda p: p.row)
    return result


def _row_period(text: str | None, default: Period) -> Period:
    raw = (text or "").strip()
    if not raw:
        return default
    try:
        return Period.parse(raw)
    except ValueError as exc:
        raise ValueError(f"period: {exc}") from None


def _region_values(record: Region) -> dict[str, object]:
    values: dict[str, object] = {r.value: record.capacity(r) for r in Resource}
    values["unemployment_rate"] = record.unemployment_rate
    values["communities"] = list(record.communities)
    return values


# --- profiles -------------------------------------------------------------------------------------------


def _household_in_scope(uow: UnitOfWork, household_id: uuid.UUID, actor: Actor) -> Household:
    household = uow.session.get(Household, household_id)
    if household is None:
        raise NotFound(say("household not found"))
    require_record(actor, household.site_id, household.id, what="household")
    return household


def set_profile(uow: UnitOfWork, household_id: uuid.UUID, cmd: ProfileUpdate, *, actor: Actor) -> None:
    """Record what the placement needs and the registry lacks; region codes must be known regions."""
    require(actor, Permission.PLACEMENT_PLAN)
    with uow.acting(actor):
        household = _household_in_scope(uow, household_id, actor)
        known = set(uow.session.scalars(select(PlacementRegion.code)))
        problems = []
        if cmd.tie_region and cmd.tie_region not in known:
            problems.append(FieldProblem("tie_region", say("%(code)s is not a region", code=cmd.tie_region)))
        preferences = [p.strip() for p in cmd.preferences if p.strip()]
        for i, code in enumerate(preferences):
            if code not in known:
                problems.append(FieldProblem(f"preferences.{i}", say("%(code)s is not a region", code=code)))
        if len(set(preferences)) != len(preferences):
            problems.append(FieldProblem("preferences", say("a region appears more than once")))
        if problems:
            raise Invalid(say("the placement profile has errors"), problems=problems)
        profile = uow.session.get(PlacementProfile, household.id)
        if profile is None:
            profile = PlacementProfile(household_id=household.id)
            uow.session.add(profile)
        profile.education_max = cmd.education_max
        profile.occupation = (cmd.occupation or "").strip().lower() or None
        profile.dialysis_persons = cmd.dialysis_persons
        profile.oncology_persons = cmd.oncology_persons
        profile.tie_region_code = cmd.tie_region or None
        profile.preferences = preferences
        profile.updated_at = uow.now()
        profile.updated_by = actor.username
        # field names only: whether someone needs dialysis is not for the audit trail's readers
        uow.audit(
            "placement.profile.recorded",
            entity="household",
            entity_id=household.id,
            site_id=household.site_id,
            details={"fields": sorted(cmd.model_dump(exclude_defaults=True))},
        )
        uow.commit()


# --- history --------------------------------------------------------------------------------------------


def import_history(
    uow: UnitOfWork, text: str, *, actor: Actor, source: str, name: str = "history.csv"
) -> ImportResult:
    """Past placements with outcomes (the engine's X.csv). A row naming an unknown region is rejected;
    a household id imported before is skipped, so the same file imported twice counts once."""
    require(actor, Permission.PLACEMENT_PLAN)
    with uow.acting(actor):
        regions = [r.to_engine(None) for r in uow.session.scalars(select(PlacementRegion))]
        if not regions:
            raise Conflict(say("there are no regions yet: import the regions first"))
        parsed = read_history(io.StringIO(text.lstrip("\ufeff")), regions, name)
        result = ImportResult(problems=list(parsed.problems))
        if len(parsed.records) > MAX_ROWS:
            raise Invalid(say("at most %(n)s history rows per file", n=MAX_ROWS))
        seen = set(uow.session.scalars(select(PlacementHistory.household_key)))
        now = uow.now()
        for record in parsed.records:
            h = record.household
            if h.household_id in seen:
                result.skipped += 1
                continue
            seen.add(h.household_id)
            uow.session.add(
                PlacementHistory(
                    household_key=h.household_id[:80],
                    region_code=record.region_id,
                    adults=h.adults,
                    children_0_5=h.children_0_5,
                    children_6_17=h.children_6_17,
                    elderly=h.elderly,
                    languages=list(h.languages),
                    education_max=h.education_max,
                    occupation=h.occupation[:80],
                    needs=list(h.needs),
                    employed_adults_90d=record.employed_adults_90d,
                    source=source[:200],
                    imported_at=now,
                    imported_by=actor.username,
                )
            )
            result.created += 1
        result.accepted = result.created + result.skipped
        uow.audit(
            "placement.history.imported",
            entity="placement_history",
            details={
                "source": source[:200],
                "created": result.created,
                "skipped": result.skipped,
                "rejected": len(result.problems),
            },
        )
        uow.commit()
    return result
