"""JSON encoding and decoding that keeps decimal numbers exact.

Softr stores currency and number values as decimals; a ``float`` round trip would turn
``12345678901234567.89`` into ``12345678901234568``. So the wire format is written and read
with :class:`decimal.Decimal` for every non-integer number, and nothing is ever rounded
silently. Non-finite numbers (NaN, infinities) are not JSON and are refused both ways, so a
bad value fails loudly on our side rather than as an obscure 400 from Softr.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import msgspec

__all__ = ["dumps", "loads"]

#: msgspec decodes about twice as fast as :mod:`json`; ``float_hook`` hands it every
#: non-integer number as its written text, so Decimals keep their exact digits. It reads
#: strict JSON only (no NaN or Infinity), as :func:`loads` promises.
_fast_decode = msgspec.json.Decoder(float_hook=Decimal).decode

_encode_str = json.JSONEncoder(ensure_ascii=False).encode


def dumps(obj: Any) -> bytes:
    """Encode ``obj`` as compact UTF-8 JSON, writing :class:`~decimal.Decimal` values exactly.

    Dicts, lists, tuples, strings, ints, floats, bools and None are encoded as
    :func:`json.dumps` would (compact separators, non-ASCII kept as UTF-8). A ``Decimal`` is
    written as a JSON number with exactly its digits: ``Decimal("0.1")`` becomes ``0.1``, never
    ``0.1000000000000000055...``.

    Raises:
        ValueError: for NaN or infinite floats/Decimals, and for circular references.
        TypeError: for any other type (as :func:`json.dumps` does).
    """
    parts: list[str] = []
    _encode(obj, parts, set())
    return "".join(parts).encode("utf-8")


def loads(data: bytes | str) -> Any:
    """Decode JSON, reading every non-integer number as a :class:`~decimal.Decimal`.

    Integers stay ``int``; ``1.5``, ``1e3`` and ``0.10`` come back as ``Decimal`` with their
    written digits. ``NaN`` and ``Infinity`` (accepted by :func:`json.loads`) are refused.

    Decoding is msgspec's; whatever it refuses (invalid JSON, and the few valid bodies it
    cannot take, such as a lone surrogate escape or a UTF-16 body) goes through :mod:`json`,
    which either reads it as before or raises the error callers have always seen.

    Raises:
        ValueError: invalid JSON (:class:`json.JSONDecodeError`) or a non-finite constant.
    """
    try:
        return _fast_decode(data)
    except msgspec.DecodeError:
        pass
    return json.loads(data, parse_float=Decimal, parse_constant=_refuse_constant)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"non-finite number {name} is not valid JSON")


def _number(value: float | Decimal) -> str:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot encode the non-finite Decimal {value!r} as JSON")
        return str(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"cannot encode the non-finite float {value!r} as JSON")
    return float.__repr__(value)


def _key(key: object) -> str:
    # Same key coercions as json.dumps: JSON object keys are always strings.
    if isinstance(key, str):
        return key
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    if isinstance(key, int):
        return int.__repr__(key)
    if isinstance(key, (float, Decimal)):
        return _number(key)
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def _encode(obj: Any, parts: list[str], seen: set[int]) -> None:
    if isinstance(obj, str):
        parts.append(_encode_str(obj))
    elif obj is None:
        parts.append("null")
    elif obj is True:
        parts.append("true")
    elif obj is False:
        parts.append("false")
    elif isinstance(obj, int):
        parts.append(int.__repr__(obj))
    elif isinstance(obj, (float, Decimal)):
        parts.append(_number(obj))
    elif isinstance(obj, (dict, list, tuple)):
        marker = id(obj)
        if marker in seen:
            raise ValueError("Circular reference detected")
        seen.add(marker)
        if isinstance(obj, dict):
            parts.append("{")
            for index, (key, value) in enumerate(obj.items()):
                if index:
                    parts.append(",")
                parts.append(_encode_str(_key(key)))
                parts.append(":")
                _encode(value, parts, seen)
            parts.append("}")
        else:
            parts.append("[")
            for index, item in enumerate(obj):
                if index:
                    parts.append(",")
                _encode(item, parts, seen)
            parts.append("]")
        seen.discard(marker)
    else:
        raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")
