"""Reading a 2xx answer into what the call needs, or refusing it with a typed error.

A 2xx answer of the wrong shape must never become a silently wrong result (a created record
without an id, another record than asked for, an empty page). The session decodes the body
here and hands it to the call's ``expect`` reader; whatever cannot be read raises
:class:`~softr_orm.errors.UnexpectedResponse` with the status, the request and a cut of the
(redacted) body.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
import requests

from softr_orm import errors
from softr_orm.http import jsonutil

__all__ = ["BODY_CUT", "decode", "read_answer", "scrub_body"]

#: How much of a body an error keeps.
BODY_CUT = 2000


def read_answer(
    response: requests.Response,
    where: tuple[str, str, str],
    redact: Callable[[str], str],
    text_ok: bool,
    expect: Callable[[Any], Any] | None,
    typed: Callable[[bytes], Any] | None = None,
) -> Any:
    """The decoded body of a 2xx answer, read by ``expect`` when given.

    Args:
        response: the answer, its body read.
        where: the service's name, the request's method and path (for messages).
        redact: removes the credential from a text.
        text_ok: a body that is not JSON is returned as text rather than refused.
        expect: reads the decoded body into what the call needs, or raises
            UnexpectedResponse.
        typed: decodes the body into typed structs; a body that does not fit them (a
            ``msgspec.ValidationError``) is decoded as plain JSON instead.

    Raises:
        UnexpectedResponse: a body that is not JSON (unless ``text_ok``), nested too deeply to
            decode, or that ``expect`` refuses.
    """
    service, method, path = where
    decoded = _typed(response, typed) if typed is not None else _NOT_TYPED
    if decoded is _NOT_TYPED:
        decoded = decode(
            response, service=service, redact=redact, text_ok=text_ok, method=method, path=path
        )
    if expect is None:
        return decoded
    reason: str | None = None
    try:
        return expect(decoded)
    except errors.UnexpectedResponse as exc:
        reason = exc.message
    except RecursionError:
        pass
    # Raised here, outside the except block: the refused body (which may echo the key) must
    # stay neither in this frame's locals nor in a chained exception's frames.
    del decoded
    body = scrub_body(response, redact)[:BODY_CUT]
    if reason is None:
        raise _too_deep(response, service, method, path)
    raise errors.UnexpectedResponse(
        f"{service} answered {response.status_code} with a body this call cannot use: {reason}",
        status=response.status_code,
        method=method,
        path=path,
        body=body,
    )


_NOT_TYPED = object()


def _typed(response: requests.Response, typed: Callable[[bytes], Any]) -> Any:
    """The body through the typed decoder, or ``_NOT_TYPED`` when it is empty, is not of the
    decoder's type, or is not valid JSON (then the plain path decodes it, or says why not)."""
    content = response.content
    if response.status_code == 204 or not content:
        return _NOT_TYPED
    try:
        return typed(content)
    except (msgspec.DecodeError, RecursionError):  # ValidationError is a DecodeError
        return _NOT_TYPED


def scrub_body(response: requests.Response, redact: Callable[[str], str]) -> str:
    """Replace the response's body by its redacted text, and return that text.

    An exception raised about an answer keeps the response in its traceback's frame locals,
    where error trackers read it: the key echoed by the server must not be there.
    """
    text = redact(response.content.decode("utf-8", "replace"))
    response._content = text.encode("utf-8")
    return text


def decode(
    response: requests.Response,
    *,
    service: str,
    redact: Callable[[str], str],
    text_ok: bool,
    method: str,
    path: str,
) -> Any:
    """The JSON of a 2xx answer (None for 204 or an empty body; text where ``text_ok``)."""
    content = response.content
    if response.status_code == 204 or not content.strip():
        return None
    failure = "JSON nested too deeply to read"
    try:
        return jsonutil.loads(content)
    except RecursionError:
        pass
    except ValueError:
        failure = "a body that is not JSON"
    del content
    text = scrub_body(response, redact)
    if text_ok and failure.endswith("not JSON"):
        return text
    raise errors.UnexpectedResponse(
        f"{service} answered with {failure}",
        status=response.status_code,
        method=method,
        path=path,
        body=text[:BODY_CUT],
    )


def _too_deep(
    response: requests.Response, service: str, method: str, path: str
) -> errors.UnexpectedResponse:
    return errors.UnexpectedResponse(
        f"{service} answered with JSON nested too deeply to read",
        status=response.status_code,
        method=method,
        path=path,
        body=response.content[:200].decode("utf-8", "replace"),
    )
