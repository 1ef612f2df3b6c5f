"""Capacity periods: a calendar month (``2026-11``) or a quarter (``2026-Q4``).

A region's capacities are recorded per period; a run plans for one period and consumes that period's
capacity; a decided placement counts against the period of its run. A region holds capacities for
periods that do not overlap (a month and the quarter around it are refused), so a placement made for a
month counts against the one capacity that contains it: the month's own or its quarter's.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from safepassage.shared.i18n import say

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")


@dataclass(frozen=True, order=True)
class Period:
    """[start, end): ``end`` is the first day after the period."""

    start: dt.date
    end: dt.date
    code: str

    @classmethod
    def parse(cls, text: str) -> Period:
        """``2026-11`` (a month) or ``2026-Q4`` (a quarter); a ValueError names what is wrong."""
        raw = (text or "").strip()
        month = _MONTH.match(raw)
        if month:
            year, number = int(month.group(1)), int(month.group(2))
            if not 1 <= number <= 12 or year < 2000:
                raise ValueError(say("'%(raw)s' is not a month (YYYY-MM) from 2000 on", raw=raw))
            return cls.month_of(dt.date(year, number, 1))
        quarter = _QUARTER.match(raw)
        if quarter:
            year = int(quarter.group(1))
            if year < 2000:
                raise ValueError(say("'%(raw)s' is before 2000", raw=raw))
            return cls.quarter_of(dt.date(year, 3 * int(quarter.group(2)) - 2, 1))
        raise ValueError(say("'%(raw)s' is not a period: a month (2026-11) or a quarter (2026-Q4)", raw=raw))

    @classmethod
    def month_of(cls, day: dt.date) -> Period:
        start = day.replace(day=1)
        end = dt.date(start.year + (start.month == 12), start.month % 12 + 1, 1)
        return cls(start, end, f"{start.year:04d}-{start.month:02d}")

    @classmethod
    def quarter_of(cls, day: dt.date) -> Period:
        first = 3 * ((day.month - 1) // 3) + 1
        start = dt.date(day.year, first, 1)
        end = dt.date(day.year + (first == 10), (first + 2) % 12 + 1, 1)
        return cls(start, end, f"{start.year:04d}-Q{(first - 1) // 3 + 1}")

    @property
    def is_quarter(self) -> bool:
        return "Q" in self.code

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    def contains(self, other: Period) -> bool:
        return self.start <= other.start and other.end <= self.end

    def overlaps(self, other: Period) -> bool:
        return self.start < other.end and other.start < self.end

    def codes_within(self) -> list[str]:
        """Every period code a placement counted against this period may carry (itself, its months)."""
        if not self.is_quarter:
            return [self.code]
        months = [Period.month_of(dt.date(self.start.year, self.start.month + i, 1)).code for i in range(3)]
        return [self.code, *months]

    def __str__(self) -> str:
        return self.code


def current_period(today: dt.date) -> Period:
    """The default period of a run, an import or a capacity: the month of ``today``."""
    return Period.month_of(today)


def containing(periods: list[Period], wanted: Period) -> Period | None:
    """The period among ``periods`` (one region's, never overlapping) that contains ``wanted``."""
    for period in periods:
        if period.contains(wanted):
            return period
    return None


__all__ = ["Period", "containing", "current_period"]
