"""Property test: compiled filters select exactly what a Django-like evaluation selects.

Random condition trees (AND/OR/NOT over every lookup of text, number, checkbox, single and
multiple select, date fields and the ``created_at`` pseudo-field, with values drawn from the
records' own domain, empties included) are resolved, compiled and sent to the emulator's
search endpoint over real HTTP. The ids it returns must equal a pure-Python evaluation of
the same tree with Django's semantics: ``exclude``/``~`` is the exact complement (records
with empty values are kept), text compares case-insensitively as Softr does, an unchecked
checkbox is ``False`` and empty at once.

This is what proves the negation rules (De Morgan, negated operators, the explicit
``IS_EMPTY``) right, and the emulator's filter semantics along with them.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests
from _random_q import (
    FRAGMENTS,
    ISNULL,
    JOINED_LEAVES,
    N_RECORDS,
    NAME_VALUES,
    NEWSLETTER_LEAVES,
    RECORDS,
    SCORE_LEAVES,
    STAGES,
    TABLE_FIELDS,
    TAGS_LEAVES,
    TODAY,
    UTC,
    compare,
    pairs,
    q_lookup,
    subsets,
    token_days,
    trees_of,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from softr_orm import fields
from softr_orm.backends.softr.compiler import build_search_body, compile_filter
from softr_orm.emulator import Emulator
from softr_orm.http.jsonutil import dumps
from softr_orm.query.conditions import (
    PSEUDO_FIELD_TYPES,
    And,
    Condition,
    Constant,
    Node,
    Not,
    Or,
    Q,
    resolve,
)

pytestmark = pytest.mark.integration


class Row:
    """Holds the field descriptors (``__set_name__`` gives them attnames); not a Model."""

    name = fields.SingleLineText("Name")
    score = fields.Number("Score")
    newsletter = fields.Checkbox("Newsletter")
    stage = fields.Select("Stage")
    tags = fields.Select("Tags", multiple=True)
    joined = fields.Date("Joined")


FIELDS: dict[str, Any] = {
    "name": Row.name,
    "score": Row.score,
    "newsletter": Row.newsletter,
    "stage": Row.stage,
    "tags": Row.tags,
    "joined": Row.joined,
}


class Table:
    """The emulator table, its field ids and the records as the API reads them back."""

    def __init__(self, emu: Emulator, http: requests.Session) -> None:
        self.http = http
        database = emu.create_database("property")
        table = emu.create_table(database["id"], "Rows", fields=TABLE_FIELDS)
        self.ids = {f["name"]: f["id"] for f in table["fields"]}
        self.key = {attname: self.ids[field.name] for attname, field in FIELDS.items()}
        self.url = f"{emu.base_url}/databases/{database['id']}/tables/{table['id']}/records/search"
        # By field id, as the API takes them: empty values left out, dates as ISO text.
        rows = [
            {
                self.key[name]: value.isoformat() if isinstance(value, dt.date) else value
                for name, value in record.items()
                if value is not None
            }
            for record in RECORDS
        ]
        emu.insert_records(database["id"], table["id"], rows)
        self.records = self.search({"paging": {"offset": 0, "limit": 200}})
        assert len(self.records) == N_RECORDS

    def search(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        response = self.http.post(self.url, data=dumps(body))
        assert response.status_code == 200, (body, response.status_code, response.text)
        payload = response.json(parse_float=Decimal)
        total = payload["metadata"]["total"]
        assert total == len(payload["data"]) <= 200
        return list(payload["data"])


@pytest.fixture(scope="module")
def table() -> Iterator[Table]:
    with Emulator() as emu, requests.Session() as http:
        http.headers["Softr-Api-Key"] = emu.api_key
        http.headers["Content-Type"] = "application/json"
        yield Table(emu, http)


# --- the reference evaluation -----------------------------------------------------------------


def _label(item: Any) -> Any:
    return item.get("label") if isinstance(item, dict) else item


def _instant(value: Any) -> dt.datetime:
    if isinstance(value, int):
        return dt.datetime.fromtimestamp(value / 1000, UTC)
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    return dt.datetime.fromisoformat(text).astimezone(UTC)


def _bounds(value: Any, kind: str) -> tuple[Any, Any]:
    """(first, last) covered by a filter operand, in the value space of the field kind."""
    if isinstance(value, str) and value.startswith(("PREDEFINED:", "RELATIVE_DATE:")):
        start, end = token_days(value)
        if kind == "instant":
            first = dt.datetime.combine(start, dt.time.min, UTC)
            last = dt.datetime.combine(end, dt.time.max, UTC)
            return first, last
        return start, end
    if kind == "date":
        day = dt.date.fromisoformat(str(value)[:10])
        return day, day
    if kind == "instant":
        if isinstance(value, str) and len(value) == 10:
            day = dt.date.fromisoformat(value)
            return dt.datetime.combine(day, dt.time.min, UTC), dt.datetime.combine(
                day, dt.time.max, UTC
            )
        moment = _instant(value)
        return moment, moment
    number = Decimal(str(value))
    return number, number


def _kind(condition: Condition) -> str:
    if condition.softr_type in ("DATE",):
        return "date"
    if condition.softr_type in PSEUDO_FIELD_TYPES.values():
        return "instant"
    if condition.softr_type == "NUMBER":
        return "number"
    return "text"


def _field_value(condition: Condition, record: dict[str, Any]) -> Any:
    """The record's value for the condition's field in the evaluation's value space."""
    if condition.key in PSEUDO_FIELD_TYPES:
        raw = record.get({"created_at": "createdAt", "updated_at": "updatedAt"}[condition.key])
        return _instant(raw) if raw else None
    raw = record["fields"].get(condition.key)
    if condition.softr_type == "CHECKBOX":
        return bool(raw)
    if raw is None or raw == "" or raw == []:
        return None
    if condition.multiple:
        return [str(_label(item)).casefold() for item in raw]
    if condition.softr_type == "SELECT":
        return str(_label(raw)).casefold()
    kind = _kind(condition)
    if kind == "date":
        return dt.date.fromisoformat(str(raw)[:10])
    if kind == "number":
        return Decimal(str(raw))
    return str(raw).casefold()


def _matches(condition: Condition, record: dict[str, Any]) -> bool:
    """One lookup, Django-like over Softr's notion of empty (missing, null, "", [])."""
    lookup, operand = condition.lookup, condition.value
    value = _field_value(condition, record)
    if lookup == "exact" and operand is None:
        lookup, operand = "isnull", True
    if condition.softr_type == "CHECKBOX":
        if lookup == "isnull":
            return (not value) == operand
        return value == operand
    if lookup == "isnull":
        return (value is None) == operand
    if condition.multiple:
        have = set(value or ())
        wanted = {str(item).casefold() for item in operand}
        if lookup == "has_any":
            return bool(have & wanted)
        if lookup == "has_all":
            return wanted <= have
        if lookup == "has_none":
            return not have & wanted
        raise AssertionError(lookup)
    if value is None:
        return False
    kind = _kind(condition)
    if kind == "text":
        text = str(operand).casefold() if not isinstance(operand, tuple) else operand
        if lookup == "exact":
            return value == text
        if lookup == "contains":
            return text in value
        if lookup == "startswith":
            return bool(value.startswith(text))
        if lookup == "endswith":
            return bool(value.endswith(text))
        if lookup == "in":
            return value in {str(item).casefold() for item in operand}
        raise AssertionError(lookup)
    if lookup in ("range", "within"):
        low, high = operand
        return _bounds(low, kind)[0] <= value <= _bounds(high, kind)[1]
    if lookup == "in":
        return any(_bounds(item, kind)[0] == value for item in operand)
    return compare(lookup, value, *_bounds(operand, kind))


def evaluate(node: Node, record: dict[str, Any]) -> bool:
    if isinstance(node, Constant):
        return node.value
    if isinstance(node, And):
        return all(evaluate(child, record) for child in node.children)
    if isinstance(node, Or):
        return any(evaluate(child, record) for child in node.children)
    if isinstance(node, Not):
        return not evaluate(node.child, record)
    assert isinstance(node, Condition), node
    return _matches(node, record)


# --- random trees -----------------------------------------------------------------------------


def leaves(created: list[str]) -> st.SearchStrategy[Q]:
    """One random lookup (every lookup each field type supports), fields equally likely."""
    instants = st.sampled_from(created)
    instant_operands = st.one_of(
        instants, st.sampled_from(["2000-01-01", "2100-01-01", "PREDEFINED:TODAY"])
    )
    by_field = [
        [
            q_lookup("name", st.one_of(NAME_VALUES, st.none())),
            q_lookup("name__contains", FRAGMENTS),
            q_lookup("name__startswith", FRAGMENTS),
            q_lookup("name__endswith", FRAGMENTS),
            q_lookup("name__in", st.lists(NAME_VALUES, max_size=3)),
            q_lookup("name__isnull", ISNULL),
        ],
        SCORE_LEAVES,
        NEWSLETTER_LEAVES,
        [
            q_lookup("stage", st.one_of(st.sampled_from(STAGES), st.none())),
            q_lookup("stage__in", subsets(STAGES)),
            q_lookup("stage__isnull", ISNULL),
        ],
        TAGS_LEAVES,
        JOINED_LEAVES,
        [
            *(
                q_lookup(f"created_at__{op}", instant_operands)
                for op in ("exact", "gt", "gte", "lt", "lte")
            ),
            q_lookup("created_at__range", pairs(instants)),
            q_lookup("created_at__isnull", ISNULL),
        ],
    ]
    return st.one_of([st.one_of(options) for options in by_field])


def trees(created: list[str]) -> st.SearchStrategy[Q]:
    leaf = leaves(created)
    tree = trees_of(leaf)
    # Lone leaves and their negations test each rule unmasked; trees test De Morgan.
    return st.one_of(leaf, leaf.map(operator.invert), tree, tree.map(operator.invert))


def check_query(table: Table, q: Q) -> int:
    """Compile q, run it on the emulator, compare with the reference; returns the hit count."""
    node = resolve(q, "Row", FIELDS, lambda field: table.key[field.attname])
    expected = {r["id"] for r in table.records if evaluate(node, r)}
    compiled = compile_filter(node, max_depth=50)
    if isinstance(compiled, Constant):
        assert not compiled.value
        assert expected == set(), (q, node)
        return 0
    body = build_search_body(compiled, [], offset=0, limit=200)
    got = {r["id"] for r in table.search(body)}
    if got != expected:
        by_id = {r["id"]: r["fields"] for r in table.records}
        extra = {i: by_id[i] for i in got - expected}
        missing = {i: by_id[i] for i in expected - got}
        pytest.fail(
            f"mismatch\nQ: {q!r}\ntree: {node!r}\nbody: {dumps(body).decode()}\n"
            f"returned but not expected: {extra}\nexpected but not returned: {missing}"
        )
    return len(got)


def test_records_round_trip(table: Table) -> None:
    """The fixture's records are all there, with the empties the test relies on."""
    assert len({r["id"] for r in table.records}) == N_RECORDS
    tags_key = table.key["tags"]
    assert any(not r["fields"].get(tags_key) for r in table.records)
    assert any(r["fields"].get(table.key["newsletter"]) is True for r in table.records)
    assert any(table.key["score"] not in r["fields"] for r in table.records)


def representative_leaves(created: list[str]) -> list[Q]:
    """A fixed sample of every lookup with telling operands (empties, case, both ends)."""
    day = TODAY.isoformat()
    cases: dict[str, list[Any]] = {
        "name": ["Alpha", "ALPHA", "zeta", None],
        "name__contains": ["al", "ALPHA", "ta", "Ω", " "],
        "name__startswith": ["al", "BETA"],
        "name__endswith": ["A", "ray"],
        "name__in": [[], ["alpha", "Beta"], ["zeta"]],
        "name__isnull": [True, False],
        "score": [2, Decimal("2.5"), 7, None],
        "score__gt": [2, 2.5],
        "score__gte": [2],
        "score__lt": [2, 0],
        "score__lte": [2],
        "score__in": [[], [0, 42], [7]],
        "score__range": [(1, 5), (5, 1)],
        "score__isnull": [True, False],
        "newsletter": [True, False, None],
        "newsletter__isnull": [True, False],
        "stage": ["Won", "won", None],
        "stage__in": [[], ["Lead", "Lost"]],
        "stage__isnull": [True, False],
        "tags__has_any": [[], ["vip"], ["vip", "lead"]],
        "tags__has_all": [[], ["vip"], ["vip", "lead"], ["vip", "lead", "customer"]],
        "tags__has_none": [[], ["vip"], ["vip", "lead"]],
        "tags__isnull": [True, False],
        "joined": [TODAY, day, "PREDEFINED:TODAY", None],
        "joined__gt": [day, "PREDEFINED:YESTERDAY", "PREDEFINED:THIS_MONTH"],
        "joined__gte": [day, "PREDEFINED:TOMORROW"],
        "joined__lt": [day, "PREDEFINED:THIS_MONTH"],
        "joined__lte": [day, "PREDEFINED:TODAY"],
        "joined__range": [(TODAY - dt.timedelta(days=8), TODAY + dt.timedelta(days=1))],
        "joined__within": [
            "PREDEFINED:THIS_YEAR",
            ("PREDEFINED:YESTERDAY", "PREDEFINED:TOMORROW"),
        ],
        "joined__isnull": [True, False],
        "created_at": [created[0], "2000-01-01"],
        "created_at__gt": [created[0], created[-1]],
        "created_at__gte": [created[-1], "2100-01-01"],
        "created_at__lt": [created[-1], "2000-01-01"],
        "created_at__lte": [created[0]],
        "created_at__range": [(created[0], created[-1])],
        "created_at__isnull": [True, False],
    }
    return [Q(**{key: value}) for key, values in cases.items() for value in values]


def test_every_lookup_and_its_negation(table: Table) -> None:
    """Each lookup alone, and its exclude(), against the reference (no masking by others)."""
    created = sorted({r["createdAt"] for r in table.records})
    hits = []
    for q in representative_leaves(created):
        positive = check_query(table, q)
        negative = check_query(table, ~q)
        hits.append((positive, negative))
    # The sample is telling: most lookups split the table rather than match all or nothing.
    assert sum(1 for p, n in hits if p and n) > len(hits) // 2


def test_compiled_filters_match_reference_evaluation(table: Table) -> None:
    """For random trees, the emulator's answer equals the Django-like evaluation."""
    created = sorted({r["createdAt"] for r in table.records})

    @settings(
        max_examples=300,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(trees(created))
    def check(q: Q) -> None:
        check_query(table, q)

    check()
