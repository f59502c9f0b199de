"""The key leaks nowhere, whatever the input (issue 12, "no leak"): header values are checked
and IDNA-encoded before a request is built, redaction catches escaped echoes, key-file errors
do not echo the variable, passwords never reach listeners, control characters in URLs are
refused, and the key going to a foreign host is warned about."""

from __future__ import annotations

import json
import pickle
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import responses
from _api_support import make_session
from _bad_servers import answer, bad_server
from test_session_security import KEY, assert_no_key, find_key

from softr_orm import Session, errors
from softr_orm.http.util import RequestEvent, Secret, redact

# --- frames of every error we can provoke -------------------------------------------------


def _provoke(session: Session) -> list[Callable[[], Any]]:
    users_bad = [
        lambda: session.users("例え.softr.app").activate("a@x.io"),
        lambda: session.users("bad\x00host").invite("a@x.io"),
        lambda: session.request("GET", ["x"], headers={"Softr-Domain": "例え.softr.app"}),
        lambda: session.request("GET", ["x"], headers={"X-Bad": "a\r\nInjected: 1"}),
        lambda: session.request("GET", ["x"], base_url="https://x.softr.io\r\n/"),
        lambda: session.request("GET", ["."]),
        lambda: session.request("GET", ["databases"]),  # wrong shape below, or fine
        lambda: session.api.get_record("db", "tbl", "rec"),
        lambda: session.api.create_record("db", "tbl", {"f": 1}),
        lambda: session.api.search_records("db", "tbl", {}),
    ]
    return users_bad


def _echoing_servers() -> list[Callable[[], Any]]:
    """Servers echoing the key: in a 2xx body of the wrong shape, a 401 body, a non-JSON
    body. Built here so that no frame of the test itself holds the key."""
    return [
        lambda: bad_server(answer(json.dumps({"data": {"id": "x"}, "echo": KEY}).encode())),
        lambda: bad_server(answer(json.dumps({"message": KEY}).encode(), "401 Unauthorized")),
        lambda: bad_server(answer(("<html>" + KEY).encode())),
    ]


@pytest.mark.parametrize("index", range(3))
def test_no_error_we_can_provoke_holds_the_key_in_any_frame(index: int) -> None:
    """Each failure's exception, cause chain and every traceback frame's locals: no key."""
    with _echoing_servers()[index]() as server:
        session = Session(KEY, base_url=server.url, users_base_url=server.url, max_retries=0)
        raised = 0
        for action in _provoke(session):
            try:
                action()
            except Exception as exc:  # every kind is checked the same way
                raised += 1
                assert isinstance(exc, (errors.SoftrError, ValueError)), repr(exc)
                assert find_key(exc) == [], (action, find_key(exc))
                assert KEY not in str(exc)
                # An error tracker walks the whole stack, not only the exception.
                assert find_key(sys.exc_info()[2]) == []
        session.close()
    assert raised >= 7


def test_non_latin1_domain_is_idna_encoded_before_sending() -> None:
    session = make_session()
    with responses.RequestsMock() as mocked:
        mocked.add(responses.POST, "https://studio-api.softr.io/v1/api/users/a%40x.io/activate")
        session.users("例え.softr.app").activate("a@x.io")
        assert mocked.calls[0].request.headers["Softr-Domain"] == "xn--r8jz45g.softr.app"


@pytest.mark.parametrize("value", ["例え", "a\r\nX: 1", "a\x00b"])
def test_bad_header_values_are_refused_before_the_request(value: str) -> None:
    with responses.RequestsMock() as mocked:
        session = make_session()
        with pytest.raises(errors.ConfigurationError, match="X-Custom"):
            session.request("GET", ["x"], headers={"X-Custom": value})
        assert len(mocked.calls) == 0


# --- redaction of escaped echoes ----------------------------------------------------------

ECHOES = [
    "".join(f"\\u{ord(c):04x}" for c in KEY),  # JSON, every character escaped
    KEY.replace("-", "\\u002D").replace("s", "\\u0073"),  # JSON, some escaped, upper hex
    "".join(f"%{b:02X}" for b in KEY.encode()),  # percent-encoded throughout
    KEY.replace("-", "%2d").replace("K", "%4b"),  # some percent-encoded, lower hex
    KEY[:5] + f"\\u{ord(KEY[5]):04x}" + KEY[6:].replace("-", "%2D"),  # a mix of both
]


@pytest.mark.parametrize("echo", ECHOES)
def test_redaction_catches_escaped_echoes(echo: str) -> None:
    assert KEY not in echo
    assert "***" in redact(f"bad key {echo}!", Secret(KEY))
    assert redact(f"bad key {echo}!", Secret(KEY)) == "bad key ***!"


def test_redaction_of_a_key_with_a_slash_escaped_as_in_json() -> None:
    key = "sk/with/slashes"
    assert redact('{"k": "sk\\/with\\/slashes"}', Secret(key)) == '{"k": "***"}'
    assert redact("k=sk%2Fwith%2fslashes", Secret(key)) == "k=***"
    assert redact("sk/with/other", Secret(key)) == "sk/with/other"


@pytest.mark.parametrize("echo", ECHOES)
def test_an_error_body_echoing_the_key_escaped_is_redacted(echo: str) -> None:
    body = '{"message": "invalid key ' + echo.replace('"', "") + '", "errorCode": "UNAUTHORIZED"}'
    session = Session(KEY, rate_limit=False, max_retries=0)
    with responses.RequestsMock() as mocked:
        mocked.add(responses.GET, "https://tables-api.softr.io/api/v1/x", body=body, status=401)
        with pytest.raises(errors.Unauthorized) as info:
            session.request("GET", ["x"])
    error = info.value
    for text in (str(error), error.message, error.body or ""):
        assert redact(text, Secret(KEY)) == text  # nothing left to redact
        assert "***" in text
    assert_no_key(error)
    assert redact(pickle.dumps(error).decode("latin-1"), Secret(KEY)) == pickle.dumps(
        error
    ).decode("latin-1")


# --- key file, listeners, URLs, foreign hosts --------------------------------------------


def test_key_file_variable_holding_the_key_is_not_echoed(tmp_path: Path) -> None:
    with pytest.raises(errors.ConfigurationError) as info:
        Session.from_env({"SOFTR_API_KEY_FILE": KEY})
    error = info.value
    assert KEY not in str(error) and KEY not in repr(error) and "SOFTR_API_KEY_FILE" in str(error)
    assert find_key(error.args) == [] and error.__cause__ is None


def test_users_passwords_never_reach_listeners() -> None:
    session = make_session()
    events: list[RequestEvent] = []
    session.add_listener(events.append)
    with responses.RequestsMock() as mocked:
        mocked.add(responses.POST, "https://studio-api.softr.io/v1/api/users", json={})
        session.users("myapp.softr.app").create(full_name="A", email="a@x.io", password="hunter2")
        sent = mocked.calls[0].request.body
    assert b"hunter2" in sent  # the server gets it
    assert events and all(b"hunter2" not in (event.body or b"") for event in events)
    assert json.loads(events[0].body or b"")["password"] == "***"


@pytest.mark.parametrize(
    "url",
    [
        "https://tables-api.softr.io/api/v1\r\nX-Injected: 1",
        "https://tables-api.softr.io\n/api/v1",
        "https://tables-api.softr.io/api/v1\x00",
        "https://tables-api.softr.io/a\tb",
        "https://tables-api.softr.io/a\x7fb",
    ],
)
def test_control_characters_in_base_urls_are_refused(url: str) -> None:
    with pytest.raises(errors.ConfigurationError, match="control"):
        Session(KEY, base_url=url)


def test_key_to_a_foreign_https_host_warns_once() -> None:
    with pytest.warns(errors.UntrustedHostWarning, match="softr-proxy.example.net"):
        Session(KEY, base_url="https://softr-proxy.example.net/api/v1")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Session(KEY, base_url="https://softr-proxy.example.net/api/v1")  # once per host


@pytest.mark.parametrize(
    ("url", "options"),
    [
        ("https://tables-api.softr.io/api/v1", {}),
        ("https://eu.tables-api.softr.io/api/v1", {}),
        ("http://127.0.0.1:8787/api/v1", {}),
        ("https://softr.example.org/api/v1", {"allowed_hosts": ["softr.example.org"]}),
        ("https://softr.example.org/api/v1", {"allowed_hosts": "SOFTR.example.org"}),
    ],
)
def test_no_warning_for_softr_loopback_and_allowed_hosts(url: str, options: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Session(KEY, base_url=url, **options)


def test_allowed_hosts_from_the_environment() -> None:
    env = {
        "SOFTR_API_KEY": KEY,
        "SOFTR_BASE_URL": "https://softr.internal.example/api/v1",
        "SOFTR_ALLOWED_HOSTS": "other.example, softr.internal.example",
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        session = Session.from_env(env)
    assert "softr.internal.example" in session.allowed_hosts


def test_bad_allowed_hosts_are_refused() -> None:
    with pytest.raises(errors.ConfigurationError, match="allowed_hosts"):
        Session(KEY, allowed_hosts=[3])  # type: ignore[list-item]
