"""The generic machinery behind :mod:`softr_orm.fields`.

``Field`` is a typed data descriptor: on the class it returns itself, on an instance it asks
the instance (``instance._get_field_value(field)``, implemented by :mod:`softr_orm.models.base`)
and types the answer with the field's value type. Conversion is split in four jobs:

* ``to_python(raw)``: read leniently; never raises, keeps odd values rather than losing them.
* ``clean(value)``: validate strictly what a user assigns; raises ``InvalidValue`` (or
  ``ReadOnlyField``), naming model, field and value, before any request is made.
* ``to_api(value)``: the documented write form of a cleaned value.
* ``to_filter_value(value, lookup)``: the operand of a search condition.

Two intermediate bases carry what the concrete classes share: :class:`ItemsField` (one item,
or a list of items with ``multiple=True``) and :class:`ReadOnlyMixin`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, NoReturn, TypedDict, TypeVar, overload

from softr_orm.constants import LOOKUPS, MULTI_VALUE_TYPES, READ_ONLY_TYPES
from softr_orm.errors import InvalidValue, ReadOnlyField, UnsupportedLookup

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "ALL_LOOKUPS",
    "CHECKBOX_LOOKUPS",
    "COMPUTED_LOOKUPS",
    "DATE_LOOKUPS",
    "NUMERIC_LOOKUPS",
    "SET_LOOKUPS",
    "TEXT_LOOKUPS",
    "Field",
    "FieldOptions",
    "ItemsField",
    "ReadOnlyMixin",
]

_V = TypeVar("_V")
_F = TypeVar("_F", bound="Field[Any]")

#: Every lookup name (softr_orm.constants.LOOKUPS); each field class supports a subset.
ALL_LOOKUPS: frozenset[str] = frozenset(LOOKUPS)
TEXT_LOOKUPS = frozenset({"exact", "contains", "startswith", "endswith", "in", "isnull"})
NUMERIC_LOOKUPS = frozenset({"exact", "gt", "gte", "lt", "lte", "in", "range", "isnull"})
DATE_LOOKUPS = frozenset({"exact", "gt", "gte", "lt", "lte", "range", "within", "isnull"})
CHECKBOX_LOOKUPS = frozenset({"exact", "isnull"})
SET_LOOKUPS = frozenset({"has_any", "has_all", "has_none", "isnull"})
#: Formula/Lookup/Rollup results have a type the client does not know: let Softr judge.
COMPUTED_LOOKUPS = ALL_LOOKUPS - {"within"}

_LIST_LOOKUPS = frozenset({"in", "has_any", "has_all", "has_none"})
_TEXT_OPERANDS = frozenset({"contains", "startswith", "endswith"})


class FieldOptions(TypedDict, total=False):
    """Keyword options every field accepts (see :class:`Field`)."""

    field_id: str | None
    required: bool
    help_text: str | None


def _label(field: Any) -> str:
    return getattr(field, "attname", "") or getattr(field, "name", None) or "?"


def _model_name(field: Any) -> str:
    model = getattr(field, "model", None)
    return getattr(model, "__name__", "?") if model is not None else "?"


def is_listish(value: object) -> bool:
    """A list-like operand: iterable but not a string, bytes or a mapping."""
    return isinstance(value, Iterable) and not isinstance(value, (str, bytes, Mapping))


class Field(Generic[_V]):
    """Base class of every field descriptor.

    ``_V`` is what reading the attribute on an instance gives: ``str | None`` for a text
    field, ``list[str]`` for a multiple select (list fields are never None: empty is ``[]``).

    Args:
        name: the Softr field name; None means "the attribute name".
        field_id: pin the field by id instead (survives renames in Softr).
        required: the model refuses to create a record without a value.
        help_text: free documentation, shown by tools.
    """

    softr_type: ClassVar[str] = ""
    read_only: ClassVar[bool] = False
    #: Lookups this field supports. A class default; fields whose lookups depend on
    #: ``multiple`` (Select, User, LinkedRecord) set it per instance.
    lookups: frozenset[str] = frozenset({"exact", "isnull"})
    multiple: bool = False
    #: True only for LinkedRecord, whose values the model turns into related instances.
    is_link: ClassVar[bool] = False
    model: type[Any] | None = None
    attname: str = ""
    #: The live field last passed to :meth:`bind_schema`, or None.
    table_field: Any = None

    def __init__(
        self,
        name: str | None = None,
        *,
        field_id: str | None = None,
        required: bool = False,
        help_text: str | None = None,
    ) -> None:
        if name is not None and (not isinstance(name, str) or not name):
            raise TypeError(f"{type(self).__name__}: the field name must be a non-empty str")
        if field_id is not None and (not isinstance(field_id, str) or not field_id):
            raise TypeError(f"{type(self).__name__}: field_id must be a non-empty str")
        self.name = name
        self.field_id = field_id
        self.required = bool(required)
        self.help_text = help_text

    def __set_name__(self, owner: type[Any], attname: str) -> None:
        self.model = owner
        self.attname = attname

    @overload
    def __get__(self: _F, instance: None, owner: type[Any] | None = None) -> _F: ...
    @overload
    def __get__(self, instance: Any, owner: type[Any] | None = None) -> _V: ...
    def __get__(self, instance: Any, owner: type[Any] | None = None) -> Any:
        if instance is None:
            return self
        return instance._get_field_value(self)

    if TYPE_CHECKING:
        # Only for type checkers: at run time a field is a non-data descriptor, so that a
        # value, once converted, is cached in the instance's __dict__ and read back at C
        # speed. Assignments are intercepted by Model.__setattr__ instead.
        def __set__(self, instance: Any, value: Any) -> None: ...

    def __repr__(self) -> str:
        where = f"{_model_name(self)}.{self.attname}" if self.attname else "unbound"
        pinned = f" field_id={self.field_id!r}" if self.field_id else ""
        return f"<{type(self).__name__} {where} name={self.name!r}{pinned}>"

    # --- helpers for subclasses -----------------------------------------------------------

    @property
    def model_name(self) -> str:
        """The owning model's class name, ``"?"`` while unbound (for messages)."""
        return _model_name(self)

    @property
    def label(self) -> str:
        """How messages name the field: the attribute name, else the Softr name."""
        return _label(self)

    def invalid(self, value: object, reason: str) -> InvalidValue:
        """An ``InvalidValue`` naming this field's model and attribute."""
        return InvalidValue(_model_name(self), _label(self), value, reason)

    # --- conversions ----------------------------------------------------------------------

    def to_python(self, raw: Any) -> Any:
        """Lenient read of an API value. Never raises; odd values come back unchanged."""
        return raw

    def clean(self, value: Any) -> Any:
        """Validate and normalise an assigned value (strict). Raises ``InvalidValue``."""
        return value

    def to_api(self, value: Any) -> Any:
        """The JSON-ready write form of a cleaned value (Decimals allowed)."""
        return value

    def to_filter_value(self, value: Any, lookup: str) -> Any:
        """The operand of a search condition for ``lookup``, validated.

        Shapes: ``isnull`` -> bool; ``in``/``has_*`` -> list; ``range`` -> a (low, high)
        tuple; ``within`` -> a (token, token) tuple; ``exact`` with None -> None (the compiler
        turns that into IS_EMPTY); anything else -> one JSON scalar.

        Raises:
            UnsupportedLookup: the field type cannot support ``lookup``.
            InvalidValue: the operand does not fit the field or the lookup.
        """
        if lookup not in self.lookups:
            raise UnsupportedLookup(_model_name(self), _label(self), lookup, self.lookups)
        if lookup == "isnull":
            if type(value) is not bool:
                raise self.invalid(value, "isnull takes True or False")
            return value
        if lookup in _LIST_LOOKUPS:
            if not is_listish(value):
                raise self.invalid(value, f"{lookup} takes a list (or another iterable)")
            return [self._filter_scalar(item, lookup) for item in value]
        if lookup == "range":
            if not is_listish(value) or len(pair := list(value)) != 2:
                raise self.invalid(value, "range takes a (low, high) pair")
            return (self._filter_scalar(pair[0], lookup), self._filter_scalar(pair[1], lookup))
        if lookup == "within":
            return self._within(value)
        if value is None:
            if lookup == "exact":
                return None
            raise self.invalid(value, f"{lookup} needs a value; None only works with exact")
        if lookup in _TEXT_OPERANDS:
            if not isinstance(value, str):
                raise self.invalid(value, f"{lookup} takes a str")
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise self.invalid(value, "not valid Unicode text (a lone surrogate)") from None
            return str(value)
        return self._filter_scalar(value, lookup)

    def _filter_scalar(self, value: Any, lookup: str) -> Any:
        """One operand value; subclasses convert and validate. The default allows JSON scalars."""
        if isinstance(value, (str, int, float)) and value is not None:
            return value
        raise self.invalid(value, f"not a valid operand for {lookup}")

    def _within(self, value: Any) -> tuple[str, str]:
        from softr_orm.fields.convert import is_relative_token

        if is_relative_token(value):
            return (value, value)
        if is_listish(value):
            pair = list(value)
            if len(pair) == 2 and all(is_relative_token(v) for v in pair):
                return (pair[0], pair[1])
        raise self.invalid(
            value,
            "within takes a relative date token such as 'PREDEFINED:TODAY' or "
            "'RELATIVE_DATE:THIS:WEEK', or a pair of them",
        )

    # --- live schema ----------------------------------------------------------------------

    def bind_schema(self, table_field: Any) -> None:
        """Remember the live field's options so ``clean`` can check against them.

        Safe to call again (e.g. after a schema refresh) and from several threads: each
        subclass stores what it derives in a single attribute assignment.
        """
        options = getattr(table_field, "options", None)
        self._bind_options(options if isinstance(options, Mapping) else {})
        self.table_field = table_field

    def _bind_options(self, options: Mapping[str, Any]) -> None:
        """Hook: derive validation state from the live ``options``."""

    def check_live_value(self, value: Any, table_field: Any) -> Any:
        """Check a cleaned value against a live field's options, without remembering them.

        Unlike :meth:`bind_schema` this leaves the field untouched, so a model shared by
        several workspaces (``objects.using(...)``) is checked against the table it is about
        to write to. Only types with option-dependent rules (choices, the rating maximum, a
        text ``maxLength``) do any work.

        Returns:
            The value as the live field takes it (e.g. a choice label in its canonical case).

        Raises:
            ReadOnlyField: the live field is read-only (``readonly: true``), whatever this
                declaration says.
            InvalidValue: the live field would refuse the value.
        """
        if getattr(table_field, "readonly", False):
            raise ReadOnlyField(_model_name(self), _label(self), value)
        if self.read_only or type(self)._bind_options is Field._bind_options:
            return value
        probe = copy.copy(self)
        probe.bind_schema(table_field)
        return probe.clean(value)

    def matches_type(self, softr_type: str, options: Mapping[str, Any]) -> bool:
        """Whether a live field of this type can back this declaration."""
        return softr_type == self.softr_type

    def check_type(self, table_field: Any) -> list[str]:
        """Problems between this declaration and the live field (empty when they agree)."""
        where = f"{_model_name(self)}.{_label(self)}"
        live_type = getattr(table_field, "type", None)
        options = getattr(table_field, "options", None)
        options = options if isinstance(options, Mapping) else {}
        problems: list[str] = []
        if not isinstance(live_type, str) or not self.matches_type(live_type, options):
            problems.append(
                f"{where}: declared {type(self).__name__} ({self.softr_type or 'any type'}) "
                f"but the live field is {live_type}"
            )
            return problems
        if live_type in MULTI_VALUE_TYPES and self._checks_multiple():
            live_multi = bool(getattr(table_field, "allow_multiple_entries", False))
            if live_multi != self.multiple:
                problems.append(
                    f"{where}: declared multiple={self.multiple} but the live field "
                    f"{'allows' if live_multi else 'does not allow'} multiple entries"
                )
        live_ro = bool(getattr(table_field, "readonly", False)) or live_type in READ_ONLY_TYPES
        if live_ro and not self.read_only:
            problems.append(f"{where}: declared writable but the live field is read-only")
        return problems

    def _checks_multiple(self) -> bool:
        return True


class ReadOnlyMixin:
    """Mixed in first by computed fields: assigning raises ``ReadOnlyField``.

    ``to_api`` still works on them (it serialises, e.g. for exports); the model never sends
    read-only fields.
    """

    read_only: ClassVar[bool] = True

    def clean(self, value: Any) -> NoReturn:
        raise ReadOnlyField(_model_name(self), _label(self), value)


class ItemsField(Field[_V]):
    """A field holding one item, or a list of items when ``multiple`` is true.

    Subclasses implement the per-item hooks; this class does the single/list plumbing so
    that reads are always a fresh list (possibly empty) or one item (or None).
    """

    item_name: ClassVar[str] = "item"
    single_lookups: ClassVar[frozenset[str]] = frozenset({"exact", "in", "isnull"})
    multi_lookups: ClassVar[frozenset[str]] = SET_LOOKUPS

    def __init__(
        self, name: str | None = None, *, multiple: bool = False, **options: Unpack[FieldOptions]
    ) -> None:
        super().__init__(name, **options)
        if type(multiple) is not bool:
            raise TypeError(f"{type(self).__name__}: multiple must be True or False")
        self.multiple = multiple
        self.lookups = self.multi_lookups if multiple else self.single_lookups

    def read_item(self, raw: Any) -> Any:
        """Hook: one item read leniently (return ``raw`` unchanged when it makes no sense)."""
        return raw

    def clean_item(self, value: Any) -> Any:
        """Hook: one item validated; raise ``ValueError`` with the reason when it is bad."""
        return value

    def api_item(self, item: Any) -> Any:
        """Hook: the write form of one cleaned item."""
        return item

    def to_python(self, raw: Any) -> Any:
        read = self.read_item
        if self.multiple:
            if raw is None:
                return []
            if type(raw) is list:
                return [read(item) for item in raw]
            return [read(raw)]
        if raw is None:
            return None
        if type(raw) is list:
            if len(raw) <= 1:
                return read(raw[0]) if raw else None
            return [read(item) for item in raw]  # several values in a single field: keep all
        return read(raw)

    def clean(self, value: Any) -> Any:
        if not self.multiple:
            return None if value is None else self._clean_one(value, value)
        if value is None:
            return []
        if not is_listish(value):
            raise self.invalid(value, f"expected a list of {self.item_name}s (multiple=True)")
        out: list[Any] = []
        for index, item in enumerate(value):
            cleaned = self._clean_one(item, value, index)
            if cleaned not in out:  # Softr stores sets; drop repeats, keep the order
                out.append(cleaned)
        return out

    def _clean_one(self, item: Any, whole: Any, index: int | None = None) -> Any:
        try:
            return self.clean_item(item)
        except InvalidValue:
            raise
        except (TypeError, ValueError) as exc:
            if index is None:
                raise self.invalid(whole, str(exc)) from None
            shown = repr(item)
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            raise self.invalid(whole, f"item {index} ({shown}): {exc}") from None

    def to_api(self, value: Any) -> Any:
        if self.multiple:
            return [self.api_item(item) for item in value or ()]
        return None if value is None else self.api_item(value)

    def _filter_scalar(self, value: Any, lookup: str) -> Any:
        try:
            return self.filter_item(value)
        except (TypeError, ValueError) as exc:
            if isinstance(exc, InvalidValue):
                raise
            raise self.invalid(value, f"{lookup}: {exc}") from None

    def filter_item(self, value: Any) -> Any:
        """Hook: one operand item (a label, an id); raise ``ValueError`` when it is bad."""
        return self.api_item(self.clean_item(value))
