"""Timestamps as the emulator writes them: UTC with milliseconds, and strict parsing.

Every ``createdAt`` / ``updatedAt`` and every stored DATETIME value goes through
:func:`format_instant`, so stored instants are uniform ISO strings that also compare as text.
"""

from __future__ import annotations

import datetime as dt
import re

__all__ = ["format_instant", "parse_instant"]

_INSTANT_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))$"
)


def format_instant(value: dt.datetime) -> str:
    """The API's timestamp form, UTC with milliseconds: ``2026-05-07T12:00:00.000Z``."""
    utc = value.astimezone(dt.timezone.utc)
    # Not strftime: its %Y drops the leading zeros of years before 1000 ("88-09-28").
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:"
        f"{utc.second:02d}.{utc.microsecond // 1000:03d}Z"
    )


def parse_instant(text: str) -> dt.datetime | None:
    """Parse an ISO-8601 date-time that carries an explicit offset (or ``Z``).

    Returns None for anything else, including naive date-times: a timestamp without an offset is
    ambiguous, and the project's contract makes the client refuse to send one.
    """
    match = _INSTANT_RE.match(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    try:
        if zulu:
            tz = dt.timezone.utc
        else:
            delta = dt.timedelta(hours=int(off_h), minutes=int(off_m))
            if delta >= dt.timedelta(hours=24):
                return None
            tz = dt.timezone(-delta if sign == "-" else delta)
        micro = int((fraction or "0").ljust(6, "0")[:6])
        moment = dt.datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            micro,
            tzinfo=tz,
        )
        moment.astimezone(dt.timezone.utc)  # e.g. 9999-12-31T23:00-05:00 has no UTC form
        return moment
    except (ValueError, OverflowError):
        return None
