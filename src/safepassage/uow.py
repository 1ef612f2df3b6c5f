"""Unit of work: one transaction per use case. Services change data inside ``with uow:`` and call
``uow.commit()`` once; leaving the block without committing rolls everything back."""

from __future__ import annotations

import datetime as dt
from types import TracebackType
from typing import Any, Self

from sqlalchemy.orm import Session, sessionmaker

from safepassage.shared.clock import Clock, SystemClock
from safepassage.shared.ids import new_id


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
    ) -> None:
        self._factory = session_factory
        self.default_phone_region = default_phone_region
        self.page_size = page_size
        self.clock: Clock = clock or SystemClock()
        self.actor = actor
        self._depth = 0

    def now(self) -> dt.datetime:
        return self.clock.now()

    def __enter__(self) -> Self:
        if self._depth == 0:
            self.session = self._factory()
            self.session.info.update(actor=self.actor, now=self.clock.now, transaction_id=new_id())
        self._depth += 1
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._depth -= 1
        if self._depth == 0:
            self.session.rollback()
            self.session.close()

    def commit(self) -> None:
        self.session.commit()
        self.session.info["transaction_id"] = new_id()

    def rollback(self) -> None:
        self.session.rollback()

    def acting(self, actor: str) -> Self:
        """This unit of work acting for ``actor``: ``with uow.acting(actor.username):``."""
        if self._depth == 0:
            self.actor = actor
        return self
