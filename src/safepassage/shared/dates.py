"""Partial dates: a birth date is often only a year, or a month and a year.

The system never invents a day or a month. A date is stored as year, month and day, any of which may
be missing, with its precision and an ``estimated`` flag. A "1 January" typed only because the day
was unknown is recorded as a year (``PartialDate.parse("1990-01-01", precision="year")``).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

from safepassage.shared.i18n import say


class DatePrecision(StrEnum):
    DAY = "day"
    MONTH = "month"
    YEAR = "year"
    UNKNOWN = "unknown"


_ISO = re.compile(r"^\s*(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?\s*$")
_DMY = re.compile(r"^\s*(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})\s*$")
_MY = re.compile(r"^\s*(\d{1,2})[-/.](\d{4})\s*$")
EARLIEST_YEAR = 1880
#: The furthest a civil clock runs ahead of UTC (UTC+14). The server counts in UTC, its clerks in their
#: own time: just after midnight in Damascus (UTC+3) it is still yesterday in UTC, and the date a clerk
#: types as today's must not be refused as "in the future".
AHEAD_OF_UTC = dt.timedelta(hours=14)


def latest_today(now: dt.datetime) -> dt.date:
    """The latest date that is today somewhere (``now`` in UTC): a date after it is in the future
    for everyone."""
    return (now.astimezone(dt.UTC) + AHEAD_OF_UTC).date()


@dataclass(frozen=True)
class PartialDate:
    year: int | None = None
    month: int | None = None
    day: int | None = None
    estimated: bool = False

    def __post_init__(self) -> None:
        if self.day is not None and self.month is None:
            raise ValueError(say("a day needs a month"))
        if self.month is not None and self.year is None:
            raise ValueError(say("a month needs a year"))
        if self.month is not None and not 1 <= self.month <= 12:
            raise ValueError(say("month %(month)s is not between 1 and 12", month=self.month))
        if self.year is not None and self.month is not None and self.day is not None:
            last = calendar.monthrange(self.year, self.month)[1]
            if not 1 <= self.day <= last:
                raise ValueError(
                    say(
                        "day %(day)s does not exist in %(month)s",
                        day=self.day,
                        month=f"{self.year}-{self.month:02d}",
                    )
                )

    @property
    def precision(self) -> DatePrecision:
        if self.day is not None:
            return DatePrecision.DAY
        if self.month is not None:
            return DatePrecision.MONTH
        if self.year is not None:
            return DatePrecision.YEAR
        return DatePrecision.UNKNOWN

    @property
    def is_known(self) -> bool:
        return self.year is not None

    def iso(self) -> str:
        """``1990-05-17``, ``1990-05``, ``1990`` or the empty string."""
        if self.year is None:
            return ""
        text = f"{self.year:04d}"
        if self.month is not None:
            text += f"-{self.month:02d}"
            if self.day is not None:
                text += f"-{self.day:02d}"
        return text

    def earliest(self) -> dt.date | None:
        if self.year is None:
            return None
        return dt.date(self.year, self.month or 1, self.day or 1)

    def latest(self) -> dt.date | None:
        if self.year is None:
            return None
        month = self.month or 12
        return dt.date(self.year, month, self.day or calendar.monthrange(self.year, month)[1])

    def age_on(self, when: dt.date) -> int | None:
        """Age in completed years on ``when``; the youngest age the date allows when it is partial."""
        latest = self.latest()
        if latest is None:
            return None
        years = when.year - latest.year - ((when.month, when.day) < (latest.month, latest.day))
        return max(years, 0)

    def truncated(self, precision: DatePrecision) -> PartialDate:
        """The same date known only to ``precision`` (never more precise than it is)."""
        order = [DatePrecision.UNKNOWN, DatePrecision.YEAR, DatePrecision.MONTH, DatePrecision.DAY]
        keep = min(order.index(precision), order.index(self.precision))
        return PartialDate(
            year=self.year if keep >= 1 else None,
            month=self.month if keep >= 2 else None,
            day=self.day if keep >= 3 else None,
            estimated=self.estimated,
        )

    @classmethod
    def parse(
        cls,
        text: str | None,
        *,
        precision: DatePrecision | str | None = None,
        estimated: bool = False,
        today: dt.date | None = None,
    ) -> PartialDate:
        """Read ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``, ``DD/MM/YYYY``, ``MM/YYYY`` or nothing.

        Raises ValueError with a reason a clerk can act on. ``precision`` truncates what was typed:
        ``parse("1990-01-01", precision="year")`` is the year 1990 and nothing more.
        """
        raw = (text or "").strip()
        value = cls(estimated=estimated) if not raw else cls._parse_text(raw, estimated)
        if value.year is not None:
            if value.year < EARLIEST_YEAR:
                raise ValueError(
                    say("year %(year)s is before %(earliest)s", year=value.year, earliest=EARLIEST_YEAR)
                )
            limit = today or latest_today(dt.datetime.now(dt.UTC))
            earliest = value.earliest()
            if earliest is not None and earliest > limit:
                raise ValueError(say("%(date)s is in the future", date=value.iso()))
        if precision is not None:
            value = value.truncated(DatePrecision(precision))
        return value

    @classmethod
    def _parse_text(cls, raw: str, estimated: bool) -> PartialDate:
        match = _ISO.match(raw)
        if match:
            year, month, day = match.groups()
            return cls._build(int(year), month, day, estimated, raw)
        match = _DMY.match(raw)
        if match:
            day, month, year = match.groups()
            return cls._build(int(year), month, day, estimated, raw)
        match = _MY.match(raw)
        if match:
            month, year = match.groups()
            return cls._build(int(year), month, None, estimated, raw)
        raise ValueError(say("'%(raw)s' is not a date: use YYYY, YYYY-MM or YYYY-MM-DD", raw=raw))

    @classmethod
    def _build(cls, year: int, month: str | None, day: str | None, estimated: bool, raw: str) -> PartialDate:
        try:
            return cls(
                year=year,
                month=int(month) if month else None,
                day=int(day) if day else None,
                estimated=estimated,
            )
        except ValueError as exc:
            raise ValueError(say("'%(raw)s' is not a real date: %(why)s", raw=raw, why=exc)) from exc

    @classmethod
    def from_date(cls, value: dt.date, *, estimated: bool = False) -> PartialDate:
        return cls(value.year, value.month, value.day, estimated)
