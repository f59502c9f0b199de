"""``Model.objects``: the manager, the entry point of queries on a model."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from softr_orm.query.queryset import QuerySet

if TYPE_CHECKING:
    from softr_orm.backends.base import BackendSession
    from softr_orm.models.base import Model

__all__ = ["Manager"]

M = TypeVar("M", bound="Model")


class _ManagerDescriptor:
    """Makes ``Model.objects`` a manager typed for the class it is read from."""

    @overload
    def __get__(self, instance: None, owner: type[M]) -> Manager[M]: ...
    @overload
    def __get__(self, instance: M, owner: type[M]) -> Manager[M]: ...
    def __get__(self, instance: Any, owner: type[M]) -> Manager[M]:
        if instance is not None:
            raise AttributeError("Manager isn't accessible via model instances; use the class")
        meta = owner.__dict__.get("_meta")
        if meta is not None and meta.abstract:
            raise AttributeError(
                f"{owner.__name__} is abstract (Meta.abstract = True) and has no manager; "
                "query one of its concrete subclasses"
            )
        return Manager(owner)


class Manager(Generic[M]):
    """The entry point for queries on a model: ``Model.objects``.

    Every method starts a fresh :class:`~softr_orm.query.queryset.QuerySet`; see there.
    """

    def __init__(self, model: type[M], session: BackendSession | None = None) -> None:
        self.model = model
        self._session = session

    def __repr__(self) -> str:
        return f"<Manager for {self.model.__name__}>"

    def get_queryset(self) -> QuerySet[M]:
        """A new query over every record of the model (through the manager's session)."""
        return QuerySet(self.model, session=self._session)

    def using(self, session: BackendSession) -> Manager[M]:
        """The same model through another session (another token, another tenant)."""
        return Manager(self.model, session)

    def all(self) -> QuerySet[M]:
        return self.get_queryset()

    def filter(self, *args: Any, **kwargs: Any) -> QuerySet[M]:
        return self.get_queryset().filter(*args, **kwargs)

    def exclude(self, *args: Any, **kwargs: Any) -> QuerySet[M]:
        return self.get_queryset().exclude(*args, **kwargs)

    def order_by(self, *keys: str) -> QuerySet[M]:
        return self.get_queryset().order_by(*keys)

    def get(self, *args: Any, **kwargs: Any) -> M:
        return self.get_queryset().get(*args, **kwargs)

    def first(self) -> M | None:
        return self.get_queryset().first()

    def last(self) -> M | None:
        return self.get_queryset().last()

    def count(self) -> int:
        return self.get_queryset().count()

    def exists(self) -> bool:
        return self.get_queryset().exists()

    def iterator(self, page_size: int = 200, progress: bool | None = None) -> Iterator[M]:
        return self.get_queryset().iterator(page_size=page_size, progress=progress)

    def in_bulk(self, ids: Iterable[str]) -> dict[str, M]:
        return self.get_queryset().in_bulk(ids)

    def view(self, view_id: str) -> QuerySet[M]:
        return self.get_queryset().view(view_id)

    def prefetch(self, *names: str) -> QuerySet[M]:
        return self.get_queryset().prefetch(*names)

    def values(self, *names: str) -> Any:
        return self.get_queryset().values(*names)

    def values_list(self, *names: str, flat: bool = False) -> Any:
        return self.get_queryset().values_list(*names, flat=flat)

    def create(self, **values: Any) -> M:
        """Create a record (one POST) and return it as an instance."""
        # The session goes in before the values, so links given as ids become stubs that
        # load through it (and no default session is needed when one was given).
        instance = self.model.__new__(self.model)
        instance._session = self._session
        instance.__init__(**values)  # type: ignore[misc]
        instance.save()
        return instance

    def get_or_create(
        self, defaults: Mapping[str, Any] | None = None, **lookup: Any
    ) -> tuple[M, bool]:
        """Like Django's: one search, and a create only when nothing matched."""
        try:
            return self.get(**lookup), False
        except self.model.DoesNotExist:
            params = {k: v for k, v in lookup.items() if "__" not in k}
            params.update(defaults or {})
            return self.create(**params), True


def _share_queryset_docs() -> None:
    """Give each method that only starts a query the QuerySet method's docstring, so that
    ``help(Contact.objects.filter)`` (and an editor's hover) explains it."""
    for name, method in vars(Manager).items():
        queryset_method = getattr(QuerySet, name, None)
        if callable(method) and not method.__doc__ and queryset_method is not None:
            method.__doc__ = queryset_method.__doc__


_share_queryset_docs()
