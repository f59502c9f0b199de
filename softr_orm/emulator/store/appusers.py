"""End users of published apps (the Users Management API) and the JWTs the emulator issues.

Softr documents neither the responses nor the errors of this API, so the emulator decides
(docs/emulator.md lists it): a user reads as ``{"email", "full_name", "status", "created_at",
"updated_at"}`` with ``status`` one of ``ACTIVE``, ``INACTIVE`` (deactivated) and ``INVITED``.

Magic links carry an HS256 JWT signed with a secret kept in the store; ``validate-token``
accepts exactly the tokens this store issued, for users that still exist and are not
deactivated, until they expire (7 days).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Mapping
from typing import Any

from .catalog import Catalog
from .errors import StoreError, bad_request, not_found, validation_error
from .state import AppState

__all__ = ["JWT_LIFETIME_SECONDS", "AppUsers"]

JWT_LIFETIME_SECONDS = 7 * 24 * 3600
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _public(user: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "email": user["email"],
        "full_name": user["full_name"],
        "status": user["status"],
        "created_at": user["created_at"],
        "updated_at": user["updated_at"],
    }


def _invalid(reason: str) -> StoreError:
    return StoreError("UNAUTHORIZED", f"invalid token: {reason}")


class AppUsers:
    """Users API operations over a store's :class:`Catalog` (taking its lock)."""

    def __init__(self, store: Catalog) -> None:
        self.store = store

    def _find(self, app: AppState, email: str) -> dict[str, Any]:
        user = app.users.get(email.strip().lower())
        if user is None:
            raise not_found("User", email)
        return user

    def _save(self, app: AppState, user: dict[str, Any] | None, key: str) -> None:
        with self.store.persist.transaction():
            if user is None:
                app.users.pop(key, None)
            else:
                app.users[key] = user
            self.store.persist.save_app_user(app.domain, key, user)

    def create(self, app: AppState, body: Any) -> dict[str, Any]:
        """POST /users. 409 CONSTRAINT_VIOLATION when the email is already a user of the app."""
        if not isinstance(body, Mapping):
            raise bad_request("the request body must be a JSON object")
        full_name, email = body.get("full_name"), body.get("email")
        if not isinstance(full_name, str) or not full_name.strip():
            raise bad_request("'full_name' is required")
        if not isinstance(email, str) or not email:
            raise bad_request("'email' is required")
        if not _EMAIL_RE.match(email):
            raise validation_error(f"'{email}' is not a valid email address")
        password = body.get("password")
        if password is not None and not isinstance(password, str):
            raise bad_request("'password' must be a string")
        magic = body.get("generate_magic_link", False)
        if not isinstance(magic, bool):
            raise bad_request("'generate_magic_link' must be a boolean")
        with self.store.lock:
            key = email.lower()
            if key in app.users:
                raise StoreError(
                    "CONSTRAINT_VIOLATION", f"a user with email '{email}' already exists"
                )
            now = self.store.now()
            salt = secrets.token_hex(8)
            secret = password if password is not None else secrets.token_urlsafe(12)
            user = {
                "email": email,
                "full_name": full_name.strip(),
                "status": "ACTIVE",
                "created_at": now,
                "updated_at": now,
                "password_hash": salt + "$" + hashlib.sha256((salt + secret).encode()).hexdigest(),
            }
            self._save(app, user, key)
            answer = _public(user)
            if magic:
                answer["magic_link"] = self._link(app, user)
            return answer

    def delete(self, app: AppState, email: str) -> None:
        with self.store.lock:
            self._find(app, email)
            self._save(app, None, email.strip().lower())

    def set_status(self, app: AppState, email: str, status: str) -> dict[str, Any]:
        """Activate (ACTIVE), deactivate (INACTIVE) or invite (INVITED) a user."""
        with self.store.lock:
            user = dict(self._find(app, email))
            user["status"] = status
            user["updated_at"] = self.store.now()
            self._save(app, user, email.strip().lower())
            return _public(user)

    def magic_link(self, app: AppState, email: str) -> dict[str, Any]:
        with self.store.lock:
            user = self._find(app, email)
            if user["status"] == "INACTIVE":
                raise bad_request(f"user '{email}' is deactivated")
            return {"magic_link": self._link(app, user)}

    def sync(self, app: AppState, body: Any) -> dict[str, Any]:
        """POST /users/sync: no body syncs everyone, an array of emails syncs those."""
        with self.store.lock:
            if body is None:
                emails = [u["email"] for u in app.users.values()]
            elif isinstance(body, list) and all(isinstance(e, str) for e in body):
                emails = [app.users[e.lower()]["email"] for e in body if e.lower() in app.users]
            else:
                raise bad_request("the body must be a JSON array of emails, or empty")
            return {"status": "SYNC_STARTED", "synced": emails}

    # --- tokens -----------------------------------------------------------------------------

    def _link(self, app: AppState, user: Mapping[str, Any]) -> str:
        return f"https://{app.domain}/magic-link?token={self.issue(app, user['email'])}"

    def issue(self, app: AppState, email: str) -> str:
        """A signed HS256 JWT for an app user (what magic links carry)."""
        now = int(self.store.now_dt().timestamp())
        header = {"alg": "HS256", "typ": "JWT"}
        payload = {
            "iss": "softr-emulator",
            "aud": app.domain,
            "sub": email.lower(),
            "email": email,
            "iat": now,
            "exp": now + JWT_LIFETIME_SECONDS,
            "jti": secrets.token_hex(8),
        }
        signing_input = (
            _b64(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + _b64(json.dumps(payload, separators=(",", ":")).encode())
        )
        signature = hmac.new(self.store.jwt_secret, signing_input.encode(), hashlib.sha256)
        return signing_input + "." + _b64(signature.digest())

    def validate(self, body: Any, domain: str | None) -> dict[str, Any]:
        """POST /users/validate-token: who the JWT names, or 401 UNAUTHORIZED."""
        if not isinstance(body, Mapping) or not isinstance(body.get("jwt"), str):
            raise bad_request("'jwt' is required")
        parts = body["jwt"].split(".")
        if len(parts) != 3:
            raise _invalid("not a JWT")
        signing_input = (parts[0] + "." + parts[1]).encode()
        expected = hmac.new(self.store.jwt_secret, signing_input, hashlib.sha256).digest()
        try:
            signature = _unb64(parts[2])
            payload = json.loads(_unb64(parts[1]))
        except (ValueError, json.JSONDecodeError):
            raise _invalid("malformed") from None
        if not hmac.compare_digest(signature, expected) or not isinstance(payload, dict):
            raise _invalid("bad signature")
        audience = str(payload.get("aud", ""))
        if domain and domain.strip().lower() != audience:
            raise _invalid("issued for another app")
        exp = payload.get("exp")
        if not isinstance(exp, int) or exp <= self.store.now_dt().timestamp():
            raise _invalid("expired")
        with self.store.lock:
            app = self.store.apps.get(audience)
            user = None if app is None else app.users.get(str(payload.get("sub", "")))
            if app is None or user is None:
                raise _invalid("unknown user")
            if user["status"] == "INACTIVE":
                raise _invalid("user is deactivated")
            return {
                "valid": True,
                "domain": app.domain,
                "user": _public(user),
                "expires_at": exp,
            }
