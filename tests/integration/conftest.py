"""Fixtures for the ORM-level integration tests: a real emulator on loopback, real HTTP.

One :class:`~softr_orm.emulator.Emulator` serves every test of an xdist worker (each worker is
its own process, so "session" scope means "per worker"); tests that need isolation ask for
``database``, a fresh empty database of their own. Sessions are cheap and made per test, with
client-side rate limiting off (the emulator does not limit either), so the suite stays fast.

Modules that define their own ``emu`` fixture (the emulator's own tests) override this one.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from softr_orm import Session
from softr_orm.emulator import Emulator

_numbers = itertools.count(1)

MakeSession = Callable[..., Session]


@pytest.fixture(scope="session")
def emu() -> Iterator[Emulator]:
    """The worker's emulator (in-memory store, free loopback port, no rate limits)."""
    with Emulator() as emulator:
        yield emulator


@pytest.fixture(scope="session")
def member(emu: Emulator) -> dict[str, Any]:
    """A collaborator of the default workspace, for USER fields."""
    return emu.add_member(emu.workspace_id, "ann.member@example.com", "Ann Member")


@pytest.fixture
def make_session(emu: Emulator) -> Iterator[MakeSession]:
    """Builds sessions on the emulator (default key unless given); all closed afterwards."""
    made: list[Session] = []

    def make(api_key: str | None = None, **options: Any) -> Session:
        options.setdefault("rate_limit", False)
        session = Session(api_key or emu.api_key, base_url=emu.base_url, **options)
        made.append(session)
        return session

    yield make
    for session in made:
        session.close()


@pytest.fixture
def session(make_session: MakeSession) -> Session:
    """A fresh session with the default key (its schema cache starts empty)."""
    return make_session()


@pytest.fixture
def database(emu: Emulator) -> str:
    """The id of a fresh, empty database in the default workspace."""
    return str(emu.create_database(f"orm test {next(_numbers)}")["id"])
