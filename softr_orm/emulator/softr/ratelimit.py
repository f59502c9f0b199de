"""Per-token rate limits: a sliding one-second window for reads and one for writes.

Softr allows 40 reads/s (GET and search) and 30 writes/s per token and sends no rate-limit
headers; the emulator adds ``Retry-After`` (whole seconds, rounded up) to its 429 answers so that
clients honouring it are exercised too.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from softr_orm.constants import READ_RATE_LIMIT, WRITE_RATE_LIMIT

__all__ = ["RateLimiter"]


class RateLimiter:
    """Sliding-window limiter keyed by ``(token id, kind)``.

    Args:
        reads: requests per window for kind ``"read"``.
        writes: requests per window for kind ``"write"``.
        window: window length in seconds.
        clock: monotonic clock (injected by tests).
        enabled: when False every request passes.
    """

    def __init__(
        self,
        *,
        reads: int = READ_RATE_LIMIT,
        writes: int = WRITE_RATE_LIMIT,
        window: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        enabled: bool = True,
    ) -> None:
        self.limits = {"read": reads, "write": writes}
        self.window = window
        self.clock = clock
        self.enabled = enabled
        self._hits: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, token_id: str, kind: str) -> float | None:
        """Count one request; return None when allowed, else seconds until one is allowed.

        A refused request is not counted, so a client that waits ``Retry-After`` gets through.
        """
        if not self.enabled:
            return None
        limit = self.limits[kind]
        now = self.clock()
        with self._lock:
            hits = self._hits.setdefault((token_id, kind), deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= limit:
                return max(hits[0] + self.window - now, 0.0)
            hits.append(now)
            return None

    @staticmethod
    def retry_after(wait: float) -> str:
        """The ``Retry-After`` header value for a wait (whole seconds, at least 1)."""
        return str(max(1, math.ceil(wait)))

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()
