"""The possible-duplicate check a clerk sees when a household is registered.

The registry is held in the engine's prepared ``LinkIndex`` (its blocking keys looked up with one
query, the candidates scored with the trained model's parameters: no retraining), built once per
process and kept: building it reads every active person, which is the slow part at a million
persons. A batch run (and ``safepassage linking refresh-index``) rebuilds it. Persons registered since
the index was built (the *delta*) are checked with a small index of their own, so that two
registrations of one person minutes apart are still caught; past ``MAX_DELTA`` new persons the main
index is rebuilt by that check. Persons merged or erased since the build are dropped from the answer.

The check runs after the registration is committed and never fails it: a failing check is logged
and answers nothing. Candidates at the clerk's sites are named; a candidate elsewhere is reported
without name or id ("a possible duplicate at another site"), since the clerk may not open it.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import overload

from pydantic import BaseModel
from sqlalchemy import select

from safepassage.linking.engine import Candidate, LinkIndex, PersonRecord
from safepassage.linking.records import active_records, person_record, persons_by_id
from safepassage.registry.models import Household, Person, Site
from safepassage.security.policy import SYSTEM, Actor
from safepassage.uow import UnitOfWork

log = logging.getLogger(__name__)

MAX_DELTA = 2000  # persons registered since the build checked apart; more: rebuild
MIN_PROBABILITY = 0.5


class PossibleDuplicate(BaseModel):
    """``of``: the new person; ``person_id``/``name``: the registered one (None out of scope)."""

    of: uuid.UUID
    of_name: str
    person_id: uuid.UUID | None
    name: str | None
    site_code: str | None
    probability: float
    reasons: str
    message: str


@dataclass
class _Built:
    index: LinkIndex
    built_at: dt.datetime
    size: int
    id_floor: uuid.UUID  # no person registered since the build has a smaller id (UUIDv7, by time)


# Person ids are UUIDv7 (shared.ids): time-ordered. The delta is looked up from the smallest id
# made this long before the build, so that a clock a little behind in another server (NTP keeps
# them well within it) still counts. Persons made in that minute before the build are read again
# by each check's delta statement, and found in the main index already (created_at before it).
_ID_MARGIN_MS = 60 * 1000


def _id_floor() -> uuid.UUID:
    ms = max(0, time.time_ns() // 1_000_000 - _ID_MARGIN_MS)
    return uuid.UUID(int=(ms & ((1 << 48) - 1)) << 80)


class DuplicateChecker:
    """The cached index of one database (one per process; thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._built: _Built | None = None
        # the delta's index, kept while the same persons make the delta (a check builds it once)
        self._delta: tuple[tuple[dt.datetime, frozenset[uuid.UUID]], LinkIndex] | None = None
        self._building: threading.Thread | None = None
        # one check at a time on an index: its DuckDB connection and Splink's tables are not shared
        self._scoring = threading.Lock()
        # how the background build gets a unit of work of its own (known once one was started)
        self._new_uow: Callable[[], UnitOfWork] | None = None

    def ready(self) -> bool:
        """Whether the index is built (a check then answers within a second)."""
        with self._lock:
            return self._built is not None

    def build_in_background(self, new_uow: Callable[[], UnitOfWork]) -> threading.Thread | None:
        """Start building the index in a thread of its own (with its own unit of work), unless it is
        built or being built; returns the thread started."""
        return self._start_build(new_uow, replace=False)

    def _start_build(self, new_uow: Callable[[], UnitOfWork], *, replace: bool) -> threading.Thread | None:
        """Build the index in a thread of its own unless one is being built (nor, unless ``replace``,
        when one is built: ``replace`` rebuilds it aside while checks go on with the old one)."""
        with self._lock:
            self._new_uow = new_uow
            if (self._built is not None and not replace) or (
                self._building is not None and self._building.is_alive()
            ):
                return None
            thread = threading.Thread(
                target=self._build_quietly, args=(new_uow,), name="duplicate-check-index", daemon=True
            )
            self._building = thread
        thread.start()
        return thread

    def _build_quietly(self, new_uow: Callable[[], UnitOfWork]) -> None:
        try:
            self.refresh(new_uow())
        except Exception:  # the next check tries again
            log.exception("building the possible-duplicate index failed")

    def refresh(self, uow: UnitOfWork) -> int:
        """Rebuild the index from every active person; returns how many it holds."""
        with uow.acting(SYSTEM):
            built_at, floor = uow.now(), _id_floor()
            records = active_records(uow)
        built = _Built(LinkIndex(records), built_at, len(records), floor)
        with self._lock:
            self._built, self._delta = built, None
        return built.size

    def install(self, records: Sequence[PersonRecord], built_at: dt.datetime) -> None:
        """Take an index of ``records`` (every active person, read at ``built_at``): the batch run's."""
        built = _Built(LinkIndex(records), built_at, len(records), _id_floor())
        with self._lock:
            self._built, self._delta = built, None

    def invalidate(self) -> None:
        with self._lock:
            self._built, self._delta = None, None

    def indexes(self, uow: UnitOfWork, *, leave_out: set[uuid.UUID] | None = None) -> list[LinkIndex]:
        """The cached index of the registry, and one of the persons registered since it was built
        (but ``leave_out``); builds the first when there is none."""
        skip = leave_out or set()
        for _ in range(2):
            with self._lock:
                built = self._built
            if built is None:
                self.refresh(uow)
                continue
            with uow.acting(SYSTEM):
                delta_ids = [
                    pid
                    for pid in uow.session.scalars(
                        select(Person.id).where(
                            Person.id >= built.id_floor,  # the primary key's index, not a scan
                            Person.merged_into_id.is_(None),
                            Person.created_at >= built.built_at,
                        )
                    )
                    if pid not in skip
                ]
                if len(delta_ids) > MAX_DELTA:  # too many for a small index: rebuild the main one
                    with self._lock:
                        new_uow = self._new_uow
                    if new_uow is None:  # no way to build it aside: here and now
                        self.invalidate()
                        continue
                    self._start_build(
                        new_uow, replace=True
                    )  # meanwhile, the newest registrations are checked
                    delta_ids = sorted(delta_ids)[-MAX_DELTA:]  # (ids are UUIDv7: time-ordered)
                if not delta_ids:
                    return [built.index]
                key = (built.built_at, frozenset(delta_ids))
                with self._lock:
                    cached = self._delta
                if cached is not None and cached[0] == key:  # nobody registered since: reuse it
                    return [built.index, cached[1]]
                delta = LinkIndex([person_record(p) for p in persons_by_id(uow, delta_ids).values()])
            with self._lock:
                self._delta = (key, delta)
            return [built.index, delta]
        with self._lock:
            built = self._built
        if built is None:  # registrations outran two rebuilds: one more, and no delta
            self.refresh(uow)
            with self._lock:
                built = self._built
        assert built is not None  # just built
        return [built.index]

    def check(
        self, uow: UnitOfWork, person_ids: Sequence[uuid.UUID], *, actor: Actor
    ) -> list[PossibleDuplicate]:
        """Possible duplicates of ``person_ids`` (just registered) among the other active persons."""
        if not person_ids:
            return []
        new = set(person_ids)
        indexes = self.indexes(uow, leave_out=new)
        with uow.acting(SYSTEM):
            records = {pid: person_record(p) for pid, p in persons_by_id(uow, new).items()}
        found = self._score(indexes, records)
        return _answer(uow, records, found, new, actor=actor)

    def _score(
        self, indexes: list[LinkIndex], records: dict[uuid.UUID, PersonRecord]
    ) -> dict[uuid.UUID, list[Candidate]]:
        with self._scoring:
            return {
                key: [
                    c
                    for index in indexes
                    for c in index.score_new_record(record, min_probability=MIN_PROBABILITY)
                ]
                for key, record in records.items()
            }

    def check_drafts(
        self, uow: UnitOfWork, drafts: dict[uuid.UUID, PersonRecord], *, actor: Actor
    ) -> list[PossibleDuplicate]:
        """Possible duplicates of members not registered yet (a registration form before it is sent),
        keyed by ids the caller made up: the same answer as ``check`` gives after registration."""
        if not drafts:
            return []
        indexes = self.indexes(uow)
        found = self._score(indexes, drafts)
        return _answer(uow, drafts, found, set(drafts), actor=actor)


def _answer(
    uow: UnitOfWork,
    records: dict[uuid.UUID, PersonRecord],
    found: dict[uuid.UUID, list[Candidate]],
    new: set[uuid.UUID],
    *,
    actor: Actor,
) -> list[PossibleDuplicate]:
    wanted = {uuid.UUID(c.record_id) for cs in found.values() for c in cs} - new
    with uow.acting(SYSTEM):
        alive = {p.id: p for p in persons_by_id(uow, wanted).values() if p.merged_into_id is None}
        codes = {site: code for site, code in uow.session.execute(select(Site.id, Site.code)).tuples()}
        sides = {pid: person_record(p) for pid, p in alive.items()}
        sites = {pid: p.site_id for pid, p in alive.items()}
    out: list[PossibleDuplicate] = []
    for pid, candidates in found.items():
        of_name = _full_name(records[pid])
        seen: set[uuid.UUID] = set()
        for candidate in sorted(candidates, key=lambda c: -c.match_probability):
            other = uuid.UUID(candidate.record_id)
            if other not in alive or other in seen or not _full_name(sides[other]):
                continue  # merged, erased (no names left) or already listed since the index was built
            seen.add(other)
            visible = actor.may_open(sites[other], other)
            name = _full_name(sides[other]) if visible else None
            where = codes.get(sites[other], "") if visible else None
            message = (
                f"{of_name}: possible duplicate of {name} ({where})"
                if visible
                else f"{of_name}: possible duplicate of a person at another site"
            )
            out.append(
                PossibleDuplicate(
                    of=pid,
                    of_name=of_name,
                    person_id=other if visible else None,
                    name=name,
                    site_code=where,
                    probability=round(candidate.match_probability, 4),
                    reasons=candidate.explanation,
                    message=f"{message}, {candidate.match_probability:.0%}: {candidate.explanation}",
                )
            )
    return out


def _full_name(record: PersonRecord) -> str:
    return " ".join(x for x in (record.given_name, record.father_name, record.family_name) if x)


#: The process's checker (the index is per process: every worker keeps its own).
CHECKER = DuplicateChecker()


@overload
def possible_duplicates(
    uow: UnitOfWork, person_ids: Sequence[uuid.UUID], *, actor: Actor, new_uow: None = None
) -> list[PossibleDuplicate]: ...


@overload
def possible_duplicates(
    uow: UnitOfWork,
    person_ids: Sequence[uuid.UUID],
    *,
    actor: Actor,
    new_uow: Callable[[], UnitOfWork],
) -> list[PossibleDuplicate] | None: ...


def possible_duplicates(
    uow: UnitOfWork,
    person_ids: Sequence[uuid.UUID],
    *,
    actor: Actor,
    new_uow: Callable[[], UnitOfWork] | None = None,
) -> list[PossibleDuplicate] | None:
    """The check, never failing the registration it follows. With ``new_uow``, it never waits for
    the index to be built either: while it is not, the build starts in the background and the
    answer is None (not checked)."""
    try:
        if new_uow is not None and not CHECKER.ready():
            CHECKER.build_in_background(new_uow)
            return None
        return CHECKER.check(uow, person_ids, actor=actor)
    except Exception:  # a registration is never lost to its duplicate check
        log.exception("the possible-duplicate check failed")
        return []


def possible_duplicates_of_drafts(
    uow: UnitOfWork,
    drafts: dict[uuid.UUID, PersonRecord],
    *,
    actor: Actor,
    source_key: str | None = None,
    new_uow: Callable[[], UnitOfWork] | None = None,
) -> list[PossibleDuplicate] | None:
    """The check before registration (the web form's warning step), never failing the form: a
    failing check answers nothing. With ``source_key``, a form already registered under that key
    (sent twice) answers nothing: its members are not duplicates of themselves.

    With ``new_uow``, a clerk never waits for the index to be built (minutes at a million persons,
    once per process): while it is not built, the check starts building it in the background and
    answers None (not checked)."""
    try:
        if source_key is not None:
            with uow.acting(SYSTEM):
                sent = uow.session.scalar(select(Household.id).where(Household.source_key == source_key))
            if sent is not None:
                return []
        if new_uow is not None and not CHECKER.ready():
            CHECKER.build_in_background(new_uow)
            return None
        return CHECKER.check_drafts(uow, drafts, actor=actor)
    except Exception:  # the clerk can still register
        log.exception("the possible-duplicate check of a registration form failed")
        return []
