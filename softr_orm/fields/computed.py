"""Read-only field classes (computed by Softr) and :class:`Raw` for unknown types.

Re-exported by :mod:`softr_orm.fields` (import them from there). Assigning to any of them
except ``Raw`` raises :class:`~softr_orm.errors.ReadOnlyField`.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar, overload

from softr_orm.fields import values
from softr_orm.fields.base import ALL_LOOKUPS, Field, FieldOptions, ReadOnlyMixin, is_listish
from softr_orm.fields.kinds import (
    ComputedField,
    InstantField,
    NumericField,
    TextField,
    UserField,
    any_operand,
    real_number,
    whole_number,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "Autonumber",
    "CreatedAt",
    "CreatedBy",
    "Formula",
    "Lookup",
    "Raw",
    "RecordId",
    "Rollup",
    "UpdatedAt",
    "UpdatedBy",
]

_V = TypeVar("_V")
_X = TypeVar("_X")


# --- read-only -------------------------------------------------------------------------------


class Lookup(ComputedField[_V]):
    """``LOOKUP`` (read-only): the looked-up values of the linked records, as a list.

    Items stay raw JSON unless ``of=`` names the looked-up field's class (or an instance),
    which converts each item: ``Lookup("Company industry", of=Select)`` reads labels, and
    ``Lookup("Scores", of=Number)`` is typed ``list[int | float | None]``.
    """

    softr_type = "LOOKUP"
    multiple = True

    @overload
    def __init__(
        self: Lookup[list[Any]],
        name: str | None = None,
        *,
        of: None = None,
        **options: Unpack[FieldOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: Lookup[list[_X]],
        name: str | None = None,
        *,
        of: type[Field[_X]] | Field[_X],
        **options: Unpack[FieldOptions],
    ) -> None: ...
    def __init__(self, name: str | None = None, *, of: Any = None, **options: Any) -> None:
        super().__init__(name, result=of, **options)

    def _checks_multiple(self) -> bool:
        return False

    def to_python(self, raw: Any) -> Any:
        if raw is None:
            return []
        convert = self._convert
        return [convert(item) for item in (raw if type(raw) is list else [raw])]

    def to_api(self, value: Any) -> Any:
        inner = self.result_field
        if inner is None or not is_listish(value):
            return value
        return [inner.to_api(item) for item in value]


class Rollup(ComputedField[_V]):
    """``ROLLUP`` (read-only): the result of the rollup function, raw unless ``returns=``.

    Without ``returns``, non-integral numbers are floats; pass ``returns=Currency`` to keep a
    SUM of amounts exact.
    """

    softr_type = "ROLLUP"

    @overload
    def __init__(
        self: Rollup[Any],
        name: str | None = None,
        *,
        returns: None = None,
        **options: Unpack[FieldOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: Rollup[_X],
        name: str | None = None,
        *,
        returns: type[Field[_X]] | Field[_X],
        **options: Unpack[FieldOptions],
    ) -> None: ...
    def __init__(self, name: str | None = None, *, returns: Any = None, **options: Any) -> None:
        super().__init__(name, result=returns, **options)


class Formula(ComputedField[_V]):
    """``FORMULA`` (read-only): the formula's result, raw unless ``returns=`` converts it."""

    softr_type = "FORMULA"

    @overload
    def __init__(
        self: Formula[Any],
        name: str | None = None,
        *,
        returns: None = None,
        **options: Unpack[FieldOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: Formula[_X],
        name: str | None = None,
        *,
        returns: type[Field[_X]] | Field[_X],
        **options: Unpack[FieldOptions],
    ) -> None: ...
    def __init__(self, name: str | None = None, *, returns: Any = None, **options: Any) -> None:
        super().__init__(name, result=returns, **options)


class CreatedAt(ReadOnlyMixin, InstantField):
    """``CREATED_AT`` (read-only): when the record was created, an aware UTC datetime."""

    softr_type = "CREATED_AT"


class UpdatedAt(ReadOnlyMixin, InstantField):
    """``UPDATED_AT`` (read-only): when the record last changed, an aware UTC datetime."""

    softr_type = "UPDATED_AT"


class CreatedBy(ReadOnlyMixin, UserField[values.SoftrUser | None]):
    """``CREATED_BY`` (read-only): the :class:`~softr_orm.fields.values.SoftrUser` who created
    it."""

    softr_type = "CREATED_BY"

    def __init__(self, name: str | None = None, **options: Unpack[FieldOptions]) -> None:
        super().__init__(name, multiple=False, **options)


class UpdatedBy(ReadOnlyMixin, UserField[values.SoftrUser | None]):
    """``UPDATED_BY`` (read-only): the :class:`~softr_orm.fields.values.SoftrUser` who last
    edited it."""

    softr_type = "UPDATED_BY"

    def __init__(self, name: str | None = None, **options: Unpack[FieldOptions]) -> None:
        super().__init__(name, multiple=False, **options)


class Autonumber(ReadOnlyMixin, NumericField[int | None]):
    """``AUTONUMBER`` (read-only): the record's sequence number, an int."""

    softr_type = "AUTONUMBER"

    def to_python(self, raw: Any) -> int | None:
        if type(raw) is int or raw is None:
            return raw
        whole = whole_number(raw)
        return raw if whole is None else whole

    def _filter_scalar(self, value: Any, lookup: str) -> Any:
        whole = whole_number(real_number(self, value, "a whole number"))
        if whole is None:
            raise self.invalid(value, "an autonumber is a whole number")
        return whole


class RecordId(ReadOnlyMixin, TextField):
    """``RECORD_ID`` (read-only): the record's id as a str (the same as ``instance.id``)."""

    softr_type = "RECORD_ID"
    lookups = frozenset({"exact", "in", "isnull"})


# --- unknown types ---------------------------------------------------------------------------


def _is_json(value: Any, depth: int = 0) -> bool:
    if value is None or isinstance(value, (str, int)):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, Decimal):
        return value.is_finite()
    if depth > 32:
        return False
    if isinstance(value, (list, tuple)):
        return all(_is_json(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_json(v, depth + 1) for k, v in value.items())
    return False


class Raw(Field[Any]):
    """Any field type softr_orm does not know (e.g. the older ``ADDRESS`` or ``BUTTON``).

    Values pass through as raw JSON both ways, so an unknown type never breaks a read.

    Args:
        type_name: the live Softr type, for information (``for_type`` users may set it).
    """

    lookups = ALL_LOOKUPS

    def __init__(
        self,
        name: str | None = None,
        *,
        type_name: str | None = None,
        **options: Unpack[FieldOptions],
    ) -> None:
        super().__init__(name, **options)
        self.type_name = type_name

    def matches_type(self, softr_type: str, options: Mapping[str, Any]) -> bool:
        return self.type_name is None or softr_type == self.type_name

    def to_python(self, raw: Any) -> Any:
        # A private copy: in-place edits must not reach the raw value change tracking uses.
        return copy.deepcopy(raw) if type(raw) is list or type(raw) is dict else raw

    def clean(self, value: Any) -> Any:
        if not _is_json(value):
            raise self.invalid(value, "a raw field takes JSON values only")
        return value

    def _filter_scalar(self, value: Any, lookup: str) -> Any:
        return any_operand(self, value, lookup)
