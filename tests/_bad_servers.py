"""Small loopback servers that misbehave on purpose (dripping answers, endless bodies, gzip
bombs, wrong shapes), written with the standard library. Each runs in a thread on 127.0.0.1
port 0 and is stopped by the test (use :func:`bad_server` as a context manager)."""

from __future__ import annotations

import contextlib
import gzip
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator

#: ``behave(sock)``: reads nothing more than the request head, then writes what it likes.
Behaviour = Callable[[socket.socket], None]


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(5)
        data = b""
        with contextlib.suppress(OSError):
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(65536)
                if not chunk:
                    return
                data += chunk
            self.server.requests.append(data.split(b"\r\n", 1)[0].decode("latin-1"))
            self.server.behave(sock)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, behave: Behaviour) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.behave = behave
        self.requests: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/api/v1"


@contextlib.contextmanager
def bad_server(behave: Behaviour) -> Iterator[_Server]:
    server = _Server(behave)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def head(status: str = "200 OK", **headers: str) -> bytes:
    lines = [f"HTTP/1.1 {status}", "Content-Type: application/json", "Connection: close"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def answer(body: bytes, status: str = "200 OK") -> Behaviour:
    """A well-formed answer with this body (use it for wrong shapes)."""

    def behave(sock: socket.socket) -> None:
        sock.sendall(head(status, Content_Length=str(len(body))) + body)

    return behave


def drip(body: bytes = b'{"data": []}' * 50, every: float = 0.05) -> Behaviour:
    """Headers at once, then the body one byte at a time (never tripping a read timeout)."""

    def behave(sock: socket.socket) -> None:
        sock.sendall(head(Content_Length=str(len(body))))
        for byte in body:
            sock.sendall(bytes([byte]))
            time.sleep(every)

    return behave


def drip_head(every: float = 0.05) -> Behaviour:
    """The status line and headers one byte at a time, endlessly."""

    def behave(sock: socket.socket) -> None:
        sock.sendall(b"HTTP/1.1 200 OK\r\n")
        for _ in range(100_000):
            sock.sendall(b"X-Slow: 1\r\n")
            time.sleep(every)

    return behave


def endless(every: float = 0.0, chunk: bytes = b" " * 65536) -> Behaviour:
    """A chunked body that never ends."""

    def behave(sock: socket.socket) -> None:
        sock.sendall(head(Transfer_Encoding="chunked"))
        frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        for _ in range(1_000_000):
            sock.sendall(frame)
            if every:
                time.sleep(every)

    return behave


def gzip_bomb(size: int = 200 * 1024 * 1024) -> Behaviour:
    """A small gzip body that inflates to ``size`` bytes."""
    packed = gzip.compress(b"[" + b" " * (size - 2) + b"]", compresslevel=9)

    def behave(sock: socket.socket) -> None:
        sock.sendall(head(Content_Encoding="gzip", Content_Length=str(len(packed))) + packed)

    return behave


def declares(length: int) -> Behaviour:
    """Headers announcing a huge body, then a trickle of it."""

    def behave(sock: socket.socket) -> None:
        sock.sendall(head(Content_Length=str(length)) + b"[" * 1000)
        time.sleep(10)

    return behave
