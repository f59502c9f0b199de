"""Conformance of the emulator's Users Management API (raw HTTP)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from softr_orm.emulator import Emulator

pytestmark = pytest.mark.integration

DOMAIN = "demo.softr.app"


class Users:
    def __init__(self, emu: Emulator, key: str | None, domain: str | None = DOMAIN) -> None:
        self.base = emu.users_base_url
        self.headers: dict[str, str] = {}
        if key:
            self.headers["Softr-Api-Key"] = key
        if domain:
            self.headers["Softr-Domain"] = domain

    def call(self, method: str, path: str, **kw: Any) -> requests.Response:
        return requests.request(method, self.base + path, headers=self.headers, timeout=10, **kw)


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def users(emu: Emulator) -> Iterator[Users]:
    yield Users(emu, emu.api_key)
    emu.reset()


def _code(response: requests.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["errorCode"] == code
    assert response.json()["details"]["traceId"]


def test_create_user_and_duplicate(users: Users) -> None:
    """POST /users answers 200 with the user; the same email again is 409."""
    response = users.call(
        "POST", "/users", json={"full_name": "Ada Byron", "email": "ada@example.com"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "ada@example.com" and body["full_name"] == "Ada Byron"
    assert body["status"] == "ACTIVE" and "magic_link" not in body and "password" not in body
    again = users.call("POST", "/users", json={"full_name": "Ada", "email": "ADA@example.com"})
    _code(again, 409, "CONSTRAINT_VIOLATION")


def test_create_user_validation(users: Users) -> None:
    """Missing keys -> 400 BAD_REQUEST; a malformed email -> 400 VALIDATION_ERROR."""
    _code(users.call("POST", "/users", json={"email": "x@example.com"}), 400, "BAD_REQUEST")
    _code(
        users.call("POST", "/users", json={"full_name": "X", "email": "nope"}),
        400,
        "VALIDATION_ERROR",
    )


def test_status_changes(users: Users) -> None:
    """deactivate -> INACTIVE, activate -> ACTIVE, invite -> INVITED."""
    users.call("POST", "/users", json={"full_name": "G", "email": "g+1@example.com"})
    email = "g%2B1@example.com"
    assert users.call("POST", f"/users/{email}/deactivate").json()["status"] == "INACTIVE"
    assert users.call("POST", f"/users/{email}/activate").json()["status"] == "ACTIVE"
    assert users.call("POST", f"/users/{email}/invite").json()["status"] == "INVITED"
    _code(users.call("POST", "/users/nobody@example.com/invite"), 404, "RESOURCE_NOT_FOUND")


def test_delete_user(users: Users) -> None:
    """DELETE answers 204; a second delete (or an unknown user) is 404."""
    users.call("POST", "/users", json={"full_name": "D", "email": "d@example.com"})
    response = users.call("DELETE", "/users/d@example.com")
    assert response.status_code == 204 and response.content == b""
    _code(users.call("DELETE", "/users/d@example.com"), 404, "RESOURCE_NOT_FOUND")


def _jwt(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def test_magic_link_and_validate_token(users: Users, emu: Emulator) -> None:
    """A magic link carries a JWT that validate-token accepts without an API key."""
    created = users.call(
        "POST",
        "/users",
        json={"full_name": "M", "email": "m@example.com", "generate_magic_link": True},
    ).json()
    assert created["magic_link"].startswith(f"https://{DOMAIN}/")
    response = users.call("POST", "/users/magic-link/generate/m@example.com")
    assert response.status_code == 200 and set(response.json()) == {"magic_link"}
    token = _jwt(response.json()["magic_link"])
    anonymous = Users(emu, None, None)
    valid = anonymous.call("POST", "/users/validate-token", json={"jwt": token})
    assert valid.status_code == 200
    assert valid.json()["valid"] is True and valid.json()["user"]["email"] == "m@example.com"
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    _code(
        anonymous.call("POST", "/users/validate-token", json={"jwt": tampered}), 401, "UNAUTHORIZED"
    )
    _code(anonymous.call("POST", "/users/validate-token", json={"jwt": "a.b"}), 401, "UNAUTHORIZED")
    _code(anonymous.call("POST", "/users/validate-token", json={}), 400, "BAD_REQUEST")
    users.call("POST", "/users/m@example.com/deactivate")
    _code(anonymous.call("POST", "/users/validate-token", json={"jwt": token}), 401, "UNAUTHORIZED")


def test_sync(users: Users) -> None:
    """POST /users/sync with no body syncs everyone, with an array those emails."""
    for email in ("a@example.com", "b@example.com"):
        users.call("POST", "/users", json={"full_name": "S", "email": email})
    assert users.call("POST", "/users/sync").json()["synced"] == ["a@example.com", "b@example.com"]
    only = users.call("POST", "/users/sync", json=["b@example.com", "zz@example.com"])
    assert only.json()["synced"] == ["b@example.com"]
    _code(users.call("POST", "/users/sync", json={"emails": []}), 400, "BAD_REQUEST")


def test_users_api_needs_key_and_known_domain(emu: Emulator) -> None:
    """No key -> 401; missing or unknown Softr-Domain -> 401; another workspace's app -> 403."""
    body = {"full_name": "X", "email": "x@example.com"}
    _code(Users(emu, None).call("POST", "/users", json=body), 401, "UNAUTHORIZED")
    _code(Users(emu, emu.api_key, None).call("POST", "/users", json=body), 401, "UNAUTHORIZED")
    _code(
        Users(emu, emu.api_key, "other.softr.app").call("POST", "/users", json=body),
        401,
        "UNAUTHORIZED",
    )
    workspace = emu.create_workspace("Elsewhere")
    emu.create_app("portal.example.com", workspace)
    _code(
        Users(emu, emu.api_key, "portal.example.com").call("POST", "/users", json=body),
        403,
        "FORBIDDEN",
    )
    theirs = Users(emu, emu.create_token([workspace]), "portal.example.com")
    assert theirs.call("POST", "/users", json=body).status_code == 200
