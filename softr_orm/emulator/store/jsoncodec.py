"""The emulator's JSON codec: exact numbers in, exact numbers out.

The emulator must not share code with the client (it exists to catch the client's mistakes), so it
carries its own small JSON codec: request bodies are parsed with ``parse_float=Decimal`` and
``Decimal`` values are written back as their exact text, so a currency of ``1234.50`` survives a
round trip through the emulator byte for byte.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

__all__ = ["JSONDecodeError", "dumps", "loads"]


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
