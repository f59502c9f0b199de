"""JSON, timestamps and identifiers as the emulator writes them.

The emulator must not share code with the client (it exists to catch the client's mistakes), so it
carries its own small JSON codec: request bodies are parsed with ``parse_float=Decimal`` and
``Decimal`` values are written back as their exact text, so a currency of ``1234.50`` survives a
round trip through the emulator byte for byte.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import secrets
import string
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

__all__ = [
    "IdFactory",
    "JSONDecodeError",
    "dumps",
    "format_instant",
    "loads",
    "parse_instant",
]

_ALNUM = string.ascii_letters + string.digits


class JSONDecodeError(ValueError):
    """The bytes are not one JSON document the emulator accepts (e.g. bad UTF-8, NaN)."""


def _reject_constant(name: str) -> Any:
    raise JSONDecodeError(f"{name} is not valid JSON")


def loads(data: bytes | str) -> Any:
    """Parse JSON, keeping every non-integer number as an exact ``Decimal``.

    ``NaN`` and ``Infinity`` (which Python's json accepts by default) are refused: they are not
    JSON and Softr could not store them.

    Raises:
        JSONDecodeError: malformed JSON or text that is not UTF-8.
    """
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except UnicodeDecodeError as exc:
        raise JSONDecodeError(f"body is not UTF-8: {exc}") from None
    except json.JSONDecodeError as exc:
        raise JSONDecodeError(str(exc)) from None
    except RecursionError:
        raise JSONDecodeError("JSON nested too deeply") from None
    except ValueError as exc:  # an integer beyond Python's 4300-digit conversion limit
        raise JSONDecodeError(str(exc)) from None


def _decimal_text(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(f"{value} cannot be written as JSON")
    return str(value)


# A per-process marker no client can guess: ``Decimal`` values leave the C encoder as marked
# strings, and one substitution turns them back into bare numbers. A client's text cannot
# contain the marker (it holds a NUL and 64 random bits), so no string ever becomes a number.
_MARK = "\x00" + secrets.token_hex(8)
_MARKED = re.compile(r'"\\u0000' + _MARK[1:] + r'([^"\\]*)\\u0000' + _MARK[1:] + '"')
_ENCODER = json.JSONEncoder(
    ensure_ascii=True, separators=(",", ":"), allow_nan=False, default=lambda o: _default(o)
)


def _default(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        return _MARK + _decimal_text(obj) + _MARK
    if isinstance(obj, Mapping):
        return dict(obj)
    raise TypeError(f"cannot encode {type(obj).__name__} as JSON")


def dumps(obj: Any) -> bytes:
    """Compact ASCII JSON with ``Decimal`` written exactly (``Decimal("1.50")`` -> ``1.50``).

    Raises:
        ValueError: NaN or infinite numbers (they are not JSON).
    """
    text = _ENCODER.encode(obj)
    if _MARK[1:] in text:
        text = _MARKED.sub(lambda m: m.group(1), text)
    return text.encode("ascii")


# --- timestamps ------------------------------------------------------------------------------

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


# --- identifiers ------------------------------------------------------------------------------


class IdFactory:
    """Random identifiers shaped like Softr's, from one ``random.Random``.

    Seeding the generator makes a whole emulator session reproducible (the ``demo`` seed prints
    the same ids every run); unseeded, it draws its seed from the OS.
    """

    def __init__(self, seed: int | str | None = None) -> None:
        self.rng = random.Random(seed) if seed is not None else random.Random()

    def alnum(self, length: int) -> str:
        """``length`` random ASCII letters and digits (may start with a digit)."""
        return "".join(self.rng.choices(_ALNUM, k=length))

    def record_id(self) -> str:
        """14 alphanumerics, like ``rK2pQ8vLx3MwZt``."""
        return self.alnum(14)

    def table_id(self) -> str:
        """14 alphanumerics, like ``Tq7LmN2pXc4RzA``."""
        return self.alnum(14)

    def field_id(self) -> str:
        """5 alphanumerics, like ``JjEFr`` or ``3ElMV``."""
        return self.alnum(5)

    def uuid4(self) -> str:
        """A version-4 UUID string (database, workspace and user ids)."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
