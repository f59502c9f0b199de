"""Selecting from the store (softr_orm.emulator.store.select) agrees with the filter semantics.

The store evaluates filters its own fast ways (reading value dicts with C-level getters, single
SELECT conditions decided per choice, AND parts one pass at a time, kept selections); the
reference here is the plain evaluator over records seen as read-format mappings. Every operator
on every kind of field must select the same records both ways.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from softr_orm.emulator.store import Store
from softr_orm.emulator.store.reader import Reader
from softr_orm.emulator.store.search import compile_filter, compile_sorting
from softr_orm.emulator.store.select import field_infos, select_records
from softr_orm.emulator.store.state import TableState

FIELDS: list[dict[str, Any]] = [
    {"name": "Text", "type": "SINGLE_LINE_TEXT"},
    {"name": "Num", "type": "NUMBER"},
    {"name": "Check", "type": "CHECKBOX"},
    {"name": "Sel", "type": "SELECT", "options": {"choices": ["Open", "Closed", "Open-ish"]}},
    {
        "name": "Multi",
        "type": "SELECT",
        "allowMultipleEntries": True,
        "options": {"choices": ["a", "b", "c"]},
    },
    {"name": "Day", "type": "DATE"},
    {"name": "Auto", "type": "AUTONUMBER"},
]


@pytest.fixture(scope="module")
def store() -> tuple[Store, TableState, dict[str, str]]:
    store = Store()
    db = store.create_database({"workspaceId": store.default_token.workspace_ids[0], "name": "S"})
    table = store.create_table(db.id, {"name": "T", "fields": FIELDS})
    f = {d["name"]: d["id"] for d in table.fields.values()}
    rng = random.Random(13)
    rows = []
    for _ in range(300):
        row: dict[str, Any] = {}
        if rng.random() < 0.8:
            row[f["Text"]] = rng.choice(["alpha", "Beta", "gamma ray", "ALPHA one", ""])
        if rng.random() < 0.8:
            row[f["Num"]] = rng.choice([0, 1, 5, 12, -3, 100])
        if rng.random() < 0.5:
            row[f["Check"]] = rng.random() < 0.5
        if rng.random() < 0.8:
            row[f["Sel"]] = rng.choice(["Open", "Closed", "Open-ish"])
        row[f["Multi"]] = rng.sample(["a", "b", "c"], rng.randint(0, 2))
        if rng.random() < 0.7:
            row[f["Day"]] = f"2026-0{rng.randint(1, 3)}-{rng.randint(10, 20)}"
        rows.append(row)
    store.records.create_many(table, rows, user_id=None)
    return store, table, f


def _conditions(f: dict[str, str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for op in ("IS_EMPTY", "IS_NOT_EMPTY"):
        out += [{"operator": op, "leftSide": f[name]} for name in f]
    for right in ("alpha", "BETA", "ray", ""):
        for op in ("IS", "IS_NOT", "CONTAINS", "DOES_NOT_CONTAIN", "STARTS_WITH", "ENDS_WITH"):
            out.append({"operator": op, "leftSide": f["Text"], "rightSide": right})
    for right in ("open", "Closed", "OPEN-ISH", "nope", "ope"):
        for op in ("IS", "IS_NOT", "CONTAINS", "DOES_NOT_START_WITH", "ENDS_WITH"):
            out.append({"operator": op, "leftSide": f["Sel"], "rightSide": right})
    for op in ("IS_ONE_OF", "IS_NOT_ONE_OF", "HAS_ANY_OF", "HAS_ALL_OF", "HAS_NONE_OF"):
        for right in (["Open", "closed"], [], ["nope"], ["open-ish"]):
            out.append({"operator": op, "leftSide": f["Sel"], "rightSide": right})
            out.append(
                {
                    "operator": op,
                    "leftSide": f["Multi"],
                    "rightSide": [r.lower()[:1] or "a" for r in right],
                }
            )
    for op in ("IS", "IS_NOT", "GREATER_THAN", "LESS_THAN_OR_EQUALS"):
        for right in (5, "12", 0):
            out.append({"operator": op, "leftSide": f["Num"], "rightSide": right})
            out.append({"operator": op, "leftSide": f["Auto"], "rightSide": right})
    out.append({"operator": "IS_BETWEEN", "leftSide": f["Num"], "lowerBound": 0, "upperBound": 12})
    for right in (True, False, "true", "FALSE"):
        for op in ("IS", "IS_NOT"):
            out.append({"operator": op, "leftSide": f["Check"], "rightSide": right})
    for op in ("IS", "GREATER_THAN", "LESS_THAN"):
        out.append({"operator": op, "leftSide": f["Day"], "rightSide": "2026-02-15"})
        out.append({"operator": op, "leftSide": "created_at", "rightSide": "2020-01-01"})
    return out


def _reference(store: Store, table: TableState, filter_obj: Any, sorting: Any) -> list[str]:
    """The plain evaluator over read-format mappings, as the filter semantics define them."""
    reader = Reader(store)
    records = list(store.records_of(table).values())
    views = [
        {
            **{fid: reader.value(table, rec, d) for fid, d in table.fields.items()},
            "created_at": rec.created_at,
            "updated_at": rec.updated_at,
            "id": rec.id,
        }
        for rec in records
    ]
    infos = field_infos(table)
    predicate = compile_filter(filter_obj, infos, now=store.now_dt())
    chosen = [view for view in views if predicate(view)]
    if sorting:
        chosen = compile_sorting(sorting, infos)(chosen)
    return [view["id"] for view in chosen]


def _selected(store: Store, table: TableState, filter_obj: Any, sorting: Any) -> list[str]:
    page, total = select_records(
        store, Reader(store), table, filter_obj, sorting, offset=0, limit=10**9
    )
    assert total == len(page)
    return [rec.id for rec in page]


def test_every_condition_selects_what_the_semantics_say(
    store: tuple[Store, TableState, dict[str, str]],
) -> None:
    s, table, f = store
    conditions = _conditions(f)
    assert len(conditions) > 130
    for condition in conditions:
        filter_obj = {"condition": condition}
        expected = _reference(s, table, filter_obj, None)
        assert _selected(s, table, filter_obj, None) == expected, condition
        assert _selected(s, table, filter_obj, None) == expected, ("kept", condition)


def test_compound_filters_and_sorts_select_the_same(
    store: tuple[Store, TableState, dict[str, str]],
) -> None:
    s, table, f = store
    rng = random.Random(5)
    conditions = _conditions(f)
    for _ in range(150):
        parts = rng.sample(conditions, rng.randint(2, 4))
        inner = {"operator": rng.choice(["AND", "OR"]), "conditions": parts[:2]}
        root = {"operator": rng.choice(["AND", "OR"]), "conditions": [inner, *parts[2:]]}
        sorting = rng.choice(
            [
                None,
                [{"sortingField": f["Num"], "sortType": "DESC"}],
                [{"sortingField": "created_at", "sortType": "ASC"}],
                [{"sortingField": f["Sel"]}, {"sortingField": f["Text"], "sortType": "DESC"}],
            ]
        )
        filter_obj = {"condition": root}
        assert _selected(s, table, filter_obj, sorting) == _reference(
            s, table, filter_obj, sorting
        ), root


def test_kept_selections_follow_interleaved_writes() -> None:
    """Searches asked again and again while records are created, updated and deleted (and a
    new SELECT choice appears) always select what a fresh evaluation would."""
    s = Store()
    db = s.create_database({"workspaceId": s.default_token.workspace_ids[0], "name": "W"})
    table = s.create_table(db.id, {"name": "T", "fields": FIELDS})
    f = {d["name"]: d["id"] for d in table.fields.values()}
    s.fields.update(table, f["Sel"], {"options": {"allowToAddNewChoice": True}})
    rng = random.Random(21)

    def row() -> dict[str, Any]:
        return {
            f["Text"]: rng.choice(["alpha", "beta", "gamma", None]),
            f["Num"]: rng.choice([1, 5, 12, None]),
            f["Check"]: rng.random() < 0.5,
            f["Sel"]: rng.choice(["Open", "Closed", None, "Brand new"]),
        }

    s.records.create_many(table, [row() for _ in range(60)], user_id=None)
    searches = [
        ({"condition": {"operator": "GREATER_THAN", "leftSide": f["Num"], "rightSide": 3}}, None),
        ({"condition": {"operator": "IS", "leftSide": f["Sel"], "rightSide": "brand new"}}, None),
        (
            {"condition": {"operator": "CONTAINS", "leftSide": f["Text"], "rightSide": "a"}},
            [{"sortingField": "created_at", "sortType": "ASC"}],
        ),
        ({"condition": {"operator": "IS", "leftSide": f["Check"], "rightSide": True}}, None),
        (
            {"condition": {"operator": "IS_NOT_EMPTY", "leftSide": f["Text"]}},
            [{"sortingField": f["Num"], "sortType": "DESC"}],
        ),
    ]
    for step in range(120):
        filter_obj, sorting = searches[step % len(searches)]
        assert _selected(s, table, filter_obj, sorting) == _reference(
            s, table, filter_obj, sorting
        ), (step, filter_obj)
        ids = list(s.records_of(table))
        action = rng.random()
        if action < 0.4 or not ids:
            s.records.create(table, row(), user_id=None)
        elif action < 0.8:
            s.records.update(table, rng.choice(ids), row(), user_id=None)
        else:
            s.records.delete(table, rng.choice(ids))
