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

import requests

from softr_orm import errors
from softr_orm.http import jsonutil

__all__ = ["BODY_CUT", "decode", "read_answer"]

#: How much of a body an error keeps.
BODY_CUT = 2000


def read_answer(
    response: requests.Response,
    *,
    service: str,
    redact: Callable[[str], str],
    text_ok: bool,
    method: str,
    path: str,
    expect: Callable[[Any], Any] | None,
) -> Any:
    """The decoded body of a 2xx answer, read by ``expect`` when given.

    Raises:
        UnexpectedResponse: a body that is not JSON (unless ``text_ok``), nested too deeply to
            decode, or that ``expect`` refuses.
    """
    decoded = decode(
        response, service=service, redact=redact, text_ok=text_ok, method=method, path=path
    )
    if expect is None:
        return decoded
    try:
        return expect(decoded)
    except errors.UnexpectedResponse as exc:
        raise errors.UnexpectedResponse(
            f"{service} answered {response.status_code} with a body this call cannot use: "
            f"{exc.message}",
            status=response.status_code,
            method=method,
            path=path,
            body=_cut(response, redact),
        ) from None
    except RecursionError:
        raise _too_deep(response, service, redact, method, path) from None


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
    try:
        return jsonutil.loads(content)
    except RecursionError:
        raise _too_deep(response, service, redact, method, path) from None
    except ValueError:
        text = redact(content.decode("utf-8", "replace"))
        if text_ok:
            return text
        raise errors.UnexpectedResponse(
            f"{service} answered with a body that is not JSON",
            status=response.status_code,
            method=method,
            path=path,
            body=text[:BODY_CUT],
        ) from None


def _cut(response: requests.Response, redact: Callable[[str], str]) -> str:
    # Redact before cutting: a cut through the key would leave its start unredacted.
    return redact(response.content.decode("utf-8", "replace"))[:BODY_CUT]


def _too_deep(
    response: requests.Response,
    service: str,
    redact: Callable[[str], str],
    method: str,
    path: str,
) -> errors.UnexpectedResponse:
    return errors.UnexpectedResponse(
        f"{service} answered with JSON nested too deeply to read",
        status=response.status_code,
        method=method,
        path=path,
        body=_cut(response, redact)[:200],
    )
