"""Tests for softr_orm.emulator.store.dates: relative date tokens and lenient ISO-8601 parsing."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from softr_orm.emulator.store.dates import (
    iso_micros,
    ms_to_micros,
    parse_iso,
    resolve_date_token,
    to_micros,
    value_micros,
)

UTC = timezone.utc
NOW = datetime(2026, 5, 20, 15, 30, tzinfo=UTC)  # Wednesday, Q2


def day(text: str) -> datetime:
    return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)


@pytest.mark.parametrize(
    ("token", "start", "end"),
    [
        ("PREDEFINED:TODAY", "2026-05-20", "2026-05-21"),
        ("PREDEFINED:YESTERDAY", "2026-05-19", "2026-05-20"),
        ("PREDEFINED:TOMORROW", "2026-05-21", "2026-05-22"),
        ("PREDEFINED:THIS_WEEK", "2026-05-18", "2026-05-25"),
        ("PREDEFINED:LAST_WEEK", "2026-05-11", "2026-05-18"),
        ("PREDEFINED:PAST_WEEK", "2026-05-11", "2026-05-18"),
        ("PREDEFINED:NEXT_WEEK", "2026-05-25", "2026-06-01"),
        ("PREDEFINED:THIS_MONTH", "2026-05-01", "2026-06-01"),
        ("PREDEFINED:PAST_MONTH", "2026-04-01", "2026-05-01"),
        ("PREDEFINED:LAST_MONTH", "2026-04-01", "2026-05-01"),
        ("PREDEFINED:NEXT_MONTH", "2026-06-01", "2026-07-01"),
        ("PREDEFINED:THIS_QUARTER", "2026-04-01", "2026-07-01"),
        ("PREDEFINED:LAST_QUARTER", "2026-01-01", "2026-04-01"),
        ("PREDEFINED:NEXT_QUARTER", "2026-07-01", "2026-10-01"),
        ("PREDEFINED:THIS_YEAR", "2026-01-01", "2027-01-01"),
        ("PREDEFINED:LAST_YEAR", "2025-01-01", "2026-01-01"),
        ("PREDEFINED:PAST_YEAR", "2025-01-01", "2026-01-01"),
        ("PREDEFINED:NEXT_YEAR", "2027-01-01", "2028-01-01"),
        ("PREDEFINED:7_DAYS_AGO", "2026-05-13", "2026-05-14"),
        ("PREDEFINED:1_DAY_AGO", "2026-05-19", "2026-05-20"),
        ("PREDEFINED:30_DAYS_FROM_NOW", "2026-06-19", "2026-06-20"),
        ("PREDEFINED:0_DAYS_AGO", "2026-05-20", "2026-05-21"),
        ("RELATIVE_DATE:THIS:DAY", "2026-05-20", "2026-05-21"),
        ("RELATIVE_DATE:PAST:DAY", "2026-05-19", "2026-05-20"),
        ("RELATIVE_DATE:NEXT:DAY", "2026-05-21", "2026-05-22"),
        ("RELATIVE_DATE:THIS:WEEK", "2026-05-18", "2026-05-25"),
        ("RELATIVE_DATE:PAST:MONTH", "2026-04-01", "2026-05-01"),
        ("RELATIVE_DATE:NEXT:QUARTER", "2026-07-01", "2026-10-01"),
        ("RELATIVE_DATE:PAST:QUARTER", "2026-01-01", "2026-04-01"),
        ("RELATIVE_DATE:NEXT:YEAR", "2027-01-01", "2028-01-01"),
        ("RELATIVE_DATE:PAST:7", "2026-05-13", "2026-05-14"),
        ("RELATIVE_DATE:NEXT:7", "2026-05-27", "2026-05-28"),
        ("RELATIVE_DATE:PAST:0", "2026-05-20", "2026-05-21"),
    ],
)
def test_token_ranges(token: str, start: str, end: str) -> None:
    """Every token of the documented vocabulary resolves to its [start, end) range in UTC."""
    assert resolve_date_token(token, NOW) == (day(start), day(end))


@pytest.mark.parametrize(
    ("now", "token", "start", "end"),
    [
        # 00:30 on Jan 1 at +05:00 is still Dec 31 in UTC
        (
            datetime(2026, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=5))),
            "PREDEFINED:TODAY",
            "2025-12-31",
            "2026-01-01",
        ),
        (datetime(2026, 1, 15), "PREDEFINED:LAST_MONTH", "2025-12-01", "2026-01-01"),  # naive=UTC
        (datetime(2026, 12, 31, tzinfo=UTC), "PREDEFINED:NEXT_MONTH", "2027-01-01", "2027-02-01"),
        (
            datetime(2026, 11, 2, tzinfo=UTC),
            "RELATIVE_DATE:NEXT:QUARTER",
            "2027-01-01",
            "2027-04-01",
        ),
        (
            datetime(2026, 2, 1, tzinfo=UTC),
            "RELATIVE_DATE:PAST:QUARTER",
            "2025-10-01",
            "2026-01-01",
        ),
        (datetime(2026, 5, 24, 23, tzinfo=UTC), "PREDEFINED:THIS_WEEK", "2026-05-18", "2026-05-25"),
        (datetime(2026, 5, 25, tzinfo=UTC), "PREDEFINED:THIS_WEEK", "2026-05-25", "2026-06-01"),
        (datetime(2024, 3, 1, tzinfo=UTC), "RELATIVE_DATE:PAST:1", "2024-02-29", "2024-03-01"),
    ],
)
def test_token_boundaries(now: datetime, token: str, start: str, end: str) -> None:
    """UTC conversion of now, year/quarter roll-over, Monday week start, leap days."""
    assert resolve_date_token(token, now) == (day(start), day(end))


@pytest.mark.parametrize(
    "token",
    [
        "PREDEFINED:today",
        "PREDEFINED:",
        "PREDEFINED:LAST_DECADE",
        "PREDEFINED:-1_DAYS_AGO",
        "PREDEFINED:7_WEEKS_AGO",
        "PREDEFINED:99999999_DAYS_AGO",
        "RELATIVE_DATE:THIS:7",
        "RELATIVE_DATE:PAST",
        "RELATIVE_DATE:PAST:MONTH:1",
        "RELATIVE_DATE:LAST:MONTH",
        "RELATIVE_DATE:NEXT:-3",
        "RELATIVE_DATE:NEXT:FORTNIGHT",
        "TODAY",
        "2026-05-20",
    ],
)
def test_unknown_tokens_raise_value_error(token: str) -> None:
    """Anything outside the vocabulary is refused (the filter turns this into BAD_REQUEST)."""
    with pytest.raises(ValueError, match="unknown relative date token"):
        resolve_date_token(token, NOW)


def test_tokens_beyond_year_9999_raise_value_error() -> None:
    """Ranges that leave the representable years are refused, not overflowed."""
    with pytest.raises(ValueError, match="out of range"):
        resolve_date_token("PREDEFINED:NEXT_YEAR", datetime(9999, 6, 1, tzinfo=UTC))
    with pytest.raises(ValueError, match="out of range"):
        resolve_date_token("RELATIVE_DATE:PAST:1000000", datetime(100, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("text", "expected", "date_only"),
    [
        ("2026-05-21", datetime(2026, 5, 21, tzinfo=UTC), True),
        ("2026-05-21T20:00:00.000Z", datetime(2026, 5, 21, 20, tzinfo=UTC), False),
        ("2026-05-21T20:00:00Z", datetime(2026, 5, 21, 20, tzinfo=UTC), False),
        ("2026-05-21t20:00z", datetime(2026, 5, 21, 20, tzinfo=UTC), False),
        ("2026-05-21 20:00:00", datetime(2026, 5, 21, 20, tzinfo=UTC), False),  # naive = UTC
        ("2026-05-21T22:00:00+02:00", datetime(2026, 5, 21, 20, tzinfo=UTC), False),
        ("2026-05-21T22:00:00+0200", datetime(2026, 5, 21, 20, tzinfo=UTC), False),
        ("2026-05-21T15:00:00-05", datetime(2026, 5, 21, 20, tzinfo=UTC), False),
        ("2026-05-21T20:00:00.123456789Z", datetime(2026, 5, 21, 20, 0, 0, 123456, UTC), False),
        ("2026-05-21T20:00:00,5Z", datetime(2026, 5, 21, 20, 0, 0, 500000, UTC), False),
    ],
)
def test_parse_iso_is_lenient(text: str, expected: datetime, date_only: bool) -> None:
    """Dates and date-times in the usual ISO-8601 spellings parse to UTC."""
    assert parse_iso(text) == (expected, date_only)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2026-5-21",
        "2026-02-30",
        "2026-05-21T24:00:00Z",
        "2026-05-21T20:60Z",
        "2026-05-21T20:00:00+24:00",
        "2026-05-21T20",
        "21/05/2026",
        "0000-01-01",
        "\uff12\uff10\uff12\uff16-05-21",  # full-width digits
        "2026-05-21\n",
        "PREDEFINED:TODAY",
    ],
)
def test_parse_iso_refuses_non_dates(text: str) -> None:
    """Strings that are not ISO-8601 dates give None, never an exception."""
    assert parse_iso(text) is None
    assert iso_micros(text) is None


def test_instants_outside_datetime_range_still_compare() -> None:
    """Integer microseconds carry instants that a datetime in UTC could not."""
    late, earlier = iso_micros("9999-12-31T23:00:00-05:00"), iso_micros("9999-12-31T23:59:59Z")
    assert late is not None and earlier is not None and late[0] > earlier[0]
    assert parse_iso("9999-12-31T23:00:00-05:00") is None  # not representable as a datetime


def test_epoch_milliseconds_and_value_micros() -> None:
    """Epoch ms (int, float, Decimal), datetimes and dates all become epoch microseconds."""
    may = to_micros(datetime(2026, 5, 20, tzinfo=UTC))
    assert ms_to_micros(1_779_235_200_000) == may
    assert ms_to_micros(1_779_235_200_000.5) == may + 500
    assert ms_to_micros(Decimal("1779235200000.001")) == may + 1
    assert ms_to_micros(float("nan")) is None
    assert ms_to_micros(10**20) is None
    assert value_micros("2026-05-20") == may
    assert value_micros(datetime(2026, 5, 20)) == may
    assert value_micros(date(2026, 5, 20)) == may
    assert value_micros(True) is None
    assert value_micros(["2026-05-20"]) is None


@settings(max_examples=200, deadline=None)
@given(moment=st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)))
def test_iso_round_trip(moment: datetime) -> None:
    """Any datetime written as ISO-8601 with Z parses back to the same instant."""
    aware = moment.replace(tzinfo=UTC)
    text = aware.isoformat(timespec="microseconds").replace("+00:00", "Z")
    assert parse_iso(text) == (aware, False)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=40))
def test_parse_iso_never_raises(text: str) -> None:
    """Arbitrary text parses or gives None."""
    result = parse_iso(text)
    assert result is None or result[0].tzinfo is UTC


@settings(max_examples=100, deadline=None)
@given(
    now=st.datetimes(min_value=datetime(1901, 1, 1), max_value=datetime(2199, 12, 31)),
    token=st.sampled_from(
        [
            "PREDEFINED:TODAY",
            "PREDEFINED:THIS_WEEK",
            "PREDEFINED:THIS_MONTH",
            "PREDEFINED:THIS_QUARTER",
            "PREDEFINED:THIS_YEAR",
        ]
    ),
)
def test_this_period_contains_now(now: datetime, token: str) -> None:
    """Every THIS_* range contains now and starts at midnight."""
    start, end = resolve_date_token(token, now)
    assert start <= now.replace(tzinfo=UTC) < end
    assert start.time() == end.time() == datetime.min.time()
