"""Time. Every timestamp is timezone-aware UTC, read from an injectable clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FixedClock:
    """A clock for tests: it says what it is told, and moves when told."""

    def __init__(self, at: dt.datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._at = at

    def now(self) -> dt.datetime:
        return self._at

    def advance(self, **delta: float) -> None:
        self._at = self._at + dt.timedelta(**delta)


def utc(value: dt.datetime) -> dt.datetime:
    """``value`` as aware UTC; a naive value is taken to be UTC already (as databases return it)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


Now = Callable[[], dt.datetime]
