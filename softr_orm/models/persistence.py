"""Writing an instance back: ``save()``, ``refresh()`` and ``delete()``.

Kept apart from :mod:`softr_orm.models.base` (instance state and change tracking) because the
write path has rules of its own: what is sent (only changed fields, checked against the live
field definitions first), how a schema change met mid-write is recovered from (re-read once,
resend), and what an instance holds afterwards (the server's version of the record).

Every write goes through :mod:`softr_orm.query.outcome`: writes of one record from one session
are ordered, and an update or delete whose attempt may have reached the service is never sent
again blindly; its outcome is proven (after a settle delay, by reading the record back) or
raised as :class:`~softr_orm.errors.AmbiguousWriteError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from softr_orm import errors
from softr_orm.backends.base import batch_backend
from softr_orm.errors import InvalidValue, UnknownField
from softr_orm.fields import Field, LinkedRecord
from softr_orm.models.options import SaveResult
from softr_orm.query import outcome
from softr_orm.query.binding import Binding, forget
from softr_orm.query.bulk import BulkResult, run_each

if TYPE_CHECKING:
    from softr_orm.backends.base import BatchBackend, FieldDefinition, Record
    from softr_orm.models.base import Model

__all__ = ["bulk_create", "delete", "refresh", "row_of", "save"]


def save(instance: Model, force: bool = False) -> SaveResult:
    """Create the record (POST) or send the changed fields (PATCH); see ``Model.save``."""
    creating = instance.id is None
    skipped: tuple[str, ...] = ()
    if creating:
        _check_required(instance)
        to_send = instance._changed()
    elif force:
        to_send, skipped = _forced_fields(instance)
    else:
        to_send = instance._changed()
        if not to_send:
            return SaveResult()
    if not creating:
        _check_required(instance, to_send)
    record = _write(instance, creating, to_send)
    instance._load(record)
    names = tuple(f.attname for f in to_send)
    return SaveResult(
        created=creating, updated=names, forced=force and not creating, skipped=skipped
    )


#: Types Softr computes that are not among its documented read-only types (older ones).
_COMPUTED_LEGACY_TYPES = frozenset({"BUTTON"})


def _forced_fields(instance: Model) -> tuple[list[Field[Any]], tuple[str, ...]]:
    """The fields ``save(force=True)`` sends, and those it leaves out because the live table
    says they are read-only (a ``readonly: true`` definition, a computed type behind a
    ``Raw`` field): Softr would refuse the whole write for one of them."""
    binding = instance._bind()
    to_send: list[Field[Any]] = []
    skipped: list[str] = []
    for field in instance._meta.writable_fields():
        live = binding.table_fields.get(field.attname)
        if live is not None and (live.is_read_only or live.type in _COMPUTED_LEGACY_TYPES):
            skipped.append(field.attname)
        else:
            to_send.append(field)
    return to_send, tuple(skipped)


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
    outcome.delete_record(binding, instance.id)
    instance.id = None


def bulk_create(instances: Sequence[Model]) -> BulkResult:
    """Create every unsaved instance: one POST each, concurrently within the write budget, or,
    when the backend has batch endpoints (Baserow), ``max_batch_size`` records a request.

    Every instance is checked (required fields, values against the live fields) before any
    request. An instance created gets its id and the server's values. A create that may or
    may not have been applied is reported ``unknown`` (without a key it cannot be proven;
    ``upsert`` reconciles through one) and is never sent again; for a batch, that is each of
    its records. A batch is all or nothing: a refused batch fails each of its records.

    ``succeeded`` lists the new ids in input order; ``failed`` and ``unknown`` are keyed by
    ``"#<position in the input>"``.
    """
    if not instances:
        return BulkResult()
    for instance in instances:
        if instance.id is not None:
            raise errors.SoftrError(
                f"{type(instance).__name__} {instance.id} already exists; bulk_create() "
                "creates new records only (use save() or upsert())"
            )
        _check_required(instance)
    bodies = []
    for instance in instances:
        binding = instance._bind()
        bodies.append((instance, binding, _body(instance, binding, instance._changed())))
    binding = bodies[0][1]
    concurrency = binding.session.backend.write_concurrency
    batches = batch_backend(binding.session.backend)
    results: list[Record | Exception]
    where = (binding.session, binding.database_id, binding.table_id)
    if batches is not None and all(
        (b.session, b.database_id, b.table_id) == where for _, b, _ in bodies
    ):
        results = _create_batches(batches, binding, [item[2] for item in bodies])
    else:

        def create(item: tuple[Model, Binding, dict[str, Any]]) -> Record:
            return outcome.create_record(item[1], item[2])

        results = run_each(bodies, create, concurrency)

    succeeded: list[str] = []
    failed: dict[str, Exception] = {}
    unknown: dict[str, Exception] = {}
    for position, (item, result) in enumerate(zip(bodies, results, strict=True)):
        if isinstance(result, errors.AmbiguousWriteError):
            unknown[f"#{position}"] = result
        elif isinstance(result, Exception):
            failed[f"#{position}"] = result
        else:
            item[0]._load(result)
            assert item[0].id is not None
            succeeded.append(item[0].id)
    return BulkResult(succeeded, failed, unknown)


def _create_batches(
    batches: BatchBackend, binding: Binding, bodies: list[dict[str, Any]]
) -> list[Record | Exception]:
    """One result per body, sent ``max_batch_size`` a request: the record created, or the
    error of its whole batch (all or nothing; a lost answer leaves each row unknown)."""
    size = batches.max_batch_size
    chunks = [bodies[i : i + size] for i in range(0, len(bodies), size)]

    def create_many(chunk: list[dict[str, Any]]) -> list[Record]:
        return batches.create_records(binding.database_id, binding.table_id, chunk)

    results: list[Record | Exception] = []
    concurrency = binding.session.backend.write_concurrency
    for chunk, answer in zip(chunks, run_each(chunks, create_many, concurrency), strict=True):
        if isinstance(answer, list) and len(answer) != len(chunk):
            answer = errors.AmbiguousWriteError(
                f"a batch of {len(chunk)} creates was answered with {len(answer)} records"
            )
        if isinstance(answer, Exception):
            results.extend([answer] * len(chunk))
        else:
            results.extend(answer)
    return results


def row_of(instance: Model) -> dict[str, Any]:
    """The writable values an instance was given or changed, by field name (for upsert)."""
    return {f.attname: value for f, value in instance._touched() if not f.read_only}


def _check_required(instance: Model, sending: list[Field[Any]] | None = None) -> None:
    """A required field may not be created empty, nor emptied by a later save (of the
    ``sending`` fields, those the instance holds a value for)."""
    d = instance.__dict__
    for field in instance._meta.writable_fields() if sending is None else sending:
        if field.required and (sending is None or field.attname in d):
            value = d.get(field.attname)
            if value in (None, "", []):
                raise InvalidValue(type(instance).__name__, field.attname, value, "is required")


def _write(instance: Model, creating: bool, to_send: list[Field[Any]]) -> Record:
    for attempt in (0, 1):
        binding = instance._bind()
        body = _body(instance, binding, to_send)
        try:
            if creating:
                return outcome.create_record(binding, body)
            assert instance.id is not None
            return outcome.update_record(type(instance), binding, instance.id, body)
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
