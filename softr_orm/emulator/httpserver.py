"""The emulator's HTTP server: waitress, with limits and timeouts, run in a background thread.

werkzeug's development server had no header or body timeout, no connection cap and closed every
connection after one answer. waitress is a production-grade, pure-Python WSGI server: it reads
requests asynchronously (a slow or half-open connection holds no worker thread), keeps HTTP/1.1
connections alive, caps open connections and closes idle ones. :class:`HttpServer` adds what the
emulator needs on top:

* a **request deadline**: a request whose headers and body have not all arrived within
  ``request_timeout`` seconds of its first byte is dropped (waitress alone only closes a
  connection that has been *silent* for ``idle_timeout`` seconds, which a client sending one
  byte at a time never is);
* the limits of Python's ``http.server``, which clients of the emulator already met: a request
  line over 64 KB is refused with 414, a header line over 64 KB or more than 100 headers with
  431 (waitress has neither check), a body over ``max_body_bytes`` with 413 from its
  ``Content-Length`` before anything is read;
* every refusal of the server itself (those, a garbled request, a broken chunked body) answered
  with the body ``protocol_error`` builds, so a client parses every answer of the emulator the
  same way;
* dropped connections: an exception of ``drop_errors`` raised by the app closes the connection
  without writing a byte (the fault injector's "drop" faults).

It relies on waitress's documented extension points (``channel_class``, ``parser_class``,
``task_class``, ``error_task_class``) and on its parser's attributes; the emulator's tests cover
each behaviour above.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any, cast

from waitress import wasyncore
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask, WSGITask
from waitress.utilities import Error, RequestHeaderFieldsTooLarge

__all__ = ["HttpServer", "ProtocolError", "WSGIApp"]

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
#: (status code, message) -> (content type, body) of a refusal by the server itself.
ProtocolError = Callable[[int, str], tuple[str, bytes]]

#: http.server's limits (``_MAXLINE``, ``_MAXHEADERS``), kept for the emulator's clients.
MAX_LINE = 65_536
MAX_HEADERS = 100
#: Seconds stop() waits for the server thread at each step. It returns at once on a calm
#: machine; a swamped one needs longer, and giving up early would leave two threads closing
#: the same sockets.
_STOP_WAIT = 30


class _UriTooLong(Error):
    code = 414
    reason = "URI Too Long"


def _plain_error(status: int, message: str) -> tuple[str, bytes]:
    return "text/plain; charset=utf-8", message.encode()


class _Parser(HTTPRequestParser):
    """waitress's parser, remembering when a request began and refusing what http.server did."""

    def __init__(self, adj: Adjustments) -> None:
        super().__init__(adj)
        self.started = time.monotonic()

    def parse_header(self, header_plus: bytes) -> None:
        first_line, _, rest = header_plus.partition(b"\r\n")
        lines = rest.split(b"\r\n") if rest else []
        error: Error | None = None
        if len(first_line) > MAX_LINE:
            error = _UriTooLong(f"the request line is longer than {MAX_LINE} bytes")
        elif len(lines) > MAX_HEADERS:
            error = RequestHeaderFieldsTooLarge(f"more than {MAX_HEADERS} headers")
        elif any(len(line) > MAX_LINE for line in lines):
            error = RequestHeaderFieldsTooLarge(f"a header line is longer than {MAX_LINE} bytes")
        if error is None:
            super().parse_header(header_plus)
            return
        super().parse_header(b"GET / HTTP/1.0\r\n")  # a harmless request to hang the error on
        self.error = error


class _Task(WSGITask):
    """Runs the app; an exception of the server's ``drop_errors`` closes without answering."""

    dropped = False

    def execute(self) -> None:
        try:
            super().execute()
        except _server_of(self.channel).drop_errors:
            if self.wrote_header:
                raise
            self.dropped = True
            self.close_on_finish = True

    def finish(self) -> None:
        if not self.dropped:
            super().finish()


class _ErrorTask(ErrorTask):
    """A refusal of the server itself, with the body the server's ``protocol_error`` builds."""

    def execute(self) -> None:
        error: Error = cast(Any, self.request).error
        content_type, body = _server_of(self.channel).protocol_error(
            error.code, f"{error.reason}: {error.body}"
        )
        self.status = f"{error.code} {error.reason}"
        self.response_headers = [*self.response_headers, ("Content-Type", content_type)]
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


def _server_of(channel: HTTPChannel) -> _Server:
    return cast(_Server, channel.server)


class _Channel(HTTPChannel):
    parser_class = _Parser
    task_class = _Task
    error_task_class = _ErrorTask


class _Server(TcpWSGIServer):
    channel_class = _Channel
    protocol_error: ProtocolError = staticmethod(_plain_error)
    drop_errors: tuple[type[BaseException], ...] = ()
    request_timeout = 60.0

    def maintenance(self, now: int) -> None:  # waitress passes time.time(), a float
        """waitress closes silent connections; also drop requests past their deadline."""
        super().maintenance(now)
        deadline = time.monotonic() - self.request_timeout
        channels = cast(dict[int, HTTPChannel], self.active_channels)
        for channel in list(channels.values()):
            partial: Any = channel.request
            if partial is not None and not partial.completed and partial.started < deadline:
                channel.will_close = True


def _access_log(app: WSGIApp) -> WSGIApp:
    """Print one line per request to stderr (``-v``): waitress keeps no access log."""

    def logged(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        status: list[str] = []

        def recording_start(code: str, headers: Any, exc_info: Any = None) -> Any:
            status.append(code.split(" ", 1)[0])
            return start_response(code, headers, exc_info)

        try:
            return app(environ, recording_start)
        finally:
            when = datetime.now(timezone.utc).strftime("%d/%b/%Y %H:%M:%S")
            target = environ.get("REQUEST_URI") or environ.get("PATH_INFO", "")
            print(
                f"{environ.get('REMOTE_ADDR', '-')} - - [{when}] "
                f'"{environ.get("REQUEST_METHOD")} {target} {environ.get("SERVER_PROTOCOL")}" '
                f"{status[0] if status else '-'}",
                file=sys.stderr,
                flush=True,
            )

    return logged


class HttpServer:
    """A WSGI app served by waitress on ``host:port`` from a background thread.

    Args:
        app: the WSGI application.
        host, port: where to listen (port 0 picks a free port; :attr:`port` tells which).
        threads: worker threads running the app (requests beyond wait in a queue).
        max_connections: open connections at most; beyond, new ones wait to be accepted.
        idle_timeout: seconds a connection may stay silent (between requests, or in the middle
            of one) before the server closes it.
        request_timeout: seconds a request may take to arrive whole, headers and body.
        max_body_bytes: a larger ``Content-Length`` (or chunked body) is refused with 413.
        protocol_error: builds the body of the server's own refusals (default: plain text).
        drop_errors: exceptions of the app that mean "close the connection without answering".
        verbose: print an access log line per request to stderr.
    """

    def __init__(
        self,
        app: WSGIApp,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        threads: int = 8,
        max_connections: int = 100,
        idle_timeout: int = 30,
        request_timeout: float = 60.0,
        max_body_bytes: int = 64 * 1024 * 1024,
        protocol_error: ProtocolError | None = None,
        drop_errors: tuple[type[BaseException], ...] = (),
        verbose: bool = False,
    ) -> None:
        self.app = _access_log(app) if verbose else app
        self.host = host
        self.port = port
        self._options = {
            "threads": threads,
            # waitress counts its listening socket and its wake-up pipe as connections too
            "connection_limit": max_connections + 2,
            "channel_timeout": max(1, int(idle_timeout)),
            "cleanup_interval": 1,
            "max_request_body_size": max_body_bytes + 1,
            "max_request_header_size": 262_144,
            "log_socket_errors": False,
            "expose_tracebacks": False,
            "ident": "softr-orm-emulator",
        }
        self._request_timeout = request_timeout
        self._protocol_error = protocol_error or _plain_error
        self._drop_errors = drop_errors
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> HttpServer:
        """Bind and serve in a background thread (idempotent); returns self."""
        if self._server is not None:
            return self
        adj = Adjustments(host=self.host, port=self.port, **self._options)
        server = _Server(self.app, map={}, adj=adj)
        server.protocol_error = self._protocol_error
        server.drop_errors = self._drop_errors
        server.request_timeout = self._request_timeout
        self._server = server
        self.port = int(cast(Any, server).effective_port)
        self._thread = threading.Thread(
            target=server.run, name=f"softr-emulator-{self.port}", daemon=True
        )
        self._thread.start()
        return self

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> None:
        """Block until the server stops (or ``timeout`` seconds pass)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def stop(self) -> None:
        """Close every connection and the listening socket, then end the worker threads."""
        server, self._server = self._server, None
        if server is None:
            return
        socket_map: dict[int, Any] = cast(Any, server)._map
        trigger = cast(Any, server).trigger
        thread, self._thread = self._thread, None
        looping = thread is not None and thread.is_alive()

        def in_loop(action: Callable[[], None]) -> None:
            """Run ``action`` in the server's own thread (sockets belong to it) and wait."""
            done = threading.Event()

            def run() -> None:
                try:
                    action()
                finally:
                    done.set()

            trigger.pull_trigger(run)
            # Returns at once unless the machine is swamped: then waiting longer is what
            # keeps two threads from closing the same sockets.
            done.wait(timeout=_STOP_WAIT)

        def close_everything() -> None:
            for dispatcher in list(socket_map.values()):
                if isinstance(dispatcher, HTTPChannel):
                    dispatcher.handle_close()  # also closes its buffers
                else:
                    dispatcher.close()
            socket_map.clear()

        # 1. No new connections; 2. the requests being answered finish (their threads may still
        # wake the loop); 3. every connection, the trigger and the loop end.
        if looping:
            in_loop(lambda: wasyncore.dispatcher.close(server))
        server.task_dispatcher.shutdown(timeout=_STOP_WAIT)
        if looping and thread is not None:
            in_loop(close_everything)
            thread.join(timeout=_STOP_WAIT)
        if socket_map and not (thread is not None and thread.is_alive()):
            # the loop was not running: close from here (never beside a live loop thread,
            # which owns these sockets: two closers would close a descriptor twice)
            wasyncore.close_all(socket_map, ignore_all=True)
