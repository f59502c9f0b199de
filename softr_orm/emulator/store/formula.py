"""A small, safe evaluator for the subset of Softr FORMULA syntax the emulator computes.

Softr formulas reference fields as ``{Field Name}`` (softr-api.md §5.2). The emulator evaluates
this subset with a recursive-descent parser (never ``eval``):

* literals: numbers (``12``, ``1.5``, ``2e3``), ``'single'`` and ``"double"`` quoted strings
  (backslash escapes ``\\'``, ``\\"``, ``\\\\``, ``\\n``, ``\\t``), ``TRUE``/``FALSE`` (also
  as ``TRUE()``/``FALSE()``);
* ``{Field Name}`` references, looked up by name in the ``values`` mapping (missing = empty);
* operators, loosest first: comparisons ``= != <> < <= > >=``, concatenation ``&``, ``+ -``,
  ``* /``, unary ``-``/``+``; parentheses;
* functions (names case-insensitive): ``IF(cond, then[, else])`` (missing else = empty),
  ``AND(x, ...)``, ``OR(x, ...)``, ``NOT(x)``, ``TRUE()``, ``FALSE()``.

Anything else (another function, a syntax error, nesting deeper than 64 levels) makes the
formula unsupported: :func:`supported_formula` returns False and :func:`evaluate_formula` None.

Documented choices:

* Empty values (None, missing field, ``""``, ``[]``) count as 0 in arithmetic and as ``""`` in
  ``&`` (as in Airtable), so ``{Amount} * {Probability} / 100`` is 0 when Amount is empty. In a
  comparison an empty value equals another empty value and, against a number or a string,
  counts as 0 or ``""``.
* Division by zero, a non-numeric string in arithmetic, or an infinite result makes the whole
  formula evaluate to None.
* Results are bounded by Softr's own limits, step by step: a text longer than a long text
  field holds (65,536 characters) or a number beyond a double's range (about 1.8e308, what
  Softr stores numbers as) makes the whole formula evaluate to None. So a formula can never
  build a value no Softr field could hold, however its fields chain (each formula field is
  bounded on its own), and every value it reads as can be written as JSON.
* Arithmetic is exact with Decimal as soon as one operand is a Decimal or a literal with a
  decimal point/exponent (28 significant digits); ints stay ints (``/`` gives an int when exact,
  else a float); floats stay floats. Numeric strings take part in arithmetic as numbers.
* Strings compare case-sensitively; a number and a numeric string compare as numbers.
* Truthiness (IF/AND/OR/NOT): empty values, ``0`` and ``False`` are false, all else true.
* In ``&`` numbers print as written (``2.50`` stays ``2.50``, a float ``3.0`` prints ``3``),
  booleans as ``true``/``false``, lists joined with ``", "``, select/link objects as labels.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from decimal import Context, Decimal, DivisionByZero, InvalidOperation, Overflow
from functools import lru_cache
from typing import Any

from softr_orm.constants import TEXT_LIMITS

__all__ = ["MAX_NUMBER", "MAX_TEXT", "bounded_result", "evaluate_formula", "supported_formula"]

Values = Mapping[str, Any]
Node = Callable[[Values], Any]

_CONTEXT = Context(prec=28, traps=[InvalidOperation, DivisionByZero, Overflow])
_MAX_NESTING = 64
_MAX_LENGTH = 20_000
#: Softr's limit for a long text field, and so for any text a formula may build.
MAX_TEXT = TEXT_LIMITS["LONG_TEXT"]
#: The largest finite double: Softr keeps numbers as doubles.
MAX_NUMBER = Decimal("1.7976931348623157e308")
MAX_FLOAT = float(MAX_NUMBER)

_TOKEN_RE = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?)
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<field>\{[^{}]*\})
  | (?P<op><=|>=|!=|<>|[=<>+\-*/&(),])
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    """,
    re.VERBOSE | re.DOTALL,
)
_NUMERIC_RE = re.compile(r"\s*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?\s*")
_ESCAPES = {"n": "\n", "t": "\t"}
_COMPARISONS = ("=", "!=", "<>", "<", "<=", ">", ">=")


class _FormulaError(Exception):
    """Raised while parsing or evaluating; both end as 'unsupported' / None."""


def _tokenize(formula: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(formula):
        match = _TOKEN_RE.match(formula, position)
        if match is None:
            raise _FormulaError(f"unexpected character at {position}")
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append((kind, match.group()))
        position = match.end()
    tokens.append(("end", ""))
    return tokens


def _unquote(literal: str) -> str:
    body = literal[1:-1]
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), body, flags=re.DOTALL)


# ---------------------------------------------------------------------------------------------
# Value helpers


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, (list, tuple)) and not value)


def _number(value: Any) -> int | float | Decimal:
    """Operand of arithmetic: empties are 0, booleans 0/1, numeric strings numbers."""
    if isinstance(value, (list, tuple)) and len(value) == 1:
        value = value[0]
    if _is_empty(value):
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float, Decimal)):
        return value
    if isinstance(value, str):
        if _NUMERIC_RE.fullmatch(value) is None:
            raise _FormulaError(f"{value[:40]!r} is not a number")
        number = Decimal(value.strip())
        if number == number.to_integral_value() and number.adjusted() < 30:
            return int(number)
        return number
    raise _FormulaError(f"{type(value).__name__} in arithmetic")


def _as_decimal(value: int | float | Decimal) -> Decimal:
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _arithmetic(operator: str, left: Any, right: Any) -> int | float | Decimal:
    a, b = _number(left), _number(right)
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        x, y = _as_decimal(a), _as_decimal(b)
        if operator == "/" and not y:
            raise _FormulaError("division by zero")
        method = {
            "+": _CONTEXT.add,
            "-": _CONTEXT.subtract,
            "*": _CONTEXT.multiply,
            "/": _CONTEXT.divide,
        }[operator]
        return method(x, y)
    if operator == "+":
        return a + b
    if operator == "-":
        return a - b
    if operator == "*":
        return a * b
    if not b:
        raise _FormulaError("division by zero")
    if isinstance(a, int) and isinstance(b, int) and a % b == 0:
        return a // b
    return a / b


def _text(value: Any) -> str:
    if _is_empty(value):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(part for part in map(_text, value) if part)
    if isinstance(value, Mapping):
        for key in ("label", "fullName", "name", "filename", "email", "id"):
            if isinstance(value.get(key), str):
                return str(value[key])
        return ""
    return str(value)


def _truthy(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return any(_truthy(item) for item in value)
    return not _is_empty(value) and bool(value)


def _comparable(value: Any) -> Any:
    if isinstance(value, (list, tuple)) and len(value) == 1:
        return _comparable(value[0])
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, bool):
        return int(value)
    return value


def _compare(operator: str, left: Any, right: Any) -> bool:
    a, b = _comparable(left), _comparable(right)
    if _is_empty(a) and _is_empty(b):
        a = b = 0
    elif _is_empty(a):
        a = "" if isinstance(b, str) else 0
    elif _is_empty(b):
        b = "" if isinstance(a, str) else 0
    if isinstance(a, str) != isinstance(b, str):
        try:  # a number against a string: numerically if the string is a number
            a, b = _number(a), _number(b)
        except _FormulaError:
            return operator in ("!=", "<>")
    if not isinstance(a, (str, int, Decimal)) or not isinstance(b, (str, int, Decimal)):
        a, b = _text(a), _text(b)
    if operator == "=":
        return bool(a == b)
    if operator in ("!=", "<>"):
        return bool(a != b)
    try:
        if operator == "<":
            return bool(a < b)
        if operator == "<=":
            return bool(a <= b)
        if operator == ">":
            return bool(a > b)
        return bool(a >= b)
    except (TypeError, ArithmeticError):
        return False


# ---------------------------------------------------------------------------------------------
# Parser: each rule returns a closure evaluating its sub-expression


class _Parser:
    def __init__(self, formula: str) -> None:
        self.tokens = _tokenize(formula)
        self.position = 0
        self.depth = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.position]

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def expect(self, text: str) -> None:
        kind, value = self.take()
        if kind != "op" or value != text:
            raise _FormulaError(f"expected {text!r}, got {value!r}")

    def parse(self) -> Node:
        node = self.expression()
        if self.peek()[0] != "end":
            raise _FormulaError(f"unexpected {self.peek()[1]!r}")
        return node

    def expression(self) -> Node:
        self.depth += 1
        if self.depth > _MAX_NESTING:
            raise _FormulaError("formula nested too deeply")
        node = self.binary(0)
        self.depth -= 1
        return node

    _LEVELS: tuple[tuple[str, ...], ...] = (_COMPARISONS, ("&",), ("+", "-"), ("*", "/"))

    def binary(self, level: int) -> Node:
        if level == len(self._LEVELS):
            return self.unary()
        node = self.binary(level + 1)
        while self.peek()[0] == "op" and self.peek()[1] in self._LEVELS[level]:
            operator = self.take()[1]
            node = _combine(operator, node, self.binary(level + 1))
        return node

    def unary(self) -> Node:
        kind, value = self.peek()
        if kind == "op" and value in ("-", "+"):
            self.take()
            self.depth += 1
            if self.depth > _MAX_NESTING:
                raise _FormulaError("formula nested too deeply")
            operand = self.unary()
            self.depth -= 1
            if value == "+":
                return lambda values: _number(operand(values))
            return lambda values: -_number(operand(values))
        return self.primary()

    def primary(self) -> Node:
        kind, value = self.take()
        if kind == "number":
            number: int | Decimal = int(value) if value.isdigit() else Decimal(value)
            return lambda values: number
        if kind == "string":
            text = _unquote(value)
            return lambda values: text
        if kind == "field":
            name = value[1:-1]
            return lambda values: values.get(name)
        if kind == "op" and value == "(":
            node = self.expression()
            self.expect(")")
            return node
        if kind == "name":
            return self.call(value.upper())
        raise _FormulaError(f"unexpected {value!r}")

    def call(self, name: str) -> Node:
        has_parens = self.peek() == ("op", "(")
        if name in ("TRUE", "FALSE"):
            if has_parens:
                self.take()
                self.expect(")")
            constant = name == "TRUE"
            return lambda values: constant
        if not has_parens or name not in ("IF", "AND", "OR", "NOT"):
            raise _FormulaError(f"unsupported function {name}")
        self.take()
        args = [self.expression()]
        while self.peek() == ("op", ","):
            self.take()
            args.append(self.expression())
        self.expect(")")
        if name == "IF":
            if len(args) not in (2, 3):
                raise _FormulaError("IF takes 2 or 3 arguments")
            condition, then = args[0], args[1]
            otherwise = args[2] if len(args) == 3 else (lambda values: None)
            return lambda values: then(values) if _truthy(condition(values)) else otherwise(values)
        if name == "NOT":
            if len(args) != 1:
                raise _FormulaError("NOT takes 1 argument")
            operand = args[0]
            return lambda values: not _truthy(operand(values))
        if name == "AND":
            return lambda values: all(_truthy(arg(values)) for arg in args)
        return lambda values: any(_truthy(arg(values)) for arg in args)


def _bounded_text(text: str) -> str:
    if len(text) > MAX_TEXT:
        raise _FormulaError(f"text longer than {MAX_TEXT} characters")
    return text


def _bounded_number(number: int | float | Decimal) -> int | float | Decimal:
    if isinstance(number, float):
        if not math.isfinite(number) or abs(number) > MAX_FLOAT:
            raise _FormulaError("number out of range")
    elif isinstance(number, int):
        if number.bit_length() > 1023 and abs(Decimal(number)) > MAX_NUMBER:
            raise _FormulaError("number out of range")
    elif abs(number) > MAX_NUMBER:
        raise _FormulaError("number out of range")
    return number


def _combine(operator: str, left: Node, right: Node) -> Node:
    if operator in _COMPARISONS:
        return lambda values: _compare(operator, left(values), right(values))
    if operator == "&":
        return lambda values: _bounded_text(_text(left(values)) + _text(right(values)))
    return lambda values: _bounded_number(_arithmetic(operator, left(values), right(values)))


@lru_cache(maxsize=512)
def _compile(formula: str) -> Node | None:
    if len(formula) > _MAX_LENGTH:
        return None
    try:
        return _Parser(formula).parse()
    except (_FormulaError, RecursionError, ArithmeticError, ValueError):
        return None


def supported_formula(formula: str) -> bool:
    """Whether the emulator can evaluate ``formula`` (see the module docstring's subset)."""
    return isinstance(formula, str) and _compile(formula) is not None


def evaluate_formula(formula: str, values: Mapping[str, Any]) -> Any:
    """Evaluate a FORMULA for one record.

    Args:
        formula: the field's ``options.formula``, e.g. ``"{Amount} * {Probability} / 100"``.
        values: the record's values keyed by field NAME, as plain Python values (numbers, str,
            bool, None, lists).

    Returns:
        A number (int, float or Decimal), a string, a bool, or None: for an unsupported formula,
        a division by zero, or any other evaluation error. Never raises.
    """
    node = _compile(formula) if isinstance(formula, str) else None
    if node is None:
        return None
    try:
        result = node(values)
    except (_FormulaError, ArithmeticError, RecursionError, TypeError, ValueError):
        return None
    return bounded_result(result)


def bounded_result(result: Any) -> Any:
    """``result`` if Softr could hold it (see the module docstring), else None."""
    if isinstance(result, Decimal) and not result.is_finite():
        return None
    try:
        if isinstance(result, str):
            return _bounded_text(result)
        if isinstance(result, (int, float, Decimal)) and not isinstance(result, bool):
            return _bounded_number(result)
    except _FormulaError:
        return None
    return result
