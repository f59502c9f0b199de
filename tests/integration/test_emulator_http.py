"""The emulator's HTTP server (waitress): keep-alive, timeouts, half-open and slow connections,
the connection limit, clean start and stop. Everything talks to 127.0.0.1 only."""

from __future__ import annotations

import http.client
import os
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import requests

from softr_orm.emulator import Emulator

pytestmark = pytest.mark.integration


@pytest.fixture
def emu() -> Iterator[Emulator]:
    """An emulator with short timeouts, so that the tests about them run in seconds."""
    with Emulator(idle_timeout=1, request_timeout=1.5, max_connections=200) as emulator:
        yield emulator


def _get(emu: Emulator, conn: http.client.HTTPConnection) -> http.client.HTTPResponse:
    conn.request("GET", "/api/v1/databases", headers={"Softr-Api-Key": emu.api_key})
    answer = conn.getresponse()
    answer.read()
    return answer


def _closed_by_server(sock: socket.socket, within: float) -> float | None:
    """Seconds until the server closed ``sock`` (recv gives b""), or None if it did not."""
    started = time.monotonic()
    sock.settimeout(within)
    try:
        while True:
            if sock.recv(65536) == b"":
                return time.monotonic() - started
    except TimeoutError:
        return None
    except ConnectionResetError:
        return time.monotonic() - started


def test_many_requests_share_one_keep_alive_connection(emu: Emulator) -> None:
    """HTTP/1.1 connections stay open: 50 requests, one TCP connection, no 'close'."""
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=10)
    ports = set()
    try:
        for _ in range(50):
            conn.request("GET", "/api/v1/databases", headers={"Softr-Api-Key": emu.api_key})
            assert conn.sock is not None
            ports.add(conn.sock.getsockname()[1])
            answer = conn.getresponse()
            answer.read()
            assert answer.status == 200
            assert (answer.getheader("Connection") or "").lower() != "close"
    finally:
        conn.close()
    assert len(ports) == 1


def test_an_idle_connection_is_closed_after_the_idle_timeout(emu: Emulator) -> None:
    """A connection that says nothing (or nothing more after an answer) is closed."""
    with socket.create_connection(("127.0.0.1", emu.port)) as silent:
        conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=10)
        try:
            assert _get(emu, conn).status == 200
            assert conn.sock is not None
            after_answer = _closed_by_server(conn.sock, within=6)
        finally:
            conn.close()
        never_spoke = _closed_by_server(silent, within=6)
    assert after_answer is not None and after_answer < 6
    assert never_spoke is not None and never_spoke < 6


def test_a_request_trickling_in_is_dropped_at_its_deadline(emu: Emulator) -> None:
    """A client that keeps sending one header byte at a time (never silent, never done, the
    slowloris pattern) is cut off once the request deadline passes."""
    with socket.create_connection(("127.0.0.1", emu.port)) as slow:
        slow.sendall(b"GET /api/v1/databases HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        started = time.monotonic()
        closed_after = None
        while time.monotonic() - started < 8:
            try:
                slow.sendall(b"a")
            except OSError:  # the server closed it (broken pipe, reset)
                closed_after = time.monotonic() - started
                break
            slow.settimeout(0.3)
            try:
                if slow.recv(65536) == b"":
                    closed_after = time.monotonic() - started
                    break
            except TimeoutError:
                continue
            except ConnectionResetError:
                closed_after = time.monotonic() - started
                break
    assert closed_after is not None, "the trickling request was never cut off"
    assert 1.0 <= closed_after < 6


def test_half_open_connections_hold_no_thread_and_block_nobody(emu: Emulator) -> None:
    """150 connections that sent half a request neither start threads nor delay others."""
    threads_before = threading.active_count()
    stalled = []
    try:
        for _ in range(150):
            sock = socket.create_connection(("127.0.0.1", emu.port))
            sock.sendall(b"POST /api/v1/databases HTTP/1.1\r\nContent-Length: 100\r\n\r\n{")
            stalled.append(sock)
        time.sleep(0.2)
        assert threading.active_count() == threads_before
        started = time.monotonic()
        answer = requests.get(
            emu.base_url + "/databases", headers={"Softr-Api-Key": emu.api_key}, timeout=5
        )
        assert answer.status_code == 200
        assert time.monotonic() - started < 5.0  # not the 20-30 s a held thread took
    finally:
        for sock in stalled:
            sock.close()


def test_connections_beyond_the_limit_wait_for_a_free_place() -> None:
    """With 3 connections open at the limit of 3, a 4th is answered once one of them closes."""
    with Emulator(max_connections=3, idle_timeout=30) as emu:
        held = [http.client.HTTPConnection("127.0.0.1", emu.port, timeout=10) for _ in range(3)]
        for conn in held:
            assert _get(emu, conn).status == 200
        answered = threading.Event()

        def fourth() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=10)
            try:
                if _get(emu, conn).status == 200:
                    answered.set()
            finally:
                conn.close()

        worker = threading.Thread(target=fourth)
        worker.start()
        try:
            assert not answered.wait(1.0), "a connection over the limit was served"
            held[0].close()
            assert answered.wait(5.0), "the waiting connection was never served"
        finally:
            worker.join(timeout=10)
            for conn in held:
                conn.close()


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_start_and_stop_are_quick_and_leave_nothing_behind() -> None:
    """Ten emulators started and stopped, with a keep-alive client still connected to each:
    no thread, socket or pipe survives, and each start/stop takes well under a second."""
    threads, fds = threading.active_count(), _open_fds()
    started = time.monotonic()
    for _ in range(10):
        emu = Emulator().start()
        conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=10)
        assert _get(emu, conn).status == 200
        emu.stop()
        conn.close()
    elapsed = time.monotonic() - started
    assert threading.active_count() == threads
    assert _open_fds() == fds
    assert elapsed < 10 * 1.0


def test_a_request_in_flight_is_answered_before_stop_returns() -> None:
    """stop() lets the request being answered finish (here: 0.5 s of injected latency)."""
    emu = Emulator(latency_ms=500).start()
    result: dict[str, int] = {}
    arrived = threading.Event()
    draw = emu.app.faults.draw

    def noting_draw(method: str, path: str) -> tuple[float, str | None, str]:
        arrived.set()  # the request is being answered (its latency is about to start)
        return draw(method, path)

    emu.app.faults.draw = noting_draw  # type: ignore[method-assign]

    def call() -> None:
        answer = requests.get(
            emu.base_url + "/databases", headers={"Softr-Api-Key": emu.api_key}, timeout=10
        )
        result["status"] = answer.status_code

    worker = threading.Thread(target=call)
    worker.start()
    assert arrived.wait(10)
    emu.stop()
    worker.join(timeout=10)
    assert result == {"status": 200}
