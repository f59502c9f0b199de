"""Security, end to end against the real emulator on 127.0.0.1.

The unit tests (tests/test_session_security.py, tests/test_redirects.py) pin each guard against
a hand-made server; here the same promises are checked through real traffic with the emulator:
real errors, real retries after injected faults, real cross-workspace tokens, the real admin
routes. What is promised:

* the API key is in no repr/str, log record (softr_orm, requests, urllib3 at DEBUG), exception
  (message, args, attributes, cause/context chains, traceback text even with frame locals) or
  pickled object; a Session refuses to be pickled;
* no redirect is followed: the emulator, named in a ``Location``, receives nothing;
* ``http://`` to a non-loopback host is refused before any request (no DNS lookup even);
* an id can never walk out of its path segment;
* the admin routes refuse API keys (403) and anonymous calls (401);
* a token reaches only its own workspaces;
* magic links and the admin token never reach the client's logs.
"""

from __future__ import annotations

import copy
import logging
import pickle
import socket
import threading
import traceback
import types
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

import pytest
import requests

from softr_orm import Model, Session, errors, fields
from softr_orm.emulator import DEMO_DATABASE_ID, Emulator
from softr_orm.emulator.softr.admin import ROUTES as ADMIN_ROUTES
from softr_orm.http.util import RequestEvent, Secret

pytestmark = pytest.mark.integration

LOGGERS = ("softr_orm", "requests", "urllib3")


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(seed="demo") as emulator:
        yield emulator


@pytest.fixture(scope="module")
def demo(emu: Emulator) -> dict[str, Any]:
    assert emu.seed_summary is not None
    return emu.seed_summary


@pytest.fixture(scope="module")
def key(emu: Emulator) -> str:
    """A key of this module's own, reaching the default workspace."""
    return emu.create_token([emu.workspace_id], name="security tests")


@pytest.fixture(autouse=True)
def _quiet_emulator(emu: Emulator) -> Iterator[None]:
    emu.clear_faults()
    emu.clear_request_log()
    yield
    emu.clear_faults()


@pytest.fixture
def session(emu: Emulator, key: str) -> Iterator[Session]:
    s = Session(
        key,
        base_url=emu.base_url,
        users_base_url=emu.users_base_url,
        rate_limit=False,
        max_retries=2,
        sleep=lambda _: None,
    )
    yield s
    s.close()


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


# --- finding a secret anywhere -----------------------------------------------------------------


def paths_to(secret: str, root: object, limit: int = 200_000) -> list[str]:
    """Every path by which ``secret`` is reachable from ``root`` (empty when it is not).

    Follows containers, attributes, slots, exception args/notes/causes/contexts and traceback
    frame locals. A :class:`Secret` is the one sanctioned holder; modules, classes and functions
    are not followed (code, not data).
    """
    needle_b = secret.encode()
    found: list[str] = []
    seen: set[int] = set()
    todo: list[tuple[object, str]] = [(root, "root")]
    while todo and len(seen) < limit:
        obj, path = todo.pop()
        if id(obj) in seen or isinstance(obj, (Secret, type, types.ModuleType)):
            continue
        if isinstance(
            obj,
            (types.FunctionType, types.BuiltinFunctionType, types.MethodType, types.CodeType),
        ):
            continue
        seen.add(id(obj))
        if isinstance(obj, str):
            if secret in obj:
                found.append(path)
            continue
        if isinstance(obj, (bytes, bytearray, memoryview)):
            if needle_b in bytes(obj):
                found.append(path)
            continue
        children: list[tuple[object, str]] = []
        if isinstance(obj, dict):
            for k, v in list(obj.items()):
                children += [(k, f"{path}.<key>"), (v, f"{path}[{k!r}]")]
        elif isinstance(obj, (list, tuple, set, frozenset)):
            children += [(v, f"{path}[{i}]") for i, v in enumerate(list(obj))]
        elif isinstance(obj, types.TracebackType):
            children += [(obj.tb_frame, f"{path}.frame"), (obj.tb_next, f"{path}.next")]
        elif isinstance(obj, types.FrameType):
            name = obj.f_code.co_name
            children.append((dict(obj.f_locals), f"{path}<{name}>.locals"))
        else:
            if isinstance(obj, BaseException):
                children += [
                    (obj.args, f"{path}.args"),
                    (getattr(obj, "__notes__", None), f"{path}.__notes__"),
                    (obj.__cause__, f"{path}.__cause__"),
                    (obj.__context__, f"{path}.__context__"),
                    (obj.__traceback__, f"{path}.__traceback__"),
                ]
            attrs = getattr(obj, "__dict__", None)
            if isinstance(attrs, dict):
                children.append((attrs, f"{path}.__dict__"))
            for klass in type(obj).__mro__:
                for slot in getattr(klass, "__slots__", ()):
                    if isinstance(slot, str) and hasattr(obj, slot):
                        children.append((getattr(obj, slot), f"{path}.{slot}"))
        todo.extend(children)
    return found


def caught(action: Callable[[], object]) -> BaseException:
    """The exception ``action`` raises, caught in a frame that holds no secret of its own."""
    try:
        action()
    except BaseException as exc:
        return exc
    raise AssertionError("expected an exception")


def assert_message_clean(exc: BaseException, secret: str) -> None:
    """No ``secret`` in what an exception shows: message, args, attributes, the cause/context
    chain, the printed traceback, and its pickled form."""
    chain: list[BaseException] = []
    item: BaseException | None = exc
    while item is not None and item not in chain:
        chain.append(item)
        item = item.__cause__ or item.__context__
    for link in chain:
        assert secret not in str(link)
        assert secret not in repr(link)
        assert secret not in repr(link.args)
        assert secret not in repr(vars(link))
    assert secret not in "".join(traceback.format_exception(exc))
    if isinstance(exc, errors.SoftrError):
        data = pickle.dumps(exc)
        assert secret.encode() not in data
        again = pickle.loads(data)
        assert type(again) is type(exc)
        assert str(again) == str(exc)


def assert_exception_clean(exc: BaseException, secret: str) -> None:
    """As :func:`assert_message_clean`, and also nothing reachable from the exception holds
    ``secret``: not the frames of its traceback, not a traceback printed with its locals."""
    assert_message_clean(exc, secret)
    with_locals = traceback.TracebackException.from_exception(exc, capture_locals=True)
    assert secret not in "".join(with_locals.format())
    assert paths_to(secret, exc) == []


def assert_logs_clean(caplog: pytest.LogCaptureFixture, *secrets: str) -> None:
    assert caplog.records, "nothing was logged: the check would be empty"
    for record in caplog.records:
        message = record.getMessage()
        for secret in secrets:
            assert secret not in message
            assert paths_to(secret, record.args) == []
            if record.exc_info:
                assert secret not in "".join(traceback.format_exception(*record.exc_info))
    for secret in secrets:
        assert secret not in caplog.text


# --- the key: repr, str, pickling --------------------------------------------------------------


def test_objects_built_on_a_live_session_hide_the_key(
    emu: Emulator, demo: dict[str, Any], key: str, session: Session
) -> None:
    """After real traffic, nothing the user can print or walk to shows the key."""
    contacts = demo["tables"]["Contacts"]

    class Contact(Model):
        name = fields.SingleLineText("Full Name")
        score = fields.Number("Score")

        class Meta:
            database = demo["databaseId"]
            table = "Contacts"

    found = list(Contact.objects.using(session).filter(score__gte=0)[:3])
    assert found
    database = session.database(demo["databaseId"])
    table = session.api.get_table(demo["databaseId"], contacts["id"])
    users = session.users(emu.app_domain)
    things: list[object] = [
        session,
        session.api,
        users,
        database,
        table,
        found[0],
        Contact.objects.using(session),
        Contact.objects.using(session).filter(name__contains="a"),
    ]
    for thing in things:
        assert key not in repr(thing)
        assert key not in str(thing)
    assert "***" in repr(session)
    assert paths_to(key, session) == []
    assert paths_to(key, found[0]) == []
    assert paths_to(key, [database, table, users]) == []


def test_session_pickling_is_refused_after_use(session: Session, key: str) -> None:
    """A used Session (pools, caches, connections) still refuses pickle and copy."""
    session.databases()
    for attempt in (pickle.dumps, copy.copy, copy.deepcopy):
        exc = caught(lambda attempt=attempt: attempt(session))  # type: ignore[misc]
        assert isinstance(exc, TypeError)
        assert_exception_clean(exc, key)


class DemoCompany(Model):
    """Module level, so that instances can be pickled at all."""

    name = fields.SingleLineText("Name")

    class Meta:
        database = DEMO_DATABASE_ID
        table = "Companies"


def test_model_instances_pickle_without_the_key(session: Session) -> None:
    """A record fetched through a session pickles (design.md promises it), without the key,
    and comes back equal, with its values and no session inside."""
    company = DemoCompany.objects.using(session).first()
    assert company is not None and company.name
    key = session._api_key.reveal()
    data = pickle.dumps(company)  # raising here fails the test: instances must pickle
    assert key.encode() not in data
    again = pickle.loads(data)
    assert type(again) is DemoCompany
    assert again.id == company.id and again.name == company.name
    assert again.to_dict() == company.to_dict()
    assert getattr(again, "_session", None) is not session
    assert again._session is None and again._binding is None
    assert not again.is_dirty  # compared with the saved values it carried along
    copied = copy.deepcopy(company)
    assert copied.to_dict() == company.to_dict() and not copied.is_dirty
    # Once given a session again, it writes like any instance: only what changed.
    again._session = session
    again.name = company.name + " (renamed)"
    assert [f.attname for f in again._changed()] == ["name"]
    assert again.save().updated == ("name",)
    assert DemoCompany.objects.using(session).get(id=company.id).name.endswith("(renamed)")
    again.name = company.name
    again.save()


# --- the key: errors and logs, with real errors and real retries -------------------------------


def _error_scenarios(
    emu: Emulator, demo: dict[str, Any], session: Session
) -> list[tuple[str, type[BaseException], Callable[[], object]]]:
    db = demo["databaseId"]
    contacts = demo["tables"]["Contacts"]
    tid = contacts["id"]
    score = contacts["fields"]["Score"]
    api = session.api
    return [
        ("404", errors.NotFound, lambda: api.get_record(db, tid, "recNOTTHERE0000")),
        ("400", errors.FieldValidationError, lambda: api.create_record(db, tid, {score: "x"})),
        ("unknown field", errors.UnknownField, lambda: api.create_record(db, tid, {"zzzzz": 1})),
        (
            "bad filter",
            errors.BadRequest,
            lambda: api.search_records(db, tid, {"filter": {"condition": {"operator": "NOPE"}}}),
        ),
    ]


def test_api_errors_from_the_emulator_hold_no_key(
    emu: Emulator, demo: dict[str, Any], key: str, session: Session, debug_logs: Any
) -> None:
    """404, VALIDATION_ERROR, UNKNOWN_FIELD, BAD_REQUEST: every exception and log is clean."""
    for name, expected, action in _error_scenarios(emu, demo, session):
        exc = caught(action)
        assert isinstance(exc, expected), name
        assert isinstance(exc, errors.APIError)
        assert exc.trace_id, name  # the emulator's real error body was parsed
        assert_exception_clean(exc, key)
    assert_logs_clean(debug_logs, key)


def test_errors_after_retries_hold_no_key(
    emu: Emulator, demo: dict[str, Any], key: str, session: Session, debug_logs: Any
) -> None:
    """Injected 429/503/dropped connections: after the retries, the errors are clean."""
    db = demo["databaseId"]
    tid = demo["tables"]["Companies"]["id"]
    name_field = demo["tables"]["Companies"]["fields"]["Name"]
    cases: list[tuple[str, type[BaseException], Callable[[], object]]] = [
        ("503", errors.ServiceUnavailable, lambda: session.api.list_records(db, tid, limit=1)),
        ("429", errors.RateLimited, lambda: session.api.get_table(db, tid)),
        ("drop_before", errors.TransportError, lambda: session.databases()),
        (
            "drop_after",
            errors.AmbiguousWriteError,
            lambda: session.api.create_record(db, tid, {name_field: "Leak check Ltd"}),
        ),
    ]
    for kind, expected, action in cases:
        emu.set_faults(rate=1.0, kinds=[kind], seed=1)
        before = len(emu.request_log())
        exc = caught(action)
        emu.clear_faults()
        assert isinstance(exc, expected), kind
        attempts = len(emu.request_log()) - before
        if kind == "drop_after":
            assert attempts == 1  # a create is never retried blindly
        else:
            assert attempts == 3  # first try + max_retries=2: real retries happened
        assert_exception_clean(exc, key)
    retries = [r for r in debug_logs.records if "retry" in r.getMessage()]
    assert retries
    assert any(r.name.startswith("urllib3") for r in debug_logs.records)
    assert_logs_clean(debug_logs, key)


def test_wrong_key_is_not_echoed(emu: Emulator, demo: dict[str, Any], debug_logs: Any) -> None:
    """A wrong key gets 401, and neither the exception nor the logs repeat it."""
    wrong = "emu_WRONG_" + "q" * 30
    with Session(wrong, base_url=emu.base_url, rate_limit=False) as s:
        exc = caught(s.databases)
    assert isinstance(exc, errors.Unauthorized)
    assert exc.status == 401 and exc.error_code == "UNAUTHORIZED"
    assert_exception_clean(exc, wrong)
    assert_logs_clean(debug_logs, wrong)


def test_forbidden_error_holds_no_key(emu: Emulator, key: str, session: Session) -> None:
    """A 403 for another workspace's database is as clean as any other error."""
    other = emu.create_database("secret", workspace_id=emu.create_workspace("leak ws"))
    exc = caught(lambda: session.database(other["id"]))
    assert isinstance(exc, errors.Forbidden)
    assert_exception_clean(exc, key)


# --- users API: magic links and the admin token stay out of the client's logs -------------------


def test_magic_links_and_admin_token_never_logged(
    emu: Emulator, key: str, session: Session, debug_logs: Any
) -> None:
    """A full users-API round with DEBUG logging: no key, no magic link, no admin token."""
    users = session.users(emu.app_domain)
    created = users.create(
        full_name="Magic Mia", email="magic.mia@example.com", generate_magic_link=True
    )
    link = users.magic_link("magic.mia@example.com")
    assert created.magic_link and link and created.magic_link != link
    token = link.split("token=", 1)[1]
    users.deactivate("magic.mia@example.com")
    refused = caught(lambda: users.magic_link("magic.mia@example.com"))
    assert isinstance(refused, errors.BadRequest)
    users.delete("magic.mia@example.com")
    secrets = (key, emu.admin_token, created.magic_link, link, token)
    assert created.magic_link not in repr(created) and token not in repr(created)
    assert_logs_clean(debug_logs, *secrets)
    assert_exception_clean(refused, key)
    assert emu.admin_token not in repr(session) and emu.admin_token not in repr(users)


# --- redirects -------------------------------------------------------------------------------


class _Redirector(BaseHTTPRequestHandler):
    """Answers every request with a redirect to the same path on ``server.target``."""

    protocol_version = "HTTP/1.1"
    server: Any

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        status = int(self.path.split("?")[0].split("/")[3])
        rest = "/" + "/".join(self.path.split("/")[4:])
        with self.server.lock:
            self.server.seen.append((self.command, self.path))
        self.send_response(status)
        self.send_header("Location", self.server.target + rest)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def redirector(emu: Emulator) -> Iterator[ThreadingHTTPServer]:
    """A server on 127.0.0.1 whose ``/api/v1/<status>/...`` redirects into the emulator."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Redirector)
    server.daemon_threads = True
    server.seen = []  # type: ignore[attr-defined]
    server.lock = threading.Lock()  # type: ignore[attr-defined]
    server.target = emu.base_url  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirect_into_a_real_server_is_never_followed(
    emu: Emulator,
    demo: dict[str, Any],
    key: str,
    redirector: ThreadingHTTPServer,
    status: int,
) -> None:
    """Each 3xx raises RedirectRefused; the emulator named in Location gets no request at all.

    The emulator would have answered (checked directly), so its silence is meaningful.
    """
    db = demo["databaseId"]
    tid = demo["tables"]["Companies"]["id"]
    direct = requests.get(f"{emu.base_url}/databases/{db}", headers={"Softr-Api-Key": key})
    assert direct.status_code == 200
    emu.clear_request_log()
    redirector.seen.clear()  # type: ignore[attr-defined]
    port = redirector.server_address[1]
    base = f"http://127.0.0.1:{port}/api/v1/{status}"
    with Session(key, base_url=base, rate_limit=False, sleep=lambda _: None) as s:
        calls: list[Callable[[], object]] = [
            lambda: s.databases(),
            lambda: s.api.get_table(db, tid),
            lambda: s.api.search_records(db, tid, {}),
            lambda: s.api.create_record(db, tid, {}),
            lambda: s.api.update_record(db, tid, "rec0000000001", {}),
            lambda: s.api.delete_record(db, tid, "rec0000000001"),
        ]
        for call in calls:
            exc = caught(call)
            assert isinstance(exc, errors.RedirectRefused)
            assert exc.status == status
            assert_exception_clean(exc, key)
    assert len(redirector.seen) == len(calls)  # type: ignore[attr-defined]  # no retries
    assert emu.request_log() == []


# --- http:// only to loopback, refused before anything is sent --------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/api/v1",
        "http://10.1.2.3/api/v1",
        "http://127.0.0.1.example.com/api/v1",
        "http://[::ffff:10.0.0.1]/api/v1",
        "http://localhost.localdomain.example/api/v1",
    ],
)
def test_plain_http_to_a_remote_host_is_refused_before_any_request(
    emu: Emulator, key: str, session: Session, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a session root, a users root, a per-call root or a users app URL: refused locally,
    without a single DNS lookup or connection, and the emulator sees nothing."""
    lookups: list[object] = []
    real_getaddrinfo = socket.getaddrinfo

    def spy(host: Any, *args: Any, **kwargs: Any) -> Any:
        lookups.append(host)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", spy)
    for build in (
        lambda: Session(key, base_url=url),
        lambda: Session(key, users_base_url=url),
        lambda: Session(key, base_url=emu.base_url, users_base_url=url),
    ):
        exc = caught(build)
        assert isinstance(exc, errors.ConfigurationError)
        assert "http://" in str(exc)
        # The key is an argument of the frames that raised, so only what is shown is checked.
        assert_message_clean(exc, key)
    exc = caught(lambda: session.request("GET", ["databases"], base_url=url))
    assert isinstance(exc, errors.ConfigurationError)
    assert session.request_count == 0
    assert lookups == []
    assert emu.request_log() == []


def test_plain_http_to_loopback_works(emu: Emulator, session: Session) -> None:
    """The counterpart: the emulator on http://127.0.0.1 is reachable (the guard is not a
    blanket refusal)."""
    assert session.databases()
    assert session.request_count == 1


# --- path traversal --------------------------------------------------------------------------


TRAVERSAL_IDS = [
    "..",
    ".",
    "../../databases",
    "../../../../databases",
    "a/b",
    "%2e%2e",
    "%2E%2E%2F%2E%2E",
    "..%2f..%2fdatabases",
    "..\\..\\databases",
    "search",
    "x?fieldNames=true",
    "x#frag",
    " ",
    "rec id with spaces",
    "\u00e9\u4e2d",
]


def _segments(path: str) -> list[str]:
    return path.split("/")[1:]


@pytest.mark.parametrize("record_id", TRAVERSAL_IDS)
def test_record_ids_stay_one_segment(
    emu: Emulator, demo: dict[str, Any], session: Session, record_id: str
) -> None:
    """A record id reaches the emulator as exactly one segment and yields 404, for GET, PATCH
    and DELETE; no other resource is ever touched."""
    db = demo["databaseId"]
    tid = demo["tables"]["Companies"]["id"]
    events: list[RequestEvent] = []
    session.add_listener(events.append)
    before = len(session.api.list_records(db, tid, limit=200).records)
    emu.clear_request_log()
    if record_id in (".", ".."):
        # A dot segment is refused before anything is sent.
        sent_before = len(events)
        for action in (
            lambda: session.api.get_record(db, tid, record_id),
            lambda: session.api.update_record(db, tid, record_id, {}),
            lambda: session.api.delete_record(db, tid, record_id),
        ):
            assert isinstance(caught(action), ValueError)
        assert len(events) == sent_before
        assert emu.request_log() == []
        return
    for action in (
        lambda: session.api.get_record(db, tid, record_id),
        lambda: session.api.update_record(db, tid, record_id, {}),
        lambda: session.api.delete_record(db, tid, record_id),
    ):
        exc = caught(action)
        assert isinstance(exc, errors.NotFound), (record_id, exc)
        assert exc.error_code == "RESOURCE_NOT_FOUND"
    prefix = ["databases", db, "tables", tid, "records"]
    sent = [e for e in events if e.method in ("GET", "PATCH", "DELETE") and e.status == 404]
    assert len(sent) == 3
    for event in sent:
        segments = _segments(event.path)
        assert segments[:-1] == prefix  # nothing but the id, and the id is one segment
        assert unquote(segments[-1]) == record_id
        assert segments[-1] not in (".", "..")  # a dot segment is impossible on the wire
    # The emulator logs what reached a handler, with the decoded path: the raw id under the
    # records route. An id holding "/" matches no route at all (werkzeug decodes %2F before
    # routing), so no handler runs and nothing is logged; either way the answer was 404.
    log = emu.request_log()
    assert len(log) == (0 if "/" in record_id else 3)
    for entry in log:
        assert entry["status"] == 404
        assert entry["path"] == "/api/v1/" + "/".join(prefix) + "/" + record_id
    assert len(session.api.list_records(db, tid, limit=200).records) == before


def test_traversal_to_a_real_record_never_lands(
    emu: Emulator, demo: dict[str, Any], session: Session
) -> None:
    """Ids that would resolve to a real record (or database) if dots were normalised yield 404
    and leave the target untouched."""
    db = demo["databaseId"]
    companies = demo["tables"]["Companies"]["id"]
    contacts = demo["tables"]["Contacts"]["id"]
    real = session.api.list_records(db, contacts, limit=1).records[0]
    emu.clear_request_log()
    real_id = real["id"]
    sneaky = [
        f"../../{contacts}/records/{real_id}",
        f"..%2F..%2F{contacts}%2Frecords%2F{real_id}",
        f"{real_id}/..",
        f"x/../{real_id}",
        f"../{real_id}",
    ]
    for record_id in sneaky:
        for action in (
            lambda rid=record_id: session.api.get_record(db, companies, rid),
            lambda rid=record_id: session.api.update_record(db, companies, rid, {}),
            lambda rid=record_id: session.api.delete_record(db, companies, rid),
        ):
            exc = caught(action)
            assert isinstance(exc, errors.NotFound), (record_id, exc)
    for table_id in (f"{companies}/../{contacts}", f"../../databases/{db}"):
        exc = caught(lambda tid=table_id: session.api.get_table(db, tid))
        assert isinstance(exc, errors.NotFound), table_id
    for database_id in ("../databases", f"{db}/tables/.."):
        exc = caught(lambda did=database_id: session.database(did))
        assert isinstance(exc, (errors.NotFound, errors.Forbidden)), database_id
        assert exc.status in (403, 404)
    # A bare dot segment is refused before any request.
    assert isinstance(caught(lambda: session.api.get_table(db, "..")), ValueError)
    assert isinstance(caught(lambda: session.database("..")), ValueError)
    assert all(entry["status"] in (403, 404) for entry in emu.request_log())
    again = session.api.get_record(db, contacts, real_id)
    assert again["fields"] == real["fields"]


def test_empty_ids_are_refused_before_any_request(
    emu: Emulator, demo: dict[str, Any], session: Session
) -> None:
    """An empty id would collapse the path onto the parent resource: refused locally."""
    db = demo["databaseId"]
    tid = demo["tables"]["Companies"]["id"]
    emu.clear_request_log()
    for action in (
        lambda: session.api.get_record(db, tid, ""),
        lambda: session.api.delete_record(db, tid, ""),
        lambda: session.api.get_table(db, ""),
        lambda: session.database(""),
    ):
        exc = caught(action)
        assert isinstance(exc, ValueError)
    assert session.request_count == 0
    assert emu.request_log() == []


# --- admin routes ------------------------------------------------------------------------------


_ADMIN = [(path, method) for path, methods, _ in ADMIN_ROUTES for method in methods]
_PROTECTED = [(p, m) for p, m in _ADMIN if p != "/health"]


def _admin_url(emu: Emulator, path: str) -> str:
    return emu.root_url + "/_emulator" + path.replace("<workspace_id>", emu.workspace_id)


@pytest.mark.parametrize(("path", "method"), _PROTECTED)
def test_admin_routes_refuse_api_keys_and_anonymous_calls(
    emu: Emulator, key: str, path: str, method: str
) -> None:
    """Every admin route: no credential 401; an API key (header or bearer) 403; a wrong bearer
    401; the documented error body each time; and nothing changes."""
    url = _admin_url(emu, path)
    body = {"name": "demo", "now": None, "enabled": True, "rate": 1.0, "domain": "x.example"}
    databases_before = sorted(d["id"] for d in _list_databases(emu, key))
    cases = [
        ({}, 401, "UNAUTHORIZED"),
        ({"Authorization": "Bearer wrong-admin-token"}, 401, "UNAUTHORIZED"),
        ({"Authorization": "Basic " + emu.admin_token}, 401, "UNAUTHORIZED"),
        ({"Softr-Api-Key": key}, 403, "FORBIDDEN"),
        ({"Softr-Api-Key": emu.api_key}, 403, "FORBIDDEN"),
        ({"Authorization": f"Bearer {key}"}, 403, "FORBIDDEN"),
    ]
    for headers, status, code in cases:
        answer = requests.request(method, url, json=body, headers=headers, timeout=10)
        assert answer.status_code == status, (headers, answer.text)
        payload = answer.json()
        assert payload["errorCode"] == code
        assert isinstance(payload["message"], str) and payload["details"]["traceId"]
        assert emu.admin_token not in answer.text and key not in answer.text
    assert sorted(d["id"] for d in _list_databases(emu, key)) == databases_before
    assert emu.app.faults.config.rate == 0.0
    assert emu.store.now_override is None


def _list_databases(emu: Emulator, key: str) -> list[dict[str, Any]]:
    answer = requests.get(emu.base_url + "/databases", headers={"Softr-Api-Key": key}, timeout=10)
    assert answer.status_code == 200
    return list(answer.json()["data"])


def test_admin_token_works_only_on_admin_routes(emu: Emulator) -> None:
    """The admin token opens the admin routes (read-only ones tried here) but is not an API key."""
    auth = {"Authorization": f"Bearer {emu.admin_token}"}
    for path, method in _PROTECTED:
        if method == "GET":
            answer = requests.get(_admin_url(emu, path), headers=auth, timeout=10)
            assert answer.status_code == 200, path
    health = requests.get(_admin_url(emu, "/health"), timeout=10)
    assert health.status_code == 200
    for headers in ({"Softr-Api-Key": emu.admin_token}, auth):
        answer = requests.get(emu.base_url + "/databases", headers=headers, timeout=10)
        assert answer.status_code == 401
        assert answer.json()["errorCode"] == "UNAUTHORIZED"


# --- workspaces --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def foreign(emu: Emulator) -> dict[str, Any]:
    """A second workspace with a database, a table, a record, a member and an app."""
    workspace = emu.create_workspace("Foreign Inc")
    database = emu.create_database("foreign secrets", workspace_id=workspace)
    table = emu.create_table(
        database["id"],
        "Vault",
        fields=[{"name": "Code", "type": "SINGLE_LINE_TEXT"}, {"name": "N", "type": "NUMBER"}],
    )
    field_ids = {f["name"]: f["id"] for f in table["fields"]}
    record_id = emu.insert_records(
        database["id"], table["id"], [{field_ids["Code"]: "launch", field_ids["N"]: 7}]
    )[0]
    member = emu.add_member(workspace, "foreign.member@example.com", "Foreign Member")
    domain = emu.create_app("foreign.softr.app", workspace)
    return {
        "workspace": workspace,
        "db": database["id"],
        "table": table["id"],
        "fields": field_ids,
        "record": record_id,
        "member": member,
        "domain": domain,
        "key": emu.create_token([workspace], name="foreign"),
    }


def _foreign_snapshot(emu: Emulator, foreign: dict[str, Any]) -> Any:
    answer = requests.get(
        f"{emu.base_url}/databases/{foreign['db']}/tables/{foreign['table']}/records",
        headers={"Softr-Api-Key": foreign["key"]},
        timeout=10,
    )
    assert answer.status_code == 200
    table = requests.get(
        f"{emu.base_url}/databases/{foreign['db']}/tables/{foreign['table']}",
        headers={"Softr-Api-Key": foreign["key"]},
        timeout=10,
    )
    return answer.json()["data"], table.json()["data"]


def test_token_cannot_reach_another_workspace(
    emu: Emulator, key: str, foreign: dict[str, Any]
) -> None:
    """Every Database API endpoint on a foreign database answers 403 FORBIDDEN, the database
    is not listed, and nothing in it changes."""
    before = _foreign_snapshot(emu, foreign)
    db, table, rec = foreign["db"], foreign["table"], foreign["record"]
    code = foreign["fields"]["Code"]
    d, t = f"/databases/{db}", f"/databases/{db}/tables/{table}"
    calls: list[tuple[str, str, Any]] = [
        ("GET", d, None),
        ("PUT", d, {"name": "pwned"}),
        ("DELETE", d + "?force=true", None),
        ("GET", d + "/tables", None),
        ("POST", d + "/tables", {"name": "Implant"}),
        ("GET", t, None),
        ("PUT", t, {"name": "pwned"}),
        ("DELETE", t + "?force=true", None),
        ("GET", t + "/views", None),
        ("POST", t + "/fields", {"name": "Backdoor", "type": "SINGLE_LINE_TEXT"}),
        ("GET", f"{t}/fields/{code}", None),
        ("PUT", f"{t}/fields/{code}", {"name": "pwned"}),
        ("DELETE", f"{t}/fields/{code}", None),
        ("GET", t + "/records", None),
        ("POST", t + "/records", {"fields": {code: "implant"}}),
        ("POST", t + "/records/search", {}),
        ("GET", f"{t}/records/{rec}", None),
        ("PATCH", f"{t}/records/{rec}", {"fields": {code: "pwned"}}),
        ("DELETE", f"{t}/records/{rec}", None),
    ]
    for method, path, body in calls:
        answer = requests.request(
            method, emu.base_url + path, json=body, headers={"Softr-Api-Key": key}, timeout=10
        )
        assert answer.status_code == 403, (method, path, answer.text)
        payload = answer.json()
        assert payload["errorCode"] == "FORBIDDEN"
        assert "launch" not in answer.text and "Vault" not in answer.text
    listed = [d["id"] for d in _list_databases(emu, key)]
    assert db not in listed and listed
    assert _foreign_snapshot(emu, foreign) == before


def test_foreign_ids_under_an_own_database_are_not_found(
    emu: Emulator, demo: dict[str, Any], session: Session, foreign: dict[str, Any]
) -> None:
    """A foreign table or record id put under one's own database id finds nothing."""
    db = demo["databaseId"]
    own_table = demo["tables"]["Companies"]["id"]
    exc = caught(lambda: session.api.get_table(db, foreign["table"]))
    assert isinstance(exc, errors.NotFound)
    exc = caught(lambda: session.api.get_record(db, own_table, foreign["record"]))
    assert isinstance(exc, errors.NotFound)
    exc = caught(lambda: session.api.delete_record(db, own_table, foreign["record"]))
    assert isinstance(exc, errors.NotFound)
    assert len(_foreign_snapshot(emu, foreign)[0]) == 1


def test_foreign_members_and_apps_are_out_of_reach(
    emu: Emulator, demo: dict[str, Any], session: Session, foreign: dict[str, Any]
) -> None:
    """A USER value naming another workspace's member is refused; another workspace's app
    answers 403 on the Users API; a database cannot be created in a foreign workspace."""
    contacts = demo["tables"]["Contacts"]
    owner = contacts["fields"]["Owner"]
    for value in ({"id": foreign["member"]["id"]}, {"email": "foreign.member@example.com"}):
        exc = caught(
            lambda v=value: session.api.create_record(  # type: ignore[misc]
                demo["databaseId"], contacts["id"], {owner: v}
            )
        )
        assert isinstance(exc, errors.FieldValidationError)
    users = session.users(foreign["domain"])
    exc = caught(lambda: users.create(full_name="Spy", email="spy@example.com"))
    assert isinstance(exc, errors.Forbidden)
    exc = caught(lambda: session.api.create_database(foreign["workspace"], "implant"))
    assert isinstance(exc, errors.Forbidden)
    with Session(foreign["key"], base_url=emu.base_url, rate_limit=False) as theirs:
        assert [d.id for d in theirs.databases()] == [foreign["db"]]
        exc = caught(lambda: theirs.database(demo["databaseId"]))
        assert isinstance(exc, errors.Forbidden)
