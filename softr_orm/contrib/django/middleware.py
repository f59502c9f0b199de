"""``SoftrRequestLogMiddleware``: one DEBUG line per web request on the ``softr_orm`` logger.

Add ``"softr_orm.contrib.django.middleware.SoftrRequestLogMiddleware"`` to ``MIDDLEWARE`` and
set the ``softr_orm`` logger to DEBUG to see, for each request, how many Softr requests it made
and how long they took: ``GET /contacts/: 3 Softr requests in 84.2 ms``. The tally is also
left on ``request.softr_requests`` (a :class:`softr_orm.contrib.RequestTally`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from softr_orm.errors import ConfigurationError

__all__ = ["SoftrRequestLogMiddleware"]


class SoftrRequestLogMiddleware:
    """Counts the Softr requests of each Django request (sessions of ``settings.SOFTR``, and
    the process default session)."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        from softr_orm.backends.defaults import default_session
        from softr_orm.contrib.django import request_log

        with contextlib.suppress(ConfigurationError):  # no default session: nothing to watch
            request_log.watch(default_session())
        with request_log.track(f"{request.method} {request.path}") as tally:
            request.softr_requests = tally
            return self.get_response(request)
