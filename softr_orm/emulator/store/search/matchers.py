"""Matchers: the test each leaf condition compiles to, for values of a known kind.

A *test* takes one normalized value (casefolded text, exact number, epoch microseconds, or the
match keys of a multi-valued field) and answers a bool; :func:`fused` wraps a test into a
record predicate that reads the field and normalizes it in one closure, the hot path of a
search.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from operator import eq, ge, gt, le, lt
from typing import Any

from ..dates import iso_micros, value_micros
from .kinds import NUMBER, ONE_OF, SELECT, TEXT, TEXT_OPS
from .leaf import Leaf, number_of, strings_of
from .operands import read_number, read_select_label, read_text

__all__ = [
    "Access",
    "Getter",
    "Predicate",
    "Record",
    "Test",
    "always",
    "compare",
    "date_test",
    "fused",
    "guarded",
    "keys_test",
    "never",
    "number_test",
    "text_test",
]

Record = Mapping[str, Any]
Predicate = Callable[[Any], bool]  # over mappings, or whatever the Access reads
Test = Callable[[Any], bool]
#: Reads one field's value from a record.
Getter = Callable[[Any], Any]


def _mapping_getter(key: str) -> Getter:
    return lambda record: record.get(key)


def _no_stored_getter(key: str) -> Getter | None:
    return None


@dataclass(frozen=True)
class Access:
    """How compiled conditions read records (by default: records are mappings, field id ->
    read-format value).

    Attributes:
        read: field id (or pseudo-field) -> a getter of the value in the read format.
        stored: field id -> a getter of the value in the store's stored form, or None. Only
            single SELECT fields use it: their stored form is a choice id, so a condition is
            decided once per choice and a record only needs a set lookup.
    """

    read: Callable[[str], Getter] = _mapping_getter
    stored: Callable[[str], Getter | None] = _no_stored_getter


def always(record: Any) -> bool:
    return True


def never(record: Any) -> bool:
    return False


def fused(kind: str, get: Getter, check: Test) -> Predicate:
    """One closure reading and testing a single-valued field, the common types inlined.

    ``check`` must be False for ``""`` (an empty text), which the text tests guarantee.
    """
    if kind == TEXT:

        def text_pred(record: Record) -> bool:
            value = get(record)
            if type(value) is str:
                return check(value.casefold())
            text = read_text(value)
            return text is not None and check(text)

        return text_pred
    if kind == SELECT:

        def select_pred(record: Record) -> bool:
            value = get(record)
            if type(value) is dict:
                label = value.get("label")
                if type(label) is str:
                    return check(label.casefold())
            label_cf = read_select_label(value)
            return label_cf is not None and check(label_cf)

        return select_pred
    if kind == NUMBER:

        def number_pred(record: Record) -> bool:
            value = get(record)
            if type(value) is int:
                return check(value)
            number = read_number(value)
            return number is not None and check(number)

        return number_pred

    def date_pred(record: Record) -> bool:
        value = get(record)
        if type(value) is str:
            parsed = iso_micros(value)
            return parsed is not None and check(parsed[0])
        micros = value_micros(value)
        return micros is not None and check(micros)

    return date_pred


def text_test(leaf: Leaf, op: str, args: tuple[Any, ...]) -> Test:
    """Tests on a casefolded single text (text fields and single SELECT labels), False on ""."""
    strings = strings_of(leaf, args)
    folded = [item.casefold() for item in strings]
    if op in TEXT_OPS:
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
        return never  # one non-empty value holds several only if they are all that value
    return wanted.__contains__


def keys_test(leaf: Leaf, op: str, args: tuple[Any, ...]) -> Test:
    """Tests on the match keys of multi-valued SELECT / LINKED_RECORD / USER / ATTACHMENT."""
    strings = strings_of(leaf, args)
    items = [(item, item.casefold()) for item in strings]
    if op in TEXT_OPS:
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


def number_test(leaf: Leaf, op: str, args: tuple[Any, ...]) -> Test:
    if op in ONE_OF:
        wanted = frozenset(number_of(leaf, item) for item in args[0])
        return lambda value: value in wanted
    # No guard needed: read_number never yields NaN, and ints and Decimals always compare.
    return compare(op, [number_of(leaf, arg) for arg in args])


#: ordering operator -> function(bound, value) testing ``value <op> bound`` (C-level partials).
_FLIPPED = {
    "IS": eq,
    "GREATER_THAN": lt,
    "GREATER_THAN_OR_EQUALS": le,
    "LESS_THAN": gt,
    "LESS_THAN_OR_EQUALS": ge,
}


def compare(op: str, bounds: Sequence[Any]) -> Test:
    """Plain ordering tests shared by numbers, dynamic numbers and dynamic text."""
    if op in _FLIPPED:
        return partial(_FLIPPED[op], bounds[0])
    low, high = bounds
    return lambda value: low <= value <= high


def guarded(test: Test) -> Test:
    """Comparisons that can never raise (a NaN that slipped through simply does not match)."""

    def safe(value: Any) -> bool:
        try:
            return test(value)
        except (ArithmeticError, TypeError):
            return False

    return safe


def date_test(op: str, ranges: list[tuple[int, int]]) -> Test:
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
