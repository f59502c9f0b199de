"""The ``filters`` tree of list rows (baserow-api.md §5.2-5.4), evaluated over read values.

Filters see the row as Baserow would serialize it (:mod:`.reading`), so their semantics are
stated in Baserow's terms: an empty ``value`` drops the condition, negated types keep empty
rows, text ``equal`` is case-sensitive and ``contains`` is not, an unparsable value matches
nothing (or, for the types Baserow builds on "drop on error", removes the condition). A node
combines its ``filters`` and ``groups`` with its ``filter_type``; a node whose conditions were
all dropped matches every row.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from .dates import date_predicate
from .errors import BaserowError, field_error

__all__ = ["FieldLookup", "Predicate", "checked_leaf", "compile_filters", "rendered_date"]

#: Reads one field of the row under test: (field definition) -> Baserow read value.
Row = Callable[[dict[str, Any]], Any]
Predicate = Callable[[Row], bool]
#: Finds a field from the tree's ``field`` (an int id, or a name with user_field_names).
FieldLookup = Callable[[Any], "tuple[dict[str, Any], str] | None"]

_TEXT = frozenset({"text", "long_text", "url", "email", "phone_number"})
_NUMERIC = frozenset({"number", "rating", "autonumber", "duration"})
_DATES = frozenset({"date", "last_modified", "created_on"})
_EMPTY_OK = (
    _TEXT
    | {"number", "rating", "boolean", "date", "last_modified", "created_on", "link_row", "file"}
    | {"single_select", "multiple_select", "multiple_collaborators", "duration", "formula"}
    | {"lookup", "rollup", "count"}
)

#: filter type -> compatible Baserow field types (§5.4; formula results counted as text).
COMPATIBLE: dict[str, frozenset[str]] = {
    "equal": _TEXT | _NUMERIC | {"boolean", "uuid", "formula", "rollup", "count"},
    "not_equal": _TEXT | _NUMERIC | {"boolean", "uuid", "formula", "rollup", "count"},
    "contains": _TEXT
    | _DATES
    | {"number", "autonumber", "single_select", "multiple_select"}
    | {"formula", "rollup", "count"},
    "contains_not": _TEXT
    | _DATES
    | {"number", "autonumber", "single_select", "multiple_select"}
    | {"formula", "rollup", "count"},
    "contains_word": frozenset({"text", "long_text", "url", "email", "single_select"})
    | {"multiple_select", "formula"},
    "doesnt_contain_word": frozenset({"text", "long_text", "url", "email", "single_select"})
    | {"multiple_select", "formula"},
    "length_is_lower_than": _TEXT | {"formula"},
    "higher_than": _NUMERIC | {"formula", "rollup", "count"},
    "higher_than_or_equal": _NUMERIC | {"formula", "rollup", "count"},
    "lower_than": _NUMERIC | {"formula", "rollup", "count"},
    "lower_than_or_equal": _NUMERIC | {"formula", "rollup", "count"},
    "is_even_and_whole": frozenset({"number", "autonumber", "formula", "rollup", "count"}),
    "empty": _EMPTY_OK,
    "not_empty": _EMPTY_OK,
    "boolean": frozenset({"boolean", "formula"}),
    "single_select_equal": frozenset({"single_select"}),
    "single_select_not_equal": frozenset({"single_select"}),
    "single_select_is_any_of": frozenset({"single_select"}),
    "single_select_is_none_of": frozenset({"single_select"}),
    "multiple_select_has": frozenset({"multiple_select"}),
    "multiple_select_has_not": frozenset({"multiple_select"}),
    "link_row_has": frozenset({"link_row"}),
    "link_row_has_not": frozenset({"link_row"}),
    "link_row_contains": frozenset({"link_row"}),
    "link_row_not_contains": frozenset({"link_row"}),
    "multiple_collaborators_has": frozenset({"multiple_collaborators"}),
    "multiple_collaborators_has_not": frozenset({"multiple_collaborators"}),
    "user_is": frozenset({"created_by", "last_modified_by"}),
    "user_is_not": frozenset({"created_by", "last_modified_by"}),
    "filename_contains": frozenset({"file"}),
    "files_lower_than": frozenset({"file"}),
    "has_value_equal": frozenset({"lookup"}),
    "has_not_value_equal": frozenset({"lookup"}),
    "has_value_contains": frozenset({"lookup"}),
    "has_not_value_contains": frozenset({"lookup"}),
    "has_empty_value": frozenset({"lookup"}),
    "has_not_empty_value": frozenset({"lookup"}),
}
for _name in (
    "date_is",
    "date_is_not",
    "date_is_before",
    "date_is_on_or_before",
    "date_is_after",
    "date_is_on_or_after",
    "date_is_within",
):
    COMPATIBLE[_name] = _DATES
_MAX_DEPTH = 64
#: negated type -> its positive: NOT(positive), so empty rows match (Django's exclude).
_NEGATED = {
    "not_equal": "equal",
    "contains_not": "contains",
    "doesnt_contain_word": "contains_word",
    "link_row_not_contains": "link_row_contains",
    "has_not_value_equal": "has_value_equal",
    "has_not_value_contains": "has_value_contains",
}
_TRUE_WORDS = {"1", "t", "y", "yes", "true", "on", "checked"}
_FALSE_WORDS = {"0", "f", "n", "no", "false", "off", "unchecked", ""}


def _nothing(row: Row) -> bool:
    return False


def _decimal(text: str) -> Decimal | None:
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _as_number(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    return _decimal(str(value))


def _texts(value: Any) -> list[str]:
    """What text filters see: the string, an option's value, every value of a list."""
    if value is None:
        return []
    if isinstance(value, list):
        return [t for item in value for t in _texts(item)]
    if isinstance(value, dict):
        inner = value.get("value", value.get("name"))
        return _texts(inner)
    if isinstance(value, bool):
        return ["true" if value else "false"]
    return [str(value)]


def rendered_date(value: Any) -> str:
    """A date as Baserow renders it for ``contains`` and search with ``date_format`` ISO
    (24-hour): ``2024-01-15``, or ``2024-01-15 10:30`` for a date-time (in UTC)."""
    if not isinstance(value, str):
        return ""
    if "T" not in value:
        return value
    day, _, clock = value.partition("T")
    return f"{day} {clock[:5]}"


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {} or value is False


def _ids(value: Any) -> list[int]:
    if not isinstance(value, list):
        value = [value] if isinstance(value, dict) else []
    return [
        item["id"] for item in value if isinstance(item, dict) and isinstance(item.get("id"), int)
    ]


def _csv_ints(text: str) -> list[int]:
    return [int(p) for p in (part.strip() for part in text.split(",")) if p.isdigit()]


def _leaf(field: dict[str, Any], type_: str, ftype: str, value: str) -> Predicate | None:
    """One condition; None when Baserow drops it."""
    definition = field

    def read(row: Row) -> Any:
        return row(definition)

    if type_ == "empty":
        return lambda row: is_empty(read(row))
    if type_ == "not_empty":
        return lambda row: not is_empty(read(row))
    if type_ == "boolean":
        word = value.lower()
        if word not in _TRUE_WORDS | _FALSE_WORDS:
            return _nothing
        wanted = word in _TRUE_WORDS
        return lambda row: bool(read(row)) is wanted
    if type_.startswith("date_is"):
        return date_predicate(type_, value, read)
    if value == "" and type_ not in ("has_empty_value", "has_not_empty_value"):
        return None
    base = _NEGATED.get(type_)
    positive = _positive(base or type_, ftype, value, read)
    if positive is None:
        return None
    if base is not None:
        if positive is _nothing:
            return None  # "drop on error" for the negated types
        return lambda row: not positive(row)
    return positive


def _positive(type_: str, ftype: str, value: str, read: Callable[[Row], Any]) -> Predicate | None:
    if type_ == "equal":
        if ftype in _NUMERIC or ftype in ("number", "rollup", "count"):
            wanted = _decimal(value)
            if wanted is None:
                return _nothing
            return lambda row: _as_number(read(row)) == wanted
        if ftype == "boolean":
            word = value.lower()
            if word not in _TRUE_WORDS | _FALSE_WORDS:
                return _nothing
            flag = word in _TRUE_WORDS
            return lambda row: bool(read(row)) is flag
        return lambda row: any(t == value for t in _texts(read(row)))
    if type_ == "contains":
        needle = value.casefold()
        if ftype in _DATES:
            return lambda row: needle in rendered_date(read(row)).casefold()
        return lambda row: any(needle in t.casefold() for t in _texts(read(row)))
    if type_ == "contains_word":
        pattern = re.compile(rf"(?<!\w){re.escape(value)}(?!\w)", re.IGNORECASE)
        return lambda row: any(pattern.search(t) for t in _texts(read(row)))
    if type_ == "length_is_lower_than":
        if not value.isdigit():
            return _nothing
        limit = int(value)
        return lambda row: len("".join(_texts(read(row)))) < limit
    if type_ in ("higher_than", "higher_than_or_equal", "lower_than", "lower_than_or_equal"):
        bound = _decimal(value)
        if bound is None:
            return _nothing
        compare: Callable[[Decimal], bool] = {
            "higher_than": lambda n: n > bound,
            "higher_than_or_equal": lambda n: n >= bound,
            "lower_than": lambda n: n < bound,
            "lower_than_or_equal": lambda n: n <= bound,
        }[type_]

        def numeric(row: Row) -> bool:
            number = _as_number(read(row))
            return number is not None and compare(number)

        return numeric
    if type_ == "is_even_and_whole":
        return lambda row: (n := _as_number(read(row))) is not None and n % 2 == 0
    if type_ in ("single_select_equal",):
        if not value.strip().isdigit():
            return None
        option = int(value)
        return lambda row: option in _ids(read(row))
    if type_ in ("single_select_is_any_of", "multiple_select_has", "link_row_has"):
        wanted_ids = set(_csv_ints(value))
        if not wanted_ids:
            return None if type_ == "link_row_has" else _nothing
        return lambda row: bool(wanted_ids & set(_ids(read(row))))
    if type_ in ("single_select_is_none_of", "multiple_select_has_not"):
        unwanted = set(_csv_ints(value))
        if not unwanted:
            return None
        return lambda row: not unwanted & set(_ids(read(row)))
    if type_ in ("single_select_not_equal",):
        if not value.strip().isdigit():
            return None
        option = int(value)
        return lambda row: option not in _ids(read(row))
    if type_ in ("link_row_has_not", "multiple_collaborators_has_not", "user_is_not"):
        if not value.strip().isdigit():
            return None
        one = int(value)
        return lambda row: one not in _ids(read(row))
    if type_ in ("multiple_collaborators_has", "user_is"):
        if not value.strip().isdigit():
            return None
        one = int(value)
        return lambda row: one in _ids(read(row))
    if type_ == "link_row_contains":
        needle = value.casefold()
        return lambda row: any(needle in t.casefold() for t in _texts(read(row)))
    if type_ == "filename_contains":
        needle = value.casefold()
        return lambda row: any(
            needle in str(f.get("visible_name") or "").casefold() for f in read(row) or []
        )
    if type_ == "files_lower_than":
        if not value.isdigit():
            return None
        limit = int(value)
        return lambda row: len(read(row) or []) < limit
    if type_ == "has_value_equal":
        return lambda row: any(
            value in _texts(item.get("value") if isinstance(item, dict) else item)
            for item in read(row) or []
        )
    if type_ == "has_value_contains":
        needle = value.casefold()
        return lambda row: any(needle in t.casefold() for t in _texts(read(row)))
    if type_ == "has_empty_value":
        return lambda row: any(
            is_empty(item.get("value") if isinstance(item, dict) else item)
            for item in read(row) or []
        )
    if type_ == "has_not_empty_value":
        return lambda row: (
            not any(
                is_empty(item.get("value") if isinstance(item, dict) else item)
                for item in read(row) or []
            )
        )
    return _nothing


def _invalid(detail: Any) -> BaserowError:
    return BaserowError(400, "ERROR_FILTERS_PARAM_VALIDATION_ERROR", detail)


def compile_filters(raw: str, lookup: FieldLookup) -> Predicate | None:
    """The row predicate of a ``filters`` parameter (None: every row matches).

    Raises:
        BaserowError: 400 with Baserow's codes (invalid JSON or shape, unknown field, unknown
            or incompatible filter type).
    """
    try:
        tree = json.loads(raw)
    except ValueError:
        raise _invalid(
            {"error": "The provided filters are not valid JSON.", "code": "invalid_json"}
        ) from None
    return _node(tree, lookup, 0)


def _node(tree: Any, lookup: FieldLookup, depth: int) -> Predicate | None:
    if not isinstance(tree, dict):
        raise _invalid(
            {
                "non_field_errors": field_error(
                    f"Invalid data. Expected a dictionary, but got {type(tree).__name__}.",
                    "invalid",
                )
            }
        )
    kind = tree.get("filter_type")
    if kind is None:
        raise _invalid({"filter_type": field_error("This field is required.", "required")})
    if kind not in ("AND", "OR"):
        raise _invalid(
            {"filter_type": field_error(f'"{kind}" is not a valid choice.', "invalid_choice")}
        )
    if depth > _MAX_DEPTH:
        raise _invalid({"groups": field_error("The filter tree is too deep.", "invalid")})
    parts: list[Predicate] = []
    for item in _list(tree, "filters"):
        predicate = _filter(item, lookup)
        if predicate is not None:
            parts.append(predicate)
    for group in _list(tree, "groups"):
        predicate = _node(group, lookup, depth + 1)
        if predicate is not None:
            parts.append(predicate)
    if not parts:
        return None
    if kind == "AND":
        return lambda row: all(p(row) for p in parts)
    return lambda row: any(p(row) for p in parts)


def _list(tree: dict[str, Any], key: str) -> list[Any]:
    value = tree.get(key, [])
    if value is None:
        return []
    if not isinstance(value, list):
        raise _invalid(
            {
                key: field_error(
                    f'Expected a list of items but got type "{type(value).__name__}".', "not_a_list"
                )
            }
        )
    return value


def _filter(item: Any, lookup: FieldLookup) -> Predicate | None:
    if not isinstance(item, dict):
        raise _invalid({"filters": field_error("Invalid data.", "invalid")})
    missing = [k for k in ("field", "type", "value") if k not in item]
    if missing:
        raise _invalid({k: field_error("This field is required.", "required") for k in missing})
    value = item["value"]
    if value is None or isinstance(value, (bool, list, dict)):
        raise _invalid({"value": field_error("Not a valid string.", "invalid")})
    text = str(value).strip()
    found = lookup(item["field"])
    if found is None:
        # Baserow names the field by its id, which a name lookup leaves None.
        shown = item["field"] if isinstance(item["field"], int) else None
        raise BaserowError(
            400, "ERROR_FILTER_FIELD_NOT_FOUND", f"The field {shown} was not found in the table."
        )
    definition, ftype = found
    return checked_leaf(definition, ftype, item["type"], text)


def checked_leaf(definition: dict[str, Any], ftype: str, type_: Any, text: str) -> Predicate | None:
    """One condition after Baserow's checks of its type (exists, fits the field)."""
    if type_ not in COMPATIBLE:
        raise BaserowError(
            400,
            "ERROR_VIEW_FILTER_TYPE_DOES_NOT_EXIST",
            f"The view filter type {type_} doesn't exist.",
        )
    if ftype not in COMPATIBLE[type_]:
        raise BaserowError(
            400,
            "ERROR_VIEW_FILTER_TYPE_UNSUPPORTED_FIELD",
            f"The filter {type_} is not compatible with field type {ftype}.",
        )
    return _leaf(definition, type_, ftype, text)
