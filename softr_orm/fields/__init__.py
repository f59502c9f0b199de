"""Field descriptors: one class per Softr field type, plus :class:`Raw` for unknown types.

Declare them on a model; reading the attribute on an instance gives the Python value::

    class Contact(Model):
        score = fields.Number("Score")                 # int | float | None
        tags = fields.Select("Tags", multiple=True)    # list[str]
        company = fields.LinkedRecord("Company", to=Company)   # list[Company]

Read leniently, write strictly (design.md §1): every read shape seen in softr-api.md §4.2
is accepted, the documented form is always written, and a bad assignment raises
:class:`~softr_orm.errors.InvalidValue` naming model, field and value before any request.
The full table (Softr type, class, Python type, lookups) is in ``docs/fields.md``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from softr_orm.fields import convert as cv
from softr_orm.fields.base import CHECKBOX_LOOKUPS, DATE_LOOKUPS, Field
from softr_orm.fields.computed import (
    Autonumber,
    CreatedAt,
    CreatedBy,
    Formula,
    Lookup,
    Raw,
    RecordId,
    Rollup,
    UpdatedAt,
    UpdatedBy,
)
from softr_orm.fields.kinds import (
    InstantField,
    NumericField,
    TextField,
    check_magnitude,
    real_number,
    valid_email,
    valid_url,
    whole_number,
)
from softr_orm.fields.relations import Attachment, LinkedRecord, Select, User

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from softr_orm.fields.base import FieldOptions

__all__ = [
    "FIELD_CLASSES",
    "URL",
    "Attachment",
    "Autonumber",
    "Checkbox",
    "CreatedAt",
    "CreatedBy",
    "Currency",
    "Date",
    "DateTime",
    "Duration",
    "Email",
    "Field",
    "Formula",
    "LinkedRecord",
    "LongText",
    "Lookup",
    "Number",
    "Percent",
    "Phone",
    "Rating",
    "Raw",
    "RecordId",
    "Rollup",
    "Select",
    "SingleLineText",
    "Unknown",
    "UpdatedAt",
    "UpdatedBy",
    "User",
    "for_type",
]

# --- text ------------------------------------------------------------------------------------


class SingleLineText(TextField):
    """``SINGLE_LINE_TEXT``: a str of at most 1,024 characters (or the live ``maxLength``)."""

    softr_type = "SINGLE_LINE_TEXT"


class LongText(TextField):
    """``LONG_TEXT``: a str of at most 65,536 characters (plain, HTML or Markdown)."""

    softr_type = "LONG_TEXT"


class Email(TextField):
    """``EMAIL``: a syntactically valid address of at most 320 characters; ``""`` clears."""

    softr_type = "EMAIL"

    def validate(self, value: str) -> str | None:
        if not value:
            return None
        if not valid_email(value):
            raise self.invalid(value, "not a valid email address")
        return value


class URL(TextField):
    """``URL``: an absolute ``http``/``https`` URL with a host, at most 2,000 characters."""

    softr_type = "URL"

    def validate(self, value: str) -> str | None:
        if not value:
            return None
        if not valid_url(value):
            raise self.invalid(value, "not a valid http(s) URL")
        return value


_PHONE = re.compile(r"[0-9+().\- ]*[0-9][0-9+().\- ]*")


class Phone(TextField):
    """``PHONE``: at most 25 characters of digits, ``+``, spaces, ``()``, ``-`` and ``.``."""

    softr_type = "PHONE"

    def validate(self, value: str) -> str | None:
        if not value:
            return None
        if not _PHONE.fullmatch(value):
            raise self.invalid(
                value, "a phone number has digits and only + ( ) - . and spaces besides"
            )
        return value


# --- numbers ---------------------------------------------------------------------------------


class Number(NumericField[int | float | None]):
    """``NUMBER``: an int stays an int, a non-integral JSON number is a float.

    Writes take int, float or Decimal (bools, NaN and infinity are refused).
    """

    softr_type = "NUMBER"

    def to_python(self, raw: Any) -> int | float | None:
        kind = type(raw)
        if kind is int or kind is float or raw is None:
            return raw  # type: ignore[no-any-return]
        if kind is Decimal:
            return float(raw)
        if kind is str:
            number = cv.number_from_str(raw)
            return raw if number is None else number
        return raw  # type: ignore[no-any-return]

    def clean(self, value: Any) -> int | float | None:
        if value is None:
            return None
        number = real_number(self, value, "a number (int, float or Decimal)")
        if isinstance(number, Decimal):
            exponent = number.as_tuple().exponent
            return int(number) if isinstance(exponent, int) and exponent >= 0 else float(number)
        return number


class Percent(Number):
    """``PERCENT``: a number on Softr's 0-100 scale (``50`` means 50 %, not ``0.5``)."""

    softr_type = "PERCENT"


class Currency(NumericField[Decimal | None]):
    """``CURRENCY``: an exact Decimal amount, never a float.

    Writes take Decimal, int or a numeric str (``"19.99"``). Floats are refused: ``0.1 + 0.2``
    is not ``0.3``, and a currency field is where that bites.
    """

    softr_type = "CURRENCY"

    def to_python(self, raw: Any) -> Decimal | None:
        if type(raw) is Decimal or raw is None:
            return raw
        amount = cv.decimal_from(raw)
        return raw if amount is None or not amount.is_finite() else amount

    def clean(self, value: Any) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, float):
            raise self.invalid(
                value, "floats are inexact for money; pass a Decimal or a str such as '19.99'"
            )
        if isinstance(value, bool) or not isinstance(value, (int, str, Decimal)):
            raise self.invalid(value, "expected a Decimal, an int or a numeric str")
        amount = cv.decimal_from(value)
        if amount is None or not amount.is_finite():
            raise self.invalid(value, "not a finite decimal number")
        check_magnitude(self, amount)
        return amount

    def _filter_scalar(self, value: Any, lookup: str) -> Any:
        number = real_number(self, value, "a number (Decimal, int or float)")
        return number if isinstance(number, int) else cv.decimal_from(number)


class Rating(NumericField[int | None]):
    """``RATING``: a whole number from 1 to the field's maximum (``options.max``, default 5).

    ``1.9`` is refused, never truncated; ``2.0`` is taken as 2. Clear with None.

    Args:
        max: the maximum to assume until the live schema is bound (default 5).
    """

    softr_type = "RATING"
    _bound_max: int | None = None

    def __init__(
        self, name: str | None = None, *, max: int | None = None, **options: Unpack[FieldOptions]
    ) -> None:
        super().__init__(name, **options)
        if max is not None and (type(max) is not int or max < 1):
            raise TypeError("Rating: max must be a positive int")
        self.declared_max = max

    @property
    def max_rating(self) -> int:
        """The live ``options.max`` when bound, else the declared ``max``, else 5."""
        return self._bound_max or self.declared_max or 5

    def _bind_options(self, options: Mapping[str, Any]) -> None:
        limit = options.get("max")
        self._bound_max = limit if type(limit) is int and limit > 0 else None

    def to_python(self, raw: Any) -> int | None:
        if type(raw) is int or raw is None:
            return raw
        whole = whole_number(raw)
        return raw if whole is None else whole

    def clean(self, value: Any) -> int | None:
        if value is None:
            return None
        whole = whole_number(real_number(self, value, "a whole number"))
        if whole is None:
            raise self.invalid(value, "a rating is a whole number; it is never rounded")
        if not 1 <= whole <= self.max_rating:
            raise self.invalid(
                value, f"a rating goes from 1 to {self.max_rating}; clear it with None"
            )
        return whole

    def _filter_scalar(self, value: Any, lookup: str) -> Any:
        whole = whole_number(real_number(self, value, "a whole number"))
        if whole is None:
            raise self.invalid(value, "a rating is a whole number")
        return whole


class Duration(NumericField[timedelta | None]):
    """``DURATION``: a ``datetime.timedelta``, stored by Softr as a number of seconds.

    Writes take a timedelta only (a bare number is ambiguous: seconds? minutes?); filters
    also take numbers, as seconds. Whole seconds are written as an int, others exactly.
    """

    softr_type = "DURATION"

    def to_python(self, raw: Any) -> timedelta | None:
        if raw is None:
            return None
        value = cv.seconds_to_timedelta(raw)
        return raw if value is None else value

    def clean(self, value: Any) -> timedelta | None:
        if value is None or isinstance(value, timedelta):
            return value
        raise self.invalid(value, "expected a datetime.timedelta (Softr stores seconds)")

    def to_api(self, value: Any) -> Any:
        return cv.timedelta_to_seconds(value) if isinstance(value, timedelta) else value

    def _filter_scalar(self, value: Any, lookup: str) -> Any:
        if isinstance(value, timedelta):
            return cv.timedelta_to_seconds(value)
        return real_number(self, value, "a timedelta or a number of seconds")


class Checkbox(Field[bool]):
    """``CHECKBOX``: a bool; missing and null read as False. Writes take True or False only."""

    softr_type = "CHECKBOX"
    lookups = CHECKBOX_LOOKUPS

    def to_python(self, raw: Any) -> bool:
        if raw is True or raw is False:
            return raw
        if raw is None:
            return False
        if type(raw) is int and raw in (0, 1):
            return bool(raw)
        if isinstance(raw, str) and raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        return raw  # type: ignore[no-any-return]

    def clean(self, value: Any) -> bool:
        if type(value) is bool:
            return value
        raise self.invalid(value, "expected True or False")

    def _filter_scalar(self, value: Any, lookup: str) -> Any:
        if type(value) is bool:
            return value
        raise self.invalid(value, f"{lookup} on a checkbox takes True or False")


# --- dates -----------------------------------------------------------------------------------


class Date(Field[date | None]):
    """``DATE``: a ``datetime.date``, written ``"YYYY-MM-DD"``.

    A datetime is refused (it is a date subclass, so it would otherwise slip through and
    lose its time silently). Writes also take an ISO date string.
    """

    softr_type = "DATE"
    lookups = DATE_LOOKUPS

    def to_python(self, raw: Any) -> date | None:
        if type(raw) is str:
            day = cv.read_date(raw)
            return raw if day is None else day  # type: ignore[return-value]
        return raw  # type: ignore[no-any-return]

    def clean(self, value: Any) -> date | None:
        if value is None:
            return None
        if isinstance(value, datetime):
            raise self.invalid(value, "a datetime is not a date; pass value.date()")
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            day = cv.parse_date(value)
            if day is not None:
                return day
            raise self.invalid(value, "not an ISO date (YYYY-MM-DD)")
        raise self.invalid(value, "expected a datetime.date")

    def to_api(self, value: Any) -> Any:
        return value.isoformat() if isinstance(value, date) else value

    def matches_type(self, softr_type: str, options: Mapping[str, Any]) -> bool:
        # Before the DATE type existed, a date-only field was a DATETIME with precision DATE.
        return softr_type == "DATE" or (
            softr_type == "DATETIME" and options.get("precision") == "DATE"
        )

    def _filter_scalar(self, value: Any, lookup: str) -> Any:
        if isinstance(value, str):
            if cv.is_relative_token(value) or cv.parse_date(value) is not None:
                return str(value)
        elif isinstance(value, date) and not isinstance(value, datetime):
            return value.isoformat()
        raise self.invalid(
            value, f"{lookup} takes a datetime.date, 'YYYY-MM-DD' or a relative token"
        )


class DateTime(InstantField):
    """``DATETIME``: an aware ``datetime.datetime``; naive values are refused.

    Values are never shifted: what you assign stays as assigned (in its own time zone) and is
    written as UTC ``"YYYY-MM-DDTHH:MM:SS.sssZ"``; reads come back in UTC. Softr keeps
    milliseconds, so assignments drop sub-millisecond digits.
    """

    softr_type = "DATETIME"


Unknown = Raw

#: Softr type name -> field class, for all 26 documented types.
FIELD_CLASSES: dict[str, type[Field[Any]]] = {
    cls.softr_type: cls
    for cls in (
        SingleLineText,
        Checkbox,
        Currency,
        Date,
        DateTime,
        Duration,
        Email,
        Select,
        Number,
        Attachment,
        Rating,
        LinkedRecord,
        LongText,
        URL,
        Percent,
        Phone,
        Lookup,
        Rollup,
        Formula,
        CreatedAt,
        UpdatedAt,
        CreatedBy,
        UpdatedBy,
        Autonumber,
        RecordId,
        User,
    )
}


def for_type(softr_type: str) -> type[Field[Any]]:
    """The field class for a Softr type name (case-insensitive); :class:`Raw` if unknown."""
    key = softr_type.strip().upper() if isinstance(softr_type, str) else ""
    return FIELD_CLASSES.get(key, Raw)
