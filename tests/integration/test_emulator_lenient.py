"""Requests Softr documents or sends, which the emulator used to refuse (issue 13).

Each test names its source; docs/emulator.md ("Lenient where Softr is") lists them too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from softr_orm.emulator import Emulator

pytestmark = pytest.mark.integration


class Table:
    def __init__(self, emu: Emulator) -> None:
        db = emu.create_database("Lenient")
        table = emu.create_table(
            db["id"],
            "Tasks",
            [
                {"name": "Title", "type": "SINGLE_LINE_TEXT"},
                {"name": "Done", "type": "CHECKBOX"},
                {"name": "Points", "type": "NUMBER"},
            ],
        )
        self.f = {field["name"]: field["id"] for field in table["fields"]}
        self.url = f"{emu.base_url}/databases/{db['id']}/tables/{table['id']}/records"
        self.http = requests.Session()
        self.http.headers["Softr-Api-Key"] = emu.api_key
        self.ids = emu.insert_records(
            db["id"],
            table["id"],
            [
                {self.f["Title"]: "one", self.f["Done"]: True, self.f["Points"]: 1},
                {self.f["Title"]: "two", self.f["Points"]: 2},
                {self.f["Title"]: "three", self.f["Done"]: True},
            ],
        )

    def search(self, body: Any, **kwargs: Any) -> requests.Response:
        return self.http.post(self.url + "/search", json=body, timeout=10, **kwargs)

    def titles(self, answer: requests.Response) -> list[str]:
        assert answer.status_code == 200, answer.text
        return [r["fields"][self.f["Title"]] for r in answer.json()["data"]]


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def t(emu: Emulator) -> Table:
    return Table(emu)


@pytest.mark.parametrize("filter_obj", [{}, {"condition": None}])
def test_a_filter_without_condition_is_no_filter(t: Table, filter_obj: Any) -> None:
    """softr-openapi.yaml: ``filter`` is ``{condition: FilterCondition}`` with no required key."""
    assert t.titles(t.search({"filter": filter_obj})) == ["one", "two", "three"]


def test_a_filter_with_an_unknown_key_is_still_refused(t: Table) -> None:
    """A typo is no missing condition: a filter must not silently match everything."""
    answer = t.search({"filter": {"conditon": {"operator": "IS_EMPTY", "leftSide": "x"}}})
    assert answer.status_code == 400 and answer.json()["errorCode"] == "BAD_REQUEST"


@pytest.mark.parametrize(("right", "expected"), [("true", ["one", "three"]), ("false", ["two"])])
def test_a_checkbox_compares_with_true_and_false_strings(
    t: Table, right: str, expected: list[str]
) -> None:
    """Softr's n8n node (softr-io/n8n-softr) sends a checkbox's rightSide as a string."""
    condition = {"operator": "IS", "leftSide": t.f["Done"], "rightSide": right}
    assert t.titles(t.search({"filter": {"condition": condition}})) == expected


def test_a_json_body_without_a_json_content_type_is_read(t: Table) -> None:
    """Softr's docs' curl examples send ``-d '{...}'`` without a Content-Type header, which
    curl labels application/x-www-form-urlencoded."""
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    body = b'{"paging": {"limit": 1}}'
    answer = t.http.post(t.url + "/search", data=body, headers=form, timeout=10)
    assert t.titles(answer) == ["one"]
    created = t.http.post(
        t.url,
        data=b'{"fields": {"%s": "four"}}' % t.f["Title"].encode(),
        headers={"Content-Type": "text/plain"},
        timeout=10,
    )
    assert created.status_code == 200
    assert created.json()["data"]["fields"][t.f["Title"]] == "four"


def test_writes_keyed_by_field_names_with_field_names_true(t: Table) -> None:
    """The overview's quick start writes records with field names; with ``fieldNames=true``
    the emulator resolves names (ids keep working too), and answers with names."""
    names = {"fieldNames": "true"}
    created = t.http.post(
        t.url, params=names, json={"fields": {"Title": "named", "Points": 5}}, timeout=10
    )
    assert created.status_code == 200, created.text
    record = created.json()["data"]
    assert record["fields"]["Title"] == "named" and record["fields"]["Points"] == 5
    patched = t.http.patch(
        f"{t.url}/{record['id']}",
        params=names,
        json={"fields": {"Done": True, t.f["Points"]: 6}},
        timeout=10,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["data"]["fields"] == {"Title": "named", "Done": True, "Points": 6}
    by_id = t.http.get(f"{t.url}/{record['id']}", timeout=10).json()["data"]["fields"]
    assert by_id[t.f["Done"]] is True and by_id[t.f["Points"]] == 6


def test_names_without_field_names_true_and_unknown_names_are_refused(t: Table) -> None:
    """Without the flag, requests use field ids (Softr's live docs), so a name is unknown; a
    name that is no field is unknown either way; one field twice is a bad request."""
    plain = t.http.post(t.url, json={"fields": {"Title": "x"}}, timeout=10)
    assert plain.status_code == 400 and plain.json()["errorCode"] == "UNKNOWN_FIELD"
    unknown = t.http.post(
        t.url, params={"fieldNames": "true"}, json={"fields": {"Nope": 1}}, timeout=10
    )
    assert unknown.status_code == 400 and unknown.json()["errorCode"] == "UNKNOWN_FIELD"
    twice = t.http.post(
        t.url,
        params={"fieldNames": "true"},
        json={"fields": {"Title": "a", t.f["Title"]: "b"}},
        timeout=10,
    )
    assert twice.status_code == 400 and twice.json()["errorCode"] == "BAD_REQUEST"


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"operator": "AND", "conditions": [], "leftSide": "x", "rightSide": 1}, 3),
        ({"operator": "IS_NOT_EMPTY", "leftSide": "{Points}", "rightSide": ""}, 2),
        ({"operator": "IS", "leftSide": "{Title}", "rightSide": "one", "conditions": []}, 1),
    ],
    ids=["AND with leftSide", "IS_NOT_EMPTY with rightSide", "IS with conditions"],
)
def test_keys_of_another_kind_are_ignored(
    t: Table, condition: dict[str, Any], expected: int
) -> None:
    """softr-openapi.yaml has one FilterCondition shape for every operator: what the
    operator's kind does not use is ignored."""
    filled = {
        key: value.format(**t.f) if isinstance(value, str) else value
        for key, value in condition.items()
    }
    answer = t.search({"filter": {"condition": filled}})
    assert t.titles(answer) == ["one", "two", "three"][:expected]
