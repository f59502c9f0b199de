"""Small pure helpers of the transport: credential handling, URL checks and encoding.

Kept apart from :mod:`softr_orm.http.session` so that the session module holds only the
request policy. Nothing here sends a request, and nothing here knows a service.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import threading
import traceback
import warnings
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import requests
import requests.auth

from softr_orm import errors
from softr_orm.http import jsonutil
from softr_orm.http.retry import Kind, exception_chain

DEFAULT_CONNECT_TIMEOUT = 10.0

#: Keys of a JSON body that request listeners never see the value of.
SECRET_BODY_KEYS = frozenset({"password"})


@dataclass(frozen=True)
class RequestEvent:
    """One HTTP attempt, as reported to :meth:`Session.add_listener` listeners.

    Attributes:
        method: the HTTP method.
        path: the percent-encoded path below the API root, without the query string.
        api: the name of the API (one of the session's roots), e.g. "database" or "users".
        body: the JSON body sent, or None.
        status: the answer's status, or None when no answer arrived.
        error: the transport exception's class name when no answer arrived, else None.
        attempt: 1 for the first attempt of a call, 2 for its first retry, ...
        elapsed_ms: wall time of the attempt.
    """

    method: str
    path: str
    api: str
    body: bytes | None
    status: int | None
    error: str | None
    attempt: int
    elapsed_ms: float


class Secret:
    """Holds the API key so that ``repr``, ``vars`` and pickling never show it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "'***'"

    def __reduce__(self) -> tuple[Any, ...]:
        raise TypeError("an API key cannot be pickled")


class HeaderAuth(requests.auth.AuthBase):
    """Adds the credential header as the request is prepared, so no caller-side dict ever
    holds it. ``scheme`` prefixes the value (``Authorization: Token <key>``)."""

    def __init__(self, secret: Secret, header: str, scheme: str | None = None) -> None:
        self.secret = secret
        self.header = header
        self.scheme = scheme

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        value = self.secret.reveal()
        r.headers[self.header] = f"{self.scheme} {value}" if self.scheme else value
        return r


class NoAuth(requests.auth.AuthBase):
    """Session-level auth that adds nothing; its presence stops requests reading ``~/.netrc``,
    and it drops the credential header from any request that must not carry it."""

    def __init__(self, header: str) -> None:
        self.header = header

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers.pop(self.header, None)
        return r


class NoRedirectSession(requests.Session):
    """A ``requests.Session`` that does not even compute a redirect target.

    ``allow_redirects=False`` already stops following; this also keeps ``rebuild_auth`` and
    friends from ever running on a copy of our request.
    """

    def get_redirect_target(self, resp: requests.Response) -> str | None:
        return None


def listener_body_of(payload: Any, body: bytes) -> bytes:
    """The body as request listeners see it: passwords (:data:`SECRET_BODY_KEYS`) as ``***``."""
    if isinstance(payload, Mapping) and any(key in SECRET_BODY_KEYS for key in payload):
        masked = {k: "***" if k in SECRET_BODY_KEYS else v for k, v in payload.items()}
        return jsonutil.dumps(masked)
    return body


def clean_key(api_key: object, missing: str, what: str = "api_key") -> str:
    """The credential, stripped; ``missing`` is the message when there is none."""
    if api_key is None:
        raise errors.ConfigurationError(missing)
    if not isinstance(api_key, str):
        raise errors.ConfigurationError(f"{what} must be a str, not {type(api_key).__name__}")
    key = api_key.strip()
    if not key:
        raise errors.ConfigurationError(missing)
    if any(ch.isspace() or not ch.isprintable() or ord(ch) > 0xFF for ch in key):
        # requests would reject the header and quote the value in its message: refuse here.
        raise errors.ConfigurationError(
            "the API key contains whitespace or control characters; check how it was copied"
        )
    return key


def key_from_env(env: Mapping[str, str], variable: str) -> str | None:
    """The key from ``variable`` or from the file named by ``<variable>_FILE``.

    Both may be set only if they hold the same key (a stale variable next to a rotated key
    file is a classic outage). Values are stripped; empty ones count as unset.

    Raises:
        ConfigurationError: the file cannot be read, or the two keys differ (neither is shown).
    """
    file_variable = f"{variable}_FILE"
    key = (env.get(variable) or "").strip() or None
    key_file = (env.get(file_variable) or "").strip()
    if not key_file:
        return key
    try:
        from_file = Path(key_file).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        # The value is not shown: it may be the key itself, set there by mistake.
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise errors.ConfigurationError(
            f"cannot read the file named by {file_variable}: {reason}. {file_variable} must "
            f"hold the path of a file that contains the key (set {variable} for the key itself)"
        ) from None
    if key is not None and from_file != key:
        raise errors.ConfigurationError(
            f"{variable} and {file_variable} are both set and hold different keys; "
            "set only one of them"
        )
    return from_file or None


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def check_base_url(url: object, what: str = "base_url") -> str:
    """Validate an API root URL and return it without a trailing slash.

    ``https://`` is required, except for loopback hosts (127.0.0.0/8, ``::1``, ``localhost``),
    where plain ``http://`` is allowed for local emulators and tests.

    Raises:
        ConfigurationError: naming the URL, when it is not acceptable.
    """
    if not isinstance(url, str) or not url.strip():
        raise errors.ConfigurationError(f"{what} must be a non-empty URL, got {url!r}")
    if has_control_characters(url.strip()):
        # urlsplit would silently drop CR, LF and tab; a NUL reaches the socket.
        raise errors.ConfigurationError(
            f"{what} {url.strip()!r} contains control characters (CR, LF, NUL, ...)"
        )
    text = url.strip().rstrip("/")
    try:
        parts = urlsplit(text)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        raise errors.ConfigurationError(f"{what} {text!r} is not a valid URL") from exc
    if not text.isascii():
        raise errors.ConfigurationError(f"{what} {text!r} must be ASCII (use the punycode host)")
    if parts.username is not None or parts.password is not None:
        raise errors.ConfigurationError(f"{what} must not contain credentials")
    if parts.query or parts.fragment or not host:
        raise errors.ConfigurationError(
            f"{what} {text!r} must be a plain https:// URL with a host, no query or fragment"
        )
    scheme = parts.scheme.lower()
    if scheme == "https" or (scheme == "http" and _is_loopback(host)):
        return text
    if scheme == "http":
        raise errors.ConfigurationError(
            f"{what} {text!r} uses plain http:// to a non-loopback host, which would send the "
            "API key unencrypted; use https:// (http:// is allowed only for 127.0.0.0/8, ::1 "
            "and localhost)"
        )
    raise errors.ConfigurationError(f"{what} {text!r} must be an https:// URL")


_warned_hosts: set[str] = set()
_warned_lock = threading.Lock()


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def check_key_destination(
    url: str,
    trusted_suffixes: Sequence[str],
    allowed_hosts: frozenset[str],
    service: str,
    stacklevel: int = 2,
    trusted_hosts: Collection[str] = (),
) -> None:
    """Warn (once per host and process) when the key is about to go to ``url`` whose host is
    not the service's own (``trusted_suffixes``: ``"softr.io"`` covers ``x.softr.io``; or
    exactly one of ``trusted_hosts``), not loopback, and not in ``allowed_hosts``. Without
    ``trusted_suffixes`` or ``trusted_hosts`` nothing is checked."""
    host = host_of(url)
    if not (trusted_suffixes or trusted_hosts):
        return
    if not host or host in allowed_hosts or host in trusted_hosts or _is_loopback(host):
        return
    if any(host == suffix or host.endswith("." + suffix) for suffix in trusted_suffixes):
        return
    with _warned_lock:
        if host in _warned_hosts:
            return
        _warned_hosts.add(host)
    warnings.warn(
        f"the {service} API key will be sent to {host}, which is not a {service} host; pass "
        f"allowed_hosts=[{host!r}] if this is intended",
        errors.UntrustedHostWarning,
        stacklevel=stacklevel + 1,
    )


def parse_allowed_hosts(hosts: object) -> frozenset[str]:
    """``allowed_hosts`` as lower-case host names (a str is one host)."""
    if hosts is None:
        return frozenset()
    items = [hosts] if isinstance(hosts, str) else hosts
    if not isinstance(items, (list, tuple, set, frozenset)) or not all(
        isinstance(item, str) and item.strip() for item in items
    ):
        raise errors.ConfigurationError(
            f"allowed_hosts must be a list of host names, got {hosts!r}"
        )
    return frozenset(item.strip().lower().rstrip(".") for item in items)


def parse_timeout(timeout: object) -> tuple[float, float]:
    if isinstance(timeout, tuple) and len(timeout) == 2:
        connect, read = (float(value) for value in timeout)
    elif isinstance(timeout, (int, float)) and not isinstance(timeout, bool):
        read = float(timeout)
        connect = min(DEFAULT_CONNECT_TIMEOUT, read)
    else:
        raise errors.ConfigurationError(
            f"timeout must be a number or a (connect, read) tuple, got {timeout!r}"
        )
    if not connect > 0 or not read > 0:
        raise errors.ConfigurationError(f"timeouts must be positive, got {timeout!r}")
    return connect, read


#: The dot segments of RFC 3986 (section 3.3): a server or proxy may resolve them.
_DOT_SEGMENTS = frozenset({".", ".."})


def encode_segment(segment: object) -> str:
    """Percent-encode one path segment so it stays exactly one segment on the wire.

    Only what a segment needs is encoded: ``/ ? # %``, spaces, ``@``, ``+`` and every other
    reserved or non-ASCII character. Unreserved characters (``A-Z a-z 0-9 - . _ ~``) go raw,
    as RFC 3986 says and as Softr's docs and n8n node send them: an e-mail in a Users API path
    reads ``jane.doe%40example.com`` (firewalls such as Spring Security's default refuse an
    encoded period). A segment that is exactly ``.`` or ``..`` would be a dot segment, so it is
    refused rather than sent.

    Raises:
        TypeError: a segment that is neither str nor int.
        ValueError: an empty segment, or ``.`` / ``..``.
    """
    if isinstance(segment, bool) or not isinstance(segment, (str, int)):
        raise TypeError(f"path segments must be str, not {type(segment).__name__}")
    text = str(segment)
    if not text:
        raise ValueError("empty path segment (an id or name was empty)")
    if text in _DOT_SEGMENTS:
        raise ValueError(f"{text!r} cannot be an id or a name: it is a dot segment of a URL path")
    return quote(text, safe="")


def encode_path(path: Sequence[str]) -> str:
    if isinstance(path, (str, bytes)):
        raise TypeError("path must be a sequence of segments, e.g. ['databases', database_id]")
    return "".join("/" + encode_segment(segment) for segment in path)


def encode_query(params: Mapping[str, str | int | bool | None] | None) -> str:
    pairs: list[tuple[str, str]] = []
    for name, value in (params or {}).items():
        if value is None:
            continue
        if isinstance(value, bool):
            pairs.append((name, "true" if value else "false"))
        elif isinstance(value, (str, int, float, Decimal)):
            pairs.append((name, str(value)))
        else:
            raise TypeError(f"query parameter {name!r} must be a scalar, got {value!r}")
    return urlencode(pairs, quote_via=quote)


def default_kind(method: str) -> Kind:
    if method in ("GET", "HEAD"):
        return "read"
    if method == "POST":
        return "create"
    return "write"


def scrub_exception(exc: BaseException, secret: Secret, header: str) -> None:
    """Remove the key from a ``requests`` exception (and all it links to) before chaining it.

    The prepared request's key header is overwritten in place, and frame locals of the
    tracebacks are cleared: deep in ``http.client`` they may hold the raw header bytes.
    Line numbers stay, so tracebacks still print.
    """
    for item in exception_chain(exc, context=True):
        for holder in (getattr(item, "request", None), getattr(item, "response", None)):
            request = getattr(holder, "request", holder)
            headers = getattr(request, "headers", None)
            if headers is not None and header in headers:
                headers[header] = "***"
        if item.__traceback__ is not None:
            traceback.clear_frames(item.__traceback__)


def redact(text: str, secret: Secret) -> str:
    """``text`` with every occurrence of the key replaced by ``***``: as is, JSON-escaped
    (``\\/``, ``\\u00XX``) or percent-encoded (``%XX``, ``+`` for a space), in any mix and case."""
    key = secret.reveal()
    if key in text:
        text = text.replace(key, "***")
    if "\\" not in text and "%" not in text and "+" not in text:
        return text
    return _key_pattern(key).sub("***", text)


@functools.lru_cache(maxsize=8)
def _key_pattern(key: str) -> re.Pattern[str]:
    """Each character of the key, as itself or escaped (escapes' hex digits in any case)."""
    parts = []
    for char in key:
        escapes = [
            re.escape(f"\\u{ord(char):04x}"),
            "".join(f"%{byte:02x}" for byte in char.encode()),
        ]
        if char == "/":
            escapes.append(re.escape("\\/"))
        if char == " ":
            escapes.append(re.escape("+"))
        parts.append(f"(?:{re.escape(char)}|(?i:{'|'.join(escapes)}))")
    return re.compile("".join(parts))


def has_control_characters(text: str) -> bool:
    """Whether ``text`` holds a C0 control character, DEL or a C1 control character."""
    return any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in text)


def check_header_value(name: str, value: object) -> str:
    """A header value that can go on the wire as is: a str of Latin-1 characters without
    control characters. Checked before the request is built, so no transport error (whose
    frames hold the key header) is ever raised for it.

    Raises:
        ConfigurationError: naming the header, not its value's bytes.
    """
    if not isinstance(value, str):
        raise errors.ConfigurationError(f"header {name} must be a str, not {type(value).__name__}")
    if has_control_characters(value):
        raise errors.ConfigurationError(f"header {name} holds control characters: {value!r}")
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise errors.ConfigurationError(
            f"header {name} holds characters HTTP headers cannot carry: {value!r} (encode a "
            "host name as IDNA, e.g. 'xn--r8jz45g.softr.app')"
        ) from None
    return value
