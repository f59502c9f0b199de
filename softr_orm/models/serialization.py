"""Model instances as plain data: ``to_dict(mode="json")``, ``to_json()``, pickle and deepcopy.

Web apps, caches and task queues move records around as JSON or as pickles. Both must work
without the session: a session holds the API key and live connections and refuses to be
pickled, so an instance leaves it behind and finds its model's session again when next used
(:meth:`Model._own_session`). The ids of its fields travel with it, so the values it already
has can be read (and compared for change tracking) without asking for the table schema again.

JSON forms are exact and unambiguous: dates and datetimes in ISO 8601 (an aware datetime keeps
its offset, nothing is shifted), decimals as strings with every digit kept, durations in
seconds, attachments and users as small objects, linked records as ids.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from softr_orm.backends.typed import as_plain_fields, as_plain_record, is_typed
from softr_orm.fields import LinkedRecord
from softr_orm.fields.values import Attachment, SoftrUser
from softr_orm.models.hydration import Filler, fill_for_ids

if TYPE_CHECKING:
    from softr_orm.backends.base import BackendSession
    from softr_orm.models.base import Model
    from softr_orm.query.snapshot import OfflineSchema

__all__ = [
    "copy_instance",
    "from_offline_record",
    "instance_state",
    "json_default",
    "json_value",
    "to_dict",
    "to_json",
]

M = TypeVar("M", bound="Model")

DictMode = Literal["python", "json"]

#: Instance attributes that never leave the process: the session (a credential and open
#: connections) and the binding (which holds that session).
_LIVE_STATE = ("_session", "_binding")


def json_value(value: Any) -> Any:
    """``value`` as JSON-ready data (str, int, float, bool, None, lists and dicts of those).

    Raises:
        TypeError: for a value with no JSON form (the message names its type).
    """
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    converted = json_default(value)
    if isinstance(converted, list):
        return [json_value(item) for item in converted]
    if isinstance(converted, dict):
        return {str(k): json_value(v) for k, v in converted.items()}
    return converted


def json_default(value: Any) -> Any:
    """The ``default=`` hook of :func:`json.dumps` for the values this library hands out.

    Handles model instances (their ``to_dict(mode="json")``), querysets (a list of those),
    ``Decimal`` (an exact string), dates, datetimes and times (ISO 8601), ``timedelta``
    (seconds), :class:`~softr_orm.fields.values.Attachment` and
    :class:`~softr_orm.fields.values.SoftrUser`.

    Raises:
        TypeError: for anything else, as :func:`json.dumps` expects from its hook.
    """
    from softr_orm.models.base import Model
    from softr_orm.query.queryset import QuerySet

    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else str(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
        return int(seconds) if seconds == int(seconds) else seconds
    if isinstance(value, (Attachment, SoftrUser)):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, Model):
        return to_dict(value, "json")
    if isinstance(value, QuerySet):
        return [to_dict(item, "json") for item in value]
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def to_dict(instance: Model, mode: DictMode = "python") -> dict[str, Any]:
    """Field name -> value, plus ``id``; linked records appear as ids (no request is made).

    Args:
        instance: the record.
        mode: ``"python"`` keeps Python values (``Decimal``, ``date``, ...); ``"json"``
            gives JSON-ready data (see :func:`json_value`).

    Raises:
        ValueError: an unknown mode.
    """
    if mode not in ("python", "json"):
        raise ValueError(f"to_dict(mode=...) takes 'python' or 'json', not {mode!r}")
    result: dict[str, Any] = {"id": instance.id}
    d = instance.__dict__
    for attname, field in instance._meta.fields.items():
        if isinstance(field, LinkedRecord):
            if attname in d:
                ids = instance._write_form(field, d[attname])
            else:
                ids = field.to_python(instance._raw_value(attname)) or []
            result[attname] = ids if field.multiple else (ids[0] if ids else None)
        else:
            value = getattr(instance, attname)
            result[attname] = json_value(value) if mode == "json" else value
    return result


def to_json(instance: Model, **dumps_options: Any) -> str:
    """The instance as a JSON object (``to_dict(mode="json")``, dumped by :func:`json.dumps`)."""
    return json.dumps(to_dict(instance, "json"), **dumps_options)


def instance_state(instance: Model) -> dict[str, Any]:
    """What pickling keeps of an instance: everything but the session and binding.

    The binding's field ids are kept (as ``_field_ids``) so that the unpickled instance reads
    its raw values, and tracks changes against them, without reading the schema again.
    """
    state = _plain_state(instance)
    binding = state.pop("_binding", None)
    state.pop("_session", None)
    if binding is not None:
        state["_field_ids"] = dict(binding.ids)
    return state


def _plain_state(instance: Model) -> dict[str, Any]:
    """The instance's ``__dict__``, with a typed page's record and fields as plain dicts (their
    struct types are made at run time, so a pickle could not name them)."""
    state = dict(instance.__dict__)
    if is_typed(state.get("_raw")):
        state["_raw"] = as_plain_fields(state["_raw"])
    if is_typed(state.get("_record")):
        state["_record"] = as_plain_record(state["_record"])
    return state


def copy_instance(instance: Model, memo: dict[int, Any]) -> Model:
    """A deep copy of ``instance`` whose data is copied and whose session is shared.

    A session is never copied (it refuses to be); sharing it keeps a copy of a record read
    through ``using(tenant)`` writing to that tenant, not to the default session.
    """
    cls = type(instance)
    clone = cls.__new__(cls)
    memo[id(instance)] = clone
    state = _plain_state(instance)
    live = {name: state.pop(name) for name in _LIVE_STATE if name in state}
    clone.__dict__.update(copy.deepcopy(state, memo))
    clone.__dict__.update(live)
    return clone


def from_offline_record(
    cls: type[M],
    record: Mapping[str, Any],
    offline: OfflineSchema,
    session: BackendSession | None,
) -> M:
    """An instance for a raw record whose field ids are known without a request.

    It is left unbound, as an unpickled instance is: its plain fields are converted at once
    by code generated for ``offline.ids`` (as a bound record's are, see
    :mod:`softr_orm.models.hydration`), linked records are read through them when first
    read, and it binds to the live table (through ``session``, else its model's) when it is
    saved or refreshed.
    """
    known, fill = _offline_readers(cls, offline)
    raw_fields = dict(record.get("fields") or {})
    if raw_fields and known.isdisjoint(raw_fields):
        raw_fields = {offline.by_name.get(k, k): v for k, v in raw_fields.items()}
    instance = cls.__new__(cls)
    d = instance.__dict__
    d.update(
        id=record.get("id"),
        _raw=raw_fields,
        _record={**record, "fields": raw_fields},
        _field_ids=offline.ids,
        _session=session,
    )
    fill(d, raw_fields)
    return instance


def _offline_readers(cls: type[Any], offline: OfflineSchema) -> tuple[frozenset[str], Filler]:
    """The field ids of ``offline`` and the ``fill`` generated for them, made once for each
    model and kept with its offline schema."""
    found: tuple[frozenset[str], Filler] | None = offline.extra.get(cls)
    if found is None:
        found = (frozenset(offline.ids.values()), fill_for_ids(cls, offline.ids))
        offline.extra[cls] = found
    return found
