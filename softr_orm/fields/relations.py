"""Multi-valued field classes: Select, User, LinkedRecord, Attachment.

Re-exported by :mod:`softr_orm.fields` (import them from there). Each one implements the
per-item hooks of :class:`~softr_orm.fields.base.ItemsField`, which does the single/list
plumbing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from softr_orm.errors import ConfigurationError
from softr_orm.fields import values
from softr_orm.fields.base import SET_LOOKUPS, FieldOptions, ItemsField, is_listish
from softr_orm.fields.kinds import UserField, valid_url
from softr_orm.fields.registry import resolve_model

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["Attachment", "LinkedRecord", "Select", "User"]

_V = TypeVar("_V")
_M = TypeVar("_M")


class Select(ItemsField[_V]):
    """``SELECT``: a choice label (``str | None``), or ``list[str]`` with ``multiple=True``.

    Reads accept a label, a ``{"id", "label"}`` object or lists of them. Once the live
    schema is bound, and the field does not allow new choices, unknown labels are refused;
    a label differing only in case is replaced by the canonical one.
    """

    softr_type = "SELECT"
    item_name = "label"
    _choices: tuple[bool, frozenset[str], dict[str, str]] | None = None

    @overload
    def __init__(
        self: Select[str | None],
        name: str | None = None,
        *,
        multiple: Literal[False] = False,
        **options: Unpack[FieldOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: Select[list[str]],
        name: str | None = None,
        *,
        multiple: Literal[True],
        **options: Unpack[FieldOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: Select[Any],
        name: str | None = None,
        *,
        multiple: bool,
        **options: Unpack[FieldOptions],
    ) -> None: ...
    def __init__(
        self, name: str | None = None, *, multiple: bool = False, **options: Unpack[FieldOptions]
    ) -> None:
        super().__init__(name, multiple=multiple, **options)

    @property
    def choices(self) -> list[str] | None:
        """The live choice labels once bound, else None."""
        state = self._choices
        return None if state is None else sorted(state[1])

    def _bind_options(self, options: Mapping[str, Any]) -> None:
        raw = options.get("choices")
        if not isinstance(raw, list):
            self._choices = None
            return
        labels = frozenset(
            c["label"] for c in raw if isinstance(c, Mapping) and isinstance(c.get("label"), str)
        )
        allow_new = options.get("allowToAddNewChoice", True) is not False
        self._choices = (allow_new, labels, {label.casefold(): label for label in labels})

    def to_python(self, raw: Any) -> Any:
        # The common shapes inline (hot path); everything else via ItemsField's plumbing.
        if type(raw) is list and self.multiple:
            read = self.read_item
            out = []
            for item in raw:
                label = item.get("label") if type(item) is dict else item
                out.append(label if type(label) is str else read(item))
            return out
        if type(raw) is dict and not self.multiple:
            label = raw.get("label")
            if type(label) is str:
                return label
        return super().to_python(raw)

    def read_item(self, raw: Any) -> Any:
        if type(raw) is str:
            return raw
        if type(raw) is dict or isinstance(raw, Mapping):  # a typed page's option too
            label = raw.get("label")
            if type(label) is str:
                return label
            name = raw.get("name")
            return name if isinstance(name, str) else raw
        return raw

    def clean_item(self, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError("a choice is given by its label (a str)")
        if not value:
            raise ValueError("empty label; clear the field with None instead")
        state = self._choices
        if state is None or value in state[1]:
            return str(value)
        allow_new, labels, folded = state
        if allow_new:
            return str(value)
        canonical = folded.get(value.casefold())
        if canonical is not None:
            return canonical
        shown = sorted(labels)
        more = f", ... ({len(shown)} in all)" if len(shown) > 20 else ""
        raise ValueError(
            "not a choice of this field, which allows no new choices; "
            f"choices are: {', '.join(shown[:20])}{more}"
        )

    def filter_item(self, value: Any) -> Any:
        if isinstance(value, str) and value:
            return str(value)
        raise ValueError("expected a choice label (a non-empty str)")


class User(UserField[_V]):
    """``USER``: a :class:`~softr_orm.fields.values.SoftrUser`, or a list with ``multiple=True``.

    Writes take SoftrUser objects, user ids or email addresses and send ``{"id"}`` (or
    ``{"email"}``). Filters compare user ids; ``exact`` works on single user fields.
    """

    softr_type = "USER"

    @overload
    def __init__(
        self: User[values.SoftrUser | None],
        name: str | None = None,
        *,
        multiple: Literal[False] = False,
        **options: Unpack[FieldOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: User[list[values.SoftrUser]],
        name: str | None = None,
        *,
        multiple: Literal[True],
        **options: Unpack[FieldOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: User[Any], name: str | None = None, *, multiple: bool, **options: Unpack[FieldOptions]
    ) -> None: ...
    def __init__(
        self, name: str | None = None, *, multiple: bool = False, **options: Unpack[FieldOptions]
    ) -> None:
        super().__init__(name, multiple=multiple, **options)


class LinkedRecord(ItemsField[_V]):
    """``LINKED_RECORD``: links to records of another model.

    ``LinkedRecord("Company", to=Company)`` (``multiple=True``, the default) reads as a list
    of ``Company`` instances; with ``multiple=False`` as one instance or None. ``to`` may be
    a model name, resolved lazily (for forward and self references).

    The field itself deals in record ids: ``to_python`` and ``clean`` return ``list[str]``
    and the model turns ids into (lazy) instances. Writes take saved model instances, id
    strings or lists of them, and always send a list of ids (``[]`` clears).
    """

    softr_type = "LINKED_RECORD"
    is_link = True
    item_name = "record"
    single_lookups = SET_LOOKUPS | {"exact"}
    linked_table_id: str | None = None

    @overload
    def __init__(
        self: LinkedRecord[list[_M]],
        name: str | None = None,
        *,
        to: type[_M],
        multiple: Literal[True] = True,
        **options: Unpack[FieldOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: LinkedRecord[_M | None],
        name: str | None = None,
        *,
        to: type[_M],
        multiple: Literal[False],
        **options: Unpack[FieldOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: LinkedRecord[list[Any]],
        name: str | None = None,
        *,
        to: str,
        multiple: Literal[True] = True,
        **options: Unpack[FieldOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: LinkedRecord[Any],
        name: str | None = None,
        *,
        to: type[Any] | str,
        multiple: bool,
        **options: Unpack[FieldOptions],
    ) -> None: ...
    def __init__(
        self,
        name: str | None = None,
        *,
        to: type[Any] | str,
        multiple: bool = True,
        **options: Unpack[FieldOptions],
    ) -> None:
        super().__init__(name, multiple=multiple, **options)
        if not (isinstance(to, type) or (isinstance(to, str) and to)):
            raise TypeError("LinkedRecord: to= must be a model class or a model name")
        self.to = to
        self._target: type[Any] | None = to if isinstance(to, type) else None

    def related_model(self) -> type[Any]:
        """The linked model class; a name in ``to`` is resolved through the model registry.

        Raises:
            ConfigurationError: no model of that name is defined (yet).
        """
        if self._target is None:
            assert isinstance(self.to, str)  # a class was taken as the target at once
            owner = self.model
            target = None
            if owner is not None and "." not in self.to:
                # A model of the declaring module first (as Django resolves within an app),
                # so another module's model of the same name cannot take its place.
                try:
                    target = resolve_model(f"{owner.__module__}.{self.to}")
                except ConfigurationError:
                    target = None
            self._target = target if target is not None else resolve_model(self.to)
        return self._target

    @property
    def target(self) -> type[Any] | None:
        """Like :meth:`related_model`, but None while the name cannot be resolved yet."""
        try:
            return self.related_model()
        except Exception:  # not importable or not registered yet: try again on next use
            return None

    def _bind_options(self, options: Mapping[str, Any]) -> None:
        table_id = options.get("linkedTableId")
        self.linked_table_id = table_id if isinstance(table_id, str) else None

    @staticmethod
    def link_ids(raw: Any) -> list[str]:
        """Record ids from any read shape: an id, an ``{"id", "label"}`` object or a list."""
        if raw is None:
            return []
        items = raw if type(raw) is list else [raw]
        ids: list[str] = []
        for item in items:
            if type(item) is dict:
                record_id = item.get("id")
            elif type(item) is str:
                record_id = item
            elif isinstance(item, Mapping):
                record_id = item.get("id")
            else:
                continue
            if type(record_id) is str:
                ids.append(record_id)
        return ids

    @staticmethod
    def labels(raw: Any) -> dict[str, str]:
        """``{record id: label}`` for the objects that carry a label (the primary value)."""
        items = raw if type(raw) is list else [raw]
        return {
            item["id"]: item["label"] if isinstance(item["label"], str) else str(item["label"])
            for item in items
            if isinstance(item, Mapping)
            and isinstance(item.get("id"), str)
            and item.get("label") is not None
        }

    def to_python(self, raw: Any) -> list[str]:
        return self.link_ids(raw)

    def clean_item(self, value: Any) -> str:
        if isinstance(value, str):
            if value and value == value.strip() and " " not in value:
                return str(value)
            raise ValueError("not a record id")
        if isinstance(value, Mapping):
            record_id = value.get("id")
            if isinstance(record_id, str) and record_id:
                return record_id
            raise ValueError("a link object needs an 'id'")
        if not hasattr(value, "id"):
            raise ValueError("expected a model instance or a record id")
        target = self.target
        if target is not None and not isinstance(value, target):
            raise ValueError(f"expected a {target.__name__}, got a {type(value).__name__}")
        record_id = value.id
        if record_id is None:
            raise ValueError(f"this {type(value).__name__} is not saved yet; save it first")
        if not isinstance(record_id, str) or not record_id:
            raise ValueError("its id is not a record id")
        return record_id

    def clean(self, value: Any) -> list[str]:
        """Validate links; returns the list of record ids (also for ``multiple=False``)."""
        if value is None:
            return []
        if self.multiple:
            return super().clean(value)  # type: ignore[no-any-return]
        if is_listish(value) and not hasattr(value, "id"):
            items = list(value)
            if len(items) > 1:
                raise self.invalid(value, "a single link takes one record (multiple=False)")
            return [self._clean_one(items[0], value, 0)] if items else []
        return [self._clean_one(value, value)]

    def to_api(self, value: Any) -> list[Any]:
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        return list(value)

    def filter_item(self, value: Any) -> Any:
        return self.clean_item(value)


class Attachment(ItemsField[list[values.Attachment]]):
    """``ATTACHMENT``: a list of :class:`~softr_orm.fields.values.Attachment` (always a list).

    Softr downloads each file from its URL. Writes take Attachment objects, URL strings or
    ``{"url", ...}`` dicts; URLs must be http(s); a missing filename is taken from the URL.
    Filters (``has_any``...) take attachment ids or filenames as strings.
    """

    softr_type = "ATTACHMENT"
    item_name = "attachment"

    def __init__(self, name: str | None = None, **options: Unpack[FieldOptions]) -> None:
        super().__init__(name, multiple=True, **options)

    def _checks_multiple(self) -> bool:
        return False  # a one-file field still reads and writes as a list

    def read_item(self, raw: Any) -> Any:
        item = values.Attachment.from_api(raw)
        return raw if item is None else item

    def clean_item(self, value: Any) -> values.Attachment:
        if isinstance(value, str):
            item: values.Attachment | None = values.Attachment(url=value)
        elif isinstance(value, Mapping):
            item = values.Attachment.from_api(value)
        elif isinstance(value, values.Attachment):
            item = value
        else:
            item = None
        if item is None:
            raise ValueError("expected an Attachment, a URL or a {'url': ...} dict")
        if not isinstance(item.url, str) or not valid_url(item.url):
            raise ValueError("the attachment URL must be an absolute http(s) URL")
        if not item.filename:
            item = dataclasses.replace(item, filename=values.filename_from_url(item.url))
        return item

    def api_item(self, item: Any) -> Any:
        return item.to_api() if isinstance(item, values.Attachment) else item

    def filter_item(self, value: Any) -> Any:
        if isinstance(value, values.Attachment) and (value.id or value.filename):
            return value.id or value.filename
        if isinstance(value, str) and value:
            return str(value)
        raise ValueError("expected an attachment id or filename")
