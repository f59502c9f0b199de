"""``override_database`` and session database maps: precedence, nesting, thread/task safety."""

from __future__ import annotations

import asyncio
import threading

import pytest

from softr_orm import override_database
from softr_orm.query.databases import database_overrides, effective_database, map_databases
from tests._fake_schema import make_session


def test_precedence_block_over_session_map_over_declaration() -> None:
    """A block wins over the session's map, which wins over Meta.database."""
    session = make_session()
    map_databases(session, {"prod": "staging"})
    assert effective_database("prod") == "prod"
    assert effective_database("prod", session) == "staging"
    assert effective_database("other", session) == "other"
    assert effective_database(None, session) is None
    with override_database({"prod": "test"}) as active:
        assert active == {"prod": "test"}
        assert effective_database("prod", session) == "test"
        with override_database({"other": "x"}):
            assert database_overrides() == {"prod": "test", "other": "x"}
        assert database_overrides() == {"prod": "test"}
    assert database_overrides() == {}
    with pytest.raises(TypeError, match="database ids"):
        map_databases(session, {"prod": ""})


def test_blocks_are_local_to_their_thread_and_task() -> None:
    """Another thread, or another asyncio task, does not see a block it did not enter."""
    seen: list[str | None] = []
    with override_database({"prod": "test"}):
        worker = threading.Thread(target=lambda: seen.append(effective_database("prod")))
        worker.start()
        worker.join()
    assert seen == ["prod"]

    async def in_task(target: str) -> str | None:
        with override_database({"prod": target}):
            await asyncio.sleep(0)  # let the other task enter its own block
            return effective_database("prod")

    async def both() -> list[str | None]:
        return list(await asyncio.gather(in_task("a"), in_task("b")))

    assert asyncio.run(both()) == ["a", "b"]
