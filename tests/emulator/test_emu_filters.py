"""Tests for softr_orm.emulator.store.search: search filter validation, evaluation and sorting."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from softr_orm.constants import OPERATORS
from softr_orm.emulator.store.search import FieldInfo, FilterError, compile_filter, compile_sorting

UTC = timezone.utc
NOW = datetime(2026, 5, 20, 15, 30, tzinfo=UTC)  # a Wednesday
MS_2026 = 1_767_225_600_000  # 2026-01-01T00:00:00Z in epoch milliseconds
MS_MAY_20 = MS_2026 + 139 * 86_400_000  # 2026-05-20T00:00:00Z

FIELDS = {
    info.id: info
    for info in (
        FieldInfo("fTxt", "Name", "SINGLE_LINE_TEXT"),
        FieldInfo("fEml", "Email", "EMAIL"),
        FieldInfo("fNum", "Score", "NUMBER"),
        FieldInfo("fCur", "Budget", "CURRENCY"),
        FieldInfo("fDat", "Due", "DATE"),
        FieldInfo("fDtm", "Last call", "DATETIME"),
        FieldInfo("fChk", "Done", "CHECKBOX"),
        FieldInfo("fSel", "Stage", "SELECT"),
        FieldInfo("fTag", "Tags", "SELECT", multiple=True),
        FieldInfo("fLnk", "Company", "LINKED_RECORD"),
        FieldInfo("fUsr", "Owner", "USER"),
        FieldInfo("fAtt", "Files", "ATTACHMENT", multiple=True),
        FieldInfo("fLku", "Industry", "LOOKUP"),
        FieldInfo("fLkd", "Close dates", "LOOKUP"),
        FieldInfo("fFrm", "Expected", "FORMULA"),
        FieldInfo("fRol", "Total", "ROLLUP"),
    )
}


def sel(label: str) -> dict[str, str]:
    return {"id": f"c-{label}", "label": label, "color": "#fff"}


JANE = {"id": "usr1", "email": "jane@example.com", "fullName": "Jane Doe"}
RECORDS: list[dict[str, Any]] = [
    {
        "fTxt": "Printer on fire",
        "fEml": "Jane@Example.com",
        "fNum": 10,
        "fCur": Decimal("99.50"),
        "fDat": "2026-05-20",
        "fDtm": "2026-05-20T08:00:00.000Z",
        "fChk": True,
        "fSel": sel("Open"),
        "fTag": [sel("vip"), sel("lead")],
        "fLnk": [{"id": "recA", "label": "Acme"}],
        "fUsr": JANE,
        "fAtt": [{"id": "att1", "url": "https://files.example/a.png", "filename": "a.png"}],
        "fLku": [sel("Software")],
        "fLkd": ["2026-05-20"],
        "fFrm": Decimal("12.5"),
        "fRol": 3,
        "created_at": "2026-01-15T10:00:00.000Z",
        "updated_at": "2026-05-20T12:00:00.000Z",
    },
    {
        "fTxt": "scanner",
        "fEml": "bob@corp.io",
        "fNum": 2.5,
        "fCur": 100,
        "fDat": "2026-04-30",
        "fDtm": "2026-05-19T23:30:00-02:00",  # 2026-05-20T01:30Z
        "fChk": False,
        "fSel": sel("Closed"),
        "fTag": [sel("lead")],
        "fLnk": [{"id": "recA", "label": "Acme"}, {"id": "recB", "label": "Globex"}],
        "fUsr": {"id": "usr2", "email": "bob@corp.io", "fullName": "Bob Stone"},
        "fAtt": [],
        "fLku": [sel("Retail"), sel("Software")],
        "fLkd": ["2025-06-01", "2026-01-01"],
        "fFrm": "high",
        "fRol": None,
        "created_at": "2026-03-01T00:00:00.000Z",
        "updated_at": "2026-03-01T00:00:00.000Z",
    },
    {
        "fTxt": "",
        "fNum": None,
        "fChk": None,
        "fSel": None,
        "fTag": [],
        "fLnk": [],
        "fAtt": [],
        "fLku": [],
        "fLkd": [None],
        "fFrm": None,
        "created_at": "2025-12-31T23:00:00.000Z",
        "updated_at": "2025-12-31T23:00:00.000Z",
    },
    {
        "fTxt": "PRINTER",
        "fEml": "ops@example.org",
        "fNum": -3,
        "fCur": Decimal("0"),
        "fDat": "2027-01-01",
        "fDtm": "2025-12-31T23:59:59.999Z",
        "fSel": sel("Won"),
        "fTag": [sel("customer"), sel("VIP")],
        "fLnk": [{"id": "recC", "label": "Initech"}],
        "fUsr": [JANE, {"id": "usr3", "email": "zed@x.io", "fullName": "Zed"}],
        "fAtt": [{"url": "https://files.example/b.pdf", "filename": "Report.PDF"}],
        "fLku": ["Finance"],
        "fLkd": ["2026-05-20T23:00:00Z"],
        "fFrm": 0,
        "fRol": Decimal("7.25"),
        "created_at": "2026-05-20T09:00:00.000Z",
    },
    {},
]
ALL = frozenset(range(len(RECORDS)))


def cond(op: str, left: str, right: Any = None) -> dict[str, Any]:
    """A condition of the operator's kind; a tuple right side gives range bounds."""
    node: dict[str, Any] = {"operator": op, "leftSide": left}
    if isinstance(right, tuple):
        node["lowerBound"], node["upperBound"] = right
    elif op not in ("IS_EMPTY", "IS_NOT_EMPTY"):
        node["rightSide"] = right
    return node


def matches(condition: dict[str, Any], records: list[dict[str, Any]] = RECORDS) -> set[int]:
    predicate = compile_filter({"condition": condition}, FIELDS, now=NOW)
    return {index for index, record in enumerate(records) if predicate(record)}


def error_of(filter_obj: Any, **kwargs: Any) -> FilterError:
    with pytest.raises(FilterError) as info:
        compile_filter(filter_obj, FIELDS, now=NOW, **kwargs)
    return info.value


# (operator, field, right side, indices of matching RECORDS)
CASES: list[tuple[str, str, Any, set[int]]] = [
    # text
    ("IS", "fTxt", "printer", {3}),
    ("IS", "fTxt", "", set()),
    ("CONTAINS", "fTxt", "PRINT", {0, 3}),
    ("CONTAINS", "fTxt", "", {0, 1, 3}),
    ("STARTS_WITH", "fTxt", "scan", {1}),
    ("ENDS_WITH", "fTxt", "FIRE", {0}),
    ("IS_ONE_OF", "fTxt", ["scanner", "printer"], {1, 3}),
    ("HAS_ANY_OF", "fTxt", ["Scanner"], {1}),
    ("HAS_ALL_OF", "fTxt", ["scanner"], {1}),
    ("HAS_ALL_OF", "fTxt", ["scanner", "printer"], set()),
    ("HAS_ALL_OF", "fTxt", [], set(ALL)),
    ("IS_EMPTY", "fTxt", None, {2, 4}),
    ("IS", "fEml", "jane@example.COM", {0}),
    ("ENDS_WITH", "fEml", "@EXAMPLE.org", {3}),
    ("CONTAINS", "fEml", "example", {0, 3}),
    # numbers
    ("IS", "fNum", 10, {0}),
    ("IS", "fNum", "2.5", {1}),
    ("IS", "fNum", Decimal("2.50"), {1}),
    ("IS", "fNum", 2.5, {1}),
    ("GREATER_THAN", "fNum", 2.5, {0}),
    ("GREATER_THAN_OR_EQUALS", "fNum", 2.5, {0, 1}),
    ("LESS_THAN", "fNum", 0, {3}),
    ("LESS_THAN_OR_EQUALS", "fNum", "2.5", {1, 3}),
    ("IS_ONE_OF", "fNum", [10, "-3"], {0, 3}),
    ("IS_BETWEEN", "fNum", (-3, 2.5), {1, 3}),
    ("IS_BETWEEN", "fNum", ("0", "100"), {0, 1}),
    ("IS_EMPTY", "fNum", None, {2, 4}),
    ("IS", "fCur", "99.5", {0}),
    ("IS", "fCur", 0, {3}),
    ("GREATER_THAN", "fCur", Decimal("99.5"), {1}),
    ("LESS_THAN", "fCur", 99.51, {0, 3}),
    # dates
    ("IS", "fDat", "2026-05-20", {0}),
    ("IS", "fDat", "PREDEFINED:TODAY", {0}),
    ("IS", "fDat", "2026-05-20T00:00:00.000Z", {0}),
    ("IS", "fDat", "2026-05-20T08:00:00Z", set()),
    ("IS", "fDat", MS_MAY_20, {0}),
    ("GREATER_THAN", "fDat", "2026-04-30", {0, 3}),
    ("GREATER_THAN_OR_EQUALS", "fDat", "2026-04-30", {0, 1, 3}),
    ("LESS_THAN", "fDat", "PREDEFINED:THIS_MONTH", {1}),
    ("LESS_THAN_OR_EQUALS", "fDat", "PREDEFINED:THIS_MONTH", {0, 1}),
    ("GREATER_THAN", "fDat", "PREDEFINED:THIS_YEAR", {3}),
    ("IS_BETWEEN", "fDat", ("2026-04-30", "2026-05-20"), {0, 1}),
    ("IS_WITHIN", "fDat", ("RELATIVE_DATE:PAST:MONTH", "PREDEFINED:TODAY"), {0, 1}),
    ("IS_WITHIN", "fDat", ("PREDEFINED:NEXT_YEAR", "PREDEFINED:NEXT_YEAR"), {3}),
    ("IS_EMPTY", "fDat", None, {2, 4}),
    ("IS", "fDtm", "2026-05-20", {0, 1}),
    ("IS", "fDtm", "PREDEFINED:TODAY", {0, 1}),
    ("IS", "fDtm", "2026-05-20T08:00:00Z", {0}),
    ("IS", "fDtm", "2026-05-20T10:00:00+02:00", {0}),
    ("IS", "fDtm", "PREDEFINED:LAST_YEAR", {3}),
    ("GREATER_THAN", "fDtm", "2026-05-20T01:30:00Z", {0}),
    ("GREATER_THAN_OR_EQUALS", "fDtm", "2026-05-20T01:30:00Z", {0, 1}),
    ("GREATER_THAN", "fDtm", "2025-12-31", {0, 1}),
    ("LESS_THAN", "fDtm", "2026-01-01", {3}),
    ("LESS_THAN_OR_EQUALS", "fDtm", "2025-12-31", {3}),
    ("IS_BETWEEN", "fDtm", ("2026-05-20T01:30:00Z", "2026-05-20T08:00:00Z"), {0, 1}),
    ("IS_BETWEEN", "fDtm", ("2026-05-20T01:30:00.001Z", "2026-05-20T07:59:59Z"), set()),
    ("IS_WITHIN", "fDtm", ("PREDEFINED:YESTERDAY", "PREDEFINED:TODAY"), {0, 1}),
    # checkbox: only True is non-empty
    ("IS", "fChk", True, {0}),
    ("IS", "fChk", False, {1, 2, 3, 4}),
    ("IS_EMPTY", "fChk", None, {1, 2, 3, 4}),
    # single select
    ("IS", "fSel", "open", {0}),
    ("IS_ONE_OF", "fSel", ["Open", "WON"], {0, 3}),
    ("CONTAINS", "fSel", "o", {0, 1, 3}),
    ("STARTS_WITH", "fSel", "c", {1}),
    ("ENDS_WITH", "fSel", "N", {0, 3}),
    ("HAS_ANY_OF", "fSel", ["closed"], {1}),
    ("HAS_ALL_OF", "fSel", ["won"], {3}),
    ("IS_EMPTY", "fSel", None, {2, 4}),
    # multi select
    ("IS", "fTag", "VIP", {0, 3}),
    ("CONTAINS", "fTag", "cust", {3}),
    ("STARTS_WITH", "fTag", "le", {0, 1}),
    ("ENDS_WITH", "fTag", "ip", {0, 3}),
    ("IS_ONE_OF", "fTag", ["lead"], {0, 1}),
    ("HAS_ANY_OF", "fTag", ["lead", "customer"], {0, 1, 3}),
    ("HAS_ALL_OF", "fTag", ["vip", "LEAD"], {0}),
    ("HAS_ALL_OF", "fTag", [], set(ALL)),
    ("IS_EMPTY", "fTag", None, {2, 4}),
    # linked records: ids exactly, labels case-insensitively
    ("IS", "fLnk", "recA", {0, 1}),
    ("IS", "fLnk", "globex", {1}),
    ("IS", "fLnk", "RECA", set()),
    ("IS_ONE_OF", "fLnk", ["recC"], {3}),
    ("HAS_ANY_OF", "fLnk", ["recB", "recC"], {1, 3}),
    ("HAS_ALL_OF", "fLnk", ["recA", "recB"], {1}),
    ("CONTAINS", "fLnk", "EX", {1}),
    ("STARTS_WITH", "fLnk", "ini", {3}),
    ("IS_EMPTY", "fLnk", None, {2, 4}),
    # users: ids exactly, emails case-insensitively; CONTAINS on name and email
    ("IS", "fUsr", "usr1", {0, 3}),
    ("IS", "fUsr", "BOB@corp.io", {1}),
    ("CONTAINS", "fUsr", "doe", {0, 3}),
    ("CONTAINS", "fUsr", "corp", {1}),
    ("HAS_ALL_OF", "fUsr", ["usr1", "usr3"], {3}),
    ("HAS_ANY_OF", "fUsr", ["usr2"], {1}),
    ("IS_EMPTY", "fUsr", None, {2, 4}),
    # attachments: id/url exactly, filename case-insensitively
    ("IS", "fAtt", "report.pdf", {3}),
    ("IS", "fAtt", "https://files.example/a.png", {0}),
    ("IS", "fAtt", "att1", {0}),
    ("CONTAINS", "fAtt", ".pdf", {3}),
    ("ENDS_WITH", "fAtt", "PNG", {0}),
    ("HAS_ANY_OF", "fAtt", ["a.png", "x"], {0}),
    ("IS_EMPTY", "fAtt", None, {1, 2, 4}),
    # lookups (type known only at run time)
    ("IS", "fLku", "software", {0, 1}),
    ("IS_ONE_OF", "fLku", ["Finance"], {3}),
    ("HAS_ANY_OF", "fLku", ["finance", "retail"], {1, 3}),
    ("HAS_ALL_OF", "fLku", ["Retail", "Software"], {1}),
    ("CONTAINS", "fLku", "fin", {3}),
    ("STARTS_WITH", "fLku", "ret", {1}),
    ("ENDS_WITH", "fLku", "WARE", {0, 1}),
    ("IS_EMPTY", "fLku", None, {2, 4}),
    ("IS", "fLkd", "2026-05-20", {0, 3}),
    ("IS", "fLkd", "PREDEFINED:TODAY", {0, 3}),
    ("GREATER_THAN", "fLkd", "2025-12-31", {0, 1, 3}),
    ("LESS_THAN", "fLkd", "2026-01-01", {1}),
    ("IS_WITHIN", "fLkd", ("PREDEFINED:THIS_YEAR", "PREDEFINED:THIS_YEAR"), {0, 1, 3}),
    ("IS_BETWEEN", "fLkd", ("2025-06-01", "2025-06-01"), {1}),
    ("IS_EMPTY", "fLkd", None, {2, 4}),
    # formula / rollup: compared by the value's Python type
    ("IS", "fFrm", 12.5, {0}),
    ("IS", "fFrm", "12.5", {0}),
    ("IS", "fFrm", "HIGH", {1}),
    ("GREATER_THAN", "fFrm", 0, {0}),
    ("GREATER_THAN_OR_EQUALS", "fFrm", 0, {0, 3}),
    ("LESS_THAN", "fFrm", 1, {3}),
    ("CONTAINS", "fFrm", "ig", {1}),
    ("IS_ONE_OF", "fFrm", [0, "high"], {1, 3}),
    ("IS_BETWEEN", "fFrm", (0, 12.5), {0, 3}),
    ("IS_EMPTY", "fFrm", None, {2, 4}),
    ("IS", "fRol", 3, {0}),
    ("LESS_THAN_OR_EQUALS", "fRol", "7.25", {0, 3}),
    ("IS_EMPTY", "fRol", None, {1, 2, 4}),
    # pseudo-fields, ISO and epoch milliseconds
    ("GREATER_THAN", "created_at", MS_2026, {0, 1, 3}),
    ("GREATER_THAN_OR_EQUALS", "created_at", float(MS_2026), {0, 1, 3}),
    ("LESS_THAN", "created_at", "2026-01-01", {2}),
    ("LESS_THAN", "created_at", "2026-03-01T00:00:00.000Z", {0, 2}),
    ("LESS_THAN_OR_EQUALS", "created_at", "2026-03-01T00:00:00.000Z", {0, 1, 2}),
    ("IS", "created_at", "2026-05-20", {3}),
    ("IS", "created_at", "PREDEFINED:TODAY", {3}),
    ("IS_BETWEEN", "created_at", (MS_2026, "2026-03-01"), {0, 1}),
    ("IS_WITHIN", "created_at", ("PREDEFINED:THIS_YEAR", "PREDEFINED:THIS_YEAR"), {0, 1, 3}),
    ("IS_EMPTY", "created_at", None, {4}),
    ("GREATER_THAN", "updated_at", "2026-04-01", {0}),
]

NEGATIONS = {
    "IS": "IS_NOT",
    "CONTAINS": "DOES_NOT_CONTAIN",
    "STARTS_WITH": "DOES_NOT_START_WITH",
    "ENDS_WITH": "DOES_NOT_END_WITH",
    "IS_ONE_OF": "IS_NOT_ONE_OF",
    "HAS_ANY_OF": "HAS_NONE_OF",
    "IS_BETWEEN": "IS_NOT_BETWEEN",
    "IS_WITHIN": "IS_NOT_WITHIN",
    "IS_EMPTY": "IS_NOT_EMPTY",
}


def case_id(case: tuple[str, str, Any, set[int]]) -> str:
    return f"{case[1]}-{case[0]}-{case[2]!r}"


@pytest.mark.parametrize("case", CASES, ids=[case_id(case) for case in CASES])
def test_operator_matches_expected_records(case: tuple[str, str, Any, set[int]]) -> None:
    """Each operator, on each field type it applies to, matches exactly the expected records."""
    op, left, right, expected = case
    assert matches(cond(op, left, right)) == expected


NEGATED_CASES = [case for case in CASES if case[0] in NEGATIONS]


@pytest.mark.parametrize("case", NEGATED_CASES, ids=[case_id(case) for case in NEGATED_CASES])
def test_negated_operator_is_exact_complement(case: tuple[str, str, Any, set[int]]) -> None:
    """Negated operators match exactly the records the positive form rejects, empties included."""
    op, left, right, expected = case
    assert matches(cond(NEGATIONS[op], left, right)) == ALL - expected


def test_tables_cover_all_25_operators() -> None:
    """The tables above exercise every operator of the grammar."""
    used = {case[0] for case in CASES} | {NEGATIONS[case[0]] for case in NEGATED_CASES}
    assert used | {"AND", "OR"} == set(OPERATORS)
    assert len(OPERATORS) == 25


def test_nested_and_or() -> None:
    """AND/OR nest and combine like boolean logic, as in the documented example."""
    condition = {
        "operator": "AND",
        "conditions": [
            cond("IS_NOT_EMPTY", "fTxt"),
            {
                "operator": "OR",
                "conditions": [cond("IS", "fSel", "Open"), cond("LESS_THAN", "fNum", 0)],
            },
        ],
    }
    assert matches(condition) == {0, 3}
    assert matches({"operator": "OR", "conditions": [condition, cond("IS", "fChk", False)]}) == {
        0,
        1,
        2,
        3,
        4,
    }


def test_no_filter_and_empty_compounds() -> None:
    """None matches everything, an empty AND everything, an empty OR nothing."""
    assert all(compile_filter(None, FIELDS)(record) for record in RECORDS)
    assert matches({"operator": "AND", "conditions": []}) == ALL
    assert matches({"operator": "OR", "conditions": []}) == set()


def test_values_outside_the_read_format_are_read_leniently() -> None:
    """Numeric strings, bare labels, epoch numbers and odd text values do not crash."""
    records: list[dict[str, Any]] = [
        {"fNum": "12", "fSel": "Open", "fTag": ["vip"], "fDat": MS_MAY_20, "fTxt": 42},
        {"fNum": "abc", "fSel": [sel("Open")], "fTag": "vip", "fDat": "garbage", "fTxt": ["a"]},
        {"fNum": float("nan"), "fSel": {"label": ""}, "fDat": Decimal("NaN"), "fTxt": True},
    ]
    assert matches(cond("GREATER_THAN", "fNum", 11), records) == {0}
    assert matches(cond("IS_EMPTY", "fNum"), records) == {1, 2}
    assert matches(cond("IS", "fSel", "open"), records) == {0, 1}
    assert matches(cond("HAS_ANY_OF", "fTag", ["VIP"]), records) == {0, 1}
    assert matches(cond("IS", "fDat", "2026-05-20"), records) == {0}
    assert matches(cond("IS", "fTxt", "42"), records) == {0}


def test_typed_lookup_is_validated_against_the_looked_up_type() -> None:
    """A LOOKUP whose options name its returned type refuses operators that type refuses."""
    fields = {
        "lk": FieldInfo("lk", "Scores", "LOOKUP", options={"returnedField": {"type": "NUMBER"}})
    }
    bad = {"condition": cond("CONTAINS", "lk", "1")}
    with pytest.raises(FilterError) as info:
        compile_filter(bad, fields)
    assert info.value.code == "BAD_REQUEST"
    predicate = compile_filter({"condition": cond("GREATER_THAN", "lk", 5)}, fields)
    assert predicate({"lk": [1, 7]}) and not predicate({"lk": [1, 2]})


# ---------------------------------------------------------------------------------------------
# Validation


@pytest.mark.parametrize(
    "filter_obj",
    [
        [],
        "IS",
        {"condition": cond("IS_EMPTY", "fTxt"), "sorting": []},
        {"condition": []},
        {"condition": {"operator": "AND", "conditions": [cond("IS_EMPTY", "fTxt"), "x"]}},
        {"condition": {"operator": "EQUALS", "leftSide": "fTxt", "rightSide": "a"}},
        {"condition": {"operator": "is", "leftSide": "fTxt", "rightSide": "a"}},
        {"condition": {"operator": 5, "leftSide": "fTxt"}},
        {"condition": {"leftSide": "fTxt", "rightSide": "a"}},
        {"condition": {"operator": "IS", "leftSide": "fTxt"}},
        {"condition": {"operator": "IS_BETWEEN", "leftSide": "fNum", "lowerBound": 1}},
        {"condition": {"operator": "IS_BETWEEN", "leftSide": "fNum", "rightSide": [1, 2]}},
        {"condition": {"operator": "AND"}},
        {"condition": {"operator": "OR", "conditions": {"operator": "IS_EMPTY"}}},
        {"condition": {"operator": "IS", "leftSide": "fTxt", "rightSide": "a", "x": 1}},
        {"condition": {"operator": "IS", "leftSide": 3, "rightSide": "a"}},
        {"condition": cond("IS_ONE_OF", "fTxt", "a")},
        {"condition": cond("HAS_ANY_OF", "fTag", "vip")},
        {"condition": cond("HAS_ALL_OF", "fTag", [["vip"]])},
        {"condition": cond("IS_ONE_OF", "fSel", [None])},
        {"condition": cond("CONTAINS", "fTxt", 5)},
        {"condition": cond("STARTS_WITH", "fSel", ["a"])},
        {"condition": cond("IS", "fTxt", ["a"])},
        {"condition": cond("IS", "fTxt", None)},
        {"condition": cond("IS", "fTxt", {"a": 1})},
        {"condition": cond("IS", "fTxt", 5)},
        {"condition": cond("IS", "fSel", 1)},
        {"condition": cond("IS_ONE_OF", "fSel", [1])},
        {"condition": cond("IS", "fChk", "yes")},
        {"condition": cond("IS", "fChk", 1)},
        {"condition": cond("IS", "fNum", True)},
        {"condition": cond("GREATER_THAN", "fNum", False)},
        {"condition": cond("IS_BETWEEN", "fNum", (None, 3))},
        {"condition": cond("IS", "fDat", True)},
        {"condition": cond("IS", "fDat", "PREDEFINED:SOMEDAY")},
        {"condition": cond("IS", "fDat", "RELATIVE_DATE:THIS:7")},
        {"condition": cond("IS_WITHIN", "fDat", ("PREDEFINED:TODAY", "RELATIVE_DATE:PAST"))},
    ],
)
def test_malformed_filters_are_bad_requests(filter_obj: Any) -> None:
    """Malformed structure and wrongly typed right sides are BAD_REQUEST."""
    assert error_of(filter_obj).code == "BAD_REQUEST"


@pytest.mark.parametrize(
    ("condition", "fragment"),
    [
        (cond("IS", "fNum", "abc"), "not a number"),
        (cond("IS", "fNum", float("nan")), "finite"),
        (cond("IS_BETWEEN", "fNum", ("1", "x")), "not a number"),
        (cond("IS", "fDat", "tomorrow"), "ISO-8601"),
        (cond("IS", "fDat", "2026-02-30"), "ISO-8601"),
        (cond("GREATER_THAN", "created_at", 10**30), "epoch"),
        (cond("IS_ONE_OF", "fNum", [1, "one"]), "not a number"),
    ],
)
def test_unreadable_values_are_validation_errors(condition: dict[str, Any], fragment: str) -> None:
    """A right side of the right JSON type that cannot be read for the field is rejected."""
    error = error_of({"condition": condition})
    assert error.code == "VALIDATION_ERROR"
    assert fragment in error.message


@pytest.mark.parametrize(
    ("op", "left", "right"),
    [
        ("GREATER_THAN", "fChk", 1),
        ("CONTAINS", "fNum", "1"),
        ("IS_WITHIN", "fTxt", ("PREDEFINED:TODAY", "PREDEFINED:TODAY")),
        ("IS_WITHIN", "fNum", (1, 2)),
        ("HAS_ANY_OF", "fNum", [1]),
        ("IS_ONE_OF", "fDat", ["2026-01-01"]),
        ("GREATER_THAN", "fSel", "a"),
        ("LESS_THAN", "fTxt", "a"),
        ("IS_BETWEEN", "fTxt", ("a", "b")),
        ("CONTAINS", "fDat", "2026"),
        ("HAS_ALL_OF", "fChk", [True]),
        ("IS_ONE_OF", "fChk", [True]),
        ("GREATER_THAN", "fLnk", "recA"),
        ("IS_BETWEEN", "fTag", ("a", "b")),
        ("STARTS_WITH", "created_at", "2026"),
    ],
)
def test_meaningless_operator_for_type_is_rejected(op: str, left: str, right: Any) -> None:
    """Operators that make no sense for a field type are BAD_REQUEST naming operator and field."""
    error = error_of({"condition": cond(op, left, right)})
    assert error.code == "BAD_REQUEST"
    assert op in error.message and left in error.message
    assert error.details["leftSide"] == left


def test_unknown_field_is_unknown_field() -> None:
    """A leftSide that is neither a field id nor a pseudo-field is UNKNOWN_FIELD."""
    error = error_of({"condition": cond("IS", "Name", "x")})  # a name, not an id
    assert error.code == "UNKNOWN_FIELD"
    assert error.details == {"path": "filter.condition", "operator": "IS", "leftSide": "Name"}


def test_error_path_points_into_nested_conditions() -> None:
    """Errors say where in the tree they are."""
    tree = {
        "operator": "AND",
        "conditions": [
            cond("IS_EMPTY", "fTxt"),
            {"operator": "OR", "conditions": [cond("IS", "fNum", "x")]},
        ],
    }
    error = error_of({"condition": tree})
    assert error.details["path"] == "filter.condition.conditions[1].conditions[0]"


def nest(levels: int) -> dict[str, Any]:
    node: dict[str, Any] = cond("IS_EMPTY", "fTxt")
    for index in range(levels):
        node = {"operator": "AND" if index % 2 else "OR", "conditions": [node]}
    return node


def test_depth_limit() -> None:
    """Compound nesting deeper than max_depth is refused; leaves do not count as a level."""
    assert compile_filter({"condition": nest(2)}, FIELDS, max_depth=2)({"fTxt": ""})
    assert error_of({"condition": nest(3)}, max_depth=2).code == "BAD_REQUEST"
    assert compile_filter({"condition": nest(16)}, FIELDS)({})
    error = error_of({"condition": nest(17)})
    assert error.code == "BAD_REQUEST" and "16" in error.message
    assert error_of({"condition": nest(50_000)}).code == "BAD_REQUEST"  # no RecursionError
    assert compile_filter({"condition": nest(0)}, FIELDS, max_depth=0)({})


# ---------------------------------------------------------------------------------------------
# Properties (hypothesis)

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.decimals(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(
        [
            "2026-05-20",
            "2026-05-20T10:00:00Z",
            "PREDEFINED:TODAY",
            "RELATIVE_DATE:PAST:7",
            "PREDEFINED:",
            "12.5",
            "vip",
            "recA",
        ]
    )
)
JSON = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=6,
)
LEFT_SIDES = st.sampled_from([*FIELDS, "created_at", "updated_at", "nope"]) | JSON
CONDITIONS = st.recursive(
    st.fixed_dictionaries(
        {"operator": st.sampled_from(OPERATORS) | JSON, "leftSide": LEFT_SIDES},
        optional={"rightSide": JSON, "lowerBound": JSON, "upperBound": JSON, "extra": JSON},
    )
    | JSON,
    lambda children: st.fixed_dictionaries(
        {"operator": st.sampled_from(["AND", "OR"]), "conditions": st.lists(children, max_size=3)}
    ),
    max_leaves=5,
)
ODD_RECORDS = st.dictionaries(
    st.sampled_from([*FIELDS, "created_at", "updated_at"]), JSON, max_size=5
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(filter_obj=st.one_of(JSON, st.fixed_dictionaries({"condition": CONDITIONS})))
def test_compile_filter_only_ever_raises_filter_error(filter_obj: Any) -> None:
    """Any JSON compiles or fails with a FilterError; compiled filters answer bools."""
    try:
        predicate = compile_filter(filter_obj, FIELDS, now=NOW)
    except FilterError as exc:
        assert exc.code in ("BAD_REQUEST", "UNKNOWN_FIELD", "VALIDATION_ERROR")
        assert isinstance(exc.message, str) and isinstance(exc.details, dict)
        return
    assert all(isinstance(predicate(record), bool) for record in RECORDS)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(condition=CONDITIONS, records=st.lists(ODD_RECORDS, max_size=3))
def test_compiled_filters_never_crash_on_odd_records(
    condition: Any, records: list[dict[str, Any]]
) -> None:
    """Whatever values a record holds, evaluating a valid filter returns a bool."""
    try:
        predicate = compile_filter({"condition": condition}, FIELDS, now=NOW)
    except FilterError:
        return
    assert all(isinstance(predicate(record), bool) for record in records)


RIGHT_BY_FIELD: dict[str, st.SearchStrategy[Any]] = {
    "fTxt": st.sampled_from(["", "printer", "PRINT", "x", "scanner"]),
    "fNum": st.integers(-5, 12) | st.decimals(-5, 12, places=2) | st.sampled_from(["2.5", "10"]),
    "fDat": st.sampled_from(["2026-05-20", "PREDEFINED:THIS_MONTH", "2026-04-30T12:00:00Z"]),
    "fChk": st.booleans(),
    "fSel": st.sampled_from(["Open", "won", "", "closed"]),
    "fTag": st.sampled_from(["vip", "LEAD", "customer", "x"]),
    "fLnk": st.sampled_from(["recA", "acme", "recC", "zzz"]),
    "fFrm": st.sampled_from([0, 12.5, "high", "12.5"]),
}
POSITIVE_OPS = {
    "fTxt": ["IS", "CONTAINS", "STARTS_WITH", "ENDS_WITH", "IS_ONE_OF", "HAS_ANY_OF"],
    "fNum": ["IS", "IS_ONE_OF", "IS_BETWEEN"],
    "fDat": ["IS", "IS_BETWEEN", "IS_WITHIN"],
    "fChk": ["IS"],
    "fSel": ["IS", "CONTAINS", "IS_ONE_OF", "HAS_ANY_OF"],
    "fTag": ["IS", "ENDS_WITH", "IS_ONE_OF", "HAS_ANY_OF"],
    "fLnk": ["IS", "STARTS_WITH", "IS_ONE_OF", "HAS_ANY_OF"],
    "fFrm": ["IS", "IS_ONE_OF", "IS_BETWEEN"],
}


@st.composite
def positive_conditions(draw: st.DrawFn) -> dict[str, Any]:
    left = draw(st.sampled_from(sorted(POSITIVE_OPS)))
    op = draw(st.sampled_from(POSITIVE_OPS[left] + ["IS_EMPTY"]))
    values = RIGHT_BY_FIELD[left]
    if op in ("IS_ONE_OF", "HAS_ANY_OF"):
        return cond(op, left, draw(st.lists(values, max_size=3)))
    if op in ("IS_BETWEEN", "IS_WITHIN"):
        return cond(op, left, (draw(values), draw(values)))
    return cond(op, left, draw(values))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    condition=positive_conditions(),
    records=st.lists(st.sampled_from(RECORDS) | ODD_RECORDS, max_size=4),
)
def test_negation_is_complement_property(
    condition: dict[str, Any], records: list[dict[str, Any]]
) -> None:
    """For every negated operator, neg(record) == not pos(record), on any record."""
    try:
        positive = compile_filter({"condition": condition}, FIELDS, now=NOW)
    except FilterError:  # e.g. an IS_BETWEEN with a text bound on a number
        return
    negated = compile_filter(
        {"condition": {**condition, "operator": NEGATIONS[condition["operator"]]}},
        FIELDS,
        now=NOW,
    )
    for record in records:
        assert negated(record) is (not positive(record))


# ---------------------------------------------------------------------------------------------
# Sorting


def order(sorting: Any, records: list[dict[str, Any]] = RECORDS) -> list[int]:
    ordered = compile_sorting(sorting, FIELDS)(records)
    return [next(i for i, rec in enumerate(records) if rec is each) for each in ordered]


def by(field: str, direction: str = "ASC") -> dict[str, str]:
    return {"sortingField": field, "sortType": direction}


@pytest.mark.parametrize(
    ("sorting", "expected"),
    [
        ([by("fNum")], [2, 4, 3, 1, 0]),
        ([by("fNum", "DESC")], [0, 1, 3, 2, 4]),
        ([by("fTxt")], [2, 4, 3, 0, 1]),  # case-insensitive, empties first
        ([by("fTxt", "DESC")], [1, 0, 3, 2, 4]),
        ([by("fCur")], [2, 4, 3, 0, 1]),
        ([by("fDtm")], [2, 4, 3, 1, 0]),  # chronological across offsets
        ([by("fDat", "DESC")], [3, 0, 1, 2, 4]),
        ([by("fChk")], [1, 2, 3, 4, 0]),
        ([by("fSel")], [2, 4, 1, 0, 3]),  # by label
        ([by("fTag")], [2, 4, 3, 1, 0]),  # (customer, vip) < (lead) < (vip, lead)
        ([by("fLnk")], [2, 4, 0, 1, 3]),  # by label
        ([by("fUsr")], [2, 4, 1, 0, 3]),  # by full name
        ([by("fAtt")], [1, 2, 4, 0, 3]),  # by filename
        ([by("fFrm")], [2, 4, 3, 0, 1]),  # numbers before text
        ([by("created_at", "DESC")], [3, 1, 0, 2, 4]),
        ([], [0, 1, 2, 3, 4]),
        (None, [0, 1, 2, 3, 4]),
    ],
)
def test_sorting_orders(sorting: Any, expected: list[int]) -> None:
    """Each field type sorts naturally; empties first in ASC and last in DESC."""
    assert order(sorting) == expected


def test_sorting_is_stable_and_multi_key() -> None:
    """Later keys break ties of earlier ones; full ties keep the input order."""
    records: list[dict[str, Any]] = [
        {"fSel": sel("b"), "fNum": 1, "fTxt": "first"},
        {"fSel": sel("A"), "fNum": 1},
        {"fSel": sel("b"), "fNum": 2},
        {"fSel": sel("a"), "fNum": 2},
        {"fSel": sel("B"), "fNum": 1, "fTxt": "second"},
        {"fNum": 5},
    ]
    assert order([by("fSel"), by("fNum", "DESC")], records) == [5, 3, 1, 2, 0, 4]
    assert order([by("fSel", "DESC"), by("fNum")], records) == [0, 4, 2, 1, 3, 5]
    assert order([by("fNum"), by("fTxt", "DESC")], records) == [4, 0, 1, 2, 3, 5]


def test_sorting_mixed_number_types_and_offsets() -> None:
    """int, float and Decimal interleave numerically; instants sort by time, not by text."""
    numbers: list[dict[str, Any]] = [{"fNum": Decimal("2.5")}, {"fNum": 2}, {"fNum": 2.75}]
    assert order([by("fNum")], numbers) == [1, 0, 2]
    times: list[dict[str, Any]] = [
        {"fDtm": "2026-05-20T07:00:00-05:00"},  # 12:00Z
        {"fDtm": "2026-05-20T08:00:00Z"},
    ]
    assert order([by("fDtm")], times) == [1, 0]


def test_sort_returns_new_list_and_default_type_is_asc() -> None:
    """The input list is left alone; a missing sortType means ASC."""
    records = list(RECORDS)
    result = compile_sorting([{"sortingField": "fNum"}], FIELDS)(records)
    assert records == RECORDS and result is not records
    assert result[-1] is RECORDS[0]


@pytest.mark.parametrize(
    ("sorting", "code"),
    [
        ({"sortingField": "fNum"}, "BAD_REQUEST"),
        ("fNum", "BAD_REQUEST"),
        (["fNum"], "BAD_REQUEST"),
        ([{"sortType": "ASC"}], "BAD_REQUEST"),
        ([{"sortingField": 3}], "BAD_REQUEST"),
        ([by("fNum", "asc")], "BAD_REQUEST"),
        ([by("fNum", "UP")], "BAD_REQUEST"),
        ([{"sortingField": "fNum", "sortType": "ASC", "nulls": "LAST"}], "BAD_REQUEST"),
        ([by("Name")], "UNKNOWN_FIELD"),
    ],
)
def test_sorting_validation(sorting: Any, code: str) -> None:
    """Malformed sorting is BAD_REQUEST, an unknown field UNKNOWN_FIELD."""
    with pytest.raises(FilterError) as info:
        compile_sorting(sorting, FIELDS)
    assert info.value.code == code


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sorting=st.lists(
        st.fixed_dictionaries(
            {
                "sortingField": st.sampled_from([*FIELDS, "created_at"]),
                "sortType": st.sampled_from(["ASC", "DESC"]),
            }
        ),
        max_size=3,
    ),
    records=st.lists(st.sampled_from(RECORDS) | ODD_RECORDS, max_size=6),
)
def test_sorting_never_crashes_and_permutes(
    sorting: list[dict[str, Any]], records: list[dict[str, Any]]
) -> None:
    """Sorting any records by any fields returns a permutation of them."""
    result = compile_sorting(sorting, FIELDS)(records)
    assert sorted(map(id, result)) == sorted(map(id, records))


# ---------------------------------------------------------------------------------------------
# Lenient where Softr is (docs/emulator.md, "Lenient where Softr is")


@pytest.mark.parametrize("filter_obj", [{}, {"condition": None}])
def test_a_filter_without_condition_is_no_filter(filter_obj: dict[str, Any]) -> None:
    """The OpenAPI file makes ``condition`` optional: ``{"filter": {}}`` matches everything."""
    predicate = compile_filter(filter_obj, FIELDS)
    assert predicate({}) and predicate({"fTxt": "a"})


def test_keys_of_another_kind_are_ignored() -> None:
    """Softr's schema has one shape for all conditions; a kind ignores the keys it does not
    use, but a key outside that shape is still refused."""
    anded = compile_filter(
        {"condition": {"operator": "AND", "conditions": [], "leftSide": "fTxt", "rightSide": 1}},
        FIELDS,
    )
    assert anded({})
    empty = compile_filter(
        {
            "condition": {
                "operator": "IS_EMPTY",
                "leftSide": "fTxt",
                "rightSide": "",
                "conditions": [],
            }
        },
        FIELDS,
    )
    assert empty({}) and not empty({"fTxt": "a"})
    between = compile_filter(
        {
            "condition": {
                "operator": "IS_BETWEEN",
                "leftSide": "fNum",
                "lowerBound": 1,
                "upperBound": 3,
                "rightSide": 99,
            }
        },
        FIELDS,
    )
    assert between({"fNum": 2}) and not between({"fNum": 99})
    assert error_of({"condition": {"operator": "IS_EMPTY", "leftSide": "fTxt", "rightside": 1}})


@pytest.mark.parametrize(
    ("right", "checked", "unchecked"),
    [("true", True, False), ("false", False, True), ("TRUE", True, False), (True, True, False)],
)
def test_a_checkbox_compares_with_boolean_strings(
    right: Any, checked: bool, unchecked: bool
) -> None:
    """Softr's n8n node sends a checkbox's rightSide as the string "true" or "false"."""
    predicate = compile_filter({"condition": cond("IS", "fChk", right)}, FIELDS)
    assert predicate({"fChk": True}) is checked
    assert predicate({"fChk": False}) is unchecked and predicate({}) is unchecked
    negated = compile_filter({"condition": cond("IS_NOT", "fChk", right)}, FIELDS)
    assert negated({"fChk": True}) is not checked


def test_other_strings_on_a_checkbox_are_still_refused() -> None:
    assert error_of({"condition": cond("IS", "fChk", "yes")}).code == "BAD_REQUEST"
