"""The request log: what the emulator answered, for clients' reliability tests to inspect."""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

__all__ = ["RequestLog"]


class RequestLog:
    """The last ``limit`` entries (dicts), safe to append to from many threads."""

    def __init__(self, limit: int = 10_000) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=limit)
        self._lock = threading.Lock()

    def append(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[dict[str, Any]]:
        """Copies of the entries, oldest first."""
        with self._lock:
            return [dict(entry) for entry in self._entries]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
