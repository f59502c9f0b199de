"""pytest plugin: a real Softr emulator and a session on it, for your own tests.

Installed with softr-orm (entry point ``pytest11``), so the fixtures are there in any project
that has softr-orm and pytest; ``-p no:softr_orm`` switches the plugin off. Nothing runs unless
a test asks for a fixture: no autouse fixture, and the emulator (werkzeug) is imported only
when ``softr_emulator`` is first used.

Fixtures:

``softr_emulator``
    An :class:`softr_orm.emulator.Emulator` on a free loopback port, seeded with the demo CRM
    (``DEMO_DATABASE_ID``: Companies, Contacts, Deals). By default every test gets a fresh one
    (about 0.1 s). With ``softr_emulator_scope = module`` (or ``session``) in the pytest ini
    options, one server serves a whole module (or a whole xdist worker) and is reset and
    reseeded before each test that uses it, except the first: faults, rate limiting, the
    pinned clock and the request log are reset too; tokens made by a test survive.
``softr_emulator_options``
    Keyword arguments of that ``Emulator`` (default ``{"seed": "demo"}``; ``{"seed": None}``
    for an empty one). Override it in a ``conftest.py``, keeping ``scope="session"``, the
    widest scope the emulator may have.
``softr_session``
    A :class:`softr_orm.Session` on ``softr_emulator`` (no client-side rate limiting), set as
    the default session for the test (so ``Contact.objects.count()`` just works) and restored
    afterwards. ``softr_session_options`` adds Session keyword arguments.
``softr_create_tables``
    ``softr_create_tables(Contact, Company)`` creates, on ``softr_emulator``, the database and
    tables that your model classes declare, with their own ids (``Meta.database``,
    ``Meta.table``, pinned ``field_id=``) and a RECORD_ID field each, so the models bind
    unchanged (see ``Emulator.create_tables_for``). Returns the Table objects. Pass
    ``{"seed": None}`` as ``softr_emulator_options`` if the demo CRM is not wanted.
``softr_baserow_session``
    A ``BaserowSession`` on ``softr_emulator``'s Baserow face (``emu.baserow_url``, the
    emulator's token): Baserow models tested with no PostgreSQL. It is the default session
    during the test unless the test also uses ``softr_session``. Skips when softr-orm has no
    Baserow backend.
``softr_max_requests``
    ``with softr_max_requests(3): ...`` fails the test as soon as the block makes a 4th HTTP
    request (retries count: they are requests) on ``softr_session`` (when the test uses it),
    else on the default session, or on ``session=`` given. The failure lists the requests.
    The marker ``@pytest.mark.softr_max_requests(3)`` does the same for the whole test.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from softr_orm.backends.base import BackendSession
    from softr_orm.backends.softr.session import Session
    from softr_orm.emulator import Emulator
    from softr_orm.http.session import RequestEvent

__all__ = [
    "RequestBudget",
    "softr_baserow_session",
    "softr_create_tables",
    "softr_emulator",
    "softr_emulator_options",
    "softr_max_requests",
    "softr_session",
    "softr_session_options",
]

_SCOPES = ("function", "class", "module", "package", "session")
# Servers that have served a test already: the next test on one resets it first.
_used: weakref.WeakSet[Any] = weakref.WeakSet()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "softr_emulator_scope",
        "scope of the emulator behind the softr_emulator fixture: function (a fresh emulator "
        "per test, the default), module or session (one server, reset before each test)",
        default="function",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "softr_max_requests(n): fail the test if it makes more than n Softr HTTP requests "
        "(on softr_session when used, else on the default session)",
    )


def _server_scope(fixture_name: str, config: pytest.Config) -> Any:
    scope = str(config.getini("softr_emulator_scope") or "function").strip()
    if scope not in _SCOPES:
        raise pytest.UsageError(
            f"softr_emulator_scope must be one of {', '.join(_SCOPES)}, not {scope!r}"
        )
    return scope


# --- the emulator ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def softr_emulator_options() -> dict[str, Any]:
    """Keyword arguments of the test emulator; override to change the seed or add faults."""
    return {"seed": "demo"}


@pytest.fixture(scope=_server_scope)
def softr_emulator_server(softr_emulator_options: dict[str, Any]) -> Iterator[Emulator]:
    """The server behind ``softr_emulator`` (its scope is the ``softr_emulator_scope`` ini)."""
    from softr_orm.emulator import Emulator

    with Emulator(**softr_emulator_options) as emulator:
        yield emulator


@pytest.fixture
def softr_emulator(
    softr_emulator_server: Emulator, softr_emulator_options: dict[str, Any]
) -> Emulator:
    """A running emulator whose data is fresh for this test (the demo CRM by default)."""
    emulator = softr_emulator_server
    if emulator in _used:
        emulator.reset()
        emulator.clear_faults()
        emulator.set_rate_limit(bool(softr_emulator_options.get("rate_limit", False)))
        emulator.set_now(None)
        seed = softr_emulator_options.get("seed")
        if seed is not None:
            emulator.seed(seed)
    _used.add(emulator)
    return emulator


@pytest.fixture
def softr_create_tables(softr_emulator: Emulator) -> Callable[..., list[dict[str, Any]]]:
    """``softr_create_tables(*models)``: your models' tables on ``softr_emulator``, by their ids.

    The database, tables and fields are created with the ids your models declare, so a test
    uses the app's own models unchanged; calling it again for the same models changes nothing.
    """

    def create(*models: Any) -> list[dict[str, Any]]:
        return softr_emulator.create_tables_for(*models)

    return create


# --- the session -------------------------------------------------------------------------------


def _current_default() -> BackendSession | None:
    from softr_orm.backends.defaults import default_session
    from softr_orm.errors import ConfigurationError

    try:
        return default_session()
    except ConfigurationError:
        return None


@pytest.fixture
def softr_session_options() -> dict[str, Any]:
    """Extra :class:`softr_orm.Session` keyword arguments for ``softr_session``."""
    return {}


@pytest.fixture
def softr_session(
    softr_emulator: Emulator, softr_session_options: dict[str, Any]
) -> Iterator[Session]:
    """A session on ``softr_emulator``, the default session during the test."""
    from softr_orm.backends.defaults import configure
    from softr_orm.backends.softr.session import Session

    options: dict[str, Any] = {
        "base_url": softr_emulator.base_url,
        "users_base_url": softr_emulator.users_base_url,
        "rate_limit": False,
        **softr_session_options,
    }
    session = Session(options.pop("api_key", softr_emulator.api_key), **options)
    previous = _current_default()
    configure(session)
    try:
        yield session
    finally:
        configure(previous)
        session.close()


@pytest.fixture
def softr_baserow_session(
    softr_emulator: Emulator, request: pytest.FixtureRequest
) -> Iterator[Any]:
    """A Baserow session on the emulator's Baserow face (the default session unless the test
    uses ``softr_session`` too), signed in as the face's user for the schema calls
    (``create_table_for``, ``inspect_database``, ``check_models``)."""
    import importlib

    from softr_orm.backends.defaults import configure

    try:
        backend = importlib.import_module("softr_orm.backends.baserow")
    except ImportError:
        pytest.skip("this softr-orm has no Baserow backend (softr_orm.backends.baserow)")
    session = backend.BaserowSession(
        softr_emulator.baserow_token,
        base_url=softr_emulator.baserow_url,
        email=softr_emulator.baserow_email,  # signs in for the schema calls' JWT
        password=softr_emulator.baserow_password,
    )
    as_default = "softr_session" not in request.fixturenames
    previous = _current_default()
    if as_default:
        configure(session)
    try:
        yield session
    finally:
        if as_default:
            configure(previous)
        session.close()


# --- request budgets ---------------------------------------------------------------------------


class RequestBudget:
    """Fails the test when more than ``limit`` HTTP requests are made inside the block.

    It fails at the first request over the limit, so the traceback points at the code that
    made it (the request has been sent by then), and again on leaving the block in case that
    failure was swallowed. ``events`` holds every request seen (:class:`RequestEvent`).
    """

    def __init__(self, limit: int, sessions: Iterable[BackendSession]) -> None:
        if limit < 0:
            raise ValueError(f"the request limit must be >= 0, got {limit}")
        self.limit = limit
        self.sessions = list(dict.fromkeys(sessions))
        self.events: list[RequestEvent] = []
        self._lock = threading.Lock()

    @property
    def count(self) -> int:
        """Requests made so far inside the block."""
        return len(self.events)

    def _listen(self, event: RequestEvent) -> None:
        with self._lock:
            self.events.append(event)
            over = len(self.events) > self.limit
        if over:
            pytest.fail(self.message(), pytrace=True)

    def message(self) -> str:
        with self._lock:
            events = list(self.events)
        lines = [
            f"{len(events)} Softr requests were made, more than the {self.limit} allowed:",
            *(
                f"  {n}. {e.method} {e.path} -> {e.status if e.error is None else e.error}"
                + (f" (retry {e.attempt - 1})" if e.attempt > 1 else "")
                for n, e in enumerate(events, 1)
            ),
        ]
        return "\n".join(lines)

    def __enter__(self) -> RequestBudget:
        for session in self.sessions:
            session.add_listener(self._listen)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for session in self.sessions:
            session.remove_listener(self._listen)
        if exc_type is None and self.count > self.limit:
            pytest.fail(self.message(), pytrace=False)


def _sessions_for(
    explicit: BackendSession | Iterable[BackendSession] | None,
    test_session: BackendSession | None,
) -> list[BackendSession]:
    from softr_orm.backends.base import BackendSession
    from softr_orm.backends.defaults import default_session

    if isinstance(explicit, BackendSession):
        return [explicit]
    if explicit is not None:
        return list(explicit)
    if test_session is not None:
        return [test_session]
    return [default_session()]


@pytest.fixture
def softr_max_requests(
    request: pytest.FixtureRequest,
) -> Callable[..., RequestBudget]:
    """``with softr_max_requests(n, session=None): ...`` fails past ``n`` requests."""

    def make(
        limit: int, session: BackendSession | Iterable[BackendSession] | None = None
    ) -> RequestBudget:
        test_session = (
            request.getfixturevalue("softr_session")
            if "softr_session" in request.fixturenames
            else None
        )
        return RequestBudget(limit, _sessions_for(session, test_session))

    return make


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Applies the ``softr_max_requests(n)`` marker to the test's call phase."""
    marker = item.get_closest_marker("softr_max_requests")
    if marker is None:
        return (yield)
    limit = marker.args[0] if marker.args else marker.kwargs.get("n")
    if not isinstance(limit, int):
        raise pytest.UsageError(f"{item.nodeid}: use @pytest.mark.softr_max_requests(<int>)")
    funcargs: dict[str, Any] = getattr(item, "funcargs", {})
    sessions = _sessions_for(None, funcargs.get("softr_session"))
    with RequestBudget(limit, sessions):
        return (yield)
