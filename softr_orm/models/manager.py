"""``Model.objects``: the manager, the entry point of queries on a model."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from softr_orm.query.queryset import QuerySet

if TYPE_CHECKING:
    from softr_orm.backends.base import BackendSession
    from softr_orm.models.base import Model
    from softr_orm.query.bulk import BulkResult
    from softr_orm.query.writes import UpsertResult

__all__ = ["Duplicates", "Manager"]

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


class Duplicates(dict[tuple[Any, ...], list[M]]):
    """What ``dedupe()`` found: key -> the records sharing it, oldest first (the one kept).

    Attributes:
        removed: with ``delete=True``, the outcome of deleting all but the oldest of each
            group (a ``BulkResult``); None otherwise.
    """

    removed: BulkResult | None = None

    @property
    def extra_ids(self) -> list[str]:
        """The ids of every record but the oldest of each group (what delete=True removes)."""
        return [i.id for group in self.values() for i in group[1:] if i.id is not None]


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

    # --- writes by key ----------------------------------------------------------------------

    def bulk_create(self, objs: Iterable[M]) -> BulkResult:
        """Create every unsaved instance: one POST each, concurrently within the write budget
        (on a backend with batch endpoints, such as Baserow, 200 records a request).

        Each instance is checked before any request; those created get their ids. The result
        is three-valued: ``succeeded`` (new ids), ``failed`` and ``unknown`` (a create that
        may have been applied: without a key it cannot be proven; use :meth:`upsert` to
        reconcile through one), keyed by ``"#<position>"``.
        """
        from softr_orm.models import persistence

        instances = list(objs)
        for instance in instances:
            if not isinstance(instance, self.model):
                raise TypeError(
                    f"bulk_create() takes {self.model.__name__} instances, "
                    f"not {type(instance).__name__}"
                )
            if self._session is not None and instance._session is None:
                instance._session = self._session
        return persistence.bulk_create(instances)

    def upsert(
        self,
        rows: Iterable[Mapping[str, Any] | M],
        *,
        key: Sequence[str],
        progress: bool = False,
    ) -> UpsertResult:
        """Create or update one record per key: ``upsert(rows, key=("email",))``.

        Rows are dicts of values by field name, or instances (their assigned values). Only
        fields that differ are sent, unchanged rows cost no request, writes run concurrently
        within the write budget, and creates of unknown outcome are reconciled through the key
        so that no run leaves two records for one key. Keys matching several records are
        reported (``result.duplicates``), never merged. See :mod:`softr_orm.query.writes`.

        Returns:
            An ``UpsertResult``: ``created``, ``updated``, ``unchanged``, ``failed``,
            ``unknown`` and ``rows`` (one outcome per input row).
        """
        from softr_orm.models import persistence
        from softr_orm.query.writes import upsert

        plain = [
            persistence.row_of(row) if isinstance(row, self.model) else dict(row)  # type: ignore[arg-type]
            for row in rows
        ]
        return upsert(self.model, plain, key, session=self._session, progress=progress)

    def update_or_create(
        self, defaults: Mapping[str, Any] | None = None, **lookup: Any
    ) -> tuple[M, bool]:
        """Like Django's: update the record matching ``lookup`` with ``defaults``, or create
        it from both. Returns ``(instance, created)``.

        ``lookup`` names fields exactly (``email="j@x.io"``); it is the unique key, and the
        write follows :meth:`upsert`'s rules (only changed fields are sent; a create of
        unknown outcome is reconciled through the key).

        Raises:
            softr_orm.errors.MultipleObjectsReturned: several records match ``lookup`` (the
                model's own subclass).
            AmbiguousWriteError: the outcome could not be proven.
            APIError, TransportError: the write was refused, or never sent.
        """
        if not lookup:
            raise TypeError("update_or_create() needs a lookup, e.g. email='j@x.io'")
        bad = [name for name in lookup if "__" in name]
        if bad:
            raise TypeError(
                f"update_or_create() looks records up by exact field values; {bad[0]!r} "
                "is not a field name"
            )
        result = self.upsert([{**lookup, **(defaults or {})}], key=tuple(lookup))
        row = result.rows[0]
        if row.error is not None:
            raise row.error
        assert row.record is not None
        from softr_orm.query.binding import bind

        binding = bind(self.model, self.model._meta.get_session(self._session))
        return self.model._from_api(row.record, binding), row.outcome == "created"

    def dedupe(self, key: Sequence[str], delete: bool = False) -> Duplicates[M]:
        """Records sharing a key: ``{key: [oldest, ...]}`` for every key held more than once.

        With ``delete=True`` all but the oldest record of each group are deleted (each
        delete proven or reported, as in ``qs.delete()``); ``result.removed`` says how it
        went. Records with an empty key are ignored.
        """
        from softr_orm.query.binding import bind
        from softr_orm.query.writes import delete_ids, find_duplicates

        groups = find_duplicates(self.model, key, session=self._session)
        binding = bind(self.model, self.model._meta.get_session(self._session))
        found: Duplicates[M] = Duplicates(
            {
                k: [self.model._from_api(r, binding) for r in records]
                for k, records in groups.items()
            }
        )
        if delete:
            found.removed = delete_ids(binding, found.extra_ids)
        return found


def _share_queryset_docs() -> None:
    """Give each method that only starts a query the QuerySet method's docstring, so that
    ``help(Contact.objects.filter)`` (and an editor's hover) explains it."""
    for name, method in vars(Manager).items():
        queryset_method = getattr(QuerySet, name, None)
        if callable(method) and not method.__doc__ and queryset_method is not None:
            method.__doc__ = queryset_method.__doc__


_share_queryset_docs()
