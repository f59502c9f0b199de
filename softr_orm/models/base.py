"""Model classes: declaration, instance state, change tracking, save/refresh/delete.

An instance keeps the raw field values the service sent (keyed by field id) beside their
converted values, which code generated per binding fills in when the instance is built
(linked records are loaded only when read). Changes are found by comparing each touched
field's write form with the write form of what the server sent, so assignments *and* in-place
mutation of lists (``contact.tags.append("vip")``) are both seen, and ``save()`` sends only
what differs.

Nothing here knows a service's URLs or JSON shapes beyond a record's ``id``/``fields``/
timestamps: requests go through the session's backend (:mod:`softr_orm.backends.base`), names
become ids through :mod:`softr_orm.query.binding`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from softr_orm import errors
from softr_orm.backends.defaults import EPOCH, default_session
from softr_orm.errors import (
    ReadOnlyField,
    UnknownFieldName,
)
from softr_orm.fields import Field, LinkedRecord
from softr_orm.fields.convert import read_datetime
from softr_orm.models import persistence, serialization
from softr_orm.models.declaration import ModelBase
from softr_orm.models.hydration import (
    builder_for,
    filler_for,
    install_from_record,
    mark_valid,
)
from softr_orm.models.manager import Manager, _ManagerDescriptor
from softr_orm.models.options import (
    ModelOptions,
    SaveResult,
    resolve_model,
)
from softr_orm.models.serialization import DictMode
from softr_orm.query.binding import Binding, bind
from softr_orm.query.databases import current_overrides
from softr_orm.query.snapshot import offline_schema

if TYPE_CHECKING:
    from softr_orm.backends.base import BackendSession, Record

__all__ = ["Manager", "Model", "ModelOptions", "SaveResult", "resolve_model"]

M = TypeVar("M", bound="Model")


class Model(metaclass=ModelBase):
    """Base class of every model. Subclass it, declare fields, and set ``Meta``.

    Example::

        class Contact(Model):
            name = fields.SingleLineText("Full Name")
            score = fields.Number("Score")

            class Meta:
                database = "3f6c2a9e-8b1d-4c7e-9a52-1d0e7b4c6f21"
                table = "Contacts"
    """

    _meta: ClassVar[ModelOptions]
    objects: ClassVar[_ManagerDescriptor] = _ManagerDescriptor()
    DoesNotExist: ClassVar[type[errors.ObjectDoesNotExist]] = errors.ObjectDoesNotExist
    MultipleObjectsReturned: ClassVar[type[errors.MultipleObjectsReturned]] = (
        errors.MultipleObjectsReturned
    )

    # Instance state. Converted field values are cached in the instance ``__dict__`` under
    # the field's attribute name: the field descriptors are non-data descriptors at run
    # time, so once a field has been read, reading it again is a plain attribute lookup.
    # Rarely-set state has class-level defaults, so hydrating a record sets five keys.
    id: str | None = None
    _raw: dict[str, Any]
    _binding: Binding | None = None
    _session: BackendSession | None = None
    _record: Mapping[str, Any] | None = None
    # The timestamps of a record given to ``from_record``, which keeps them rather than the
    # caller's dict (read only while ``_record`` is None, i.e. until a save or refresh).
    _created: str | None = None
    _updated: str | None = None
    _prefetched: dict[str, dict[str, Any]] | None = None
    _deferred: bool = False
    # Set on an unpickled instance until it is bound again: attname -> field id.
    _field_ids: Mapping[str, str] | None = None

    def __init__(self, **values: Any) -> None:
        meta = self._meta_or_fail()
        self.id = values.pop("id", None)
        self._raw = {}
        unknown = [k for k in values if k not in meta.fields]
        if unknown:
            raise UnknownFieldName(meta.name, unknown[0], meta.fields)
        for attname, value in values.items():
            setattr(self, attname, value)

    def __setattr__(self, name: str, value: Any) -> None:
        field = type(self)._meta.fields.get(name)
        if field is None:
            object.__setattr__(self, name, value)
        else:
            self._set_field_value(field, value)

    @classmethod
    def _meta_or_fail(cls) -> ModelOptions:
        meta = cls.__dict__.get("_meta")
        if not isinstance(meta, ModelOptions):
            raise TypeError("Model is abstract: subclass it and declare fields")
        if meta.abstract:
            raise TypeError(f"{cls.__name__} is abstract (Meta.abstract = True): subclass it")
        return meta

    # --- construction from API records ------------------------------------------------

    @classmethod
    def _from_api(cls: type[M], record: Record | Mapping[str, Any], binding: Binding) -> M:
        """A clean instance for a record the API returned (fields keyed by field id).

        Its plain fields are converted at once by code generated for the binding
        (:func:`softr_orm.models.hydration.builder_for`; scans take that function once per
        page); linked records are loaded only when read.
        """
        return builder_for(binding, cls)(record)

    @classmethod
    def _builder(
        cls: type[M], binding: Binding, wire: Mapping[str, str] | None = None
    ) -> Callable[[Any], M]:
        """``build(record)`` for records of ``binding`` (what ``_from_api`` calls), for a
        caller that builds many instances from one table; ``wire``: for the typed records of
        a backend's typed pages (field id -> attribute, see ``backends.base.TypedReads``)."""
        return builder_for(binding, cls, wire=wire)

    @classmethod
    def from_record(
        cls: type[M], record: Mapping[str, Any], *, session: BackendSession | None = None
    ) -> M:
        """An instance from a raw record dict, as the API returns it.

        ``fields`` may be keyed by field id (the API's default) or by field name (as with
        ``?fieldNames=true``); names are mapped to ids through the table schema. No request
        is made (and no session is needed) when every field is pinned by id or a schema
        snapshot lies beside the models (``softr-orm inspect --snapshot``): then the record
        binds to the live table only when it is saved or refreshed.
        """
        # The first call finds the binding and installs a version of this method made for the
        # model (softr_orm.models.hydration.install_from_record): later calls are one call.
        # This one still answers for whoever took it before (``f = Model.from_record``).
        made = cls._meta.made_from_record
        if made is not None:
            return made(cls, record, session=session)  # type: ignore[no-any-return]
        return cls._adopt(record, session)

    @classmethod
    def _adopt(cls: type[M], record: Mapping[str, Any], session: BackendSession | None) -> M:
        """``from_record`` the long way: find the binding (or the offline schema) first."""
        meta = cls._meta
        epoch, overrides = EPOCH[0], current_overrides()  # read before the lookups below
        offline = offline_schema(cls)
        if offline is not None:  # no request, and no session needed
            return serialization.from_offline_record(cls, record, offline, session)
        given_session = session
        if session is None:
            session = meta.session if meta.session is not None else default_session()
        adopt: Callable[..., M] = builder_for(bind(cls, session), cls, adopt=True)
        mark_valid(adopt, epoch, overrides)
        if given_session is None:
            meta.made_from_record = adopt
            install_from_record(cls, adopt, Model.__dict__["from_record"].__func__)
        return adopt(cls, record)

    @classmethod
    def _stub(cls: type[M], record_id: str, session: BackendSession | None) -> M:
        """A reference to a record by id whose fields load on first access (one GET)."""
        instance = cls.__new__(cls)
        instance.__dict__.update(id=record_id, _raw={}, _session=session, _deferred=True)
        return instance

    # --- field access (called by the field descriptors) -------------------------------

    def _touched(self) -> Iterator[tuple[Field[Any], Any]]:
        """The fields read or assigned so far, with their current values."""
        d = self.__dict__
        for attname, field in self._meta.fields.items():
            if attname in d:
                yield field, d[attname]

    def _raw_value(self, attname: str) -> Any:
        binding = self._binding
        ids = binding.ids if binding is not None else self._field_ids
        if ids is None:
            return None
        return self._raw.get(ids.get(attname))  # type: ignore[arg-type]

    def _get_field_value(self, field: Field[Any]) -> Any:
        """Convert on first access and cache (the descriptor calls this only on a miss).

        The first read of a record converts all its plain fields at once, through the code
        generated for the binding (:mod:`softr_orm.models.hydration`), since code that reads
        one field of a record nearly always reads others. Linked records are converted (and
        loaded) only when read.
        """
        d = self.__dict__
        attname = field.attname
        binding = d.get("_binding")
        if binding is None:  # not from the API (new, a stub, or unpickled)
            if self._deferred:
                self.refresh()
                return getattr(self, attname)
            raw = self._raw_value(attname)  # None, unless unpickled
        else:
            raw_fields = d["_raw"]
            filler_for(binding)(d, raw_fields)
            if attname in d:
                return d[attname]
            raw = raw_fields.get(binding.ids.get(attname))
        if field.is_link:
            value = self._load_links(field, field.to_python(raw))  # type: ignore[arg-type]
        else:
            value = field.to_python(raw)
        d[attname] = value
        return value

    def _set_field_value(self, field: Field[Any], value: Any) -> None:
        if field.read_only:
            raise ReadOnlyField(type(self).__name__, field.attname, value)
        cleaned = field.clean(value)
        if isinstance(field, LinkedRecord):
            cleaned = self._link_instances(field, value, cleaned)
        self.__dict__[field.attname] = cleaned

    def _own_session(self) -> BackendSession:
        """The session this instance came through (or was given), else the model's."""
        if self._session is not None:
            return self._session
        if self._binding is not None:
            return self._binding.session
        return self._meta.get_session()

    def _load_links(self, field: LinkedRecord[Any], ids: Any) -> Any:
        id_list = [i for i in (ids or []) if isinstance(i, str)]
        related = field.related_model()
        prefetched = (self._prefetched or {}).get(field.attname)
        if prefetched is not None:
            found = prefetched
        elif id_list:
            from softr_orm.query.related import fetch_by_ids

            found = fetch_by_ids(related, self._own_session(), id_list)
        else:
            found = {}
        instances = [found[i] for i in id_list if i in found]
        if field.multiple:
            return instances
        return instances[0] if instances else None

    def _link_instances(self, field: LinkedRecord[Any], value: Any, ids: Any) -> Any:
        given: dict[str, Model] = {}
        items = value if isinstance(value, (list, tuple)) else [value]
        for item in items:
            if isinstance(item, Model) and item.id:
                given[item.id] = item
        related = field.related_model()
        # Only the session already known: a stub without one resolves its model's session
        # when it loads, so assigning links never needs a default session.
        session = self._session or (self._binding.session if self._binding else None)
        instances = [
            given.get(i) or related._stub(i, session) for i in (ids or []) if isinstance(i, str)
        ]
        if field.multiple:
            return instances
        return instances[0] if instances else None

    # --- identity ---------------------------------------------------------------------

    @property
    def pk(self) -> str | None:
        return self.id

    @property
    def created_at(self) -> datetime | None:
        """When Softr created the record (the record's ``createdAt``), as an aware datetime."""
        record = self._record
        raw = record.get("createdAt") if record else self.__dict__.get("_created")
        return read_datetime(raw) if raw else None

    @property
    def updated_at(self) -> datetime | None:
        """When Softr last changed the record (``updatedAt``)."""
        record = self._record
        raw = record.get("updatedAt") if record else self.__dict__.get("_updated")
        return read_datetime(raw) if raw else None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Model) or type(other)._meta is not type(self)._meta:
            return NotImplemented
        if self.id is None or other.id is None:
            return self is other
        return self.id == other.id

    def __hash__(self) -> int:
        if self.id is None:
            return id(self)
        return hash((type(self).__qualname__, self.id))

    def __repr__(self) -> str:
        name = type(self).__name__
        ident = self.id or "(unsaved)"
        label = self._display()
        return f"<{name} {ident}{' ' + label if label else ''}>"

    def _display(self) -> str:
        if self._deferred:
            return ""
        attname = self._binding.primary_attname if self._binding else None
        if attname is None:
            attname = next(
                (a for a, f in self._meta.fields.items() if f.softr_type == "SINGLE_LINE_TEXT"),
                None,
            )
        if attname is None:
            return ""
        try:
            value = getattr(self, attname)
        except errors.SoftrError:
            return ""
        return f"{attname}={value!r}" if value not in (None, "") else ""

    # --- change tracking --------------------------------------------------------------

    def _write_form(self, field: Field[Any], value: Any) -> Any:
        if isinstance(field, LinkedRecord):
            items = value if isinstance(value, list) else ([] if value is None else [value])
            return [i.id if isinstance(i, Model) else i for i in items]
        return field.to_api(value)

    def _saved_form(self, field: Field[Any]) -> Any:
        if self.id is None:
            return None
        return field.to_api(field.to_python(self._raw_value(field.attname)))

    def _changed(self) -> list[Field[Any]]:
        changed = []
        for field, value in self._touched():
            if field.read_only:
                continue
            new = self._write_form(field, value)
            if self.id is None:
                # A new record: anything but the field's empty value (None, [], and for a
                # checkbox False) is something to send.
                if new not in (None, [], "") and new != field.to_api(field.to_python(None)):
                    changed.append(field)
            elif new != self._saved_form(field):
                changed.append(field)
        return changed

    @property
    def is_dirty(self) -> bool:
        """True when some field differs from what the server last sent."""
        return bool(self._changed())

    @property
    def changed_fields(self) -> dict[str, tuple[Any, Any]]:
        """Field name -> (value as last saved, current value) for every changed field.

        Linked-record fields show record ids on both sides (no request is made to load the
        records they used to point at).
        """
        result: dict[str, tuple[Any, Any]] = {}
        d = self.__dict__
        for field in self._changed():
            raw = self._raw_value(field.attname) if self.id is not None else None
            old = field.to_python(raw)
            new = d[field.attname]
            if field.is_link:
                new = self._write_form(field, new)
                if not field.multiple:
                    old, new = (old[0] if old else None), (new[0] if new else None)
            result[field.attname] = (old, new)
        return result

    # --- persistence --------------------------------------------------------------------

    def _bind(self) -> Binding:
        if self._binding is None:
            self._binding = bind(type(self), self._own_session())
        return self._binding

    def save(self, force: bool = False) -> SaveResult:
        """Create the record (POST) or send the changed fields (PATCH).

        A clean instance makes no request. ``force=True`` sends every writable field.
        After the write the instance holds the server's answer (computed fields,
        ``updatedAt``) and is clean again.
        """
        return persistence.save(self, force)

    def _load(self, record: Mapping[str, Any]) -> None:
        """Take the server's version of the record: raw values in, cached values out."""
        d = self.__dict__
        for attname in self._meta.fields:
            d.pop(attname, None)
        d.update(
            id=record.get("id") or self.id,
            _raw=dict(record.get("fields") or {}),
            _record=record,
            _prefetched=None,
            _deferred=False,
        )

    def refresh(self) -> None:
        """Reload every field from the server, dropping unsaved changes."""
        persistence.refresh(self)

    def delete(self) -> None:
        """Delete the record. The instance keeps its values but loses its id."""
        persistence.delete(self)

    def to_dict(self, mode: DictMode = "python") -> dict[str, Any]:
        """Field name -> value, plus ``id``; linked records appear as ids.

        ``mode="json"`` gives JSON-ready values: ISO 8601 dates and times, decimals as exact
        strings, attachments and users as plain objects (see
        :mod:`softr_orm.models.serialization`).
        """
        return serialization.to_dict(self, mode)

    def to_json(self, **dumps_options: Any) -> str:
        """The record as a JSON object: ``json.dumps(self.to_dict(mode="json"))``."""
        return serialization.to_json(self, **dumps_options)

    # --- pickle and copy: never the session ------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        """Everything but the session: an unpickled instance uses its model's session."""
        return serialization.instance_state(self)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __copy__(self) -> Model:
        """A shallow copy (values shared, as ``copy.copy`` does) with the same session."""
        clone = type(self).__new__(type(self))
        clone.__dict__.update(self.__dict__)
        return clone

    def __deepcopy__(self, memo: dict[int, Any]) -> Model:
        """A copy of the data that shares (never copies) the session."""
        return serialization.copy_instance(self, memo)

    @classmethod
    def check_schema(cls, session: BackendSession | None = None) -> list[str]:
        """Problems between this model and the live table (empty when they agree).

        Reads the table afresh (not from the session's cache), and reports missing fields,
        type mismatches, read-only mismatches and fields renamed in Softr.
        """
        from softr_orm.query.binding import check_model

        problems: list[str] = check_model(cls, cls._meta.get_session(session))
        return problems
