"""One rule for every write of one record: ordered, never re-sent blindly, outcome proven.

The session never sends again a write whose attempt may have reached the service (a read
timeout, a connection dropped after sending): it raises
:class:`~softr_orm.errors.AmbiguousWriteError`. That attempt may still be on its way. Sending
the write again at once could let it land *after* the repeat, or after the user's next save,
and overwrite an acknowledged value (a lost update). So, for a record that already exists:

1. **Writes of one record from one session are ordered.** Each session keeps a
   :class:`WriteLedger`; a write holds its record's lock for the whole exchange (proof
   included), and a record whose last write has an unknown outcome stays *unsettled* for
   :func:`settle_delay` seconds: the next write of it waits until then.
2. **The outcome is proven, after the attempt has settled.** The ORM waits the settle delay
   (:func:`settle_delay`: by default the read timeout after a timeout, so an abandoned attempt
   is assumed to land within two read timeouts of being sent, or never; 1 s after a
   connection closed without an answer), reads the record back and compares the fields it
   sent.
   At most ``1 + max_retries`` attempts are made, as for any request.
   Equal: the update holds (it landed, or the record already had those values). Different:
   the attempt did not land, and as it has settled, sending the update again is safe. A delete
   is proven by the record being gone (404).
3. **Otherwise the caller gets** ``AmbiguousWriteError`` with ``method``, ``record_id`` and
   ``fields``: the read-back failed, or every round was ambiguous again.

A create cannot be proven from an id (there is none yet); it is proven through a unique key by
:mod:`softr_orm.query.writes` (``upsert``), and raised otherwise.

These functions take the backend's single-record calls (``create_record``, ``update_record``,
``delete_record``, ``get_record``) through the seam; they never name an endpoint.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from softr_orm.errors import AmbiguousWriteError, NotFound, SoftrError
from softr_orm.http.retry import DROP_SETTLE_DELAY, timed_out
from softr_orm.query.protocols import meta_of

if TYPE_CHECKING:
    from softr_orm.backends.base import BackendSession, Record
    from softr_orm.query.binding import Binding
    from softr_orm.query.protocols import QueryableModel

__all__ = [
    "WriteLedger",
    "create_record",
    "delete_record",
    "ledger_for",
    "proof_rounds",
    "record_holds",
    "settle_delay",
    "update_record",
]


def proof_rounds(session: BackendSession) -> int:
    """Attempts of one write, the first included, before its outcome is given up as unknown:
    one more than the session's ``max_retries``, as for any other request."""
    return 1 + session.retry_policy.max_retries


def settle_delay(session: BackendSession, error: BaseException | None = None) -> float:
    """Seconds after which an abandoned attempt has landed or never will: the policy's
    ``settle_delay``, else the read timeout after a timeout (or when the cause is not known),
    else (a connection closed without an answer) ``DROP_SETTLE_DELAY`` if shorter."""
    configured = session.retry_policy.settle_delay
    if configured is not None:
        return configured
    read_timeout = session.timeout[1]
    if error is None or timed_out(error):
        return read_timeout
    return min(read_timeout, DROP_SETTLE_DELAY)


@dataclass
class _Guard:
    lock: threading.Lock
    users: int = 0
    unsettled_until: float = 0.0


class WriteLedger:
    """Per session: one lock per record being written, and when each record settles."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._guards: dict[tuple[str, str], _Guard] = {}

    def unsettled(self, table_id: str, record_id: str) -> bool:
        """Whether a write of this record may still land (its outcome is unknown)."""
        with self._lock:
            guard = self._guards.get((table_id, record_id))
            return guard is not None and guard.unsettled_until > time.monotonic()

    @contextmanager
    def hold(self, table_id: str, record_id: str) -> Iterator[_Guard]:
        """Write this record alone, once any earlier write of unknown outcome has settled."""
        key = (table_id, record_id)
        with self._lock:
            guard = self._guards.setdefault(key, _Guard(threading.Lock()))
            guard.users += 1
        try:
            with guard.lock:
                wait = guard.unsettled_until - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                yield guard
        finally:
            with self._lock:
                guard.users -= 1
                if not guard.users and guard.unsettled_until <= time.monotonic():
                    self._guards.pop(key, None)


def ledger_for(session: BackendSession) -> WriteLedger:
    """The session's :class:`WriteLedger` (one per session, shared by its threads)."""
    return session.cache_for("softr_orm.write_ledger", WriteLedger)


def _by_name(binding: Binding, body: Mapping[str, Any]) -> dict[str, Any]:
    return {binding.attnames.get(fid, fid): value for fid, value in body.items()}


def _annotate(
    error: AmbiguousWriteError, binding: Binding, record_id: str | None, body: Mapping[str, Any]
) -> AmbiguousWriteError:
    error.record_id = record_id
    error.fields = _by_name(binding, body)
    return error


def record_holds(
    model: type[QueryableModel], binding: Binding, record: Record, body: Mapping[str, Any]
) -> bool:
    """Whether ``record`` (as read back) holds every value of ``body`` (write forms by id).

    Values are compared in their write form and, failing that, as Python values (a datetime
    written with an offset reads back in UTC; ``1`` reads back ``Decimal("1")``).
    """
    fields = meta_of(model).fields
    stored = record.get("fields") or {}
    for fid, sent in body.items():
        attname = binding.attnames.get(fid)
        field = fields.get(attname) if attname is not None else None
        if field is None:
            return False
        try:
            value = field.to_python(stored.get(fid))
            if field.to_api(value) == sent:
                continue
            if value == field.to_python(sent) or (value in (None, []) and sent in (None, [], "")):
                continue
        except (SoftrError, TypeError, ValueError):
            pass
        return False
    return True


def create_record(binding: Binding, body: Mapping[str, Any]) -> Record:
    """POST one record; an ambiguous create is raised with the fields sent (no proof here)."""
    try:
        return binding.session.backend.create_record(binding.database_id, binding.table_id, body)
    except AmbiguousWriteError as error:
        raise _annotate(error, binding, None, body) from error.__cause__


def update_record(
    model: type[QueryableModel], binding: Binding, record_id: str, body: Mapping[str, Any]
) -> Record:
    """PATCH one record under the rule of the module docstring; returns it as stored.

    Raises:
        AmbiguousWriteError: the outcome could not be proven (``record_id``, ``fields`` set).
        NotFound: the record does not exist (also when it was deleted meanwhile).
        APIError, TransportError: the service refused it, or it was never sent.
    """
    session = binding.session
    backend = session.backend
    with ledger_for(session).hold(binding.table_id, record_id) as guard:
        for _ in range(proof_rounds(session)):
            try:
                return backend.update_record(binding.database_id, binding.table_id, record_id, body)
            except AmbiguousWriteError as error:
                last = error
                settle = settle_delay(session, error)
                guard.unsettled_until = time.monotonic() + settle
            time.sleep(settle)
            try:
                record = backend.get_record(binding.database_id, binding.table_id, record_id)
            except NotFound:
                raise
            except SoftrError:
                break
            if record_holds(model, binding, record, body):
                return record
            # Not applied, and the attempt has settled: sending again is safe.
        raise _annotate(last, binding, record_id, body)


def delete_record(binding: Binding, record_id: str, *, missing_ok: bool = False) -> None:
    """DELETE one record under the rule of the module docstring.

    A record found gone after an ambiguous attempt has been deleted (ids are never reused).

    Raises:
        AmbiguousWriteError: the outcome could not be proven.
        NotFound: the record did not exist (unless ``missing_ok``).
    """
    session = binding.session
    backend = session.backend
    with ledger_for(session).hold(binding.table_id, record_id) as guard:
        for _ in range(proof_rounds(session)):
            try:
                backend.delete_record(
                    binding.database_id, binding.table_id, record_id, missing_ok=missing_ok
                )
                return
            except AmbiguousWriteError as error:
                last = error
                settle = settle_delay(session, error)
                guard.unsettled_until = time.monotonic() + settle
            time.sleep(settle)
            try:
                backend.get_record(binding.database_id, binding.table_id, record_id)
            except NotFound:
                return
            except SoftrError:
                break
            missing_ok = True  # from here on, "gone" is the outcome asked for
        raise _annotate(last, binding, record_id, {})
