"""Tests for values whose type is only known when read: LOOKUP, FORMULA, ROLLUP and unknown
field types.

Such a value is a list of elements (a scalar counts as a one-element list); each element is
compared by its own Python type: numbers numerically, strings as text (or as dates when the
right side is a date), objects by id and label. A condition matches when some element does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from ..dates import is_relative_token, iso_micros
from .kinds import HAS, ONE_OF, TEXT_OPS, WITHIN
from .leaf import Leaf, number_of
from .matchers import Test, compare, date_test, guarded
from .operands import Number, display, is_number, parse_number, read_date, read_number

__all__ = ["DynamicTests"]


class DynamicTests:
    """Element tests for values whose type is only known at run time (LOOKUP, FORMULA...)."""

    def __init__(self, leaf: Leaf) -> None:
        self.leaf = leaf

    def build(self, op: str, args: tuple[Any, ...]) -> Test:
        if op in ONE_OF or op in HAS:
            matchers = [self.equals(item) for item in args[0]]
            if op == "HAS_ALL_OF":
                return lambda elements: all(
                    any(match(element) for element in elements) for match in matchers
                )
            return lambda elements: any(
                match(element) for element in elements for match in matchers
            )
        if op in TEXT_OPS:
            element_test = self.text(op, args[0])
        elif op == "IS":
            element_test = self.equals(args[0])
        elif op in WITHIN:
            ranges = [self.leaf.date_range(arg) for arg in args]
            element_test = _on_dates(date_test(op, ranges))
        else:
            element_test = self.ordered(op, args)
        return lambda elements: any(element_test(element) for element in elements)

    def equals(self, wanted: Any) -> Test:
        if isinstance(wanted, bool):
            return lambda element: element is wanted
        if is_number(wanted):
            number = number_of(self.leaf, wanted)
            return guarded(lambda element: _element_number(element) == number)
        text: str = wanted
        folded = text.casefold()
        number_or_none = parse_number(text)
        date_match = None
        if is_relative_token(text) or iso_micros(text) is not None:
            date_match = _on_dates(date_test("IS", [self.leaf.date_range(text)]))

        def match(element: Any) -> bool:
            if isinstance(element, str):
                if element.casefold() == folded:
                    return True
                if date_match is not None and date_match(element):
                    return True
                return number_or_none is not None and parse_number(element) == number_or_none
            if isinstance(element, Mapping):
                return element.get("id") == text or any(
                    shown.casefold() == folded for shown in _element_texts(element)
                )
            return number_or_none is not None and _element_number(element) == number_or_none

        return guarded(match)

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
        numbers = [parse_number(arg) if isinstance(arg, str) else arg for arg in args]
        if all(number is not None for number in numbers):
            bounds = [number_of(self.leaf, arg) for arg in args]
            in_order = guarded(compare(op, bounds))
            return lambda element: (
                (number := _element_number(element)) is not None and in_order(number)
            )
        if all(
            isinstance(arg, str) and (is_relative_token(arg) or iso_micros(arg)) for arg in args
        ):
            ranges = [self.leaf.date_range(arg) for arg in args]
            return _on_dates(date_test(op, ranges))
        if all(isinstance(arg, str) for arg in args):
            text_order = compare(op, [arg.casefold() for arg in args])
            return lambda element: isinstance(element, str) and text_order(element.casefold())
        self.leaf.fail("BAD_REQUEST", "bounds must both be numbers, dates or strings")


def _on_dates(test: Test) -> Test:
    def check(element: Any) -> bool:
        if isinstance(element, (bool, int, float, Decimal)):  # numbers are not dates here
            return False
        micros = read_date(element)
        return micros is not None and test(micros)

    return check


def _element_number(element: Any) -> Number | None:
    if isinstance(element, bool):
        return None
    return read_number(element)


def _element_texts(element: Any) -> list[str]:
    if isinstance(element, str):
        return [element]
    if isinstance(element, Mapping):
        keys = ("label", "fullName", "name", "filename", "email", "url")
        return [item for key in keys if isinstance(item := element.get(key), str) and item]
    if isinstance(element, bool):
        return []
    shown = display(element)
    return [shown] if shown else []
