"""Error answers -> exception classes, through the whole stack (SoftrAPI -> Session -> HTTP)."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
import responses
from _api_support import BASE, add, make_session

from softr_orm import constants, errors
from softr_orm.backends.softr.endpoints import SoftrAPI

DB_URL = f"{BASE}/databases/db1"

EXPECTED_CLASS: dict[str, type[errors.APIError]] = {
    "BAD_REQUEST": errors.BadRequest,
    "VALIDATION_ERROR": errors.FieldValidationError,
    "UNKNOWN_FIELD": errors.UnknownField,
    "UNAUTHORIZED": errors.Unauthorized,
    "QUOTA_EXCEEDED": errors.QuotaExceeded,
    "FORBIDDEN": errors.Forbidden,
    "RESOURCE_NOT_FOUND": errors.NotFound,
    "CONSTRAINT_VIOLATION": errors.ConstraintViolation,
    "PAYLOAD_TOO_LARGE": errors.PayloadTooLarge,
    "TOO_MANY_REQUESTS": errors.RateLimited,
    "SERVICE_UNAVAILABLE": errors.ServiceUnavailable,
}


@pytest.fixture
def api() -> SoftrAPI:
    return SoftrAPI(make_session())


@pytest.fixture
def rsps() -> Any:
    with responses.RequestsMock() as mock:
        yield mock


def test_mapping_covers_every_documented_code() -> None:
    """The expectation table here names every code in constants.ERROR_CODES."""
    assert set(EXPECTED_CLASS) == set(constants.ERROR_CODES)


@pytest.mark.parametrize("code", sorted(constants.ERROR_CODES))
def test_every_error_code_maps_to_its_class(api: SoftrAPI, rsps: Any, code: str) -> None:
    """Each errorCode, at its documented status, raises its class with all details."""
    status = constants.ERROR_CODES[code]
    body = {
        "message": f"something about {code}",
        "errorCode": code,
        "details": {"fieldId": "aMt9k", "traceId": "2b9f0c7e-1d"},
    }
    add(rsps, "GET", DB_URL, json_body=body, status=status)
    with pytest.raises(errors.APIError) as info:
        api.get_database("db1")
    err = info.value
    assert type(err) is EXPECTED_CLASS[code]
    assert err.status == status
    assert err.error_code == code
    assert err.message == f"something about {code}"
    assert err.details == {"fieldId": "aMt9k", "traceId": "2b9f0c7e-1d"}
    assert err.trace_id == "2b9f0c7e-1d"
    assert "2b9f0c7e-1d" in str(err)
    assert "test-key" not in str(err) and "test-key" not in repr(err.__dict__)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, errors.BadRequest),
        (401, errors.Unauthorized),
        (402, errors.QuotaExceeded),
        (403, errors.Forbidden),
        (404, errors.NotFound),
        (409, errors.ConstraintViolation),
        (413, errors.PayloadTooLarge),
        (429, errors.RateLimited),
        (503, errors.ServiceUnavailable),
    ],
)
def test_fallback_by_status_without_error_code(
    api: SoftrAPI, rsps: Any, status: int, cls: type[errors.APIError]
) -> None:
    """Pre-2026 bodies carry only ``message``: the status picks the class."""
    add(rsps, "GET", DB_URL, json_body={"message": "old style"}, status=status)
    with pytest.raises(cls) as info:
        api.get_database("db1")
    assert info.value.status == status
    assert info.value.message == "old style"
    assert info.value.details == {} and info.value.trace_id is None


def test_code_wins_over_status(api: SoftrAPI, rsps: Any) -> None:
    """A 400 carrying UNKNOWN_FIELD is an UnknownField (also a BadRequest)."""
    add(rsps, "GET", DB_URL, json_body={"errorCode": "UNKNOWN_FIELD", "message": "x"}, status=400)
    with pytest.raises(errors.UnknownField) as info:
        api.get_database("db1")
    assert isinstance(info.value, errors.BadRequest)


def test_validation_error_field_id(api: SoftrAPI, rsps: Any) -> None:
    """FieldValidationError exposes details.fieldId."""
    body = {"errorCode": "VALIDATION_ERROR", "message": "bad", "details": {"fieldId": "f1"}}
    add(rsps, "POST", f"{BASE}/databases/db1/tables/t1/records", json_body=body, status=400)
    with pytest.raises(errors.FieldValidationError) as info:
        api.create_record("db1", "t1", {"f1": "x"})
    assert info.value.field_id == "f1"


def test_html_proxy_page(api: SoftrAPI, rsps: Any) -> None:
    """A non-JSON (HTML) error page gives a readable message from its text."""
    html = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    add(rsps, "GET", DB_URL, body=html, status=502, headers={"Content-Type": "text/html"})
    with pytest.raises(errors.ServerError) as info:
        api.get_database("db1")
    err = info.value
    assert err.status == 502 and err.error_code is None
    assert "502 Bad Gateway" in err.message
    assert err.details == {}


def test_empty_error_body(api: SoftrAPI, rsps: Any) -> None:
    """An empty 404 body still gives NotFound with a message naming the status."""
    add(rsps, "GET", DB_URL, status=404)
    with pytest.raises(errors.NotFound) as info:
        api.get_database("db1")
    assert "404" in info.value.message


@pytest.mark.parametrize("status", [500, 502, 504])
def test_other_5xx_is_server_error(api: SoftrAPI, rsps: Any, status: int) -> None:
    """5xx other than 503 raise ServerError (not ServiceUnavailable)."""
    add(rsps, "GET", DB_URL, json_body={"message": "boom"}, status=status)
    with pytest.raises(errors.ServerError) as info:
        api.get_database("db1")
    assert not isinstance(info.value, errors.ServiceUnavailable)
    assert info.value.status == status


def test_error_names_method_and_path(api: SoftrAPI, rsps: Any) -> None:
    """The exception says which request failed."""
    add(rsps, "DELETE", DB_URL, json_body={"message": "has tables"}, status=400)
    with pytest.raises(errors.BadRequest) as info:
        api.delete_database("db1")
    assert info.value.method == "DELETE"
    assert info.value.path is not None and "databases/db1" in info.value.path


def test_unknown_code_with_known_status(api: SoftrAPI, rsps: Any) -> None:
    """A future errorCode falls back to the class of its status, keeping the code."""
    add(rsps, "GET", DB_URL, json_body={"errorCode": "NEW_THING", "message": "m"}, status=409)
    with pytest.raises(errors.ConstraintViolation) as info:
        api.get_database("db1")
    assert info.value.error_code == "NEW_THING"


def test_users_api_errors_map_too(rsps: Any) -> None:
    """Users Management API errors use the same mapping."""
    api = SoftrAPI(make_session())
    add(rsps, "POST", "", json_body={"message": "bad domain"}, status=401)
    with pytest.raises(errors.Unauthorized):
        api.invite_user("myapp.softr.app", "a@x.io")


def test_api_errors_pickle() -> None:
    """Errors survive pickling (e.g. across worker processes) with all attributes."""
    err = errors.error_for_response(
        404,
        b'{"message":"no","errorCode":"RESOURCE_NOT_FOUND","details":{"traceId":"t1"}}',
        method="GET",
        path="/databases/x",
    )
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is errors.NotFound
    assert (copy.status, copy.error_code, copy.trace_id, copy.path) == (
        404,
        "RESOURCE_NOT_FOUND",
        "t1",
        "/databases/x",
    )


def test_ambiguous_write_error_carries_what_was_sent_and_pickles() -> None:
    """AmbiguousWriteError names method, record id and the fields sent, also after pickling;
    it is a TransportError."""
    err = errors.AmbiguousWriteError(
        "PATCH /r/rec1: may or may not",
        method="PATCH",
        path="/r/rec1",
        record_id="rec1",
        fields={"score": 2},
    )
    copy = pickle.loads(pickle.dumps(err))
    for e in (err, copy):
        assert isinstance(e, errors.TransportError)
        assert (e.method, e.path, e.record_id, e.fields) == (
            "PATCH",
            "/r/rec1",
            "rec1",
            {"score": 2},
        )
        assert str(e) == str(err)
    bare = errors.AmbiguousWriteError("lost", method="POST", path="/records")
    assert bare.record_id is None and bare.fields == {}
