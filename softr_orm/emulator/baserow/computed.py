"""What the store's computed fields (FORMULA, LOOKUP, ROLLUP) show as on the Baserow face.

Baserow types a formula when it is saved (``formula_type``, ``number_decimal_places``,
``nullable``; baserow-api.md §4.4 ``formula``) and reads its value as that type reads. The
store's formulas are Softr's (``{Field}`` references, ``&``, ``IF``/``AND``/``OR``/``NOT``:
:mod:`softr_orm.emulator.store.formula`), so the face types them itself, following the rules
a real Baserow 1.35 applies to the same operations (checked by
``tests/integration/test_baserow_conformance_computed.py``):

* a comparison, ``AND``/``OR``/``NOT``, ``TRUE``/``FALSE`` -> ``boolean`` (never null);
* ``&`` or a string literal -> ``text`` (never null);
* ``+ - *`` -> ``number`` with the most decimal places of the operands; ``/`` -> 10 places;
  never null (an empty operand counts as 0, in Baserow as in the store);
* a number literal -> ``number`` with the places written;
* ``{Field}`` -> the field's own result type: ``number`` (with its places; nullable),
  ``text`` for text, long text, email and phone fields, ``boolean``; a formula, rollup or
  count field's own type;
* ``IF(c, a, b)`` -> the type of ``a`` and ``b`` when they agree (numbers: the most places),
  nullable when either is (or ``b`` is missing).

Anything else (a reference to a date, select, link, lookup... field, an unsupported function,
branches of different types) is **refused**: the field shows ``formula_type`` ``"invalid"``
with an ``error`` saying so, and reads as null, as Baserow reads a formula in error. The
emulator does not answer in a shape it cannot vouch for.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..store.formula import _COMPARISONS, _FormulaError, _tokenize, supported_formula

__all__ = [
    "DIVISION_PLACES",
    "INVALID",
    "Result",
    "field_result",
    "formula_result",
    "lookup_result",
    "rollup_function",
]

#: The decimal places Baserow gives a quotient.
DIVISION_PLACES = 10
_TEXT_TYPES = frozenset({"text", "long_text", "email", "phone_number"})
#: Softr's rollup functions -> Baserow's (the ones with the same meaning).
_ROLLUP_FUNCTIONS: Mapping[str, str] = {
    "SUM": "sum",
    "MIN": "min",
    "MAX": "max",
    "AVERAGE": "avg",
    "COUNT": "count",
    "ARRAYJOIN": "join",
}


@dataclass(frozen=True)
class Result:
    """A computed field's Baserow result type: ``formula_type``, its decimal places (numbers
    only), whether it may be null, and why it is ``invalid`` (else None)."""

    type: str
    places: int | None = None
    nullable: bool = False
    error: str | None = None


INVALID = Result("invalid", None, True, "the emulator cannot type this formula")
_BOOLEAN = Result("boolean")
_TEXT = Result("text")

#: field name -> that field's Result (None: a type the face does not type).
Resolve = Callable[[str], Result | None]


class _Unknown(Exception):
    pass


class _Typer:
    """The store formula grammar (same precedence as its parser), computing types only."""

    _LEVELS: tuple[tuple[str, ...], ...] = (_COMPARISONS, ("&",), ("+", "-"), ("*", "/"))

    def __init__(self, formula: str, resolve: Resolve) -> None:
        self.tokens = _tokenize(formula)
        self.position = 0
        self.resolve = resolve

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.position]

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def parse(self) -> Result:
        result = self.binary(0)
        if self.peek()[0] != "end":
            raise _Unknown
        return result

    def binary(self, level: int) -> Result:
        if level == len(self._LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while self.peek()[0] == "op" and self.peek()[1] in self._LEVELS[level]:
            operator = self.take()[1]
            right = self.binary(level + 1)
            left = self.combine(operator, left, right)
        return left

    @staticmethod
    def combine(operator: str, left: Result, right: Result) -> Result:
        if operator in _COMPARISONS:
            return _BOOLEAN
        if operator == "&":
            return _TEXT
        if left.type != "number" or right.type != "number":
            raise _Unknown  # Softr's arithmetic on text: Baserow's '+' would concatenate
        if operator == "/":
            return Result("number", DIVISION_PLACES)
        return Result("number", max(left.places or 0, right.places or 0))

    def unary(self) -> Result:
        if self.peek() in (("op", "-"), ("op", "+")):
            self.take()
            operand = self.unary()
            if operand.type != "number":
                raise _Unknown
            return Result("number", operand.places)
        return self.primary()

    def primary(self) -> Result:
        kind, value = self.take()
        if kind == "number":
            if "e" in value.lower():
                raise _Unknown
            _, _, decimals = value.partition(".")
            return Result("number", len(decimals))
        if kind == "string":
            return _TEXT
        if kind == "field":
            found = self.resolve(value[1:-1])
            if found is None or found.type == "invalid":
                raise _Unknown
            return found
        if kind == "op" and value == "(":
            inner = self.binary(0)
            if self.take() != ("op", ")"):
                raise _Unknown
            return inner
        if kind == "name":
            return self.call(value.upper())
        raise _Unknown

    def arguments(self) -> list[Result]:
        if self.take() != ("op", "("):
            raise _Unknown
        args = [self.binary(0)]
        while self.peek() == ("op", ","):
            self.take()
            args.append(self.binary(0))
        if self.take() != ("op", ")"):
            raise _Unknown
        return args

    def call(self, name: str) -> Result:
        if name in ("TRUE", "FALSE"):
            if self.peek() == ("op", "("):
                self.take()
                if self.take() != ("op", ")"):
                    raise _Unknown
            return _BOOLEAN
        args = self.arguments()
        if name in ("AND", "OR", "NOT"):
            return _BOOLEAN
        if name != "IF" or len(args) not in (2, 3):
            raise _Unknown
        then = args[1]
        otherwise = args[2] if len(args) == 3 else None
        if otherwise is not None and otherwise.type != then.type:
            raise _Unknown
        nullable = otherwise is None or then.nullable or otherwise.nullable
        if then.type == "number":
            places = max(then.places or 0, (otherwise.places or 0) if otherwise else 0)
            return Result("number", places, nullable)
        return Result(then.type, None, nullable)


def formula_result(formula: str, resolve: Resolve) -> Result:
    """The Baserow result type of a store formula (:data:`INVALID` if it cannot be typed)."""
    if not supported_formula(formula):
        return INVALID
    try:
        return _Typer(formula, resolve).parse()
    except (_Unknown, _FormulaError, IndexError, RecursionError):
        return INVALID


def rollup_function(function: Any) -> str | None:
    """The Baserow ``rollup_function`` of a Softr rollup function (None: no equivalent)."""
    return _ROLLUP_FUNCTIONS.get(function) if isinstance(function, str) else None


def field_result(baserow_type: str, places: int | None) -> Result | None:
    """The result type of a plain (not computed) field referenced by a formula."""
    if baserow_type == "number":
        return Result("number", places, True)
    if baserow_type in _TEXT_TYPES:
        return Result("text", None, True)
    if baserow_type == "boolean":
        return _BOOLEAN
    return None


def lookup_result(baserow_type: str, places: int | None) -> Result | None:
    """The ``array_formula_type`` (with places) of a lookup of a field of ``baserow_type``."""
    if baserow_type in ("number", "boolean"):
        return Result(baserow_type, places if baserow_type == "number" else None, True)
    if baserow_type in _TEXT_TYPES:
        return Result("text", None, True)
    return None
