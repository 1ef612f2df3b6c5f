import datetime as dt

import pytest

from safepassage.shared.dates import DatePrecision, PartialDate

TODAY = dt.date(2026, 11, 22)


@pytest.mark.parametrize(
    ("text", "iso", "precision"),
    [
        ("1990-05-17", "1990-05-17", DatePrecision.DAY),
        ("1990-05", "1990-05", DatePrecision.MONTH),
        ("1990", "1990", DatePrecision.YEAR),
        ("17/05/1990", "1990-05-17", DatePrecision.DAY),
        ("17.05.1990", "1990-05-17", DatePrecision.DAY),
        ("05/1990", "1990-05", DatePrecision.MONTH),
        ("", "", DatePrecision.UNKNOWN),
        (None, "", DatePrecision.UNKNOWN),
    ],
)
def test_parse_keeps_exactly_what_was_given(text, iso, precision):
    value = PartialDate.parse(text, today=TODAY)
    assert value.iso() == iso
    assert value.precision == precision


def test_first_of_january_typed_for_want_of_a_day_is_recorded_as_a_year():
    value = PartialDate.parse("1990-01-01", precision="year", estimated=True, today=TODAY)
    assert (value.year, value.month, value.day) == (1990, None, None)
    assert value.precision == DatePrecision.YEAR
    assert value.estimated


def test_precision_never_adds_what_was_not_given():
    assert PartialDate.parse("1990", precision="day", today=TODAY).iso() == "1990"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1990-13-01", "month 13"),
        ("1990-02-30", "day 30 does not exist"),
        ("2031-01-01", "in the future"),
        ("1700", "before"),
        ("yesterday", "not a date"),
    ],
)
def test_bad_dates_say_why(text, reason):
    with pytest.raises(ValueError, match=reason):
        PartialDate.parse(text, today=TODAY)


def test_age_of_a_partial_date_is_the_youngest_it_allows():
    assert PartialDate(2010).age_on(dt.date(2026, 6, 1)) == 15
    assert PartialDate(2010, 5, 1).age_on(dt.date(2026, 6, 1)) == 16
    assert PartialDate().age_on(TODAY) is None


def test_range_of_a_month():
    value = PartialDate(2024, 2)
    assert value.earliest() == dt.date(2024, 2, 1)
    assert value.latest() == dt.date(2024, 2, 29)


def test_today_somewhere_runs_up_to_fourteen_hours_ahead_of_utc():
    from safepassage.shared.dates import latest_today

    assert latest_today(dt.datetime(2026, 11, 22, 9, 59, tzinfo=dt.UTC)) == dt.date(2026, 11, 22)
    assert latest_today(dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.UTC)) == dt.date(2026, 11, 23)
    moscow = dt.timezone(dt.timedelta(hours=3))  # an aware time in another zone counts as its UTC instant
    assert latest_today(dt.datetime(2026, 11, 22, 12, 30, tzinfo=moscow)) == dt.date(2026, 11, 22)
    assert PartialDate.parse(
        "2026-11-23", today=latest_today(dt.datetime(2026, 11, 22, 22, 30, tzinfo=dt.UTC))
    )
