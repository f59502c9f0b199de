"""What the query layer needs of a model, as protocols.

Queries sit below :mod:`softr_orm.models` (``Model.objects`` hands out querysets), so they
cannot import :class:`~softr_orm.models.Model`; they work with any class that has this shape,
which every ``Model`` subclass has. ``QuerySet[Contact]`` is still checked by mypy: ``Contact``
must satisfy :class:`QueryableModel`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

if TYPE_CHECKING:
    from softr_orm.backends.base import BackendSession, Record
    from softr_orm.errors import MultipleObjectsReturned, ObjectDoesNotExist
    from softr_orm.fields import Field
    from softr_orm.query.binding import Binding

__all__ = ["ModelMeta", "QueryableModel", "meta_of"]

_M = TypeVar("_M", bound="QueryableModel")


class ModelMeta(Protocol):
    """A model's ``_meta``: where its records live and which fields it declares."""

    database: str | None
    table: str | None
    #: The default order of queries (``Meta.ordering``).
    ordering: tuple[str, ...]

    @property
    def name(self) -> str: ...

    @property
    def fields(self) -> dict[str, Field[Any]]: ...

    def get_session(self, override: BackendSession | None = None) -> BackendSession: ...


class QueryableModel(Protocol):
    """A model class and its instances, as queries, fetching and bulk writes use them."""

    #: A :class:`ModelMeta` (typed loosely here: a protocol's class attribute is invariant,
    #: and each model class has its own options type); read it through :func:`meta_of`.
    _meta: ClassVar[Any]
    DoesNotExist: ClassVar[type[ObjectDoesNotExist]]
    MultipleObjectsReturned: ClassVar[type[MultipleObjectsReturned]]

    id: str | None
    _prefetched: dict[str, dict[str, Any]] | None

    @classmethod
    def _from_api(cls: type[_M], record: Record | Mapping[str, Any], binding: Binding) -> _M: ...

    @classmethod
    def _builder(
        cls: type[_M], binding: Binding, wire: Mapping[str, str] | None = None
    ) -> Callable[[Any], _M]: ...

    def _raw_value(self, attname: str) -> Any: ...

    def to_dict(self) -> dict[str, Any]: ...


def meta_of(model: type[QueryableModel]) -> ModelMeta:
    """A model class's ``_meta``, typed."""
    meta: ModelMeta = model._meta
    return meta
