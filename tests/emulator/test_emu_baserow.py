"""The Baserow face's own machinery: derived integer ids, the row index, its server's
lifecycle, and one store seen through both faces (the conformance tests against a real
Baserow are in tests/integration/test_baserow_conformance*.py)."""

from __future__ import annotations

import random
import string

import pytest
import requests

from softr_orm.emulator import Emulator
from softr_orm.emulator.baserow.ids import RowIndex, int_id
from softr_orm.emulator.store import Store


def test_int_ids_are_one_to_one_and_exact_in_javascript() -> None:
    """Softr-shaped ids (1 to 8 letters and digits) never collide and stay below 2**53."""
    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits
    ids = {"".join(rng.choices(alphabet, k=rng.randint(1, 8))) for _ in range(20_000)}
    ids |= {"0", "00", "000", "A", "a"}  # leading zeros and case must not collide
    numbers = {int_id(i) for i in ids}
    assert len(numbers) == len(ids)
    assert all(0 < n < 2**53 for n in numbers)
    assert int_id("some-uuid-4c1f-8e2b") >= 2**53  # other strings: hashed, above that range
    assert int_id("abc") == int_id("abc")


def test_the_row_index_follows_creates_and_deletes() -> None:
    """Row ids are record seqs; a deleted row is gone, a new one is found without a hook."""
    store = Store()
    db = store.create_database({"workspaceId": store.default_token.workspace_ids[0], "name": "d"})
    table = store.create_table(
        db.id, {"name": "t", "fields": [{"name": "N", "type": "SINGLE_LINE_TEXT"}]}
    )
    index = RowIndex()
    first, second = store.records.create_many(table, [{}, {}], user_id=None)
    records = store.records_of(table)
    assert index.get(table, records, 1) is first and index.get(table, records, 2) is second
    store.records.delete(table, first.id)
    assert index.get(table, records, 1) is None
    (third,) = store.records.create_many(table, [{}], user_id=None)
    assert index.get(table, records, 3) is third and index.get(table, records, 4) is None


def test_the_face_starts_on_demand_and_stops_with_the_emulator() -> None:
    with Emulator() as emu:
        assert emu._baserow_http is None  # nobody asked: no second server
        url = emu.baserow_url
        assert url != emu.root_url and url == emu.baserow_url
        check = requests.get(
            url + "/api/database/tokens/check/",
            headers={"Authorization": f"Token {emu.baserow_token}"},
            timeout=5,
        )
        assert check.json() == {"token": "OK"}
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/api/database/tokens/check/", timeout=2)


def test_one_store_two_faces() -> None:
    """A record written through Softr's face reads through Baserow's, and the reverse;
    a token reaches only its own workspaces' tables."""
    with Emulator() as emu:
        db = emu.create_database("Shared")
        table = emu.create_table(db["id"], "Things", [{"name": "Name", "type": "SINGLE_LINE_TEXT"}])
        name_id = table["fields"][0]["id"]
        softr = requests.post(
            f"{emu.base_url}/databases/{db['id']}/tables/{table['id']}/records",
            json={"fields": {name_id: "from softr"}},
            headers={"Softr-Api-Key": emu.api_key},
            timeout=5,
        )
        assert softr.status_code == 200
        headers = {"Authorization": f"Token {emu.baserow_token}"}
        (listed,) = requests.get(
            f"{emu.baserow_url}/api/database/tables/all-tables/", headers=headers, timeout=5
        ).json()
        rows = f"{emu.baserow_url}/api/database/rows/table/{listed['id']}/"
        made = requests.post(
            rows + "?user_field_names", json={"Name": "from baserow"}, headers=headers, timeout=5
        )
        assert made.status_code == 200 and made.json()["id"] == 2
        page = requests.get(rows + "?user_field_names=1", headers=headers, timeout=5).json()
        assert [r["Name"] for r in page["results"]] == ["from softr", "from baserow"]
        back = requests.get(
            f"{emu.base_url}/databases/{db['id']}/tables/{table['id']}/records",
            headers={"Softr-Api-Key": emu.api_key},
            timeout=5,
        ).json()
        assert [r["fields"][name_id] for r in back["data"]] == ["from softr", "from baserow"]
        other = emu.create_token([emu.create_workspace("Elsewhere")])
        refused = requests.get(rows, headers={"Authorization": f"Token {other}"}, timeout=5)
        assert (refused.status_code, refused.json()["error"]) == (
            401,
            "ERROR_NO_PERMISSION_TO_TABLE",
        )


def test_a_store_refusal_in_a_batch_names_its_item() -> None:
    """A value the store's (Softr) rules refuse, though Baserow would take it: a 25-character
    phone limit. The batch is refused whole, naming item 1 and the field."""
    with Emulator() as emu:
        db = emu.create_database("Batch")
        emu.create_table(
            db["id"],
            "T",
            [{"name": "Name", "type": "SINGLE_LINE_TEXT"}, {"name": "Ph", "type": "PHONE"}],
        )
        headers = {"Authorization": f"Token {emu.baserow_token}"}
        (listed,) = requests.get(
            f"{emu.baserow_url}/api/database/tables/all-tables/", headers=headers, timeout=5
        ).json()
        rows = f"{emu.baserow_url}/api/database/rows/table/{listed['id']}/"
        items = [{"Ph": "1"}, {"Ph": "1" * 40}]
        answer = requests.post(
            rows + "batch/?user_field_names", json={"items": items}, headers=headers, timeout=5
        )
        assert answer.status_code == 400
        assert list(answer.json()["detail"]["items"]) == ["1"]
        assert answer.json()["detail"]["items"]["1"]["Ph"][0]["code"] == "invalid"
        assert requests.get(rows, headers=headers, timeout=5).json()["count"] == 0
