"""Tests for softr_orm.emulator.store.rollup: the 14 ROLLUP functions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from softr_orm.constants import ROLLUP_FUNCTIONS
from softr_orm.emulator.store.rollup import rollup

MIXED: list[Any] = [3, None, Decimal("2.50"), "x", [1, 4], True, "", [], 0.5]

CASES: list[tuple[str, list[Any], Any]] = [
    ("SUM", [1, 2, 3], 6),
    ("SUM", [], 0),
    ("SUM", [None, "x", True], 0),
    ("SUM", MIXED, Decimal("11.00")),
    ("SUM", [0.1, 0.2], 0.30000000000000004),
    ("SUM", [Decimal("0.1"), 0.2], Decimal("0.3")),
    ("MIN", [5, [2, 9], None], 2),
    ("MIN", MIXED, Decimal("0.5")),
    ("MIN", [], None),
    ("MIN", ["2026-05-01", "2025-12-31T23:00:00Z", "n/a"], "2025-12-31T23:00:00Z"),
    ("MAX", [5, [2, 9], None], 9),
    ("MAX", ["2026-05-01", "2026-05-01T10:00:00+02:00"], "2026-05-01T10:00:00+02:00"),
    ("MAX", ["a", None], None),
    ("COUNT", MIXED, 5),
    ("COUNT", ["1", True, None], 0),
    ("AVERAGE", [1, 2, 3, 4], 2.5),
    ("AVERAGE", [2, 4], 3),
    ("AVERAGE", [Decimal("1.00"), Decimal("2.00")], Decimal("1.50")),
    ("AVERAGE", [None, "x"], None),
    ("ARRAYCOMPACT", MIXED, [3, Decimal("2.50"), "x", [1, 4], True, 0.5]),
    ("ARRAYCOMPACT", [None, "", [], 0, False], [0, False]),
    ("ARRAYJOIN", ["a", None, ["b", "c"], 1.0, {"label": "Won"}], "a, b, c, 1, Won"),
    ("ARRAYJOIN", [None, ""], None),
    ("ARRAYUNIQUE", [[1, 2], [2, True], 1.0, "a", "a", None, None], [1, 2, True, "a", None]),
    ("ARRAYUNIQUE", [{"id": "r1"}, {"id": "r1"}, {"id": "r2"}], [{"id": "r1"}, {"id": "r2"}]),
    ("ARRAYFLATTEN", [[1, [2, [3]]], None, [], "x"], [1, 2, 3, None, "x"]),
    ("CONCATENATE", ["a", None, ["b", 2], False], "ab2false"),
    ("CONCATENATE", [], None),
    ("COUNTALL", MIXED, 9),
    ("COUNTALL", [None, None], 2),
    ("COUNTA", MIXED, 6),
    ("COUNTA", [None, "", [], {}], 0),
    ("OR", [None, 0, [False, "x"]], True),
    ("OR", [None, 0, "", []], False),
    ("OR", [], False),
    ("AND", [True, 1, ["x", True]], True),
    ("AND", [True, None], False),
    ("AND", [True, [0]], False),
    ("AND", [], True),
]


@pytest.mark.parametrize(("function", "values", "expected"), CASES)
def test_rollup_functions(function: str, values: list[Any], expected: Any) -> None:
    """Each function computes what the module docstring documents."""
    result = rollup(function, values)
    assert result == expected
    assert type(result) is type(expected)


def test_cases_cover_all_functions() -> None:
    """The table exercises all 14 functions of the API."""
    assert {case[0] for case in CASES} == set(ROLLUP_FUNCTIONS)
    assert len(ROLLUP_FUNCTIONS) == 14


def test_currency_sum_stays_exact() -> None:
    """Summing currency amounts never picks up float error."""
    amounts = [Decimal("19.99")] * 3 + [Decimal("0.03")]
    assert rollup("SUM", amounts) == Decimal("60.00")
    assert (
        str(rollup("AVERAGE", [Decimal("10.00"), Decimal("20.00"), 1]))
        == "10.33333333333333333333333333"
    )


def test_names_are_case_insensitive_and_unknown_is_value_error() -> None:
    """Lower-case names work; anything else is a ValueError."""
    assert rollup("sum", [1, 2]) == 3
    for bad in ("MEDIAN", "", None, 3):
        with pytest.raises(ValueError, match="unknown ROLLUP function"):
            rollup(bad, [1])  # type: ignore[arg-type]


def test_none_and_scalar_values_are_tolerated() -> None:
    """None is no values, a bare scalar is one value."""
    assert rollup("COUNTALL", None) == 0  # type: ignore[arg-type]
    assert rollup("SUM", 5) == 5  # type: ignore[arg-type]
    assert rollup("ARRAYJOIN", "abc") == "abc"


def test_non_finite_numbers_are_ignored() -> None:
    """NaN and infinities are not numbers for the numeric functions."""
    values = [1, float("nan"), float("inf"), Decimal("NaN"), Decimal("sNaN"), 2]
    assert rollup("SUM", values) == 3
    assert rollup("COUNT", values) == 2
    assert len(rollup("ARRAYUNIQUE", values)) == 6


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.decimals()
    | st.text(max_size=5)
    | st.sampled_from(["2026-01-01", "2025-06-01T10:00:00Z"]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=2)
    ),
    max_leaves=10,
)


@settings(max_examples=200, deadline=None)
@given(function=st.sampled_from(ROLLUP_FUNCTIONS), values=st.lists(JSON, max_size=6))
def test_rollup_never_raises(function: str, values: list[Any]) -> None:
    """Any list of JSON-like values gives a result, never an exception."""
    result = rollup(function, values)
    if function in ("COUNT", "COUNTA", "COUNTALL"):
        assert isinstance(result, int) and result >= 0
    if function in ("OR", "AND"):
        assert isinstance(result, bool)
