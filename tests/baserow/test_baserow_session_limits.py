"""``BaserowSession``'s ``max_response_bytes`` and ``allowed_hosts`` (as Softr's ``Session``),
with ``responses`` only: no network.

Baserow may be self-hosted anywhere, so the host of ``base_url`` is always trusted (exactly,
not its subdomains); a call sent to any other host that is neither loopback nor in
``allowed_hosts`` warns once per host and process. The token never shows in a warning or an
exception message.
"""

from __future__ import annotations

import itertools
import json
import warnings
from typing import Any

import pytest
import responses

from softr_orm import errors
from softr_orm.backends.baserow import BaserowSession
from softr_orm.http.deadline import DEFAULT_MAX_RESPONSE_BYTES

TOKEN = "brtok-" + "k" * 26
JWT = "jwt-" + "j" * 28
PASSWORD = "pw-" + "p" * 20
_unique = itertools.count(1)


def _host(stem: str) -> str:
    """A host name no other test warned about yet (warnings are once per host and process)."""
    return f"{stem}-{next(_unique)}.example.org"


def _no_secret(text: str) -> None:
    for secret in (TOKEN, JWT, PASSWORD):
        assert secret not in text


def test_max_response_bytes_defaults_to_64_mib_and_is_checked() -> None:
    assert DEFAULT_MAX_RESPONSE_BYTES == 64 * 1024 * 1024
    assert BaserowSession(TOKEN).max_response_bytes == DEFAULT_MAX_RESPONSE_BYTES
    assert BaserowSession(TOKEN, max_response_bytes=1000).max_response_bytes == 1000
    for bad in (0, -1, True, "10"):
        with pytest.raises(errors.ConfigurationError, match="max_response_bytes"):
            BaserowSession(TOKEN, max_response_bytes=bad)


@responses.activate
def test_an_answer_over_the_limit_is_refused_for_the_token_and_the_jwt() -> None:
    url = "https://" + _host("big")
    big = {"results": ["x" * 4000], "note": TOKEN}  # even an echo of the token stays out
    responses.get(f"{url}/api/database/rows/table/1/", json=big)
    responses.post(f"{url}/api/user/token-auth/", json={"access_token": JWT})
    responses.get(f"{url}/api/database/tables/database/1/", json=[{"name": "t" * 4000}])
    session = BaserowSession(
        TOKEN, base_url=url, email="a@b.c", password=PASSWORD, max_response_bytes=1024
    )
    with pytest.raises(errors.ResponseTooLarge) as caught:
        session.request("GET", ["database", "rows", "table", "1"])
    _no_secret(str(caught.value))
    _no_secret(repr(caught.value))
    with pytest.raises(errors.ResponseTooLarge) as caught:
        session.schema_request("GET", ["database", "tables", "database", "1"])
    _no_secret(str(caught.value))
    roomy = BaserowSession(TOKEN, base_url=url, max_response_bytes=1024 * 1024)
    assert roomy.request("GET", ["database", "rows", "table", "1"])["results"]


def test_the_base_urls_host_is_trusted_wherever_it_is() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        BaserowSession(TOKEN)  # Baserow Cloud
        BaserowSession(TOKEN, base_url="https://" + _host("selfhosted"))
        BaserowSession(TOKEN, base_url="http://127.0.0.1:8000")
        BaserowSession(TOKEN, base_url="http://localhost:8000", email="a@b.c", password="x")


@responses.activate
def test_a_call_to_another_host_warns_once_without_the_token() -> None:
    home, other = "https://" + _host("home"), _host("elsewhere")
    responses.get(f"https://{other}/api/database/rows/table/1/", json={"results": []})
    session = BaserowSession(TOKEN, base_url=home)
    with pytest.warns(errors.UntrustedHostWarning) as caught:
        session.request("GET", ["database", "rows", "table", "1"], base_url=f"https://{other}/api")
    assert len(caught) == 1
    message = str(caught[0].message)
    assert other in message and "allowed_hosts" in message
    _no_secret(message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per host
        session.request("GET", ["database", "rows", "table", "1"], base_url=f"https://{other}/api")


@responses.activate
def test_a_subdomain_of_the_base_url_is_not_trusted() -> None:
    home = _host("parent")
    responses.get(f"https://evil.{home}/api/x/", json={})
    session = BaserowSession(TOKEN, base_url=f"https://{home}")
    with pytest.warns(errors.UntrustedHostWarning, match=f"evil.{home}"):
        session.request("GET", ["x"], base_url=f"https://evil.{home}/api")


@responses.activate
def test_allowed_hosts_silence_the_warning_and_are_case_insensitive() -> None:
    other = _host("mirror")
    responses.get(f"https://{other}/api/x/", json={})
    session = BaserowSession(
        TOKEN, base_url="https://" + _host("main"), allowed_hosts=[other.upper()]
    )
    assert other in session.allowed_hosts
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        session.request("GET", ["x"], base_url=f"https://{other}/api")
    with pytest.raises(errors.ConfigurationError, match="allowed_hosts"):
        BaserowSession(TOKEN, allowed_hosts=[3])  # type: ignore[list-item]


def test_from_env_reads_allowed_hosts_and_keeps_working() -> None:
    host = _host("env")
    env = {
        "BASEROW_TOKEN": TOKEN,
        "BASEROW_URL": f"https://{host}",
        "BASEROW_ALLOWED_HOSTS": " a.example , , b.example ",
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        session = BaserowSession.from_env(env)
    assert session.base_url == f"https://{host}"
    assert session.allowed_hosts == frozenset({"a.example", "b.example"})
    assert session.max_response_bytes == DEFAULT_MAX_RESPONSE_BYTES
    explicit = BaserowSession.from_env(env, allowed_hosts=["c.example"], max_response_bytes=99)
    assert explicit.allowed_hosts == frozenset({"c.example"})
    assert explicit.max_response_bytes == 99
    plain = BaserowSession.from_env({"BASEROW_TOKEN": TOKEN})
    assert plain.allowed_hosts == frozenset() and plain.base_url == "https://api.baserow.io"


@responses.activate
def test_a_redirect_elsewhere_is_refused_and_its_error_holds_no_secret() -> None:
    url, other = "https://" + _host("redirecting"), _host("target")
    responses.get(
        f"{url}/api/database/rows/table/1/",
        status=302,
        headers={"Location": f"https://{other}/steal?token={TOKEN}"},
        body=json.dumps({"detail": f"moved; Token {TOKEN}"}),
    )
    responses.post(f"{url}/api/user/token-auth/", json={"access_token": JWT})
    responses.get(
        f"{url}/api/database/tables/database/1/",
        status=401,
        json={"error": "ERROR_INVALID_TOKEN_HEADER", "detail": f"bad JWT {JWT}"},
    )
    session = BaserowSession(TOKEN, base_url=url, email="a@b.c", password=PASSWORD)
    with pytest.raises(errors.RedirectRefused) as caught:
        session.request("GET", ["database", "rows", "table", "1"])
    assert not [c for c in responses.calls if other in c.request.url]
    _no_secret(str(caught.value))
    _no_secret(repr(caught.value))
    with pytest.raises(errors.Unauthorized) as unauthorized:
        session.schema_request("GET", ["database", "tables", "database", "1"])
    _no_secret(str(unauthorized.value))
    body: Any = getattr(unauthorized.value, "body", "") or ""
    _no_secret(str(body))
