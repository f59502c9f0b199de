"""Queries on a real Baserow: every lookup and negation against a pure-Python evaluation,
lookups refused before any request, paging past 1,000 rows, count in one request."""

from __future__ import annotations

import datetime as dt
import functools
import operator
import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from softr_orm import Model, Q, errors, fields
from softr_orm.backends.baserow import BaserowSession
from softr_orm.http.util import RequestEvent
from softr_orm.query.binding import bind

pytestmark = pytest.mark.integration

TODAY = dt.datetime.now(dt.timezone.utc).date()
NAMES = ["Alpha", "alpha", "Beta", "beta max", "Gamma ray", "delta", "ALPHA beta"]
SCORES = [-3, 0, 1, 2, 5, 10, 42]
STAGES = ["Lead", "Won", "Lost"]
TAGS = ["vip", "lead", "customer"]
OFFSETS = [-400, -40, -1, 0, 1, 30, 400]
TOKENS = {
    "PREDEFINED:TODAY": (TODAY, TODAY),
    "PREDEFINED:YESTERDAY": (TODAY - dt.timedelta(days=1),) * 2,
    "PREDEFINED:TOMORROW": (TODAY + dt.timedelta(days=1),) * 2,
    "PREDEFINED:THIS_YEAR": (TODAY.replace(month=1, day=1), TODAY.replace(month=12, day=31)),
}


class Row(Model):
    name = fields.SingleLineText("Name")
    score = fields.Number("Score")
    newsletter = fields.Checkbox("Newsletter")
    stage = fields.Select("Stage")
    tags = fields.Select("Tags", multiple=True)
    joined = fields.Date("Joined")


class Many(Model):
    name = fields.SingleLineText("Name")
    n = fields.Number("N")


def _seed_rows(count: int) -> list[dict[str, Any]]:
    rnd = random.Random(20261204)
    return [
        {
            "name": rnd.choice([*NAMES, ""]) if rnd.random() < 0.8 else None,
            "score": rnd.choice(SCORES) if rnd.random() < 0.75 else None,
            "newsletter": rnd.random() < 0.5,
            "stage": rnd.choice(STAGES) if rnd.random() < 0.7 else None,
            "tags": rnd.sample(TAGS, rnd.randint(0, 3)),
            "joined": TODAY + dt.timedelta(days=rnd.choice(OFFSETS))
            if rnd.random() < 0.75
            else None,
        }
        for _ in range(count)
    ]


def _create_all(session: BaserowSession, model: type[Model], rows: list[dict[str, Any]]) -> None:
    """Seed through the batch endpoint, 200 rows a request."""
    binding = bind(model, session)
    bodies = []
    for values in rows:
        instance = model(**values)
        bodies.append(
            {
                binding.ids[f.attname]: f.to_api(instance.__dict__[f.attname])
                for f in model._meta.fields.values()
                if f.attname in instance.__dict__
            }
        )
    backend = session.backend
    for start in range(0, len(bodies), backend.max_batch_size):
        backend.create_records(
            binding.database_id, binding.table_id, bodies[start : start + backend.max_batch_size]
        )


@pytest.fixture(scope="module")
def rows(baserow: BaserowSession, baserow_server: Any) -> Iterator[list[Row]]:
    """40 random rows in a table of their own; the rows as Baserow reads them back."""
    options = [{"value": v, "color": "blue"} for v in STAGES]
    table = baserow.backend.create_table(
        baserow_server.database_id,
        f"Rows {random.randrange(10**8)}",
        [
            {"name": "Name", "type": "text"},
            {"name": "Score", "type": "number", "number_negative": True},
            {"name": "Newsletter", "type": "boolean"},
            {"name": "Stage", "type": "single_select", "select_options": options},
            {
                "name": "Tags",
                "type": "multiple_select",
                "select_options": [{"value": v, "color": "red"} for v in TAGS],
            },
            {"name": "Joined", "type": "date"},
        ],
    )
    Row._meta.database, Row._meta.table = baserow_server.database_id, table.id
    try:
        _create_all(baserow, Row, _seed_rows(40))
        yield list(Row.objects.using(baserow).all())
    finally:
        baserow.backend.delete_table(table.id)


# --- the reference: Baserow's semantics in Python ----------------------------------------------


def _bounds(value: Any) -> tuple[dt.date, dt.date]:
    if isinstance(value, str):
        return TOKENS[value]
    return value, value


def _compare(lookup: str, value: Any, operand: Any) -> bool:
    if value is None:
        return False
    first, last = _bounds(operand) if isinstance(value, dt.date) else (operand, operand)
    return {
        "exact": first <= value <= last,
        "gt": value > last,
        "gte": value >= first,
        "lt": value < first,
        "lte": value <= last,
    }[lookup]


def _holds(row: Row, attname: str, lookup: str, operand: Any) -> bool:
    value = getattr(row, attname)
    empty = value in (None, "", []) or (attname == "newsletter" and not value)
    if lookup == "isnull" or (lookup == "exact" and operand is None):
        return empty == (True if operand is None else operand)
    if attname == "newsletter":
        return bool(value) == operand
    if attname == "tags":
        have = set(value)
        return {
            "has_any": bool(have & set(operand)),
            "has_all": set(operand) <= have,
            "has_none": not have & set(operand),
        }[lookup]
    if lookup == "in":
        return any(_holds(row, attname, "exact", item) for item in operand)
    if lookup == "range" or (lookup == "within" and isinstance(operand, tuple)):
        return _compare("gte", value, operand[0]) and _compare("lte", value, operand[1])
    if lookup == "within":
        return _compare("exact", value, operand)
    if lookup == "contains":
        return value is not None and operand.lower() in value.lower()
    return _compare(lookup, value, operand)


def _evaluate(q: Q, row: Row) -> bool:
    results = []
    for child in q.children:
        if isinstance(child, Q):
            results.append(_evaluate(child, row))
        else:
            key, operand = child
            attname, _, lookup = key.partition("__")
            results.append(_holds(row, attname, lookup or "exact", operand))
    combined = all(results) if q.connector == "AND" else any(results)
    return not combined if q.negated else combined


# --- strategies ---------------------------------------------------------------------------------


def _leaf(key: str, values: st.SearchStrategy[Any]) -> st.SearchStrategy[Q]:
    return values.map(lambda value: Q(**{key: value}))


DAYS = st.sampled_from([*OFFSETS, 2]).map(lambda n: TODAY + dt.timedelta(days=n))
TOKEN_OPERANDS = st.sampled_from(sorted(TOKENS))
DAY_OPERANDS = st.one_of(DAYS, TOKEN_OPERANDS)
SCORE_VALUES = st.sampled_from([*SCORES, 7, -10])
LEAVES = st.one_of(
    _leaf("name", st.sampled_from([*NAMES, "ALPHA", "zeta", None])),
    _leaf("name__contains", st.sampled_from(["a", "al", "ALPHA", "ray", "x"])),
    _leaf("name__in", st.lists(st.sampled_from(NAMES), max_size=3)),
    _leaf("name__isnull", st.booleans()),
    _leaf("score", st.one_of(SCORE_VALUES, st.none())),
    *(_leaf(f"score__{op}", SCORE_VALUES) for op in ("gt", "gte", "lt", "lte")),
    _leaf("score__in", st.lists(SCORE_VALUES, max_size=3)),
    _leaf("score__range", st.tuples(SCORE_VALUES, SCORE_VALUES)),
    _leaf("score__isnull", st.booleans()),
    _leaf("newsletter", st.sampled_from([True, False])),
    _leaf("newsletter__isnull", st.booleans()),
    _leaf("stage", st.sampled_from([*STAGES, None])),
    _leaf("stage__in", st.lists(st.sampled_from(STAGES), max_size=2)),
    _leaf("stage__isnull", st.booleans()),
    *(
        _leaf(f"tags__{op}", st.lists(st.sampled_from(TAGS), max_size=3, unique=True))
        for op in ("has_any", "has_all", "has_none")
    ),
    _leaf("tags__isnull", st.booleans()),
    _leaf("joined", st.one_of(DAY_OPERANDS, st.none())),
    *(_leaf(f"joined__{op}", DAY_OPERANDS) for op in ("gt", "gte", "lt", "lte")),
    _leaf("joined__range", st.tuples(DAYS, DAYS)),
    _leaf("joined__within", st.one_of(TOKEN_OPERANDS, st.tuples(TOKEN_OPERANDS, TOKEN_OPERANDS))),
    _leaf("joined__isnull", st.booleans()),
)


def _extend(children: st.SearchStrategy[Q]) -> st.SearchStrategy[Q]:
    groups = st.lists(children, min_size=1, max_size=3)
    return st.one_of(
        groups.map(lambda qs: functools.reduce(operator.and_, qs)),
        groups.map(lambda qs: functools.reduce(operator.or_, qs)),
        children.map(operator.invert),
    )


TREES = st.recursive(LEAVES, _extend, max_leaves=6)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(q=TREES)
def test_every_lookup_and_negation_matches_python(
    baserow: BaserowSession, rows: list[Row], q: Q
) -> None:
    """Baserow returns exactly the rows a pure-Python evaluation of the Q tree keeps."""
    expected = sorted(int(r.id) for r in rows if _evaluate(q, r))  # type: ignore[arg-type]
    got = sorted(int(r.id) for r in Row.objects.using(baserow).filter(q))  # type: ignore[arg-type]
    assert got == expected, Row.objects.using(baserow).filter(q).explain()


def test_count_and_exists_are_one_request(baserow: BaserowSession, rows: list[Row]) -> None:
    """count() reads Baserow's count from a one-row page."""
    events: list[RequestEvent] = []
    baserow.add_listener(events.append)
    try:
        assert Row.objects.using(baserow).filter(newsletter=True).count() == sum(
            1 for r in rows if r.newsletter
        )
    finally:
        baserow.remove_listener(events.append)
    assert [e.method for e in events] == ["GET"]


@pytest.mark.parametrize(
    ("query", "error"),
    [
        (lambda qs: qs.filter(name__startswith="A"), errors.UnsupportedLookup),
        (lambda qs: qs.exclude(name__endswith="a"), errors.UnsupportedLookup),
        (lambda qs: qs.filter(name__contains=" padded "), errors.QueryError),
        (lambda qs: qs.order_by("-created_at"), errors.QueryError),
    ],
)
def test_what_baserow_cannot_say_fails_before_any_request(
    baserow: BaserowSession, rows: list[Row], query: Callable[[Any], Any], error: type[Exception]
) -> None:
    """Lookups and orders Baserow has no filter for raise locally, sending nothing."""
    before = baserow.request_count
    with pytest.raises(error):
        list(query(Row.objects.using(baserow)))
    assert baserow.request_count == before


def test_ordering_and_slices(baserow: BaserowSession, rows: list[Row]) -> None:
    """order_by compiles to Baserow's order_by; slices to page/size."""
    ordered = list(Row.objects.using(baserow).filter(score__isnull=False).order_by("-score"))
    scores = [r.score for r in ordered]
    assert scores == sorted(scores, reverse=True)  # type: ignore[type-var]
    everyone = [r.id for r in Row.objects.using(baserow).all()]
    assert [r.id for r in Row.objects.using(baserow).all()[7:19]] == everyone[7:19]


def test_paging_past_1000_rows(baserow: BaserowSession, baserow_server: Any) -> None:
    """A full scan of 1,050 rows reads 6 pages of 200; count() is one request."""
    table = baserow.backend.create_table(
        baserow_server.database_id,
        f"Many {random.randrange(10**8)}",
        [{"name": "Name", "type": "text"}, {"name": "N", "type": "number"}],
    )
    Many._meta.database, Many._meta.table = baserow_server.database_id, table.id
    try:
        _create_all(baserow, Many, [{"name": f"r{i}", "n": i} for i in range(1050)])
        before = baserow.request_count
        assert Many.objects.using(baserow).count() == 1050
        assert baserow.request_count - before == 1
        before = baserow.request_count
        scanned = list(Many.objects.using(baserow).all())
        assert baserow.request_count - before == 6
        assert [m.n for m in scanned] == list(range(1050))
        assert len({m.id for m in scanned}) == 1050
        assert [m.n for m in Many.objects.using(baserow).all()[995:1010]] == list(range(995, 1010))
        assert [m.n for m in Many.objects.using(baserow).order_by("-n")[:3]] == [1049, 1048, 1047]
        assert Many.objects.using(baserow).filter(n__gte=1000).count() == 50
    finally:
        baserow.backend.delete_table(table.id)
