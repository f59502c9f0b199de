"""The exception hierarchy of softr_orm.

Three families, so callers can decide what to do without parsing messages:

* :class:`APIError` and its subclasses: Softr answered with an error. One subclass per
  documented ``errorCode`` (falling back on the HTTP status when the body has none).
* :class:`TransportError`: Softr was never reached (DNS, refused connection, TLS, timeouts
  of reads). :class:`AmbiguousWriteError` is apart from both: a write may or may not have been
  applied, and the library will not guess.
* Local errors raised before any request: :class:`InvalidValue`, :class:`ReadOnlyField`,
  :class:`UnsupportedLookup`, :class:`FieldError`, :class:`ConfigurationError`.

Longer than ~500 lines on purpose: the whole hierarchy (and the mapping of error codes onto
it) reads best in one module, and every layer imports it.

No exception ever carries the API key: messages and attributes are built from the method,
the path, the status and Softr's error body only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "APIError",
    "AmbiguousWriteError",
    "BadRequest",
    "BulkError",
    "ConfigurationError",
    "ConstraintViolation",
    "FieldError",
    "FieldValidationError",
    "Forbidden",
    "InvalidValue",
    "MultipleObjectsReturned",
    "NotFound",
    "ObjectDoesNotExist",
    "PayloadTooLarge",
    "QueryError",
    "QuotaExceeded",
    "RateLimited",
    "ReadOnlyField",
    "RedirectRefused",
    "ResponseTooLarge",
    "SchemaError",
    "ServerError",
    "ServiceUnavailable",
    "SoftrError",
    "TransportError",
    "Unauthorized",
    "UnexpectedResponse",
    "UnknownField",
    "UnknownFieldName",
    "UnsupportedLookup",
    "UntrustedHostWarning",
    "build_error",
    "error_for_response",
    "read_error_body",
]


class SoftrError(Exception):
    """Base class of every error raised by softr_orm."""


class ConfigurationError(SoftrError, ValueError):
    """The library was set up wrongly: a missing key, an ``http://`` URL to a remote host."""


class UntrustedHostWarning(UserWarning):
    """The API key is about to go to an https host that is neither the service's own nor
    loopback, and that ``allowed_hosts`` does not name. Warned once per host and process."""


# --- Softr answered with an error -------------------------------------------------------


class APIError(SoftrError):
    """Softr answered with an error status.

    Attributes:
        status: the HTTP status code.
        error_code: Softr's ``errorCode`` (e.g. ``"VALIDATION_ERROR"``), or ``None``.
        message: Softr's ``message``, or the start of the raw body when it was not JSON.
        details: Softr's ``details`` object (free-form), ``{}`` when absent.
        trace_id: ``details.traceId`` when Softr sent one; quote it to Softr support.
        method, path: the request that failed (never the query string's secrets: there are none,
            and never headers).
    """

    default_code: str | None = None

    def __init__(
        self,
        message: str,
        *,
        status: int,
        error_code: str | None = None,
        details: Mapping[str, Any] | None = None,
        method: str | None = None,
        path: str | None = None,
        body: str | None = None,
    ) -> None:
        self.status = status
        self.error_code = error_code or self.default_code
        self.message = message
        self.details: dict[str, Any] = dict(details or {})
        trace = self.details.get("traceId")
        self.trace_id: str | None = str(trace) if trace is not None else None
        self.method = method
        self.path = path
        self.body = body
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = f"{self.method} {self.path}: " if self.method and self.path else ""
        code = f" {self.error_code}" if self.error_code else ""
        trace = f" (trace {self.trace_id})" if self.trace_id else ""
        return f"{where}{self.status}{code}: {self.message}{trace}"

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild_api_error,
            (
                type(self),
                self.message,
                self.status,
                self.error_code,
                self.details,
                self.method,
                self.path,
                self.body,
            ),
        )


def _rebuild_api_error(
    cls: type[APIError],
    message: str,
    status: int,
    error_code: str | None,
    details: dict[str, Any],
    method: str | None,
    path: str | None,
    body: str | None,
) -> APIError:
    return cls(
        message,
        status=status,
        error_code=error_code,
        details=details,
        method=method,
        path=path,
        body=body,
    )


class BadRequest(APIError):
    """400 ``BAD_REQUEST``: malformed request, or deleting a non-empty database/table."""

    default_code = "BAD_REQUEST"


class FieldValidationError(BadRequest):
    """400 ``VALIDATION_ERROR``: Softr refused a field value. ``details`` may name the field."""

    default_code = "VALIDATION_ERROR"

    @property
    def field_id(self) -> str | None:
        value = self.details.get("fieldId")
        return str(value) if value is not None else None


class UnknownField(BadRequest):
    """400 ``UNKNOWN_FIELD``: the request named a field the table does not have."""

    default_code = "UNKNOWN_FIELD"


class Unauthorized(APIError):
    """401 ``UNAUTHORIZED``: the API key is missing, wrong or expired."""

    default_code = "UNAUTHORIZED"


class QuotaExceeded(APIError):
    """402 ``QUOTA_EXCEEDED``: a plan limit was reached (e.g. the record quota)."""

    default_code = "QUOTA_EXCEEDED"


class Forbidden(APIError):
    """403 ``FORBIDDEN``: the token may not touch this workspace or resource."""

    default_code = "FORBIDDEN"


class NotFound(APIError):
    """404 ``RESOURCE_NOT_FOUND``: no such database, table, field, record or view."""

    default_code = "RESOURCE_NOT_FOUND"


class ConstraintViolation(APIError):
    """409 ``CONSTRAINT_VIOLATION``: e.g. a duplicate of a unique value."""

    default_code = "CONSTRAINT_VIOLATION"


class PayloadTooLarge(APIError):
    """413 ``PAYLOAD_TOO_LARGE``: the request body was over 64 MB."""

    default_code = "PAYLOAD_TOO_LARGE"


class RateLimited(APIError):
    """429 ``TOO_MANY_REQUESTS``, raised once the retries are spent.

    ``retry_after`` holds the server's ``Retry-After`` in seconds when it sent one.
    """

    default_code = "TOO_MANY_REQUESTS"
    retry_after: float | None = None


class ServiceUnavailable(APIError):
    """503 ``SERVICE_UNAVAILABLE``, raised once the retries are spent."""

    default_code = "SERVICE_UNAVAILABLE"
    retry_after: float | None = None


class ServerError(APIError):
    """Any other 5xx: a fault on Softr's side that is not a documented outage."""


class RedirectRefused(APIError):
    """A 3xx answer. Redirects are never followed, so the API key never reaches another host."""


class UnexpectedResponse(APIError, ValueError):
    """A 2xx answer that is not what the call needs: a record without an id, another record
    than the one asked for, an empty body where a page belongs, a page that repeats.

    Raised instead of returning a silently wrong result. ``status`` is the answer's status and
    ``body`` the start of its (redacted) body. Also a ``ValueError``, as it was before it
    became an :class:`APIError`.
    """

    def __init__(self, message: str, *, status: int = 200, **context: Any) -> None:
        # The status defaults to 200: readers of an answer raise this before the session
        # adds the real status, the request and the body.
        super().__init__(message, status=status, **context)

    def _describe(self) -> str:
        text = super()._describe()
        if self.body:
            cut = self.body if len(self.body) <= 200 else self.body[:200] + "..."
            text += f" (body: {cut})"
        elif self.body is not None or self.method:
            text += " (empty body)"
        return text


class ResponseTooLarge(UnexpectedResponse):
    """An answer larger than the session's ``max_response_bytes`` (default 64 MiB), counted
    after decompression. It was refused without being read whole."""


_BY_CODE: dict[str, type[APIError]] = {
    "BAD_REQUEST": BadRequest,
    "VALIDATION_ERROR": FieldValidationError,
    "UNKNOWN_FIELD": UnknownField,
    "UNAUTHORIZED": Unauthorized,
    "QUOTA_EXCEEDED": QuotaExceeded,
    "FORBIDDEN": Forbidden,
    "RESOURCE_NOT_FOUND": NotFound,
    "CONSTRAINT_VIOLATION": ConstraintViolation,
    "PAYLOAD_TOO_LARGE": PayloadTooLarge,
    "TOO_MANY_REQUESTS": RateLimited,
    "SERVICE_UNAVAILABLE": ServiceUnavailable,
}

_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequest,
    401: Unauthorized,
    402: QuotaExceeded,
    403: Forbidden,
    404: NotFound,
    409: ConstraintViolation,
    413: PayloadTooLarge,
    429: RateLimited,
    503: ServiceUnavailable,
}


def error_class(status: int, error_code: str | None) -> type[APIError]:
    """The exception class for a status and ``errorCode``: the code wins, then the status."""
    if error_code and error_code in _BY_CODE:
        return _BY_CODE[error_code]
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if 300 <= status < 400:
        return RedirectRefused
    if status >= 500:
        return ServerError
    return APIError


def read_error_body(text: str) -> Any:
    """The JSON of an error answer's body, or None when it is none, not JSON, or nested too
    deeply to read (an error about an error must not raise a builtin one)."""
    try:
        return json.loads(text) if text else None
    except (ValueError, RecursionError):
        return None


def build_error(
    cls: type[APIError],
    message: str,
    *,
    status: int,
    error_code: str | None,
    details: Mapping[str, Any] | None,
    method: str | None,
    path: str | None,
    body: str,
    retry_after: float | None,
) -> APIError:
    """The exception of class ``cls`` for an error answer, whichever service's format its
    body had: the body kept (cut at 2,000 characters), ``Retry-After`` on the classes that
    retry."""
    error = cls(
        message,
        status=status,
        error_code=error_code,
        details=details,
        method=method,
        path=path,
        body=body[:2000] or None,
    )
    if retry_after is not None and isinstance(error, (RateLimited, ServiceUnavailable)):
        error.retry_after = retry_after
    return error


def error_for_response(
    status: int,
    body: bytes | str | None,
    *,
    method: str | None = None,
    path: str | None = None,
    retry_after: float | None = None,
) -> APIError:
    """Build the exception for an error answer from its status and (possibly non-JSON) body."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
    message: str | None = None
    code: str | None = None
    details: Mapping[str, Any] | None = None
    parsed = read_error_body(text)
    if isinstance(parsed, dict):
        raw_message = parsed.get("message")
        if isinstance(raw_message, str):
            message = raw_message
        elif isinstance(raw_message, list):  # some gateways send a list of messages
            message = "; ".join(str(m) for m in raw_message)
        raw_code = parsed.get("errorCode")
        code = raw_code if isinstance(raw_code, str) else None
        raw_details = parsed.get("details")
        details = raw_details if isinstance(raw_details, dict) else None
    if message is None:
        snippet = " ".join(text.split())[:200]
        message = snippet or f"HTTP {status} with an empty body"
    return build_error(
        error_class(status, code),
        message,
        status=status,
        error_code=code,
        details=details,
        method=method,
        path=path,
        body=text,
        retry_after=retry_after,
    )


# --- Softr was not reached, or we cannot know ---------------------------------------------


class TransportError(SoftrError):
    """The request never got an answer from Softr: DNS, refused connection, TLS, a timeout.

    For reads this is raised after the retries are spent. ``method`` and ``path`` name the
    request; the original exception is chained as ``__cause__``.
    """

    def __init__(self, message: str, *, method: str | None = None, path: str | None = None):
        self.method = method
        self.path = path
        super().__init__(f"{method} {path}: {message}" if method and path else message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_transport, (type(self), self.args[0], self.method, self.path))


def _rebuild_transport(
    cls: type[TransportError], text: str, method: str | None, path: str | None
) -> TransportError:
    error = cls.__new__(cls)
    SoftrError.__init__(error, text)
    error.method = method
    error.path = path
    return error


class AmbiguousWriteError(TransportError):
    """A write (create, update or delete) may or may not have been applied.

    Raised instead of sending again a write whose attempt may have reached the service (a read
    timeout, a connection dropped after sending): a repeated create could duplicate the record,
    and a repeated update could be overtaken by the first attempt landing late, overwriting a
    later save. The ORM first tries to prove the outcome (see ``docs/reliability.md``); this
    error means it could not.

    Attributes:
        method: the HTTP method of the write (``"POST"``, ``"PATCH"``, ``"DELETE"``, ...).
        path: the request path.
        record_id: the record written, when known (None for a create).
        fields: the fields sent, by model attribute name; empty for a delete, and when the
            session raised it for a call made without the ORM (``session.api...``).
    """

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        path: str | None = None,
        record_id: str | None = None,
        fields: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message, method=method, path=path)
        self.record_id = record_id
        self.fields: dict[str, Any] = dict(fields or {})

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild_ambiguous,
            (type(self), self.args[0], self.method, self.path, self.record_id, self.fields),
        )


def _rebuild_ambiguous(
    cls: type[AmbiguousWriteError],
    text: str,
    method: str | None,
    path: str | None,
    record_id: str | None,
    fields: dict[str, Any],
) -> AmbiguousWriteError:
    error = _rebuild_transport(cls, text, method, path)
    assert isinstance(error, AmbiguousWriteError)
    error.record_id = record_id
    error.fields = fields
    return error


# --- Local errors, raised before any request ----------------------------------------------


def _short(value: object, limit: int = 80) -> str:
    if isinstance(value, int) and value.bit_length() > 256:
        # repr() of a huge int is slow, and over 4300 digits it raises ValueError.
        return f"<int of {value.bit_length()} bits>"
    try:
        text = repr(value)
    except (ValueError, RecursionError):
        return f"<{type(value).__name__} that cannot be shown>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


class InvalidValue(SoftrError, ValueError):
    """A value cannot be written to a field. Names the model, the field and the value."""

    def __init__(self, model: str, field: str, value: object, reason: str) -> None:
        self.model = model
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{model}.{field}: {reason} (got {_short(value)})")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.model, self.field, self.value, self.reason))


class ReadOnlyField(SoftrError, AttributeError):
    """A read-only field (formula, lookup, created-at, ...) was assigned or written."""

    def __init__(self, model: str, field: str, value: object = None) -> None:
        self.model = model
        self.field = field
        self.value = value
        super().__init__(f"{model}.{field} is read-only; it cannot be set (got {_short(value)})")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.model, self.field, self.value))


class FieldError(SoftrError, ValueError):
    """A field name that the model does not have (in ``Model(...)``, a filter, ``values()``)."""

    def __init__(self, model: str, name: str, choices: Iterable[str] = ()) -> None:
        self.model = model
        self.name = name
        self.choices = sorted(choices)
        hint = f"; fields are: {', '.join(self.choices)}" if self.choices else ""
        super().__init__(f"{model} has no field {name!r}{hint}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.model, self.name, self.choices))


class UnknownFieldName(FieldError, TypeError):
    """``Model(...)`` got a keyword that is not a field; a TypeError too, as in Django."""


class UnsupportedLookup(SoftrError, ValueError):
    """A lookup that the field's type cannot support, e.g. ``gt`` on a checkbox."""

    def __init__(self, model: str, field: str, lookup: str, supported: Iterable[str]) -> None:
        self.model = model
        self.field = field
        self.lookup = lookup
        self.supported = sorted(supported)
        super().__init__(
            f"{model}.{field} does not support the lookup {lookup!r}; "
            f"supported: {', '.join(self.supported)}"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.model, self.field, self.lookup, self.supported))


class QueryError(SoftrError, ValueError):
    """A query that cannot be expressed in Softr's search grammar (e.g. nested too deeply)."""


class SchemaError(SoftrError):
    """The live schema does not have what a model needs (a table or field name not found)."""


class BulkError(SoftrError):
    """Some records of a bulk write failed or have an unknown outcome; ``result`` says which.

    Raised by ``BulkResult.raise_for_failures()``; a bulk write itself never raises for a
    single record, so that no outcome is lost.
    """

    def __init__(self, result: Any) -> None:
        self.result = result
        failed: dict[str, Exception] = result.failed
        unknown: dict[str, Exception] = getattr(result, "unknown", {})
        parts = []
        if failed:
            parts.append(f"{len(failed)} of {result.total} records failed")
        if unknown:
            parts.append(f"{len(unknown)} of {result.total} records have an unknown outcome")
        first_id, first_error = next(iter({**failed, **unknown}.items()))
        super().__init__(f"{'; '.join(parts)} (first: {first_id}: {first_error})")


class ObjectDoesNotExist(SoftrError, LookupError):
    """Base of every ``Model.DoesNotExist``: ``get()`` matched no record."""


class MultipleObjectsReturned(SoftrError, LookupError):
    """Base of every ``Model.MultipleObjectsReturned``: ``get()`` matched several records."""
