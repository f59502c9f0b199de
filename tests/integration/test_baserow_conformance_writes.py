"""Writes through the emulator's Baserow face against a real Baserow: value round trips,
PATCH, DELETE and the all-or-nothing batch endpoints (baserow-api.md §3.4-3.8, §4.4).

Both servers get the same tables and the same requests in the same order, so row ids agree;
see ``test_baserow_conformance.py`` for how answers are compared. Error leaves are compared
by their ``code`` (messages of value checks the store makes are its own).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from baserow_targets import Target, baserow_env_or_skip, normalise, same, targets_for

from softr_orm.emulator import Emulator

pytestmark = pytest.mark.integration

NAMES = "?user_field_names=true"


@pytest.fixture(scope="session")
def baserow_env() -> dict[str, str] | None:
    return baserow_env_or_skip()


@pytest.fixture(scope="module")
def writers(baserow_env: dict[str, str] | None) -> Iterator[list[Target]]:
    """Tables the tests write to (on both servers, in the same order)."""
    with Emulator() as emu:
        for targets in targets_for(emu, baserow_env):
            for target in targets:
                answer = target.request(
                    "POST",
                    target.rows("Owners") + "batch/" + NAMES,
                    json={"items": [{"Name": "Ann"}, {"Name": "Bob"}]},
                )
                assert answer.status_code == 200, answer.text
            yield targets


def codes(detail: Any) -> Any:
    """A ``detail`` with each DRF leaf reduced to its code (string details kept)."""
    if isinstance(detail, dict):
        if set(detail) == {"error", "code"}:
            return detail["code"]
        return {k: codes(v) for k, v in detail.items()}
    if isinstance(detail, list):
        return [codes(item) for item in detail]
    return detail


def unordered(body: Any) -> Any:
    """A row (or batch answer) without the rows' ``order``: after a delete, Baserow numbers
    a new row's order from the rows left (the emulator from its id; docs/emulator.md)."""
    if isinstance(body, dict) and "items" in body:
        return {**body, "items": [unordered(row) for row in body["items"]]}
    if isinstance(body, dict):
        return {k: v for k, v in body.items() if k != "order"}
    return body


def result(answer: Any, field: str | None = None) -> Any:
    """(status, the field's value) of a success; (status, error, codes) of a failure."""
    body = answer.json() if answer.content else None
    if answer.status_code >= 400:
        return answer.status_code, body.get("error"), codes(body.get("detail"))
    if field is not None:
        return answer.status_code, normalise(body)[field]
    return answer.status_code, unordered(normalise(body))


Value = Any
#: (field, value written or a function of the server giving it, expected result)
ROUND_TRIPS: list[tuple[str, Value, Any]] = [
    ("Name", "  Widget ", (200, "Widget")),
    ("Name", 12, (200, "12")),
    ("Name", True, (400, "ERROR_REQUEST_BODY_VALIDATION", {"Name": ["invalid"]})),
    ("Notes", "Line 1\nLine 2", (200, "Line 1\nLine 2")),
    ("Price", 19.9, (200, "19.90")),
    ("Price", "19.9", (200, "19.90")),
    ("Price", "", (200, None)),
    ("Price", 1.234, (400, "ERROR_REQUEST_BODY_VALIDATION", {"Price": ["max_decimal_places"]})),
    ("Price", "abc", (400, "ERROR_REQUEST_BODY_VALIDATION", {"Price": ["invalid"]})),
    ("Qty", -1, (400, "ERROR_REQUEST_BODY_VALIDATION", {"Qty": ["min_value"]})),
    ("Active", "yes", (200, True)),
    ("Active", "checked", (200, True)),
    ("Active", 0, (200, False)),
    ("Active", None, (400, "ERROR_REQUEST_BODY_VALIDATION", {"Active": ["null"]})),
    ("Due", "2024-01-15", (200, "2024-01-15")),
    ("Due", "2024-01-15T10:00", (400, "ERROR_REQUEST_BODY_VALIDATION", {"Due": ["invalid"]})),
    ("Due", None, (200, None)),
    ("At", "2024-01-15T10:30:00+02:00", (200, "2024-01-15T08:30:00Z")),
    ("At", "2024-01-15 10:30", (200, "2024-01-15T10:30:00Z")),
    ("Status", "Open", (200, {"id": "<option>", "value": "Open", "color": "blue"})),
    (
        "Status",
        lambda t: t.options["Status"]["Closed"],
        (200, {"id": "<option>", "value": "Closed", "color": "red"}),
    ),
    ("Status", None, (200, None)),
    (
        "Status",
        "Nope",
        (
            400,
            "ERROR_REQUEST_BODY_VALIDATION",
            "The provided select option value 'Nope' is not a valid select option.",
        ),
    ),
    (
        "Tags",
        ["a", "b"],
        (
            200,
            [
                {"id": "<option>", "value": "a", "color": "green"},
                {"id": "<option>", "value": "b", "color": "yellow"},
            ],
        ),
    ),
    ("Tags", [], (200, [])),
    (
        "Tags",
        ["zzz"],
        (
            400,
            "ERROR_REQUEST_BODY_VALIDATION",
            "The provided select option value 'zzz' is not a valid select option.",
        ),
    ),
    (
        "Owner",
        [2, 1],
        (
            200,
            [
                {"id": 1, "value": "Ann", "order": "1.00000000000000000000"},
                {"id": 2, "value": "Bob", "order": "2.00000000000000000000"},
            ],
        ),
    ),
    ("Owner", [999], (200, [])),
    ("Owner", "Ann", (200, [{"id": 1, "value": "Ann", "order": "1.00000000000000000000"}])),
    ("Email", "x@y.io", (200, "x@y.io")),
    ("Email", "nope", (400, "ERROR_REQUEST_BODY_VALIDATION", {"Email": ["invalid"]})),
    ("Email", None, (200, "")),
    ("Site", "https://x.io/a", (200, "https://x.io/a")),
    ("Phone", "+1 555 0100", (200, "+1 555 0100")),
    ("Stars", 3, (200, 3)),
    ("Stars", 0, (200, 0)),
    ("Stars", 6, (400, "ERROR_REQUEST_BODY_VALIDATION", {"Stars": ["max_value"]})),
    ("Stars", None, (400, "ERROR_REQUEST_BODY_VALIDATION", {"Stars": ["null"]})),
    ("Time", 5400, (200, 5400.0)),
    (
        "Created",
        "2020-01-01",
        (
            400,
            "ERROR_REQUEST_BODY_VALIDATION",
            "Field of type created_on is read only and should not be set manually.",
        ),
    ),
    (
        "Number",
        5,
        (
            400,
            "ERROR_REQUEST_BODY_VALIDATION",
            "Field of type autonumber is read only and should not be set manually.",
        ),
    ),
]


ACCEPTED = [case for case in ROUND_TRIPS if case[2][0] == 200]
REFUSED = [case for case in ROUND_TRIPS if case[2][0] != 200]


def test_accepted_values_round_trip(writers: list[Target]) -> None:
    """How each accepted value reads back (one batch per server: single creates are slow
    on a real Baserow)."""

    def scenario(target: Target) -> Any:
        items = [
            {"Name": "rt", field: value(target) if callable(value) else value}
            for field, value, _ in ACCEPTED
        ]
        answer = target.request("POST", target.rows() + "batch/" + NAMES, json={"items": items})
        assert answer.status_code == 200, answer.text
        rows = normalise(answer.json()["items"])
        return [(200, row[field]) for row, (field, _, _) in zip(rows, ACCEPTED, strict=True)]

    got = same(writers, scenario)
    for (field, value, expected), seen in zip(ACCEPTED, got, strict=True):
        assert seen == expected, (field, value)


@pytest.mark.parametrize(
    ("field", "value", "expected"), REFUSED, ids=[f"{f}={v!r}" for f, v, _ in REFUSED]
)
def test_refused_values(writers: list[Target], field: str, value: Value, expected: Any) -> None:
    """How a create refuses a value: status, error code, detail (leaf codes)."""

    def scenario(target: Target) -> Any:
        answer = target.request("POST", target.rows() + NAMES, json={"Name": "rt", field: value})
        return result(answer, field)

    assert same(writers, scenario) == expected


def _create(target: Target, body: dict[str, Any]) -> int:
    answer = target.request("POST", target.rows() + NAMES, json=body)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["id"])


def test_patch_and_delete(writers: list[Target]) -> None:
    """PATCH is partial and answers the full row; {} is fine; validation comes before the
    row's existence; DELETE answers 204, then the row is gone."""

    def scenario(target: Target) -> Any:
        row = _create(target, {"Name": "p", "Price": 1, "Tags": ["a"], "ignored key": 1, "id": 77})
        url = f"{target.rows()}{row}/{NAMES}"
        steps: list[Callable[[], Any]] = [
            lambda: target.request("PATCH", url, json={"Price": "3.5", "Name": " q "}),
            lambda: target.request("PATCH", url, json={}),
            lambda: target.request("PATCH", url, json=[1]),
            lambda: target.request("PATCH", url, json={"Number": 3}),
            lambda: target.request("PATCH", f"{target.rows()}99999/{NAMES}", json={"Name": "x"}),
            lambda: target.request("PATCH", f"{target.rows()}99999/{NAMES}", json={"Qty": -1}),
            lambda: target.request("DELETE", f"{target.rows()}{row}/"),
            lambda: target.request("GET", url),
            lambda: target.request("DELETE", f"{target.rows()}{row}/"),
        ]
        return [result(step()) for step in steps]

    patched, empty, not_object, read_only, missing, invalid, deleted, gone, again = same(
        writers, scenario
    )
    assert patched[0] == 200 and (patched[1]["Name"], patched[1]["Price"]) == ("q", "3.50")
    assert patched[1]["Tags"][0]["value"] == "a" and patched[1]["id"] != 77
    assert empty == (200, patched[1])
    assert not_object == (400, "ERROR_REQUEST_BODY_VALIDATION", {"non_field_errors": ["invalid"]})
    assert read_only[:2] == (400, "ERROR_REQUEST_BODY_VALIDATION")
    assert missing == (404, "ERROR_ROW_DOES_NOT_EXIST", "The rows [99999] do not exist.")
    assert invalid == (400, "ERROR_REQUEST_BODY_VALIDATION", {"Qty": ["min_value"]})
    assert deleted == (204, None)
    assert gone[:2] == again[:2] == (404, "ERROR_ROW_DOES_NOT_EXIST")


def _count(target: Target) -> int:
    return int(target.request("GET", target.rows(), params={"size": 1}).json()["count"])


def test_batches_are_all_or_nothing(writers: list[Target]) -> None:
    """Batch create/update/delete; any refused item, missing or repeated id refuses all."""

    def scenario(target: Target) -> Any:
        batch = target.rows() + "batch/" + NAMES
        delete = target.rows() + "batch-delete/"
        made = target.request(
            "POST", batch, json={"items": [{"Name": "b1"}, {"Name": "b2", "Qty": 2}]}
        )
        first, second = (row["id"] for row in made.json()["items"])
        before = _count(target)
        steps = [
            target.request("POST", batch, json={"items": [{"Name": "ok"}, {"Qty": -1}]}),
            target.request("POST", batch, json={"items": []}),
            target.request("POST", batch, json={"items": [{}] * 201}),
            target.request("POST", batch, json={}),
            target.request(
                "PATCH",
                batch,
                json={"items": [{"id": first, "Name": "B1"}, {"id": 99999, "Name": "x"}]},
            ),
            target.request("PATCH", batch, json={"items": [{"id": first}, {"id": first}]}),
            target.request("PATCH", batch, json={"items": [{"Name": "no id"}]}),
            target.request(
                "PATCH",
                batch,
                json={"items": [{"id": first, "Qty": 1}, {"id": second, "Status": "Nope"}]},
            ),
            target.request("POST", delete, json={"items": [first, 99998]}),
            target.request("POST", delete, json={"items": [first, first]}),
        ]
        after_refusals = _count(target)
        unchanged = target.request("GET", f"{target.rows()}{first}/{NAMES}").json()["Name"]
        updated = target.request(
            "PATCH",
            batch,
            json={"items": [{"id": first, "Name": "B1"}, {"id": second, "Qty": "4"}]},
        )
        removed = target.request("POST", delete, json={"items": [first, second]})
        return (
            result(made)[0],
            [result(step) for step in steps],
            after_refusals - before,
            unchanged,
            result(updated),
            result(removed),
            _count(target) - before,
        )

    made, refusals, grew, unchanged, updated, removed, shrunk = same(writers, scenario)
    assert made == 200 and grew == 0 and unchanged == "b1"
    assert refusals[0] == (
        400,
        "ERROR_REQUEST_BODY_VALIDATION",
        {"items": {"1": {"Qty": ["min_value"]}}},
    )
    assert refusals[1] == (400, "ERROR_REQUEST_BODY_VALIDATION", {"items": ["min_length"]})
    assert refusals[2] == (400, "ERROR_REQUEST_BODY_VALIDATION", {"items": ["max_length"]})
    assert refusals[3] == (400, "ERROR_REQUEST_BODY_VALIDATION", {"items": ["invalid"]})
    assert refusals[4][:2] == (404, "ERROR_ROW_DOES_NOT_EXIST") and "99999" in refusals[4][2]
    assert refusals[5][:2] == (400, "ERROR_ROW_IDS_NOT_UNIQUE")
    assert refusals[6] == (
        400,
        "ERROR_REQUEST_BODY_VALIDATION",
        {"items": {"0": {"id": ["invalid"]}}},
    )
    assert refusals[7][:2] == (400, "ERROR_REQUEST_BODY_VALIDATION")
    assert refusals[8][:2] == (404, "ERROR_ROW_DOES_NOT_EXIST")
    assert refusals[9][:2] == (400, "ERROR_ROW_IDS_NOT_UNIQUE")
    assert updated[0] == 200 and [(r["Name"], r["Qty"]) for r in updated[1]["items"]] == [
        ("B1", None),
        ("b2", "4"),
    ]
    assert removed == (204, None) and shrunk == -2
