"""Intermediate field bases shared by several public field classes.

One base per *kind* of value (text, number, instant, user, computed), so the public classes
in :mod:`softr_orm.fields` only state what differs: their Softr type, their value type and
the odd validation rule.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any, TypeVar

from marshmallow import ValidationError
from marshmallow import validate as _mv

from softr_orm.constants import TEXT_LIMITS
from softr_orm.fields import convert as cv
from softr_orm.fields.base import (
    COMPUTED_LOOKUPS,
    DATE_LOOKUPS,
    NUMERIC_LOOKUPS,
    SET_LOOKUPS,
    TEXT_LOOKUPS,
    Field,
    FieldOptions,
    ItemsField,
    ReadOnlyMixin,
)
from softr_orm.fields.convert import NATIVE_Z, UTC
from softr_orm.fields.values import SoftrUser

if TYPE_CHECKING:
    from typing_extensions import Unpack

_V = TypeVar("_V")
_fromisoformat = datetime.fromisoformat

EMAIL_VALIDATOR = _mv.Email()
URL_VALIDATOR = _mv.URL(schemes={"http", "https"}, require_tld=False)


def valid_email(text: str) -> bool:
    try:
        EMAIL_VALIDATOR(text)
    except ValidationError:
        return False
    return len(text) <= TEXT_LIMITS["EMAIL"]


def valid_url(text: str) -> bool:
    try:
        URL_VALIDATOR(text)
    except ValidationError:
        return False
    return True


def _text_fallback(raw: Any) -> Any:
    if raw is None or isinstance(raw, bool):
        return raw
    if isinstance(raw, (int, float, Decimal)):
        return str(raw)
    return raw


class TextField(Field[str | None]):
    """Strings, near-identity on reads; writes are checked against Softr's length limits."""

    lookups = TEXT_LOOKUPS
    _bound_max: int | None = None

    def to_python(self, raw: Any) -> str | None:
        return raw if type(raw) is str else _text_fallback(raw)

    @property
    def max_length(self) -> int:
        """The live ``maxLength`` option when bound, else the documented limit of the type."""
        return self._bound_max or TEXT_LIMITS.get(self.softr_type, TEXT_LIMITS["LONG_TEXT"])

    def _bind_options(self, options: Mapping[str, Any]) -> None:
        limit = options.get("maxLength")
        self._bound_max = limit if type(limit) is int and limit > 0 else None

    def clean(self, value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.invalid(value, "expected a str")
        value = check_unicode(self, str(value))
        if len(value) > self.max_length:
            raise self.invalid(value, f"longer than {self.max_length} characters ({len(value)})")
        return self.validate(value)

    def validate(self, value: str) -> str | None:
        """Hook for format checks (email, URL, phone); the length is already checked."""
        return value

    def _filter_scalar(self, value: Any, lookup: str) -> Any:
        if isinstance(value, str):
            return check_unicode(self, str(value))
        raise self.invalid(value, f"{lookup} on a text field takes a str")


#: Decimal exponents beyond these cannot be stored as a number (a double): ``1e999999`` would
#: take seconds of CPU to convert before failing, ``1e-999999`` would silently become 0.
_MAX_EXPONENT = 308
_MIN_EXPONENT = -308


def check_magnitude(field: Field[Any], value: int | Decimal) -> None:
    """Refuse, at once, numbers too large (or too small, but not zero) to be stored.

    Raises:
        InvalidValue: naming the model, the field and (a short form of) the value.
    """
    if isinstance(value, Decimal):
        if value and not _MIN_EXPONENT <= value.adjusted() <= _MAX_EXPONENT:
            span = f"1e{_MIN_EXPONENT} to 1e{_MAX_EXPONENT}"
            raise field.invalid(value, f"out of the range a number can hold ({span})")
    elif value.bit_length() > 1024:
        raise field.invalid(value, f"too large for a number (max about 1e{_MAX_EXPONENT})")


def check_unicode(field: Field[Any], value: str) -> str:
    """Refuse text that cannot be encoded as UTF-8 (lone surrogates), before any request."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise field.invalid(value, "not valid Unicode text (it holds a lone surrogate)") from None
    return value


def real_number(field: Field[Any], value: Any, what: str) -> int | float | Decimal:
    """A finite int, float or Decimal; bools and strings refused (for writes and filters)."""
    if isinstance(value, bool) or not isinstance(value, (Real, Decimal)):
        raise field.invalid(value, f"expected {what}")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise field.invalid(value, "not a finite number")
        check_magnitude(field, value)
        return value
    if isinstance(value, Integral):
        whole = int(value)
        check_magnitude(field, whole)
        return whole
    number = float(value)
    if not math.isfinite(number):
        raise field.invalid(value, "not a finite number (NaN and infinity cannot be stored)")
    return number


class NumericField(Field[_V]):
    """Numbers compared numerically; operands are JSON numbers."""

    lookups = NUMERIC_LOOKUPS

    def _filter_scalar(self, value: Any, lookup: str) -> Any:
        return real_number(self, value, "a number")


class InstantField(Field[datetime | None]):
    """Points in time: read as aware UTC datetimes, written as UTC ``...Z`` strings."""

    lookups = DATE_LOOKUPS

    def to_python(self, raw: Any) -> datetime | None:
        if type(raw) is str and NATIVE_Z:  # hot path: Softr's "...Z" strings
            try:
                value = _fromisoformat(raw)
            except ValueError:
                pass
            else:
                if value.tzinfo is UTC:
                    return value
        if raw is None:
            return None
        instant = cv.read_datetime(raw)
        return raw if instant is None else instant

    def clean(self, value: Any) -> datetime | None:
        if value is None:
            return None
        instant = cv.parse_datetime(value) if isinstance(value, str) else value
        if instant is None:
            raise self.invalid(value, "not an ISO 8601 date-time")
        if not isinstance(instant, datetime):
            if isinstance(instant, date):
                raise self.invalid(value, "a date has no time; pass an aware datetime.datetime")
            raise self.invalid(value, "expected an aware datetime.datetime")
        if instant.utcoffset() is None:
            raise self.invalid(value, "naive datetime: attach a tzinfo (e.g. tzinfo=timezone.utc)")
        return cv.to_milliseconds(instant)

    def to_api(self, value: Any) -> Any:
        return cv.format_datetime(value) if isinstance(value, datetime) else value

    def _filter_scalar(self, value: Any, lookup: str) -> Any:
        if isinstance(value, str):
            if cv.is_relative_token(value):
                return value
            day = cv.parse_date(value)
            if day is not None:
                return day.isoformat()
            parsed = cv.parse_datetime(value)
            if parsed is None:
                raise self.invalid(
                    value, f"{lookup} takes a date, an aware datetime or a relative token"
                )
            value = parsed
        if isinstance(value, datetime):
            if value.utcoffset() is None:
                raise self.invalid(value, "naive datetime: attach a tzinfo")
            return cv.format_datetime(value)
        if isinstance(value, date):
            return value.isoformat()  # compares the value's UTC date
        raise self.invalid(value, f"{lookup} takes a date, an aware datetime or a relative token")


class UserField(ItemsField[_V]):
    """Workspace members, read as :class:`~softr_orm.fields.values.SoftrUser`."""

    item_name = "user"
    single_lookups = SET_LOOKUPS | {"exact"}

    def read_item(self, raw: Any) -> Any:
        user = SoftrUser.from_api(raw)
        return raw if user is None else user

    def clean_item(self, value: Any) -> SoftrUser:
        if isinstance(value, SoftrUser):
            if not (value.id or value.email):
                raise ValueError("a SoftrUser needs an id or an email")
            return value
        if isinstance(value, str) and value and value == value.strip():
            if "@" in value:
                if not valid_email(value):
                    raise ValueError("not a valid email address")
                return SoftrUser(email=value)
            return SoftrUser(id=value)
        if isinstance(value, Mapping):
            user = SoftrUser.from_api(value)
            if user is not None and (user.id or user.email):
                return user
        raise ValueError("expected a SoftrUser, a user id or an email address")

    def api_item(self, item: Any) -> Any:
        return item.to_api() if isinstance(item, SoftrUser) else item

    def filter_item(self, value: Any) -> Any:
        if isinstance(value, SoftrUser):
            if not value.id:
                raise ValueError("filters compare user ids; this SoftrUser has none")
            return value.id
        if isinstance(value, str) and value:
            return str(value)
        raise ValueError("expected a SoftrUser or a user id")


def any_operand(field: Field[Any], value: Any, lookup: str) -> Any:
    """Operands for fields of unknown result type: JSON scalars and the usual Python values."""
    if isinstance(value, (str, int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise field.invalid(value, "not a finite number")
        return value
    if isinstance(value, Decimal):
        return real_number(field, value, "a number")
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise field.invalid(value, "naive datetime: attach a tzinfo")
        return cv.format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return cv.timedelta_to_seconds(value)
    if isinstance(value, SoftrUser) and value.id:
        return value.id
    record_id = getattr(value, "id", None)
    if isinstance(record_id, str) and record_id:
        return record_id
    raise field.invalid(value, f"not a valid operand for {lookup}")


def make_field(spec: Any, owner: str) -> Field[Any] | None:
    """A field instance from ``spec``: None, a Field instance, or a Field class (called)."""
    if spec is None:
        return None
    if isinstance(spec, Field):
        return spec
    if isinstance(spec, type) and issubclass(spec, Field):
        return spec()
    raise TypeError(f"{owner}: expected a field class or instance, got {spec!r}")


class ComputedField(ReadOnlyMixin, Field[_V]):
    """Formula, Rollup and Lookup: read-only values whose type is known only at run time.

    With a result field (``returns=Number``), reads, lookups and filter operands follow that
    field; without one, values stay raw JSON (non-integral numbers as float) and every
    lookup but ``within`` is let through for Softr to judge.
    """

    lookups = COMPUTED_LOOKUPS

    def __init__(
        self, name: str | None = None, *, result: Any = None, **options: Unpack[FieldOptions]
    ) -> None:
        super().__init__(name, **options)
        self.result_field = make_field(result, type(self).__name__)
        if self.result_field is not None and not self.multiple:
            self.lookups = self.result_field.lookups

    def __set_name__(self, owner: type[Any], attname: str) -> None:
        super().__set_name__(owner, attname)
        if self.result_field is not None:
            self.result_field.__set_name__(owner, attname)

    def _convert(self, raw: Any) -> Any:
        inner = self.result_field
        return cv.plain(raw) if inner is None else inner.to_python(raw)

    def to_python(self, raw: Any) -> Any:
        return None if raw is None else self._convert(raw)

    def to_api(self, value: Any) -> Any:
        inner = self.result_field
        return value if inner is None else inner.to_api(value)

    def to_filter_value(self, value: Any, lookup: str) -> Any:
        inner = self.result_field
        if inner is not None and not self.multiple:
            return inner.to_filter_value(value, lookup)
        return super().to_filter_value(value, lookup)

    def _filter_scalar(self, value: Any, lookup: str) -> Any:
        inner = self.result_field
        if inner is not None:
            return inner._filter_scalar(value, lookup)
        return any_operand(self, value, lookup)


def whole_number(value: Any) -> int | None:
    """An int from an int, an integral float/Decimal or a numeric str; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        value = cv.number_from_str(value)
    if isinstance(value, (float, Decimal)) and math.isfinite(value) and value == int(value):
        return int(value)
    return None
