"""Sorting search results: the ``sorting`` (or ``sort``) list of a search body.

Stable and multi-key; empty values first in ASC and last in DESC; text case-insensitive;
SELECT by label, links and users by label or name, numbers numerically, dates in time order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from softr_orm.constants import PSEUDO_FIELDS

from .kinds import (
    ATTACHMENT,
    CHECKBOX,
    DATE,
    LINK,
    MULTI_KINDS,
    NUMBER,
    SELECT,
    TEXT,
    USER,
    FieldInfo,
    FilterError,
    kind_of_type,
)
from .matchers import Access, Getter
from .operands import display, json_type, read_number, reader_for, short_repr

__all__ = ["compile_sorting"]


def _multi_sort_key(kind: str) -> Callable[[Any], Any]:
    attrs = {
        SELECT: ("label",),
        LINK: ("label", "id"),
        USER: ("fullName", "email", "id"),
        ATTACHMENT: ("filename", "url"),
    }[kind]

    def shown(element: Any) -> str | None:
        if isinstance(element, str):
            return element.casefold() or None
        if isinstance(element, Mapping):
            for attr in attrs:
                item = element.get(attr)
                if isinstance(item, str) and item:
                    return item.casefold()
        return None

    def key(value: Any) -> tuple[str, ...] | None:
        elements = value if isinstance(value, (list, tuple)) else [value]
        texts = tuple(text for text in map(shown, elements) if text is not None)
        return texts or None

    return key


def _dynamic_sort_key(value: Any, depth: int = 0) -> tuple[Any, ...] | None:
    """Totally ordered key for values of any type: booleans < numbers < text < lists."""
    if value is None:
        return None
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, (list, tuple)):
        if depth > 8:
            return None
        keys = tuple(
            key for key in (_dynamic_sort_key(item, depth + 1) for item in value) if key is not None
        )
        return (3, keys) if keys else None
    number = read_number(value) if not isinstance(value, str) else None
    if number is not None:
        return (1, number)
    shown = display(value)
    return (2, shown.casefold()) if shown else None


def _sort_key(kind: str, multiple: bool) -> Callable[[Any], Any]:
    if kind == CHECKBOX:
        return lambda value: 1 if value is True else None
    if kind in (TEXT, NUMBER, DATE) or (kind == SELECT and not multiple):
        return reader_for(kind, multiple)
    if kind in MULTI_KINDS:
        return _multi_sort_key(kind)
    return _dynamic_sort_key


def compile_sorting(
    sorting: Any, fields: Mapping[str, FieldInfo], *, access: Access | None = None
) -> Callable[[list[Any]], list[Any]]:
    """Validate a search ``sorting`` and compile it into a function sorting records.

    Args:
        sorting: the request's ``sorting`` value: a list of ``{"sortingField": <field id or
            pseudo-field>, "sortType": "ASC" | "DESC"}`` (``sortType`` defaults to ``ASC``);
            None or ``[]`` keeps the given order.
        fields: the table's fields by field id.
        access: how to read records (default: mappings of field id -> read-format value).

    Returns:
        A function returning a new, sorted list. The sort is stable and multi-key (the first
        entry is the primary key); empty values come first in ASC and last in DESC; text is
        case-insensitive, SELECT sorts by label, links by label, users by full name (then
        email), attachments by filename, multi-valued fields by their sequence of those,
        numbers numerically and dates chronologically. Ties keep the input order, so pass
        records in creation order.

    Raises:
        FilterError: ``BAD_REQUEST`` for a malformed entry, ``UNKNOWN_FIELD`` for an unknown
            ``sortingField``.
    """
    if sorting is None:
        return list
    if not isinstance(sorting, (list, tuple)):
        raise FilterError(
            "BAD_REQUEST",
            f"sorting must be an array, got {json_type(sorting)}",
            {"path": "sorting"},
        )
    read_field = (access or Access()).read
    plan: list[tuple[Getter, Callable[[Any], Any], bool]] = []
    for index, entry in enumerate(sorting):
        path = f"sorting[{index}]"
        if not isinstance(entry, Mapping):
            raise FilterError(
                "BAD_REQUEST", f"{path} must be an object, got {json_type(entry)}", {"path": path}
            )
        foreign = sorted(short_repr(key) for key in entry.keys() - {"sortingField", "sortType"})
        if foreign:
            raise FilterError(
                "BAD_REQUEST", f"{path}: unexpected keys {', '.join(foreign)}", {"path": path}
            )
        key = entry.get("sortingField")
        if not isinstance(key, str):
            raise FilterError(
                "BAD_REQUEST", f"{path}: sortingField must be a field id string", {"path": path}
            )
        info = fields.get(key)
        if info is None and key not in PSEUDO_FIELDS:
            raise FilterError(
                "UNKNOWN_FIELD",
                f"{path}: unknown field {short_repr(key)} in sortingField",
                {"path": path, "sortingField": key},
            )
        direction = entry.get("sortType", "ASC")
        if direction not in ("ASC", "DESC"):
            raise FilterError(
                "BAD_REQUEST",
                f'{path}: sortType must be "ASC" or "DESC", got {short_repr(direction)}',
                {"path": path},
            )
        kind, multiple = (DATE, False) if info is None else kind_of_type(info.type, info.multiple)
        plan.append((read_field(key), _sort_key(kind, multiple), direction == "DESC"))

    def sort(records: list[Any]) -> list[Any]:
        order = list(range(len(records)))
        for get, read, descending in reversed(plan):
            values = list(map(read, map(get, records)))
            filled = [index for index in order if values[index] is not None]
            empty = [index for index in order if values[index] is None]
            filled.sort(key=values.__getitem__, reverse=descending)
            order = filled + empty if descending else empty + filled
        return [records[index] for index in order]

    return sort
