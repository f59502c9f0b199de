"""Lenient readers for the JSON the Softr APIs send: envelopes, records, pages, timestamps.

Softr's answers drift (new keys, optional ``metadata``, two timestamp precisions, numbers as
:class:`~decimal.Decimal` from :mod:`softr_orm.http.jsonutil`), so these helpers never assume more
than the contract promises and raise :class:`UnexpectedResponse` only when a shape is plainly
wrong (an object where a list belongs).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, cast

from dateutil import parser as _dateparser

from softr_orm.backends.base import Record, RecordPage
from softr_orm.backends.softr.typed_pages import TypedPage
from softr_orm.errors import UnexpectedResponse

__all__ = [
    "Record",
    "RecordPage",
    "UnexpectedResponse",
    "as_bool",
    "as_dict",
    "as_mapping",
    "as_str",
    "opt_bool",
    "opt_int",
    "opt_str",
    "parse_timestamp",
    "read_list",
    "read_object",
    "read_page",
    "read_record",
    "require_record",
    "unwrap",
]


# --- lenient readers ---------------------------------------------------------------------


def parse_timestamp(value: object) -> dt.datetime | None:
    """Parse an API timestamp into an aware UTC-or-offset datetime; ``None`` if not parseable.

    Softr's examples use both ``...12:00:00.000Z`` and ``...12:14:44Z``; naive strings are taken
    as UTC, and numbers as epoch milliseconds (the unit Softr's own tools compare against).
    """
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        try:
            return dt.datetime.fromtimestamp(float(value) / 1000.0, tz=dt.timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    elif isinstance(value, str) and value.strip():
        try:
            parsed = _dateparser.isoparse(value.strip())
        except (ValueError, OverflowError):
            try:
                parsed = _dateparser.parse(value)
            except (ValueError, OverflowError):
                return None
    else:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed


def as_str(value: object, default: str = "") -> str:
    if value is None:
        return default
    return value if isinstance(value, str) else str(value)


def opt_str(value: object) -> str | None:
    return None if value is None else as_str(value)


def as_bool(value: object, default: bool = False) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() == "true"
    if value is None:
        return default
    return bool(value)


def opt_bool(value: object) -> bool | None:
    return None if value is None else as_bool(value)


def opt_int(value: object) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value))
    except ValueError:
        return None


def as_dict(value: object) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def as_mapping(data: object, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise UnexpectedResponse(f"expected a JSON object for {what}, got {type(data).__name__}")
    return data


# --- envelopes ---------------------------------------------------------------------------


def unwrap(body: Any) -> Any:
    """The ``data`` of a ``{"data": ..., "metadata": ...}`` envelope (the body itself if bare)."""
    if isinstance(body, Mapping) and "data" in body:
        return body["data"]
    return body


def read_object(body: Any, what: str) -> Mapping[str, Any]:
    """The enveloped object of a single-object answer; it must have an id (a non-empty str).

    Raises:
        UnexpectedResponse: no object, or an object without an id.
    """
    data = unwrap(body)
    if not isinstance(data, Mapping):
        raise UnexpectedResponse(f"expected {what} object, got {type(data).__name__}")
    _require_id(data, what)
    return data


def _require_id(data: Mapping[str, Any], what: str) -> None:
    value = data.get("id")
    if not isinstance(value, str) or not value:
        raise UnexpectedResponse(f"expected {what} with an id, got id={value!r}")


def read_list(body: Any, what: str) -> list[Mapping[str, Any]]:
    """The enveloped objects of a list answer.

    An empty body (204, or nothing at all), a ``data`` that is not a list, and items that are
    not objects are refused: counting them as "no results" would be a silent wrong answer.
    """
    if body is None:
        raise UnexpectedResponse(f"expected a list of {what}, got an empty answer")
    data = unwrap(body)
    if not isinstance(data, list):
        raise UnexpectedResponse(f"expected a list of {what}, got {type(data).__name__}")
    for item in data:
        if not isinstance(item, Mapping):
            raise UnexpectedResponse(
                f"expected a list of {what}, got an item that is {type(item).__name__}"
            )
        _require_id(item, f"each of the {what}")
    return data


def read_record(data: Mapping[str, Any]) -> Record:
    """A record dict with ``fields`` guaranteed to be a dict (missing/null values are absent).

    Raises:
        UnexpectedResponse: the record has no id (a string), or ``fields`` is not an object.
    """
    record = dict(data)
    record_id = record.get("id")
    if not isinstance(record_id, str) or not record_id:
        raise UnexpectedResponse(f"expected a record with an id, got id={record_id!r}")
    fields = record.get("fields")
    if fields is None:
        record["fields"] = {}
    elif not isinstance(fields, dict):
        raise UnexpectedResponse(
            f"record {record_id}: expected its fields as an object, got {type(fields).__name__}"
        )
    return cast(Record, record)


def require_record(body: Any, record_id: str | None = None) -> Record:
    """The record of a single-record answer; with ``record_id``, it must be that record.

    Raises:
        UnexpectedResponse: no record, a record without an id, or another record than asked.
    """
    record = read_record(read_object(body, "a record"))
    if record_id is not None and record["id"] != record_id:
        raise UnexpectedResponse(
            f"asked for record {record_id}, the answer holds record {record['id']}"
        )
    return record


def _int_or(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _read_records(body: Any) -> list[Record]:
    """The records of a list answer, as :func:`read_record` reads each (same checks, same
    errors), in one pass over a freshly decoded answer: its record dicts are used as they
    are (a missing ``fields`` becomes ``{}`` in place) rather than copied, as every page of
    every scan goes through here."""
    data = body.get("data") if body.__class__ is dict else None
    if data.__class__ is list:
        for item in data:
            if item.__class__ is not dict:
                break
            record_id = item.get("id")
            if record_id.__class__ is not str or not record_id:
                break
            fields = item.get("fields")
            if fields.__class__ is not dict:
                if fields is not None:
                    break
                item["fields"] = {}
        else:
            return cast(list[Record], data)
    return [read_record(r) for r in read_list(body, "records")]


def read_page(body: Any, offset: int, limit: int) -> RecordPage:
    """A :class:`RecordPage` from a list/search answer; ``offset``/``limit`` fill a missing
    ``metadata`` (then ``total`` is ``None``).

    Raises:
        UnexpectedResponse: an empty answer, records without ids, more records than ``limit``,
            a page from another ``offset`` than asked (a server that ignores ``offset``), a
            ``total`` that is negative or smaller than the records already seen.
    """
    if isinstance(body, TypedPage):
        records = body.records()
        meta: Any = body.metadata
    else:
        records = _read_records(body)
        meta = body.get("metadata") if isinstance(body, Mapping) else None
    if len(records) > limit:
        raise UnexpectedResponse(f"asked for {limit} records, got {len(records)}")
    if not isinstance(meta, Mapping):
        return RecordPage(records=records, offset=offset, limit=limit, total=None)
    total = meta.get("total")
    total = total if isinstance(total, int) and not isinstance(total, bool) else None
    answered_offset = _int_or(meta.get("offset"), offset)
    if answered_offset != offset:
        raise UnexpectedResponse(
            f"asked for the page at offset {offset}, got the page at offset {answered_offset} "
            "(the server ignores offset?)"
        )
    if total is not None and (total < 0 or (records and total < offset + len(records))):
        raise UnexpectedResponse(
            f"a total of {total} cannot hold {len(records)} records at offset {offset}"
        )
    return RecordPage(
        records=records,
        offset=answered_offset,
        limit=_int_or(meta.get("limit"), limit),
        total=total,
    )
