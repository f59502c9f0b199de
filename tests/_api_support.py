"""Shared helpers for the endpoint-layer tests (api, users, errors): a real Session over
``responses`` mocks, and readers for what was sent."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import responses

from softr_orm import Session

BASE = "https://tables-api.softr.io/api/v1"
USERS_BASE = "https://studio-api.softr.io/v1/api"
APP_DOMAIN = "myapp.softr.app"
APP_BASE = f"https://{APP_DOMAIN}/v1/api"
KEY = "test-key"

NO_BODY = object()


def make_session(**kw: Any) -> Session:
    """The session every endpoint test uses: no rate limiting, no retries (so no sleeping)."""
    kw.setdefault("max_retries", 0)
    return Session(api_key=KEY, base_url=BASE, rate_limit=False, **kw)


def url_pattern(url: str) -> re.Pattern[str]:
    """Match ``url`` exactly, with any (or no) query string; ``""`` matches any URL."""
    if not url:
        return re.compile(r".*")
    return re.compile(re.escape(url) + r"(\?.*)?$")


def add(
    rsps: responses.RequestsMock,
    method: str,
    url: str,
    *,
    json_body: Any = None,
    status: int = 200,
    body: str | None = None,
    headers: dict[str, str] | None = None,
) -> None:
    """Register one answer; ``json_body=None`` and ``body=None`` give an empty body."""
    if json_body is not None:
        rsps.add(method, url_pattern(url), json=json_body, status=status, headers=headers)
    else:
        rsps.add(method, url_pattern(url), body=body or "", status=status, headers=headers)


def segments(request: Any) -> list[str]:
    """The request path split on ``/`` with each segment percent-decoded."""
    return [unquote(s) for s in urlsplit(request.url).path.split("/")[1:]]


def raw_path(request: Any) -> str:
    return str(urlsplit(request.url).path)


def origin(request: Any) -> str:
    parts = urlsplit(request.url)
    return f"{parts.scheme}://{parts.netloc}"


def query(request: Any) -> dict[str, str]:
    """The query string as a flat dict (every test parameter appears once)."""
    parsed = parse_qs(urlsplit(request.url).query, keep_blank_values=True)
    assert all(len(v) == 1 for v in parsed.values()), parsed
    return {k: v[0] for k, v in parsed.items()}


def sent_json(request: Any) -> Any:
    """The decoded JSON body, or ``NO_BODY`` when nothing was sent."""
    body = request.body
    if body is None or body in (b"", ""):
        return NO_BODY
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    return json.loads(body)


def table_json(**over: Any) -> dict[str, Any]:
    """A Table object as the API returns it."""
    data: dict[str, Any] = {
        "id": "tbl1",
        "name": "Tickets",
        "description": None,
        "primaryFieldId": "f1",
        "defaultViewId": "v1",
        "fields": [
            field_json(id="f1", name="Subject", type="SINGLE_LINE_TEXT"),
            field_json(
                id="f2",
                name="Status",
                type="SELECT",
                options={
                    "choices": [{"id": "c1", "label": "Open"}, {"id": "c2", "label": "Closed"}]
                },
            ),
            field_json(
                id="f3", name="Total", type="FORMULA", options={"formula": "1", "isValid": True}
            ),
        ],
        "createdAt": "2026-04-10T08:00:00.000Z",
        "updatedAt": "2026-04-10T08:00:00Z",
    }
    data.update(over)
    return data


def field_json(**over: Any) -> dict[str, Any]:
    """A TableField object as the API returns it."""
    data: dict[str, Any] = {
        "id": "f9",
        "name": "Estimate",
        "description": None,
        "type": "NUMBER",
        "options": {"precision": 1},
        "allowMultipleEntries": False,
        "readonly": False,
        "required": False,
        "locked": False,
        "defaultValue": None,
        "aiOptions": None,
        "createdAt": "2026-04-10T08:00:00Z",
        "updatedAt": "2026-04-10T08:00:00.123Z",
    }
    data.update(over)
    return data


def database_json(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "db1",
        "name": "CRM",
        "description": None,
        "workspaceId": "ws1",
        "tablesCount": 2,
        "createdAt": "2026-01-12T09:30:00.000Z",
        "updatedAt": "2026-03-02T16:05:11Z",
    }
    data.update(over)
    return data


def record_json(rid: str = "rec1", **fields: Any) -> dict[str, Any]:
    return {
        "id": rid,
        "tableId": "tbl1",
        "fields": fields or {"f1": "Printer on fire"},
        "createdAt": "2026-04-11T07:59:03.000Z",
        "updatedAt": "2026-04-11T08:12:44.000Z",
    }
