"""The API key never leaks, and plain http:// is refused except to loopback hosts."""

from __future__ import annotations

import copy
import json
import logging
import pickle
import threading
import types
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import responses

from softr_orm import Session, errors
from softr_orm.http.util import Secret

KEY = "sk-LEAKCHECK-9f8e7d6c5b4a"


def find_key(root: object, limit: int = 50_000) -> list[str]:
    """Paths (for the failure message) by which KEY is reachable from ``root``.

    Follows attributes, slots, containers, exception args/causes/contexts and traceback frame
    locals; stops at modules, classes and functions. A Secret is the one sanctioned holder.
    """
    found: list[str] = []
    seen: set[int] = set()
    todo: list[tuple[object, str]] = [(root, "root")]
    while todo and len(seen) < limit:
        obj, path = todo.pop()
        if id(obj) in seen or isinstance(obj, (Secret, type, types.ModuleType)):
            continue
        if callable(obj) and isinstance(obj, (types.FunctionType, types.BuiltinFunctionType)):
            continue
        seen.add(id(obj))
        if isinstance(obj, (str, bytes, bytearray)):
            needle: Any = KEY if isinstance(obj, str) else KEY.encode()
            if needle in obj:
                found.append(path)
            continue
        children: list[tuple[object, str]] = []
        if isinstance(obj, dict):
            for k, v in obj.items():
                children += [(k, f"{path}.key"), (v, f"{path}[{k!r}]")]
        elif isinstance(obj, (list, tuple, set, frozenset)):
            children += [(v, f"{path}[{i}]") for i, v in enumerate(obj)]
        elif isinstance(obj, types.TracebackType):
            children += [(obj.tb_frame, f"{path}.frame"), (obj.tb_next, f"{path}.next")]
        elif isinstance(obj, types.FrameType):
            children.append((dict(obj.f_locals), f"{path}<{obj.f_code.co_name}>.locals"))
        else:
            if isinstance(obj, BaseException):
                children += [
                    (obj.args, f"{path}.args"),
                    (obj.__cause__, f"{path}.__cause__"),
                    (obj.__context__, f"{path}.__context__"),
                    (obj.__traceback__, f"{path}.__traceback__"),
                ]
            attrs = getattr(obj, "__dict__", None)
            if isinstance(attrs, dict):
                children.append((attrs, f"{path}.__dict__"))
            for slot in getattr(type(obj), "__slots__", ()):
                if hasattr(obj, slot):
                    children.append((getattr(obj, slot), f"{path}.{slot}"))
        todo.extend(children)
    return found


def assert_no_key(obj: object) -> None:
    assert KEY not in str(obj)
    assert KEY not in repr(obj)
    assert find_key(obj) == []


# --- a loopback server with a few behaviours ---------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        route = self.path.split("?")[0].rsplit("/", 1)[-1]
        if route == "drop":  # read the request, then hang up without answering
            self.close_connection = True
            return
        if route == "echo401":
            status, body = 401, {"message": f"invalid key {self.headers['Softr-Api-Key']}"}
        elif route == "busy":
            status, body = 503, {"message": "busy"}
        else:
            status, body = 200, {"data": {"ok": True}}
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_DELETE = _handle

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/v1"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def session(server_url: str) -> Iterator[Session]:
    s = Session(KEY, base_url=server_url, rate_limit=False, max_retries=1, sleep=lambda _: None)
    yield s
    s.close()


# --- repr, vars, pickling ------------------------------------------------------------------------


def test_repr_and_str_hide_the_key(session: Session, server_url: str) -> None:
    """repr/str show the base URL and key='***'."""
    assert repr(session) == f"<Session base_url='{server_url}' key='***'>"
    assert str(session) == repr(session)
    assert KEY not in repr(vars(session))


def test_key_is_reachable_only_through_its_secret(session: Session) -> None:
    """Walking everything reachable from the session finds the key only inside Secret."""
    session.request("GET", ["ok"])  # pools and connections exist now
    assert find_key(session) == []
    assert KEY not in repr(dict(session._http.headers))
    assert "Softr-Api-Key" not in session._http.headers


def test_pickling_and_copying_are_refused(session: Session) -> None:
    """A Session (and its Secret) cannot be pickled or copied; the message has no key."""
    for attempt in (pickle.dumps, copy.copy, copy.deepcopy):
        with pytest.raises(TypeError) as info:
            attempt(session)
        assert "cannot be pickled" in str(info.value)
        assert KEY not in str(info.value)
    with pytest.raises(TypeError):
        pickle.dumps(Secret(KEY))


@pytest.mark.parametrize("bad", [f"{KEY}\nX-Evil: 1", f"{KEY} {KEY}", f"{KEY}\x00"])
def test_malformed_key_is_refused_without_echoing_it(bad: str) -> None:
    """A key with whitespace/control characters is refused, and the message does not quote it."""
    with pytest.raises(errors.ConfigurationError) as info:
        Session(bad)
    assert KEY not in str(info.value)


@pytest.mark.parametrize("missing", [None, "", "   \n"])
def test_missing_key_is_refused(missing: str | None) -> None:
    """A missing or empty key raises ConfigurationError at construction."""
    with pytest.raises(errors.ConfigurationError, match="API key"):
        Session(missing)


# --- errors ------------------------------------------------------------------------------------


def test_api_error_scrubs_an_echoed_key(session: Session) -> None:
    """A server that echoes the key in its error body does not get it into our exception."""
    with pytest.raises(errors.Unauthorized) as info:
        session.request("GET", ["echo401"])
    err = info.value
    assert "***" in err.message
    assert_no_key(err)
    assert KEY.encode() not in pickle.dumps(err)


def test_transport_error_holds_no_key(session: Session) -> None:
    """After retries, a TransportError and its whole cause chain (tracebacks too) are clean."""
    with pytest.raises(errors.TransportError) as info:
        session.request("GET", ["drop"])
    err = info.value
    assert not isinstance(err, errors.AmbiguousWriteError)
    assert err.__cause__ is not None
    assert_no_key(err)
    assert KEY.encode() not in pickle.dumps(err)


def test_ambiguous_write_error_holds_no_key(session: Session) -> None:
    """A create dropped after sending raises AmbiguousWriteError with no key anywhere."""
    with pytest.raises(errors.AmbiguousWriteError) as info:
        session.request("POST", ["drop"], json={"fields": {"a": 1}})
    assert_no_key(info.value)
    assert KEY.encode() not in pickle.dumps(info.value)


def test_rate_limited_error_holds_no_key(session: Session) -> None:
    """An APIError raised once retries are spent is clean as well."""
    with pytest.raises(errors.ServiceUnavailable) as info:
        session.request("GET", ["busy"])
    assert_no_key(info.value)


# --- logging -----------------------------------------------------------------------------------


def test_debug_logs_never_contain_the_key(
    session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    """DEBUG records of softr_orm, requests and urllib3 hold no key, whatever happens."""
    caplog.set_level(logging.DEBUG)
    for name in ("softr_orm", "requests", "urllib3"):
        caplog.set_level(logging.DEBUG, logger=name)
    session.request("GET", ["ok"], params={"fieldNames": True})
    session.request("POST", ["ok"], json={"fields": {}})
    for path, method, exc in (
        ("echo401", "GET", errors.Unauthorized),
        ("busy", "GET", errors.ServiceUnavailable),
        ("drop", "GET", errors.TransportError),
        ("drop", "POST", errors.AmbiguousWriteError),
    ):
        with pytest.raises(exc):
            session.request(method, [path])
    names = {record.name for record in caplog.records}
    assert "softr_orm.session" in names and "urllib3.connectionpool" in names
    for record in caplog.records:
        assert KEY not in record.getMessage()
        assert find_key(record.args) == []
        assert KEY not in caplog.text


# --- https only, except loopback ---------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/api/v1",
        "http://127.0.0.5:8080/api/v1",
        "http://localhost:8787/api/v1",
        "http://LOCALHOST/api/v1",
        "http://[::1]:8080/api/v1",
        "http://[::ffff:127.0.0.1]/api/v1",
        "https://tables-api.softr.io/api/v1",
        "https://example.com:8443/x/",
    ],
)
def test_accepted_base_urls(url: str) -> None:
    """https:// anywhere, http:// only to loopback hosts."""
    s = Session(KEY, base_url=url, users_base_url=url)
    assert s.base_url == url.rstrip("/")


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/api/v1",
        "http://10.0.0.1/api/v1",
        "http://127.0.0.1.nip.io/api/v1",
        "http://localhost.example.com/api/v1",
        "http://[::ffff:8.8.8.8]/api/v1",
        "ftp://127.0.0.1/api/v1",
        "127.0.0.1:8080/api/v1",
        "https://",
        "https://example.com/api/v1?x=1",
        "",
    ],
)
def test_refused_base_urls(url: str) -> None:
    """Anything else raises ConfigurationError naming the URL, for both roots."""
    with pytest.raises(errors.ConfigurationError) as info:
        Session(KEY, base_url=url)
    if url:
        assert url.rstrip("/") in str(info.value)
    with pytest.raises(errors.ConfigurationError):
        Session(KEY, users_base_url=url)


def test_credentials_in_url_are_refused_without_echo() -> None:
    """user:password@ in a base URL is refused and the password is not repeated."""
    with pytest.raises(errors.ConfigurationError) as info:
        Session(KEY, base_url="https://user:hunter2@example.com/api/v1")
    assert "hunter2" not in str(info.value)


def test_http_refused_before_any_request() -> None:
    """A per-call http:// base_url to a remote host fails locally: nothing is sent."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        s = Session(KEY, base_url="http://127.0.0.1:1/api/v1", rate_limit=False)
        with pytest.raises(errors.ConfigurationError, match=r"http://example\.com"):
            s.request("POST", ["users", "validate-token"], base_url="http://example.com/v1/api")
        assert len(mocked.calls) == 0
    assert s.request_count == 0
