"""The 14 ROLLUP functions of Softr (softr-api.md §5.2), as the emulator computes them.

A ROLLUP field applies ``options.function`` to the values of ``rollupFieldId`` in the records
linked through ``linkedRecordFieldId``; the store passes those values, one per linked record in
link order, to :func:`rollup`. A value may itself be a list (a multi-valued or LOOKUP field).

"Empty" means None, ``""``, ``[]`` or ``{}``. "Flattened" means list values are expanded one
level. "Numbers" are the int/float/Decimal values (not booleans, not strings, not NaN) after
flattening. Arithmetic is exact with Decimal when any number is a Decimal (floats then enter
through their shortest repr).

=================  ================================================================================
``SUM``            sum of the numbers; 0 when there are none
``MIN``/``MAX``    smallest / largest number; without numbers, the earliest / latest ISO-8601
                   date string (returned as written); None when there is neither
``COUNT``          how many numbers there are (not how many linked records: see ``COUNTALL``)
``AVERAGE``        arithmetic mean of the numbers (an int when exact for ints, else a float, or a
                   Decimal); None when there are none
``ARRAYCOMPACT``   the values without the empty ones, nesting kept
``ARRAYJOIN``      the non-empty values, flattened, as text joined with ``", "``; None if none
``ARRAYUNIQUE``    the values, flattened, without duplicates (first occurrence kept; ``1`` and
                   ``True`` differ, ``1`` and ``1.0`` do not); empties are kept like any value
``ARRAYFLATTEN``   the values with nested lists flattened at every depth
``CONCATENATE``    the non-empty values, flattened, as text joined without separator; None if none
``COUNTALL``       how many values there are, empties included (= number of linked records)
``COUNTA``         how many values are not empty
``OR``             whether any flattened value is truthy (False when there are none)
``AND``            whether every flattened value is truthy (True when there are none)
=================  ================================================================================

Text of a value: strings as is, numbers as written (a float ``3.0`` as ``3``), booleans as
``true``/``false``, objects by ``label``/``fullName``/``name``/``filename``/``email``/``url``/
``id``, the first present. Truthiness: empty values, ``0`` and ``False`` are false.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from decimal import Context, Decimal, DivisionByZero, InvalidOperation, Overflow
from typing import Any

from .dates import iso_micros

__all__ = ["rollup"]

_CONTEXT = Context(prec=28, traps=[InvalidOperation, DivisionByZero, Overflow])
Number = int | float | Decimal


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, (str, list, tuple, Mapping)):
        return not value
    return False


def _flatten_once(values: Sequence[Any]) -> list[Any]:
    flat: list[Any] = []
    for value in values:
        if isinstance(value, (list, tuple)):
            flat.extend(value)
        else:
            flat.append(value)
    return flat


def _flatten_all(values: Sequence[Any], depth: int = 0) -> list[Any]:
    flat: list[Any] = []
    for value in values:
        if isinstance(value, (list, tuple)) and depth < 64:
            flat.extend(_flatten_all(value, depth + 1))
        else:
            flat.append(value)
    return flat


def _numbers(values: Sequence[Any]) -> list[Number]:
    found: list[Number] = []
    for value in _flatten_once(values):
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            continue
        if isinstance(value, float) and not math.isfinite(value):
            continue
        if isinstance(value, Decimal) and not value.is_finite():
            continue
        found.append(value)
    return found


def _exact(numbers: list[Number]) -> list[Number]:
    """All Decimals (floats through repr) if any number is a Decimal, else as given."""
    if any(isinstance(number, Decimal) for number in numbers):
        return [Decimal(repr(n)) if isinstance(n, float) else Decimal(n) for n in numbers]
    return numbers


def _sum(numbers: list[Number]) -> Number:
    numbers = _exact(numbers)
    if numbers and isinstance(numbers[0], Decimal):
        total = Decimal(0)
        for number in numbers:
            total = _CONTEXT.add(total, Decimal(number))
        return total
    if any(isinstance(number, float) for number in numbers):
        return math.fsum(numbers)
    return sum(numbers)


def _average(numbers: list[Number]) -> Number | None:
    if not numbers:
        return None
    total, count = _sum(numbers), len(numbers)
    if isinstance(total, Decimal):
        return _CONTEXT.divide(total, Decimal(count))
    if isinstance(total, int) and total % count == 0:
        return total // count
    return total / count


def _extreme(values: Sequence[Any], pick: Callable[..., Any]) -> Any:
    numbers = _numbers(values)
    if numbers:
        return pick(_exact(numbers))
    dated = [
        (parsed[0], value)
        for value in _flatten_once(values)
        if isinstance(value, str) and (parsed := iso_micros(value)) is not None
    ]
    if not dated:
        return None
    return pick(dated, key=lambda pair: pair[0])[1]


def _text(value: Any) -> str:
    if _is_empty(value):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, Mapping):
        for key in ("label", "fullName", "name", "filename", "email", "url", "id"):
            item = value.get(key)
            if isinstance(item, str) and item:
                return item
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(part for part in map(_text, value) if part)
    return str(value)


def _join(values: Sequence[Any], separator: str) -> str | None:
    parts = [_text(value) for value in _flatten_once(values) if not _is_empty(value)]
    return separator.join(part for part in parts if part) or None


def _truthy(value: Any) -> bool:
    return not _is_empty(value) and bool(value)


def _identity(value: Any, depth: int = 0) -> Any:
    """Hashable identity for ARRAYUNIQUE: booleans apart from numbers, containers by content."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("number", value)
    if isinstance(value, (float, Decimal)):
        if value.is_finite() if isinstance(value, Decimal) else math.isfinite(value):
            return ("number", value)
        return ("special", repr(value))  # NaN never equals itself; signaling NaN cannot hash
    if isinstance(value, (list, tuple)) and depth < 16:
        return ("list", tuple(_identity(item, depth + 1) for item in value))
    if isinstance(value, Mapping) and depth < 16:
        items = sorted((str(key), _identity(item, depth + 1)) for key, item in value.items())
        return ("object", tuple(items))
    try:
        hash(value)
    except TypeError:
        return ("repr", repr(value))
    return (type(value).__name__, value)


def _unique(values: Sequence[Any]) -> list[Any]:
    seen: set[Any] = set()
    unique: list[Any] = []
    for value in _flatten_once(values):
        identity = _identity(value)
        if identity not in seen:
            seen.add(identity)
            unique.append(value)
    return unique


_FUNCTIONS: dict[str, Callable[[Sequence[Any]], Any]] = {
    "SUM": lambda values: _sum(_numbers(values)),
    "MIN": lambda values: _extreme(values, min),
    "MAX": lambda values: _extreme(values, max),
    "COUNT": lambda values: len(_numbers(values)),
    "AVERAGE": lambda values: _average(_numbers(values)),
    "ARRAYCOMPACT": lambda values: [value for value in values if not _is_empty(value)],
    "ARRAYJOIN": lambda values: _join(values, ", "),
    "ARRAYUNIQUE": _unique,
    "ARRAYFLATTEN": _flatten_all,
    "CONCATENATE": lambda values: _join(values, ""),
    "COUNTALL": len,
    "COUNTA": lambda values: sum(1 for value in values if not _is_empty(value)),
    "OR": lambda values: any(_truthy(value) for value in _flatten_once(values)),
    "AND": lambda values: all(_truthy(value) for value in _flatten_once(values)),
}


def rollup(function: str, values: Sequence[Any]) -> Any:
    """Apply a ROLLUP function to the rolled-up values of the linked records.

    Args:
        function: one of the 14 names of ``softr_orm.constants.ROLLUP_FUNCTIONS``
            (case-insensitive).
        values: one value per linked record (None for an empty one; lists for multi-valued
            fields). None counts as no values; a bare scalar as one value.

    Returns:
        The function's result as described in the module docstring.

    Raises:
        ValueError: unknown function name.
    """
    name = function.upper() if isinstance(function, str) else None
    implementation = _FUNCTIONS.get(name) if name is not None else None
    if implementation is None:
        raise ValueError(f"unknown ROLLUP function {function!r}")
    given: Any = values  # callers may pass None or a bare scalar despite the annotation
    if given is None:
        items: list[Any] = []
    elif isinstance(given, (list, tuple)):
        items = list(given)
    else:
        items = [given]
    try:
        return implementation(items)
    except ArithmeticError:  # a sum beyond Decimal's range
        return None
