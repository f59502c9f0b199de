"""Writing an instance back: ``save()``, ``refresh()`` and ``delete()``.

Kept apart from :mod:`softr_orm.models.base` (instance state and change tracking) because the
write path has rules of its own: what is sent (only changed fields, checked against the live
field definitions first), how a schema change met mid-write is recovered from (re-read once,
resend), and what an instance holds afterwards (the server's version of the record).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from softr_orm import errors
from softr_orm.errors import InvalidValue, UnknownField
from softr_orm.fields import Field, LinkedRecord
from softr_orm.models.options import SaveResult
from softr_orm.query.binding import Binding, forget

if TYPE_CHECKING:
    from softr_orm.backends.base import FieldDefinition, Record
    from softr_orm.models.base import Model

__all__ = ["delete", "refresh", "save"]


def save(instance: Model, force: bool = False) -> SaveResult:
    """Create the record (POST) or send the changed fields (PATCH); see ``Model.save``."""
    creating = instance.id is None
    if creating:
        _check_required(instance)
        to_send = instance._changed()
    elif force:
        to_send = list(instance._meta.writable_fields())
    else:
        to_send = instance._changed()
        if not to_send:
            return SaveResult()
    record = _write(instance, creating, to_send)
    instance._load(record)
    names = tuple(f.attname for f in to_send)
    return SaveResult(created=creating, updated=names, forced=force and not creating)


def refresh(instance: Model) -> None:
    """Reload every field from the server, dropping unsaved changes."""
    model = type(instance)
    if instance.id is None:
        raise errors.SoftrError(f"{model.__name__}: an unsaved instance has nothing to refresh")
    binding = instance._bind()
    try:
        record = binding.session.backend.get_record(
            binding.database_id, binding.table_id, instance.id
        )
    except errors.NotFound:
        raise model.DoesNotExist(f"{model.__name__} {instance.id} does not exist") from None
    instance._load(record)


def delete(instance: Model) -> None:
    """Delete the record. The instance keeps its values but loses its id."""
    if instance.id is None:
        raise errors.SoftrError(f"{type(instance).__name__}: an unsaved instance cannot be deleted")
    binding = instance._bind()
    binding.session.backend.delete_record(binding.database_id, binding.table_id, instance.id)
    instance.id = None


def _check_required(instance: Model) -> None:
    for field in instance._meta.writable_fields():
        if field.required:
            value = instance.__dict__.get(field.attname)
            if value in (None, "", []):
                raise InvalidValue(type(instance).__name__, field.attname, value, "is required")


def _write(instance: Model, creating: bool, to_send: list[Field[Any]]) -> Record:
    for attempt in (0, 1):
        binding = instance._bind()
        body = _body(instance, binding, to_send)
        backend = binding.session.backend
        try:
            if creating:
                return backend.create_record(binding.database_id, binding.table_id, body)
            assert instance.id is not None
            return backend.update_record(binding.database_id, binding.table_id, instance.id, body)
        except UnknownField:
            if attempt:
                raise
            # The schema changed under us (a field was deleted or recreated): read it
            # again once, then resend with the new ids.
            forget(type(instance), binding.session)
            instance._session = binding.session
            instance._binding = None
    raise AssertionError("unreachable")


def _body(instance: Model, binding: Binding, to_send: list[Field[Any]]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    d = instance.__dict__
    for field in to_send:
        fid = binding.ids[field.attname]
        if field.attname not in d:
            # Untouched (save(force=True)): resend what the server has, without
            # converting links into instances (which would cost a request).
            body[fid] = instance._saved_form(field)
            continue
        value = d[field.attname]
        live = binding.table_fields.get(field.attname)
        if isinstance(field, LinkedRecord):
            _check_live(field, value, live)
        else:
            # In-place mutation may have put an unchecked item in a list: check it now,
            # and against the live options (a choice label in its canonical case).
            value = _check_live(field, field.clean(value), live)
        body[fid] = instance._write_form(field, value)
    return body


def _check_live(field: Field[Any], value: Any, live: FieldDefinition | None) -> Any:
    """``value`` as the live field takes it; raises when the live field refuses it."""
    return value if live is None else field.check_live_value(value, live)
