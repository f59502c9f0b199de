"""Value classes (SoftrUser, Attachment) and the date/duration/number converters."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from softr_orm.fields import convert as cv
from softr_orm.fields.values import Attachment, SoftrUser, filename_from_url

UTC = timezone.utc

# --- SoftrUser -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"id": "u1", "email": "a@b.co", "fullName": "A B"}, SoftrUser("u1", "a@b.co", "A B")),
        ({"id": "u1", "name": "A"}, SoftrUser(id="u1", name="A")),
        ({"email": "a@b.co"}, SoftrUser(email="a@b.co")),
        ("u1", SoftrUser(id="u1")),
        ("a@b.co", SoftrUser(email="a@b.co")),
        ({}, None),
        ({"id": 5}, None),
        ("", None),
        (None, None),
        (42, None),
    ],
)
def test_softr_user_from_api(raw: Any, expected: SoftrUser | None) -> None:
    """Users are read from objects, id strings and email strings; nonsense gives None."""
    assert SoftrUser.from_api(raw) == expected


def test_softr_user_to_api_and_str() -> None:
    """The id wins over the email; a user with neither cannot be written."""
    assert SoftrUser("u1", "a@b.co").to_api() == {"id": "u1"}
    assert SoftrUser(email="a@b.co").to_api() == {"email": "a@b.co"}
    with pytest.raises(ValueError):
        SoftrUser(name="x").to_api()
    assert str(SoftrUser("u1", "a@b.co", "Jane")) == "Jane"
    assert str(SoftrUser(id="u1")) == "u1"


def test_value_classes_are_frozen_and_hashable() -> None:
    """Values can be shared between records and used in sets."""
    user = SoftrUser(id="u1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        user.id = "u2"  # type: ignore[misc]
    assert len({user, SoftrUser(id="u1"), Attachment("https://x.example/a")}) == 2


# --- Attachment ----------------------------------------------------------------------------


def test_attachment_from_api_reads_all_known_keys() -> None:
    """url, filename (or name), type (or mimeType), size, id and thumbnailUrl are kept."""
    raw = {
        "url": "https://f.example/a.png",
        "name": "a.png",
        "mimeType": "image/png",
        "size": 12.0,
        "id": "att1",
        "thumbnailUrl": "https://f.example/t.png",
        "extra": "ignored",
    }
    assert Attachment.from_api(raw) == Attachment(
        "https://f.example/a.png", "a.png", "image/png", 12, "att1", "https://f.example/t.png"
    )
    assert Attachment.from_api({"url": "u", "size": True}) == Attachment("u")
    assert Attachment.from_api({"filename": "x"}) is None
    assert Attachment.from_api("https://f.example/b") == Attachment("https://f.example/b")
    assert Attachment.from_api(7) is None


def test_attachment_to_api() -> None:
    """Writes send url and filename, plus type when known; never id, size or thumbnail."""
    full = Attachment("https://f.example/a.png", "A.png", "image/png", 3, "att1", "t")
    assert full.to_api() == {
        "url": "https://f.example/a.png",
        "filename": "A.png",
        "type": "image/png",
    }
    assert Attachment("https://f.example/d/x%20y.pdf?sig=1").to_api() == {
        "url": "https://f.example/d/x%20y.pdf?sig=1",
        "filename": "x y.pdf",
    }


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://f.example/a/b.png", "b.png"),
        ("https://f.example/", "file"),
        ("https://f.example", "file"),
        ("https://f.example/%E2%82%AC.txt", "\u20ac.txt"),
        ("http://[::1", "file"),
    ],
)
def test_filename_from_url(url: str, name: str) -> None:
    """The last path segment, decoded; "file" when there is none or the URL is broken."""
    assert filename_from_url(url) == name


# --- dates and times ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("PREDEFINED:TODAY", True),
        ("PREDEFINED:30_DAYS_FROM_NOW", True),
        ("RELATIVE_DATE:THIS:WEEK", True),
        ("RELATIVE_DATE:PAST:7", True),
        ("PREDEFINED:", False),
        ("RELATIVE_DATE:THIS", False),
        ("RELATIVE_DATE:THIS:", False),
        ("RELATIVE_DATE:THIS:WEEK:X", False),
        ("RELATIVE_DATE: THIS:WEEK", False),
        ("TODAY", False),
        ("2026-05-01", False),
        (None, False),
    ],
)
def test_relative_tokens(text: Any, ok: bool) -> None:
    """Only the documented shapes count as relative date tokens."""
    assert cv.is_relative_token(text) is ok


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-05-21T20:00:00.000Z", datetime(2026, 5, 21, 20, tzinfo=UTC)),
        ("2026-05-21T20:00:00Z", datetime(2026, 5, 21, 20, tzinfo=UTC)),
        ("2026-05-21T20:00:00.5Z", datetime(2026, 5, 21, 20, 0, 0, 500000, tzinfo=UTC)),
        ("2026-05-21T20:00:00.123456+00:00", datetime(2026, 5, 21, 20, 0, 0, 123456, tzinfo=UTC)),
        ("2026-05-21T15:00:00-05:00", datetime(2026, 5, 21, 20, tzinfo=UTC)),
        ("2026-05-21T20:00:00", datetime(2026, 5, 21, 20, tzinfo=UTC)),
        ("2026-05-21", datetime(2026, 5, 21, tzinfo=UTC)),
        ("20260521T200000Z", datetime(2026, 5, 21, 20, tzinfo=UTC)),
        (1779393600000, datetime(2026, 5, 21, 20, tzinfo=UTC)),
        ("garbage", None),
        ("", None),
        (True, None),
        (None, None),
        ([], None),
    ],
)
def test_read_datetime(raw: Any, expected: datetime | None) -> None:
    """Lenient reads always give aware UTC datetimes (or None when hopeless)."""
    value = cv.read_datetime(raw)
    assert value == expected
    if value is not None:
        assert value.tzinfo is UTC


def test_parse_datetime_is_strict() -> None:
    """Writes need a full date-time; a date alone or junk is None; naive stays naive."""
    assert cv.parse_datetime("2026-05-21") is None
    assert cv.parse_datetime("tomorrow at noon") is None
    naive = cv.parse_datetime("2026-05-21T20:00:00")
    assert naive is not None and naive.tzinfo is None
    aware = cv.parse_datetime("2026-05-21T22:00:00+02:00")
    assert aware is not None and aware.utcoffset() == timedelta(hours=2)


def test_format_datetime() -> None:
    """UTC, milliseconds, a Z: the one form Softr documents."""
    plus2 = timezone(timedelta(hours=2))
    assert cv.format_datetime(datetime(2026, 1, 1, 1, 2, 3, 456789, tzinfo=plus2)) == (
        "2025-12-31T23:02:03.456Z"
    )
    assert cv.format_datetime(datetime(2026, 5, 21, 20, tzinfo=UTC)) == "2026-05-21T20:00:00.000Z"
    assert cv.format_datetime(datetime(9, 1, 2, tzinfo=UTC)) == "0009-01-02T00:00:00.000Z"


def test_dates() -> None:
    """read_date takes the date part as written; parse_date wants exactly YYYY-MM-DD."""
    assert cv.read_date("2026-05-21T23:30:00-05:00") == date(2026, 5, 21)
    assert cv.read_date("2026-02-30") is None
    assert cv.parse_date("2026-05-21") == date(2026, 5, 21)
    assert cv.parse_date("2026-5-21") is None
    assert cv.parse_date("2026-05-21T00:00") is None


# --- durations and numbers -------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (90, timedelta(seconds=90)),
        (1.25, timedelta(seconds=1.25)),
        (Decimal("0.000001"), timedelta(microseconds=1)),
        (Decimal("-1.5"), timedelta(seconds=-1.5)),
        ("3600", timedelta(hours=1)),
        ("1:30", None),
        (Decimal("1e30"), None),
        (None, None),
        (True, None),
    ],
)
def test_seconds_to_timedelta(raw: Any, expected: timedelta | None) -> None:
    """Seconds in any numeric form become a timedelta; overflow and junk give None."""
    assert cv.seconds_to_timedelta(raw) == expected


@pytest.mark.parametrize(
    "value",
    [
        timedelta(0),
        timedelta(days=3, seconds=7),
        timedelta(milliseconds=1500),
        timedelta(microseconds=-1),
        timedelta(days=-1, microseconds=250),
    ],
)
def test_timedelta_seconds_round_trip(value: timedelta) -> None:
    """timedelta -> exact seconds -> timedelta gives back the same value."""
    seconds = cv.timedelta_to_seconds(value)
    assert isinstance(seconds, (int, Decimal))
    assert cv.seconds_to_timedelta(Decimal(seconds)) == value


def test_numbers() -> None:
    """Numeric strings and exact decimals."""
    assert cv.number_from_str("42") == 42 and type(cv.number_from_str("42")) is int
    assert cv.number_from_str("4.5") == 4.5
    assert cv.number_from_str("four") is None
    assert cv.decimal_from(0.1) == Decimal("0.1")
    assert cv.decimal_from(" 2.50 ") == Decimal("2.50")
    assert cv.decimal_from("x") is None
    assert cv.decimal_from(True) is None
    assert cv.plain([Decimal("1.5"), [Decimal("2")], "x"]) == [1.5, [2.0], "x"]
