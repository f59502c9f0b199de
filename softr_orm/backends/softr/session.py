"""``softr_orm.Session``: the transport of :mod:`softr_orm.http` set up for Softr.

It adds what is Softr's own to :class:`~softr_orm.http.session.HttpSession`: the two API roots
(Database API, Users Management API), the ``Softr-Api-Key`` header, ``SOFTR_*`` environment
variables, the search-body options, and the conveniences users reach for (``databases()``,
``users(domain)``). The ORM talks to it through :attr:`Session.backend`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from softr_orm import errors
from softr_orm.backends.base import BackendSession

# What the 0.1 module softr_orm.session offered beside Session, still found under that path
# (softr_orm._compat): configure, default_session, RequestEvent, check_base_url, ...
from softr_orm.backends.defaults import configure, default_session  # noqa: F401
from softr_orm.backends.softr.backend import SoftrBackend
from softr_orm.constants import API_KEY_HEADER, DATABASE_API_URL, USERS_API_URL
from softr_orm.http.deadline import DEFAULT_MAX_RESPONSE_BYTES
from softr_orm.http.ratelimit import RateLimits
from softr_orm.http.retry import RetryPolicy
from softr_orm.http.session import DEFAULT_READ_TIMEOUT
from softr_orm.http.util import (  # noqa: F401 - see above
    DEFAULT_CONNECT_TIMEOUT,
    RequestEvent,
    Secret,
    check_base_url,
    clean_key,
    key_from_env,
)

if TYPE_CHECKING:
    from softr_orm.backends.softr.endpoints import SoftrAPI
    from softr_orm.backends.softr.resources import Database, Table
    from softr_orm.backends.softr.users import Users

__all__ = ["Session"]

_NO_KEY = (
    "no Softr API key: pass Session(api_key=...) or set SOFTR_API_KEY (or SOFTR_API_KEY_FILE, "
    "a file holding the key) and use Session.from_env()"
)


class Session(BackendSession):
    """Connection, authentication and request policy for one Softr API key.

    Args:
        api_key: the Personal Access Token (surrounding whitespace is stripped).
        base_url: Database API root, default ``https://tables-api.softr.io/api/v1``.
        users_base_url: Users API root, default ``https://studio-api.softr.io/v1/api``.
        timeout: read timeout in seconds (connect timeout ``min(10, timeout)``), or a
            ``(connect, read)`` tuple. The default is 10 s to connect, 30 s to read.
        max_retries: retries of a failed attempt (see :mod:`softr_orm.http.retry`); ignored
            when ``retry_policy`` is given.
        rate_limit: ``True`` for the default :class:`RateLimits` (40 reads/s, 30 writes/s, burst
            10), a :class:`RateLimits`, ``False`` to not limit on the client side, or a Redis
            URL (``"redis://127.0.0.1:6379/0"``): one budget for every process and host using
            that URL and key (needs the ``redis`` extra).
        pool_size: connections kept per host; size it to the number of threads sharing this.
        retry_policy: all retry knobs at once (backoff, caps, total time, jitter source).
        clock, sleep: monotonic clock and sleep used for rate limiting and retry waits
            (inject fakes in tests).
        max_filter_depth: the deepest AND/OR nesting a query may compile to. Softr's own SDK
            stops at 2 (softr-api.md §3.3); raise it only if your Softr accepts deeper filters.
        sort_key: the search body's key for sorting: ``"sorting"`` as Softr's guide and n8n
            node send it, or ``"sort"`` as its OpenAPI file names it (softr-api.md §8.2).
        max_response_bytes: answers larger than this (default 64 MiB, counted after
            decompression) raise :class:`~softr_orm.errors.ResponseTooLarge` unread.
        allowed_hosts: hosts other than Softr's (``*.softr.io``) and loopback that may receive
            the key without an :class:`~softr_orm.errors.UntrustedHostWarning` (also read
            from ``SOFTR_ALLOWED_HOSTS``, comma-separated, by :meth:`from_env`).

    Raises:
        ConfigurationError: a missing key, an ``http://`` URL to a non-loopback host, a bad
            timeout.
    """

    _public_name = "softr_orm.Session"
    trusted_host_suffixes = ("softr.io",)
    text_apis = frozenset({"users"})  # the Users API's answers are undocumented; some are text

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        users_base_url: str | None = None,
        timeout: float | tuple[float, float] = DEFAULT_READ_TIMEOUT,
        max_retries: int = 5,
        rate_limit: bool | RateLimits | str = True,
        pool_size: int = 32,
        retry_policy: RetryPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        max_filter_depth: int = 2,
        sort_key: str = "sorting",
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        allowed_hosts: Sequence[str] | None = None,
    ) -> None:
        secret = Secret(clean_key(api_key, _NO_KEY))
        if max_filter_depth < 0:
            raise errors.ConfigurationError(
                f"max_filter_depth must be >= 0, got {max_filter_depth}"
            )
        if sort_key not in ("sorting", "sort"):
            raise errors.ConfigurationError(
                f"sort_key must be 'sorting' or 'sort', got {sort_key!r}"
            )
        self.max_filter_depth = max_filter_depth
        self.sort_key = sort_key
        super().__init__(
            secret,
            roots={
                "database": DATABASE_API_URL if base_url is None else base_url,
                "users": USERS_API_URL if users_base_url is None else users_base_url,
            },
            auth_header=API_KEY_HEADER,
            timeout=timeout,
            max_retries=max_retries,
            rate_limit=rate_limit,
            pool_size=pool_size,
            retry_policy=retry_policy,
            clock=clock,
            sleep=sleep,
            service="Softr",
            max_response_bytes=max_response_bytes,
            allowed_hosts=allowed_hosts,
        )

    @property
    def base_url(self) -> str:
        """The Database API root."""
        return self._roots["database"]

    @property
    def users_base_url(self) -> str:
        """The Users Management API root."""
        return self._roots["users"]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **kwargs: Any) -> Session:
        """Build a session from environment variables; explicit ``kwargs`` win over them.

        Reads ``SOFTR_API_KEY`` or ``SOFTR_API_KEY_FILE`` (a file whose stripped contents are
        the key; if both are set they must hold the same key), ``SOFTR_BASE_URL``,
        ``SOFTR_USERS_BASE_URL``, ``SOFTR_RATE_LIMIT_URL`` (a Redis URL: a rate budget shared
        by every process, see ``rate_limit``) and ``SOFTR_ALLOWED_HOSTS`` (comma-separated).
        Empty variables count as unset.

        Raises:
            ConfigurationError: no key, an unreadable key file, or two different keys.
        """
        env = os.environ if environ is None else environ
        if "api_key" not in kwargs:
            kwargs["api_key"] = key_from_env(env, "SOFTR_API_KEY")
        for name, variable in (
            ("base_url", "SOFTR_BASE_URL"),
            ("users_base_url", "SOFTR_USERS_BASE_URL"),
            ("rate_limit", "SOFTR_RATE_LIMIT_URL"),
        ):
            value = (env.get(variable) or "").strip()
            if value and name not in kwargs:
                kwargs[name] = value
        hosts = [h.strip() for h in (env.get("SOFTR_ALLOWED_HOSTS") or "").split(",") if h.strip()]
        if hosts and "allowed_hosts" not in kwargs:
            kwargs["allowed_hosts"] = hosts
        return cls(**kwargs)

    # --- the ORM's view of this session ---------------------------------------------------

    @property
    def backend(self) -> SoftrBackend:
        """What the ORM talks to (built once; see :mod:`softr_orm.backends.base`)."""
        return self.cache_for("softr_orm.backend", self._build_backend)

    def _build_backend(self) -> SoftrBackend:
        return SoftrBackend(
            self.api, max_filter_depth=self.max_filter_depth, sort_key=self.sort_key
        )

    # --- conveniences (delegating to the endpoint client) ---------------------------------

    @property
    def api(self) -> SoftrAPI:
        """The endpoint-level client for this session, built once (thread-safe)."""
        return self.cache_for("softr_orm.api:SoftrAPI", self._build_api)

    def _build_api(self) -> SoftrAPI:
        from softr_orm.backends.softr.endpoints import SoftrAPI

        return SoftrAPI(self)

    def databases(self) -> list[Database]:
        """Every database the key can see."""
        return self.api.list_databases()

    def database(self, database_id: str) -> Database:
        """One database by id."""
        return self.api.get_database(database_id)

    def create_table(
        self, database_id: str, name: str, fields: Sequence[Any] = (), **kwargs: Any
    ) -> Table:
        """Create a table in a database (see :meth:`SoftrAPI.create_table`)."""
        return self.api.create_table(database_id, name, fields=fields, **kwargs)

    def users(self, domain: str) -> Users:
        """The Users Management API for the published app at ``domain``."""
        from softr_orm.backends.softr.users import Users

        return Users(self, domain)
