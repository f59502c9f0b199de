"""Converters for dates, date-times, durations and numbers.

Two families: ``read_*`` functions sit on the hot read path (thousands of records per page),
never raise and return None when they cannot make sense of a value; ``parse_*`` functions
serve strict writes and filters and also return None on failure, leaving the wording of
the error to the field that called them.
"""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from dateutil import parser as _dateutil

UTC = timezone.utc
NATIVE_Z = sys.version_info >= (3, 11)  # 3.11's fromisoformat reads "Z" and any fraction
_MICROS = 1_000_000

RELATIVE_PREFIXES = ("PREDEFINED:", "RELATIVE_DATE:")


def is_relative_token(value: object) -> bool:
    """True for ``PREDEFINED:<token>`` and ``RELATIVE_DATE:<period>:<unit>`` strings.

    Softr publishes its token vocabulary as examples only (softr-api.md §8.8), so just the
    shape is checked: the prefix and non-empty parts.
    """
    if not isinstance(value, str):
        return False
    if value.startswith("PREDEFINED:"):
        return len(value) > len("PREDEFINED:") and not value[-1].isspace()
    if value.startswith("RELATIVE_DATE:"):
        parts = value.split(":")
        return len(parts) == 3 and all(p and p.strip() == p for p in parts[1:])
    return False


# --- dates ---------------------------------------------------------------------------------


def read_date(raw: str) -> date | None:
    """``"YYYY-MM-DD"``, or the date part of an ISO date-time (never shifted)."""
    try:
        return date.fromisoformat(raw if len(raw) == 10 else raw[:10])
    except ValueError:
        pass
    parsed = _fallback(raw)
    return parsed.date() if parsed is not None else None


def parse_date(text: str) -> date | None:
    """Strict: exactly an ISO calendar date ``YYYY-MM-DD``."""
    if len(text) != 10:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


# --- date-times ------------------------------------------------------------------------------


def _fromiso(text: str) -> datetime | None:
    if not NATIVE_Z and text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _fallback(text: str) -> datetime | None:
    try:
        return _dateutil.isoparse(text)
    except (ValueError, OverflowError, TypeError):
        return None


def as_utc(value: datetime) -> datetime:
    """An aware datetime in UTC; a naive one is taken to be UTC already (reads only)."""
    offset = value.utcoffset()
    if offset is None:
        return value.replace(tzinfo=UTC)
    if offset:
        return value.astimezone(UTC)
    return value if value.tzinfo is UTC else value.replace(tzinfo=UTC)


def read_datetime(raw: Any) -> datetime | None:
    """Lenient read of an instant as an aware UTC datetime.

    Accepts ISO strings with ``Z`` or an offset (a missing offset means UTC, which is what
    Softr answers), a bare date (midnight UTC), and epoch milliseconds. None for anything
    else, and for an instant whose UTC form lies outside ``datetime``'s range (e.g.
    ``0001-01-01T00:00:00+01:00``, which is in year 0 in UTC).
    """
    if type(raw) is str:
        parsed = _fromiso(raw) or _fallback(raw)
        if parsed is None:
            return None
        try:
            return as_utc(parsed)
        except OverflowError:
            return None
    if isinstance(raw, (int, float, Decimal)) and not isinstance(raw, bool):
        try:
            return datetime.fromtimestamp(float(raw) / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return None


def parse_datetime(text: str) -> datetime | None:
    """Strict: an ISO date-time string, returned as written (naive if it has no offset)."""
    if len(text) < 16 or text[10] not in "Tt ":
        return None
    return _fromiso(text) or _fallback(text)


def format_datetime(value: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.mmmZ`` in UTC, the one form Softr documents for writes."""
    u = value.astimezone(UTC) if value.utcoffset() else value
    return (
        f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}"
        f".{u.microsecond // 1000:03d}Z"
    )


def to_milliseconds(value: datetime) -> datetime:
    """Drop sub-millisecond digits: Softr stores milliseconds, so keep what will come back."""
    micro = value.microsecond
    return value.replace(microsecond=micro - micro % 1000) if micro % 1000 else value


# --- durations ------------------------------------------------------------------------------


def seconds_to_timedelta(raw: Any) -> timedelta | None:
    """Seconds (int, float, Decimal or a numeric string) -> timedelta; None when impossible."""
    try:
        if type(raw) is int or type(raw) is float:
            return timedelta(seconds=raw)
        if type(raw) is str:
            raw = Decimal(raw.strip())
        if isinstance(raw, Decimal):
            micros = (raw * _MICROS).to_integral_value()
            return timedelta(microseconds=int(micros))
    except (ArithmeticError, OverflowError, ValueError):
        return None
    return None


def timedelta_to_seconds(value: timedelta) -> int | Decimal:
    """Exact seconds: an int for whole seconds, else a Decimal (the session writes it exactly)."""
    micros = (value.days * 86400 + value.seconds) * _MICROS + value.microseconds
    if micros % _MICROS == 0:
        return micros // _MICROS
    return Decimal(micros).scaleb(-6).normalize()


# --- numbers --------------------------------------------------------------------------------


def number_from_str(text: str) -> int | float | None:
    """``"42"`` -> 42, ``"4.5"`` -> 4.5; None for anything else, ``"NaN"`` included (a NaN
    equals nothing, not even itself, so a record holding one would always look changed)."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return None
    return None if number != number else number


def decimal_from(raw: Any) -> Decimal | None:
    """An exact Decimal from an int, Decimal, float (via its shortest repr) or numeric string."""
    try:
        if type(raw) is int:
            return Decimal(raw)
        if type(raw) is float:
            return Decimal(repr(raw))
        if type(raw) is str:
            return Decimal(raw.strip())
    except (InvalidOperation, ValueError):
        return None
    return raw if isinstance(raw, Decimal) else None


def plain(raw: Any) -> Any:
    """Computed values of unknown type: Decimals (non-integral JSON numbers) become floats."""
    if type(raw) is Decimal:
        return float(raw)
    if type(raw) is list:
        return [plain(item) for item in raw]
    return raw
