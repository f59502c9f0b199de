"""Tests for softr_orm.http.session.Session: requests on the wire, answers, configuration."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import responses

import softr_orm
from softr_orm import Session, configure, default_session, errors
from softr_orm.backends import defaults
from softr_orm.constants import DATABASE_API_URL, USERS_API_URL

BASE = "http://127.0.0.1:8080/api/v1"
USERS = "http://127.0.0.1:8080/v1/api"
KEY = "test-key-7d2e"


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def make(**kw: Any) -> Session:
    kw.setdefault("base_url", BASE)
    kw.setdefault("users_base_url", USERS)
    kw.setdefault("rate_limit", False)
    kw.setdefault("max_retries", 0)
    return Session(KEY, **kw)


# --- what goes on the wire --------------------------------------------------------------------


def test_headers_on_a_body_request(mocked: responses.RequestsMock) -> None:
    """Key, Accept, Content-Type (with a body) and a softr-orm User-Agent are sent."""
    mocked.add(responses.POST, f"{BASE}/databases", json={"data": {}})
    make().request("POST", ["databases"], json={"name": "x"})
    headers = mocked.calls[0].request.headers
    assert headers["Softr-Api-Key"] == KEY
    assert headers["Accept"] == "application/json"
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == f"softr-orm/{softr_orm.__version__}"


def test_no_content_type_without_body(mocked: responses.RequestsMock) -> None:
    """A GET carries no body and so no Content-Type."""
    mocked.add(responses.GET, f"{BASE}/databases", json={"data": []})
    make().request("GET", ["databases"])
    request = mocked.calls[0].request
    assert "Content-Type" not in request.headers
    assert request.body is None


def test_extra_headers_are_sent_and_cannot_replace_the_key(mocked: responses.RequestsMock) -> None:
    """headers= adds e.g. Softr-Domain; the session's key always wins."""
    mocked.add(responses.POST, f"{USERS}/users", json={})
    make().request(
        "POST",
        ["users"],
        api="users",
        json={},
        headers={"Softr-Domain": "app.example.com", "Softr-Api-Key": "other"},
    )
    headers = mocked.calls[0].request.headers
    assert headers["Softr-Domain"] == "app.example.com"
    assert headers["Softr-Api-Key"] == KEY


def test_auth_false_sends_no_key(mocked: responses.RequestsMock) -> None:
    """auth=False (validate-token) sends no Softr-Api-Key at all."""
    mocked.add(responses.POST, "http://127.0.0.1:9999/v1/api/users/validate-token", json={})
    make().request(
        "POST",
        ["users", "validate-token"],
        api="users",
        base_url="http://127.0.0.1:9999/v1/api/",
        auth=False,
        json={"jwt": "j"},
        headers={"Softr-Api-Key": "smuggled"},
    )
    assert "Softr-Api-Key" not in mocked.calls[0].request.headers


def test_body_is_compact_json_with_exact_decimals(mocked: responses.RequestsMock) -> None:
    """The body is encoded by jsonutil: exact Decimals, compact, UTF-8."""
    mocked.add(responses.PATCH, f"{BASE}/r", json={})
    make().request("PATCH", ["r"], json={"fields": {"a": Decimal("12345678901234567.89")}})
    assert mocked.calls[0].request.body == b'{"fields":{"a":12345678901234567.89}}'


def test_json_none_is_sent_as_null(mocked: responses.RequestsMock) -> None:
    """json=None is a body ("null"); omitting json sends none."""
    mocked.add(responses.POST, f"{USERS}/users/sync", json={})
    make().request("POST", ["users", "sync"], api="users", json=None)
    make().request("POST", ["users", "sync"], api="users")
    assert mocked.calls[0].request.body == b"null"
    assert not mocked.calls[1].request.body


@pytest.mark.parametrize(
    ("segment", "encoded"),
    [
        ("../x", "..%2Fx"),
        ("...", "..."),
        ("a.b-c_d~e", "a.b-c_d~e"),
        ("a/b", "a%2Fb"),
        ("a?b#c", "a%3Fb%23c"),
        ("%2F", "%252F"),
        ("é中", "%C3%A9%E4%B8%AD"),
        ("a b+c@d.e", "a%20b%2Bc%40d.e"),
        ("3ElMV", "3ElMV"),
    ],
)
def test_path_segments_stay_one_segment(
    mocked: responses.RequestsMock, segment: str, encoded: str
) -> None:
    """Each raw segment is percent-encoded where it must be (unreserved characters stay raw)
    and stays exactly one segment."""
    mocked.add(responses.GET, f"{BASE}/databases/{encoded}/tables", json={})
    make().request("GET", ["databases", segment, "tables"])
    path = urlsplit(mocked.calls[0].request.url).path
    assert path == f"/api/v1/databases/{encoded}/tables"
    assert path.split("/")[4] == encoded


def test_bad_paths_are_refused_before_sending(mocked: responses.RequestsMock) -> None:
    """A str path (not a sequence of segments) and empty segments are programming errors."""
    s = make()
    with pytest.raises(TypeError):
        s.request("GET", "databases")
    with pytest.raises(ValueError):
        s.request("GET", ["databases", ""])
    with pytest.raises(TypeError):
        s.request("GET", ["databases", None])  # type: ignore[list-item]
    assert len(mocked.calls) == 0


def test_query_parameters(mocked: responses.RequestsMock) -> None:
    """Bools become true/false, None is dropped, values are percent-encoded."""
    mocked.add(responses.GET, f"{BASE}/records", json={})
    make().request(
        "GET",
        ["records"],
        params={"fieldNames": True, "offset": 0, "limit": 200, "viewId": None, "q": "a&b c"},
    )
    assert urlsplit(mocked.calls[0].request.url).query == (
        "fieldNames=true&offset=0&limit=200&q=a%26b%20c"
    )


# --- answers ----------------------------------------------------------------------------------


def test_json_answer_is_decoded_with_decimals(mocked: responses.RequestsMock) -> None:
    """The body is decoded by jsonutil.loads: non-integers are Decimal."""
    mocked.add(responses.GET, f"{BASE}/r", body=b'{"data": {"n": 0.1, "i": 3}}')
    assert make().request("GET", ["r"]) == {"data": {"n": Decimal("0.1"), "i": 3}}


@pytest.mark.parametrize(("status", "body"), [(204, b""), (200, b""), (200, b"  \n")])
def test_empty_answers_are_none(mocked: responses.RequestsMock, status: int, body: bytes) -> None:
    """204 and empty bodies give None."""
    mocked.add(responses.DELETE, f"{BASE}/r", status=status, body=body)
    assert make().request("DELETE", ["r"]) is None


def test_non_json_success_body(mocked: responses.RequestsMock) -> None:
    """The Database API must answer JSON; the Users API may answer plain text."""
    mocked.add(responses.GET, f"{BASE}/r", body=b"<html>proxy</html>")
    mocked.add(responses.POST, f"{USERS}/users/sync", body=b"sync started")
    with pytest.raises(errors.APIError, match="not JSON"):
        make().request("GET", ["r"])
    assert make().request("POST", ["users", "sync"], api="users") == "sync started"


@pytest.mark.parametrize(
    ("status", "code", "exc"),
    [
        (400, "BAD_REQUEST", errors.BadRequest),
        (400, "VALIDATION_ERROR", errors.FieldValidationError),
        (400, "UNKNOWN_FIELD", errors.UnknownField),
        (401, "UNAUTHORIZED", errors.Unauthorized),
        (402, "QUOTA_EXCEEDED", errors.QuotaExceeded),
        (403, "FORBIDDEN", errors.Forbidden),
        (404, "RESOURCE_NOT_FOUND", errors.NotFound),
        (409, "CONSTRAINT_VIOLATION", errors.ConstraintViolation),
        (413, "PAYLOAD_TOO_LARGE", errors.PayloadTooLarge),
        (429, "TOO_MANY_REQUESTS", errors.RateLimited),
        (503, "SERVICE_UNAVAILABLE", errors.ServiceUnavailable),
        (502, None, errors.ServerError),
    ],
)
def test_error_answers_map_to_exceptions(
    mocked: responses.RequestsMock, status: int, code: str | None, exc: type[errors.APIError]
) -> None:
    """Each errorCode raises its class, with status, message, details, method and path."""
    body: dict[str, Any] = {"message": "nope", "details": {"fieldId": "aMt9k", "traceId": "t-1"}}
    if code:
        body["errorCode"] = code
    mocked.add(responses.PATCH, f"{BASE}/databases/d%2Fx", status=status, json=body)
    with pytest.raises(exc) as info:
        make().request("PATCH", ["databases", "d/x"], json={})
    err = info.value
    assert type(err) is exc
    assert (err.status, err.message, err.trace_id) == (status, "nope", "t-1")
    assert (err.method, err.path) == ("PATCH", "/databases/d%2Fx")


def test_non_json_error_body_falls_back_on_status(mocked: responses.RequestsMock) -> None:
    """A proxy's HTML 404 still raises NotFound with the start of the body as message."""
    mocked.add(responses.GET, f"{BASE}/x", status=404, body=b"<h1>Not Found</h1>")
    with pytest.raises(errors.NotFound, match="Not Found"):
        make().request("GET", ["x"])


# --- timeouts, redirects flag, adapter --------------------------------------------------------


@pytest.mark.parametrize(
    ("timeout", "expected"),
    [(None, (10.0, 30.0)), (5, (5.0, 5.0)), (60.0, (10.0, 60.0)), ((2, 7), (2.0, 7.0))],
)
def test_timeouts_on_every_call(
    mocked: responses.RequestsMock, timeout: Any, expected: tuple[float, float]
) -> None:
    """Connect and read timeouts reach the transport on every call (default 10 s / 30 s)."""
    mocked.add(responses.GET, f"{BASE}/x", json={})
    s = make() if timeout is None else make(timeout=timeout)
    assert s.timeout == expected
    s.request("GET", ["x"])
    s.request("GET", ["x"])
    assert [c.request.req_kwargs["timeout"] for c in mocked.calls] == [expected, expected]  # type: ignore[attr-defined]


@pytest.mark.parametrize("timeout", [0, -1, (1, 0), "10", (1, 2, 3), True])
def test_bad_timeouts_are_refused(timeout: Any) -> None:
    """Non-positive or malformed timeouts raise ConfigurationError."""
    with pytest.raises(errors.ConfigurationError):
        make(timeout=timeout)


def test_redirects_disabled_on_every_call(
    mocked: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every send is made with allow_redirects=False."""
    mocked.add(responses.GET, f"{BASE}/x", json={})
    mocked.add(responses.POST, f"{BASE}/x", json={})
    s = make()
    seen: list[Any] = []
    real_send = s._http.send

    def spy(request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        seen.append(kwargs.get("allow_redirects"))
        return real_send(request, **kwargs)

    monkeypatch.setattr(s._http, "send", spy)
    s.request("GET", ["x"])
    s.request("POST", ["x"], json={})
    assert seen == [False, False]


def test_adapter_pool_and_no_urllib3_retries() -> None:
    """One HTTPAdapter per scheme with pool_maxsize=pool_size and max_retries=0."""
    s = make(pool_size=48)
    for prefix in ("http://", "https://"):
        adapter = s._http.get_adapter(prefix + "127.0.0.1/")
        assert isinstance(adapter, requests.adapters.HTTPAdapter)
        assert adapter._pool_maxsize == 48  # type: ignore[attr-defined]
        assert adapter.max_retries.total == 0
    with pytest.raises(errors.ConfigurationError):
        make(pool_size=0)


def test_defaults() -> None:
    """Default roots are Softr's, retries 5, rate limits on."""
    s = Session(KEY)
    assert (s.base_url, s.users_base_url) == (DATABASE_API_URL, USERS_API_URL)
    assert s.max_retries == 5 and s.pool_size == 32
    assert s.rate_limiter.enabled
    with pytest.raises(errors.ConfigurationError):
        Session(KEY, rate_limit="yes")  # type: ignore[arg-type]


def test_trailing_slash_is_dropped() -> None:
    """base_url and users_base_url are kept without a trailing slash."""
    s = Session(KEY, base_url=BASE + "/", users_base_url=USERS + "//")
    assert (s.base_url, s.users_base_url) == (BASE, USERS)


def test_bad_arguments_are_refused_locally(mocked: responses.RequestsMock) -> None:
    """Unknown kind or api values are errors, not silently defaulted."""
    with pytest.raises(ValueError):
        make().request("GET", ["x"], kind="readonly")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        make().request("GET", ["x"], api="tables")  # type: ignore[arg-type]
    assert len(mocked.calls) == 0


# --- from_env, configure ------------------------------------------------------------------------


def test_from_env_reads_key_and_urls() -> None:
    """SOFTR_API_KEY, SOFTR_BASE_URL and SOFTR_USERS_BASE_URL are used."""
    env = {"SOFTR_API_KEY": " k1 \n", "SOFTR_BASE_URL": BASE, "SOFTR_USERS_BASE_URL": USERS}
    s = Session.from_env(env)
    assert s._api_key.reveal() == "k1"
    assert (s.base_url, s.users_base_url) == (BASE, USERS)


def test_from_env_key_file(tmp_path: Path) -> None:
    """SOFTR_API_KEY_FILE's contents are stripped; the same key in both variables is fine."""
    key_file = tmp_path / "key"
    key_file.write_text("from-file\n", encoding="utf-8")
    assert Session.from_env({"SOFTR_API_KEY_FILE": str(key_file)})._api_key.reveal() == "from-file"
    both = {"SOFTR_API_KEY": "from-file", "SOFTR_API_KEY_FILE": str(key_file)}
    assert Session.from_env(both)._api_key.reveal() == "from-file"


def test_from_env_refuses_two_different_keys(tmp_path: Path) -> None:
    """Both variables set with different keys is an error that shows neither key."""
    key_file = tmp_path / "key"
    key_file.write_text("secret-one", encoding="utf-8")
    with pytest.raises(errors.ConfigurationError, match="different") as info:
        Session.from_env({"SOFTR_API_KEY": "secret-two", "SOFTR_API_KEY_FILE": str(key_file)})
    assert "secret-one" not in str(info.value) and "secret-two" not in str(info.value)


def test_from_env_missing_or_unreadable(tmp_path: Path) -> None:
    """No key, an empty key or an unreadable file raise ConfigurationError naming the vars."""
    with pytest.raises(errors.ConfigurationError, match="SOFTR_API_KEY"):
        Session.from_env({})
    with pytest.raises(errors.ConfigurationError, match="SOFTR_API_KEY"):
        Session.from_env({"SOFTR_API_KEY": "  ", "SOFTR_BASE_URL": ""})
    missing = tmp_path / "nope"
    with pytest.raises(errors.ConfigurationError, match="SOFTR_API_KEY_FILE"):
        Session.from_env({"SOFTR_API_KEY_FILE": str(missing)})


def test_from_env_kwargs_win(monkeypatch: pytest.MonkeyPatch) -> None:
    """Explicit keyword arguments override the environment (os.environ by default)."""
    monkeypatch.setenv("SOFTR_API_KEY", "env-key")
    monkeypatch.setenv("SOFTR_BASE_URL", "https://env.example.com/api/v1")
    s = Session.from_env(base_url=BASE, timeout=(1, 2))
    assert s.base_url == BASE and s.timeout == (1.0, 2.0)
    assert s._api_key.reveal() == "env-key"
    assert Session.from_env(api_key="explicit")._api_key.reveal() == "explicit"


@pytest.fixture
def clean_default() -> Iterator[None]:
    saved = defaults._default
    configure(None)
    yield
    configure(saved)


def test_default_session(clean_default: None) -> None:
    """default_session() raises a helpful error until configure() is called."""
    with pytest.raises(errors.ConfigurationError, match="configure"):
        default_session()
    s = make()
    configure(s)
    assert default_session() is s
    configure(None)
    with pytest.raises(errors.ConfigurationError):
        default_session()
    with pytest.raises(TypeError):
        configure("not a session")  # type: ignore[arg-type]


# --- per-session state, conveniences, lifecycle ---------------------------------------------


def test_cache_for_creates_once_per_key() -> None:
    """cache_for returns the same object per key, building it once."""
    s = make()
    calls: list[str] = []

    def factory(name: str) -> Any:
        calls.append(name)
        return object()

    first = s.cache_for("a", lambda: factory("a"))
    assert s.cache_for("a", lambda: factory("a")) is first
    assert s.cache_for("b", lambda: factory("b")) is not first
    assert calls == ["a", "b"]
    assert make().cache_for("a", lambda: factory("a")) is not first  # per session


def test_cache_for_is_thread_safe() -> None:
    """16 threads racing on one key run the factory exactly once."""
    s = make()
    calls = 0
    gate = threading.Barrier(16)
    results: list[Any] = []

    def factory() -> object:
        nonlocal calls
        calls += 1
        threading.Event().wait(0.01)  # widen the race window
        return object()

    def worker() -> None:
        gate.wait()
        results.append(s.cache_for("schema", factory))

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == 1
    assert len({id(r) for r in results}) == 1


def test_api_and_conveniences(mocked: responses.RequestsMock) -> None:
    """session.api is one SoftrAPI; databases()/database()/users() delegate to it."""
    from softr_orm.backends.softr.endpoints import SoftrAPI
    from softr_orm.backends.softr.users import Users

    s = make()
    assert isinstance(s.api, SoftrAPI)
    assert s.api is s.api
    mocked.add(responses.GET, f"{BASE}/databases", json={"data": [{"id": "d1", "name": "CRM"}]})
    mocked.add(responses.GET, f"{BASE}/databases/d1", json={"data": {"id": "d1", "name": "CRM"}})
    assert [d.name for d in s.databases()] == ["CRM"]
    assert s.database("d1").id == "d1"
    users = s.users("myapp.softr.app")
    assert isinstance(users, Users) and users.session is s


def test_create_table_delegates(mocked: responses.RequestsMock) -> None:
    """create_table(database_id, name, fields=...) posts to the tables endpoint."""
    table = {"id": "t1", "name": "Tickets", "fields": [], "primaryFieldId": None}
    mocked.add(responses.POST, f"{BASE}/databases/d1/tables", json={"data": table})
    result = make().create_table(
        "d1", "Tickets", fields=[{"name": "Title", "type": "SINGLE_LINE_TEXT"}]
    )
    assert result.name == "Tickets"
    sent = json.loads(mocked.calls[0].request.body)
    assert sent["name"] == "Tickets" and sent["fields"][0]["name"] == "Title"


def test_request_count_and_reset(mocked: responses.RequestsMock) -> None:
    """request_count counts attempts sent, retries included; reset_request_count zeroes it."""
    mocked.add(responses.GET, f"{BASE}/x", status=503)
    mocked.add(responses.GET, f"{BASE}/x", json={})
    s = make(max_retries=1, sleep=lambda _: None)
    s.request("GET", ["x"])
    assert s.request_count == 2
    s.reset_request_count()
    assert s.request_count == 0


def test_debug_log_line_per_attempt(
    mocked: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    """Each attempt logs method, path (no query), status, elapsed ms and attempt number."""
    mocked.add(responses.GET, f"{BASE}/databases/d1", status=503)
    mocked.add(responses.GET, f"{BASE}/databases/d1", json={})
    s = make(max_retries=1, sleep=lambda _: None)
    with caplog.at_level(logging.DEBUG, logger="softr_orm.session"):
        s.request("GET", ["databases", "d1"], params={"secretish": "v"})
    lines = [r.getMessage() for r in caplog.records if r.name == "softr_orm.session"]
    attempts = [line for line in lines if "->" in line]
    assert len(attempts) == 2
    assert attempts[0].startswith("GET /databases/d1 -> 503 in ")
    assert attempts[0].endswith("ms (attempt 1)")
    assert attempts[1].startswith("GET /databases/d1 -> 200 in ")
    assert any("retry 1 of 1" in line for line in lines)
    assert not any("secretish" in line for line in lines)


# --- real HTTP on 127.0.0.1 --------------------------------------------------------------------


class Echo(BaseHTTPRequestHandler):
    """Answers {"path": <raw request target>} and counts requests."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: Any

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.count += 1
        payload = json.dumps({"path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def echo_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    server.daemon_threads = True
    server.count = 0  # type: ignore[attr-defined]
    server.lock = threading.Lock()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.mark.parametrize("segment", [".", ".."])
def test_dot_segments_are_refused_before_sending(
    echo_server: ThreadingHTTPServer, segment: str
) -> None:
    """'.' and '..' as a whole segment are refused, not sent: no request reaches the server."""
    port = echo_server.server_address[1]
    s = Session(KEY, base_url=f"http://127.0.0.1:{port}/api/v1", rate_limit=False)
    with s, pytest.raises(ValueError, match="dot segment"):
        s.request("GET", ["databases", segment])
    assert echo_server.count == 0  # type: ignore[attr-defined]


def test_dots_inside_segments_reach_the_server_raw(echo_server: ThreadingHTTPServer) -> None:
    """Over real HTTP, dots inside a segment arrive raw and '/' encoded: one segment each."""
    port = echo_server.server_address[1]
    with Session(KEY, base_url=f"http://127.0.0.1:{port}/api/v1", rate_limit=False) as s:
        answer = s.request("GET", ["databases", "a/../b", "jane.doe@example.com"])
    assert answer == {"path": "/api/v1/databases/a%2F..%2Fb/jane.doe%40example.com"}


def test_sixteen_threads_share_one_session(echo_server: ThreadingHTTPServer) -> None:
    """16 threads x 50 requests over one Session: no errors, exact request_count."""
    port = echo_server.server_address[1]
    s = Session(KEY, base_url=f"http://127.0.0.1:{port}/api/v1", rate_limit=False)
    failures: list[BaseException] = []
    gate = threading.Barrier(16)

    def worker(n: int) -> None:
        gate.wait()
        for i in range(50):
            try:
                answer = s.request("GET", ["t", str(n), str(i)])
                assert answer == {"path": f"/api/v1/t/{n}/{i}"}
            except BaseException as exc:  # collected and asserted below
                failures.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    s.close()
    assert failures == []
    assert s.request_count == 800
    assert echo_server.count == 800  # type: ignore[attr-defined]


def test_close_and_context_manager(echo_server: ThreadingHTTPServer) -> None:
    """Leaving the with-block closes the pooled connections."""
    port = echo_server.server_address[1]
    with Session(KEY, base_url=f"http://127.0.0.1:{port}/api/v1", rate_limit=False) as s:
        s.request("GET", ["x"])
        adapter = s._http.get_adapter(s.base_url)
        assert len(adapter.poolmanager.pools) == 1  # type: ignore[attr-defined]
    assert len(adapter.poolmanager.pools) == 0  # type: ignore[attr-defined]


def test_listeners_see_every_attempt(mocked: responses.RequestsMock) -> None:
    """add_listener gets one RequestEvent per attempt (retries and failures included; a
    search, as a write dropped after sending is not retried)."""
    from softr_orm import RequestEvent

    mocked.add(responses.POST, f"{BASE}/r/1", status=503)
    mocked.add(responses.POST, f"{BASE}/r/1", body=requests.ConnectionError("reset"))
    mocked.add(responses.POST, f"{BASE}/r/1", json={})
    s = make(max_retries=2, sleep=lambda _: None)
    events: list[RequestEvent] = []
    s.add_listener(events.append)
    s.request("POST", ["r", "1"], json={"fields": {"a": 1}}, params={"x": 1}, kind="read")
    assert [(e.method, e.path, e.status, e.error, e.attempt) for e in events] == [
        ("POST", "/r/1", 503, None, 1),
        ("POST", "/r/1", None, "ConnectionError", 2),
        ("POST", "/r/1", 200, None, 3),
    ]
    assert events[0].body == b'{"fields":{"a":1}}' and events[0].api == "database"
    assert all(KEY not in repr(e) for e in events)
    s.remove_listener(events.append)
    s.remove_listener(events.append)  # removing twice is harmless
    mocked.add(responses.PATCH, f"{BASE}/r/1", json={})
    s.request("PATCH", ["r", "1"], json={})
    assert len(events) == 3
