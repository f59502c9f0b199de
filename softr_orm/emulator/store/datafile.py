"""Vetting the data file before the store uses it: refuse a damaged one, with one clear line.

A store never replaces data silently. A path that does not exist becomes a new store; a path
that exists must be an emulator data file in good health, or the store refuses to open it with
a :class:`DataFileError` saying what is wrong, which file, and what to do (``softr-orm
emulator`` prints that line and exits with status 2). Refused:

* a directory, a file that cannot be read and written, an empty (0-byte) file, a file that is
  not an SQLite database (garbage, or truncated inside its first page);
* an SQLite database that fails SQLite's own ``quick_check`` (truncated, damaged pages);
* an SQLite database of something else (tables, but no emulator ``meta`` table);
* an emulator file whose metadata (schema version, admin token, default token, JWT secret) is
  missing or incomplete while it holds data, or written by a newer emulator.

Damage inside one record row is not refused here: that record is reported and skipped, and the
rest of its table is served (see :mod:`.persist`).
"""

from __future__ import annotations

import os
import sqlite3

__all__ = ["SQLITE_HEADER", "DataFileError", "check_file", "check_open"]

SQLITE_HEADER = b"SQLite format 3\x00"
_ADVICE = "restore it from a backup (with its -wal file), or start a new store on another path"


class DataFileError(Exception):
    """The data file cannot be used as it is; ``str()`` is one line naming file and remedy."""

    def __init__(self, path: str, problem: str, advice: str = _ADVICE) -> None:
        super().__init__(f"data file {path!r} {problem}: {advice}")
        self.path = path
        self.problem = problem
        self.advice = advice


def is_memory(path: str) -> bool:
    return path == ":memory:" or path.startswith("file::memory:")


def check_file(path: str) -> bool:
    """Checks before SQLite opens ``path``; returns whether the file already exists.

    Raises:
        DataFileError: a directory, an unreadable, empty or non-SQLite file.
    """
    if is_memory(path) or not os.path.lexists(path):
        return False
    if os.path.isdir(path):
        raise DataFileError(path, "is a directory", "give the path of a file")
    if not os.access(path, os.R_OK | os.W_OK):
        raise DataFileError(
            path, "cannot be read and written (permission denied)", "fix its permissions"
        )
    try:
        with open(path, "rb") as file:
            head = file.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise DataFileError(path, f"cannot be read ({exc.strerror or exc})") from exc
    if not head:
        raise DataFileError(
            path,
            "is empty (0 bytes), so it is no emulator data file (it may have been truncated)",
            "delete it to start a new store there, or restore it from a backup",
        )
    if head != SQLITE_HEADER:
        raise DataFileError(path, "is not an SQLite database (it does not start like one)")
    return True


def check_open(conn: sqlite3.Connection, path: str) -> None:
    """Checks of an existing file once SQLite has opened it (before anything is written).

    Raises:
        DataFileError: SQLite finds the file damaged, or it is another program's database.
    """
    try:
        verdict = [row[0] for row in conn.execute("PRAGMA quick_check")]
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as exc:
        raise DataFileError(path, f"is damaged or not a database (sqlite: {exc})") from exc
    if verdict != ["ok"]:
        raise DataFileError(path, f"is damaged (sqlite quick_check: {'; '.join(verdict[:3])})")
    if tables and "meta" not in tables:
        raise DataFileError(
            path,
            "is an SQLite database of something else (it has tables, none of them 'meta')",
            "choose another path for the emulator's data",
        )
