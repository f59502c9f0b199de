"""Softr's record pages decoded into structs made for one table (see
:mod:`softr_orm.backends.typed`).

Only values with a single reading are typed: ``CURRENCY`` as :class:`~decimal.Decimal` (the
exact digits, as :mod:`softr_orm.http.jsonutil` reads them) and ``DATE`` as
:class:`datetime.date`, which msgspec takes only as ``YYYY-MM-DD``, the one form the field's
``to_python`` reads to the same day. Everything else is decoded as plain JSON (non-integer
numbers as ``Decimal``, as on the plain path): date-times, for one, because msgspec rounds
digits past the microsecond where the field's reader cuts them.

A ``Decimal`` is also decoded from a string, which takes ``"NaN"`` and ``"Infinity"`` too; the
field's reader keeps those strings unchanged, so a page holding a non-finite one in a typed
field is refused (``msgspec.ValidationError``) and read as plain JSON.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Collection, Sequence
from decimal import Decimal
from typing import Any

import msgspec

from softr_orm.backends.base import FieldDefinition, Record
from softr_orm.backends.typed import WireFields, WireRecord, fields_struct

__all__ = ["TypedPage", "page_decoder", "wire_type"]

_WIRE_TYPES: dict[str, Any] = {"CURRENCY": Decimal, "DATE": dt.date}


def wire_type(field: FieldDefinition) -> Any:
    """The type a field's value is decoded as (``Any``: plain JSON)."""
    if field.allow_multiple_entries:
        return Any
    return _WIRE_TYPES.get(field.type, Any)


class TypedPage(msgspec.Struct):
    """Base of the per-table page structs: ``data`` (records) and ``metadata`` (plain)."""

    def records(self) -> list[Record]:
        """The page's records, each checked to have an id, as :func:`wire.read_page` does.

        Raises:
            UnexpectedResponse: a record whose id is empty.
        """
        from softr_orm.backends.softr.wire import UnexpectedResponse

        data: list[Any] = getattr(self, "data")  # noqa: B009 (declared by each subclass)
        for record in data:
            if not record.id:
                raise UnexpectedResponse(f"expected a record with an id, got id={record.id!r}")
        return data

    metadata: Any = None


_decoders: dict[type[WireFields], Callable[[bytes], Any]] = {}
_lock = threading.Lock()


def page_decoder(
    fields: Sequence[FieldDefinition], plain: Collection[str] = ()
) -> tuple[Callable[[bytes], Any], dict[str, str]]:
    """The typed decoder of pages holding ``fields``, and field id -> attribute of their
    records' ``fields`` (one per table shape, kept for the process); the fields whose ids
    are in ``plain`` are decoded as plain JSON whatever their type."""
    pairs = [(f.id, Any if f.id in plain else wire_type(f)) for f in fields]
    struct = fields_struct(pairs)
    with _lock:
        decode = _decoders.get(struct)
        if decode is None:
            record = msgspec.defstruct(
                "SoftrRecord",
                [
                    ("fields", struct, msgspec.field(default_factory=struct)),
                    ("tableId", Any, None),
                    ("createdAt", Any, None),
                    ("updatedAt", Any, None),
                ],
                bases=(WireRecord,),
                gc=False,
                module=__name__,
            )
            page = msgspec.defstruct(
                "SoftrPage",
                [("data", list[record])],  # type: ignore[valid-type]
                bases=(TypedPage,),
                kw_only=True,
                module=__name__,
            )
            decode = msgspec.json.Decoder(page, float_hook=Decimal).decode
            decimals = [struct.__attrs__[key] for key, kind in pairs if kind is Decimal]
            if decimals:
                decode = _finite_only(decode, decimals)
            _decoders[struct] = decode
    return decode, dict(struct.__attrs__)


def _finite_only(decode: Callable[[Any], Any], attrs: list[str]) -> Callable[[bytes], Any]:
    """``decode``, refusing a page where one of ``attrs`` holds a non-finite Decimal.

    The values are checked one by one (a few tens of nanoseconds a record): searching the
    body for the spellings first cost more than that, case-insensitively, on a whole page.
    """

    def checked(content: bytes | str) -> Any:
        page = decode(content)
        for record in page.data:
            values = record.fields
            for attr in attrs:
                value = getattr(values, attr)
                if value is not None and not value.is_finite():
                    raise msgspec.ValidationError(f"a non-finite decimal: {value}")
        return page

    return checked
