"""The emulator as a server: persistence, concurrency, faults, rate limits, admin routes, CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from softr_orm.emulator import Emulator

pytestmark = pytest.mark.integration


def _setup(emu: Emulator) -> tuple[str, dict[str, Any], str]:
    db = emu.create_database("S")
    table = emu.create_table(
        db["id"],
        "T",
        [
            {"name": "Name", "type": "SINGLE_LINE_TEXT"},
            *({"name": f"F{i}", "type": "NUMBER"} for i in range(8)),
            {"name": "No", "type": "AUTONUMBER"},
        ],
    )
    path = f"{emu.base_url}/databases/{db['id']}/tables/{table['id']}/records"
    return path, {f["name"]: f["id"] for f in table["fields"]}, db["id"]


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


def _headers(emu: Emulator) -> dict[str, str]:
    return {"Softr-Api-Key": emu.api_key}


def _count(emu: Emulator, path: str) -> int:
    total = requests.get(path, headers=_headers(emu), params={"limit": 1}, timeout=10)
    return int(total.json()["metadata"]["total"])


# --- persistence -----------------------------------------------------------------------------


def test_data_survives_a_restart(tmp_path: Path) -> None:
    """A file store keeps data, the API key and the autonumber counter across restarts."""
    data = str(tmp_path / "emu.sqlite")
    with Emulator(data=data) as first:
        key = first.api_key
        path, f, _ = _setup(first)
        created = requests.post(
            path,
            headers=_headers(first),
            timeout=10,
            json={"fields": {f["Name"]: "kept", f["F0"]: 1.25}},
        ).json()["data"]
        relative = path.removeprefix(first.base_url)
    with Emulator(data=data) as second:
        assert second.api_key == key
        url = second.base_url + relative
        again = requests.get(f"{url}/{created['id']}", headers=_headers(second), timeout=10)
        assert again.status_code == 200
        assert again.json()["data"]["fields"] == created["fields"]
        assert b'"%s":1.25' % f["F0"].encode() in again.content
        more = requests.post(
            url, headers=_headers(second), timeout=10, json={"fields": {f["Name"]: "next"}}
        ).json()["data"]
        assert more["fields"][f["No"]] == 2


# --- concurrency -----------------------------------------------------------------------------


def test_concurrent_creates_lose_nothing(emu: Emulator) -> None:
    """8 threads x 25 creates -> exactly 200 records with 200 distinct autonumbers."""
    path, f, _ = _setup(emu)
    errors: list[str] = []

    def worker(n: int) -> None:
        with requests.Session() as http:
            for i in range(25):
                response = http.post(
                    path,
                    headers=_headers(emu),
                    timeout=10,
                    json={"fields": {f["Name"]: f"{n}-{i}"}},
                )
                if response.status_code != 200:
                    errors.append(response.text)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    page = requests.get(path, headers=_headers(emu), params={"limit": 200}, timeout=10).json()
    assert page["metadata"]["total"] == 200
    assert sorted(r["fields"][f["No"]] for r in page["data"]) == list(range(1, 201))


def test_concurrent_patches_to_different_fields_all_survive(emu: Emulator) -> None:
    """8 threads patch 8 different fields of one record; every last write is there."""
    path, f, _ = _setup(emu)
    rec = requests.post(
        path, headers=_headers(emu), json={"fields": {f["Name"]: "x"}}, timeout=10
    ).json()["data"]

    def worker(n: int) -> None:
        for i in range(1, 11):
            requests.patch(
                f"{path}/{rec['id']}",
                headers=_headers(emu),
                timeout=10,
                json={"fields": {f[f"F{n}"]: n * 100 + i}},
            )

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    fields = requests.get(f"{path}/{rec['id']}", headers=_headers(emu), timeout=10).json()["data"]
    assert [fields["fields"][f[f"F{n}"]] for n in range(8)] == [n * 100 + 10 for n in range(8)]


# --- faults ----------------------------------------------------------------------------------


def test_latency_is_added(emu: Emulator) -> None:
    """latency_ms delays every API request."""
    emu.set_faults(rate=0, latency_ms=150)
    started = time.perf_counter()
    assert requests.get(emu.base_url + "/databases", headers=_headers(emu), timeout=10).ok
    assert time.perf_counter() - started >= 0.15


def test_injected_429_has_retry_after(emu: Emulator) -> None:
    """A 429 fault answers TOO_MANY_REQUESTS with Retry-After 0 or 1."""
    emu.set_faults(rate=1.0, kinds=("429",), seed=3)
    response = requests.get(emu.base_url + "/databases", headers=_headers(emu), timeout=10)
    assert response.status_code == 429
    assert response.json()["errorCode"] == "TOO_MANY_REQUESTS"
    assert response.headers["Retry-After"] in ("0", "1")


def test_injected_503(emu: Emulator) -> None:
    """A 503 fault answers SERVICE_UNAVAILABLE and applies nothing."""
    path, f, _ = _setup(emu)
    emu.set_faults(rate=1.0, kinds=("503",))
    response = requests.post(
        path, headers=_headers(emu), json={"fields": {f["Name"]: "x"}}, timeout=10
    )
    assert response.status_code == 503 and response.json()["errorCode"] == "SERVICE_UNAVAILABLE"
    emu.clear_faults()
    assert _count(emu, path) == 0


def test_drop_before_leaves_the_store_unchanged(emu: Emulator) -> None:
    """drop_before closes the connection unanswered; the write did not happen."""
    path, f, _ = _setup(emu)
    emu.set_faults(rate=1.0, kinds=("drop_before",), only_paths=["/records$"])
    with pytest.raises(requests.ConnectionError) as caught:
        requests.post(path, headers=_headers(emu), json={"fields": {f["Name"]: "x"}}, timeout=10)
    assert "RemoteDisconnected" in repr(caught.value) or "closed" in str(caught.value).lower()
    emu.clear_faults()
    assert _count(emu, path) == 0
    log = emu.request_log()[-2]
    assert (log["dropped"], log["applied"], log["status"]) == ("before", False, None)


def test_drop_after_applies_the_write(emu: Emulator) -> None:
    """drop_after applies the write, then closes the connection unanswered."""
    path, f, _ = _setup(emu)
    emu.set_faults(rate=1.0, kinds=("drop_after",), methods=["POST"])
    with pytest.raises(requests.ConnectionError):
        requests.post(path, headers=_headers(emu), json={"fields": {f["Name"]: "x"}}, timeout=10)
    emu.clear_faults()
    assert _count(emu, path) == 1
    entry = [e for e in emu.request_log() if e["method"] == "POST"][-1]
    assert (entry["dropped"], entry["applied"]) == ("after", True)
    assert entry["tokenId"] == emu.store.default_token.id
    assert emu.api_key not in repr(emu.request_log())


def test_faults_are_deterministic_with_a_seed(emu: Emulator) -> None:
    """The same seed gives the same sequence of faults."""

    def run() -> list[int]:
        emu.set_faults(rate=0.5, kinds=("429", "503"), seed=42)
        return [
            requests.get(emu.base_url + "/databases", headers=_headers(emu), timeout=10).status_code
            for _ in range(12)
        ]

    first, second = run(), run()
    assert first == second
    assert {200, 429} <= set(first) or {200, 503} <= set(first)


# --- rate limits -----------------------------------------------------------------------------


def test_rate_limits_per_token() -> None:
    """The 41st read (31st write) within the window is 429 with Retry-After; reads and writes
    have separate budgets; other tokens are not affected."""
    with Emulator(rate_limit=True) as emu:
        limiter = emu.app.limiter
        assert (limiter.limits, limiter.window) == ({"read": 40, "write": 30}, 1.0)
        limiter.window = 600.0  # same limits, but no dependence on how fast this machine is
        path, _f, _ = _setup(emu)
        with requests.Session() as http:
            reads = [http.get(path, headers=_headers(emu), timeout=10) for _ in range(41)]
            assert [r.status_code for r in reads] == [200] * 40 + [429]
            assert reads[-1].json()["errorCode"] == "TOO_MANY_REQUESTS"
            assert int(reads[-1].headers["Retry-After"]) >= 1
            search = http.post(path + "/search", headers=_headers(emu), json={}, timeout=10)
            assert search.status_code == 429, "search counts as a read"
            writes = [
                http.post(path, headers=_headers(emu), timeout=10, json={"fields": {}})
                for _ in range(31)
            ]
            assert [r.status_code for r in writes] == [200] * 30 + [429]
            other = {"Softr-Api-Key": emu.create_token([emu.workspace_id])}
            assert http.get(path, headers=other, timeout=10).status_code == 200
        emu.set_rate_limit(False)
        assert requests.get(path, headers=_headers(emu), timeout=10).status_code == 200


# --- admin routes ----------------------------------------------------------------------------


def test_admin_routes_need_the_admin_token(emu: Emulator) -> None:
    """No auth -> 401, an API key -> 403, the admin token -> 200."""
    url = emu.root_url + "/_emulator/requests"
    assert requests.get(url, timeout=10).status_code == 401
    assert requests.get(url, headers=_headers(emu), timeout=10).status_code == 403
    bearer_key = {"Authorization": f"Bearer {emu.api_key}"}
    assert requests.get(url, headers=bearer_key, timeout=10).status_code == 403
    admin = {"Authorization": f"Bearer {emu.admin_token}"}
    assert requests.get(url, headers=admin, timeout=10).status_code == 200
    assert requests.get(emu.root_url + "/_emulator/health", timeout=10).json() == {"status": "ok"}


def test_admin_seed_faults_tokens_now_and_reset(emu: Emulator) -> None:
    """The admin routes drive seeding, faults, tokens, the clock and resets."""
    admin = {"Authorization": f"Bearer {emu.admin_token}"}
    root = emu.root_url + "/_emulator"
    seeded = requests.post(root + "/seed", headers=admin, json={"name": "demo"}, timeout=10)
    assert seeded.status_code == 200
    tables = seeded.json()["data"]["tables"]
    assert {name: t["records"] for name, t in tables.items()} == {
        "Companies": 12,
        "Contacts": 60,
        "Deals": 40,
    }
    assert (
        requests.post(root + "/seed", headers=admin, json={"name": "x"}, timeout=10).status_code
        == 400
    )
    faults = requests.put(
        root + "/faults",
        headers=admin,
        timeout=10,
        json={"rate": 1, "kinds": ["503"], "onlyPaths": ["/databases$"]},
    )
    assert faults.json()["data"]["kinds"] == ["503"]
    assert (
        requests.get(emu.base_url + "/databases", headers=_headers(emu), timeout=10).status_code
        == 503
    )
    requests.delete(root + "/faults", headers=admin, timeout=10)
    token = requests.post(root + "/tokens", headers=admin, json={"name": "ci"}, timeout=10)
    key = token.json()["data"]["apiKey"]
    assert (
        requests.get(
            emu.base_url + "/databases", headers={"Softr-Api-Key": key}, timeout=10
        ).status_code
        == 200
    )
    log = requests.get(root + "/requests", headers=admin, timeout=10).json()["data"]
    assert log[-1]["tokenId"] == token.json()["data"]["id"] and key not in str(log)
    now = requests.put(
        root + "/now", headers=admin, json={"now": "2030-01-02T03:04:05Z"}, timeout=10
    )
    assert now.json()["data"]["now"] == "2030-01-02T03:04:05.000Z"
    requests.put(root + "/now", headers=admin, json={"now": None}, timeout=10)
    assert requests.post(root + "/reset", headers=admin, timeout=10).status_code == 200
    assert (
        requests.get(emu.base_url + "/databases", headers=_headers(emu), timeout=10).json()["data"]
        == []
    )


def test_demo_seed_is_deterministic() -> None:
    """Two seeded emulators hold identical demo data (ids and values)."""

    def snapshot() -> Any:
        with Emulator(seed="demo") as emu:
            summary = emu.seed_summary
            assert summary is not None
            deals = summary["tables"]["Deals"]["id"]
            url = f"{emu.base_url}/databases/{summary['databaseId']}/tables/{deals}/records"
            return summary, requests.get(
                url, headers=_headers(emu), params={"limit": 5}, timeout=10
            ).json()["data"]

    assert snapshot() == snapshot()


# --- command line ----------------------------------------------------------------------------


def test_cli_serves_until_interrupted(tmp_path: Path) -> None:
    """`softr-orm emulator` prints the base URL and key, serves, and stops on SIGINT."""
    data = tmp_path / "cli.sqlite"
    command = [
        sys.executable,
        "-m",
        "softr_orm.cli",
        "emulator",
        "--port",
        "0",
        "--data",
        str(data),
        "--seed",
        "demo",
        "--no-rate-limit",
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(5)]
        base = lines[1].split()[-1]
        key = lines[3].split()[-1]
        assert base.startswith("http://127.0.0.1:") and base.endswith("/api/v1")
        response = requests.get(base + "/databases", headers={"Softr-Api-Key": key}, timeout=10)
        assert [d["name"] for d in response.json()["data"]] == ["CRM demo"]
    finally:
        process.send_signal(signal.SIGINT)
        # communicate() drains both pipes while waiting, so a chatty server cannot block on
        # a full pipe; the generous timeout allows for a loaded CI machine.
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert data.exists()


def test_cli_interrupted_while_printing_its_banner_exits_cleanly(tmp_path: Path) -> None:
    """A SIGINT as soon as the first line of the banner is out (while the rest is still being
    written) stops the server cleanly: exit 0, no KeyboardInterrupt traceback."""
    command = [
        sys.executable,
        "-m",
        "softr_orm.cli",
        "emulator",
        "--port",
        "0",
        "--data",
        str(tmp_path / "early.sqlite"),
        "--no-rate-limit",
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    assert process.stdout is not None
    first = process.stdout.read(1)  # the banner has begun
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert first == "S"
    assert process.returncode == 0, stderr
    assert "KeyboardInterrupt" not in stderr
