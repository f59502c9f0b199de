"""Framework integrations: :mod:`softr_orm.contrib.flask` and :mod:`softr_orm.contrib.django`.

Neither framework is imported here, so this package costs nothing to import. What both share
is :class:`RequestLog`: it counts the Softr requests (and the time spent in them) made while
one web request is served, and logs a line per web request on the ``softr_orm`` logger at
DEBUG level. Seeing "GET /contacts: 41 Softr requests" is how an N+1 loop shows itself.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from softr_orm.http.session import HttpSession, RequestEvent

__all__ = ["RequestLog", "RequestTally"]

logger = logging.getLogger("softr_orm")


@dataclass(eq=False)
class RequestTally:
    """The Softr requests seen while serving one web request.

    Attributes:
        label: what is being served (e.g. ``"GET /contacts"``).
        count: HTTP attempts to Softr (retries included).
        elapsed_ms: wall time of those attempts, added up.
        errors: attempts answered with a status >= 400 or not answered at all.
        shared: attempts made by worker threads (concurrent scans, bulk writes) while other
            web requests were in flight too, so that they may belong to another one.
    """

    label: str
    count: int = 0
    elapsed_ms: float = 0.0
    errors: int = 0
    shared: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _token: contextvars.Token[RequestTally | None] | None = field(default=None, repr=False)

    def add(self, event: RequestEvent, shared: bool = False) -> None:
        with self._lock:
            self.count += 1
            self.elapsed_ms += event.elapsed_ms
            if event.error is not None or (event.status or 0) >= 400:
                self.errors += 1
            if shared:
                self.shared += 1

    def summary(self) -> str:
        text = f"{self.label}: {self.count} Softr request{'s' if self.count != 1 else ''}"
        text += f" in {self.elapsed_ms:.1f} ms"
        if self.errors:
            text += f", {self.errors} failed"
        if self.shared:
            text += f" ({self.shared} from worker threads while other web requests ran)"
        return text


class RequestLog:
    """Attributes each Softr request to the web request being served, and logs a summary.

    A listener (:meth:`softr_orm.Session.add_listener`) on each watched session adds every
    attempt to the tally of the current web request, found through a context variable. Pages
    of a concurrent scan and bulk writes run in worker threads that do not carry that
    variable: their attempts go to the only web request in flight, or, when several are, to
    each of them, marked as shared. With one request at a time (a development server) the
    counts are exact.
    """

    def __init__(self, log: logging.Logger = logger) -> None:
        self.log = log
        self._current: contextvars.ContextVar[RequestTally | None] = contextvars.ContextVar(
            "softr_orm_request_tally", default=None
        )
        self._active: set[RequestTally] = set()
        self._lock = threading.Lock()
        self._watched: weakref.WeakSet[HttpSession] = weakref.WeakSet()

    def watch(self, session: HttpSession) -> None:
        """Count requests of ``session`` from now on (once per session, however often called)."""
        with self._lock:
            if session in self._watched:
                return
            self._watched.add(session)
        session.add_listener(self._on_event)

    def _on_event(self, event: RequestEvent) -> None:
        tally = self._current.get()
        if tally is not None:
            tally.add(event)
            return
        with self._lock:
            active = list(self._active)
        for each in active:
            each.add(event, shared=len(active) > 1)

    def start(self, label: str) -> RequestTally:
        """Begin a tally for the current context (pair with :meth:`finish`)."""
        tally = RequestTally(label)
        with self._lock:
            self._active.add(tally)
        tally._token = self._current.set(tally)
        return tally

    def finish(self, tally: RequestTally) -> RequestTally:
        """End ``tally`` and log its summary at DEBUG."""
        with self._lock:
            self._active.discard(tally)
        token, tally._token = tally._token, None
        if token is not None and self._current.get() is tally:
            try:
                self._current.reset(token)  # back to an enclosing tally, if any
            except ValueError:  # finished in another context than it started in
                self._current.set(None)
        if self.log.isEnabledFor(logging.DEBUG):
            self.log.debug("%s", tally.summary())
        return tally

    @contextlib.contextmanager
    def track(self, label: str) -> Iterator[RequestTally]:
        """Tally the requests made inside the ``with`` block, then log them."""
        tally = self.start(label)
        try:
            yield tally
        finally:
            self.finish(tally)
