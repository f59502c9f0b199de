"""The Users Management API: headers, email encoding, token validation and AppUser parsing."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import responses
from _api_support import (
    APP_DOMAIN,
    KEY,
    NO_BODY,
    USERS_BASE,
    add,
    make_session,
    origin,
    raw_path,
    segments,
    sent_json,
)

from softr_orm.backends.softr.endpoints import SoftrAPI
from softr_orm.backends.softr.users import AppUser, Users
from softr_orm.errors import NotFound, Unauthorized

PLUS = "jane+crm@example.com"


@pytest.fixture
def users() -> Users:
    return Users(make_session(), APP_DOMAIN)


@pytest.fixture
def rsps() -> Any:
    with responses.RequestsMock() as mock:
        yield mock


def test_create_sends_domain_key_and_body(users: Users, rsps: Any) -> None:
    """create() posts snake_case keys with Softr-Domain and the API key."""
    add(rsps, "POST", f"{USERS_BASE}/users", json_body={"email": "a@x.io", "full_name": "A"})
    user = users.create(full_name="A", email="a@x.io")
    request = rsps.calls[0].request
    assert request.headers["Softr-Domain"] == APP_DOMAIN
    assert request.headers["Softr-Api-Key"] == KEY
    assert request.headers["Content-Type"].startswith("application/json")
    assert sent_json(request) == {"full_name": "A", "email": "a@x.io"}
    assert (user.email, user.full_name) == ("a@x.io", "A")


def test_create_with_password_and_magic_link(users: Users, rsps: Any) -> None:
    """Optional keys are sent only when set; the camelCase answer is normalised."""
    answer = {
        "email": "a@x.io",
        "fullName": "Ada",
        "magicLink": "https://myapp.softr.app/ml/SECRET",
        "created": "2026-05-01T10:00:00Z",
    }
    add(rsps, "POST", f"{USERS_BASE}/users", json_body=answer)
    user = users.create(full_name="Ada", email="a@x.io", password="pw", generate_magic_link=True)
    assert sent_json(rsps.calls[0].request) == {
        "full_name": "Ada",
        "email": "a@x.io",
        "password": "pw",
        "generate_magic_link": True,
    }
    assert user.full_name == "Ada"
    assert user.magic_link == "https://myapp.softr.app/ml/SECRET"
    assert user.created_at is not None and user.created_at.year == 2026
    assert user.raw == answer


def test_magic_link_never_in_repr(users: Users, rsps: Any, caplog: Any) -> None:
    """The magic link is a secret: not in repr/str, and nothing logs it."""
    add(
        rsps,
        "POST",
        f"{USERS_BASE}/users",
        json_body={"data": {"email": "a@x.io", "magic_link": "https://x/ml/SECRET"}},
    )
    with caplog.at_level(logging.DEBUG):
        user = users.create(full_name="A", email="a@x.io", generate_magic_link=True)
    assert user.magic_link == "https://x/ml/SECRET"
    assert "SECRET" not in repr(user) and "SECRET" not in str(user)
    assert "SECRET" not in caplog.text


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"email": "e", "full_name": "Snake", "status": "ACTIVE"}, ("e", "Snake", "ACTIVE")),
        ({"email": "e", "fullName": "Camel"}, ("e", "Camel", None)),
        ({"data": {"user": {"email": "e", "fullName": "Nested"}}}, ("e", "Nested", None)),
        (None, ("fallback@x.io", "Given", None)),
        ("created", ("fallback@x.io", "Given", None)),
    ],
)
def test_app_user_normalises_shapes(answer: Any, expected: tuple[Any, ...]) -> None:
    """Snake and camel keys, envelopes and empty answers all give an AppUser."""
    user = AppUser.from_api(answer, email="fallback@x.io", full_name="Given")
    assert (user.email, user.full_name, user.status) == expected
    assert user.raw == answer


def test_email_plus_is_encoded_as_one_segment(users: Users, rsps: Any) -> None:
    """``+`` becomes %2B and the email stays one path segment."""
    add(rsps, "POST", "", json_body={})
    users.invite(PLUS)
    request = rsps.calls[0].request
    assert "%2B" in raw_path(request) and "+" not in raw_path(request)
    assert segments(request) == ["v1", "api", "users", PLUS, "invite"]
    assert request.headers["Softr-Domain"] == APP_DOMAIN


@pytest.mark.parametrize(
    ("method_name", "http", "tail"),
    [
        ("invite", "POST", ["invite"]),
        ("activate", "POST", ["activate"]),
        ("deactivate", "POST", ["deactivate"]),
    ],
)
def test_status_changes(
    users: Users, rsps: Any, method_name: str, http: str, tail: list[str]
) -> None:
    """invite/activate/deactivate post without a body and return an AppUser for the email."""
    add(rsps, http, "", status=200)
    user = getattr(users, method_name)(PLUS)
    request = rsps.calls[0].request
    assert request.method == http
    assert segments(request) == ["v1", "api", "users", PLUS, *tail]
    assert sent_json(request) is NO_BODY
    assert isinstance(user, AppUser) and user.email == PLUS


@pytest.mark.parametrize(
    ("email", "sent"),
    [
        ("jane.doe@example.com", "jane.doe%40example.com"),
        ("first.last+tag@sub.example.co.uk", "first.last%2Btag%40sub.example.co.uk"),
        ("o'neil~x_y-z@example.com", "o%27neil~x_y-z%40example.com"),
    ],
)
def test_emails_in_paths_keep_their_dots(users: Users, rsps: Any, email: str, sent: str) -> None:
    """Unreserved characters (dots!) go raw, as Softr's docs and n8n node send them; only what
    a segment needs is encoded (an encoded period is refused by common firewalls)."""
    add(rsps, "POST", "", status=200)
    users.activate(email)
    assert raw_path(rsps.calls[0].request) == f"/v1/api/users/{sent}/activate"


def test_delete_404_is_success(users: Users, rsps: Any) -> None:
    """Deleting a user that is already gone returns None instead of raising."""
    add(rsps, "DELETE", "", json_body={"message": "User not found"}, status=404)
    users.delete(PLUS)  # no exception
    request = rsps.calls[0].request
    assert request.method == "DELETE"
    assert segments(request) == ["v1", "api", "users", PLUS]


def test_raw_delete_user_can_raise_on_404(rsps: Any) -> None:
    """The raw endpoint raises NotFound when asked to (missing_ok=False)."""
    api = SoftrAPI(make_session())
    add(rsps, "DELETE", "", json_body={"message": "nope"}, status=404)
    with pytest.raises(NotFound):
        api.delete_user(APP_DOMAIN, PLUS, missing_ok=False)


def test_delete_other_errors_raise(users: Users, rsps: Any) -> None:
    """Only 404 is forgiven; a 401 (bad key or domain) still raises."""
    add(rsps, "DELETE", "", json_body={"message": "bad key"}, status=401)
    with pytest.raises(Unauthorized):
        users.delete("a@x.io")


@pytest.mark.parametrize(
    ("answer", "link"),
    [
        ({"magic_link": "https://l/1"}, "https://l/1"),
        ({"magicLink": "https://l/2"}, "https://l/2"),
        ({"data": {"link": "https://l/3"}}, "https://l/3"),
        ("https://l/4", "https://l/4"),
        ({}, None),
    ],
)
def test_magic_link_shapes(users: Users, rsps: Any, answer: Any, link: str | None) -> None:
    """magic_link() finds the link in every known answer shape, else None."""
    add(rsps, "POST", "", json_body=answer)
    assert users.magic_link("a@x.io") == link
    assert segments(rsps.calls[0].request) == [
        "v1",
        "api",
        "users",
        "magic-link",
        "generate",
        "a@x.io",
    ]


def test_sync_all_sends_no_body(users: Users, rsps: Any) -> None:
    """sync() without emails posts no body at all (= sync every user)."""
    add(rsps, "POST", f"{USERS_BASE}/users/sync", json_body={"message": "ok"})
    assert users.sync() == {"message": "ok"}
    assert sent_json(rsps.calls[0].request) is NO_BODY


def test_sync_emails_sends_array(users: Users, rsps: Any) -> None:
    """sync(emails) posts a JSON array; a single string is one email."""
    add(rsps, "POST", f"{USERS_BASE}/users/sync", json_body={})
    add(rsps, "POST", f"{USERS_BASE}/users/sync", json_body={})
    users.sync(["a@x.io", "b@x.io"])
    users.sync("c@x.io")
    assert sent_json(rsps.calls[0].request) == ["a@x.io", "b@x.io"]
    assert sent_json(rsps.calls[1].request) == ["c@x.io"]
    assert rsps.calls[0].request.headers["Content-Type"].startswith("application/json")


def test_sync_empty_list_sends_nothing(users: Users, rsps: Any) -> None:
    """An empty list must not turn into "sync everyone": no request at all."""
    assert users.sync([]) is None
    assert len(rsps.calls) == 0


def test_validate_token_goes_to_app_domain_without_key(users: Users, rsps: Any) -> None:
    """validate-token hits https://<domain>/v1/api without Softr-Api-Key."""
    add(rsps, "POST", "", json_body={"valid": True})
    assert users.validate_token("a.b.c") == {"valid": True}
    request = rsps.calls[0].request
    assert origin(request) == f"https://{APP_DOMAIN}"
    assert segments(request) == ["v1", "api", "users", "validate-token"]
    assert "Softr-Api-Key" not in request.headers
    assert KEY not in str(request.headers)
    assert sent_json(request) == {"jwt": "a.b.c"}


def test_validate_token_other_app_domain(users: Users, rsps: Any) -> None:
    """An explicit app_domain (e.g. a custom domain) wins over the Users domain."""
    add(rsps, "POST", "", json_body={})
    users.validate_token("t", app_domain="portal.example.com")
    assert origin(rsps.calls[0].request) == "https://portal.example.com"


def test_validate_token_base_override(rsps: Any) -> None:
    """app_base_url redirects validate-token (e.g. to a local emulator)."""
    local = Users(make_session(), APP_DOMAIN, app_base_url="http://127.0.0.1:8787/v1/api/")
    add(rsps, "POST", "", json_body={"ok": 1})
    assert local.validate_token("t") == {"ok": 1}
    request = rsps.calls[0].request
    assert request.url == "http://127.0.0.1:8787/v1/api/users/validate-token"
    assert "Softr-Api-Key" not in request.headers


@pytest.mark.parametrize(
    "bad", ["", "https://myapp.softr.app", "myapp.softr.app/x", "a b", "evil.com?x", "u@h"]
)
def test_domain_must_be_bare_host(bad: str) -> None:
    """Domains with a scheme, path, query or spaces are refused before any request."""
    with pytest.raises(ValueError, match="bare host"):
        Users(make_session(), bad)


@pytest.mark.parametrize("bad", ["", " ", "a b@x.io"])
def test_bad_emails_refused(users: Users, bad: str) -> None:
    """Empty or space-containing emails are refused locally."""
    with pytest.raises(ValueError):
        users.invite(bad)


def test_users_repr_is_short(users: Users) -> None:
    """repr names the domain only."""
    assert repr(users) == f"<Users {APP_DOMAIN}>"


def test_session_users_builds_users() -> None:
    """session.users(domain) gives a Users bound to that domain and session."""
    session = make_session()
    users = session.users(APP_DOMAIN)
    assert isinstance(users, Users)
    assert users.domain == APP_DOMAIN and users.api is session.api
