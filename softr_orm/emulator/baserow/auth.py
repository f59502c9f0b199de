"""Baserow's JWT sign-in on the face (baserow-api.md §1.3): ``POST /api/user/token-auth/`` and
the ``Authorization: JWT <access token>`` header of the schema endpoints.

The face has one user who can sign in: the store's default token's user (``owner@example.com``
in a new store), with a password derived from the store's JWT secret, so it is stable across
restarts of a file store and nothing new is stored. Access tokens are HS256 JWTs shaped like
Baserow's (``token_type``, ``exp``, ``iat``, ``jti``, ``user_id``), signed with a key derived
from that secret (distinct from the Users API's magic-link JWTs), valid for 10 minutes of the
store's clock (Baserow's default ``ACCESS_TOKEN_LIFETIME``); a JWT reaches the workspaces its
user is a member of.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from typing import Any

from ..store.core import Store
from ..store.state import TokenState, UserState
from .errors import BaserowError
from .ids import int_id

__all__ = [
    "ACCESS_LIFETIME_SECONDS",
    "jwt_user",
    "sign_in",
    "sign_in_email",
    "sign_in_password",
    "user_scope",
]

ACCESS_LIFETIME_SECONDS = 10 * 60
REFRESH_LIFETIME_SECONDS = 7 * 24 * 3600


def _key(store: Store, purpose: str) -> bytes:
    return hmac.new(store.jwt_secret, b"baserow-face:" + purpose.encode(), hashlib.sha256).digest()


def _user(store: Store) -> UserState | None:
    return store.users.get(store.default_token.user_id)


def sign_in_email(store: Store) -> str:
    """The email of the face's user."""
    user = _user(store)
    return user.email if user is not None else ""


def sign_in_password(store: Store) -> str:
    """The face user's password (derived from the store's JWT secret: stable, never stored)."""
    return "emu-" + base64.urlsafe_b64encode(_key(store, "password")[:18]).decode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _token(store: Store, user: UserState, kind: str, lifetime: int) -> str:
    now = int(store.now_dt().timestamp())
    header = {"alg": "HS256", "typ": "JWT"}
    payload = {
        "token_type": kind,
        "exp": now + lifetime,
        "iat": now,
        "jti": secrets.token_hex(16),
        "user_id": int_id(user.id),
    }
    signing_input = (
        _b64(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + _b64(json.dumps(payload, separators=(",", ":")).encode())
    )
    signature = hmac.new(_key(store, "jwt"), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + _b64(signature)


def _user_object(user: UserState) -> dict[str, Any]:
    return {
        "first_name": user.full_name,
        "username": user.email,
        "is_staff": True,
        "id": int_id(user.id),
        "language": "en",
        "email_notification_frequency": "instant",
        "email_verified": False,
        "completed_onboarding": False,
        "completed_guided_tours": [],
    }


def sign_in(store: Store, body: Any) -> dict[str, Any]:
    """``POST /api/user/token-auth/``: ``{"email" (or "username"), "password"}`` -> tokens.

    Errors as Baserow's: a missing password 400 ``{"password": [...]}`` (DRF's bare shape), a
    wrong email or password 401 ``ERROR_INVALID_CREDENTIALS``.
    """
    if not isinstance(body, dict):
        body = {}
    email = body.get("email", body.get("username"))
    password = body.get("password")
    if not isinstance(password, str) or password == "":
        raise _bare(400, {"password": ["This field is required."]})
    user = _user(store)
    if (
        user is None
        or not isinstance(email, str)
        or email.strip().lower() != user.email.lower()
        or not hmac.compare_digest(password.encode(), sign_in_password(store).encode())
    ):
        raise BaserowError(
            401, "ERROR_INVALID_CREDENTIALS", "No active account found with the given credentials."
        )
    access = _token(store, user, "access", ACCESS_LIFETIME_SECONDS)
    return {
        "token": access,
        "access_token": access,
        "refresh_token": _token(store, user, "refresh", REFRESH_LIFETIME_SECONDS),
        "user_session": _b64(_key(store, "session:" + access)[:24]),  # opaque, never read
        "user": _user_object(user),
        "permissions": [],
        "user_notifications": {"unread_count": 0},
    }


class _BareError(BaserowError):
    """An error whose body is a given dict (DRF's serializer errors, simplejwt's header error)."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status, None, body)
        self._body = body

    def body(self) -> dict[str, Any]:
        return self._body


def _bare(status: int, body: dict[str, Any]) -> BaserowError:
    return _BareError(status, body)


_INVALID = ("ERROR_INVALID_ACCESS_TOKEN", "Access token is expired or invalid.")


def jwt_user(store: Store, parts: list[str]) -> UserState:
    """The user an ``Authorization: JWT ...`` header (split in ``parts``) names; 401 as Baserow
    answers a malformed header, a bad signature, an expired or a refresh token."""
    if len(parts) != 2:
        raise _bare(
            401,
            {
                "detail": "Authorization header must contain two space-delimited values",
                "code": "bad_authorization_header",
            },
        )
    pieces = parts[1].split(".")
    if len(pieces) != 3:
        raise BaserowError(401, *_INVALID)
    signing_input = (pieces[0] + "." + pieces[1]).encode()
    expected = hmac.new(_key(store, "jwt"), signing_input, hashlib.sha256).digest()
    try:
        signature = _unb64(pieces[2])
        payload = json.loads(_unb64(pieces[1]))
    except (ValueError, binascii.Error):
        raise BaserowError(401, *_INVALID) from None
    if not hmac.compare_digest(signature, expected) or not isinstance(payload, dict):
        raise BaserowError(401, *_INVALID)
    exp = payload.get("exp")
    if payload.get("token_type") != "access" or not isinstance(exp, int):
        raise BaserowError(401, *_INVALID)
    if exp <= store.now_dt().timestamp():
        raise BaserowError(401, *_INVALID)
    user = _user(store)
    if user is None or payload.get("user_id") != int_id(user.id):
        raise BaserowError(401, *_INVALID)
    return user


def user_scope(store: Store, user: UserState) -> TokenState:
    """What a JWT reaches, as the token shape handlers read: the user's workspaces."""
    workspaces = tuple(w.id for w in store.workspaces.values() if user.id in w.member_ids)
    return TokenState(
        id="jwt:" + user.id,
        secret="",
        name="JWT",
        user_id=user.id,
        workspace_ids=workspaces,
        created_at="",
    )
