"""A damaged data file is refused with one clear line and left untouched; a damaged record
row costs that record, not its table."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from softr_orm.emulator import DataFileError, Emulator

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def _good_file(path: Path) -> None:
    """A real data file with the demo CRM, closed cleanly (no -wal file left)."""
    with Emulator(data=str(path), seed="demo"):
        pass


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _garbage(path: Path) -> None:
    path.write_bytes(os.urandom(3000))


def _truncated(path: Path) -> None:
    _good_file(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _empty_meta(path: Path) -> None:
    _good_file(path)
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM meta")
    conn.close()


def _half_meta(path: Path) -> None:
    _good_file(path)
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM meta WHERE key = 'default_token_id'")
    conn.close()


def _newer(path: Path) -> None:
    _good_file(path)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.close()


def _foreign(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        conn.execute("INSERT INTO invoices (total) VALUES (12.5)")
    conn.close()


def _directory(path: Path) -> None:
    path.mkdir()


CASES: list[tuple[str, Callable[[Path], None], str]] = [
    ("empty file", _empty, "is empty (0 bytes)"),
    ("garbage", _garbage, "is not an SQLite database"),
    ("truncated", _truncated, "is damaged"),
    ("empty meta table", _empty_meta, "metadata is missing or incomplete"),
    ("meta without the default key", _half_meta, "default_token_id"),
    ("newer schema", _newer, "schema version '99'"),
    ("another program's database", _foreign, "of something else"),
    ("a directory", _directory, "is a directory"),
]


def _fingerprint(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() else None


@pytest.mark.parametrize(("damage", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_damaged_file_is_refused_and_left_as_it_was(
    tmp_path: Path, damage: Callable[[Path], None], expected: str
) -> None:
    path = tmp_path / "emu.sqlite"
    damage(path)
    before = _fingerprint(path)
    with pytest.raises(DataFileError) as caught:
        Emulator(data=str(path))
    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message and expected in message
    assert caught.value.advice and message.endswith(caught.value.advice)
    assert _fingerprint(path) == before  # never replaced, never "repaired"
    assert not (tmp_path / "emu.sqlite-wal").exists() or path.is_dir()


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_an_unreadable_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "emu.sqlite"
    _good_file(path)
    path.chmod(0)
    try:
        with pytest.raises(DataFileError, match="permission denied"):
            Emulator(data=str(path))
    finally:
        path.chmod(0o600)


@pytest.mark.parametrize("case", ["empty file", "garbage", "truncated", "empty meta table"])
def test_the_command_line_says_so_in_one_line(tmp_path: Path, case: str) -> None:
    """``softr-orm emulator`` on a damaged file: exit status 2, one line, no traceback."""
    damage = next(c[1] for c in CASES if c[0] == case)
    path = tmp_path / "emu.sqlite"
    damage(path)
    done = subprocess.run(
        [sys.executable, "-m", "softr_orm.cli", "emulator", "--port", "0", "--data", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"softr-orm emulator: data file '{path}'")


def test_a_file_whose_first_start_never_finished_starts(tmp_path: Path) -> None:
    """Tables but no row at all (the first start died before it wrote anything): nothing to
    lose, so it becomes a store."""
    path = tmp_path / "emu.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.close()
    with Emulator(data=str(path)) as emu:
        assert emu.api_key.startswith("emu_")


def test_a_damaged_record_row_costs_that_record_only(tmp_path: Path) -> None:
    """One row with garbage data and one with a value of the wrong shape: the table is served
    without them, both are reported, their ids answer 500 naming the problem, and they can be
    deleted."""
    path = tmp_path / "emu.sqlite"
    with Emulator(data=str(path)) as emu:
        db = emu.create_database("Rows")
        table = emu.create_table(
            db["id"],
            "T",
            [
                {"name": "Name", "type": "SINGLE_LINE_TEXT"},
                {"name": "Stage", "type": "SELECT", "options": {"choices": ["A", "B"]}},
            ],
        )
        name, stage = (f["id"] for f in table["fields"])
        ids = emu.insert_records(
            db["id"], table["id"], [{name: f"r{i}", stage: "A"} for i in range(5)]
        )
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE records SET data = 'not json {' WHERE id = ?", (ids[1],))
        conn.execute(
            "UPDATE records SET data = ? WHERE id = ?",
            (json.dumps({name: "r3", stage: {"label": "A"}}), ids[3]),
        )
    conn.close()
    with Emulator(data=str(path)) as emu:
        url = f"{emu.base_url}/databases/{db['id']}/tables/{table['id']}/records"
        http = requests.Session()
        http.headers["Softr-Api-Key"] = emu.api_key
        listed = http.get(url, timeout=10).json()
        assert [r["fields"][name] for r in listed["data"]] == ["r0", "r2", "r4"]
        assert listed["metadata"]["total"] == 3
        searched = http.post(url + "/search", json={}, timeout=10).json()
        assert searched["metadata"]["total"] == 3
        for bad in (ids[1], ids[3]):
            for answer in (
                http.get(f"{url}/{bad}", timeout=10),
                http.patch(f"{url}/{bad}", json={"fields": {name: "x"}}, timeout=10),
            ):
                assert answer.status_code == 500
                body = answer.json()
                assert body["errorCode"] == "INTERNAL_SERVER_ERROR"
                assert bad in body["message"] and "damaged" in body["message"]
        health = requests.get(emu.root_url + "/_emulator/health", timeout=10).json()
        assert health["status"] == "degraded"
        assert {d["recordId"] for d in health["damagedRecords"]} == {ids[1], ids[3]}
        assert "is not JSON" in next(
            d["problem"] for d in health["damagedRecords"] if d["recordId"] == ids[1]
        )
        created = http.post(url, json={"fields": {name: "new"}}, timeout=10)
        assert created.status_code == 200
        assert http.delete(f"{url}/{ids[1]}", timeout=10).status_code == 204
        assert http.get(f"{url}/{ids[1]}", timeout=10).status_code == 404
        health = requests.get(emu.root_url + "/_emulator/health", timeout=10).json()
        assert [d["recordId"] for d in health["damagedRecords"]] == [ids[3]]
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM records WHERE id = ?", (ids[3],)).fetchone() == (
            1,
        )
    conn.close()
