"""``BaserowSession``: the transport of :mod:`softr_orm.http` set up for Baserow.

What is Baserow's own (baserow-api.md §1, §7): the ``/api`` root under a base URL, the
``Authorization: Token <key>`` header of a database token, ``BASEROW_*`` environment
variables, the ``{"error", "detail"}`` error bodies, and a concurrency limit instead of a rate
limit (Baserow Cloud allows 10 requests in flight per user; self-hosted servers allow any
number unless their admin set one).

A database token reads and writes rows and lists a table's fields, but cannot list databases
or touch the schema (§8.4). Give ``email`` and ``password`` as well and the session also signs
in for a JWT, which it uses for those calls only (listing a database's tables, creating tables
and fields); the JWT lives in a second transport of its own, so it is redacted like the token.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from softr_orm import errors
from softr_orm.backends.base import BackendSession
from softr_orm.backends.baserow.backend import BaserowBackend
from softr_orm.http.deadline import DEFAULT_MAX_RESPONSE_BYTES
from softr_orm.http.ratelimit import RateLimits
from softr_orm.http.retry import RetryPolicy
from softr_orm.http.session import DEFAULT_READ_TIMEOUT, HttpSession
from softr_orm.http.util import Secret, check_base_url, clean_key, host_of, key_from_env

__all__ = ["CLOUD_URL", "BaserowSession", "baserow_error"]

#: Baserow Cloud's API host.
CLOUD_URL = "https://api.baserow.io"
#: Requests in flight per user that Baserow Cloud allows (baserow-api.md §7.3).
CLOUD_CONCURRENCY = 10

_NO_TOKEN = (
    "no Baserow database token: pass BaserowSession(token=...) or set BASEROW_TOKEN (or "
    "BASEROW_TOKEN_FILE) and use BaserowSession.from_env()"
)

#: Baserow error codes -> the error classes they mean (status decides the rest).
_CODES: Mapping[str, type[errors.APIError]] = {
    "ERROR_REQUEST_BODY_VALIDATION": errors.FieldValidationError,
    "ERROR_FIELD_DATA_CONSTRAINT": errors.FieldValidationError,
    "ERROR_FILTER_FIELD_NOT_FOUND": errors.UnknownField,
    "ERROR_ORDER_BY_FIELD_NOT_FOUND": errors.UnknownField,
    "ERROR_FIELD_DOES_NOT_EXIST": errors.NotFound,
    "ERROR_ROW_DOES_NOT_EXIST": errors.NotFound,
    "ERROR_TABLE_DOES_NOT_EXIST": errors.NotFound,
    "ERROR_APPLICATION_DOES_NOT_EXIST": errors.NotFound,
    "ERROR_VIEW_DOES_NOT_EXIST": errors.NotFound,
    "URL_NOT_FOUND": errors.NotFound,
    "ERROR_TOKEN_DOES_NOT_EXIST": errors.Unauthorized,
    "ERROR_INVALID_TOKEN_HEADER": errors.Unauthorized,
    "ERROR_USER_NOT_ACTIVE": errors.Unauthorized,
    "ERROR_NO_PERMISSION_TO_TABLE": errors.Forbidden,
    "PERMISSION_DENIED": errors.Forbidden,
    "ERROR_USER_NOT_IN_GROUP": errors.Forbidden,
    "ERROR_FEATURE_DISABLED": errors.Forbidden,
    "ERROR_DATABASE_DEADLOCK": errors.ConstraintViolation,
    "ERROR_ROW_IDS_NOT_UNIQUE": errors.BadRequest,
    "ERROR_FILE_SIZE_TOO_LARGE": errors.PayloadTooLarge,
}


def _detail_text(detail: Any) -> str:
    """A readable message from Baserow's ``detail`` (a string, or a tree of
    ``{"error", "code"}`` leaves keyed by field and item index)."""
    if isinstance(detail, str):
        return detail
    if isinstance(detail, Mapping):
        if isinstance(detail.get("error"), str) and set(detail) <= {"error", "code"}:
            return str(detail["error"])
        return "; ".join(f"{key}: {_detail_text(value)}" for key, value in detail.items())
    if isinstance(detail, list):
        return "; ".join(_detail_text(item) for item in detail)
    return "" if detail is None else str(detail)


def baserow_error(
    status: int,
    body: str,
    *,
    method: str | None = None,
    path: str | None = None,
    retry_after: float | None = None,
) -> errors.APIError:
    """The exception for a Baserow error answer: ``{"error": code, "detail": ...}`` or a bare
    ``{"detail": ...}`` (framework errors, 429), or anything else (a proxy's page).

    Baserow's code is kept in ``error_code``; a structured ``detail`` in ``details``.
    """
    parsed = errors.read_error_body(body)
    code: str | None = None
    detail: Any = None
    if isinstance(parsed, dict):
        raw_code = parsed.get("error")
        code = raw_code if isinstance(raw_code, str) else None
        detail = parsed.get("detail")
    message = _detail_text(detail) or code or " ".join(body.split())[:200]
    message = message or f"HTTP {status} with an empty body"
    cls = _CODES.get(code or "")
    if cls is None or (status >= 500 and not issubclass(cls, errors.ServiceUnavailable)):
        cls = errors.error_class(status, None)
    if status == 401 and cls is errors.Forbidden:
        cls = errors.Unauthorized  # a token refused for the table: a credentials failure
    details = detail if isinstance(detail, dict) else ({"detail": detail} if detail else None)
    return errors.build_error(
        cls,
        message,
        status=status,
        error_code=code,
        details=details,
        method=method,
        path=path,
        body=body,
        retry_after=retry_after,
    )


class _JwtTransport(HttpSession):
    """The JWT's own transport: schema calls only (JWT auth, redacted like any credential)."""

    _public_name = "softr_orm.backends.baserow.BaserowSession (JWT)"
    trailing_slash = True

    def __init__(self, credential: Secret, *, trusted_host: str, **kwargs: Any) -> None:
        self.trusted_hosts = (trusted_host,)
        super().__init__(credential, **kwargs)

    def error_for_response(
        self, status: int, body: str, *, method: str, path: str, retry_after: float | None
    ) -> errors.APIError:
        return baserow_error(status, body, method=method, path=path, retry_after=retry_after)


class BaserowSession(BackendSession):
    """Connection, authentication and request policy for one Baserow database token.

    Args:
        token: the database token (surrounding whitespace is stripped).
        base_url: the server, e.g. ``https://api.baserow.io`` (the default) or a self-hosted
            ``https://baserow.example.org``; ``/api`` is added.
        email, password: a user's sign-in, for the calls a database token cannot make
            (listing a database's tables by name, ``create_table_for``, adding fields).
        max_concurrency: requests in flight at once; default 10 for Baserow Cloud's host and
            no limit for any other host. ``0`` means no limit.
        timeout, max_retries, rate_limit, pool_size, retry_policy, clock, sleep: as for
            :class:`softr_orm.Session`; Baserow has no rate limit, so ``rate_limit`` defaults
            to False.
        max_response_bytes: answers larger than this (default 64 MiB, counted after
            decompression) raise :class:`~softr_orm.errors.ResponseTooLarge` unread.
        allowed_hosts: hosts besides ``base_url``'s own and loopback that may receive the
            token (or the JWT) without an :class:`~softr_orm.errors.UntrustedHostWarning`, for
            a call given another ``base_url`` (also read from ``BASEROW_ALLOWED_HOSTS``,
            comma-separated, by :meth:`from_env`). Redirects are never followed.

    Raises:
        ConfigurationError: a missing token, an ``http://`` URL to a non-loopback host, a
            password without an email (or the reverse).
    """

    _public_name = "softr_orm.backends.baserow.BaserowSession"
    trailing_slash = True  # every Baserow path ends with "/" (baserow-api.md §1.5)

    def __init__(
        self,
        token: str | None = None,
        *,
        base_url: str | None = None,
        email: str | None = None,
        password: str | None = None,
        max_concurrency: int | None = None,
        timeout: float | tuple[float, float] = DEFAULT_READ_TIMEOUT,
        max_retries: int = 5,
        rate_limit: bool | RateLimits = False,
        pool_size: int = 32,
        retry_policy: RetryPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        allowed_hosts: Sequence[str] | None = None,
    ) -> None:
        secret = Secret(clean_key(token, _NO_TOKEN, "token"))
        server = check_base_url(CLOUD_URL if base_url is None else base_url)
        # Baserow may be self-hosted anywhere: the server the user named is its own host.
        self.trusted_hosts = (host_of(server),)
        if (email is None) != (password is None):
            raise errors.ConfigurationError("give both email and password (for a JWT), or neither")
        self._server = server
        self._email = email
        self._password = Secret(password) if password is not None else None
        if max_concurrency is None:
            cloud = urlsplit(server).hostname == urlsplit(CLOUD_URL).hostname
            max_concurrency = CLOUD_CONCURRENCY if cloud else 0
        if isinstance(max_concurrency, bool) or max_concurrency < 0:
            raise errors.ConfigurationError(
                f"max_concurrency must be an int >= 0, got {max_concurrency!r}"
            )
        self.max_concurrency = max_concurrency
        self._slots = threading.BoundedSemaphore(max_concurrency) if max_concurrency else None
        self._transport_options: dict[str, Any] = {
            "timeout": timeout,
            "max_retries": max_retries,
            "retry_policy": retry_policy,
            "clock": clock,
            "sleep": sleep,
            "max_response_bytes": max_response_bytes,
            "allowed_hosts": allowed_hosts,
        }
        super().__init__(
            secret,
            roots={"database": server + "/api"},
            auth_header="Authorization",
            auth_scheme="Token",
            timeout=timeout,
            max_retries=max_retries,
            rate_limit=rate_limit,
            pool_size=pool_size,
            retry_policy=retry_policy,
            clock=clock,
            sleep=sleep,
            service="Baserow",
            max_response_bytes=max_response_bytes,
            allowed_hosts=allowed_hosts,
        )

    @property
    def base_url(self) -> str:
        """The server's URL (without ``/api``)."""
        return self._server

    @property
    def has_login(self) -> bool:
        """Whether the session can sign in for a JWT (email and password were given)."""
        return self._password is not None

    def __repr__(self) -> str:
        return f"<BaserowSession {self._server}>"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **kwargs: Any) -> BaserowSession:
        """Build a session from ``BASEROW_TOKEN`` (or ``BASEROW_TOKEN_FILE``), ``BASEROW_URL``,
        ``BASEROW_ALLOWED_HOSTS`` (comma-separated) and, when both are set,
        ``BASEROW_EMAIL``/``BASEROW_PASSWORD``; ``kwargs`` win.

        Raises:
            ConfigurationError: no token, an unreadable token file, or two different tokens.
        """
        env = os.environ if environ is None else environ
        if "token" not in kwargs:
            kwargs["token"] = key_from_env(env, "BASEROW_TOKEN")
        url = (env.get("BASEROW_URL") or "").strip()
        if url and "base_url" not in kwargs:
            kwargs["base_url"] = url
        email = (env.get("BASEROW_EMAIL") or "").strip()
        password = env.get("BASEROW_PASSWORD") or ""
        if email and password and "email" not in kwargs and "password" not in kwargs:
            kwargs["email"], kwargs["password"] = email, password
        hosts = [h.strip() for h in (env.get("BASEROW_ALLOWED_HOSTS") or "").split(",")]
        if any(hosts) and "allowed_hosts" not in kwargs:
            kwargs["allowed_hosts"] = [h for h in hosts if h]
        return cls(**kwargs)

    # --- the ORM's view of this session ---------------------------------------------------

    @property
    def backend(self) -> BaserowBackend:
        """What the ORM talks to (built once)."""
        return self.cache_for("softr_orm.backend", lambda: BaserowBackend(self))

    def error_for_response(
        self, status: int, body: str, *, method: str, path: str, retry_after: float | None
    ) -> errors.APIError:
        return baserow_error(status, body, method=method, path=path, retry_after=retry_after)

    @contextmanager
    def _slot(self) -> Iterator[None]:
        if self._slots is None:
            yield
            return
        with self._slots:
            yield

    def request(self, method: str, path: Sequence[str], **kwargs: Any) -> Any:
        """:meth:`HttpSession.request`, holding one of ``max_concurrency`` slots if limited."""
        with self._slot():
            return super().request(method, path, **kwargs)

    # --- the JWT, for schema calls --------------------------------------------------------

    def schema_request(self, method: str, path: Sequence[str], **kwargs: Any) -> Any:
        """A call that needs a JWT (signing in once, and again when the JWT expired).

        Raises:
            ConfigurationError: the session has no email and password.
        """
        transport = self._jwt_transport()
        try:
            with self._slot():
                return transport.request(method, path, **kwargs)
        except errors.Unauthorized:
            with self._cache_lock:
                self._cache.pop("softr_orm.baserow.jwt", None)
            with self._slot():
                return self._jwt_transport().request(method, path, **kwargs)

    def _jwt_transport(self) -> HttpSession:
        if self._password is None or self._email is None:
            raise errors.ConfigurationError(
                "this call needs a Baserow JWT, which a database token cannot replace: create "
                "the session with BaserowSession(token, base_url=..., email=..., password=...)"
            )
        return self.cache_for("softr_orm.baserow.jwt", self._sign_in)

    def _sign_in(self) -> HttpSession:
        assert self._password is not None
        # A throwaway transport with no listeners: the body holds the password, and this
        # session's listeners (which see request bodies) must never get it.
        signer = _JwtTransport(
            Secret("sign-in"),
            trusted_host=self.trusted_hosts[0],
            roots={"database": self._server + "/api"},
            auth_header="Authorization",
            rate_limit=False,
            service="Baserow",
            **self._transport_options,
        )
        with self._slot():
            answer = signer.request(
                "POST",
                ["user", "token-auth"],
                json={"email": self._email, "password": self._password.reveal()},
                auth=False,
                kind="write",
            )
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not isinstance(token, str) or not token:
            raise errors.APIError(
                "Baserow's sign-in answer holds no access_token",
                status=200,
                path="/user/token-auth/",
            )
        return _JwtTransport(
            Secret(token),
            trusted_host=self.trusted_hosts[0],
            roots={"database": self._server + "/api"},
            auth_header="Authorization",
            auth_scheme="JWT",
            rate_limit=False,
            service="Baserow",
            **self._transport_options,
        )
