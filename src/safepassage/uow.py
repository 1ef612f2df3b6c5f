"""Unit of work: one transaction per use case. Services change data inside ``with uow:`` and call
``uow.commit()`` once; leaving the block without committing rolls everything back.

The unit of work also carries the audit queue: ``uow.audit(...)`` (and the history listener, for
every written row) queues an event; ``commit()`` hands the queue to the audit trail just before the
database commit, in the same transaction, so an action and its audit entries are stored together or
not at all."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol, Self

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from safepassage.shared.clock import Clock, SystemClock
from safepassage.shared.ids import new_id

AUDIT_QUEUE = "audit_queue"  # session.info key: the events of the open transaction


@dataclass(frozen=True)
class AuditEvent:
    """One thing to append to the audit trail: who, when, what, where from, why. ``details`` holds
    field names, counts and field classes, never a protected value."""

    at: dt.datetime
    actor: str
    role: str | None
    action: str
    entity: str | None = None
    entity_id: str | None = None
    site_id: Any = None  # uuid.UUID
    purpose: str | None = None
    address: str | None = None
    flagged: bool = False
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RowScope:
    """Which rows the acting actor may see, handed to the database (row-level security)."""

    all_sites: bool = False
    site_ids: frozenset[Any] = frozenset()
    record_ids: frozenset[Any] = frozenset()


class ActorLike(Protocol):
    """What the unit of work needs of an actor (``security.policy.Actor`` has it)."""

    @property
    def username(self) -> str: ...
    @property
    def role(self) -> Any: ...
    @property
    def address(self) -> str | None: ...


class AuditSink(Protocol):
    """The audit trail as the unit of work sees it (``security.audit.AuditTrail``)."""

    def append(self, session: Session, events: list[AuditEvent]) -> object:
        """Append ``events`` in the session's transaction; return what ``after_commit`` needs."""
        ...

    def after_commit(self, appended: object) -> None:
        """Work that must follow a successful commit (copying checkpoints out of the database)."""
        ...


class UnitOfWork:
    session: Session

    def __init__(
        self,
        session_factory: sessionmaker[Any],
        *,
        clock: Clock | None = None,
        actor: str = "system",
        default_phone_region: str = "SY",
        page_size: int = 50,
        retention: Mapping[str, int] | None = None,
        audit_trail: AuditSink | None = None,
    ) -> None:
        self._factory = session_factory
        self.default_phone_region = default_phone_region
        self.page_size = page_size
        self.retention: Mapping[str, int] = retention or {}
        self.clock: Clock = clock or SystemClock()
        self.actor = actor
        self.actor_role: str | None = "system" if actor == "system" else None
        self.actor_address: str | None = None
        # The actor's site scope, for PostgreSQL's row-level security (``security.rowsecurity``):
        # deny by default; the system acts everywhere; ``acting(actor)`` hands over the actor's sites.
        self.actor_scope: RowScope = RowScope(all_sites=actor == "system")
        self.audit_trail = audit_trail
        self._depth = 0

    def retention_days(self, purpose: str) -> int:
        """How many days protected details collected for ``purpose`` are kept (a year if unknown)."""
        return self.retention.get(purpose, 365)

    def now(self) -> dt.datetime:
        return self.clock.now()

    def __enter__(self) -> Self:
        if self._depth == 0:
            self.session = self._factory()
            self.session.info.update(
                actor=self.actor,
                actor_role=self.actor_role,
                actor_address=self.actor_address,
                actor_scope=self.actor_scope,
                now=self.clock.now,
                transaction_id=new_id(),
            )
            self.session.info[AUDIT_QUEUE] = []
        self._depth += 1
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._depth -= 1
        if self._depth == 0:
            self.session.info[AUDIT_QUEUE] = []
            self.session.rollback()
            self.session.close()

    def commit(self) -> None:
        """Flush, append the queued audit events under the chain's head lock, commit. If the append
        fails, nothing is committed: the exception propagates and the block rolls back."""
        queue: list[AuditEvent] = self.session.info.setdefault(AUDIT_QUEUE, [])
        if self.session.new or self.session.dirty or self.session.deleted:
            self.session.flush()  # the history listener queues one event per written row
        events = list(queue)
        queue.clear()  # handed over: the commit guard below finds nothing left behind
        appended: object = None
        if events:
            if self.audit_trail is None:
                raise RuntimeError("audit events are queued but this unit of work has no audit trail")
            appended = self.audit_trail.append(self.session, events)
        self.session.commit()
        self.session.info["transaction_id"] = new_id()
        if appended is not None and self.audit_trail is not None:
            self.audit_trail.after_commit(appended)

    def rollback(self) -> None:
        self.session.info.get(AUDIT_QUEUE, []).clear()
        self.session.rollback()

    def audit(
        self,
        action: str,
        *,
        entity: str | None = None,
        entity_id: object = None,
        site_id: object = None,
        purpose: str | None = None,
        details: Mapping[str, Any] | None = None,
        flagged: bool = False,
    ) -> None:
        """Queue an audit event for this transaction (appended by ``commit()``). For acts that change
        nothing but must be on record (reading a protected field, a break-glass opening), call
        ``uow.commit()`` afterwards."""
        info = self.session.info
        info.setdefault(AUDIT_QUEUE, []).append(
            AuditEvent(
                at=self.clock.now(),
                actor=info.get("actor", self.actor),
                role=info.get("actor_role", self.actor_role),
                action=action,
                entity=entity,
                entity_id=None if entity_id is None else str(entity_id),
                site_id=site_id,
                purpose=purpose,
                address=info.get("actor_address", self.actor_address),
                flagged=flagged,
                details=dict(details or {}),
            )
        )

    def acting(self, actor: str | ActorLike) -> Self:
        """This unit of work acting for ``actor``: ``with uow.acting(actor):`` (an ``Actor``: its name,
        role and address go on the audit entries) or, as before, ``with uow.acting(actor.username):``."""
        if self._depth == 0:
            if isinstance(actor, str):
                self.actor = actor
                self.actor_role = "system" if actor == "system" else None
                self.actor_scope = RowScope(all_sites=actor == "system")
                self.actor_address = None
            else:
                self.actor = actor.username
                role = actor.role
                self.actor_role = str(getattr(role, "value", role))
                self.actor_address = actor.address
                self.actor_scope = RowScope(
                    all_sites=bool(getattr(actor, "all_sites", False)),
                    site_ids=frozenset(getattr(actor, "site_ids", frozenset())),
                    record_ids=frozenset(getattr(actor, "granted_records", frozenset())),
                )
        return self

    def acting_as(self, actor: ActorLike) -> Self:
        """``acting`` for an ``Actor``, spelled out."""
        return self.acting(actor)


@event.listens_for(Session, "before_commit")
def _no_commit_past_the_audit(session: Session) -> None:
    """A unit of work's session committed other than by ``uow.commit()`` would store writes without
    their audit entries: refused."""
    queue = session.info.get(AUDIT_QUEUE)
    if queue is None:
        return  # not a unit of work's session (migrations, maintenance)
    if session.new or session.dirty or session.deleted:
        session.flush()
    if queue:
        raise RuntimeError("commit with audit events not appended: commit through uow.commit()")
