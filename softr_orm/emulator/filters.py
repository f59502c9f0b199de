"""Validation and compilation of a search body's ``filter`` and ``sorting`` (softr-api.md §3).

The emulator's store compiles a request's filter once with :func:`compile_filter` and then calls
the returned predicate on every record; :func:`compile_sorting` does the same for ``sorting``.
Both validate strictly, because catching a client's malformed request is the emulator's job, and
raise only :class:`FilterError`, never anything else, on any JSON input.

Records, as the evaluator sees them, map field ids to values in the emulator's read format
(SELECT ``{"id","label","color"}`` or a list of them, LINKED_RECORD ``[{"id","label"}]``, USER
``{"id","email","fullName"}`` or a list, ATTACHMENT ``[{"url","filename",...}]``, DATE
``"YYYY-MM-DD"``, date-times ISO ``"...Z"``, numbers as int/Decimal/float, CHECKBOX bool,
LOOKUP a list of looked-up values, ROLLUP/FORMULA a scalar or None), plus ``"created_at"`` and
``"updated_at"`` ISO strings for the pseudo-fields. A missing key is an empty value.

Semantics (the "Filter semantics" section of the project contracts):

* Empty = missing, None, ``""``, ``[]`` (and a multi-valued value without any non-empty element;
  a number/date field holding something unreadable as a number/date also counts as empty).
  CHECKBOX: only ``True`` is non-empty; ``IS false`` matches every record that is not checked.
* Positive operators never match an empty value (except ``HAS_ALL_OF []``, vacuously true, and
  ``IS false`` on a CHECKBOX). Negated operators are the exact complement of their positive
  form (``IS_NOT``/``IS``, ``DOES_NOT_*``/``*``, ``IS_NOT_ONE_OF``/``IS_ONE_OF``,
  ``HAS_NONE_OF``/``HAS_ANY_OF``, ``IS_NOT_BETWEEN``/``IS_BETWEEN``,
  ``IS_NOT_WITHIN``/``IS_WITHIN``, ``IS_NOT_EMPTY``/``IS_EMPTY``), so they do match empties.
* Text compares case-insensitively (``str.casefold``). SELECT matches choice labels.
  LINKED_RECORD elements match by record id (exact) or label (case-insensitive); USER by user id
  (exact) or email (case-insensitive), ``CONTAINS`` looks at fullName and email; ATTACHMENT by
  id or url (exact) or filename (case-insensitive), ``CONTAINS`` looks at filename and url.
  On multi-valued fields ``IS x``/``CONTAINS x`` mean "some element equals / contains x",
  ``IS_ONE_OF`` equals ``HAS_ANY_OF``, and the ``HAS_*`` family are set tests. On single-valued
  text/SELECT the ``HAS_*`` family treats the value as a one-element set.
* Numbers compare numerically (int, float, Decimal; numeric strings accepted on the right side;
  floats are read through their shortest repr so ``0.1`` equals ``Decimal("0.1")``).
* Dates (DATE, DATETIME, CREATED_AT, UPDATED_AT, pseudo-fields): a right side is a range
  ``[start, end)``: a date-only ISO string is its UTC day, a relative token its range (see
  :mod:`softr_orm.emulator.dates`), a date-time ISO string or an epoch-milliseconds number a
  single instant. ``IS``: inside; ``GREATER_THAN``: at or after the end; ``GREATER_THAN_OR_EQUALS``:
  at or after the start; ``LESS_THAN``: before the start; ``LESS_THAN_OR_EQUALS``: before the end.
  ``IS_BETWEEN`` and ``IS_WITHIN`` (identical for dates): from the start of ``lowerBound``'s range
  to the end of ``upperBound``'s range, i.e. inclusive of both bounds.
* LOOKUP, FORMULA, ROLLUP and unknown field types are compared by each value's Python type
  (numbers numerically, strings as text, or as dates when the right side is a date, dicts by
  id/label, lists element-wise after flattening). The operator is checked against the looked-up
  type only when the field's ``options["returnedField"]["type"]`` names it.

Validation: ``BAD_REQUEST`` for an unknown operator, missing or foreign keys for the operator's
kind (binary needs ``rightSide``, unary takes nothing else, range needs ``lowerBound`` and
``upperBound``, compound needs a ``conditions`` list of objects), a right side of the wrong JSON
type, an unknown relative date token, compound nesting deeper than ``max_depth`` (the root
compound is level 1; leaves do not count), or an operator meaningless for the field type (the
"no" cells of softr-api.md §3.5; text operators are allowed on multi-valued fields as the
contract says). ``UNKNOWN_FIELD`` for a ``leftSide``/``sortingField`` that is neither a field id
nor a pseudo-field. ``VALIDATION_ERROR`` for a right side of the right JSON type that cannot be
read for the field: a non-numeric string for a number, a string that is neither an ISO date nor
a relative token for a date, a non-finite or out-of-range number.

An ``AND`` without conditions matches everything, an ``OR`` without conditions nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from functools import partial
from operator import eq, ge, gt, le, lt
from typing import Any, NoReturn

from softr_orm.constants import (
    PSEUDO_FIELDS,
)
from softr_orm.emulator.dates import (
    MICROS_PER_DAY,
    is_relative_token,
    iso_micros,
    ms_to_micros,
    token_range_micros,
    value_micros,
)
from softr_orm.emulator.operands import (
    _ALLOWED,
    _CHECKBOX,
    _DATE,
    _DYNAMIC,
    _HAS,
    _KEYS_BY_KIND,
    _MULTI_KINDS,
    _NEGATIONS,
    _NUMBER,
    _ONE_OF,
    _OPERATOR_KIND,
    _SELECT,
    _TEXT,
    _TEXT_OPS,
    _WITHIN,
    FieldInfo,
    FilterError,
    _canonical,
    _date,
    _display,
    _is_number,
    _json_type,
    _kind_of_type,
    _num,
    _parse_number,
    _reader,
    _select_label,
    _short,
    _text,
    _validation_kind,
)
from softr_orm.emulator.sorting import compile_sorting

__all__ = ["FieldInfo", "FilterError", "compile_filter", "compile_sorting"]

Record = Mapping[str, Any]
Predicate = Callable[[Record], bool]
Test = Callable[[Any], bool]
Number = int | Decimal


# ---------------------------------------------------------------------------------------------
# Compilation


@dataclass
class _Leaf:
    path: str
    operator: str
    left: str
    info: FieldInfo | None

    @property
    def label(self) -> str:
        name = self.info.name if self.info is not None else self.left
        return f"{self.operator} on field {name!r} ({_short(self.left)})"

    def fail(self, code: str, message: str) -> NoReturn:
        raise FilterError(
            code,
            f"{self.label}: {message}",
            {"path": self.path, "operator": self.operator, "leftSide": self.left},
        )


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, Decimal))  # bool is an int


class _Compiler:
    def __init__(self, fields: Mapping[str, FieldInfo], now: datetime, max_depth: int) -> None:
        self.fields = fields
        self.now = now
        self.max_depth = max_depth

    # -- structure ------------------------------------------------------------------------
    def condition(self, node: Any, path: str, depth: int) -> Predicate:
        if not isinstance(node, Mapping):
            raise FilterError(
                "BAD_REQUEST",
                f"a condition must be an object, got {_json_type(node)}",
                {"path": path},
            )
        operator = node.get("operator")
        if not isinstance(operator, str) or operator not in _OPERATOR_KIND:
            raise FilterError(
                "BAD_REQUEST",
                f"unknown operator {_short(operator)}",
                {"path": path, "operator": operator[:100] if isinstance(operator, str) else None},
            )
        kind = _OPERATOR_KIND[operator]
        expected = _KEYS_BY_KIND[kind]
        missing = sorted(expected - node.keys())
        foreign = sorted(_short(key) for key in node.keys() - expected)
        if missing or foreign:
            what = []
            if missing:
                what.append(f"missing {', '.join(missing)}")
            if foreign:
                what.append(f"unexpected {', '.join(foreign)}")
            raise FilterError(
                "BAD_REQUEST",
                f"{operator} condition: {'; '.join(what)} (takes {', '.join(sorted(expected))})",
                {"path": path, "operator": operator},
            )
        if kind == "compound":
            return self.compound(operator, node["conditions"], path, depth + 1)
        return self.leaf(operator, kind, node, path)

    def compound(self, operator: str, conditions: Any, path: str, depth: int) -> Predicate:
        if depth > self.max_depth:
            raise FilterError(
                "BAD_REQUEST",
                f"filter nesting is deeper than the maximum of {self.max_depth} levels",
                {"path": path, "maxDepth": self.max_depth},
            )
        if not isinstance(conditions, (list, tuple)):
            raise FilterError(
                "BAD_REQUEST",
                f"{operator} needs a conditions array, got {_json_type(conditions)}",
                {"path": path, "operator": operator},
            )
        preds = [
            self.condition(child, f"{path}.conditions[{index}]", depth)
            for index, child in enumerate(conditions)
        ]
        return _all_of(preds) if operator == "AND" else _any_of(preds)

    def leaf(self, operator: str, kind: str, node: Mapping[str, Any], path: str) -> Predicate:
        left = node["leftSide"]
        if not isinstance(left, str):
            raise FilterError(
                "BAD_REQUEST",
                f"{operator}: leftSide must be a field id string, got {_json_type(left)}",
                {"path": path, "operator": operator},
            )
        info = self.fields.get(left)
        if info is None and left not in PSEUDO_FIELDS:
            raise FilterError(
                "UNKNOWN_FIELD",
                f"{operator}: unknown field {_short(left)} in leftSide",
                {"path": path, "operator": operator, "leftSide": left},
            )
        leaf = _Leaf(path, operator, left, info)
        if info is None:
            field_kind, multiple, check_kind = _DATE, False, _DATE
        else:
            field_kind, multiple = _kind_of_type(info.type, info.multiple)
            check_kind = _validation_kind(info)
        if kind != "unary" and operator not in _ALLOWED[check_kind]:
            type_name = info.type if info is not None else "pseudo-field date"
            leaf.fail("BAD_REQUEST", f"operator not applicable to a {type_name} field")
        positive = _NEGATIONS.get(operator, operator)
        if kind == "binary":
            args: tuple[Any, ...] = (node["rightSide"],)
        elif kind == "range":
            args = (node["lowerBound"], node["upperBound"])
        else:
            args = ()
        pred = self.positive(leaf, positive, field_kind, multiple, args)
        if positive != operator:
            return lambda record: not pred(record)
        return pred

    # -- leaves ---------------------------------------------------------------------------
    def positive(
        self, leaf: _Leaf, op: str, kind: str, multiple: bool, args: tuple[Any, ...]
    ) -> Predicate:
        key = leaf.left
        if kind == _CHECKBOX:
            return self.checkbox(leaf, op, key, args)
        read = _reader(kind, multiple)
        if op == "IS_EMPTY":
            return lambda record: read(record.get(key)) is None
        _check_shape(leaf, op, args)
        if op == "HAS_ALL_OF" and not args[0]:
            return _always
        if kind == _DYNAMIC:
            test = _DynamicTests(self, leaf).build(op, args)
        elif kind in _MULTI_KINDS and (multiple or kind != _SELECT):
            test = _keys_test(leaf, op, args)
        elif kind in (_TEXT, _SELECT):
            return _fused(kind, key, _text_test(leaf, op, args))
        elif kind == _NUMBER:
            return _fused(kind, key, _number_test(leaf, op, args))
        else:
            ranges = [self.date_range(leaf, arg) for arg in args]
            return _fused(kind, key, _date_test(op, ranges))

        def pred(record: Record) -> bool:
            value = read(record.get(key))
            return value is not None and test(value)

        return pred

    def checkbox(self, leaf: _Leaf, op: str, key: str, args: tuple[Any, ...]) -> Predicate:
        if op == "IS_EMPTY":
            return lambda record: record.get(key) is not True
        wanted = args[0]
        if not isinstance(wanted, bool):
            leaf.fail("BAD_REQUEST", f"rightSide must be a boolean, got {_json_type(wanted)}")
        if wanted:
            return lambda record: record.get(key) is True
        return lambda record: record.get(key) is not True

    def date_range(self, leaf: _Leaf, value: Any) -> tuple[int, int]:
        """A date right side or bound as the range ``[start, end)`` in epoch microseconds."""
        if isinstance(value, str):
            if is_relative_token(value):
                try:
                    return token_range_micros(value, self.now)
                except ValueError as exc:
                    leaf.fail("BAD_REQUEST", str(exc))
            parsed = iso_micros(value)
            if parsed is None:
                leaf.fail(
                    "VALIDATION_ERROR",
                    f"{value[:80]!r} is neither an ISO-8601 date nor a relative date token",
                )
            start, date_only = parsed
            return (start, start + MICROS_PER_DAY) if date_only else (start, start + 1)
        if _is_number(value):
            micros = ms_to_micros(value)
            if micros is None:
                leaf.fail("VALIDATION_ERROR", f"{value!r} is not a usable epoch-milliseconds date")
            return micros, micros + 1
        leaf.fail("BAD_REQUEST", f"a date must be a string or a number, got {_json_type(value)}")


def _check_shape(leaf: _Leaf, op: str, args: tuple[Any, ...]) -> None:
    """Right-side JSON types every field kind agrees on."""
    if op in _TEXT_OPS:
        if not isinstance(args[0], str):
            leaf.fail("BAD_REQUEST", f"rightSide must be a string, got {_json_type(args[0])}")
    elif op in _ONE_OF or op in _HAS:
        if not isinstance(args[0], (list, tuple)):
            leaf.fail("BAD_REQUEST", f"rightSide must be an array, got {_json_type(args[0])}")
        for item in args[0]:
            if not _is_scalar(item):
                leaf.fail(
                    "BAD_REQUEST", f"rightSide array items must be scalars, got {_json_type(item)}"
                )
    elif op == "IS":
        if not _is_scalar(args[0]):
            leaf.fail("BAD_REQUEST", f"rightSide must be a scalar, got {_json_type(args[0])}")
    else:  # ordering and range operators
        for arg in args:
            if not (isinstance(arg, str) or _is_number(arg)):
                side = "rightSide" if len(args) == 1 else "bounds"
                leaf.fail(
                    "BAD_REQUEST", f"{side} must be a number or a string, got {_json_type(arg)}"
                )


def _strings(leaf: _Leaf, args: tuple[Any, ...]) -> list[str]:
    values = args[0] if isinstance(args[0], (list, tuple)) else [args[0]]
    for value in values:
        if not isinstance(value, str):
            leaf.fail("BAD_REQUEST", f"expected string values, got {_json_type(value)}")
    return list(values)


def _number(leaf: _Leaf, value: Any) -> Number:
    if isinstance(value, str):
        number = _parse_number(value)
        if number is None:
            leaf.fail("VALIDATION_ERROR", f"{value[:80]!r} is not a number")
        return number
    if not _is_number(value):
        leaf.fail("BAD_REQUEST", f"expected a number, got {_json_type(value)}")
    number = _num(value)
    if number is None:
        leaf.fail("VALIDATION_ERROR", f"{value!r} is not a finite number")
    return _canonical(number) if isinstance(number, Decimal) else number


def _fused(kind: str, key: str, check: Test) -> Predicate:
    """One closure reading and testing a single-valued field, the common types inlined.

    ``check`` must be False for ``""`` (an empty text), which the text tests guarantee.
    """
    if kind == _TEXT:

        def text_pred(record: Record) -> bool:
            value = record.get(key)
            if type(value) is str:
                return check(value.casefold())
            text = _text(value)
            return text is not None and check(text)

        return text_pred
    if kind == _SELECT:

        def select_pred(record: Record) -> bool:
            value = record.get(key)
            if type(value) is dict:
                label = value.get("label")
                if type(label) is str:
                    return check(label.casefold())
            label_cf = _select_label(value)
            return label_cf is not None and check(label_cf)

        return select_pred
    if kind == _NUMBER:

        def number_pred(record: Record) -> bool:
            value = record.get(key)
            if type(value) is int:
                return check(value)
            number = _num(value)
            return number is not None and check(number)

        return number_pred

    def date_pred(record: Record) -> bool:
        value = record.get(key)
        if type(value) is str:
            parsed = iso_micros(value)
            return parsed is not None and check(parsed[0])
        micros = value_micros(value)
        return micros is not None and check(micros)

    return date_pred


def _text_test(leaf: _Leaf, op: str, args: tuple[Any, ...]) -> Test:
    """Tests on a casefolded single text (text fields and single SELECT labels), False on ""."""
    strings = _strings(leaf, args)
    folded = [item.casefold() for item in strings]
    if op in _TEXT_OPS:
        part = folded[0]
        if not part:
            return bool  # every non-empty text contains, starts and ends with ""
        if op == "CONTAINS":
            return lambda value: part in value
        if op == "STARTS_WITH":
            return lambda value: value.startswith(part)
        return lambda value: value.endswith(part)
    wanted = frozenset(folded) - {""}  # an empty value never matches
    if op == "HAS_ALL_OF" and (len(set(folded)) > 1 or "" in folded):
        return _never  # one non-empty value holds several only if they are all that value
    return wanted.__contains__


def _keys_test(leaf: _Leaf, op: str, args: tuple[Any, ...]) -> Test:
    """Tests on the match keys of multi-valued SELECT / LINKED_RECORD / USER / ATTACHMENT."""
    strings = _strings(leaf, args)
    items = [(item, item.casefold()) for item in strings]
    if op in _TEXT_OPS:
        part = items[0][1]
        if op == "CONTAINS":
            return lambda keys: any(part in text for text in keys.texts)
        if op == "STARTS_WITH":
            return lambda keys: any(text.startswith(part) for text in keys.texts)
        return lambda keys: any(text.endswith(part) for text in keys.texts)
    exact = frozenset(item for item, _ in items)
    folded = frozenset(item_cf for _, item_cf in items)
    if op == "HAS_ALL_OF":
        return lambda keys: all(
            item in keys.exact or item_cf in keys.folded for item, item_cf in items
        )
    # IS (one item), IS_ONE_OF, HAS_ANY_OF
    return lambda keys: not (exact.isdisjoint(keys.exact) and folded.isdisjoint(keys.folded))


def _number_test(leaf: _Leaf, op: str, args: tuple[Any, ...]) -> Test:
    if op in _ONE_OF:
        wanted = frozenset(_number(leaf, item) for item in args[0])
        return lambda value: value in wanted
    # No guard needed: _num never yields NaN, and ints and Decimals always compare.
    return _compare(op, [_number(leaf, arg) for arg in args])


#: ordering operator -> function(bound, value) testing ``value <op> bound`` (C-level partials).
_FLIPPED = {
    "IS": eq,
    "GREATER_THAN": lt,
    "GREATER_THAN_OR_EQUALS": le,
    "LESS_THAN": gt,
    "LESS_THAN_OR_EQUALS": ge,
}


def _compare(op: str, bounds: Sequence[Any]) -> Test:
    """Plain ordering tests shared by numbers, dynamic numbers and dynamic text."""
    if op in _FLIPPED:
        return partial(_FLIPPED[op], bounds[0])
    low, high = bounds
    return lambda value: low <= value <= high


def _guarded(test: Test) -> Test:
    """Comparisons that can never raise (a NaN that slipped through simply does not match)."""

    def safe(value: Any) -> bool:
        try:
            return test(value)
        except (ArithmeticError, TypeError):
            return False

    return safe


def _date_test(op: str, ranges: list[tuple[int, int]]) -> Test:
    """Tests on epoch microseconds against right-side ranges ``[start, end)``."""
    start, end = ranges[0]
    if op == "GREATER_THAN":
        return partial(le, end)  # end <= micros
    if op == "GREATER_THAN_OR_EQUALS":
        return partial(le, start)
    if op == "LESS_THAN":
        return partial(gt, start)  # start > micros
    if op == "LESS_THAN_OR_EQUALS":
        return partial(gt, end)
    if op != "IS":  # IS_BETWEEN / IS_WITHIN: from the lower's start to the upper's end
        end = ranges[1][1]
    return lambda micros: start <= micros < end


class _DynamicTests:
    """Element tests for values whose type is only known at run time (LOOKUP, FORMULA...)."""

    def __init__(self, compiler: _Compiler, leaf: _Leaf) -> None:
        self.compiler = compiler
        self.leaf = leaf

    def build(self, op: str, args: tuple[Any, ...]) -> Test:
        if op in _ONE_OF or op in _HAS:
            matchers = [self.equals(item) for item in args[0]]
            if op == "HAS_ALL_OF":
                return lambda elements: all(
                    any(match(element) for element in elements) for match in matchers
                )
            return lambda elements: any(
                match(element) for element in elements for match in matchers
            )
        if op in _TEXT_OPS:
            element_test = self.text(op, args[0])
        elif op == "IS":
            element_test = self.equals(args[0])
        elif op in _WITHIN:
            ranges = [self.compiler.date_range(self.leaf, arg) for arg in args]
            element_test = _on_dates(_date_test(op, ranges))
        else:
            element_test = self.ordered(op, args)
        return lambda elements: any(element_test(element) for element in elements)

    def equals(self, wanted: Any) -> Test:
        if isinstance(wanted, bool):
            return lambda element: element is wanted
        if _is_number(wanted):
            number = _number(self.leaf, wanted)
            return _guarded(lambda element: _element_number(element) == number)
        text: str = wanted
        folded = text.casefold()
        number_or_none = _parse_number(text)
        date_test = None
        if is_relative_token(text) or iso_micros(text) is not None:
            date_test = _on_dates(_date_test("IS", [self.compiler.date_range(self.leaf, text)]))

        def match(element: Any) -> bool:
            if isinstance(element, str):
                if element.casefold() == folded:
                    return True
                if date_test is not None and date_test(element):
                    return True
                return number_or_none is not None and _parse_number(element) == number_or_none
            if isinstance(element, Mapping):
                return element.get("id") == text or any(
                    shown.casefold() == folded for shown in _element_texts(element)
                )
            return number_or_none is not None and _element_number(element) == number_or_none

        return _guarded(match)

    def text(self, op: str, wanted: str) -> Test:
        part = wanted.casefold()
        if op == "CONTAINS":
            check: Callable[[str], bool] = lambda shown: part in shown  # noqa: E731
        elif op == "STARTS_WITH":
            check = lambda shown: shown.startswith(part)  # noqa: E731
        else:
            check = lambda shown: shown.endswith(part)  # noqa: E731
        return lambda element: any(check(shown.casefold()) for shown in _element_texts(element))

    def ordered(self, op: str, args: tuple[Any, ...]) -> Test:
        numbers = [_parse_number(arg) if isinstance(arg, str) else arg for arg in args]
        if all(number is not None for number in numbers):
            bounds = [_number(self.leaf, arg) for arg in args]
            compare = _guarded(_compare(op, bounds))
            return lambda element: (
                (number := _element_number(element)) is not None and compare(number)
            )
        if all(
            isinstance(arg, str) and (is_relative_token(arg) or iso_micros(arg)) for arg in args
        ):
            ranges = [self.compiler.date_range(self.leaf, arg) for arg in args]
            return _on_dates(_date_test(op, ranges))
        if all(isinstance(arg, str) for arg in args):
            compare = _compare(op, [arg.casefold() for arg in args])
            return lambda element: isinstance(element, str) and compare(element.casefold())
        self.leaf.fail("BAD_REQUEST", "bounds must both be numbers, dates or strings")


def _on_dates(test: Test) -> Test:
    def check(element: Any) -> bool:
        if isinstance(element, (bool, int, float, Decimal)):  # numbers are not dates here
            return False
        micros = _date(element)
        return micros is not None and test(micros)

    return check


def _element_number(element: Any) -> Number | None:
    if isinstance(element, bool):
        return None
    return _num(element)


def _element_texts(element: Any) -> list[str]:
    if isinstance(element, str):
        return [element]
    if isinstance(element, Mapping):
        keys = ("label", "fullName", "name", "filename", "email", "url")
        return [item for key in keys if isinstance(item := element.get(key), str) and item]
    if isinstance(element, bool):
        return []
    shown = _display(element)
    return [shown] if shown else []


def _always(record: Any) -> bool:
    return True


def _never(record: Any) -> bool:
    return False


def _all_of(preds: list[Predicate]) -> Predicate:
    if not preds:
        return _always
    if len(preds) == 1:
        return preds[0]
    if len(preds) == 2:
        first, second = preds
        return lambda record: first(record) and second(record)
    if len(preds) == 3:
        first, second, third = preds
        return lambda record: first(record) and second(record) and third(record)

    def pred(record: Record) -> bool:
        return all(each(record) for each in preds)

    return pred


def _any_of(preds: list[Predicate]) -> Predicate:
    if not preds:
        return _never
    if len(preds) == 1:
        return preds[0]

    def pred(record: Record) -> bool:
        return any(each(record) for each in preds)

    return pred


def compile_filter(
    filter_obj: Any,
    fields: Mapping[str, FieldInfo],
    *,
    now: datetime | None = None,
    max_depth: int = 16,
) -> Callable[[Mapping[str, Any]], bool]:
    """Validate a search ``filter`` and compile it into a record predicate.

    Args:
        filter_obj: the request's ``filter`` value, ``{"condition": {...}}``; None (no filter)
            matches every record.
        fields: the table's fields by field id.
        now: reference instant for relative date tokens (default: the current time, UTC).
        max_depth: deepest allowed nesting of ``AND``/``OR`` (the root compound is level 1).

    Returns:
        A function telling whether a record (field id -> read-format value, plus
        ``created_at``/``updated_at``) matches. It never raises.

    Raises:
        FilterError: the filter is invalid (see the module docstring for the codes).
    """
    if filter_obj is None:
        return _always
    if not isinstance(filter_obj, Mapping) or set(filter_obj.keys()) != {"condition"}:
        raise FilterError(
            "BAD_REQUEST",
            'filter must be an object with exactly one key, "condition"',
            {"path": "filter"},
        )
    moment = now if now is not None else datetime.now(timezone.utc)
    try:
        return _Compiler(fields, moment, max_depth).condition(
            filter_obj["condition"], "filter.condition", 0
        )
    except RecursionError:
        raise FilterError(
            "BAD_REQUEST", "filter is nested too deeply", {"path": "filter"}
        ) from None
