"""Property test: ``Model.objects.filter(q)`` returns what a Django-like evaluation returns.

Random ``Q`` trees (``&``, ``|``, ``~`` over every lookup of text, number, checkbox, single
and multiple select and date fields, operands drawn from the records' own values, empties
included) go through the whole ORM: ``filter``/``exclude`` on a model, resolution, the
compiler, real HTTP and the emulator's search. The ids that come back must equal a pure-Python
evaluation of the same ``Q`` over the same records, written here independently of the
library: ``exclude``/``~`` is the exact complement (records with empty values are kept), text
compares case-insensitively as in Softr, an unchecked checkbox is ``False`` and empty at once.

The compiler-level twin of this test is ``test_compiler_property.py``; this one also covers
the QuerySet layer (chained ``filter``/``exclude``, default ordering, paging of the result).
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
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
    compare,
    q_lookup,
    subsets,
    token_days,
    trees_of,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from softr_orm import Model, Q, Session, fields
from softr_orm.emulator import Emulator

pytestmark = pytest.mark.integration


@dataclass
class Env:
    model: type[Model]
    session: Session
    ids: list[str]  # by record index


def _model(database_id: str) -> type[Model]:
    class Row(Model):
        name = fields.SingleLineText("Name")
        score = fields.Number("Score")
        newsletter = fields.Checkbox("Newsletter")
        stage = fields.Select("Stage")
        tags = fields.Select("Tags", multiple=True)
        joined = fields.Date("Joined")

        class Meta:
            database = database_id
            table = "Rows"

    return Row


@pytest.fixture(scope="module")
def env(emu: Emulator) -> Iterator[Env]:
    database_id = emu.create_database("orm property")["id"]
    emu.create_table(database_id, "Rows", TABLE_FIELDS)
    model = _model(database_id)
    session = Session(emu.api_key, base_url=emu.base_url, rate_limit=False, max_filter_depth=50)
    objects = model.objects.using(session)
    ids = []
    # Through the ORM, one by one, so each record has its own creation time.
    for record in RECORDS:
        ids.append(objects.create(**{k: v for k, v in record.items() if v is not None}).id)
    try:
        yield Env(model, session, ids)
    finally:
        session.close()


# --- the reference evaluation (Django semantics over Softr's notion of empty) --------------------


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _fold(value: Any) -> str:
    return str(value).casefold()


def _day(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _days(operand: Any) -> tuple[dt.date, dt.date]:
    if isinstance(operand, str) and operand.startswith("PREDEFINED:"):
        return token_days(operand)
    day = _day(operand)
    return day, day


def _number(value: Any) -> Decimal:
    return Decimal(str(value))


def _leaf(key: str, operand: Any, record: dict[str, Any]) -> bool:
    name, _, lookup = key.partition("__")
    lookup = lookup or "exact"
    value = record[name]
    if lookup == "exact" and operand is None:
        lookup, operand = "isnull", True
    if name == "newsletter":  # unchecked, False and empty are one and the same
        checked = bool(value)
        return checked == operand if lookup == "exact" else (not checked) == operand
    if lookup == "isnull":
        return _empty(value) == operand
    if name == "tags":
        have = {_fold(t) for t in value or ()}
        wanted = {_fold(t) for t in operand}
        return {
            "has_any": bool(have & wanted),
            "has_all": wanted <= have,
            "has_none": not have & wanted,
        }[lookup]
    if _empty(value):
        return False  # positive lookups never match an empty value
    if name in ("name", "stage"):
        text = _fold(value)
        if lookup == "in":
            return text in {_fold(o) for o in operand}
        needle = _fold(operand)
        return {
            "exact": text == needle,
            "contains": needle in text,
            "startswith": text.startswith(needle),
            "endswith": text.endswith(needle),
        }[lookup]
    if name == "score":
        number = _number(value)
        if lookup == "in":
            return any(number == _number(o) for o in operand)
        if lookup == "range":
            return _number(operand[0]) <= number <= _number(operand[1])
        other = _number(operand)
        return {
            "exact": number == other,
            "gt": number > other,
            "gte": number >= other,
            "lt": number < other,
            "lte": number <= other,
        }[lookup]
    assert name == "joined", name
    if lookup in ("range", "within"):
        low, high = (operand, operand) if isinstance(operand, str) else operand
        return _days(low)[0] <= value <= _days(high)[1]
    return compare(lookup, value, *_days(operand))


def evaluate(q: Q, record: dict[str, Any]) -> bool:
    """Django's meaning of a Q object, over one record's Python values."""
    results = (
        evaluate(child, record) if isinstance(child, Q) else _leaf(child[0], child[1], record)
        for child in q.children
    )
    value = all(results) if q.connector == Q.AND else any(results)
    return not value if q.negated else value


# --- random trees (this test's own leaves; the shared ones are in _random_q) ----------------------


LEAVES = st.one_of(
    st.one_of(
        q_lookup("name", st.one_of(NAME_VALUES, st.none())),
        q_lookup("name__exact", NAME_VALUES),
        q_lookup("name__contains", FRAGMENTS),
        q_lookup("name__startswith", FRAGMENTS),
        q_lookup("name__endswith", FRAGMENTS),
        q_lookup("name__in", st.lists(NAME_VALUES, max_size=3)),
        q_lookup("name__isnull", ISNULL),
    ),
    st.one_of(*SCORE_LEAVES),
    st.one_of(*NEWSLETTER_LEAVES),
    st.one_of(
        q_lookup("stage", st.one_of(st.sampled_from([*STAGES, "won", "LEAD"]), st.none())),
        q_lookup("stage__in", subsets(STAGES)),
        q_lookup("stage__isnull", ISNULL),
    ),
    st.one_of(*TAGS_LEAVES),
    st.one_of(*JOINED_LEAVES),
)


TREES = trees_of(LEAVES)


@dataclass(frozen=True)
class Query:
    """A chain of filter()/exclude() calls, and the Q it means."""

    steps: tuple[tuple[str, Q], ...]

    def meaning(self) -> Q:
        parts = [q if kind == "filter" else ~q for kind, q in self.steps]
        return functools.reduce(operator.and_, parts)


QUERIES = st.lists(
    st.tuples(st.sampled_from(["filter", "exclude"]), st.one_of(LEAVES, TREES)),
    min_size=1,
    max_size=2,
).map(lambda steps: Query(tuple(steps)))


def _check(env: Env, query: Query) -> int:
    qs = env.model.objects.using(env.session).all()
    for kind, q in query.steps:
        qs = qs.filter(q) if kind == "filter" else qs.exclude(q)
    got = [r.id for r in qs]
    meaning = query.meaning()
    expected = [env.ids[i] for i, record in enumerate(RECORDS) if evaluate(meaning, record)]
    if got != expected:
        by_id = dict(zip(env.ids, RECORDS, strict=True))
        extra = [by_id[i] for i in set(got) - set(expected)]
        missing = [by_id[i] for i in set(expected) - set(got)]
        pytest.fail(
            f"mismatch for {query.steps!r}\nbody: {qs.explain()!r}\n"
            f"returned but not expected: {extra}\nexpected but not returned: {missing}\n"
            f"order ok: {sorted(got) == sorted(expected)}"
        )
    return len(got)


def test_records_read_back_as_written(env: Env) -> None:
    """The records the property runs over are stored as generated (empties included)."""
    rows = list(env.model.objects.using(env.session).all())
    assert [r.id for r in rows] == env.ids
    for row, record in zip(rows, RECORDS, strict=True):
        assert row.name == (record["name"] or None)
        assert row.score == record["score"]
        assert row.newsletter is bool(record["newsletter"])
        assert row.stage == record["stage"]
        assert sorted(row.tags) == sorted(record["tags"] or [])
        assert row.joined == record["joined"]


def test_every_lookup_alone_and_excluded(env: Env) -> None:
    """A fixed sample of lookups, each alone and excluded, splits the table as expected."""
    samples = [
        Q(name="alpha"),
        Q(name=None),
        Q(name__contains="ta"),
        Q(name__in=["beta", "Ωmega"]),
        Q(score=Decimal("2.5")),
        Q(score__gt=2),
        Q(score__range=(0, 5)),
        Q(score__in=[]),
        Q(newsletter=False),
        Q(newsletter__isnull=True),
        Q(stage="won"),
        Q(stage__in=["Lead", "Lost"]),
        Q(tags__has_all=["vip", "lead"]),
        Q(tags__has_none=["vip"]),
        Q(tags__has_all=[]),
        Q(joined__lt="PREDEFINED:THIS_MONTH"),
        Q(joined__within="PREDEFINED:THIS_YEAR"),
        Q(joined=TODAY),
    ]
    split = 0
    for q in samples:
        hits = _check(env, Query((("filter", q),)))
        misses = _check(env, Query((("exclude", q),)))
        assert hits + misses == N_RECORDS
        split += bool(hits and misses)
    assert split > len(samples) // 2


def test_orm_filters_match_reference_evaluation(env: Env) -> None:
    """For random filter/exclude chains of random Q trees, the ORM returns the reference ids."""

    @settings(
        max_examples=150,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(QUERIES)
    def check(query: Query) -> None:
        _check(env, query)

    check()
