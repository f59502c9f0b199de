"""Tests for softr_orm.query.conditions: Q objects, lookup parsing and resolution."""

from __future__ import annotations

import copy
import datetime as dt
import pickle
from typing import Any

import pytest

from softr_orm import fields
from softr_orm.errors import FieldError, InvalidValue, UnsupportedLookup
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
    record_ids,
    references_record_id,
    resolve,
    split_lookup,
    substitute_record_id,
)

# --- stand-in fields (the contract of contracts.md: lookups, to_filter_value, ...) ---------


class StubField:
    """A minimal field: records the calls to ``to_filter_value``."""

    def __init__(
        self, attname: str, softr_type: str, lookups: set[str], *, multiple: bool = False
    ) -> None:
        self.attname = attname
        self.softr_type = softr_type
        self.lookups = frozenset(lookups)
        self.multiple = multiple
        self.calls: list[tuple[Any, str]] = []

    def to_filter_value(self, value: Any, lookup: str) -> Any:
        self.calls.append((value, lookup))
        if lookup in ("in", "has_any", "has_all", "has_none"):
            return [str(v).upper() if self.softr_type == "SELECT" else v for v in value]
        if lookup == "range":
            low, high = value
            return (low, high)
        if isinstance(value, dt.date):
            return value.isoformat()
        if value == "bad":
            raise InvalidValue("Contact", self.attname, value, "bad value")
        return value


TEXT = {"exact", "contains", "startswith", "endswith", "in", "isnull"}
NUMERIC = {"exact", "gt", "gte", "lt", "lte", "in", "range", "isnull"}
SETS = {"has_any", "has_all", "has_none", "isnull"}


def make_fields() -> dict[str, StubField]:
    return {
        "name": StubField("name", "SINGLE_LINE_TEXT", TEXT),
        "score": StubField("score", "NUMBER", NUMERIC),
        "tags": StubField("tags", "SELECT", SETS, multiple=True),
        "newsletter": StubField("newsletter", "CHECKBOX", {"exact", "isnull"}),
        "joined": StubField("joined", "DATE", NUMERIC - {"in"} | {"within"}),
    }


FIELD_IDS = {
    "name": "nAm3x",
    "score": "sCr01",
    "tags": "tAg01",
    "newsletter": "nEw01",
    "joined": "jOi01",
}


def res(q: Q, fields: dict[str, StubField] | None = None) -> Node:
    return resolve(q, "Contact", fields or make_fields(), lambda f: FIELD_IDS[f.attname])


# --- Q ---------------------------------------------------------------------------------------


def test_q_repr_like_django() -> None:
    """repr shows connector, negation and children as Django does."""
    assert repr(Q(score__gte=10)) == "<Q: (AND: ('score__gte', 10))>"
    assert repr(~Q(score__gte=10)) == "<Q: (NOT (AND: ('score__gte', 10)))>"
    assert repr(Q(a=1) | Q(b=2) & Q(c=3)) == "<Q: (OR: ('a', 1), (AND: ('b', 2), ('c', 3)))>"


def test_kwargs_keep_insertion_order() -> None:
    """Keyword arguments are ANDed in the order written (deterministic bodies)."""
    assert Q(b=1, a=2).children == (("b", 1), ("a", 2))
    assert Q(b=1, a=2).connector == "AND"


def test_and_or_flatten_like_django() -> None:
    """a & b & c is one flat AND; a | b | c one flat OR."""
    assert (Q(a=1) & Q(b=2) & Q(c=3)).children == (("a", 1), ("b", 2), ("c", 3))
    q = Q(a=1) | Q(b=2) | Q(c=3)
    assert q.connector == "OR"
    assert q.children == (("a", 1), ("b", 2), ("c", 3))


def test_negated_operand_is_nested_not_merged() -> None:
    """A negated operand keeps its own node (merging it would lose the NOT)."""
    q = Q(a=1) & ~Q(b=2)
    assert q.children[0] == ("a", 1)
    assert q.children[1] == ~Q(b=2)


def test_empty_q_is_neutral() -> None:
    """Q() combined with q gives q; ~Q() is still Q()."""
    q = Q(a=1)
    assert Q() & q == q
    assert q | Q() == q
    assert ~Q() == Q()
    assert not Q()
    assert bool(q)
    assert len(Q(a=1, b=2)) == 2


def test_double_negation_is_identity() -> None:
    """~~q == q (and so does its hash)."""
    q = Q(a=1) | Q(b__in=[1, 2])
    assert ~~q == q
    assert hash(~~q) == hash(q)
    assert ~q != q


def test_q_is_immutable_and_hashable() -> None:
    """Q objects cannot be changed in place; they hash even with list values."""
    q = Q(tags__has_any=["a", "b"])
    with pytest.raises(AttributeError):
        q.negated = True  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del q.children
    assert hash(q) == hash(Q(tags__has_any=["a", "b"]))
    assert {q, Q(tags__has_any=["a", "b"])} == {q}


def test_q_equality() -> None:
    """Equal when connector, negation and children are equal."""
    assert Q(a=1) == Q(a=1)
    assert Q(a=1) != Q(a=2)
    assert Q(a=1, b=2) != Q(a=1) | Q(b=2)
    assert Q(a=1) != ("a", 1)


def test_q_pickles_and_copies() -> None:
    """A Q survives pickling and deep copies (QuerySets may be cached)."""
    q = (Q(a=1) | ~Q(raw={"operator": "IS_EMPTY", "leftSide": "x"})) & Q(b__in=[1])
    assert pickle.loads(pickle.dumps(q)) == q
    assert copy.deepcopy(q) == q


def test_q_rejects_bad_arguments() -> None:
    """Positional arguments must be Q, RawCondition or (lookup, value) pairs."""
    with pytest.raises(TypeError):
        Q("score")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Q(a=1, _connector="XOR")
    with pytest.raises(TypeError):
        Q(a=1) & {"a": 1}  # type: ignore[operator]


def test_q_accepts_pairs_and_nodes() -> None:
    """(lookup, value) tuples and raw nodes are children as given."""
    raw = RawCondition({"operator": "IS_EMPTY", "leftSide": "x"})
    q = Q(("score__gt", 1), raw, Q(a=1))
    assert q.children == (("score__gt", 1), raw, Q(a=1))


def test_q_raw_keyword_makes_a_raw_condition() -> None:
    """Q(raw={...}) is the escape hatch; raw= with a non-dict is an ordinary lookup."""
    q = Q(raw={"operator": "IS", "leftSide": "x", "rightSide": 1})
    assert q.children == (RawCondition({"operator": "IS", "leftSide": "x", "rightSide": 1}),)
    assert Q(raw="text").children == (("raw", "text"),)


# --- tree nodes ------------------------------------------------------------------------------


def test_condition_value_is_frozen_and_hashable() -> None:
    """Lists become tuples (immutable), so conditions hash and compare by value."""
    a = Condition("f", "in", ["x", "y"], "SINGLE_LINE_TEXT")
    b = Condition("f", "in", ("x", "y"), "SINGLE_LINE_TEXT")
    assert a == b
    assert a.value == ("x", "y")
    assert hash(a) == hash(b)
    with pytest.raises(AttributeError):
        a.value = 1  # type: ignore[misc]


def test_condition_rejects_unknown_lookup() -> None:
    """Only the documented lookups are conditions."""
    with pytest.raises(ValueError, match="iexact"):
        Condition("f", "iexact", "x", "SINGLE_LINE_TEXT")


def test_compound_nodes_take_sequences() -> None:
    """And/Or store their children as tuples whatever sequence was given."""
    node = And([TRUE, FALSE])  # type: ignore[arg-type]
    assert node.children == (TRUE, FALSE)
    assert Or([TRUE]) == Or((TRUE,))  # type: ignore[arg-type]
    assert repr(TRUE) == "TRUE"
    assert not FALSE


def test_raw_condition_validation_and_copy() -> None:
    """A raw condition needs an operator; it keeps its own copy of the dict."""
    source: dict[str, Any] = {"operator": "IS_ONE_OF", "leftSide": "x", "rightSide": ["a"]}
    raw = RawCondition(source)
    source["rightSide"].append("b")
    assert raw.condition["rightSide"] == ["a"]
    assert hash(raw) == hash(
        RawCondition({"operator": "IS_ONE_OF", "leftSide": "x", "rightSide": ["a"]})
    )
    with pytest.raises(ValueError):
        RawCondition({"leftSide": "x"})
    with pytest.raises(TypeError):
        RawCondition(["IS"])  # type: ignore[arg-type]


# --- lookup parsing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("score", ("score", "exact")),
        ("score__gte", ("score", "gte")),
        ("tags__has_any", ("tags", "has_any")),
        ("score__isnull", ("score", "isnull")),
        ("score__foo", ("score__foo", "exact")),
        ("last__call__in", ("last__call", "in")),
        ("__in", ("__in", "exact")),
    ],
)
def test_split_lookup(key: str, expected: tuple[str, str]) -> None:
    """The last __segment is the lookup when it is one of LOOKUPS."""
    assert split_lookup(key) == expected


def test_lookups_list() -> None:
    """The fifteen lookups of design.md."""
    assert len(LOOKUPS) == 15
    assert "exact" in LOOKUPS and "within" in LOOKUPS


# --- resolve ----------------------------------------------------------------------------------


def test_resolve_simple_lookup() -> None:
    """A lookup becomes a Condition keyed by field id, with the converted value and label."""
    assert res(Q(score__gte=10)) == Condition("sCr01", "gte", 10, "NUMBER", False, "Contact.score")


def test_resolve_converts_with_the_field() -> None:
    """to_filter_value gets the value and the lookup; its result is stored."""
    fields = make_fields()
    node = res(Q(tags__has_all=["vip", "lead"]), fields)
    assert fields["tags"].calls == [(["vip", "lead"], "has_all")]
    assert node == Condition("tAg01", "has_all", ("VIP", "LEAD"), "SELECT", True, "Contact.tags")


def test_resolve_structure() -> None:
    """AND/OR/NOT mirror the Q tree; single children are not wrapped."""
    q = Q(name="x", score__gt=1) | ~Q(newsletter=True)
    node = res(q)
    assert node == Or(
        (
            And(
                (
                    Condition("nAm3x", "exact", "x", "SINGLE_LINE_TEXT", False, "Contact.name"),
                    Condition("sCr01", "gt", 1, "NUMBER", False, "Contact.score"),
                )
            ),
            Not(Condition("nEw01", "exact", True, "CHECKBOX", False, "Contact.newsletter")),
        )
    )


def test_resolve_empty_q_is_true() -> None:
    """An empty Q matches everything."""
    assert res(Q()) is TRUE


def test_resolve_unknown_field() -> None:
    """FieldError names the model, the name and the fields."""
    with pytest.raises(FieldError) as info:
        res(Q(nmae="x"))
    assert info.value.model == "Contact"
    assert info.value.name == "nmae"
    assert "name" in info.value.choices
    with pytest.raises(FieldError):
        res(Q(nmae__gt=1))


def test_resolve_unsupported_lookup() -> None:
    """A lookup the field type cannot support lists what it supports."""
    with pytest.raises(UnsupportedLookup) as info:
        res(Q(newsletter__gt=1))
    assert info.value.field == "newsletter"
    assert info.value.lookup == "gt"
    assert info.value.supported == ["exact", "isnull"]


def test_resolve_unknown_lookup_suffix() -> None:
    """score__foo: the field exists, 'foo' is no lookup (and there are no relation paths)."""
    with pytest.raises(UnsupportedLookup) as info:
        res(Q(score__foo=1))
    assert (info.value.field, info.value.lookup) == ("score", "foo")
    with pytest.raises(UnsupportedLookup) as info:
        res(Q(tags__name__exact="x"))
    assert info.value.lookup == "name__exact"


def test_resolve_invalid_value_comes_from_the_field() -> None:
    """The field's InvalidValue propagates, before the field id is asked for."""
    asked: list[str] = []

    def key(field: Any) -> str:
        asked.append(field.attname)
        return "x"

    with pytest.raises(InvalidValue):
        resolve(Q(name="bad"), "Contact", make_fields(), key)
    assert asked == []


def test_exact_none_is_isnull() -> None:
    """name=None means 'is empty' (and is not passed to the converter)."""
    fields = make_fields()
    node = res(Q(name=None), fields)
    assert node == Condition("nAm3x", "isnull", True, "SINGLE_LINE_TEXT", False, "Contact.name")
    assert fields["name"].calls == []


def test_isnull_needs_a_bool() -> None:
    """isnull=1 is refused: it must be True or False."""
    with pytest.raises(InvalidValue, match="isnull takes True or False"):
        res(Q(name__isnull=1))
    assert res(Q(name__isnull=False)) == Condition(
        "nAm3x", "isnull", False, "SINGLE_LINE_TEXT", False, "Contact.name"
    )


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        (Q(name__in=[]), FALSE),
        (Q(tags__has_any=()), FALSE),
        (Q(tags__has_all=[]), TRUE),
        (Q(tags__has_none=set()), TRUE),
    ],
)
def test_empty_sets_are_constants(q: Q, expected: Node) -> None:
    """in=[] matches nothing (as Django); has_all=[]/has_none=[] match everything."""
    assert res(q) == expected


def test_raw_conditions_pass_through() -> None:
    """A raw node is kept as it is, inside the resolved tree."""
    raw = {"operator": "IS", "leftSide": "zZz", "rightSide": 1}
    assert res(Q(raw=raw) & Q(score=1)) == And(
        (RawCondition(raw), Condition("sCr01", "exact", 1, "NUMBER", False, "Contact.score"))
    )


# --- record ids -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["id", "pk"])
def test_record_id_lookups(name: str) -> None:
    """id/pk with exact or in give RECORD_ID_KEY conditions (duplicates dropped)."""
    assert res(Q(**{name: "rAbc"})) == Condition(
        RECORD_ID_KEY, "exact", "rAbc", "RECORD_ID", False, f"Contact.{name}"
    )
    node = res(Q(**{f"{name}__in": ["r1", "r2", "r1"]}))
    assert node == Condition(
        RECORD_ID_KEY, "in", ("r1", "r2"), "RECORD_ID", False, f"Contact.{name}"
    )
    assert record_ids(node) == ["r1", "r2"]


def test_integer_record_ids_become_strings() -> None:
    """Baserow's integer row ids are accepted and keyed as strings, like every id."""
    assert res(Q(id=5)) == Condition(RECORD_ID_KEY, "exact", "5", "RECORD_ID", False, "Contact.id")
    assert record_ids(res(Q(pk__in=[3, "4", 3]))) == ["3", "4"]


def test_record_id_edge_cases() -> None:
    """id=None and id__in=[] match nothing; other lookups and bad ids are refused."""
    assert res(Q(id=None)) is FALSE
    assert res(Q(id__in=[])) is FALSE
    with pytest.raises(UnsupportedLookup):
        res(Q(id__gt="a"))
    with pytest.raises(UnsupportedLookup):
        res(Q(pk__foo="a"))
    for bad in (True, 0, -5, 2.5):
        with pytest.raises(InvalidValue):
            res(Q(id=bad))
    with pytest.raises(InvalidValue):
        res(Q(id__in="r1"))
    with pytest.raises(InvalidValue):
        res(Q(id__in=["r1", ""]))


def test_model_field_named_id_wins() -> None:
    """A model field called 'id' is that field, not the record id."""
    fields = make_fields()
    fields["id"] = StubField("id", "AUTONUMBER", NUMERIC)
    node = resolve(Q(id=3), "Contact", fields, lambda f: "aUt01")
    assert node == Condition("aUt01", "exact", 3, "AUTONUMBER", False, "Contact.id")


def test_record_id_helpers() -> None:
    """record_ids only for a pure id query; substitute rekeys every id condition."""
    by_id = res(Q(id="r1"))
    mixed = res(Q(id="r1") & ~Q(score=1))
    assert record_ids(by_id) == ["r1"]
    assert record_ids(mixed) is None
    assert references_record_id(mixed)
    assert not references_record_id(
        res(Q(score=1) | Q(raw={"operator": "IS_EMPTY", "leftSide": "x"}))
    )
    swapped = substitute_record_id(mixed, "rId01")
    assert not references_record_id(swapped)
    assert swapped == And(
        (
            Condition("rId01", "exact", "r1", "RECORD_ID", False, "Contact.id"),
            Not(Condition("sCr01", "exact", 1, "NUMBER", False, "Contact.score")),
        )
    )
    assert substitute_record_id(Or((by_id, TRUE)), "z") == Or(
        (Condition("z", "exact", "r1", "RECORD_ID", False, "Contact.id"), TRUE)
    )


# --- pseudo-fields ----------------------------------------------------------------------------

UTC = dt.timezone.utc


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.datetime(2026, 5, 21, 20, 0, 0, 123456, tzinfo=UTC), "2026-05-21T20:00:00.123Z"),
        (
            dt.datetime(2026, 5, 21, 22, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            "2026-05-21T20:00:00.000Z",
        ),
        (dt.date(2026, 5, 21), "2026-05-21"),
        ("2026-05-21", "2026-05-21"),
        ("2026-05-21T20:00:00Z", "2026-05-21T20:00:00.000Z"),
        ("2026-05-21T22:00:00.5+02:00", "2026-05-21T20:00:00.500Z"),
        ("PREDEFINED:TODAY", "PREDEFINED:TODAY"),
        ("RELATIVE_DATE:PAST:7", "RELATIVE_DATE:PAST:7"),
        (1767225600000, 1767225600000),
    ],
)
def test_pseudo_field_values(value: Any, expected: Any) -> None:
    """created_at takes datetimes (aware), dates, ISO strings, tokens and epoch ms."""
    node = res(Q(created_at__gt=value))
    assert node == Condition(
        "created_at", "gt", expected, "CREATED_AT", False, "Contact.created_at"
    )


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2026, 5, 21, 20, 0),
        "2026-05-21T20:00:00",
        "2026-13-01",
        "yesterday",
        True,
        1.5,
        None,
    ],
)
def test_pseudo_field_bad_values(value: Any) -> None:
    """Naive datetimes (and anything that is not a date) are refused, naming the field."""
    with pytest.raises(InvalidValue) as info:
        res(Q(updated_at__lt=value))
    assert info.value.field == "updated_at"


def test_pseudo_field_lookups() -> None:
    """range, within, isnull and exact=None on pseudo-fields; 'in' is not a date lookup."""
    assert res(Q(updated_at__range=(dt.date(2026, 1, 1), "2026-02-01"))) == Condition(
        "updated_at",
        "range",
        ("2026-01-01", "2026-02-01"),
        "UPDATED_AT",
        False,
        "Contact.updated_at",
    )
    assert res(Q(created_at__within="PREDEFINED:THIS_WEEK")).value == (  # type: ignore[union-attr]
        "PREDEFINED:THIS_WEEK",
        "PREDEFINED:THIS_WEEK",
    )
    assert res(Q(created_at=None)).lookup == "isnull"  # type: ignore[union-attr]
    with pytest.raises(InvalidValue):
        res(Q(created_at__within="2026-01-01"))
    with pytest.raises(InvalidValue):
        res(Q(created_at__range=("2026-01-01",)))
    with pytest.raises(InvalidValue):
        res(Q(created_at__range="2026-01-01"))
    with pytest.raises(UnsupportedLookup):
        res(Q(created_at__in=["2026-01-01"]))
    with pytest.raises(UnsupportedLookup):
        res(Q(created_at__day=1))


def test_model_field_named_created_at_wins() -> None:
    """A model field called created_at is used as the field, not the pseudo-field."""
    fields = make_fields()
    fields["created_at"] = StubField("created_at", "CREATED_AT", {"exact", "gt", "isnull"})
    node = resolve(Q(created_at__gt="x"), "Contact", fields, lambda f: "cRe01")
    assert node == Condition("cRe01", "gt", "x", "CREATED_AT", False, "Contact.created_at")


# --- with the real field classes ---------------------------------------------------------------


class Deal:
    """Real descriptors bound by ``__set_name__`` (a stand-in for a Model class)."""

    title = fields.SingleLineText("Title")
    stage = fields.Select("Stage")
    tags = fields.Select("Tags", multiple=True)
    won = fields.Checkbox("Won")
    close_date = fields.Date("Close date")
    company = fields.LinkedRecord("Company", to="Company", multiple=False)


DEAL_FIELDS: dict[str, Any] = {
    name: value for name, value in vars(Deal).items() if isinstance(value, fields.Field)
}


def deal(q: Q) -> Node:
    return resolve(q, "Deal", DEAL_FIELDS, lambda f: f"id_{f.attname}")


def test_real_fields_resolve() -> None:
    """Real converters: dates to ISO, labels kept, checkbox None to isnull."""
    assert deal(Q(close_date__lt=dt.date(2026, 7, 1))) == Condition(
        "id_close_date", "lt", "2026-07-01", "DATE", False, "Deal.close_date"
    )
    assert deal(Q(tags__has_none=["vip"])) == Condition(
        "id_tags", "has_none", ("vip",), "SELECT", True, "Deal.tags"
    )
    assert deal(Q(won=None)) == Condition("id_won", "isnull", True, "CHECKBOX", False, "Deal.won")


def test_real_fields_refuse_what_their_type_cannot_do() -> None:
    """Lookups come from the field class; operands are checked by the field."""
    with pytest.raises(UnsupportedLookup) as info:
        deal(Q(tags__exact="vip"))
    assert info.value.supported == ["has_all", "has_any", "has_none", "isnull"]
    with pytest.raises(UnsupportedLookup):
        deal(Q(title__gt="a"))
    with pytest.raises(UnsupportedLookup):
        deal(Q(close_date__contains="2026"))
    with pytest.raises(InvalidValue):
        deal(Q(won=1))
    with pytest.raises(InvalidValue):
        deal(Q(close_date__within="2026-01-01"))
