"""What a model class knows about itself (``_meta``) and what ``save()`` reports."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from softr_orm.backends.defaults import bump_epoch, default_session
from softr_orm.fields.registry import resolve_model

if TYPE_CHECKING:
    from softr_orm.backends.base import BackendSession
    from softr_orm.fields import Field
    from softr_orm.models.base import Model

__all__ = ["ModelOptions", "SaveResult", "resolve_model"]


@dataclass(frozen=True)
class SaveResult:
    """What ``save()`` did.

    Attributes:
        created: a new record was created (POST).
        updated: the names of the fields that were sent (empty when nothing had changed
            and no request was made).
        forced: ``save(force=True)`` sent every writable field.
        skipped: the fields ``save(force=True)`` left out because the live table marks them
            read-only (``readonly: true``, or a computed type behind a ``Raw`` field).
    """

    created: bool = False
    updated: tuple[str, ...] = ()
    forced: bool = False
    skipped: tuple[str, ...] = ()

    @property
    def saved(self) -> bool:
        """True when a request was made."""
        return self.created or bool(self.updated)

    # pyairtable spells it this way
    @property
    def field_names(self) -> tuple[str, ...]:
        return self.updated


#: The options whose change changes a model's binding.
_BINDING_OPTIONS = frozenset({"database", "table", "session", "fields", "model"})


@dataclass
class ModelOptions:
    """A model's ``_meta``: where its records live and which fields it declares.

    Attributes:
        abstract: a base model that only holds fields and options for its children
            (``Meta.abstract = True``): it cannot be instantiated or queried.
        ordering: the default order of its queries (``Meta.ordering``), when ``order_by()``
            gives none.
    """

    model: type[Model]
    database: str | None
    table: str | None
    session: BackendSession | None
    fields: dict[str, Field[Any]] = dataclasses.field(default_factory=dict)
    abstract: bool = False
    ordering: tuple[str, ...] = ()
    #: database id -> the field ids known without a request, or None
    #: (:func:`softr_orm.query.snapshot.offline_schema` fills it).
    offline_schemas: dict[str | None, Any] = dataclasses.field(
        default_factory=dict, repr=False, compare=False
    )

    #: The ``from_record`` made for the model (``softr_orm.models.hydration``), which the
    #: generic one hands a record to (for code that took ``Model.from_record`` before it
    #: was installed, and for models that override ``from_record``).
    made_from_record: Any = dataclasses.field(default=None, repr=False, compare=False)

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if name in _BINDING_OPTIONS:
            bump_epoch()  # the binding cached for Model.from_record may no longer be the one

    def __post_init__(self) -> None:
        # Baserow's ids are integers (``database = 12``); the ORM keys everything by str.
        for attr in ("database", "table"):
            value = getattr(self, attr)
            if isinstance(value, int) and not isinstance(value, bool):
                setattr(self, attr, str(value))

    @property
    def name(self) -> str:
        return self.model.__name__

    def get_session(self, override: BackendSession | None = None) -> BackendSession:
        """The session to use: an explicit one, else ``Meta.session``, else the default."""
        if override is not None:
            return override
        if self.session is not None:
            return self.session
        return default_session()

    def writable_fields(self) -> Iterator[Field[Any]]:
        return (f for f in self.fields.values() if not f.read_only)
