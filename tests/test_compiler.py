"""Tests for softr_orm.backends.softr.compiler: condition tree -> Softr search body."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from softr_orm import fields
from softr_orm.backends.softr.compiler import (
    LOOKUP_OPERATORS,
    build_search_body,
    compile_filter,
    compile_sorting,
    filter_depth,
)
from softr_orm.constants import OPERATORS
from softr_orm.errors import InvalidValue, QueryError, UnsupportedLookup
from softr_orm.query.conditions import (
    FALSE,
    LOOKUPS,
    RECORD_ID_KEY,
    TRUE,
    And,
    Condition,
    Node,
    Not,
    Or,
    Q,
    RawCondition,
    resolve,
    substitute_record_id,
)


def text(lookup: str, value: Any, key: str = "tXt01") -> Condition:
    return Condition(key, lookup, value, "SINGLE_LINE_TEXT", False, "M.name")


def num(lookup: str, value: Any, key: str = "nUm01") -> Condition:
    return Condition(key, lookup, value, "NUMBER", False, "M.score")


def check(lookup: str, value: Any, key: str = "cHk01") -> Condition:
    return Condition(key, lookup, value, "CHECKBOX", False, "M.newsletter")


def tags(lookup: str, value: Any, key: str = "tAg01") -> Condition:
    return Condition(key, lookup, value, "SELECT", True, "M.tags")


def day(lookup: str, value: Any, key: str = "dAt01") -> Condition:
    return Condition(key, lookup, value, "DATE", False, "M.joined")


def cond(node: Node, max_depth: int = 50) -> Any:
    """The compiled root condition (unwrapped from ``{"condition": ...}``)."""
    compiled = compile_filter(node, max_depth=max_depth)
    assert isinstance(compiled, dict)
    assert list(compiled) == ["condition"]
    return compiled["condition"]


def leaf(operator: str, key: str, *args: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"operator": operator, "leftSide": key}
    if len(args) == 1:
        out["rightSide"] = args[0]
    elif len(args) == 2:
        out["lowerBound"], out["upperBound"] = args
    return out


def empty(key: str) -> dict[str, Any]:
    return {"operator": "IS_EMPTY", "leftSide": key}


def OR(*conditions: dict[str, Any]) -> dict[str, Any]:
    return {"operator": "OR", "conditions": list(conditions)}


def AND(*conditions: dict[str, Any]) -> dict[str, Any]:
    return {"operator": "AND", "conditions": list(conditions)}


# --- every lookup, positive ------------------------------------------------------------------

POSITIVE_CASES = [
    (text("exact", "Jane"), leaf("IS", "tXt01", "Jane")),
    (text("exact", None), empty("tXt01")),
    (num("gt", 5), leaf("GREATER_THAN", "nUm01", 5)),
    (num("gte", 5), leaf("GREATER_THAN_OR_EQUALS", "nUm01", 5)),
    (num("lt", 5), leaf("LESS_THAN", "nUm01", 5)),
    (num("lte", Decimal("5.5")), leaf("LESS_THAN_OR_EQUALS", "nUm01", Decimal("5.5"))),
    (text("contains", "an"), leaf("CONTAINS", "tXt01", "an")),
    (text("startswith", "Ja"), leaf("STARTS_WITH", "tXt01", "Ja")),
    (text("endswith", "ne"), leaf("ENDS_WITH", "tXt01", "ne")),
    (text("in", ["a", "b"]), leaf("IS_ONE_OF", "tXt01", ["a", "b"])),
    (tags("has_any", ["vip", "lead"]), leaf("HAS_ANY_OF", "tAg01", ["vip", "lead"])),
    (tags("has_all", ["vip", "lead"]), leaf("HAS_ALL_OF", "tAg01", ["vip", "lead"])),
    (
        tags("has_none", ["vip"]),
        OR(leaf("HAS_NONE_OF", "tAg01", ["vip"]), empty("tAg01")),
    ),
    (text("isnull", True), empty("tXt01")),
    (text("isnull", False), leaf("IS_NOT_EMPTY", "tXt01")),
    (num("range", (1, 10)), leaf("IS_BETWEEN", "nUm01", 1, 10)),
    (
        day("range", ["2026-01-01", "2026-12-31"]),
        leaf("IS_BETWEEN", "dAt01", "2026-01-01", "2026-12-31"),
    ),
    (
        day("within", ("RELATIVE_DATE:THIS:MONTH", "PREDEFINED:TODAY")),
        leaf("IS_WITHIN", "dAt01", "RELATIVE_DATE:THIS:MONTH", "PREDEFINED:TODAY"),
    ),
    (
        day("within", "PREDEFINED:THIS_WEEK"),
        leaf("IS_WITHIN", "dAt01", "PREDEFINED:THIS_WEEK", "PREDEFINED:THIS_WEEK"),
    ),
    (check("exact", True), leaf("IS", "cHk01", True)),
    (check("exact", False), leaf("IS", "cHk01", False)),
    (check("isnull", True), empty("cHk01")),
    (
        Condition("created_at", "gt", 1767225600000, "CREATED_AT", False, "M.created_at"),
        leaf("GREATER_THAN", "created_at", 1767225600000),
    ),
]


@pytest.mark.parametrize(("node", "expected"), POSITIVE_CASES)
def test_positive_lookup_compiles_to_operator(node: Condition, expected: dict[str, Any]) -> None:
    """Each lookup gives its documented Softr operator, key order operator/leftSide/value."""
    got = cond(node)
    assert got == expected
    assert list(got) == list(expected)


def test_every_lookup_has_an_operator_of_the_grammar() -> None:
    """The lookup table covers LOOKUPS and names only operators of softr-api.md §3.2."""
    assert set(LOOKUP_OPERATORS) == set(LOOKUPS)
    assert set(LOOKUP_OPERATORS.values()) <= set(OPERATORS)


def test_compiled_body_is_json_ready() -> None:
    """Lists held as tuples in the tree come out as JSON arrays."""
    body = compile_filter(And((text("in", ("a", "b")), num("range", (1, 2)))))
    assert json.loads(json.dumps(body)) == body


# --- every negation rule ---------------------------------------------------------------------

NEGATION_CASES = [
    (text("exact", "Jane"), OR(leaf("IS_NOT", "tXt01", "Jane"), empty("tXt01"))),
    (text("exact", None), leaf("IS_NOT_EMPTY", "tXt01")),
    (num("gt", 5), OR(leaf("LESS_THAN_OR_EQUALS", "nUm01", 5), empty("nUm01"))),
    (num("gte", 5), OR(leaf("LESS_THAN", "nUm01", 5), empty("nUm01"))),
    (num("lt", 5), OR(leaf("GREATER_THAN_OR_EQUALS", "nUm01", 5), empty("nUm01"))),
    (num("lte", 5), OR(leaf("GREATER_THAN", "nUm01", 5), empty("nUm01"))),
    (text("contains", "an"), OR(leaf("DOES_NOT_CONTAIN", "tXt01", "an"), empty("tXt01"))),
    (text("startswith", "J"), OR(leaf("DOES_NOT_START_WITH", "tXt01", "J"), empty("tXt01"))),
    (text("endswith", "e"), OR(leaf("DOES_NOT_END_WITH", "tXt01", "e"), empty("tXt01"))),
    (text("in", ["a", "b"]), OR(leaf("IS_NOT_ONE_OF", "tXt01", ["a", "b"]), empty("tXt01"))),
    (tags("has_any", ["vip"]), OR(leaf("HAS_NONE_OF", "tAg01", ["vip"]), empty("tAg01"))),
    (tags("has_none", ["vip", "lead"]), leaf("HAS_ANY_OF", "tAg01", ["vip", "lead"])),
    (
        tags("has_all", ["vip", "lead"]),
        OR(
            leaf("HAS_NONE_OF", "tAg01", ["vip"]),
            leaf("HAS_NONE_OF", "tAg01", ["lead"]),
            empty("tAg01"),
        ),
    ),
    (num("range", (1, 10)), OR(leaf("IS_NOT_BETWEEN", "nUm01", 1, 10), empty("nUm01"))),
    (
        day("within", ("PREDEFINED:TODAY", "PREDEFINED:TOMORROW")),
        OR(
            leaf("IS_NOT_WITHIN", "dAt01", "PREDEFINED:TODAY", "PREDEFINED:TOMORROW"),
            empty("dAt01"),
        ),
    ),
    (text("isnull", True), leaf("IS_NOT_EMPTY", "tXt01")),
    (text("isnull", False), empty("tXt01")),
    (check("exact", True), leaf("IS", "cHk01", False)),
    (check("exact", False), leaf("IS", "cHk01", True)),
    (check("isnull", True), leaf("IS_NOT_EMPTY", "cHk01")),
]


@pytest.mark.parametrize(("node", "expected"), NEGATION_CASES)
def test_negation_is_the_exact_complement(node: Condition, expected: dict[str, Any]) -> None:
    """NOT(leaf) becomes the negated operator, OR'ed with IS_EMPTY where empties must stay."""
    assert cond(Not(node)) == expected


@pytest.mark.parametrize(("node", "_expected"), POSITIVE_CASES)
def test_double_negation_is_identity(node: Condition, _expected: Any) -> None:
    """NOT(NOT x) compiles exactly as x."""
    assert compile_filter(Not(Not(node))) == compile_filter(node)


def test_checkbox_negation_adds_no_is_empty() -> None:
    """Unchecked is empty: ~Q(newsletter=True) is 'IS false' alone, no IS_EMPTY."""
    got = cond(Not(check("exact", True)))
    assert "IS_EMPTY" not in json.dumps(got)


def test_non_checkbox_boolean_is_not_special() -> None:
    """Only CHECKBOX fields get the IS true / IS false swap (a formula returning true does not)."""
    node = Condition("fOrm1", "exact", True, "FORMULA", False, "M.flag")
    assert cond(Not(node)) == OR(leaf("IS_NOT", "fOrm1", True), empty("fOrm1"))


# --- empty sets and constants ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("node", "positive", "negative"),
    [
        (text("in", []), FALSE, None),
        (tags("has_any", []), FALSE, None),
        (tags("has_all", []), None, FALSE),
        (tags("has_none", []), None, FALSE),
        (TRUE, None, FALSE),
        (FALSE, FALSE, None),
        (And(()), None, FALSE),
        (Or(()), FALSE, None),
    ],
)
def test_constants(node: Node, positive: Any, negative: Any) -> None:
    """Empty sets and constants: None = no filter (everything), FALSE = send nothing."""
    assert compile_filter(node) == positive
    assert compile_filter(Not(node)) == negative


def test_false_is_the_sentinel_object() -> None:
    """The QuerySet can test ``compiled is FALSE``."""
    assert compile_filter(And((num("gt", 1), text("in", [])))) is FALSE


def test_true_is_dropped_from_and_false_from_or() -> None:
    """Neutral constants vanish; a lone survivor is unwrapped."""
    assert cond(And((TRUE, num("gt", 1), TRUE))) == leaf("GREATER_THAN", "nUm01", 1)
    assert cond(Or((FALSE, num("gt", 1)))) == leaf("GREATER_THAN", "nUm01", 1)


def test_absorbing_constants_short_circuit() -> None:
    """FALSE in AND and TRUE in OR decide the whole compound."""
    assert compile_filter(And((num("gt", 1), FALSE, text("exact", "x")))) is FALSE
    assert compile_filter(Or((num("gt", 1), TRUE))) is None
    assert compile_filter(Or((num("gt", 1), tags("has_all", [])))) is None


# --- De Morgan and simplification ------------------------------------------------------------


def test_de_morgan_on_and() -> None:
    """NOT(a AND b) = NOT a OR NOT b, flattened into one OR."""
    got = cond(Not(And((num("gt", 5), text("exact", "x")))))
    assert got == OR(
        leaf("LESS_THAN_OR_EQUALS", "nUm01", 5),
        empty("nUm01"),
        leaf("IS_NOT", "tXt01", "x"),
        empty("tXt01"),
    )


def test_de_morgan_on_or() -> None:
    """NOT(a OR b) = NOT a AND NOT b; depth 2 (AND -> OR)."""
    got = cond(Not(Or((num("gt", 5), check("exact", True)))), max_depth=2)
    assert got == AND(
        OR(leaf("LESS_THAN_OR_EQUALS", "nUm01", 5), empty("nUm01")),
        leaf("IS", "cHk01", False),
    )


def test_de_morgan_on_nested_tree() -> None:
    """NOT(a AND (b OR NOT c)) = NOT a OR (NOT b AND c), negation reaching every leaf."""
    tree = Not(And((num("gt", 5), Or((text("contains", "x"), Not(tags("has_any", ["vip"])))))))
    got = cond(tree)
    assert got == OR(
        leaf("LESS_THAN_OR_EQUALS", "nUm01", 5),
        empty("nUm01"),
        AND(
            OR(leaf("DOES_NOT_CONTAIN", "tXt01", "x"), empty("tXt01")),
            leaf("HAS_ANY_OF", "tAg01", ["vip"]),
        ),
    )
    assert filter_depth(got) == 3


def test_flattening_nested_same_connectors() -> None:
    """AND(a, AND(b, AND(c))) is one AND; OR(OR(a, b), c) one OR."""
    a, b, c = num("gt", 1), num("lt", 9), text("exact", "x")
    assert cond(And((a, And((b, And((c,))))))) == AND(
        leaf("GREATER_THAN", "nUm01", 1), leaf("LESS_THAN", "nUm01", 9), leaf("IS", "tXt01", "x")
    )
    assert cond(Or((Or((a, b)), c))) == OR(
        leaf("GREATER_THAN", "nUm01", 1), leaf("LESS_THAN", "nUm01", 9), leaf("IS", "tXt01", "x")
    )


def test_single_child_compounds_are_unwrapped() -> None:
    """AND(OR(a)) is just a, with no compound at all."""
    assert cond(And((Or((num("gt", 1),)),))) == leaf("GREATER_THAN", "nUm01", 1)


def test_duplicates_are_removed_keeping_first_position() -> None:
    """Identical children (also after negation pushes IS_EMPTY twice) appear once."""
    got = cond(Or((num("gt", 1), text("exact", "x"), num("gt", 1))))
    assert got == OR(leaf("GREATER_THAN", "nUm01", 1), leaf("IS", "tXt01", "x"))
    got = cond(Not(And((num("gt", 5), num("lt", 1)))))
    assert got == OR(
        leaf("LESS_THAN_OR_EQUALS", "nUm01", 5),
        empty("nUm01"),
        leaf("GREATER_THAN_OR_EQUALS", "nUm01", 1),
    )


def test_duplicate_compounds_are_removed() -> None:
    """Two equal OR groups inside an AND collapse to one."""
    group = Or((num("gt", 1), text("exact", "x")))
    assert cond(And((group, group))) == OR(
        leaf("GREATER_THAN", "nUm01", 1), leaf("IS", "tXt01", "x")
    )


def test_equal_values_of_different_types_are_not_merged() -> None:
    """IS 1 and IS true are different conditions, not duplicates."""
    node = Or(
        (Condition("fOrm1", "exact", 1, "FORMULA"), Condition("fOrm1", "exact", True, "FORMULA"))
    )
    assert len(cond(node)["conditions"]) == 2


def test_spec_example_structure() -> None:
    """The nesting of softr-api.md §3.7: AND of leaves and an OR, depth 2."""
    tree = And(
        (
            num("gte", 2, key="aMt9k"),
            day("within", ("RELATIVE_DATE:THIS:MONTH", "PREDEFINED:TODAY"), key="dUe7d"),
            Or((text("exact", "Open", key="sT4ts"), text("isnull", True, key="oWn3r"))),
        )
    )
    assert compile_filter(tree) == {
        "condition": {
            "operator": "AND",
            "conditions": [
                {"operator": "GREATER_THAN_OR_EQUALS", "leftSide": "aMt9k", "rightSide": 2},
                {
                    "operator": "IS_WITHIN",
                    "leftSide": "dUe7d",
                    "lowerBound": "RELATIVE_DATE:THIS:MONTH",
                    "upperBound": "PREDEFINED:TODAY",
                },
                {
                    "operator": "OR",
                    "conditions": [
                        {"operator": "IS", "leftSide": "sT4ts", "rightSide": "Open"},
                        {"operator": "IS_EMPTY", "leftSide": "oWn3r"},
                    ],
                },
            ],
        }
    }


# --- depth cap -------------------------------------------------------------------------------


def test_depth_two_is_allowed_by_default() -> None:
    """filter(a).exclude(b > 5) -> AND(a, OR(<=, empty)) fits the default cap."""
    compiled = compile_filter(And((text("exact", "x"), Not(num("gt", 5)))))
    assert isinstance(compiled, dict)
    assert filter_depth(compiled["condition"]) == 2


def test_depth_three_is_refused_with_a_hint() -> None:
    """AND -> OR -> AND is three levels: QueryError naming the depth and the setting."""
    tree = And(
        (text("exact", "x"), Or((num("gt", 1), And((num("lt", 9), tags("has_any", ["a"]))))))
    )
    with pytest.raises(QueryError) as info:
        compile_filter(tree)
    message = str(info.value)
    assert "3 levels" in message
    assert "cap of 2" in message
    assert "Session(max_filter_depth=" in message
    assert compile_filter(tree, max_depth=3) is not None


def test_depth_is_counted_after_simplification() -> None:
    """Redundant nesting that flattens away does not count against the cap."""
    tree = And((And((And((num("gt", 1), Or((text("exact", "x"),)))),)), num("lt", 5)))
    assert cond(tree, max_depth=1)["operator"] == "AND"


def test_single_leaf_has_depth_zero() -> None:
    """A lone condition is sent without any compound, even with max_depth=0."""
    assert cond(num("gt", 1), max_depth=0) == leaf("GREATER_THAN", "nUm01", 1)
    with pytest.raises(QueryError):
        compile_filter(Not(num("gt", 1)), max_depth=0)


def test_negative_max_depth_is_rejected() -> None:
    """A negative cap is a programming error."""
    with pytest.raises(ValueError):
        compile_filter(num("gt", 1), max_depth=-1)


# --- raw conditions and record ids -----------------------------------------------------------


def test_raw_condition_passes_verbatim() -> None:
    """A raw dict reaches the body unchanged, combined with other conditions."""
    raw = {"operator": "HAS_ANY_OF", "leftSide": "xYz12", "rightSide": ["a"]}
    assert cond(RawCondition(raw)) == raw
    assert cond(And((RawCondition(raw), num("gt", 1)))) == AND(
        raw, leaf("GREATER_THAN", "nUm01", 1)
    )


def test_raw_condition_is_not_shared_with_the_body() -> None:
    """Mutating the compiled body does not alter the node (bodies are fresh copies)."""
    node = RawCondition({"operator": "IS_ONE_OF", "leftSide": "a", "rightSide": ["x"]})
    body = cond(node)
    body["rightSide"].append("y")
    assert cond(node)["rightSide"] == ["x"]


def test_raw_condition_depth_counts() -> None:
    """A raw compound's own nesting counts against the cap."""
    raw = RawCondition(AND(OR(leaf("IS", "a", 1), leaf("IS", "b", 2)), leaf("IS", "c", 3)))
    with pytest.raises(QueryError):
        compile_filter(And((raw, num("gt", 1))), max_depth=2)
    assert compile_filter(raw, max_depth=2) is not None


def test_raw_condition_cannot_be_negated() -> None:
    """No exact complement can be built for an opaque dict: QueryError, not a wrong query."""
    with pytest.raises(QueryError, match="raw condition cannot be negated"):
        compile_filter(Not(RawCondition({"operator": "IS", "leftSide": "a", "rightSide": 1})))


def test_unsubstituted_record_id_is_refused() -> None:
    """RECORD_ID_KEY must be replaced (or answered by GET) before compiling."""
    node = Condition(RECORD_ID_KEY, "in", ["r1", "r2"], "RECORD_ID", False, "M.id")
    with pytest.raises(QueryError, match="record id"):
        compile_filter(And((node, num("gt", 1))))
    assert cond(substitute_record_id(node, "rEc1d")) == leaf("IS_ONE_OF", "rEc1d", ["r1", "r2"])


def test_bad_range_value_is_a_query_error() -> None:
    """range with something that is not a pair fails clearly."""
    with pytest.raises(QueryError, match=r"M\.score: range needs a \(start, end\) pair"):
        compile_filter(num("range", 5))
    with pytest.raises(QueryError):
        compile_filter(num("range", (1, None)))


def test_non_node_is_a_type_error() -> None:
    """Anything but a node is refused loudly."""
    with pytest.raises(TypeError):
        compile_filter({"operator": "IS"})  # type: ignore[arg-type]


# --- sorting and the body --------------------------------------------------------------------


def test_compile_sorting() -> None:
    """(key, descending) pairs become sortingField/sortType entries, in order."""
    assert compile_sorting([("nUm01", True), ("created_at", False)]) == [
        {"sortingField": "nUm01", "sortType": "DESC"},
        {"sortingField": "created_at", "sortType": "ASC"},
    ]
    assert compile_sorting([]) == []
    with pytest.raises(QueryError):
        compile_sorting([("", False)])


def test_body_key_order_and_content() -> None:
    """filter, sorting, paging in that order, as explain() prints them."""
    filter_value = compile_filter(num("gt", 1))
    assert isinstance(filter_value, dict)
    body = build_search_body(filter_value, compile_sorting([("nUm01", False)]), offset=40, limit=20)
    assert list(body) == ["filter", "sorting", "paging"]
    assert body == {
        "filter": {"condition": leaf("GREATER_THAN", "nUm01", 1)},
        "sorting": [{"sortingField": "nUm01", "sortType": "ASC"}],
        "paging": {"offset": 40, "limit": 20},
    }
    assert json.dumps(body) == json.dumps(
        build_search_body(filter_value, compile_sorting([("nUm01", False)]), offset=40, limit=20)
    )


def test_body_without_filter_or_sorting_still_pages() -> None:
    """An unfiltered, unsorted search sends paging only (Softr's default limit is 10)."""
    assert build_search_body(None, [], offset=0, limit=50) == {"paging": {"offset": 0, "limit": 50}}


@pytest.mark.parametrize(("limit", "sent"), [(0, 1), (-5, 1), (1, 1), (200, 200), (500, 200)])
def test_limit_is_clamped(limit: int, sent: int) -> None:
    """limit is kept within Softr's 1..200."""
    assert build_search_body(None, [], offset=0, limit=limit)["paging"]["limit"] == sent


def test_negative_offset_is_refused() -> None:
    """offset >= 0 always; a negative one is a bug upstream, not something to clamp."""
    with pytest.raises(ValueError):
        build_search_body(None, [], offset=-1, limit=10)


def test_sort_key_is_configurable() -> None:
    """The OpenAPI's 'sort' spelling can be chosen (softr-api.md §8.2)."""
    body = build_search_body(
        None, [{"sortingField": "a", "sortType": "ASC"}], offset=0, limit=5, sort_key="sort"
    )
    assert list(body) == ["sort", "paging"]


def test_false_filter_is_not_sent() -> None:
    """build_search_body refuses the FALSE sentinel: such a query needs no request."""
    with pytest.raises(QueryError):
        build_search_body(FALSE, [], offset=0, limit=10)  # type: ignore[arg-type]


def test_body_does_not_share_the_filter_dict() -> None:
    """The body is a copy: editing it leaves the compiled filter as it was."""
    filter_value = compile_filter(text("in", ["a"]))
    assert isinstance(filter_value, dict)
    body = build_search_body(filter_value, [], offset=0, limit=10)
    body["filter"]["condition"]["rightSide"].append("b")
    assert filter_value["condition"]["rightSide"] == ["a"]


# --- end to end with the real field classes --------------------------------------------------


class Contact:
    """Holds real field descriptors (``__set_name__`` binds them); stands in for a Model."""

    name = fields.SingleLineText("Full Name")
    score = fields.Number("Score")
    tags = fields.Select("Tags", multiple=True)
    newsletter = fields.Checkbox("Newsletter")
    joined = fields.Date("Joined")
    company = fields.LinkedRecord("Company", to="Company", multiple=False)


CONTACT_FIELDS: dict[str, Any] = {
    name: value for name, value in vars(Contact).items() if isinstance(value, fields.Field)
}
CONTACT_IDS = {name: f"{name[:3]}01" for name in CONTACT_FIELDS}


def compiled(q: Q, max_depth: int = 2) -> Any:
    node = resolve(q, "Contact", CONTACT_FIELDS, lambda f: CONTACT_IDS[f.attname])
    return compile_filter(node, max_depth=max_depth)


def test_design_example_query() -> None:
    """design.md's query: filter + exclude + Q(|) compiles to AND with ORs (depth 2)."""
    where = (
        Q(score__gte=10, tags__has_any=["vip", "lead"])
        & ~Q(name__endswith="@example.org")
        & (Q(name__startswith="A") | Q(company__isnull=True))
    )
    assert compiled(where) == {
        "condition": AND(
            leaf("GREATER_THAN_OR_EQUALS", "sco01", 10),
            leaf("HAS_ANY_OF", "tag01", ["vip", "lead"]),
            OR(leaf("DOES_NOT_END_WITH", "nam01", "@example.org"), empty("nam01")),
            OR(leaf("STARTS_WITH", "nam01", "A"), empty("com01")),
        )
    }


def test_exclude_of_several_lookups_is_one_or() -> None:
    """exclude(a, b) = NOT(a AND b): one flat OR, depth 1."""
    got = compiled(~Q(score__gt=5, newsletter=True))
    assert got == {
        "condition": OR(
            leaf("LESS_THAN_OR_EQUALS", "sco01", 5), empty("sco01"), leaf("IS", "new01", False)
        )
    }


def test_real_fields_convert_operands() -> None:
    """Dates become ISO strings, tokens pass, within gets both bounds."""
    got = compiled(Q(joined__gte=dt.date(2026, 1, 1)) | Q(joined__within="PREDEFINED:THIS_MONTH"))
    assert got == {
        "condition": OR(
            leaf("GREATER_THAN_OR_EQUALS", "joi01", "2026-01-01"),
            leaf("IS_WITHIN", "joi01", "PREDEFINED:THIS_MONTH", "PREDEFINED:THIS_MONTH"),
        )
    }


def test_empty_in_short_circuits_the_query() -> None:
    """filter(name__in=[]) matches nothing, whatever else is ANDed."""
    assert compiled(Q(score__gt=1, name__in=[])) is FALSE
    assert compiled(Q(score__gt=1) | Q(tags__has_all=[])) is None


def test_real_field_errors_surface_at_resolution() -> None:
    """Unsupported lookups and bad operands fail before compiling."""
    with pytest.raises(UnsupportedLookup):
        compiled(Q(newsletter__gt=True))
    with pytest.raises(InvalidValue):
        compiled(Q(score__gt="ten"))
