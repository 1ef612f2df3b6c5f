"""Runs of the placement engine, in the background.

A run plans for one capacity period (``placement.periods``: the month of the run by default). It
reads the unplaced households of the officer's sites that arrived by the end of the period, builds
the engine's households from the registry and the placement profiles (``placement.features``),
trains the outcome model on the stored history, and places the households whose members consented
to resettlement into what is left of each region's capacity for the period (capacity minus what the
period's decided placements use). The others are listed as not eligible, with the reason. It stores
the run and one row per household, and changes nothing else: no household is placed until a person
accepts or overrides its proposal (``docs/code-style.md``: never auto-apply solver output).

``queue_run`` checks the request and stores the run as *queued* (the API answers 202 with its id);
``RunWorker`` (one thread per process, one run at a time) executes it: *running* with a stage and
its progress, then *done*, or *failed* with a message the officer can act on; never an exception
into a request. The worker hands the engine's work (training the outcome model, scoring, solving: pure
and CPU-bound) to a child process of the run, so the server's other requests do not wait on this
process's GIL while a run computes; reading and storing stay on the worker thread, in the officer's
row scope. ``run_placement`` does everything in the caller's thread (the CLI, tests).

The decisions on the proposals are in ``placement.decisions``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
import multiprocessing
import os
import socket
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from safepassage.placement.engine import (
    DecompositionSolver,
    GradientBoostingModel,
    HistoryRecord,
    PlacementPlan,
    PlacementPolicy,
    Region,
    Solver,
    consumption,
    place,
)
from safepassage.placement.engine import Household as EngineHousehold
from safepassage.placement.engine.csvio import check_references
from safepassage.placement.explanations import explain_detail, residual
from safepassage.placement.features import consent_gap, engine_household
from safepassage.placement.models import (
    CAPACITIES,
    PlacementAssignment,
    PlacementCapacity,
    PlacementHistory,
    PlacementProfile,
    PlacementProposal,
    PlacementRegion,
    PlacementRun,
    ProposalStatus,
    RunStatus,
)
from safepassage.placement.periods import Period, containing, current_period
from safepassage.placement.schemas import RunCreate
from safepassage.registry.codes import HouseholdStatus
from safepassage.registry.models import Household, Person
from safepassage.registry.scoping import in_scope
from safepassage.security.policy import Actor, Permission, require, require_site
from safepassage.shared.errors import Conflict, DomainError, FieldProblem, Invalid, NotFound
from safepassage.shared.i18n import say
from safepassage.shared.ids import new_id
from safepassage.uow import UnitOfWork

log = logging.getLogger(__name__)

RESOURCE_NAMES = {
    "quota_persons": "persons of quota",
    "housing_small": "small housing units",
    "housing_large": "large housing units",
    "school_places": "school places",
    "kindergarten_places": "kindergarten places",
    "dialysis": "dialysis places",
    "oncology": "oncology places",
    "disability": "disability-service places",
    "language_course": "language-course places",
}
_CHUNK = 500
#: Above this many households the optimiser runs in a child process with a hard deadline (HiGHS can
#: overrun its own time limit on large models: FIELD-NOTES); below, in-process is faster.
ISOLATE_ABOVE = 2000


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return _finite(value)
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


# --- capacity of a period -------------------------------------------------------------------------------


def period_capacities(
    uow: UnitOfWork, period: Period, region_ids: Iterable[uuid.UUID] | None = None
) -> dict[uuid.UUID, PlacementCapacity]:
    """Each region's capacity row whose period contains ``period`` (a region without one: absent)."""
    query = select(PlacementCapacity).where(
        PlacementCapacity.period_start <= period.start, PlacementCapacity.period_end >= period.end
    )
    if region_ids is not None:
        query = query.where(PlacementCapacity.region_id.in_(list(region_ids)))
    found: dict[uuid.UUID, list[PlacementCapacity]] = defaultdict(list)
    for row in uow.session.scalars(query):
        found[row.region_id].append(row)
    out = {}
    for region_id, rows in found.items():
        spans = {row.period: row for row in rows}
        chosen = containing([row.span for row in rows], period)
        if chosen is not None:
            out[region_id] = spans[chosen.code]
    return out


def used_in(
    uow: UnitOfWork, capacities: dict[uuid.UUID, PlacementCapacity]
) -> dict[uuid.UUID, dict[str, int]]:
    """What decided placements use of each region's capacity period, per resource (every site's:
    capacity is shared). A placement counts against the period it was made for, or its quarter."""
    wanted = {region_id: set(c.span.codes_within()) for region_id, c in capacities.items()}
    codes = sorted(set().union(*wanted.values())) if wanted else []
    used: dict[uuid.UUID, dict[str, int]] = defaultdict(lambda: dict.fromkeys(CAPACITIES, 0))
    if not wanted:
        return {}
    query = select(PlacementAssignment.region_id, PlacementAssignment.period, PlacementAssignment.use).where(
        PlacementAssignment.region_id.in_(list(wanted)), PlacementAssignment.period.in_(codes)
    )
    for region_id, period, use in uow.session.execute(query):
        if period not in wanted[region_id]:
            continue
        totals = used[region_id]
        for name in CAPACITIES:
            totals[name] += int((use or {}).get(name, 0))
    return dict(used)


def parse_period(text: str | None, today: Period) -> Period:
    """The period asked for (default: the current month); a ValueError becomes a named problem."""
    if not text:
        return today
    try:
        return Period.parse(text)
    except ValueError as exc:
        raise Invalid(str(exc), problems=[FieldProblem("period", str(exc))]) from None


# --- inputs -----------------------------------------------------------------------------------------------


def _history(uow: UnitOfWork, codes: set[str]) -> list[HistoryRecord]:
    rows = uow.session.scalars(
        select(PlacementHistory).where(PlacementHistory.region_code.in_(sorted(codes)))
    )
    return [
        HistoryRecord(
            EngineHousehold(
                household_id=row.household_key,
                adults=row.adults,
                children_0_5=row.children_0_5,
                children_6_17=row.children_6_17,
                elderly=row.elderly,
                languages=tuple(row.languages or ()),
                education_max=row.education_max,
                occupation=row.occupation,
                needs=tuple(row.needs or ()),
            ),
            row.region_code,
            row.employed_adults_90d,
        )
        for row in rows
    ]


def _unplaced_query(actor: Actor, site_id: uuid.UUID | None, period: Period) -> Any:
    arrived_by = dt.datetime.combine(period.end, dt.time(), tzinfo=dt.UTC)
    query = select(Household).where(
        Household.status == HouseholdStatus.ACTIVE,
        in_scope(Household.site_id, actor),
        Household.id.not_in(select(PlacementAssignment.household_id)),
        Household.created_at < arrived_by,
    )
    if site_id is not None:
        query = query.where(Household.site_id == site_id)
    return query


def _policy(cmd: RunCreate) -> PlacementPolicy:
    official = tuple(sorted({lang.strip().lower() for lang in cmd.official_languages if lang.strip()}))
    return PlacementPolicy(
        ties=cmd.ties,
        tie_weight=cmd.tie_weight,
        preference_weight=cmd.preference_weight,
        official_languages=official or ("de",),
        min_fill=cmd.min_fill,
        time_limit=cmd.time_limit,
        seed=cmd.seed,
    )


# --- queue --------------------------------------------------------------------------------------------


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(worker: str | None) -> bool:
    host, _, pid = (worker or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True  # another machine's: not ours to judge
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _recover_interrupted(uow: UnitOfWork) -> None:
    """Runs left queued or running by a process of this machine that is gone: failed, with why."""
    for run in uow.session.scalars(
        select(PlacementRun).where(PlacementRun.status.in_([RunStatus.QUEUED, RunStatus.RUNNING]))
    ):
        if not _alive(run.worker):
            run.status = RunStatus.FAILED
            run.error = "interrupted: the server stopped before the run finished; run again"
            run.finished_at = uow.now()


def queue_run(uow: UnitOfWork, cmd: RunCreate, *, actor: Actor) -> uuid.UUID:
    """Check the request and store the run, queued. What can be checked at once is: a bad period,
    no active region, nothing to place answer at once; the rest is the run's own outcome."""
    require(actor, Permission.PLACEMENT_PLAN)
    if cmd.site_id is not None:
        require_site(actor, cmd.site_id)
    with uow.acting(actor):
        now = uow.now()
        period = parse_period(cmd.period, current_period(now.date()))
        if period.end <= now.date():
            reason = f"{period.code} has ended: plan for the current period or a later one"
            raise Invalid(reason, problems=[FieldProblem("period", say("has ended"))])
        if uow.session.scalar(select(PlacementRegion.id).where(PlacementRegion.active.is_(True))) is None:
            raise Conflict(say("there is no active region: import the regions first"))
        waiting = uow.session.scalar(
            _unplaced_query(actor, cmd.site_id, period).with_only_columns(Household.id).limit(1)
        )
        if waiting is None:
            raise Conflict(say("every household of your sites is placed already: nothing to propose"))
        _recover_interrupted(uow)
        run = PlacementRun(
            id=new_id(),
            created_at=now,
            created_by=actor.username,
            period=period.code,
            status=RunStatus.QUEUED,
            progress=0.0,
            stage="queued",
            worker=worker_name(),
            params=cmd.model_dump(mode="json"),
            method="",
            solver_status="",
            report={},
        )
        uow.session.add(run)
        uow.commit()
        return run.id


# --- execution ------------------------------------------------------------------------------------------


def _progress(uow: UnitOfWork, actor: Actor, run_id: uuid.UUID, stage: str, share: float) -> None:
    with uow.acting(actor):
        run = uow.session.get(PlacementRun, run_id)
        if run is None:
            raise NotFound(say("run not found"))
        if run.status is RunStatus.QUEUED:
            run.status = RunStatus.RUNNING
            run.started_at = uow.now()
        run.stage, run.progress = stage, share
        uow.commit()


@dataclasses.dataclass
class _Inputs:
    period: Period
    engine_regions: list[Any]
    left: dict[str, dict[str, int]]
    history: list[HistoryRecord]
    eligible: list[tuple[EngineHousehold, Any]]
    ineligible: list[tuple[EngineHousehold, Any, Any]]
    without_capacity: list[str]


def _read_inputs(uow: UnitOfWork, actor: Actor, run: PlacementRun, cmd: RunCreate) -> _Inputs:
    today = uow.now().date()
    period = Period.parse(run.period)
    regions = list(
        uow.session.scalars(
            select(PlacementRegion).where(PlacementRegion.active.is_(True)).order_by(PlacementRegion.code)
        )
    )
    if not regions:
        raise Conflict(say("there is no active region: import the regions first"))
    capacities = period_capacities(uow, period, [r.id for r in regions])
    used = used_in(uow, capacities)
    engine_regions = [r.to_engine(capacities.get(r.id), used.get(r.id)) for r in regions]
    left = {e.region_id: {name: int(getattr(e, name)) for name in CAPACITIES} for e in engine_regions}
    without = [r.code for r in regions if r.id not in capacities]
    if len(without) == len(regions):
        raise Conflict(say("no region has capacities for %(period)s: record them first", period=period.code))
    history = _history(uow, {r.code for r in regions})
    households = list(
        uow.session.scalars(
            _unplaced_query(actor, cmd.site_id, period)
            .options(
                selectinload(Household.members).selectinload(Person.needs),
                selectinload(Household.members).selectinload(Person.consents),
            )
            .order_by(Household.id)
        )
    )
    profiles = {
        p.household_id: p
        for chunk in _chunks([h.id for h in households])
        for p in uow.session.scalars(select(PlacementProfile).where(PlacementProfile.household_id.in_(chunk)))
    }
    eligible, ineligible = [], []
    for household in households:
        built, comp = engine_household(household, profiles.get(household.id), today)
        if built.persons == 0:
            continue
        gap = consent_gap([m for m in household.members if m.merged_into_id is None], today)
        if gap is None:
            eligible.append((built, comp))
        else:
            ineligible.append((built, comp, gap))
    if not eligible and not ineligible:
        raise Conflict(say("every household of your sites is placed already: nothing to propose"))
    return _Inputs(period, engine_regions, left, history, eligible, ineligible, without)


def _model_scores(
    history: list[HistoryRecord],
    regions: list[Region],
    households: list[EngineHousehold],
    official_languages: tuple[str, ...],
    seed: int,
) -> tuple[Any, dict[str, Any]]:
    """Train the outcome model and score every household in every region (the run's child does it)."""
    model = GradientBoostingModel.fit(history, regions, official_languages=official_languages, seed=seed)
    return model.predict(households, regions), dataclasses.asdict(model.metrics)


def _in_this_thread(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return fn(*args, **kwargs)


def _execute(
    uow: UnitOfWork,
    run_id: uuid.UUID,
    cmd: RunCreate,
    *,
    actor: Actor,
    solver: Solver | None,
    compute: Callable[..., Any] = _in_this_thread,
) -> None:
    """Read, compute (through ``compute``: here, or in the run's child process), store."""
    policy = _policy(cmd)
    _progress(uow, actor, run_id, "reading", 0.05)
    with uow.acting(actor):
        run = uow.session.get(PlacementRun, run_id)
        assert run is not None
        inputs = _read_inputs(uow, actor, run, cmd)
    engine_households = [h for h, _ in inputs.eligible]
    plan: PlacementPlan | None = None
    metrics: dict[str, Any] = {}
    if engine_households:
        _progress(uow, actor, run_id, "training", 0.2)
        try:
            scores, metrics = compute(
                _model_scores,
                inputs.history,
                inputs.engine_regions,
                engine_households,
                policy.official_languages,
                cmd.seed,
            )
        except ValueError as exc:
            raise Invalid(f"the outcome model cannot be trained: {exc}; import more history") from None
        _progress(uow, actor, run_id, "solving", 0.4)
        chosen = (
            solver
            if solver is not None
            else DecompositionSolver(isolate=len(engine_households) > ISOLATE_ABOVE)
        )
        plan = compute(place, engine_households, inputs.engine_regions, scores, policy, solver=chosen)
    _progress(uow, actor, run_id, "storing", 0.9)
    _store(uow, actor, run_id, cmd, policy, inputs, plan, metrics)


def _store(
    uow: UnitOfWork,
    actor: Actor,
    run_id: uuid.UUID,
    cmd: RunCreate,
    policy: PlacementPolicy,
    inputs: _Inputs,
    plan: PlacementPlan | None,
    metrics: dict[str, Any],
) -> None:
    engine_households = [h for h, _ in inputs.eligible]
    stats = plan.stats if plan is not None else None
    report = {
        "model": metrics,
        "history_households": len(inputs.history),
        "policy": {k: (v.value if hasattr(v, "value") else v) for k, v in dataclasses.asdict(policy).items()},
        "notes": list(stats.notes) if stats else [],
        "warnings": check_references(engine_households, inputs.engine_regions)[:100]
        if engine_households
        else [],
        "members_without_birth_date": sum(c.unknown_age for _, c in inputs.eligible),
        "gap_outcome": stats.gap_outcome if stats else None,
        "sites": "all" if actor.all_sites else sorted(str(s) for s in actor.site_ids),
        "site_id": str(cmd.site_id) if cmd.site_id else None,
        "regions_without_capacity": inputs.without_capacity,
    }
    with uow.acting(actor):
        run = uow.session.get(PlacementRun, run_id)
        assert run is not None
        run.households = len(engine_households)
        run.not_eligible = len(inputs.ineligible)
        run.placed_households = plan.placed_households if plan else 0
        run.placed_persons = plan.placed_persons if plan else 0
        run.expected_outcome = plan.expected_outcome if plan else 0.0
        run.objective = stats.objective if stats else 0.0
        run.bound = _finite(stats.bound) if stats else None
        run.gap = _finite(stats.gap) if stats else None
        run.method = stats.method if stats else "none"
        run.solver_status = (stats.status if stats else "nobody eligible")[:80]
        run.seconds = stats.seconds if stats else 0.0
        run.report = _clean(report)
        ids = [uuid.UUID(h.household_id) for h, _ in inputs.eligible] + [
            uuid.UUID(h.household_id) for h, _, _ in inputs.ineligible
        ]
        for chunk in _chunks(ids):
            uow.session.execute(
                update(PlacementProposal)
                .where(
                    PlacementProposal.household_id.in_(chunk),
                    PlacementProposal.status.in_([ProposalStatus.PROPOSED, ProposalStatus.NOT_ELIGIBLE]),
                )
                .values(status=ProposalStatus.SUPERSEDED)
            )
        uses = {
            h.household_id: dict(zip(CAPACITIES, consumption(h, policy), strict=True))
            for h in engine_households
        }
        after = residual(inputs.left, plan, uses)
        position = 0
        for proposal, household in zip(plan.proposals if plan else (), engine_households, strict=True):
            use = uses[household.household_id]
            uow.session.add(
                PlacementProposal(
                    run_id=run.id,
                    position=position,
                    household_id=uuid.UUID(proposal.household_id),
                    persons=household.persons,
                    use=use,
                    region_code=proposal.region_id,
                    predicted_outcome=_finite(proposal.predicted_outcome),
                    next_best_code=proposal.next_best_region,
                    next_best_outcome=_finite(proposal.next_best_outcome),
                    reason_code=proposal.reason_code.value,
                    reason=proposal.reason,
                    detail=explain_detail(proposal, use, household.tie_region, inputs.left, after),
                    status=ProposalStatus.PROPOSED,
                )
            )
            position += 1
        for household, _, gap in inputs.ineligible:
            uow.session.add(
                PlacementProposal(
                    run_id=run.id,
                    position=position,
                    household_id=uuid.UUID(household.household_id),
                    persons=household.persons,
                    use=dict(zip(CAPACITIES, consumption(household, policy), strict=True)),
                    region_code=None,
                    reason_code=gap.code.value,
                    reason=gap.sentence,
                    detail={"members": gap.members},
                    status=ProposalStatus.NOT_ELIGIBLE,
                )
            )
            position += 1
        run.status = RunStatus.DONE
        run.stage, run.progress = "done", 1.0
        run.finished_at = uow.now()
        uow.audit(
            "placement.run",
            entity="placement_run",
            entity_id=run.id,
            site_id=cmd.site_id,
            details={
                "period": run.period,
                "households": run.households,
                "not_eligible": run.not_eligible,
                "placed": run.placed_households,
                "method": run.method,
                "gap": run.gap,
                "history": len(inputs.history),
            },
        )
        uow.commit()


def _fail(uow: UnitOfWork, actor: Actor, run_id: uuid.UUID, message: str) -> None:
    with uow.acting(actor):
        run = uow.session.get(PlacementRun, run_id)
        if run is None:
            return
        run.status = RunStatus.FAILED
        run.error = message[:2000]
        run.finished_at = uow.now()
        uow.audit(
            "placement.run.failed",
            entity="placement_run",
            entity_id=run.id,
            details={"period": run.period, "stage": run.stage, "error": message[:500]},
        )
        uow.commit()


def execute_run(
    uow: UnitOfWork,
    run_id: uuid.UUID,
    *,
    actor: Actor,
    solver: Solver | None = None,
    offload: bool = False,
) -> DomainError | None:
    """Execute a queued run; never raises. A failure is recorded on the run with a message the
    officer can act on (an unexpected one with a reference to the server's log) and returned.
    ``offload``: train, score and solve in a child process (spawned for this run, gone after it)."""
    try:
        with uow.acting(actor):
            run = uow.session.get(PlacementRun, run_id)
            if run is None:
                return NotFound("run not found")
            if run.status is not RunStatus.QUEUED:  # executed already: left as it is
                return Conflict(f"this run is {run.status.value} already")
            cmd = RunCreate.model_validate(run.params)
        if not offload:
            _execute(uow, run_id, cmd, actor=actor, solver=solver)
            return None
        spawn = multiprocessing.get_context("spawn")  # no fork of a threaded server
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as child:

            def in_child(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
                return child.submit(fn, *args, **kwargs).result()

            _execute(uow, run_id, cmd, actor=actor, solver=solver, compute=in_child)
        return None
    except DomainError as exc:
        error: DomainError = exc
        message = exc.message
    except Exception:  # a background job: everything is recorded, nothing escapes
        reference = new_id().hex[:12]
        log.exception("placement run %s failed (reference %s)", run_id, reference)
        message = f"the run failed unexpectedly (reference {reference}); the server's log has the detail"
        error = Conflict(message)
    try:
        _fail(uow, actor, run_id, message)
    except Exception:  # the run stays as it was; the log says why
        log.exception("placement run %s: the failure could not be recorded", run_id)
    return error


def run_placement(
    uow: UnitOfWork, cmd: RunCreate, *, actor: Actor, solver: Solver | None = None
) -> uuid.UUID:
    """Queue and execute a run in this thread (the CLI, tests); a failure is recorded and raised."""
    run_id = queue_run(uow, cmd, actor=actor)
    error = execute_run(uow, run_id, actor=actor, solver=solver)
    if error is not None:
        raise error
    return run_id


class RunWorker:
    """Executes queued runs one at a time on a thread of this process."""

    def __init__(self) -> None:
        self._executor: ThreadPoolExecutor | None = None
        self._futures: dict[uuid.UUID, Future[DomainError | None]] = {}
        self._lock = threading.Lock()

    def submit(
        self,
        make_uow: Callable[[], UnitOfWork],
        run_id: uuid.UUID,
        *,
        actor: Actor,
        solver: Solver | None = None,
    ) -> None:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="placement-run")
            self._futures = {k: f for k, f in self._futures.items() if not f.done()}
            self._futures[run_id] = self._executor.submit(
                execute_run, make_uow(), run_id, actor=actor, solver=solver, offload=True
            )

    def wait(self, run_id: uuid.UUID | None = None, timeout: float | None = None) -> bool:
        """Wait for one run (or every run submitted); True when it finished in time."""
        with self._lock:
            if run_id is None:
                futures = list(self._futures.values())
            else:
                found = self._futures.get(run_id)
                futures = [found] if found is not None else []
        _, pending = wait_futures(futures, timeout=timeout)
        return not pending


WORKER = RunWorker()


def start_run(
    make_uow: Callable[[], UnitOfWork],
    cmd: RunCreate,
    *,
    actor: Actor,
    solver: Solver | None = None,
    worker: RunWorker = WORKER,
) -> uuid.UUID:
    """Queue a run and hand it to the worker; returns at once with the run's id."""
    run_id = queue_run(make_uow(), cmd, actor=actor)
    worker.submit(make_uow, run_id, actor=actor, solver=solver)
    return run_id


def _chunks(ids: list[uuid.UUID]) -> Iterable[list[uuid.UUID]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


__all__ = [
    "ISOLATE_ABOVE",
    "RESOURCE_NAMES",
    "WORKER",
    "RunWorker",
    "execute_run",
    "parse_period",
    "period_capacities",
    "queue_run",
    "run_placement",
    "start_run",
    "used_in",
]
