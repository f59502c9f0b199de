"""The switches of a running face that the admin routes and ``Emulator`` turn: rate limits,
faults, the request log and the body size limit."""

from __future__ import annotations

from dataclasses import dataclass

from .faults import FaultInjector
from .ratelimit import RateLimiter
from .requestlog import RequestLog

__all__ = ["Controls"]


@dataclass
class Controls:
    """Shared by the app, every request (:class:`~.call.Call`) and the admin routes."""

    limiter: RateLimiter
    faults: FaultInjector
    log: RequestLog
    max_body_bytes: int
