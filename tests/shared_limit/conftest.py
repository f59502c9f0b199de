"""Fixtures for the shared (Redis) rate-limit tests: a real redis-server on loopback."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The fleet worker and the Redis helper live in benchmarks/ (the benchmark uses them too).
ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from _redis_server import RedisServer, require_redis_server  # noqa: E402


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One redis-server per xdist worker, started once and stopped at the end."""
    server = RedisServer(require_redis_server())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> Iterator[str]:
    """The worker's Redis, emptied before each test."""
    client = redis_server.client()
    client.flushdb()
    client.close()
    yield redis_server.url


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A redis-server of this test's own, which the test may stop and start again."""
    server = RedisServer(require_redis_server())
    server.start()
    yield server
    server.stop()
