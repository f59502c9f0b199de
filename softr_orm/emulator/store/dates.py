"""Dates for the emulator's filters: lenient ISO-8601 parsing and relative date tokens.

Softr documents its relative date tokens only by example (softr-api.md §3.4), so the emulator
fixes one explicit vocabulary. Everything is computed in UTC; ``now`` defaults to the time the
filter is compiled. Every token denotes a half-open range ``[start, end)``.

Relative date vocabulary (tokens are case-sensitive, upper case as in Softr's docs):

``PREDEFINED:<name>``
    ================================  ==================================================
    ``TODAY``                         the current UTC day
    ``YESTERDAY`` / ``TOMORROW``      the day before / after today
    ``THIS_WEEK``                     the current week (weeks start on Monday)
    ``LAST_WEEK``, ``PAST_WEEK``      the previous week
    ``NEXT_WEEK``                     the following week
    ``THIS_MONTH``                    the current calendar month
    ``LAST_MONTH``, ``PAST_MONTH``    the previous calendar month
    ``NEXT_MONTH``                    the following calendar month
    ``THIS_QUARTER``                  the current calendar quarter (Jan-Mar, Apr-Jun, ...)
    ``LAST_QUARTER``, ``PAST_QUARTER`` the previous quarter
    ``NEXT_QUARTER``                  the following quarter
    ``THIS_YEAR``                     the current calendar year
    ``LAST_YEAR``, ``PAST_YEAR``      the previous calendar year
    ``NEXT_YEAR``                     the following calendar year
    ``<N>_DAYS_AGO``                  the single day N days before today (``1_DAY_AGO`` too)
    ``<N>_DAYS_FROM_NOW``             the single day N days after today (``1_DAY_FROM_NOW``)
    ================================  ==================================================

``RELATIVE_DATE:<period>:<unit>`` with ``<period>`` one of ``THIS``, ``PAST`` (the previous
one), ``NEXT`` (the following one) and ``<unit>`` one of ``DAY``, ``WEEK`` (Monday start),
``MONTH``, ``QUARTER``, ``YEAR``; e.g. ``RELATIVE_DATE:PAST:MONTH`` is the previous calendar
month. ``<unit>`` may also be a non-negative integer N of days with ``PAST`` or ``NEXT``:
``RELATIVE_DATE:PAST:7`` is the single day 7 days ago, ``RELATIVE_DATE:NEXT:7`` the single day 7
days ahead (``THIS:<N>`` is rejected). N is at most 1,000,000.

Anything else (other names, lower case, extra ``:`` parts) is an unknown token: the functions
here raise ``ValueError`` and the filter compiler turns that into a ``BAD_REQUEST``.

Instants are handled internally as integer microseconds since the Unix epoch (UTC), which never
overflow and compare faster than ``datetime`` objects.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from functools import lru_cache

__all__ = [
    "MICROS_PER_DAY",
    "PREDEFINED_PREFIX",
    "RELATIVE_PREFIX",
    "from_micros",
    "is_relative_token",
    "iso_micros",
    "ms_to_micros",
    "parse_iso",
    "resolve_date_token",
    "to_micros",
    "token_range_micros",
    "value_micros",
]

UTC = timezone.utc
MICROS_PER_DAY = 86_400_000_000
PREDEFINED_PREFIX = "PREDEFINED:"
RELATIVE_PREFIX = "RELATIVE_DATE:"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
#: Epoch milliseconds accepted as dates: years 1 to 9999 (both signs of the epoch).
_MAX_EPOCH_MS = 253_402_300_800_000
_MAX_DAYS = 1_000_000

_ISO_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]{1,9}))?)?"
    r" ?([Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)?)?"
)
_DAYS_RE = re.compile(r"([0-9]{1,7})_DAYS?_(AGO|FROM_NOW)")
_INT_RE = re.compile(r"[0-9]{1,7}")

_UNIT_NAMES = ("DAY", "WEEK", "MONTH", "QUARTER", "YEAR")
_PERIODS = {"THIS": 0, "PAST": -1, "NEXT": 1}
_PREDEFINED: dict[str, tuple[str, int]] = {
    "TODAY": ("DAY", 0),
    "YESTERDAY": ("DAY", -1),
    "TOMORROW": ("DAY", 1),
}
for _unit in ("WEEK", "MONTH", "QUARTER", "YEAR"):
    _PREDEFINED[f"THIS_{_unit}"] = (_unit, 0)
    _PREDEFINED[f"LAST_{_unit}"] = (_unit, -1)
    _PREDEFINED[f"PAST_{_unit}"] = (_unit, -1)
    _PREDEFINED[f"NEXT_{_unit}"] = (_unit, 1)


def to_micros(moment: datetime) -> int:
    """Microseconds since the epoch of an aware datetime (a naive one is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(microseconds=1)


def from_micros(micros: int) -> datetime:
    """The aware UTC datetime of an epoch-microsecond count.

    Raises:
        OverflowError: outside the years 1-9999.
    """
    return _EPOCH + timedelta(microseconds=micros)


def _day_micros(ordinal: int) -> int:
    return (ordinal - _EPOCH_ORDINAL) * MICROS_PER_DAY


def iso_micros(text: str) -> tuple[int, bool] | None:
    """Parse an ISO-8601 date or date-time leniently, cached.

    Accepted: ``YYYY-MM-DD``, optionally followed by ``T`` (or a space) and ``HH:MM``,
    ``HH:MM:SS`` or ``HH:MM:SS.fraction`` (up to 9 digits, truncated to microseconds), and an
    optional offset ``Z``, ``+HH``, ``+HHMM`` or ``+HH:MM``. A date-time without offset is UTC.

    Returns:
        ``(epoch microseconds, date_only)`` or None when the text is not such a date. A date
        alone stands for its midnight UTC.
    """
    return _iso_micros(text) if len(text) <= 64 else None


@lru_cache(maxsize=65536)
def _iso_micros(text: str) -> tuple[int, bool] | None:
    match = _ISO_RE.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        ordinal = date(int(year), int(month), int(day)).toordinal()
    except ValueError:
        return None
    micros = _day_micros(ordinal)
    if hour is None:
        return micros, True
    h, m, s = int(hour), int(minute), int(second or 0)
    if h > 23 or m > 59 or s > 59:
        return None
    micros += ((h * 60 + m) * 60 + s) * 1_000_000
    if fraction:
        micros += int(fraction[:6].ljust(6, "0"))
    if offset and offset not in "Zz":
        digits = offset[1:].replace(":", "")
        off_h, off_m = int(digits[:2]), int(digits[2:] or 0)
        if off_h > 23 or off_m > 59:
            return None
        delta = (off_h * 60 + off_m) * 60_000_000
        micros += -delta if offset[0] == "+" else delta
    return micros, False


def parse_iso(text: str) -> tuple[datetime, bool] | None:
    """Public form of :func:`iso_micros`: ``(aware UTC datetime, date_only)`` or None."""
    parsed = iso_micros(text)
    if parsed is None:
        return None
    try:
        return from_micros(parsed[0]), parsed[1]
    except OverflowError:
        return None


def ms_to_micros(value: int | float | Decimal) -> int | None:
    """Epoch milliseconds (as sent by Softr's n8n node) to epoch microseconds.

    Returns None for non-finite numbers and for instants outside the years 1-9999.
    """
    if isinstance(value, int):
        if -_MAX_EPOCH_MS <= value <= _MAX_EPOCH_MS:
            return value * 1000
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(repr(value))
        if not number.is_finite() or abs(number) > _MAX_EPOCH_MS:
            return None
        return int((number * 1000).to_integral_value())
    except (ArithmeticError, ValueError):
        return None


def value_micros(value: object) -> int | None:
    """Instant of a stored date value (ISO string, epoch ms number, datetime or date), or None."""
    if isinstance(value, str):
        parsed = iso_micros(value)
        return None if parsed is None else parsed[0]
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        return ms_to_micros(value)
    if isinstance(value, datetime):
        return to_micros(value)
    if isinstance(value, date):
        return _day_micros(value.toordinal())
    return None


def is_relative_token(text: str) -> bool:
    """Whether ``text`` claims to be a relative token (known or not), judged by its prefix."""
    return text.startswith((PREDEFINED_PREFIX, RELATIVE_PREFIX))


def _today(now: datetime) -> date:
    if now.tzinfo is None:
        return now.date()
    return now.astimezone(UTC).date()


def _unit_range(today: date, unit: str, offset: int) -> tuple[int, int]:
    """Ordinal day range ``[start, end)`` of the ``unit`` ``offset`` units from today's."""
    if unit == "DAY":
        start = today.toordinal() + offset
        return start, start + 1
    if unit == "WEEK":
        start = today.toordinal() - today.weekday() + 7 * offset
        return start, start + 7
    if unit == "YEAR":
        year = today.year + offset
        return date(year, 1, 1).toordinal(), date(year + 1, 1, 1).toordinal()
    span = 3 if unit == "QUARTER" else 1
    first = (today.month - 1) // span * span + span * offset  # months since January, shifted
    year, month0 = today.year + first // 12, first % 12
    end_year, end_month0 = year + (month0 + span) // 12, (month0 + span) % 12
    return date(year, month0 + 1, 1).toordinal(), date(end_year, end_month0 + 1, 1).toordinal()


def _token_days(token: str, today: date) -> tuple[int, int] | None:
    """Ordinal day range of a token, None when the token is unknown."""
    if token.startswith(PREDEFINED_PREFIX):
        name = token[len(PREDEFINED_PREFIX) :]
        if name in _PREDEFINED:
            return _unit_range(today, *_PREDEFINED[name])
        match = _DAYS_RE.fullmatch(name)
        if match is not None and int(match.group(1)) <= _MAX_DAYS:
            days = int(match.group(1))
            return _unit_range(today, "DAY", -days if match.group(2) == "AGO" else days)
    elif token.startswith(RELATIVE_PREFIX):
        parts = token[len(RELATIVE_PREFIX) :].split(":")
        if len(parts) == 2 and parts[0] in _PERIODS:
            period, unit = parts
            if unit in _UNIT_NAMES:
                return _unit_range(today, unit, _PERIODS[period])
            if period != "THIS" and _INT_RE.fullmatch(unit) and int(unit) <= _MAX_DAYS:
                return _unit_range(today, "DAY", _PERIODS[period] * int(unit))
    return None


def token_range_micros(token: str, now: datetime) -> tuple[int, int]:
    """The ``[start, end)`` range of a relative token, in epoch microseconds (UTC).

    Raises:
        ValueError: unknown token, or a range outside the years 1-9999.
    """
    try:
        days = _token_days(token, _today(now))
    except (ValueError, OverflowError) as exc:  # date() beyond the years 1-9999
        raise ValueError(f"relative date token {token!r} is out of range") from exc
    if days is None:
        raise ValueError(f"unknown relative date token {token!r}")
    start, end = days
    if start < 1 or end > date.max.toordinal() + 1:
        raise ValueError(f"relative date token {token!r} is out of range")
    return _day_micros(start), _day_micros(end)


def resolve_date_token(token: str, now: datetime) -> tuple[datetime, datetime]:
    """Resolve a relative date token to its ``[start, end)`` range in UTC.

    Args:
        token: e.g. ``"PREDEFINED:TODAY"`` or ``"RELATIVE_DATE:PAST:MONTH"`` (vocabulary in the
            module docstring).
        now: the reference instant; a naive datetime is taken as UTC.

    Returns:
        Aware UTC datetimes ``(start, end)``, ``end`` exclusive.

    Raises:
        ValueError: unknown token, or a range outside the years 1-9999.
    """
    start, end = token_range_micros(token, now)
    try:
        return from_micros(start), from_micros(end)
    except OverflowError as exc:  # the end of 9999-12-31 is not representable
        raise ValueError(f"relative date token {token!r} is out of range") from exc
