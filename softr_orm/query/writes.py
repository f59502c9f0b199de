"""Writes by a unique key: ``upsert``, and the ``update_or_create``/``dedupe`` built on it.

Longer than ~500 lines because the upsert's steps (lookup, plan, send single or batched,
reconcile) all work on one ``_Plan`` per key, and splitting them would scatter that state.

Softr has no upsert, no unique constraint, no idempotency key and no record version, so a sync
job must find each row's record by a key of its own (an e-mail, an external id) and decide.
:func:`upsert` does it for many rows at once, in as few requests as the service allows:

1. **Check every row locally** (names, read-only fields, values, an empty key): a bad row
   fails the call before any request. Rows sharing a key are merged in order (the last value
   of each field wins), so one key is written once.
2. **Look the keys up**: one search per 100 keys (an ``in`` lookup, or an OR of the key
   fields), concurrently. Keys match as Softr's text matching does: case-insensitively.
3. **Plan each key**: no record, a create with every field given; one record, an update of
   the fields that differ (none: *unchanged*, no request); several records, *failed* with
   ``MultipleObjectsReturned`` and listed in ``duplicates`` (never merged, never guessed).
4. **Write concurrently** within the backend's ``write_concurrency``, paced by the session's
   write rate limit, each update under the rule of :mod:`softr_orm.query.outcome`.
5. **Reconcile ambiguous creates through the key**: after the settle delay, search again; one
   record is the create that landed; none means it did not, and it is sent again; this repeats
   at most ``1 + max_retries`` times. A create is thus never sent twice while an earlier attempt
   may still land, and no run leaves two records for one key of its own making.

What is not promised: another process creating the same key at the same time can still make a
duplicate (Softr has no unique constraint); :func:`dedupe` finds and removes such records.

The single-record calls go through the backend seam (``create_record``, ``update_record``).
A backend with batch endpoints (:func:`~softr_orm.backends.base.batch_backend`, Baserow) takes
the writes over in :func:`_send`: creates and updates go ``max_batch_size`` rows a request.
A batch is all or nothing, so a refused batch fails each of its rows (and writes none), and a
batch whose answer is lost leaves each of its rows unknown until :func:`_reconcile` proves it
through the key, after the settle delay, exactly as for a single create (never re-sent
blindly). With such a backend, when the key searches would cost more requests than reading
the whole table, the table is read instead (:func:`_lookup`'s ``scan_if_cheaper``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from softr_orm.backends.base import batch_backend
from softr_orm.errors import AmbiguousWriteError, InvalidValue, SoftrError, TransportError
from softr_orm.query import outcome
from softr_orm.query.binding import Binding, bind
from softr_orm.query.bulk import (
    BulkResult,
    clean_values,
    progress_bar,
    run_each,
    run_ids,
    write_forms,
)
from softr_orm.query.conditions import Q
from softr_orm.query.protocols import meta_of
from softr_orm.query.queryset import QuerySet

if TYPE_CHECKING:
    from softr_orm.backends.base import BackendSession, Record
    from softr_orm.query.protocols import QueryableModel

__all__ = [
    "KEYS_PER_SEARCH",
    "RowOutcome",
    "UpsertResult",
    "delete_ids",
    "find_duplicates",
    "upsert",
]

#: Keys looked up by one search.
KEYS_PER_SEARCH = 100
#: Key searches in flight at once (the session's read rate limit paces them).
SEARCH_CONCURRENCY = 4

Outcome = Literal["created", "updated", "unchanged", "failed", "unknown"]


@dataclass
class RowOutcome:
    """What happened to one input row.

    Attributes:
        index: the row's position in the input.
        key: its key values (write forms), in the order of ``key=``.
        outcome: ``"created"``, ``"updated"``, ``"unchanged"``, ``"failed"`` or ``"unknown"``.
        id: the record's id, when known.
        error: why it failed, or the ``AmbiguousWriteError`` of an unknown outcome.
        record: the record as last read or written (for building an instance), when known.
    """

    index: int
    key: tuple[Any, ...]
    outcome: Outcome
    id: str | None = None
    error: Exception | None = None
    record: Record | None = field(default=None, repr=False)


class UpsertResult(BulkResult):
    """A :class:`~softr_orm.query.bulk.BulkResult` of an upsert, row by row.

    ``succeeded`` lists the ids created, updated or unchanged; ``failed`` and ``unknown`` are
    keyed by record id, or, for a create, by the key as text (``"email='j@x.io'"``).

    Attributes:
        created, updated, unchanged: record ids by outcome, in input order.
        rows: one :class:`RowOutcome` per input row, in input order.
        duplicates: key -> ids of every record found for it, when more than one was.
        key: the key's field names.
    """

    created: list[str]
    updated: list[str]
    unchanged: list[str]
    rows: list[RowOutcome]
    duplicates: dict[tuple[Any, ...], list[str]]
    key: tuple[str, ...]

    def __repr__(self) -> str:
        return (
            f"<UpsertResult {len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.failed)} failed, "
            f"{len(self.unknown)} unknown>"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (_result, (self.rows, self.duplicates, self.key))


# --- keys ------------------------------------------------------------------------------------


def _fold(value: Any) -> Any:
    """A key value as Softr compares it: text case-insensitively, lists as tuples."""
    if isinstance(value, str):
        return value.casefold()
    if isinstance(value, list):
        return tuple(_fold(v) for v in value)
    return value


def _label(names: Sequence[str], key: tuple[Any, ...]) -> str:
    return ", ".join(f"{name}={value!r}" for name, value in zip(names, key, strict=True))


@dataclass
class _Plan:
    """One key's work: the merged values, the rows that asked, and what became of it."""

    key: tuple[Any, ...]
    forms: dict[str, Any]  # attname -> write form
    rows: list[int]
    outcome: Outcome = "unchanged"
    id: str | None = None
    error: Exception | None = None
    record: Record | None = None
    body: dict[str, Any] = field(default_factory=dict)  # field id -> write form, to send
    found: list[Record] = field(default_factory=list)


def _stored_form(model: type[QueryableModel], attname: str, record: Record, fid: str) -> Any:
    fields = meta_of(model).fields
    return fields[attname].to_api(fields[attname].to_python((record.get("fields") or {}).get(fid)))


# --- lookups ---------------------------------------------------------------------------------


def _lookup(
    model: type[QueryableModel],
    session: BackendSession,
    binding: Binding,
    names: Sequence[str],
    keys: list[tuple[Any, ...]],
    *,
    scan_if_cheaper: bool = False,
) -> dict[tuple[Any, ...], list[Record]]:
    """Folded key -> the records found for it (creation order), one search per chunk.

    With ``scan_if_cheaper`` (a backend whose writes are batched, so that reads dominate the
    request count) and more than one chunk, the table's rows are counted first, and when
    reading them all takes fewer pages than there are chunks, the whole table is read and
    matched here instead: the same folded comparison, fewer requests.
    """
    chunks = [keys[i : i + KEYS_PER_SEARCH] for i in range(0, len(keys), KEYS_PER_SEARCH)]
    if scan_if_cheaper and len(chunks) > 1:
        everything = QuerySet(model, session)
        fetcher = everything._fetcher()
        pages = -(-everything.count() // fetcher.page_size)
        if pages < len(chunks):
            chunks = [[]]  # one "chunk" meaning: the whole table

    def search(chunk: list[tuple[Any, ...]]) -> list[Record]:
        if not chunk:
            condition = Q()
        elif len(names) == 1:
            lookup: dict[str, Any] = {f"{names[0]}__in": [key[0] for key in chunk]}
            condition = Q(**lookup)
        else:
            condition = Q()
            for key in chunk:
                condition |= Q(**dict(zip(names, key, strict=True)))
        fetcher = QuerySet(model, session).filter(condition).order_by("created_at")._fetcher()
        records: list[Record] = []
        if fetcher.nothing:
            return records
        offset = 0
        while True:
            page = fetcher.page(offset, fetcher.page_size)
            records.extend(page.records)
            if not page.has_more:
                return records
            offset = page.next_offset

    found: dict[tuple[Any, ...], list[Record]] = {}
    seen: set[str] = set()
    wanted = {tuple(_fold(v) for v in key) for key in keys}
    results = run_each(chunks, search, SEARCH_CONCURRENCY)
    for result in results:
        if isinstance(result, Exception):
            raise result
        for record in result:
            record_id = record.get("id")
            if not record_id or record_id in seen:
                continue
            seen.add(record_id)
            key = tuple(
                _fold(_stored_form(model, name, record, binding.ids[name])) for name in names
            )
            if key in wanted:
                found.setdefault(key, []).append(record)
    return found


# --- the upsert ------------------------------------------------------------------------------


def _clean_rows(
    model: type[QueryableModel], rows: Iterable[Mapping[str, Any]], names: Sequence[str]
) -> list[dict[str, Any]]:
    """Every row cleaned by its fields, or an error naming model, field and value."""
    meta = meta_of(model)
    for name in names:
        if name not in meta.fields:
            raise InvalidValue(meta.name, name, name, "is not a field of the model (in key=)")
    cleaned = [clean_values(model, row) for row in rows]
    for index, values in enumerate(cleaned):
        for name in names:
            if values.get(name) in (None, "", []):
                raise InvalidValue(
                    meta.name, name, values.get(name), f"row {index} has no value for the key"
                )
    return cleaned


def upsert(
    model: type[QueryableModel],
    rows: Iterable[Mapping[str, Any]],
    key: Sequence[str],
    *,
    session: BackendSession | None = None,
    progress: bool = False,
) -> UpsertResult:
    """Create or update one record per key; see the module docstring for every step.

    Args:
        model: the model class.
        rows: values by field name, one mapping per row.
        key: the field names whose values identify a record (e.g. ``("email",)``).
        session: the session to use (default: the model's).
        progress: show a progress bar (needs ``tqdm``).

    Returns:
        An :class:`UpsertResult`: each row created, updated, unchanged, failed or unknown.

    Raises:
        FieldError, ReadOnlyField, InvalidValue: a bad row or key, before any request.
    """
    meta = meta_of(model)
    names = tuple(key)
    if not names:
        raise ValueError(f"{meta.name}: upsert needs a key, e.g. key=('email',)")
    cleaned = _clean_rows(model, rows, names)
    live_session = meta.get_session(session)
    binding = bind(model, live_session)
    plans: dict[tuple[Any, ...], _Plan] = {}
    row_keys: list[tuple[Any, ...]] = []
    for index, values in enumerate(cleaned):
        forms = write_forms(model, binding, values)
        row_key = tuple(forms[name] for name in names)
        folded = tuple(_fold(v) for v in row_key)
        row_keys.append(row_key)
        plan = plans.get(folded)
        if plan is None:
            plans[folded] = _Plan(row_key, forms, [index])
        else:
            plan.forms.update(forms)
            plan.rows.append(index)
    batched = batch_backend(live_session.backend) is not None
    found = _lookup(
        model,
        live_session,
        binding,
        names,
        [p.key for p in plans.values()],
        scan_if_cheaper=batched,
    )
    writes: list[_Plan] = []
    duplicates: dict[tuple[Any, ...], list[str]] = {}
    for folded, plan in plans.items():
        records = found.get(folded, [])
        if len(records) > 1:
            _duplicate(model, plan, names, records, duplicates)
        elif records:
            _plan_update(model, binding, plan, records[0], names)
            if plan.body:
                writes.append(plan)
        else:
            missing = _missing_required(model, plan.forms)
            if missing is not None:
                plan.outcome, plan.error = "failed", missing
                continue
            plan.outcome = "created"
            plan.body = {binding.ids[name]: form for name, form in plan.forms.items()}
            writes.append(plan)
    bar = progress_bar(progress, len(plans), f"upsert {meta.name}")
    if bar is not None:
        bar.update(len(plans) - len(writes))
    _send(model, binding, writes, bar)
    # Single-record updates prove themselves (outcome.update_record); a batch's cannot.
    ambiguous = [p for p in writes if p.outcome == "unknown" and (p.id is None or batched)]
    _reconcile(model, live_session, binding, names, ambiguous, duplicates)
    if bar is not None:
        bar.close()
    outcomes: list[RowOutcome] = [None] * len(row_keys)  # type: ignore[list-item]
    for plan in plans.values():
        for index in plan.rows:
            outcomes[index] = RowOutcome(
                index, row_keys[index], plan.outcome, plan.id, plan.error, plan.record
            )
    return _result(outcomes, duplicates, names)


def _missing_required(model: type[QueryableModel], forms: Mapping[str, Any]) -> InvalidValue | None:
    """A create's error when a required field has no value (known before any request)."""
    meta = meta_of(model)
    for name, field_obj in meta.fields.items():
        empty = forms.get(name) in (None, "", [])
        if field_obj.required and not field_obj.read_only and empty:
            return InvalidValue(meta.name, name, forms.get(name), "is required")
    return None


def _duplicate(
    model: type[QueryableModel],
    plan: _Plan,
    names: Sequence[str],
    records: list[Record],
    duplicates: dict[tuple[Any, ...], list[str]],
) -> None:
    ids = [str(r.get("id")) for r in records]
    duplicates[plan.key] = ids
    plan.outcome = "failed"
    plan.error = model.MultipleObjectsReturned(
        f"{meta_of(model).name}: {len(ids)} records have {_label(names, plan.key)} "
        f"({', '.join(ids)}); not merged, see dedupe()"
    )


def _plan_update(
    model: type[QueryableModel],
    binding: Binding,
    plan: _Plan,
    record: Record,
    names: Sequence[str],
) -> None:
    """Plan sending the fields that differ; key fields that match (case aside) are kept."""
    plan.id = record.get("id")
    plan.record = record
    body = {}
    for name, form in plan.forms.items():
        fid = binding.ids[name]
        if name in names and _fold(_stored_form(model, name, record, fid)) == _fold(form):
            continue
        if not outcome.record_holds(model, binding, record, {fid: form}):
            body[fid] = form
    plan.body = body
    plan.outcome = "updated" if body else "unchanged"


def _send(model: type[QueryableModel], binding: Binding, writes: list[_Plan], bar: Any) -> None:
    """Send each planned create or update, concurrently within the write budget.

    Single-record calls through the seam, each update under the rule of
    :mod:`softr_orm.query.outcome`; or, when the backend has batch endpoints, creates and
    updates ``max_batch_size`` rows a request (:func:`_send_batches`).
    """
    if batch_backend(binding.session.backend) is not None:
        _send_batches(binding, writes, bar)
        return

    def write(plan: _Plan) -> Record:
        if plan.id is None:
            return outcome.create_record(binding, plan.body)
        return outcome.update_record(model, binding, plan.id, plan.body)

    concurrency = binding.session.backend.write_concurrency
    for plan, result in zip(writes, run_each(writes, write, concurrency, bar), strict=True):
        _settle(plan, result)


def _send_batches(binding: Binding, writes: list[_Plan], bar: Any) -> None:
    """Creates, then updates, in all-or-nothing batches of the backend's ``max_batch_size``.

    A batch answered settles each row with its record (Baserow answers in the order sent); a
    refused batch fails each of its rows; a batch whose answer was lost makes each of its rows
    unknown, for :func:`_reconcile` to prove through the key. Nothing is sent again here.
    """
    batches = batch_backend(binding.session.backend)
    assert batches is not None
    size = batches.max_batch_size
    creates = [p for p in writes if p.id is None]
    updates = [p for p in writes if p.id is not None]
    chunks = [creates[i : i + size] for i in range(0, len(creates), size)]
    chunks += [updates[i : i + size] for i in range(0, len(updates), size)]

    def write(chunk: list[_Plan]) -> list[Record]:
        db, table = binding.database_id, binding.table_id
        if chunk[0].id is None:
            return batches.create_records(db, table, [p.body for p in chunk])
        return batches.update_records(db, table, [(str(p.id), p.body) for p in chunk])

    concurrency = binding.session.backend.write_concurrency
    for chunk, result in zip(chunks, run_each(chunks, write, concurrency), strict=True):
        if isinstance(result, list) and len(result) != len(chunk):
            result = AmbiguousWriteError(
                f"a batch of {len(chunk)} rows was answered with {len(result)} records"
            )
        for index, plan in enumerate(chunk):
            _settle(plan, result[index] if isinstance(result, list) else result)
        if bar is not None:
            bar.update(len(chunk))


def _settle(plan: _Plan, result: Record | Exception) -> None:
    if isinstance(result, AmbiguousWriteError):
        plan.outcome, plan.error = "unknown", result
    elif isinstance(result, Exception):
        plan.outcome, plan.error = "failed", result
    else:
        plan.record = result
        plan.id = result.get("id") or plan.id
        plan.error = None


def _reconcile(
    model: type[QueryableModel],
    session: BackendSession,
    binding: Binding,
    names: Sequence[str],
    pending: list[_Plan],
    duplicates: dict[tuple[Any, ...], list[str]],
) -> None:
    """Prove ambiguous creates through their key: after the settle delay, a record found is
    the create that landed; none found means it did not, and it is sent again (at most
    ``1 + max_retries`` attempts in all). Every round starts with the settle delay, so when
    this returns no attempt of this run is still on its way: a later run cannot miss it.

    Updates of a lost batch (``plan.id`` set) are proven the same way: the record found by the
    key holds the values sent (updated), or, the attempt having settled, they are sent again;
    a record no longer found by its key stays unknown."""
    rounds = outcome.proof_rounds(session)
    for attempt in range(1, rounds + 1):
        if not pending:
            return
        time.sleep(max(outcome.settle_delay(session, plan.error) for plan in pending))
        try:
            found = _lookup(model, session, binding, names, [p.key for p in pending])
        except SoftrError:
            return  # they stay unknown (but have settled)
        again: list[_Plan] = []
        for plan in pending:
            records = found.get(tuple(_fold(v) for v in plan.key), [])
            if plan.id is not None:
                _prove_update(model, binding, names, plan, records, attempt < rounds, again)
            elif len(records) > 1:
                _duplicate(model, plan, names, records, duplicates)
            elif records:
                _plan_update(model, binding, plan, records[0], names)
                plan.outcome, plan.error = "created", None
                if plan.body:  # landed, then changed elsewhere: the row's values win
                    again.append(plan)
            elif attempt < rounds:
                plan.outcome = "created"
                again.append(plan)
            else:
                plan.outcome = "failed"
                plan.error = TransportError(
                    f"{meta_of(model).name} {_label(names, plan.key)}: {rounds} creates of "
                    "unknown outcome, none of which landed (checked after the settle delay)"
                )
        _send(model, binding, again, None)
        pending = [
            p
            for p in again
            if p.outcome == "unknown" and (p.id is None or batch_backend(session.backend))
        ]


def _prove_update(
    model: type[QueryableModel],
    binding: Binding,
    names: Sequence[str],
    plan: _Plan,
    records: list[Record],
    may_resend: bool,
    again: list[_Plan],
) -> None:
    """One settled round for an update of unknown outcome (from a lost batch)."""
    record = next((r for r in records if r.get("id") == plan.id), None)
    if record is None:
        return  # not found by its key any more: it stays unknown
    error = plan.error
    _plan_update(model, binding, plan, record, names)
    if not plan.body:  # the record holds every value sent: the update landed
        plan.outcome, plan.error = "updated", None
    elif may_resend:  # it did not land, and has settled: sending again is safe
        plan.outcome, plan.error = "updated", None
        again.append(plan)
    else:
        plan.outcome, plan.error = "unknown", error


def _result(
    rows: list[RowOutcome],
    duplicates: dict[tuple[Any, ...], list[str]],
    names: tuple[str, ...],
) -> UpsertResult:
    by_outcome: dict[str, list[str]] = {"created": [], "updated": [], "unchanged": []}
    failed: dict[str, Exception] = {}
    unknown: dict[str, Exception] = {}
    seen: set[str] = set()
    for row in rows:
        label = row.id or _label(names, row.key)
        if row.outcome in by_outcome:
            if row.id is not None and row.id not in seen:
                seen.add(row.id)
                by_outcome[row.outcome].append(row.id)
        elif row.outcome == "failed":
            failed[label] = row.error or SoftrError("failed")
        else:
            unknown[label] = row.error or SoftrError("unknown outcome")
    succeeded = [i for row in rows if row.id for i in [row.id] if row.outcome in by_outcome]
    result = UpsertResult(list(dict.fromkeys(succeeded)), failed, unknown)
    result.created = by_outcome["created"]
    result.updated = by_outcome["updated"]
    result.unchanged = by_outcome["unchanged"]
    result.rows = rows
    result.duplicates = duplicates
    result.key = names
    return result


def find_duplicates(
    model: type[QueryableModel], key: Sequence[str], session: BackendSession | None = None
) -> dict[tuple[Any, ...], list[Record]]:
    """Key -> every record with that key, oldest first, for keys held by more than one record.

    Records with an empty key are left out. One scan of the table.
    """
    meta = meta_of(model)
    names = tuple(key)
    for name in names:
        if name not in meta.fields:
            raise InvalidValue(meta.name, name, name, "is not a field of the model (in key=)")
    live_session = meta.get_session(session)
    binding = bind(model, live_session)
    groups: dict[tuple[Any, ...], list[Record]] = {}
    fetcher = QuerySet(model, live_session).order_by("created_at")._fetcher()
    offset = 0
    while not fetcher.nothing:
        page = fetcher.page(offset, fetcher.page_size)
        for record in page.records:
            forms = [_stored_form(model, n, record, binding.ids[n]) for n in names]
            if any(f in (None, "", []) for f in forms):
                continue
            groups.setdefault(tuple(_fold(f) for f in forms), []).append(record)
        if not page.has_more:
            break
        offset = page.next_offset
    return {k: v for k, v in groups.items() if len(v) > 1}


def delete_ids(binding: Binding, ids: list[str], progress: bool = False) -> BulkResult:
    """Delete these records (e.g. the extra copies :func:`find_duplicates` found), each under
    the rule of :mod:`softr_orm.query.outcome`; a record already gone counts as deleted."""

    def delete(record_id: str) -> None:
        outcome.delete_record(binding, record_id, missing_ok=True)

    concurrency = binding.session.backend.write_concurrency
    return run_ids(ids, delete, progress, "dedupe", concurrency)
