"""Redirects are never followed: the API key must not reach a host named in a Location header.

Two real HTTP servers on 127.0.0.1: A answers every request with a redirect to B; B records
everything it receives. The client must raise RedirectRefused and B must see nothing at all.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from softr_orm import Session, errors

KEY = "redirect-test-key-5f1c2b"


class Recorder(BaseHTTPRequestHandler):
    """Records each request; answers per ``server.answer(handler)``."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: Any

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with self.server.lock:
            self.server.seen.append((self.command, self.path, dict(self.headers), body))
        status, headers, payload = self.server.answer(self)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve(answer: Any) -> tuple[ThreadingHTTPServer, threading.Thread]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    server.daemon_threads = True
    server.seen = []  # type: ignore[attr-defined]
    server.lock = threading.Lock()  # type: ignore[attr-defined]
    server.answer = answer  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    return server, thread


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[ThreadingHTTPServer, ThreadingHTTPServer]]:
    """(A, B): A redirects ``/api/v1/<status>/...`` to the same path on B with that status."""
    target, target_thread = serve(lambda h: (200, {}, json.dumps({"data": "stolen"}).encode()))
    b_port = target.server_address[1]

    def redirect(handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        status = int(handler.path.split("/")[3])
        location = f"http://127.0.0.1:{b_port}{handler.path}"
        return status, {"Location": location, "Content-Type": "text/html"}, b"moved"

    origin, origin_thread = serve(redirect)
    yield origin, target
    for server, thread in ((origin, origin_thread), (target, target_thread)):
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def session(servers: tuple[ThreadingHTTPServer, ThreadingHTTPServer]) -> Iterator[Session]:
    origin, target = servers
    origin.seen.clear()  # type: ignore[attr-defined]
    target.seen.clear()  # type: ignore[attr-defined]
    s = Session(KEY, base_url=f"http://127.0.0.1:{origin.server_address[1]}/api/v1")
    yield s
    s.close()


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize(
    ("method", "body"), [("GET", None), ("POST", {"fields": {}}), ("PATCH", {}), ("DELETE", None)]
)
def test_redirect_is_refused_and_target_gets_nothing(
    servers: tuple[ThreadingHTTPServer, ThreadingHTTPServer],
    session: Session,
    status: int,
    method: str,
    body: Any,
) -> None:
    """Every 3xx raises RedirectRefused; the Location host receives no request (so no key)."""
    origin, target = servers
    kwargs: dict[str, Any] = {} if body is None else {"json": body}
    with pytest.raises(errors.RedirectRefused) as info:
        session.request(method, [str(status), "databases"], **kwargs)
    assert info.value.status == status
    assert info.value.method == method
    assert target.seen == []  # type: ignore[attr-defined]
    assert len(origin.seen) == 1  # type: ignore[attr-defined]  # sent once, not retried
    # sanity: the origin did get the key, so its absence at B is meaningful
    assert origin.seen[0][2].get("Softr-Api-Key") == KEY  # type: ignore[attr-defined]
    assert KEY not in str(info.value) and KEY not in repr(vars(info.value))


def test_redirect_on_users_api_is_refused(
    servers: tuple[ThreadingHTTPServer, ThreadingHTTPServer],
) -> None:
    """The Users API base URL gets the same treatment."""
    origin, target = servers
    target.seen.clear()  # type: ignore[attr-defined]
    port = origin.server_address[1]
    with Session(KEY, users_base_url=f"http://127.0.0.1:{port}/v1/api") as s:
        with pytest.raises(errors.RedirectRefused):
            s.request("POST", ["307", "users"], api="users", json={"email": "a@example.com"})
        with pytest.raises(errors.RedirectRefused):
            s.request(
                "POST",
                ["302", "x"],
                base_url=f"http://127.0.0.1:{port}/api/v1",
                auth=False,
                json={},
                kind="read",
            )
    assert target.seen == []  # type: ignore[attr-defined]
