"""Each attempt has a deadline on its whole answer, a call ends within the retry policy's
total_timeout, and answers larger than a limit are refused without being read whole
(issue 12, "no hang, no exhaustion"). Real HTTP to small misbehaving loopback servers."""

from __future__ import annotations

import time
from typing import Any

import pytest
from _bad_servers import answer, bad_server, declares, drip, drip_head, endless, gzip_bomb

from softr_orm import Session, errors
from softr_orm.http.deadline import DEADLINE_MARGIN, DEFAULT_MAX_RESPONSE_BYTES
from softr_orm.http.retry import RetryPolicy

KEY = "deadline-test-key"


def _session(url: str, **options: Any) -> Session:
    options.setdefault("max_retries", 0)
    options.setdefault("timeout", (0.5, 0.5))
    return Session(KEY, base_url=url, rate_limit=False, **options)


def _timed_failure(session: Session) -> tuple[BaseException, float]:
    started = time.monotonic()
    with session, pytest.raises(errors.SoftrError) as info:
        session.request("GET", ["databases"])
    return info.value, time.monotonic() - started


@pytest.mark.parametrize("behave", [drip(), drip_head(), endless(every=0.05)])
def test_a_slow_answer_ends_within_connect_plus_read_timeout(behave: Any) -> None:
    """Dripping bodies, dripping headers and endless bodies never trip a read timeout; the
    attempt's deadline (connect + read + margin) cuts them. (Without it: 30 s, or never.)"""
    # A generous connect timeout: on a loaded machine, connecting to loopback can be slow.
    with bad_server(behave) as server:
        error, elapsed = _timed_failure(_session(server.url, timeout=(2, 0.5)))
    assert isinstance(error, errors.TransportError)
    assert "ReadTimeout" in str(error) and KEY not in str(error)
    # The drip alone would last 30 s; the slack is for a loaded CI machine.
    assert elapsed < 2 + 0.5 + DEADLINE_MARGIN + 6, elapsed


def test_total_timeout_bounds_the_whole_call() -> None:
    """Retries included, a call ends within the retry policy's total_timeout."""
    policy = RetryPolicy(max_retries=10, total_timeout=1.2, backoff_base=0.0)
    with bad_server(drip()) as server:
        session = _session(server.url, timeout=(5, 5), retry_policy=policy)
        error, elapsed = _timed_failure(session)
    assert isinstance(error, errors.TransportError)
    assert elapsed < 1.2 + 6, elapsed


def test_a_slow_answer_that_completes_in_time_is_read() -> None:
    body = b'{"data": {"id": "db1"}}'
    with bad_server(drip(body, every=0.01)) as server, _session(server.url) as session:
        assert session.request("GET", ["databases"]) == {"data": {"id": "db1"}}


def test_an_endless_fast_body_hits_the_size_limit() -> None:
    with bad_server(endless()) as server:
        error, elapsed = _timed_failure(
            _session(server.url, timeout=(5, 5), max_response_bytes=1024 * 1024)
        )
    assert isinstance(error, errors.ResponseTooLarge)
    assert isinstance(error, errors.UnexpectedResponse) and isinstance(error, errors.APIError)
    assert error.method == "GET" and error.path == "/api/v1/databases" and error.status == 200
    assert elapsed < 8, elapsed


def test_a_gzip_bomb_is_refused_at_the_default_limit() -> None:
    """80 MiB inflated from a 80 KiB body: refused once past 64 MiB, never held whole."""
    assert DEFAULT_MAX_RESPONSE_BYTES == 64 * 1024 * 1024
    with bad_server(gzip_bomb(80 * 1024 * 1024)) as server:
        error, _ = _timed_failure(_session(server.url, timeout=(5, 5)))
    assert isinstance(error, errors.ResponseTooLarge)
    assert "67108864" in str(error)


def test_a_declared_huge_length_is_refused_before_reading() -> None:
    with bad_server(declares(10**12)) as server:
        error, elapsed = _timed_failure(_session(server.url, timeout=(5, 5)))
    assert isinstance(error, errors.ResponseTooLarge)
    assert "1000000000000" in str(error)
    assert elapsed < 8, elapsed  # the server holds the connection open for 10 s


@pytest.mark.parametrize("limit", [0, -1, 1.5, True, "64"])
def test_max_response_bytes_is_checked(limit: Any) -> None:
    with pytest.raises(errors.ConfigurationError, match="max_response_bytes"):
        Session(KEY, max_response_bytes=limit)


def test_a_small_answer_within_a_small_limit_is_read() -> None:
    body = b'{"data": [{"id": "db1"}]}'
    with bad_server(answer(body)) as server:
        with _session(server.url, max_response_bytes=len(body)) as session:
            assert session.request("GET", ["databases"]) == {"data": [{"id": "db1"}]}
        small = _session(server.url, max_response_bytes=len(body) - 1)
        with small, pytest.raises(errors.ResponseTooLarge):
            small.request("GET", ["databases"])


def test_environment_settings_are_read_once_per_origin(monkeypatch: pytest.MonkeyPatch) -> None:
    """Proxy and CA settings come from the environment once per origin, not on every call
    (requests recomputes them at ~70 us a request), and they still apply."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    body = b'{"data": []}'
    with bad_server(answer(body)) as server, _session(server.url) as session:
        calls: list[Any] = []
        original = session._http.merge_environment_settings

        def counting(*args: Any) -> Any:
            calls.append(args[0])
            return original(*args)

        monkeypatch.setattr(session._http, "merge_environment_settings", counting)
        for _ in range(5):
            assert session.request("GET", ["databases"]) == {"data": []}
    assert len(calls) == 1 and calls[0].startswith("http://127.0.0.1:")
    assert len(server.requests) == 5
