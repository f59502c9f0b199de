"""One condition being compiled (:class:`Leaf`) and the readers of its right side.

Every refusal of a condition goes through :meth:`Leaf.fail`, so each error names the operator,
the field and the condition's path in the request (``filter.condition.conditions[1]``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, NoReturn

from ..dates import MICROS_PER_DAY, is_relative_token, iso_micros, ms_to_micros, token_range_micros
from .kinds import HAS, ONE_OF, TEXT_OPS, FieldInfo, FilterError
from .operands import (
    Number,
    canonical,
    is_number,
    json_type,
    parse_number,
    read_number,
    short_repr,
)

__all__ = ["Leaf", "check_shape", "is_scalar", "number_of", "strings_of"]


@dataclass
class Leaf:
    """A leaf condition under compilation: where it is, what it tests, and the time "now"."""

    path: str
    operator: str
    left: str
    info: FieldInfo | None
    now: datetime

    @property
    def label(self) -> str:
        name = self.info.name if self.info is not None else self.left
        return f"{self.operator} on field {name!r} ({short_repr(self.left)})"

    def fail(self, code: str, message: str) -> NoReturn:
        raise FilterError(
            code,
            f"{self.label}: {message}",
            {"path": self.path, "operator": self.operator, "leftSide": self.left},
        )

    def date_range(self, value: Any) -> tuple[int, int]:
        """A date right side or bound as the range ``[start, end)`` in epoch microseconds."""
        if isinstance(value, str):
            if is_relative_token(value):
                try:
                    return token_range_micros(value, self.now)
                except ValueError as exc:
                    self.fail("BAD_REQUEST", str(exc))
            parsed = iso_micros(value)
            if parsed is None:
                self.fail(
                    "VALIDATION_ERROR",
                    f"{value[:80]!r} is neither an ISO-8601 date nor a relative date token",
                )
            start, date_only = parsed
            return (start, start + MICROS_PER_DAY) if date_only else (start, start + 1)
        if is_number(value):
            micros = ms_to_micros(value)
            if micros is None:
                self.fail("VALIDATION_ERROR", f"{value!r} is not a usable epoch-milliseconds date")
            return micros, micros + 1
        self.fail("BAD_REQUEST", f"a date must be a string or a number, got {json_type(value)}")


def is_scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, Decimal))  # bool is an int


def check_shape(leaf: Leaf, op: str, args: tuple[Any, ...]) -> None:
    """Right-side JSON types every field kind agrees on."""
    if op in TEXT_OPS:
        if not isinstance(args[0], str):
            leaf.fail("BAD_REQUEST", f"rightSide must be a string, got {json_type(args[0])}")
    elif op in ONE_OF or op in HAS:
        if not isinstance(args[0], (list, tuple)):
            leaf.fail("BAD_REQUEST", f"rightSide must be an array, got {json_type(args[0])}")
        for item in args[0]:
            if not is_scalar(item):
                leaf.fail(
                    "BAD_REQUEST", f"rightSide array items must be scalars, got {json_type(item)}"
                )
    elif op == "IS":
        if not is_scalar(args[0]):
            leaf.fail("BAD_REQUEST", f"rightSide must be a scalar, got {json_type(args[0])}")
    else:  # ordering and range operators
        for arg in args:
            if not (isinstance(arg, str) or is_number(arg)):
                side = "rightSide" if len(args) == 1 else "bounds"
                leaf.fail(
                    "BAD_REQUEST", f"{side} must be a number or a string, got {json_type(arg)}"
                )


def strings_of(leaf: Leaf, args: tuple[Any, ...]) -> list[str]:
    """The right side as a list of strings (a single string becomes a one-item list)."""
    values = args[0] if isinstance(args[0], (list, tuple)) else [args[0]]
    for value in values:
        if not isinstance(value, str):
            leaf.fail("BAD_REQUEST", f"expected string values, got {json_type(value)}")
    return list(values)


def number_of(leaf: Leaf, value: Any) -> Number:
    """A right-side number (numeric strings accepted), exact and canonical."""
    if isinstance(value, str):
        number = parse_number(value)
        if number is None:
            leaf.fail("VALIDATION_ERROR", f"{value[:80]!r} is not a number")
        return number
    if not is_number(value):
        leaf.fail("BAD_REQUEST", f"expected a number, got {json_type(value)}")
    number = read_number(value)
    if number is None:
        leaf.fail("VALIDATION_ERROR", f"{value!r} is not a finite number")
    return canonical(number) if isinstance(number, Decimal) else number
