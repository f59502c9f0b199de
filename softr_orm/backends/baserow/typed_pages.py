"""Baserow's row pages decoded into structs made for one table (see
:mod:`softr_orm.backends.typed`).

A row decodes into a :class:`~softr_orm.backends.typed.WireRow` (its values beside its id;
the ``order`` and the other columns the model does not read are skipped). Select options
decode into :class:`BaserowOption`, whose label is Baserow's ``value`` (their colours are
skipped), which is what :mod:`softr_orm.backends.baserow.values` rewrites plain rows into.
Date-only dates decode as :class:`datetime.date`, which the date field reads to the same day
as their text. Numbers stay text (``"42"``, ``"12.50"``): which Python value they become
(``int``, ``float``, ``Decimal``) is the model's field's choice, and the generated code makes
it as the field does.

A table whose model reads a link, file, collaborator, lookup or array formula column is not
typed (:func:`page_decoder` answers None): those values are rewritten by the plain reader in
ways a decoder cannot (ids as text, nested values).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Collection, Sequence
from decimal import Decimal
from typing import Any

import msgspec

from softr_orm.backends.baserow.schema import BaserowField
from softr_orm.backends.typed import WireFields, WireOption, WireRow, fields_struct

__all__ = ["BaserowOption", "BaserowPage", "page_decoder", "wire_type"]

#: The plain reader rewrites these (values.py ``_READERS``); a typed page cannot.
_UNTYPED = frozenset(
    {"link_row", "file", "multiple_collaborators", "created_by", "last_modified_by", "lookup"}
)


class BaserowOption(WireOption, rename={"label": "value"}):
    """A select option as Baserow answers it: ``{"id", "value", "color"}``."""

    id: Any = None
    label: Any = None


def wire_type(field: BaserowField) -> Any:
    """The type a column decodes as (``Any``: plain JSON), or None when it cannot be typed."""
    kind = field.baserow_type
    if kind in _UNTYPED:
        return None
    if kind in ("formula", "rollup", "count"):
        kind = field.result_type
        if kind in ("array", "link"):
            return None
    if kind == "single_select":
        return BaserowOption
    if kind == "multiple_select":
        return list[BaserowOption]
    if kind == "date" and not field.raw.get("date_include_time"):
        return dt.date
    return Any


class BaserowPage(msgspec.Struct):
    """Base of the per-table page structs: ``count`` and ``results`` (``next`` and
    ``previous`` are skipped)."""

    count: Any = None


_decoders: dict[type[WireFields], Callable[[bytes], Any]] = {}
_lock = threading.Lock()


def page_decoder(
    fields: Sequence[BaserowField], plain: Collection[str] = ()
) -> tuple[Callable[[bytes], Any], dict[str, str]] | None:
    """The typed decoder of row pages holding ``fields`` and field id -> attribute of their
    rows, or None when one of them cannot be typed. The fields whose ids are in ``plain``
    (read by another reader than their type's own) are decoded as plain JSON."""
    kinds = []
    for f in fields:
        kind = wire_type(f)
        kinds.append((f.id, Any if kind is not None and f.id in plain else kind))
    if any(kind is None for _, kind in kinds):
        return None
    struct = fields_struct(kinds, WireRow)
    with _lock:
        decode = _decoders.get(struct)
        if decode is None:
            page = msgspec.defstruct(
                "BaserowRowPage",
                [("results", list[struct], msgspec.field(default_factory=list))],  # type: ignore[valid-type]
                bases=(BaserowPage,),
                module=__name__,
            )
            decode = msgspec.json.Decoder(page, float_hook=Decimal).decode
            _decoders[struct] = decode
    return decode, dict(struct.__attrs__)
