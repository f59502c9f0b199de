"""Tests for softr_orm.http.retry and the retry rules as the Session applies them."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from email.utils import formatdate
from http.client import RemoteDisconnected
from typing import Any

import pytest
import requests
import responses
import urllib3.exceptions as u3

from softr_orm import Session, errors
from softr_orm.http.retry import (
    Decision,
    Delivery,
    RetryBudget,
    RetryPolicy,
    classify_exception,
    parse_retry_after,
)

BASE = "http://127.0.0.1:8080/api/v1"
URL = f"{BASE}/databases/db1/tables/t1/records"
NOW = 1_750_000_000.0  # fixed wall clock for HTTP-date Retry-After


class FakeClock:
    """Monotonic clock + sleep that record the waits instead of sleeping."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


# --- exceptions as requests raises them -----------------------------------------------------


def refused() -> requests.ConnectionError:
    reason = u3.NewConnectionError(None, "Failed to establish a new connection: [Errno 111]")  # type: ignore[arg-type]
    return requests.ConnectionError(u3.MaxRetryError(None, "/x", reason))  # type: ignore[arg-type]


def dns_failure() -> requests.ConnectionError:
    reason = u3.NameResolutionError("nowhere.invalid", None, socket.gaierror(-2, "not known"))  # type: ignore[arg-type]
    return requests.ConnectionError(u3.MaxRetryError(None, "/x", reason))  # type: ignore[arg-type]


def remote_disconnected() -> requests.ConnectionError:
    return requests.ConnectionError(
        u3.ProtocolError("Connection aborted.", RemoteDisconnected("closed without response"))
    )


def reset() -> requests.ConnectionError:
    return requests.ConnectionError(
        u3.ProtocolError("Connection aborted.", ConnectionResetError(104, "reset by peer"))
    )


def read_timeout() -> requests.ReadTimeout:
    return requests.ReadTimeout(u3.ReadTimeoutError(None, "/x", "Read timed out."))  # type: ignore[arg-type]


# --- pure policy ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("3", 3.0),
        ("0.5", 0.5),
        (" 10 ", 10.0),
        ("0", 0.0),
        ("-1", None),
        ("soon", None),
        ("", None),
        (None, None),
        ("nan", None),
        ("inf", None),
    ],
)
def test_parse_retry_after_seconds(header: str | None, seconds: float | None) -> None:
    """Delta-seconds are read; negative, non-finite and garbage values are ignored."""
    assert parse_retry_after(header, now=NOW) == seconds


def test_parse_retry_after_http_date() -> None:
    """An HTTP date is turned into seconds from now; a past date means 0."""
    assert parse_retry_after(formatdate(NOW + 7, usegmt=True), now=NOW) == pytest.approx(7.0)
    assert parse_retry_after(formatdate(NOW - 100, usegmt=True), now=NOW) == 0.0


def test_backoff_is_full_jitter_exponential_and_capped() -> None:
    """Ceilings 0.25 * 2**n up to 8 s; the wait is jitter() times the ceiling."""
    top = RetryPolicy(jitter=lambda: 1.0)
    assert [top.backoff(n) for n in range(8)] == [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    half = RetryPolicy(jitter=lambda: 0.5)
    assert [half.backoff(n) for n in range(3)] == [0.125, 0.25, 0.5]
    assert RetryPolicy(jitter=lambda: 0.0).backoff(3) == 0.0
    assert RetryPolicy().backoff(1000) <= 8.0  # no overflow for absurd counts


def test_delay_prefers_retry_after_and_caps_it() -> None:
    """Retry-After wins over backoff, but never beyond retry_after_cap."""
    policy = RetryPolicy(jitter=lambda: 1.0)
    assert policy.delay(0, 4.0) == 4.0
    assert policy.delay(0, 120.0) == 30.0
    assert policy.delay(2, None) == 1.0


@pytest.mark.parametrize("status", [429, 503])
def test_retryable_statuses(status: int) -> None:
    """429 and 503 are retried."""
    assert RetryPolicy().decide_status(status) is Decision.RETRY


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 409, 413, 500, 502, 504])
def test_other_statuses_are_final(status: int) -> None:
    """Every other error answer is raised at once."""
    assert RetryPolicy().decide_status(status) is Decision.RAISE


@pytest.mark.parametrize(
    ("make", "delivery"),
    [
        (refused, Delivery.NOT_SENT),
        (dns_failure, Delivery.NOT_SENT),
        (lambda: requests.ConnectTimeout("connect timed out"), Delivery.NOT_SENT),
        (read_timeout, Delivery.MAYBE_SENT),
        (remote_disconnected, Delivery.MAYBE_SENT),
        (reset, Delivery.MAYBE_SENT),
        (lambda: requests.exceptions.ChunkedEncodingError("truncated"), Delivery.MAYBE_SENT),
        (lambda: requests.ConnectionError("bare"), Delivery.MAYBE_SENT),
        (lambda: requests.exceptions.InvalidURL("bad"), Delivery.PERMANENT),
        (
            lambda: requests.exceptions.SSLError(
                u3.SSLError(ssl.SSLCertVerificationError("certificate verify failed"))
            ),
            Delivery.PERMANENT,
        ),
        (lambda: requests.exceptions.SSLError(u3.SSLError("EOF")), Delivery.MAYBE_SENT),
    ],
)
def test_classify_exception(make: Any, delivery: Delivery) -> None:
    """Only a failure to open the connection proves the request never left."""
    assert classify_exception(make()) is delivery


def test_classify_ignores_an_unrelated_exception_context() -> None:
    """A timeout raised while handling an earlier refused connection is still 'maybe sent'."""
    try:
        try:
            raise refused()
        except requests.ConnectionError:
            raise read_timeout() from None
    except requests.ReadTimeout as exc:
        caught = exc
    try:
        try:
            raise refused()
        except requests.ConnectionError:
            raise read_timeout()  # noqa: B904 - the implicit context is the point
    except requests.ReadTimeout as exc:
        implicit = exc
    assert classify_exception(caught) is Delivery.MAYBE_SENT
    assert classify_exception(implicit) is Delivery.MAYBE_SENT


@pytest.mark.parametrize(
    ("kind", "delivery", "decision"),
    [
        ("read", Delivery.MAYBE_SENT, Decision.RETRY),
        ("write", Delivery.MAYBE_SENT, Decision.AMBIGUOUS),
        ("create", Delivery.MAYBE_SENT, Decision.AMBIGUOUS),
        ("read", Delivery.NOT_SENT, Decision.RETRY),
        ("write", Delivery.NOT_SENT, Decision.RETRY),
        ("create", Delivery.NOT_SENT, Decision.RETRY),
        ("read", Delivery.PERMANENT, Decision.RAISE),
        ("create", Delivery.PERMANENT, Decision.RAISE),
    ],
)
def test_decide_exception(kind: Any, delivery: Delivery, decision: Decision) -> None:
    """Writes (creates, updates, deletes) are retried only when surely not sent; reads always."""
    assert RetryPolicy().decide_exception(kind, delivery) is decision


def test_budget_is_bounded_by_count() -> None:
    """After max_retries bookings next_delay() returns None."""
    fake = FakeClock()
    budget = RetryBudget(RetryPolicy(max_retries=2, jitter=lambda: 0.0), fake.clock)
    assert budget.next_delay() == 0.0
    assert budget.next_delay() == 0.0
    assert budget.next_delay() is None
    assert budget.retries == 2


def test_budget_is_bounded_by_total_time() -> None:
    """A retry whose wait would end past total_timeout is refused."""
    fake = FakeClock()
    budget = RetryBudget(RetryPolicy(max_retries=100, total_timeout=10.0), fake.clock)
    assert budget.next_delay(6.0) == 6.0
    fake.now += 6.0
    assert budget.next_delay(6.0) is None
    assert budget.next_delay(4.0) == 4.0


def test_policy_validates() -> None:
    """Negative knobs are refused."""
    with pytest.raises(ValueError):
        RetryPolicy(max_retries=-1)
    with pytest.raises(ValueError):
        RetryPolicy(total_timeout=-1)


# --- the rules, end to end through Session.request -------------------------------------------


@pytest.fixture
def fake() -> FakeClock:
    return FakeClock()


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def make_session(fake: FakeClock, **policy: Any) -> Session:
    policy.setdefault("jitter", lambda: 0.5)
    policy.setdefault("wall_clock", lambda: NOW)
    return Session(
        "test-key",
        base_url=BASE,
        rate_limit=False,
        retry_policy=RetryPolicy(**policy),
        clock=fake.clock,
        sleep=fake.sleep,
    )


def test_429_retry_after_seconds_is_honoured(fake: FakeClock, mocked: Any) -> None:
    """429 with Retry-After: 3 waits exactly 3 s, then succeeds."""
    mocked.add(responses.GET, URL, status=429, headers={"Retry-After": "3"})
    mocked.add(responses.GET, URL, json={"data": []})
    assert make_session(fake).request("GET", ["databases", "db1", "tables", "t1", "records"]) == {
        "data": []
    }
    assert fake.sleeps == [3.0]
    assert len(mocked.calls) == 2


def test_429_retry_after_http_date_is_honoured(fake: FakeClock, mocked: Any) -> None:
    """An HTTP-date Retry-After is converted against the wall clock."""
    mocked.add(
        responses.GET, URL, status=429, headers={"Retry-After": formatdate(NOW + 7, usegmt=True)}
    )
    mocked.add(responses.GET, URL, json={})
    make_session(fake).request("GET", ["databases", "db1", "tables", "t1", "records"])
    assert fake.sleeps == [pytest.approx(7.0)]


def test_retry_after_is_capped(fake: FakeClock, mocked: Any) -> None:
    """Retry-After: 120 waits only retry_after_cap (30 s)."""
    mocked.add(responses.GET, URL, status=429, headers={"Retry-After": "120"})
    mocked.add(responses.GET, URL, json={})
    make_session(fake).request("GET", ["databases", "db1", "tables", "t1", "records"])
    assert fake.sleeps == [30.0]


def test_503_backs_off_exponentially(fake: FakeClock, mocked: Any) -> None:
    """Without Retry-After, waits follow the full-jitter exponential backoff."""
    for _ in range(3):
        mocked.add(responses.GET, URL, status=503)
    mocked.add(responses.GET, URL, json={})
    make_session(fake).request("GET", ["databases", "db1", "tables", "t1", "records"])
    assert fake.sleeps == [0.125, 0.25, 0.5]
    assert len(mocked.calls) == 4


@pytest.mark.parametrize("error", [requests.ConnectionError("reset"), read_timeout()])
def test_reads_retry_on_connection_errors_and_timeouts(
    fake: FakeClock, mocked: Any, error: Exception
) -> None:
    """A GET (or a search with kind='read') is retried after transport failures."""
    mocked.add(responses.GET, URL, body=error)
    mocked.add(responses.GET, URL, body=read_timeout())
    mocked.add(responses.GET, URL, json={"ok": 1})
    s = make_session(fake)
    assert s.request("GET", ["databases", "db1", "tables", "t1", "records"]) == {"ok": 1}
    assert len(mocked.calls) == 3
    assert len(fake.sleeps) == 2
    mocked.add(responses.POST, f"{URL}/search", body=read_timeout())
    mocked.add(responses.POST, f"{URL}/search", json={"ok": 2})
    path = ["databases", "db1", "tables", "t1", "records", "search"]
    assert s.request("POST", path, json={}, kind="read") == {"ok": 2}


@pytest.mark.parametrize("method", ["PATCH", "PUT", "DELETE"])
@pytest.mark.parametrize("error", [remote_disconnected, read_timeout, reset])
def test_updates_that_may_have_been_applied_are_not_repeated(
    fake: FakeClock, mocked: Any, method: str, error: Any
) -> None:
    """PATCH/PUT/DELETE that may have reached the server are sent once: a repeat could be
    overtaken by the first attempt landing late. AmbiguousWriteError names the write."""
    mocked.add(method, f"{URL}/r1", body=error())
    mocked.add(method, f"{URL}/r1", json={"data": {"id": "r1"}})
    body = None if method == "DELETE" else {"fields": {"f1": 2}}
    path = ["databases", "db1", "tables", "t1", "records", "r1"]
    with pytest.raises(errors.AmbiguousWriteError) as info:
        make_session(fake).request(method, path, **({} if body is None else {"json": body}))
    assert len(mocked.calls) == 1
    assert fake.sleeps == []
    assert info.value.method == method
    assert info.value.path == "/databases/db1/tables/t1/records/r1"
    assert "may or may not" in str(info.value)


@pytest.mark.parametrize("method", ["PATCH", "PUT", "DELETE"])
@pytest.mark.parametrize("error", [refused, dns_failure])
def test_updates_surely_never_sent_are_retried(
    fake: FakeClock, mocked: Any, method: str, error: Any
) -> None:
    """A write whose connection never opened (refused, DNS) is retried like a read."""
    mocked.add(method, f"{URL}/r1", body=error())
    mocked.add(method, f"{URL}/r1", json={"data": {"id": "r1"}})
    path = ["databases", "db1", "tables", "t1", "records", "r1"]
    assert make_session(fake).request(method, path) == {"data": {"id": "r1"}}
    assert len(mocked.calls) == 2


def test_policy_settle_delay_validates() -> None:
    """settle_delay defaults to None (the read timeout) and must not be negative."""
    assert RetryPolicy().settle_delay is None
    assert RetryPolicy(settle_delay=0.5).settle_delay == 0.5
    with pytest.raises(ValueError, match="settle_delay"):
        RetryPolicy(settle_delay=-1.0)


def test_first_attempt_delete_404_raises(fake: FakeClock, mocked: Any) -> None:
    """A 404 on the first DELETE attempt is a real NotFound."""
    mocked.add(responses.DELETE, f"{URL}/r1", status=404, json={"errorCode": "RESOURCE_NOT_FOUND"})
    with pytest.raises(errors.NotFound):
        make_session(fake).request("DELETE", ["databases", "db1", "tables", "t1", "records", "r1"])
    assert len(mocked.calls) == 1


def test_delete_404_after_a_429_still_raises(fake: FakeClock, mocked: Any) -> None:
    """A 429 proves the first attempt was not applied, so a later 404 is a real NotFound."""
    mocked.add(responses.DELETE, f"{URL}/r1", status=429, headers={"Retry-After": "1"})
    mocked.add(responses.DELETE, f"{URL}/r1", status=404, json={"errorCode": "RESOURCE_NOT_FOUND"})
    with pytest.raises(errors.NotFound):
        make_session(fake).request("DELETE", ["databases", "db1", "tables", "t1", "records", "r1"])
    assert len(mocked.calls) == 2


@pytest.mark.parametrize("error", [read_timeout, remote_disconnected, reset])
def test_create_that_may_have_been_applied_is_not_repeated(
    fake: FakeClock, mocked: Any, error: Any
) -> None:
    """A POST create after a read timeout or a dropped connection is sent exactly once."""
    mocked.add(responses.POST, URL, body=error())
    mocked.add(responses.POST, URL, json={"data": {"id": "dup"}})
    with pytest.raises(errors.AmbiguousWriteError) as info:
        make_session(fake).request(
            "POST", ["databases", "db1", "tables", "t1", "records"], json={"fields": {}}
        )
    assert len(mocked.calls) == 1
    assert fake.sleeps == []
    assert "may or may not" in str(info.value)
    assert info.value.method == "POST"
    assert info.value.path == "/databases/db1/tables/t1/records"
    assert isinstance(info.value.__cause__, requests.RequestException)


@pytest.mark.parametrize("error", [refused, dns_failure])
def test_create_after_refused_connection_is_retried(
    fake: FakeClock, mocked: Any, error: Any
) -> None:
    """A create that surely never left (refused, DNS) is retried."""
    mocked.add(responses.POST, URL, body=error())
    mocked.add(responses.POST, URL, json={"data": {"id": "r1"}})
    result = make_session(fake).request(
        "POST", ["databases", "db1", "tables", "t1", "records"], json={"fields": {}}
    )
    assert result == {"data": {"id": "r1"}}
    assert len(mocked.calls) == 2


@pytest.mark.parametrize("status", [429, 503])
def test_create_after_429_or_503_is_retried(fake: FakeClock, mocked: Any, status: int) -> None:
    """Softr did not apply a create it answered 429/503 to: it is retried."""
    mocked.add(responses.POST, URL, status=status)
    mocked.add(responses.POST, URL, json={"data": {"id": "r1"}})
    make_session(fake).request(
        "POST", ["databases", "db1", "tables", "t1", "records"], json={"fields": {}}
    )
    assert len(mocked.calls) == 2
    assert fake.sleeps == [0.125]


def test_create_refused_for_real_is_retried_then_transport_error(fake: FakeClock) -> None:
    """Against a closed port on 127.0.0.1 a create is retried, then raises TransportError."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    s = Session(
        "test-key",
        base_url=f"http://127.0.0.1:{port}/api/v1",
        rate_limit=False,
        retry_policy=RetryPolicy(max_retries=2, jitter=lambda: 0.5),
        clock=fake.clock,
        sleep=fake.sleep,
    )
    with pytest.raises(errors.TransportError) as info:
        s.request("POST", ["databases"], json={"name": "x"})
    assert not isinstance(info.value, errors.AmbiguousWriteError)
    assert fake.sleeps == [0.125, 0.25]
    assert s.request_count == 0  # nothing ever reached a server
    assert isinstance(info.value.__cause__, requests.ConnectionError)


def test_retries_bounded_by_count(fake: FakeClock, mocked: Any) -> None:
    """Always 503: max_retries + 1 attempts, then ServiceUnavailable with retry_after."""
    mocked.add(responses.GET, URL, status=503, headers={"Retry-After": "1"})
    s = make_session(fake, max_retries=3)
    with pytest.raises(errors.ServiceUnavailable) as info:
        s.request("GET", ["databases", "db1", "tables", "t1", "records"])
    assert len(mocked.calls) == 4
    assert fake.sleeps == [1.0, 1.0, 1.0]
    assert info.value.retry_after == 1.0
    assert info.value.status == 503


def test_retries_bounded_by_total_time(fake: FakeClock, mocked: Any) -> None:
    """Retry-After 30 with total_timeout 60: two waits, then RateLimited."""
    mocked.add(responses.GET, URL, status=429, headers={"Retry-After": "45"})
    s = make_session(fake, max_retries=50, total_timeout=60.0)
    with pytest.raises(errors.RateLimited) as info:
        s.request("GET", ["databases", "db1", "tables", "t1", "records"])
    assert fake.sleeps == [30.0, 30.0]
    assert len(mocked.calls) == 3
    assert info.value.retry_after == 45.0


def test_transport_error_after_retries_spent(fake: FakeClock, mocked: Any) -> None:
    """Reads failing every time raise TransportError chained to the requests exception."""
    mocked.add(responses.GET, URL, body=reset())
    s = make_session(fake, max_retries=2)
    with pytest.raises(errors.TransportError) as info:
        s.request("GET", ["databases", "db1", "tables", "t1", "records"])
    assert len(mocked.calls) == 3
    assert isinstance(info.value.__cause__, requests.ConnectionError)
    assert "3 attempts" in str(info.value)
    assert info.value.path == "/databases/db1/tables/t1/records"


@pytest.mark.parametrize(
    ("status", "exc"),
    [
        (400, errors.BadRequest),
        (401, errors.Unauthorized),
        (404, errors.NotFound),
        (409, errors.ConstraintViolation),
        (500, errors.ServerError),
    ],
)
@pytest.mark.parametrize(("method", "kind"), [("GET", None), ("PATCH", None), ("POST", None)])
def test_other_errors_are_never_retried(
    fake: FakeClock, mocked: Any, status: int, exc: type[Exception], method: str, kind: Any
) -> None:
    """400/401/404/409/5xx-but-503 raise after a single attempt, whatever the method."""
    mocked.add(method, URL, status=status, json={"message": "no"})
    with pytest.raises(exc):
        make_session(fake).request(
            method, ["databases", "db1", "tables", "t1", "records"], json={}, kind=kind
        )
    assert len(mocked.calls) == 1
    assert fake.sleeps == []


def test_max_retries_zero_disables_retrying(fake: FakeClock, mocked: Any) -> None:
    """Session(max_retries=0) gives up after the first 429."""
    mocked.add(responses.GET, URL, status=429)
    s = Session("test-key", base_url=BASE, rate_limit=False, max_retries=0, sleep=fake.sleep)
    with pytest.raises(errors.RateLimited):
        s.request("GET", ["databases", "db1", "tables", "t1", "records"])
    assert len(mocked.calls) == 1
    assert s.max_retries == 0


def test_timed_out_tells_a_read_timeout_from_a_dropped_connection() -> None:
    """Only a read timeout may leave the server still working on a request."""
    from softr_orm.http.retry import timed_out

    assert timed_out(read_timeout())
    assert not timed_out(remote_disconnected())
    assert not timed_out(reset())


def test_settle_delay_defaults() -> None:
    """The ORM waits the read timeout after a timed-out write, at most 1 s after a dropped
    connection, and exactly RetryPolicy.settle_delay when one is set."""
    from softr_orm.query.outcome import settle_delay

    def error(cause: Exception) -> errors.AmbiguousWriteError:
        ambiguous = errors.AmbiguousWriteError("lost", method="PATCH", path="/r/1")
        ambiguous.__cause__ = cause
        return ambiguous

    slow = Session("test-key", base_url=BASE, timeout=5.0, rate_limit=False)
    assert settle_delay(slow, error(read_timeout())) == 5.0
    assert settle_delay(slow, error(remote_disconnected())) == 1.0
    assert settle_delay(slow) == 5.0
    quick = Session("test-key", base_url=BASE, timeout=0.5, rate_limit=False)
    assert settle_delay(quick, error(reset())) == 0.5
    pinned = Session(
        "test-key", base_url=BASE, rate_limit=False, retry_policy=RetryPolicy(settle_delay=0.2)
    )
    assert settle_delay(pinned, error(read_timeout())) == 0.2
