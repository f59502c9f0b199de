"""Integer ids for the store's string ids: Baserow's ids are integers, the store's are not.

Nothing is stored: every mapping is derived, so it is stable across restarts of a file store
and costs no migration, and the Softr face never sees it.

* databases and tables: their ``seq`` (a store-wide counter, unique and never reused);
* rows: the record's ``seq`` (per table, from 1, never reused, like Baserow's row ids);
* fields, select options, users: :func:`int_id` of the string id. Softr-shaped ids (1 to 8
  letters and digits: fields have 5, choices 8) map one-to-one (base 62 times 16 plus the
  length, below 2**53 so JavaScript clients keep them exact); any other string gets a
  SHA-256-derived number above that range; ``"~123"`` is 123 (:func:`str_id`: the ids of
  fields created for Baserow models that pin ``field_id="field_123"``). Going back is a scan
  of the few candidates (a table's fields, a field's choices, a workspace's members).
"""

from __future__ import annotations

import hashlib
import re
import threading
from typing import Any

from ..store.state import RecordState, TableState

__all__ = ["RowIndex", "int_id", "str_id"]

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_DIGIT = {c: i for i, c in enumerate(_ALPHABET)}
_SHORT = re.compile(r"[0-9A-Za-z]{1,8}")
_PINNED = re.compile(r"~[1-9][0-9]{0,15}")
_HASHED_BASE = 1 << 53


def int_id(value: str) -> int:
    """A positive integer for a string id (one-to-one for Softr-shaped ids)."""
    if _PINNED.fullmatch(value):
        return int(value[1:])
    if _SHORT.fullmatch(value):
        number = 0
        for char in value:
            number = number * 62 + _DIGIT[char]
        return number * 16 + len(value)
    digest = hashlib.sha256(value.encode("utf-8")).digest()
    return _HASHED_BASE + int.from_bytes(digest[:6], "big")


def str_id(number: int) -> str:
    """The string id whose :func:`int_id` is ``number``: ``"~123"`` for 123, so an id a
    Baserow model pins (``field_id="field_123"``) can be given to the store. (The Softr face
    shows such a field with that id; Softr's own ids never contain ``~``.)"""
    return f"~{number}"


class RowIndex:
    """Row id (a record's ``seq``) -> record, per table, rebuilt when it goes stale.

    An entry is trusted only if the record is still in the table under that id; a miss or a
    stale entry rebuilds the table's index (one pass), so creates and deletes need no hook.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: table id -> (the table's ``next_seq`` when built, seq -> record)
        self._by_table: dict[str, tuple[int, dict[int, RecordState]]] = {}

    def get(self, table: TableState, records: dict[str, Any], row_id: int) -> RecordState | None:
        """The record with that row id, or None. A seq is never reused, so a row id at or
        below the ``next_seq`` the index was built at, and absent from it, cannot exist."""
        with self._lock:
            built = self._by_table.get(table.id)
            if built is not None:
                upto, index = built
                rec = index.get(row_id)
                if rec is not None and records.get(rec.id) is rec:
                    return rec
                if rec is None and row_id <= upto:
                    return None
            index = {r.seq: r for r in records.values()}
            self._by_table[table.id] = (table.next_seq, index)
            return index.get(row_id)
