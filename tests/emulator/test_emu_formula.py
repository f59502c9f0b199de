"""Tests for softr_orm.emulator.store.formula: the FORMULA subset the emulator evaluates."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from softr_orm.emulator.store.formula import (
    MAX_NUMBER,
    MAX_TEXT,
    bounded_result,
    evaluate_formula,
    supported_formula,
)

VALUES: dict[str, Any] = {
    "Amount": Decimal("1000.50"),
    "Probability": 30,
    "Status": "Open",
    "Estimate": 10,
    "Rate": 0.5,
    "Name": "Acme",
    "Done": True,
    "Empty": None,
    "Blank": "",
    "Tags": ["vip", "lead"],
    "One": [7],
    "Count": "12",
    "Zero": 0,
}


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 - 4 - 3", 3),
        ("-{Estimate} + 1", -9),
        ("--2", 2),
        ("+{Count}", 12),
        ("8 / 2", 4),
        ("7 / 2", 3.5),
        ("2e3 + 1", Decimal("2001")),
        ("{Amount} * {Probability} / 100", Decimal("300.15")),
        ("{Amount} + 0.25", Decimal("1000.75")),
        ("{Rate} * 4", 2.0),
        ("{Rate} + {Amount}", Decimal("1001.00")),
        ("{Estimate} * 1.2", Decimal("12.0")),
        ("{Count} * 2", 24),
        ("{One} + 1", 8),
        ("{Done} + 1", 2),
        # empties count as 0 in arithmetic
        ("{Empty} + 5", 5),
        ("{Missing} * 3", 0),
        ("{Blank} - 1", -1),
        # division by zero and non-numbers make the whole formula empty
        ("1 / 0", None),
        ("{Estimate} / {Zero} + 1", None),
        ("{Amount} / {Empty}", None),
        ("{Name} * 2", None),
        ("{Tags} + 1", None),
        # concatenation
        ("{Name} & ' Inc'", "Acme Inc"),
        ('"a" & 1 & {Empty} & {Done}', "a1true"),
        ("{Tags} & '!'", "vip, lead!"),
        ("{Rate} & '/' & 3.0 & '/' & {Amount}", "0.5/3.0/1000.50"),
        ('\'it\\\'s\' & "\\"q\\""', 'it\'s"q"'),
        ("1 + 2 & 3", "33"),
        # comparisons
        ("{Status} = 'Open'", True),
        ("{Status} = 'open'", False),
        ("{Status} != 'Open'", False),
        ("{Status} <> 'Closed'", True),
        ("{Estimate} > 9", True),
        ("{Estimate} >= 10", True),
        ("{Estimate} < 10", False),
        ("{Estimate} <= 10", True),
        ("{Count} = 12", True),
        ("{Rate} = 0.5", True),
        ("{Amount} > {Rate}", True),
        ("{Empty} = 0", True),
        ("{Empty} = ''", True),
        ("{Empty} = {Missing}", True),
        ("{Empty} < 1", True),
        ("{Name} = 1", False),
        ("{Name} != 1", True),
        ("{Name} < 1", False),
        ("'b' > 'a'", True),
        # functions
        ("IF({Status} = 'Open', {Estimate} * 1.2, {Estimate})", Decimal("12.0")),
        ("IF({Status} = 'Closed', 1, 2)", 2),
        ("if({Done}, 'yes', 'no')", "yes"),
        ("IF({Empty}, 1)", None),
        ("IF({Blank}, 1, IF({Zero}, 2, 3))", 3),
        ("IF({Tags}, 'has tags', 'none')", "has tags"),
        ("AND({Done}, {Estimate} > 5)", True),
        ("AND({Done}, {Empty})", False),
        ("OR({Empty}, {Zero}, {Blank})", False),
        ("OR({Empty}, 1)", True),
        ("NOT({Done})", False),
        ("NOT({Empty})", True),
        ("TRUE()", True),
        ("FALSE()", False),
        ("TRUE & FALSE", "truefalse"),
        ("{Missing}", None),
        ("{Status}", "Open"),
    ],
)
def test_evaluate(formula: str, expected: Any) -> None:
    """The documented subset evaluates as documented (Decimal exact, empties as 0)."""
    result = evaluate_formula(formula, VALUES)
    assert result == expected
    assert type(result) is type(expected)


def test_decimal_results_stay_exact() -> None:
    """Currency stays exact: 0.1 + 0.2 is 0.3 with Decimal inputs."""
    assert evaluate_formula("{A} + {B}", {"A": Decimal("0.1"), "B": Decimal("0.2")}) == Decimal(
        "0.3"
    )
    assert str(evaluate_formula("{A} * 3", {"A": Decimal("19.99")})) == "59.97"


@pytest.mark.parametrize(
    "formula",
    [
        "SUM(1, 2)",
        "ROUND({Amount}, 2)",
        "CONCATENATE('a', 'b')",
        "1 +",
        "(1 + 2",
        "1 + 2)",
        "IF(1)",
        "IF(1, 2, 3, 4)",
        "NOT(1, 2)",
        "AND()",
        "{Unclosed",
        "'unterminated",
        "1 ** 2",
        "1 % 2",
        "__import__('os').system('true')",
        "{a} {b}",
        "Status",
        "",
        "   ",
        "1 = = 2",
        "(" * 200 + "1" + ")" * 200,
        "-" * 500 + "1",
    ],
)
def test_unsupported_formulas(formula: str) -> None:
    """Unknown functions, syntax errors and runaway nesting are unsupported: None / False."""
    assert supported_formula(formula) is False
    assert evaluate_formula(formula, VALUES) is None


@pytest.mark.parametrize(
    "formula",
    [
        "{Amount} * {Probability} / 100",
        "IF({Status} = 'Open', {Estimate} * 1.2, {Estimate})",
        "AND(TRUE(), NOT(FALSE()))",
        '{Field with spaces & symbols!} & "x"',
        "((((1))))",
    ],
)
def test_supported_formulas(formula: str) -> None:
    """Formulas of the subset are reported as supported, including odd field names."""
    assert supported_formula(formula) is True


def test_non_string_formula_is_unsupported() -> None:
    """A formula option of the wrong type neither crashes nor evaluates."""
    assert supported_formula(42) is False  # type: ignore[arg-type]
    assert evaluate_formula(None, VALUES) is None  # type: ignore[arg-type]


def test_field_names_are_exact() -> None:
    """References look up names exactly, spaces included."""
    assert evaluate_formula("{Deal amount} * 2", {"Deal amount": 4}) == 8
    assert evaluate_formula("{deal amount} * 2", {"Deal amount": 4}) == 0


def test_float_overflow_is_empty() -> None:
    """An infinite result is no result."""
    assert evaluate_formula("{Big} * {Big}", {"Big": 1e308}) is None


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet="{}()'\",+-*/&=<>!1.5 AIFNDORTxe\\", max_size=30) | st.text(max_size=20)
)
def test_evaluate_never_raises(text: str) -> None:
    """Arbitrary formula text evaluates to a value or None, never an exception."""
    result = evaluate_formula(text, VALUES)
    assert supported_formula(text) or result is None


@settings(max_examples=200, deadline=None)
@given(
    a=st.integers(-1000, 1000),
    b=st.integers(-1000, 1000),
    c=st.integers(-1000, 1000),
)
def test_integer_arithmetic_matches_python(a: int, b: int, c: int) -> None:
    """Precedence and associativity agree with ordinary arithmetic."""
    values = {"a": a, "b": b, "c": c}
    assert evaluate_formula("{a} + {b} * {c}", values) == a + b * c
    assert evaluate_formula("({a} - {b}) - {c}", values) == a - b - c
    assert evaluate_formula("{a} - {b} - {c}", values) == a - b - c
    assert evaluate_formula("{a} < {b}", values) is (a < b)
    expected = None if c == 0 else a / c
    assert evaluate_formula("{a} / {c}", values) == expected


# --- bounds: Softr's own limits (a long text's 65,536 characters, a double's range) ----------


def test_an_integer_past_a_doubles_range_is_empty() -> None:
    """Twenty products of 10**300 would be a 6,000-digit integer (too long even to print)."""
    formula = " * ".join(["{N}"] * 20)
    assert evaluate_formula(formula, {"N": 10**300}) is None
    assert evaluate_formula("{N} * 1", {"N": 10**300}) == 10**300


def test_a_number_at_the_edge_of_the_range_is_kept() -> None:
    assert evaluate_formula("{N} + 0", {"N": MAX_NUMBER}) == MAX_NUMBER
    assert evaluate_formula("{N} * 10", {"N": MAX_NUMBER}) is None
    assert evaluate_formula("+{T}", {"T": "1e400"}) is None  # a numeric text, out of range


def test_text_longer_than_a_long_text_is_empty() -> None:
    """A text may grow to 65,536 characters and not one more, checked at every step, so a
    chain of concatenations never builds gigabytes."""
    half = "x" * (MAX_TEXT // 2)
    assert evaluate_formula("{A} & {A}", {"A": half}) == half * 2
    assert evaluate_formula("{A} & {A} & 'y'", {"A": half}) is None
    assert evaluate_formula("{A} & {A} & {A} & {A} & {A} & {A}", {"A": half}) is None
    assert MAX_TEXT == 65_536


def test_bounded_result_keeps_what_softr_could_hold() -> None:
    assert bounded_result("x" * MAX_TEXT) == "x" * MAX_TEXT
    assert bounded_result("x" * (MAX_TEXT + 1)) is None
    assert bounded_result(10**400) is None
    assert bounded_result(True) is True and bounded_result(None) is None
