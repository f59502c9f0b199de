"""Field definitions: building, updating and showing ``TableField`` objects.

Only the checks that need nothing but the request body live here (names, types, option shapes);
checks that need other tables (a link's target, a lookup's source field) are the store's.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from softr_orm.constants import FIELD_TYPES, MULTI_VALUE_TYPES, READ_ONLY_TYPES, ROLLUP_FUNCTIONS

from .errors import bad_request
from .ids import IdFactory

__all__ = [
    "FIELD_NAME_MAX",
    "apply_field_update",
    "build_field",
    "formula_references",
    "new_choice",
]

FIELD_NAME_MAX = 255

#: Colours handed to SELECT choices created without one, in turn.
_PALETTE = ("#20956f", "#727272", "#1e88e5", "#f4511e", "#8e24aa", "#fdd835", "#43a047", "#e53935")

_FORMULA_REF = re.compile(r"\{([^{}]+)\}")

#: Options every field of a type gets when the request leaves them out (documented defaults).
_DEFAULT_OPTIONS: dict[str, dict[str, Any]] = {
    "SELECT": {
        "choices": [],
        "allowToAddNewChoice": False,
        "sorting": "CUSTOM",
        "enforceOrder": False,
    },
    "NUMBER": {"precision": 0, "min": None, "max": None},
    "CURRENCY": {"precision": 2, "min": None, "max": None, "isoCode": "USD"},
    "PERCENT": {"precision": 0},
    "RATING": {"max": 5, "shape": "STAR"},
    "LINKED_RECORD": {"viewId": None, "sorting": [], "filter": None, "enforceOrder": False},
    "LOOKUP": {"isValid": True},
    "ROLLUP": {"filter": None},
    "FORMULA": {"isValid": True, "referencedFieldIds": []},
}


def _require_str(body: Mapping[str, Any], key: str, *, required: bool) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise bad_request(f"'{key}' is required")
        return None
    if not isinstance(value, str):
        raise bad_request(f"'{key}' must be a string")
    return value


def _check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise bad_request("'name' must not be empty")
    if len(name) > FIELD_NAME_MAX:
        raise bad_request(f"'name' is longer than {FIELD_NAME_MAX} characters")
    return name


def _bool(body: Mapping[str, Any], key: str, default: bool) -> bool:
    value = body.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise bad_request(f"'{key}' must be a boolean")
    return value


def _normalize_choices(raw: Any, ids: IdFactory) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        raise bad_request("'options.choices' must be an array")
    choices: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        if isinstance(item, str):
            item = {"label": item}
        if not isinstance(item, Mapping) or not isinstance(item.get("label"), str):
            raise bad_request("each choice needs a string 'label'")
        label = item["label"]
        if label in seen:
            raise bad_request(f"duplicate choice label '{label}'")
        seen.add(label)
        choice_id = item.get("id")
        if not isinstance(choice_id, str) or not choice_id:
            choice_id = ids.alnum(8)
        color = item.get("color")
        if not isinstance(color, str):
            color = _PALETTE[index % len(_PALETTE)]
        choices.append({"id": choice_id, "label": label, "color": color})
    return choices


def new_choice(options: dict[str, Any], label: str, ids: IdFactory) -> dict[str, Any]:
    """Append a choice (write of an unknown label with ``allowToAddNewChoice``)."""
    choices: list[dict[str, Any]] = options.setdefault("choices", [])
    choice = {"id": ids.alnum(8), "label": label, "color": _PALETTE[len(choices) % len(_PALETTE)]}
    choices.append(choice)
    return choice


def _normalize_options(
    type_: str, raw: Any, ids: IdFactory, base: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise bad_request("'options' must be an object")
    options: dict[str, Any] = copy.deepcopy(dict(base)) if base else {}
    for key, value in _DEFAULT_OPTIONS.get(type_, {}).items():
        options.setdefault(key, copy.deepcopy(value))
    options.update(copy.deepcopy(dict(raw)))
    options.pop("allowMultipleEntries", None)
    if type_ == "SELECT":
        options["choices"] = _normalize_choices(options.get("choices") or [], ids)
        if not isinstance(options.get("allowToAddNewChoice"), bool):
            raise bad_request("'options.allowToAddNewChoice' must be a boolean")
    elif type_ == "RATING":
        maximum = options.get("max")
        if not isinstance(maximum, int) or isinstance(maximum, bool) or not 1 <= maximum <= 10:
            raise bad_request("'options.max' of a RATING field must be an integer from 1 to 10")
    elif type_ == "LINKED_RECORD":
        if not isinstance(options.get("linkedTableId"), str):
            raise bad_request("'options.linkedTableId' is required for a LINKED_RECORD field")
    elif type_ == "LOOKUP":
        for key in ("linkedRecordFieldId", "lookupFieldId"):
            if not isinstance(options.get(key), str):
                raise bad_request(f"'options.{key}' is required for a LOOKUP field")
    elif type_ == "ROLLUP":
        if not isinstance(options.get("linkedRecordFieldId"), str):
            raise bad_request("'options.linkedRecordFieldId' is required for a ROLLUP field")
        function = options.get("function")
        if function not in ROLLUP_FUNCTIONS:
            raise bad_request(
                f"'options.function' must be one of {', '.join(ROLLUP_FUNCTIONS)}",
            )
        if options.get("rollupFieldId") is not None and not isinstance(
            options["rollupFieldId"], str
        ):
            raise bad_request("'options.rollupFieldId' must be a field id")
    elif type_ == "FORMULA" and not isinstance(options.get("formula"), str):
        raise bad_request("'options.formula' is required for a FORMULA field")
    return options


def build_field(
    body: Mapping[str, Any], *, field_id: str, now: str, ids: IdFactory
) -> dict[str, Any]:
    """A new ``TableField`` from an add-field (or create-table) body.

    ``allowMultipleEntries`` may be given at the top level or inside ``options`` (both forms
    occur in the wild); it only sticks for the multi-value types.

    Raises:
        StoreError: BAD_REQUEST for a missing name, an unknown type or malformed options.
    """
    if not isinstance(body, Mapping):
        raise bad_request("a field definition must be an object")
    name = _check_name(_require_str(body, "name", required=True) or "")
    type_ = _require_str(body, "type", required=True)
    if type_ not in FIELD_TYPES:
        raise bad_request(f"unknown field type '{type_}'", fieldName=name)
    raw_options = body.get("options")
    multiple = _bool(body, "allowMultipleEntries", False)
    if isinstance(raw_options, Mapping) and isinstance(
        raw_options.get("allowMultipleEntries"), bool
    ):
        multiple = multiple or bool(raw_options["allowMultipleEntries"])
    if type_ not in MULTI_VALUE_TYPES:
        multiple = False
    options = _normalize_options(type_, raw_options, ids)
    ai_options = body.get("aiOptions")
    if ai_options is not None and not isinstance(ai_options, Mapping):
        raise bad_request("'aiOptions' must be an object")
    default_value = body.get("defaultValue")
    if default_value is not None and not isinstance(default_value, str):
        raise bad_request("'defaultValue' must be a string")
    return {
        "id": field_id,
        "name": name,
        "description": _require_str(body, "description", required=False),
        "type": type_,
        "options": options,
        "allowMultipleEntries": multiple,
        "readonly": type_ in READ_ONLY_TYPES or _bool(body, "readonly", False),
        "required": _bool(body, "required", False) and type_ not in READ_ONLY_TYPES,
        "locked": False,
        "defaultValue": default_value,
        "aiOptions": copy.deepcopy(dict(ai_options)) if ai_options is not None else None,
        "createdAt": now,
        "updatedAt": now,
    }


def apply_field_update(
    current: dict[str, Any], body: Mapping[str, Any], *, now: str, ids: IdFactory
) -> dict[str, Any]:
    """The definition after a PUT: given keys replace, ``options`` merge key by key.

    Merging (rather than replacing) ``options`` keeps a link's target or a lookup's source when
    a client only resends the keys it changed. The type cannot change (Softr's MCP docs say so).

    Raises:
        StoreError: BAD_REQUEST on a type change or malformed values.
    """
    if not isinstance(body, Mapping):
        raise bad_request("the request body must be a JSON object")
    updated = copy.deepcopy(current)
    name = _require_str(body, "name", required=False)
    if name is not None:
        updated["name"] = _check_name(name)
    type_ = _require_str(body, "type", required=False)
    if type_ is not None and type_ != current["type"]:
        raise bad_request(
            f"the type of field '{current['name']}' cannot be changed "
            f"from {current['type']} to {type_}",
            fieldId=current["id"],
        )
    if "description" in body:
        updated["description"] = _require_str(body, "description", required=False)
    if body.get("options") is not None:
        updated["options"] = _normalize_options(
            current["type"], body["options"], ids, base=current["options"]
        )
    for key in ("required", "readonly"):
        if key in body and current["type"] not in READ_ONLY_TYPES:
            updated[key] = _bool(body, key, bool(current[key]))
    if "allowMultipleEntries" in body and current["type"] in MULTI_VALUE_TYPES:
        updated["allowMultipleEntries"] = _bool(body, "allowMultipleEntries", False)
    if "defaultValue" in body:
        value = body["defaultValue"]
        if value is not None and not isinstance(value, str):
            raise bad_request("'defaultValue' must be a string")
        updated["defaultValue"] = value
    if "aiOptions" in body:
        ai_options = body["aiOptions"]
        if ai_options is not None and not isinstance(ai_options, Mapping):
            raise bad_request("'aiOptions' must be an object")
        updated["aiOptions"] = copy.deepcopy(dict(ai_options)) if ai_options else None
    updated["updatedAt"] = now
    return updated


def formula_references(formula: str) -> list[str]:
    """Names of the fields a formula mentions as ``{Field Name}``, in order, without repeats."""
    names: list[str] = []
    for match in _FORMULA_REF.finditer(formula):
        if match.group(1) not in names:
            names.append(match.group(1))
    return names
