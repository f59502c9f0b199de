"""Hostile values fail fast with the documented SoftrError subclass naming model, field and
value, never with a builtin error after seconds of CPU (issue 12, "no hang, no exhaustion")."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest
import responses
from _api_support import BASE, make_session

from softr_orm import Model, Q, errors, fields
from softr_orm.backends.softr.endpoints import SoftrAPI
from softr_orm.query.conditions import MAX_Q_DEPTH


class Account(Model):
    name = fields.SingleLineText("Name")
    notes = fields.LongText("Notes")
    score = fields.Number("Score")
    budget = fields.Currency("Budget")
    share = fields.Percent("Share")

    class Meta:
        database = "db1"
        table = "Accounts"


HOSTILE = [
    ("score", Decimal("1e999999")),
    ("score", Decimal("-1e999999")),
    ("score", Decimal("1e-999999")),
    ("score", 10**5000),
    ("share", -(10**400)),
    ("budget", Decimal("1e999999")),
    ("budget", "1e999999"),
    ("budget", 10**5000),
    ("name", "a\ud800b"),
    ("notes", "\udfff"),
]
IDS = [f"{attname}-{index}" for index, (attname, _) in enumerate(HOSTILE)]


@pytest.mark.parametrize(("attname", "value"), HOSTILE, ids=IDS)
def test_hostile_values_are_refused_at_once(attname: str, value: Any) -> None:
    started = time.perf_counter()
    with pytest.raises(errors.InvalidValue) as info:
        Account(**{attname: value})
    assert time.perf_counter() - started < 0.5  # int(Decimal('1e999999')) alone took 20 s+
    error = info.value
    assert (error.model, error.field) == ("Account", attname)
    assert f"Account.{attname}" in str(error)


@pytest.mark.parametrize(("attname", "value"), HOSTILE, ids=IDS)
def test_hostile_filter_operands_are_refused_at_once(attname: str, value: Any) -> None:
    if isinstance(value, str) and attname == "budget":
        value = Decimal(value)
    with pytest.raises(errors.InvalidValue) as info:
        Account.objects.filter(
            **{
                f"{attname}__gte"
                if attname not in ("name", "notes")
                else f"{attname}__contains": value
            }
        )
    assert info.value.field == attname


@pytest.mark.parametrize(
    ("attname", "value"),
    [
        ("score", Decimal("1e308")),
        ("score", 10**300),
        ("budget", Decimal("-1e-300")),
        ("name", "例え 😀"),
    ],
)
def test_large_but_storable_values_are_kept(attname: str, value: Any) -> None:
    assert getattr(Account(**{attname: value}), attname) == value


def test_q_trees_nested_too_deeply_raise_a_query_error() -> None:
    q = Q(name="x")
    for i in range(5000):
        q = ~(q | Q(score=i))
    started = time.perf_counter()
    with pytest.raises(errors.QueryError, match=r"Account.*nested") as info:
        Account.objects.filter(q)
    assert time.perf_counter() - started < 0.5
    assert str(MAX_Q_DEPTH) in str(info.value)


def test_q_at_the_depth_limit_is_accepted() -> None:
    q = Q(name="x")
    for i in range(MAX_Q_DEPTH - 1):
        q = ~(q | Q(score=i))
    assert Account.objects.filter(q) is not None


@pytest.mark.parametrize("status", [200, 400])
def test_answers_nested_thousands_deep_raise_typed_errors(status: int) -> None:
    api = SoftrAPI(make_session())
    deep = "[" * 100_000 + "]" * 100_000
    with responses.RequestsMock() as mocked:
        mocked.add(
            responses.GET, f"{BASE}/databases/db1/tables/t1/records/r1", body=deep, status=status
        )
        with pytest.raises(errors.APIError) as info:
            api.get_record("db1", "t1", "r1")
    error = info.value
    assert error.status == status
    if status == 200:
        assert isinstance(error, errors.UnexpectedResponse) and "deep" in str(error)


def _deep_dict(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {"operator": "IS", "leftSide": "f1", "rightSide": "x"}
    for _ in range(levels):
        value = {"operator": "AND", "conditions": [value]}
    return value


def test_raw_conditions_nested_too_deeply_raise_a_query_error() -> None:
    """A raw condition thousands deep: QueryError at once, not a RecursionError in a copy, a
    repr or the JSON encoder."""
    started = time.perf_counter()
    with pytest.raises(errors.QueryError, match="nested"):
        Q(raw=_deep_dict(5000))
    with pytest.raises(TypeError, match="Q\\(\\) takes"):
        Q(_deep_dict(5000))  # type: ignore[arg-type]
    assert time.perf_counter() - started < 0.5
    assert Q(raw=_deep_dict(10))
