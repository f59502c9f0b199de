"""The Softr Users Management API: end users of a published Softr app.

Two levels. :class:`UsersEndpoints` (mixed into
:class:`~softr_orm.backends.softr.endpoints.SoftrAPI`) has one raw method per endpoint,
returning the parsed JSON or ``None``: Softr documents no response bodies for this API and
third parties disagree, so nothing is assumed. :class:`Users` is the friendly face
(``session.users("myapp.softr.app")``) that normalises the answers into :class:`AppUser`.

Every call carries ``Softr-Domain: <app domain>``; an ``{email}`` is one path segment,
percent-encoded by the session (so ``+`` travels as ``%2B``). Token validation goes to the app's
own host without the API key. Magic links are secrets: they are never logged nor shown in a
``repr``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from softr_orm import constants
from softr_orm.backends.softr.resources import parse_timestamp
from softr_orm.errors import ConfigurationError, NotFound
from softr_orm.http.util import has_control_characters

if TYPE_CHECKING:
    from softr_orm.backends.softr.endpoints import SoftrAPI
    from softr_orm.backends.softr.session import Session

__all__ = ["AppUser", "Users", "UsersEndpoints"]

_OMIT: Any = object()
# A bare host name with an optional port: no scheme, path, query, userinfo or whitespace, so
# the domain can neither redirect validate-token elsewhere nor break the header.
_HOST = re.compile(r"^[^\s/?#@\\:]+(:[0-9]{1,5})?$")


def _domain(domain: str, what: str = "domain") -> str:
    """The domain as it goes into a header and a URL: checked, and IDNA-encoded when it is not
    ASCII (``例え.softr.app`` -> ``xn--r8jz45g.softr.app``), before any request is built.

    Raises:
        ConfigurationError: (a ValueError) not a bare host name, or not encodable as IDNA.
    """
    if not isinstance(domain, str) or not _HOST.match(domain) or has_control_characters(domain):
        raise ConfigurationError(
            f"{what} must be a bare host name such as 'myapp.softr.app', got {domain!r}"
        )
    if domain.isascii():
        return domain
    host, colon, port = domain.partition(":")
    try:
        encoded = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise ConfigurationError(
            f"{what} {domain!r} is not a valid internationalised host name"
        ) from None
    return encoded + colon + port


def _email(email: str) -> str:
    if not isinstance(email, str) or not email.strip() or any(c.isspace() for c in email):
        raise ValueError(f"email must be a non-empty address without spaces, got {email!r}")
    return email


class UsersEndpoints:
    """The eight Users Management API endpoints (raw JSON in, raw JSON out).

    Mixed into :class:`~softr_orm.backends.softr.endpoints.SoftrAPI`; needs only its ``session``.
    """

    session: Session

    def _users(
        self,
        method: str,
        path: tuple[str, ...],
        domain: str,
        *,
        body: Any = _OMIT,
        kind: Literal["read", "write", "create"] | None = None,
    ) -> Any:
        headers = {constants.DOMAIN_HEADER: _domain(domain)}
        segments = ("users", *path)
        if body is _OMIT:
            return self.session.request(method, segments, api="users", headers=headers, kind=kind)
        return self.session.request(
            method, segments, api="users", headers=headers, json=body, kind=kind
        )

    def create_user(
        self,
        domain: str,
        *,
        full_name: str,
        email: str,
        password: str | None = None,
        generate_magic_link: bool = False,
    ) -> Any:
        """``POST /users``. ``password`` and ``generate_magic_link`` are sent only when set.

        A create is never retried automatically (it could create the user twice).
        """
        body: dict[str, Any] = {"full_name": full_name, "email": _email(email)}
        if password is not None:
            body["password"] = password
        if generate_magic_link:
            body["generate_magic_link"] = True
        return self._users("POST", (), domain, body=body)

    def delete_user(self, domain: str, email: str, *, missing_ok: bool = True) -> Any:
        """``DELETE /users/{email}``; a 404 means "already deleted" unless ``missing_ok=False``.

        Returns:
            The parsed answer, or ``None`` (empty answer, or the user did not exist).
        """
        try:
            return self._users("DELETE", (_email(email),), domain)
        except NotFound:
            if missing_ok:
                return None
            raise

    def deactivate_user(self, domain: str, email: str) -> Any:
        """``POST /users/{email}/deactivate`` (idempotent, so retried like a write)."""
        return self._users("POST", (_email(email), "deactivate"), domain, kind="write")

    def activate_user(self, domain: str, email: str) -> Any:
        """``POST /users/{email}/activate`` (idempotent, so retried like a write)."""
        return self._users("POST", (_email(email), "activate"), domain, kind="write")

    def invite_user(self, domain: str, email: str) -> Any:
        """``POST /users/{email}/invite``: emails an invitation (not retried: it could resend)."""
        return self._users("POST", (_email(email), "invite"), domain)

    def generate_magic_link(self, domain: str, email: str) -> Any:
        """``POST /users/magic-link/generate/{email}``. The answer holds a secret link."""
        return self._users("POST", ("magic-link", "generate", _email(email)), domain)

    def sync_users(self, domain: str, emails: Iterable[str] | None = None) -> Any:
        """``POST /users/sync``: no body syncs every user; a JSON array syncs those emails."""
        if emails is None:
            return self._users("POST", ("sync",), domain, kind="write")
        listed = [_email(e) for e in ([emails] if isinstance(emails, str) else emails)]
        return self._users("POST", ("sync",), domain, body=listed, kind="write")

    def validate_token(
        self, jwt: str, *, app_domain: str | None = None, app_base_url: str | None = None
    ) -> Any:
        """``POST https://<app_domain>/v1/api/users/validate-token`` with ``{"jwt": ...}``.

        Goes to the app's own host, not studio-api, and sends no API key (as documented).

        Args:
            app_domain: the app's Softr subdomain or custom domain.
            app_base_url: the full base instead (e.g. an emulator's ``users_base_url``); the
                session still refuses plain ``http://`` to a non-loopback host.
        """
        if app_base_url is None:
            if app_domain is None:
                raise ValueError("validate_token needs app_domain or app_base_url")
            app_base_url = f"https://{_domain(app_domain, 'app_domain')}/v1/api"
        if not isinstance(jwt, str) or not jwt:
            raise ValueError("jwt must be a non-empty string")
        return self.session.request(
            "POST",
            ("users", "validate-token"),
            api="users",
            base_url=app_base_url.rstrip("/"),
            auth=False,
            json={"jwt": jwt},
            kind="read",
        )


# --- friendly level ----------------------------------------------------------------------


def _pick(data: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        value = data.get(key)
        if value is not None:
            return value
    return None


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _unwrap_user(data: Any) -> Mapping[str, Any]:
    for _ in range(2):  # {"data": {...}} and/or {"user": {...}}
        if isinstance(data, Mapping):
            inner = _pick(data, "data", "user")
            if isinstance(inner, Mapping):
                data = inner
                continue
        break
    return data if isinstance(data, Mapping) else {}


@dataclass(slots=True)
class AppUser:
    """An app user as far as the (undocumented) answer tells; snake and camel keys both read.

    ``magic_link`` is left out of ``repr`` so it cannot end up in logs by accident.
    """

    email: str | None
    full_name: str | None = None
    status: str | None = None
    id: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    magic_link: str | None = field(default=None, repr=False)
    raw: Any = field(default=None, repr=False, compare=False)

    @classmethod
    def from_api(
        cls, data: Any, *, email: str | None = None, full_name: str | None = None
    ) -> AppUser:
        """Build from any answer shape; ``email``/``full_name`` fill in what it lacks."""
        obj = _unwrap_user(data)
        return cls(
            email=_opt_str(_pick(obj, "email")) or email,
            full_name=_opt_str(_pick(obj, "full_name", "fullName", "name")) or full_name,
            status=_opt_str(_pick(obj, "status")),
            id=_opt_str(_pick(obj, "id", "userId", "user_id")),
            created_at=parse_timestamp(_pick(obj, "created", "createdAt", "created_at")),
            updated_at=parse_timestamp(_pick(obj, "updated", "updatedAt", "updated_at")),
            magic_link=_opt_str(_pick(obj, "magic_link", "magicLink")),
            raw=data,
        )


def _magic_link(data: Any) -> str | None:
    if isinstance(data, str):
        return data or None
    obj = _unwrap_user(data)
    value = _pick(obj, "magic_link", "magicLink", "link", "url")
    return value if isinstance(value, str) and value else None


class Users:
    """End users of one published app: ``session.users("myapp.softr.app")``.

    Args:
        session: the session whose API key (a PAT of the app owner or a collaborator) is used.
        domain: the app's domain, sent as ``Softr-Domain`` on every call.
        app_base_url: where :meth:`validate_token` goes by default instead of
            ``https://<domain>/v1/api`` (for an emulator or a custom setup).
    """

    def __init__(self, session: Session, domain: str, *, app_base_url: str | None = None):
        self.session = session
        self.domain = _domain(domain)
        self.app_base_url = app_base_url

    def __repr__(self) -> str:
        return f"<Users {self.domain}>"

    @property
    def api(self) -> SoftrAPI:
        return self.session.api

    def create(
        self,
        *,
        full_name: str,
        email: str,
        password: str | None = None,
        generate_magic_link: bool = False,
    ) -> AppUser:
        """Create a user; with ``generate_magic_link=True`` the link is in ``.magic_link``."""
        answer = self.api.create_user(
            self.domain,
            full_name=full_name,
            email=email,
            password=password,
            generate_magic_link=generate_magic_link,
        )
        return AppUser.from_api(answer, email=email, full_name=full_name)

    def invite(self, email: str) -> AppUser:
        """Email an invitation; the user's status becomes Invited (the app must be published)."""
        return AppUser.from_api(self.api.invite_user(self.domain, email), email=email)

    def activate(self, email: str) -> AppUser:
        """Let a deactivated user log in again."""
        return AppUser.from_api(self.api.activate_user(self.domain, email), email=email)

    def deactivate(self, email: str) -> AppUser:
        """Stop a user from logging in (the user is kept and can be re-activated)."""
        return AppUser.from_api(self.api.deactivate_user(self.domain, email), email=email)

    def delete(self, email: str) -> None:
        """Delete a user for good; deleting one that does not exist is not an error."""
        self.api.delete_user(self.domain, email, missing_ok=True)

    def magic_link(self, email: str) -> str | None:
        """A new passwordless login link (a secret), or ``None`` if the answer had none."""
        return _magic_link(self.api.generate_magic_link(self.domain, email))

    def sync(self, emails: Iterable[str] | None = None) -> Any:
        """Sync the given users, or all users when ``emails`` is ``None``.

        An empty list sends nothing at all (it must not turn into "sync everyone").
        """
        if emails is not None:
            emails = [emails] if isinstance(emails, str) else list(emails)
            if not emails:
                return None
        return self.api.sync_users(self.domain, emails)

    def validate_token(self, jwt: str, app_domain: str | None = None) -> Any:
        """Check an end-user JWT with the app (default: this domain); returns the raw answer."""
        if app_domain is None and self.app_base_url is not None:
            return self.api.validate_token(jwt, app_base_url=self.app_base_url)
        return self.api.validate_token(jwt, app_domain=app_domain or self.domain)
