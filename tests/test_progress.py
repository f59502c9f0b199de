"""Progress bars (tqdm, the ``progress`` extra) on full scans, streams, bulk writes, inspect."""

from __future__ import annotations

import io
from typing import Any

import pytest

pytest.importorskip("tqdm")

from softr_orm import Model, Session, fields
from softr_orm.emulator import DEMO_DATABASE_ID, Emulator
from softr_orm.schema import inspect_database

RECORDS = 250  # two pages: the concurrent scan (and its bar) starts from the second one


class Item(Model):
    name = fields.SingleLineText("Name")
    n = fields.Number("N")

    class Meta:
        database = DEMO_DATABASE_ID
        table = "Items"


@pytest.fixture
def items(softr_emulator: Emulator, softr_session: Session) -> Any:
    table = softr_emulator.create_table(
        DEMO_DATABASE_ID,
        "Items",
        fields=[{"name": "Name", "type": "SINGLE_LINE_TEXT"}, {"name": "N", "type": "NUMBER"}],
    )
    ids = {f["name"]: f["id"] for f in table["fields"]}
    softr_emulator.insert_records(
        DEMO_DATABASE_ID,
        table["id"],
        [{ids["Name"]: f"item {i}", ids["N"]: i} for i in range(RECORDS)],
    )
    return Item.objects.using(softr_session)


def test_full_scan_shows_a_bar(items: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """``list(qs.progress())`` over several pages draws a bar up to the total."""
    assert len(list(items.all().progress())) == RECORDS
    err = capsys.readouterr().err
    assert "Item" in err
    assert f"{RECORDS}/{RECORDS}" in err


def test_no_bar_unless_asked(items: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """Without progress() nothing is written to stderr."""
    assert len(list(items.all())) == RECORDS
    assert len(list(items.all().iterator())) == RECORDS
    assert capsys.readouterr().err == ""


def test_iterator_progress(items: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """``iterator(progress=True)`` counts streamed records (the total is not known ahead)."""
    assert sum(1 for _ in items.all().iterator(page_size=100, progress=True)) == RECORDS
    err = capsys.readouterr().err
    assert "Item" in err
    assert f"{RECORDS}rec" in err.replace(" ", "")


def test_bulk_update_and_delete_show_bars(items: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """``qs.progress().update()`` / ``.delete()`` draw a bar per bulk write."""
    result = items.filter(n__lt=20).progress().update(name="renamed")
    assert len(result) == 20
    assert "update Item" in capsys.readouterr().err
    assert items.filter(name="renamed").count() == 20
    result = items.filter(n__lt=10).progress().delete()
    assert len(result) == 10
    err = capsys.readouterr().err
    assert "delete Item" in err
    assert "10/10" in err


def test_inspect_shows_a_bar(softr_session: Session) -> None:
    """``inspect_database(progress=True)`` draws a bar over the tables on the given stream."""
    stream = io.StringIO()
    inspect_database(softr_session, DEMO_DATABASE_ID, progress=True, stream=stream)
    assert "tables" in stream.getvalue()
    assert "/3 " in stream.getvalue()  # a bar over the 3 tables (erased when done)
