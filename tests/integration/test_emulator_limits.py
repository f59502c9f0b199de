"""Formula results stay within Softr's limits, so a stored record is always served (no 500)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from softr_orm.emulator import Emulator

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


def _table(emu: Emulator, fields: list[dict[str, Any]]) -> tuple[str, dict[str, str]]:
    db = emu.create_database("Limits")
    table = emu.create_table(db["id"], "T", fields)
    url = f"{emu.base_url}/databases/{db['id']}/tables/{table['id']}/records"
    return url, {f["name"]: f["id"] for f in table["fields"]}


def test_a_huge_integer_formula_leaves_the_record_readable(emu: Emulator) -> None:
    """Twenty products of 10**300 (a 6,000-digit integer, past Python's 4,300-digit printing
    limit) read as empty: the create, the record and the listing all answer 200."""
    url, f = _table(
        emu,
        [
            {"name": "N", "type": "NUMBER"},
            {"name": "Power", "type": "FORMULA", "options": {"formula": " * ".join(["{N}"] * 20)}},
            {"name": "Same", "type": "FORMULA", "options": {"formula": "{N} * 1"}},
        ],
    )
    headers = {"Softr-Api-Key": emu.api_key}
    created = requests.post(url, json={"fields": {f["N"]: 10**300}}, headers=headers, timeout=10)
    assert created.status_code == 200
    record = created.json()["data"]
    assert f["Power"] not in record["fields"]
    assert record["fields"][f["Same"]] == 10**300
    assert requests.get(f"{url}/{record['id']}", headers=headers, timeout=10).status_code == 200
    listed = requests.get(url, headers=headers, timeout=10)
    assert listed.status_code == 200 and listed.json()["metadata"]["total"] == 1


def test_chained_text_formulas_stay_small(emu: Emulator) -> None:
    """Five formula fields each doubling the previous one's text: each is bounded to a long
    text's 65,536 characters on its own, so a page of 30 stays a few megabytes."""
    fields: list[dict[str, Any]] = [{"name": "T", "type": "LONG_TEXT"}]
    previous = "T"
    for level in range(1, 6):
        formula = f"{{{previous}}} & {{{previous}}}"
        fields.append({"name": f"F{level}", "type": "FORMULA", "options": {"formula": formula}})
        previous = f"F{level}"
    url, f = _table(emu, fields)
    rows = [{f["T"]: f"{i:05d}" + "x" * 20_000} for i in range(30)]
    db_id, table_id = url.split("/databases/")[1].split("/records")[0].split("/tables/")
    emu.insert_records(db_id, table_id, rows)
    page = requests.get(
        url, params={"limit": 30}, headers={"Softr-Api-Key": emu.api_key}, timeout=30
    )
    assert page.status_code == 200
    assert len(page.content) < 5_000_000
    first = page.json()["data"][0]["fields"]
    assert len(first[f["F1"]]) == 40_010  # 2 x 20,005
    assert f["F2"] not in first  # 80,020 characters: over the limit, so empty
    assert all(f[name] not in first for name in ("F3", "F4", "F5"))
