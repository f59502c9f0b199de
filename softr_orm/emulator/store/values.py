"""Write validation: a request's JSON value -> the stored form of one field, or an error.

Stored forms (what ``RecordState.values`` holds; an empty value is never stored):

========================  ==========================================================
text types                ``str``
numbers                   ``int`` or exact ``Decimal``
CHECKBOX                  ``bool``
SELECT                    choice id (single) / list of choice ids (multi)
LINKED_RECORD             list of record ids (single links too)
ATTACHMENT                list of ``{"id","url","filename","type"[,"size"]}``
USER                      user id (single) / list of user ids (multi)
DATE / DATETIME           ``"YYYY-MM-DD"`` / ``"YYYY-MM-DDTHH:MM:SS.mmmZ"`` (UTC)
========================  ==========================================================

Storing choice ids rather than labels lets a choice be renamed without touching records.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Protocol
from urllib.parse import urlsplit

from softr_orm.constants import READ_ONLY_TYPES, TEXT_LIMITS

from .errors import StoreError, validation_error
from .timestamps import format_instant, parse_instant

__all__ = ["WriteContext", "is_empty", "stored_value_problem", "validate_value"]

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_BARE_URL_RE = re.compile(r"^[\w-]+(\.[\w-]+)+(:\d+)?([/?#]\S*)?$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class WriteContext(Protocol):
    """What validation needs from the store for the types that point elsewhere."""

    def choice_for_label(self, field: dict[str, Any], label: str) -> str | None:
        """The id of the choice with this label, adding it when the field allows new choices."""

    def record_exists(self, table_id: str, record_id: str) -> bool:
        """Whether a record exists (link targets)."""

    def resolve_user(self, ref: str, by_email: bool) -> str | None:
        """A workspace member's id from an id or an email, None when unknown."""

    def new_attachment_id(self) -> str:
        """A fresh, stable id for an attachment entry."""


def is_empty(value: Any) -> bool:
    """Softr's "empty": null, ``""`` and ``[]`` all clear a field."""
    return value is None or value == "" or (isinstance(value, list) and not value)


def _label(field: dict[str, Any]) -> str:
    return f"Field '{field['name']}' ({field['id']})"


def _fail(field: dict[str, Any], what: str) -> StoreError:
    return validation_error(f"{_label(field)} {what}", field["id"])


def _text(field: dict[str, Any], value: Any) -> str:
    type_ = field["type"]
    if not isinstance(value, str):
        raise _fail(field, "expects a string")
    limit = TEXT_LIMITS.get(type_, 1024)
    options = field.get("options") or {}
    max_length = options.get("maxLength")
    if isinstance(max_length, int) and not isinstance(max_length, bool):
        limit = min(limit, max_length)
    if len(value) > limit:
        raise _fail(field, f"is limited to {limit} characters (got {len(value)})")
    min_length = options.get("minLength")
    if isinstance(min_length, int) and not isinstance(min_length, bool) and len(value) < min_length:
        raise _fail(field, f"needs at least {min_length} characters")
    if type_ == "EMAIL" and not _EMAIL_RE.match(value):
        raise _fail(field, f"expects an email address, got {value!r}")
    if type_ == "URL" and not _valid_url(value):
        raise _fail(field, f"expects a URL, got {value!r}")
    return value


def _valid_url(value: str) -> bool:
    if any(ch.isspace() for ch in value):
        return False
    if "://" in value:
        parts = urlsplit(value)
        return bool(parts.scheme) and bool(parts.netloc)
    return bool(_BARE_URL_RE.match(value))


_LARGEST_NUMBER = Decimal("1.7976931348623157e308")  # the largest finite double


def _number(field: dict[str, Any], value: Any) -> int | Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise _fail(field, "expects a number")
    if isinstance(value, Decimal) and not value.is_finite():
        raise _fail(field, "expects a finite number")
    if abs(Decimal(value)) > _LARGEST_NUMBER:
        # Numbers are doubles in Softr's own store, so nothing larger can be kept.
        raise _fail(field, "is out of range for a number")
    type_ = field["type"]
    if type_ == "RATING":
        maximum = (field.get("options") or {}).get("max", 5)
        if value != int(value) or not 1 <= value <= maximum:
            raise _fail(field, f"expects an integer rating from 1 to {maximum}")
        return int(value)
    if type_ in ("NUMBER", "CURRENCY"):
        options = field.get("options") or {}
        low, high = options.get("min"), options.get("max")
        if isinstance(low, (int, Decimal)) and not isinstance(low, bool) and value < low:
            raise _fail(field, f"must be at least {low}")
        if isinstance(high, (int, Decimal)) and not isinstance(high, bool) and value > high:
            raise _fail(field, f"must be at most {high}")
    return value


def _select(field: dict[str, Any], value: Any, ctx: WriteContext) -> Any:
    multiple = bool(field.get("allowMultipleEntries"))
    if multiple and not isinstance(value, list):
        raise _fail(field, "allows several choices: send an array of labels")
    if not multiple and isinstance(value, list):
        raise _fail(field, "allows one choice: send a label string, not an array")
    items = value if multiple else [value]
    ids: list[str] = []
    for item in items:
        choice_id = _one_choice(field, item, ctx)
        if choice_id not in ids:
            ids.append(choice_id)
    return ids if multiple else ids[0]


def _one_choice(field: dict[str, Any], item: Any, ctx: WriteContext) -> str:
    choices = (field.get("options") or {}).get("choices") or []
    if isinstance(item, Mapping):
        if isinstance(item.get("id"), str):
            for choice in choices:
                if choice["id"] == item["id"]:
                    return str(choice["id"])
            raise _fail(field, f"has no choice with id {item['id']!r}")
        item = item.get("label")
    if not isinstance(item, str) or not item:
        raise _fail(field, "expects a choice label (string)")
    choice_id = ctx.choice_for_label(field, item)
    if choice_id is None:
        labels = ", ".join(repr(choice["label"]) for choice in choices)
        raise _fail(field, f"has no choice {item!r} (choices: {labels})")
    return choice_id


def _links(field: dict[str, Any], value: Any, ctx: WriteContext) -> list[str]:
    items = value if isinstance(value, list) else [value]
    target = (field.get("options") or {}).get("linkedTableId", "")
    ids: list[str] = []
    for item in items:
        if isinstance(item, Mapping):
            item = item.get("id")
        if not isinstance(item, str) or not item:
            raise _fail(field, "expects linked record ids (an array of strings)")
        if not ctx.record_exists(target, item):
            raise _fail(
                field, f"links to record {item!r}, which does not exist in the linked table"
            )
        if item not in ids:
            ids.append(item)
    if len(ids) > 1 and not field.get("allowMultipleEntries"):
        raise _fail(field, "links to a single record: send at most one id")
    return ids


def _attachments(field: dict[str, Any], value: Any, ctx: WriteContext) -> list[dict[str, Any]]:
    items = value if isinstance(value, list) else [value]
    stored: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, str):
            item = {"url": item}
        if not isinstance(item, Mapping) or not isinstance(item.get("url"), str):
            raise _fail(field, "expects attachments as {'url', 'filename'} objects")
        url = item["url"]
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise _fail(field, f"expects an http(s) attachment URL, got {url!r}")
        filename = item.get("filename")
        if filename is None:
            filename = parts.path.rsplit("/", 1)[-1] or "file"
        if not isinstance(filename, str):
            raise _fail(field, "expects 'filename' to be a string")
        mime = item.get("type")
        if mime is None:
            mime = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        if not isinstance(mime, str):
            raise _fail(field, "expects 'type' to be a MIME type string")
        entry: dict[str, Any] = {
            "id": item["id"] if isinstance(item.get("id"), str) else ctx.new_attachment_id(),
            "url": url,
            "filename": filename,
            "type": mime,
        }
        size = item.get("size")
        if isinstance(size, int) and not isinstance(size, bool):
            entry["size"] = size
        stored.append(entry)
    if len(stored) > 1 and not field.get("allowMultipleEntries"):
        raise _fail(field, "holds a single attachment: send at most one")
    return stored


def _users(field: dict[str, Any], value: Any, ctx: WriteContext) -> Any:
    multiple = bool(field.get("allowMultipleEntries"))
    if isinstance(value, list) and not multiple:
        raise _fail(field, "holds one user: send {'id': ...}, not an array")
    items = value if isinstance(value, list) else [value]
    ids: list[str] = []
    for item in items:
        ref: Any = item
        by_email = False
        if isinstance(item, Mapping):
            if isinstance(item.get("id"), str):
                ref = item["id"]
            else:
                ref, by_email = item.get("email"), True
        elif isinstance(item, str):
            by_email = "@" in item
        if not isinstance(ref, str) or not ref:
            raise _fail(field, "expects a user {'id': ...} or {'email': ...}")
        user_id = ctx.resolve_user(ref, by_email)
        if user_id is None:
            raise _fail(field, f"names user {ref!r}, who is not a member of the workspace")
        if user_id not in ids:
            ids.append(user_id)
    return ids if multiple else ids[0]


def _date(field: dict[str, Any], value: Any) -> str:
    if isinstance(value, str) and _DATE_RE.match(value):
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            pass
        else:
            return value
    raise _fail(field, f"expects a date 'YYYY-MM-DD', got {value!r}")


def _datetime(field: dict[str, Any], value: Any) -> str:
    parsed = parse_instant(value) if isinstance(value, str) else None
    if parsed is None:
        raise _fail(field, f"expects an ISO-8601 date-time with an offset or 'Z', got {value!r}")
    return format_instant(parsed)


def validate_value(field: dict[str, Any], value: Any, ctx: WriteContext) -> Any:
    """The stored form of ``value`` for ``field``; None means "clear the field".

    Raises:
        StoreError: VALIDATION_ERROR naming the field (message and ``details.fieldId``).
    """
    type_ = field["type"]
    if type_ in READ_ONLY_TYPES or field.get("readonly"):
        raise _fail(field, "is read-only")
    if is_empty(value):
        return None
    if type_ == "CHECKBOX":
        if not isinstance(value, bool):
            raise _fail(field, "expects a boolean")
        return value
    if type_ in TEXT_LIMITS:
        return _text(field, value)
    if type_ in ("NUMBER", "CURRENCY", "PERCENT", "RATING", "DURATION"):
        return _number(field, value)
    if type_ == "SELECT":
        return _select(field, value, ctx)
    if type_ == "LINKED_RECORD":
        return _links(field, value, ctx)
    if type_ == "ATTACHMENT":
        return _attachments(field, value, ctx)
    if type_ == "USER":
        return _users(field, value, ctx)
    if type_ == "DATE":
        return _date(field, value)
    if type_ == "DATETIME":
        return _datetime(field, value)
    raise _fail(field, f"has type {type_}, which the emulator cannot write")


_STORED_TYPES: dict[str, tuple[type, ...]] = {
    **dict.fromkeys(TEXT_LIMITS, (str,)),
    **dict.fromkeys(("NUMBER", "CURRENCY", "PERCENT", "RATING", "DURATION"), (int, Decimal)),
    "CHECKBOX": (bool,),
    "DATE": (str,),
    "DATETIME": (str,),
}


def stored_value_problem(field: dict[str, Any], value: Any) -> str | None:
    """What is wrong with a value read back from the data file, or None when it has the stored
    form of its field (the table at the top of this module).

    Only the shape is checked, which is what reading relies on: a value of the wrong shape would
    break every read of its table, so the store keeps such a record aside instead.
    """
    type_ = field["type"]
    name = f"field '{field['name']}' ({field['id']})"
    expected = _STORED_TYPES.get(type_)
    if expected is not None:
        if isinstance(value, bool) != (type_ == "CHECKBOX") or not isinstance(value, expected):
            return f"{name} holds {type(value).__name__}, not a {type_} value"
        return None
    if type_ in ("SELECT", "USER"):
        items = value if isinstance(value, list) else [value]
        if not items or not all(isinstance(item, str) for item in items):
            return f"{name} holds something else than {type_} ids"
    elif type_ == "LINKED_RECORD":
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            return f"{name} holds something else than a list of record ids"
    elif type_ == "ATTACHMENT" and (
        not isinstance(value, list)
        or not all(isinstance(item, dict) and isinstance(item.get("url"), str) for item in value)
    ):
        return f"{name} holds something else than a list of attachments"
    return None
