"""Memory and disk never disagree: a write the data file refuses is undone in memory too.

The disk-full case is real: a child process lowers its own file size limit
(``RLIMIT_FSIZE``, with ``SIGXFSZ`` ignored) right after setting up a table, so SQLite's
writes start failing as they would on a full disk. The child reports what the emulator
answered and showed afterwards; the test then reopens the same file without a limit and
checks that it shows exactly that.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from softr_orm.emulator import Emulator

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(sys.platform == "win32", reason="needs resource.RLIMIT_FSIZE"),
]

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import json, os, resource, signal, sys
import requests
from softr_orm.emulator import Emulator

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
path = sys.argv[1]
big = "x" * 60_000
out = {"creates": [], "failed_create": None, "update": None, "delete": None}
with Emulator(data=path) as emu:
    db = emu.create_database("Durable")
    table = emu.create_table(db["id"], "Notes", [{"name": "Body", "type": "LONG_TEXT"}])
    field = table["fields"][0]["id"]
    url = f"{emu.base_url}/databases/{db['id']}/tables/{table['id']}/records"
    http = requests.Session()
    http.headers["Softr-Api-Key"] = emu.api_key
    first = http.post(url, json={"fields": {field: "first"}}, timeout=30).json()["data"]
    second = http.post(url, json={"fields": {field: "second"}}, timeout=30).json()["data"]
    out["creates"] = [first["id"], second["id"]]
    sizes = [os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p)]
    resource.setrlimit(resource.RLIMIT_FSIZE, (max(sizes) + 150_000, resource.RLIM_INFINITY))
    for number in range(40):
        answer = http.post(url, json={"fields": {field: f"{number} {big}"}}, timeout=30)
        if answer.status_code == 200:
            out["creates"].append(answer.json()["data"]["id"])
        else:
            out["failed_create"] = [answer.status_code, answer.json(), f"{number} "]
            break
    # Now not a byte more: even a write into space the failed create left in the WAL fails.
    resource.setrlimit(resource.RLIMIT_FSIZE, (1, resource.RLIM_INFINITY))
    answer = http.patch(f"{url}/{first['id']}", json={"fields": {field: "changed"}}, timeout=30)
    out["update"] = [answer.status_code, answer.json()]
    answer = http.delete(f"{url}/{second['id']}", timeout=30)
    out["delete"] = [answer.status_code, answer.json() if answer.content else None]
    listed = http.get(url, params={"limit": 200}, timeout=30).json()
    out["memory"] = {
        "total": listed["metadata"]["total"],
        "records": {r["id"]: r["fields"].get(field, "")[:12] for r in listed["data"]},
    }
    out["table"] = [db["id"], table["id"], field]
print(json.dumps(out))
"""


def _listing(emu: Emulator, database_id: str, table_id: str, field: str) -> dict[str, Any]:
    url = f"{emu.base_url}/databases/{database_id}/tables/{table_id}/records"
    listed = requests.get(
        url, params={"limit": 200}, headers={"Softr-Api-Key": emu.api_key}, timeout=30
    ).json()
    return {
        "total": listed["metadata"]["total"],
        "records": {r["id"]: r["fields"].get(field, "")[:12] for r in listed["data"]},
    }


def test_a_full_disk_changes_neither_memory_nor_file(tmp_path: Path) -> None:
    """Creates, updates and deletes the disk refuses are answered 503 and leave no trace:
    what the emulator shows right after them is what the file holds after a restart."""
    data = tmp_path / "full.sqlite"
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(data)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    database_id, table_id, field = out["table"]

    status, body, prefix = out["failed_create"]
    assert status == 503 and body["errorCode"] == "SERVICE_UNAVAILABLE"
    assert "nothing was changed" in body["message"]
    memory = out["memory"]
    assert memory["total"] == len(out["creates"]) == len(memory["records"])
    assert not any(value.startswith(prefix) for value in memory["records"].values())

    first, second = out["creates"][:2]
    assert out["update"][0] == 503 and memory["records"][first] == "first"
    assert out["delete"][0] == 503 and memory["records"][second] == "second"

    with Emulator(data=str(data)) as again:
        assert _listing(again, database_id, table_id, field) == memory


def test_a_failed_write_inside_a_larger_change_is_undone_in_memory(tmp_path: Path) -> None:
    """A field added to a table (memory first, then the table's rows rewritten) is undone
    in memory when SQLite fails half way (here: a trigger failing like a full disk would)."""
    data = tmp_path / "half.sqlite"
    with Emulator(data=str(data)) as emu:
        db = emu.create_database("Half")
        table = emu.create_table(db["id"], "T", [{"name": "A", "type": "NUMBER"}])
        url = f"{emu.base_url}/databases/{db['id']}/tables/{table['id']}"
        headers = {"Softr-Api-Key": emu.api_key}
        emu.store.persist.conn.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON fields"
            " BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
        )
        answer = requests.post(
            url + "/fields", json={"name": "B", "type": "NUMBER"}, headers=headers, timeout=10
        )
        assert answer.status_code == 503
        assert answer.json()["errorCode"] == "SERVICE_UNAVAILABLE"
        shown = requests.get(url, headers=headers, timeout=10).json()["data"]
        assert [f["name"] for f in shown["fields"]] == ["A"]
        emu.store.persist.conn.execute("DROP TRIGGER refuse")
        retried = requests.post(
            url + "/fields", json={"name": "C", "type": "NUMBER"}, headers=headers, timeout=10
        )
        assert retried.status_code == 200
        path = url.removeprefix(emu.base_url)
    with Emulator(data=str(data)) as again:
        shown = requests.get(
            again.base_url + path, headers={"Softr-Api-Key": again.api_key}, timeout=10
        ).json()["data"]
        assert [f["name"] for f in shown["fields"]] == ["A", "C"]
