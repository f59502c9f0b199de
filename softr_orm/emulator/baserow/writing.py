"""Baserow write forms into the store's write forms (baserow-api.md §3.4, §4.2, §4.4).

Two stages, as in Baserow: first the serializer's checks for every key (errors gathered into
a dict ``{"field_12": [{"error", "code"}]}``), then the type-level preparation (the first
problem is a plain string ``detail``: an unknown select option, a read-only type, a file
that was never uploaded). Keys that name no field are ignored, like ``id`` and ``order``.

The converted values then go through the store's own validation; a refusal there (which
Baserow would have accepted or phrased otherwise) becomes a field error of this shape too.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from ..store.catalog import Catalog
from ..store.reader import Reader
from ..store.state import TableState
from .errors import BaserowError, field_error
from .fields import (
    READ_ONLY,
    baserow_type,
    decimal_places,
    number_options,
    option_id,
    visible_fields,
)
from .ids import RowIndex, int_id

__all__ = ["Writer", "body_error"]

_TRUE = {
    "t",
    "T",
    "y",
    "Y",
    "yes",
    "Yes",
    "YES",
    "true",
    "True",
    "TRUE",
    "on",
    "On",
    "ON",
    "1",
    "checked",
}
_FALSE = {
    "f",
    "F",
    "n",
    "N",
    "no",
    "No",
    "NO",
    "false",
    "False",
    "FALSE",
    "off",
    "Off",
    "OFF",
    "0",
    "unchecked",
}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: Baserow's validators (baserow-api.md §4.4 url, email, phone_number).
_PATTERNS = {
    "url": re.compile(r"^[^\s]{0,255}(?:\.|//)[^\s]{1,}$"),
    "email": re.compile(r"^[^\s@]{1,64}@[^\s@]+\.[^\s@]+$", re.IGNORECASE),
    "phone_number": re.compile(r"^[0-9NnXx,+._*()#=;/ -]{1,100}$"),
}
_MAX_DIGITS = 50


class _Invalid(Exception):
    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class _TypeLevel(Exception):
    """A refusal of the type-level preparation: the detail is a plain string."""


def body_error(detail: Any) -> BaserowError:
    return BaserowError(400, "ERROR_REQUEST_BODY_VALIDATION", detail)


def _string(value: Any, *, trim: bool = True) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise _Invalid("Not a valid string.")
    text = str(value)
    return text.strip() if trim else text


def _number(value: Any, definition: dict[str, Any], negative: bool) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise _Invalid("A valid number is required.")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise _Invalid("A valid number is required.") from None
    if not number.is_finite():
        raise _Invalid("A valid number is required.")
    places = decimal_places(definition)
    exponent = number.as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if decimals > places:
        raise _Invalid(
            f"Ensure that there are no more than {places} decimal places.", "max_decimal_places"
        )
    if len(number.as_tuple().digits) - decimals > _MAX_DIGITS:
        raise _Invalid(
            f"Ensure that there are no more than {_MAX_DIGITS} digits in total.", "max_digits"
        )
    if not negative and number < 0:
        raise _Invalid("Ensure this value is greater than or equal to 0.", "min_value")
    return number


def _boolean(value: Any) -> bool:
    if value is None:
        raise _Invalid("This field may not be null.", "null")
    if value is True or value is False:
        return bool(value)
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value in _TRUE:
        return True
    if isinstance(value, str) and value in _FALSE:
        return False
    raise _Invalid("Must be a valid boolean.")


def _date(value: Any, with_time: bool) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _Invalid("Date has wrong format. Use one of these formats instead: YYYY-MM-DD.")
    if not with_time:
        if _DATE.fullmatch(value):
            try:
                dt.date.fromisoformat(value)
                return value
            except ValueError:
                pass
        raise _Invalid("Date has wrong format. Use one of these formats instead: YYYY-MM-DD.")
    try:
        moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise _Invalid(
            "Datetime has wrong format. Use one of these formats instead: "
            "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


def _csv_or_list(value: Any) -> list[Any]:
    if isinstance(value, str):
        return [part for part in (p.strip() for p in value.split(",")) if part]
    if isinstance(value, list):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    raise _Invalid(f'Expected a list of items but got type "{type(value).__name__}".', "not_a_list")


class Writer:
    """Converts one table's request bodies (under the store's lock)."""

    def __init__(self, store: Catalog, rows: RowIndex) -> None:
        self.store = store
        self.rows = rows

    def fields_by_key(self, table: TableState, *, by_name: bool) -> dict[str, dict[str, Any]]:
        if by_name:
            return {d["name"]: d for d in visible_fields(table)}
        return {f"field_{int_id(d['id'])}": d for d in visible_fields(table)}

    def convert(self, table: TableState, body: Any, *, by_name: bool) -> dict[str, Any]:
        """The store's ``fields`` (by field id) for a create or update body.

        Raises:
            BaserowError: 400 ``ERROR_REQUEST_BODY_VALIDATION``: a dict ``detail`` for the
                serializer's checks, else a string for the first type-level refusal.
        """
        if not isinstance(body, Mapping):
            raise body_error(
                {
                    "non_field_errors": field_error(
                        f"Invalid data. Expected types are: dict, but got {type(body).__name__}.",
                        "invalid",
                    )
                }
            )
        known = self.fields_by_key(table, by_name=by_name)
        out: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        type_level: str | None = None
        for key, value in body.items():
            definition = known.get(key)
            if definition is None:
                continue
            type_ = baserow_type(definition) or ""
            if type_ in READ_ONLY:
                type_level = type_level or (
                    f"Field of type {type_} is read only and should not be set manually."
                )
                continue
            try:
                out[definition["id"]] = to_store(self._serializer(table, definition, type_, value))
            except _Invalid as problem:
                errors[key] = field_error(problem.message, problem.code)
            except _TypeLevel as problem:
                type_level = type_level or str(problem)
        if errors:
            raise body_error(errors)
        if type_level is not None:
            raise body_error(type_level)
        return out

    def _serializer(
        self, table: TableState, definition: dict[str, Any], type_: str, value: Any
    ) -> Any:
        if type_ in ("text", "long_text"):
            return _string(value)
        if type_ in _PATTERNS:
            text = _string(value)
            if text and not _PATTERNS[type_].match(text):
                raise _Invalid("Enter a valid value.")
            return text
        if type_ == "number":
            return _number(value, definition, number_options(definition)["number_negative"])
        if type_ == "rating":
            if value is None:
                raise _Invalid("This field may not be null.", "null")
            number = _number(value, {"options": {"precision": 0}}, True)
            maximum = (definition.get("options") or {}).get("max", 5)
            if number is None:
                raise _Invalid("A valid integer is required.")
            if number < 0:
                raise _Invalid("Ensure this value is greater than or equal to 0.", "min_value")
            if number > maximum:
                raise _Invalid(
                    f"Ensure this value is less than or equal to {maximum}.", "max_value"
                )
            return int(number) or None
        if type_ == "boolean":
            return _boolean(value)
        if type_ == "date":
            return _date(value, definition["type"] != "DATE")
        if type_ == "duration":
            seconds = _number(value, {"options": {"precision": 3}}, True)
            return seconds
        if type_ == "single_select":
            return self._single(definition, value)
        if type_ == "multiple_select":
            if value is None:
                raise _Invalid("This field may not be null.", "null")
            return [self._single(definition, v) for v in _csv_or_list(value)]
        if type_ == "link_row":
            if value is None:
                raise _Invalid("This field may not be null.", "null")
            return self._links(definition, value)
        if type_ == "multiple_collaborators":
            if value is None:
                raise _Invalid("This field may not be null.", "null")
            return self._users(table, value)
        if type_ == "file":
            items = [] if value is None else _csv_or_list(value)
            if items:
                names = [i.get("name") if isinstance(i, dict) else i for i in items]
                raise _TypeLevel(f"The user files {names} do not exist.")
            return []
        return value

    def _single(self, definition: dict[str, Any], value: Any) -> Any:
        if value is None or value == "":
            return None
        choices = (definition.get("options") or {}).get("choices") or []
        if isinstance(value, int) and not isinstance(value, bool):
            found = next((c for c in choices if option_id(c["id"]) == value), None)
            if found is None:
                raise _TypeLevel(
                    f"The provided select option id [{value}] is not a valid select option."
                )
            return {"id": found["id"]}
        if isinstance(value, str):
            found = next((c for c in choices if c["label"] == value), None)
            if found is None and (definition.get("options") or {}).get("allowToAddNewChoice"):
                return {"label": value}  # the store adds it (tables made for models)
            if found is None:
                raise _TypeLevel(
                    f"The provided select option value '{value}' is not a valid select option."
                )
            return {"id": found["id"]}
        raise _Invalid("A valid integer is required.")

    def _links(self, definition: dict[str, Any], value: Any) -> list[str]:
        target = self.store.find_table((definition.get("options") or {}).get("linkedTableId", ""))
        if value == "" or value == []:
            return []
        items = _csv_or_list(value)
        if target is None:
            return []
        if any(isinstance(i, int) and not isinstance(i, bool) for i in items) and any(
            isinstance(i, str) for i in items
        ):
            raise _Invalid("All list values must be same type.")
        records = self.store.records_of(target)
        out: list[str] = []
        for item in items:
            if isinstance(item, int) and not isinstance(item, bool):
                rec = self.rows.get(target, records, item)
                if rec is not None and rec.id not in out:
                    out.append(rec.id)  # unknown ids are dropped silently, as Baserow
            elif isinstance(item, str):
                rec = next((r for r in records.values() if self._label(target, r) == item), None)
                if rec is None:
                    raise _TypeLevel(
                        f"The provided text value '{item}' doesn't match any row in the "
                        "linked table."
                    )
                if rec.id not in out:
                    out.append(rec.id)
            else:
                raise _Invalid("A valid integer is required.")
        multiple = bool(definition.get("allowMultipleEntries"))
        if not multiple and len(out) > 1:
            raise _Invalid("Only one relationship is allowed.")
        return out

    def _label(self, table: TableState, rec: Any) -> str:
        return Reader(self.store).label(table, rec)

    def _users(self, table: TableState, value: Any) -> list[str]:
        if not isinstance(value, list):
            raise _Invalid(
                f'Expected a list of items but got type "{type(value).__name__}".', "not_a_list"
            )
        workspace = self.store.workspaces.get(self.store.database(table.database_id).workspace_id)
        members = workspace.member_ids if workspace is not None else []
        out: list[str] = []
        wanted: list[int] = []
        for item in value:
            if not isinstance(item, dict) or not isinstance(item.get("id"), int):
                raise _Invalid('Expected a dictionary of items but got type "int".', "not_a_dict")
            wanted.append(item["id"])
        for number in wanted:
            user = next((m for m in members if int_id(m) == number), None)
            if user is None:
                raise _TypeLevel(f"The provided user id [{number}] is not a valid collaborator.")
            out.append(user)
        return out


def to_store(value: Any) -> Any:
    """A converted value in the form the store's validation takes: whole numbers as ``int``
    (the store keeps the digits it is given), the rest unchanged."""
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return value
