"""What the two property tests share: the records, the table, the operand strategies.

``test_compiler_property.py`` (condition trees, compiled and sent to the search endpoint) and
``test_orm_property.py`` (``Q`` objects through ``Model.objects``) run over the same random
records in the same table shape and draw operands from the same pools; each keeps its own
reference evaluation and its own leaves where the two differ.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
import random
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from softr_orm import Q

UTC = dt.timezone.utc
TODAY = dt.datetime.now(UTC).date()
N_RECORDS = 40

NAMES = ["Alpha", "alpha", "Beta", "beta max", "Gamma ray", "delta", "ALPHA beta", "Ωmega"]
SCORES: list[Any] = [-3, 0, 1, 2, Decimal("2.5"), 5, 10, 42]
STAGES = ["Lead", "Won", "Lost"]
TAGS = ["vip", "lead", "customer", "partner"]
DAY_OFFSETS = [-400, -40, -8, -1, 0, 1, 3, 30, 400]

# The "Rows" table both tests create (fields in the order the records list them).
TABLE_FIELDS: list[dict[str, Any]] = [
    {"name": "Name", "type": "SINGLE_LINE_TEXT"},
    {"name": "Score", "type": "NUMBER", "options": {"precision": 2}},
    {"name": "Newsletter", "type": "CHECKBOX"},
    {
        "name": "Stage",
        "type": "SELECT",
        "options": {"choices": [{"label": s} for s in STAGES]},
    },
    {
        "name": "Tags",
        "type": "SELECT",
        "allowMultipleEntries": True,
        "options": {"choices": [{"label": t} for t in TAGS]},
    },
    {"name": "Joined", "type": "DATE"},
]


def _records(seed: int) -> list[dict[str, Any]]:
    """Python values by attribute name; None (or "") is empty."""
    rnd = random.Random(seed)
    out: list[dict[str, Any]] = []
    for _ in range(N_RECORDS):
        out.append(
            {
                "name": rnd.choice([*NAMES, ""]) if rnd.random() < 0.8 else None,
                "score": rnd.choice(SCORES) if rnd.random() < 0.75 else None,
                "newsletter": rnd.choice([True, False]) if rnd.random() < 0.7 else None,
                "stage": rnd.choice(STAGES) if rnd.random() < 0.7 else None,
                "tags": rnd.sample(TAGS, rnd.randint(0, 3)) if rnd.random() < 0.8 else None,
                "joined": (
                    TODAY + dt.timedelta(days=rnd.choice(DAY_OFFSETS))
                    if rnd.random() < 0.75
                    else None
                ),
            }
        )
    return out


RECORDS = _records(20260521)


def token_days(token: str) -> tuple[dt.date, dt.date]:
    """The UTC calendar days a relative token covers, for the tokens the tests draw."""
    if token == "PREDEFINED:TODAY":
        return TODAY, TODAY
    if token == "PREDEFINED:YESTERDAY":
        day = TODAY - dt.timedelta(days=1)
        return day, day
    if token == "PREDEFINED:TOMORROW":
        day = TODAY + dt.timedelta(days=1)
        return day, day
    if token == "PREDEFINED:THIS_MONTH":
        start = TODAY.replace(day=1)
        following = (start + dt.timedelta(days=32)).replace(day=1)
        return start, following - dt.timedelta(days=1)
    if token == "PREDEFINED:THIS_YEAR":
        return TODAY.replace(month=1, day=1), TODAY.replace(month=12, day=31)
    raise AssertionError(f"token not modelled by the test: {token}")


def compare(lookup: str, value: Any, first: Any, last: Any) -> bool:
    """A comparison lookup against an operand that covers ``first`` to ``last``."""
    return {
        "exact": first <= value <= last,
        "gt": value > last,
        "gte": value >= first,
        "lt": value < first,
        "lte": value <= last,
    }[lookup]


# --- operand strategies -----------------------------------------------------------------------


def q_lookup(key: str, values: st.SearchStrategy[Any]) -> st.SearchStrategy[Q]:
    return values.map(lambda value: Q(**{key: value}))


def subsets(pool: list[str]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(pool), max_size=3, unique=True)


def pairs(values: st.SearchStrategy[Any]) -> st.SearchStrategy[tuple[Any, Any]]:
    return st.tuples(values, values)


NAME_VALUES = st.sampled_from([*NAMES, "ALPHA", "beta MAX", "zeta"])
FRAGMENTS = st.sampled_from(["a", "al", "ALPHA", "ta", "beta", "ray", "Ω", "x", " "])
SCORE_VALUES = st.sampled_from([*SCORES, 7, 100, -10, 2.5])
DAYS = st.sampled_from([*DAY_OFFSETS, 2]).map(lambda n: TODAY + dt.timedelta(days=n))
DAY_OPERANDS = st.one_of(DAYS, DAYS.map(dt.date.isoformat))
TOKENS = st.sampled_from(
    [
        "PREDEFINED:TODAY",
        "PREDEFINED:YESTERDAY",
        "PREDEFINED:TOMORROW",
        "PREDEFINED:THIS_MONTH",
        "PREDEFINED:THIS_YEAR",
    ]
)
ISNULL = st.booleans()

# --- leaves both tests draw the same way (every lookup of the field) --------------------------

SCORE_LEAVES = [
    q_lookup("score", st.one_of(SCORE_VALUES, st.none())),
    *(q_lookup(f"score__{op}", SCORE_VALUES) for op in ("gt", "gte", "lt", "lte")),
    q_lookup("score__in", st.lists(SCORE_VALUES, max_size=3)),
    q_lookup("score__range", pairs(SCORE_VALUES)),
    q_lookup("score__isnull", ISNULL),
]
NEWSLETTER_LEAVES = [
    q_lookup("newsletter", st.sampled_from([True, False, None])),
    q_lookup("newsletter__isnull", ISNULL),
]
TAGS_LEAVES = [
    q_lookup("tags__has_any", subsets(TAGS)),
    q_lookup("tags__has_all", subsets(TAGS)),
    q_lookup("tags__has_none", subsets(TAGS)),
    q_lookup("tags__isnull", ISNULL),
]
JOINED_LEAVES = [
    q_lookup("joined", st.one_of(DAY_OPERANDS, TOKENS, st.none())),
    *(
        q_lookup(f"joined__{op}", st.one_of(DAY_OPERANDS, TOKENS))
        for op in ("gt", "gte", "lt", "lte")
    ),
    q_lookup("joined__range", pairs(DAY_OPERANDS)),
    q_lookup("joined__within", st.one_of(TOKENS, pairs(TOKENS))),
    q_lookup("joined__isnull", ISNULL),
]


def _extend(children: st.SearchStrategy[Q]) -> st.SearchStrategy[Q]:
    groups = st.lists(children, min_size=1, max_size=3)
    return st.one_of(
        groups.map(lambda qs: functools.reduce(operator.and_, qs)),
        groups.map(lambda qs: functools.reduce(operator.or_, qs)),
        children.map(operator.invert),
    )


def trees_of(leaves: st.SearchStrategy[Q]) -> st.SearchStrategy[Q]:
    """Random ``&``/``|``/``~`` trees of up to 8 leaves."""
    return st.recursive(leaves, _extend, max_leaves=8)
