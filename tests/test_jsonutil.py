"""Tests for softr_orm.http.jsonutil: exact decimals on the wire, json-compatible for the rest."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from softr_orm.http import jsonutil


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        (Decimal("12345678901234567.89"), b"12345678901234567.89"),
        (Decimal("0.1"), b"0.1"),
        (Decimal("-0.000001"), b"-0.000001"),
        (Decimal("1E+2"), b"1E+2"),
        (Decimal("1.50"), b"1.50"),
        (Decimal("42"), b"42"),
    ],
)
def test_decimal_written_exactly(value: Decimal, wire: bytes) -> None:
    """A Decimal is written with exactly its digits, never through float."""
    assert jsonutil.dumps(value) == wire
    assert jsonutil.dumps({"amount": value}) == b'{"amount":' + wire + b"}"


@pytest.mark.parametrize(
    "value", [Decimal("12345678901234567.89"), Decimal("0.1"), Decimal("1.50"), Decimal("1E+2")]
)
def test_decimal_round_trip_is_exact(value: Decimal) -> None:
    """dumps then loads gives back the same Decimal, digits and exponent included."""
    back = jsonutil.loads(jsonutil.dumps({"v": [value]}))["v"][0]
    assert isinstance(back, Decimal)
    assert str(back) == str(value)


def test_loads_reads_non_integers_as_decimal_and_integers_as_int() -> None:
    """Non-integer numbers come back as Decimal; integers stay int (even huge ones)."""
    data = jsonutil.loads(b'{"a": 0.1, "b": 7, "c": 123456789012345678901234567890, "d": 1e3}')
    assert data == {"a": Decimal("0.1"), "b": 7, "c": 123456789012345678901234567890, "d": 1000}
    assert type(data["b"]) is int and type(data["c"]) is int
    assert isinstance(data["a"], Decimal) and isinstance(data["d"], Decimal)


def test_loads_accepts_str_and_bytes() -> None:
    """Both bytes (a response body) and str decode the same."""
    assert jsonutil.loads('{"x": "é"}') == jsonutil.loads('{"x": "é"}'.encode()) == {"x": "é"}


NESTED: list[Any] = [
    {"data": [{"id": "rK2", "fields": {"a": 1, "b": None, "c": [True, False]}}]},
    {"text": 'quote " backslash \\ newline \n tab \t unicode é 中 🙂 control \x01'},
    [1, 2.5, -3, [], {}, [[[]]], {"k": {"k": {"k": "v"}}}],
    ("tuple", "becomes", "list"),
    {"1": "str key"},
]


@pytest.mark.parametrize("value", NESTED)
def test_matches_json_dumps_for_plain_structures(value: Any) -> None:
    """Without Decimals the bytes are exactly compact json.dumps output in UTF-8."""
    expected = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    assert jsonutil.dumps(value) == expected
    assert jsonutil.loads(jsonutil.dumps(value)) == json.loads(expected, parse_float=Decimal)


def test_nested_decimals_round_trip() -> None:
    """Decimals deep inside dicts and lists survive a round trip exactly."""
    value = {"records": [{"fields": {"price": Decimal("19.99"), "tags": [Decimal("0.30")]}}]}
    back = jsonutil.loads(jsonutil.dumps(value))
    assert back == value
    assert str(back["records"][0]["fields"]["tags"][0]) == "0.30"


def test_non_string_keys_are_coerced_like_json() -> None:
    """int, float, bool and None keys become strings as with json.dumps."""
    value = {1: "a", 2.5: "b", False: "c", None: "d"}
    expected = json.dumps(value, separators=(",", ":")).encode()
    assert jsonutil.dumps(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        Decimal("NaN"),
        Decimal("sNaN"),
        Decimal("Infinity"),
        Decimal("-Infinity"),
        math.nan,
        math.inf,
        -math.inf,
        {"nested": [Decimal("NaN")]},
    ],
)
def test_non_finite_numbers_are_refused(value: Any) -> None:
    """NaN and infinities are not JSON: refused with ValueError."""
    with pytest.raises(ValueError, match="non-finite"):
        jsonutil.dumps(value)


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", '{"a": -Infinity}'])
def test_loads_refuses_non_finite_constants(text: str) -> None:
    """json.loads would accept NaN/Infinity; we do not."""
    with pytest.raises(ValueError, match="non-finite"):
        jsonutil.loads(text)


@pytest.mark.parametrize("value", [{1, 2}, object(), b"bytes", {"k": {(1, 2): "tuple key"}}])
def test_unsupported_types_raise_type_error(value: Any) -> None:
    """Anything json.dumps cannot encode is a TypeError here too."""
    with pytest.raises(TypeError):
        jsonutil.dumps(value)


def test_circular_reference_is_refused() -> None:
    """A self-containing list raises ValueError instead of recursing forever."""
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular"):
        jsonutil.dumps(loop)


def test_shared_but_not_circular_objects_are_fine() -> None:
    """The same list appearing twice (not inside itself) is not a cycle."""
    shared = [1]
    assert jsonutil.dumps([shared, shared]) == b"[[1],[1]]"


def test_invalid_json_raises_value_error() -> None:
    """A malformed body is a ValueError (json.JSONDecodeError)."""
    with pytest.raises(ValueError):
        jsonutil.loads(b"{not json")


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_any_finite_decimal_round_trips_by_value(value: Decimal) -> None:
    """Every finite Decimal comes back numerically equal (integral ones may come back int)."""
    back = jsonutil.loads(jsonutil.dumps(value))
    assert back == value
    if not isinstance(back, int):
        assert str(back) == str(value)


class _Number(str):
    """A JSON number's text (a Decimal's ``str``), written unquoted."""


_json_text = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.decimals(allow_nan=False, allow_infinity=False).map(lambda d: _Number(str(d))),
        st.text(),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=12,
)


def _as_json(value: Any) -> str:
    """Number texts in the tree are written as JSON numbers (what Softr sends)."""
    if isinstance(value, list):
        return "[" + ",".join(_as_json(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{_as_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, _Number):
        return str(value)
    return json.dumps(value)


@given(_json_text)
def test_fast_decoding_matches_the_json_module(value: Any) -> None:
    """msgspec's decoding gives exactly what json with parse_float=Decimal gives: same
    values, same types (int stays int, every other number a Decimal with its digits)."""
    text = _as_json(value)
    expected = json.loads(text, parse_float=Decimal)
    got = jsonutil.loads(text.encode("utf-8"))
    assert got == expected
    assert repr(got) == repr(expected)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'"\\ud800"', "\ud800"),  # a lone surrogate: valid JSON that msgspec refuses
        (b"[" + b"9" * 100 + b"]", [int("9" * 100)]),  # beyond 64 bits
        ('{"a": 1.50}'.encode("utf-16"), {"a": Decimal("1.50")}),
    ],
)
def test_bodies_msgspec_cannot_take_fall_back_to_json(body: bytes, expected: Any) -> None:
    """What the fast decoder refuses is read by the json module, as before."""
    assert jsonutil.loads(body) == expected
