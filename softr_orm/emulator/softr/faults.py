"""Fault injection for reliability tests: latency, 429s, 503s and dropped connections.

Each API request (admin routes are never faulted) first waits ``latency_ms``; then, with
probability ``rate``, one of ``kinds`` is drawn:

``"429"``
    answered ``429 TOO_MANY_REQUESTS`` with ``Retry-After: 0`` or ``1``; nothing applied.
``"503"``
    answered ``503 SERVICE_UNAVAILABLE``; nothing applied.
``"drop_before"``
    the connection is closed without an answer *before* the request is applied: the store is
    unchanged, the client sees a connection error.
``"drop_after"``
    the request is applied, *then* the connection is closed without an answer: the write
    happened but the client cannot know (the case ``AmbiguousWriteError`` exists for).

Draws come from ``random.Random(seed)``, so a sequential client sees the same faults every run.
Dropping needs the emulator's own server (:mod:`softr_orm.emulator.httpserver`), which turns
:class:`DropConnection` into a silently closed socket.
"""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

__all__ = ["FAULT_KINDS", "DropConnection", "FaultConfig", "FaultInjector"]

FAULT_KINDS = ("429", "503", "drop_before", "drop_after")


class DropConnection(ConnectionAbortedError):
    """Raised inside the WSGI app to make the server close the socket without answering.

    The emulator's HTTP server (:mod:`softr_orm.emulator.httpserver`) is told to treat it so;
    under another WSGI server it is just an error.
    """


@dataclass
class FaultConfig:
    """What to inject. ``only_paths``: regular expressions searched in the request path;
    ``methods``: HTTP methods to fault (None = all)."""

    rate: float = 0.0
    kinds: tuple[str, ...] = FAULT_KINDS
    latency_ms: float = 0.0
    seed: int | None = None
    only_paths: tuple[str, ...] | None = None
    methods: tuple[str, ...] | None = None
    _patterns: list[re.Pattern[str]] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError("fault rate must be between 0 and 1")
        if self.latency_ms < 0:
            raise ValueError("latency_ms must not be negative")
        unknown = [kind for kind in self.kinds if kind not in FAULT_KINDS]
        if unknown or not self.kinds:
            raise ValueError(f"fault kinds must be among {', '.join(FAULT_KINDS)}")
        self._patterns = [re.compile(p) for p in self.only_paths or ()]
        if self.methods is not None:
            self.methods = tuple(m.upper() for m in self.methods)

    def applies_to(self, method: str, path: str) -> bool:
        if self.methods is not None and method.upper() not in self.methods:
            return False
        return not self._patterns or any(p.search(path) for p in self._patterns)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rate": self.rate,
            "kinds": list(self.kinds),
            "latencyMs": self.latency_ms,
            "seed": self.seed,
            "onlyPaths": None if self.only_paths is None else list(self.only_paths),
            "methods": None if self.methods is None else list(self.methods),
        }

    @classmethod
    def from_mapping(cls, body: Mapping[str, Any]) -> FaultConfig:
        """Build from an admin-route body (camelCase or snake_case keys)."""

        def pick(*names: str, default: Any = None) -> Any:
            for name in names:
                if name in body:
                    return body[name]
            return default

        only = pick("onlyPaths", "only_paths")
        methods = pick("methods")
        kinds = pick("kinds", default=FAULT_KINDS)
        if isinstance(kinds, str) or not isinstance(kinds, Iterable):
            raise ValueError("'kinds' must be an array")
        rate = pick("rate", default=0.0)
        latency = pick("latencyMs", "latency_ms", default=0)
        seed = pick("seed")
        for name, value in (("rate", rate), ("latencyMs", latency)):
            if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
                raise ValueError(f"'{name}' must be a number")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError("'seed' must be an integer")
        return cls(
            rate=float(rate),
            kinds=tuple(str(k) for k in kinds),
            latency_ms=float(latency),
            seed=seed,
            only_paths=None if only is None else tuple(str(p) for p in only),
            methods=None if methods is None else tuple(str(m) for m in methods),
        )


class FaultInjector:
    """Holds the current :class:`FaultConfig` and draws faults from its seeded generator."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self._lock = threading.Lock()
        self.configure(config or FaultConfig())

    @property
    def config(self) -> FaultConfig:
        return self._config

    def configure(self, config: FaultConfig) -> None:
        with self._lock:
            self._config = config
            self._rng = random.Random(config.seed)

    def draw(self, method: str, path: str) -> tuple[float, str | None, str]:
        """``(latency seconds, fault kind or None, Retry-After value for a 429)``."""
        config = self._config
        if not config.applies_to(method, path):
            return 0.0, None, "1"
        with self._lock:
            kind = None
            retry_after = "1"
            if config.rate > 0 and self._rng.random() < config.rate:
                kind = self._rng.choice(config.kinds)
                if kind == "429":
                    retry_after = self._rng.choice(("0", "1"))
        return config.latency_ms / 1000.0, kind, retry_after
