"""Condition tree -> Softr search body (``filter``, ``sorting``, ``paging``).

Softr's filter grammar (softr-api.md §3) has AND/OR and 23 leaf operators but no NOT. A
negation is therefore pushed down to the leaves (De Morgan) and each leaf is replaced by its
*exact* complement, with Django's ``exclude`` semantics: records whose value is empty are kept.
So ``NOT(score > 5)`` becomes ``OR(score <= 5, score IS_EMPTY)``. The explicit ``IS_EMPTY``
is always sent, whatever Softr's negated operators do with empty values themselves, so the
result is right on Softr and on the emulator alike. CHECKBOX is the one type whose empty
value is a value (unchecked = false = empty): ``NOT(IS true)`` is simply ``IS false``.

The tree is then simplified (flattened, deduplicated, constants folded) and its nesting depth
checked against a cap: Softr's own SDK stops at 2 levels (AND -> OR), and deeper filters are
not documented to work on the REST API.

Bodies are plain dicts with a fixed key order, so ``QuerySet.explain()`` prints the same JSON
every time.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

from softr_orm.backends.tree import (
    EMPTY_SET_RESULTS,
    FALSE,
    RECORD_ID_KEY,
    TRUE,
    And,
    Condition,
    Constant,
    Group,
    Node,
    Not,
    Or,
    RawCondition,
    _freeze,
    simplify,
)
from softr_orm.constants import MAX_PAGE_SIZE
from softr_orm.errors import QueryError

__all__ = [
    "DEFAULT_MAX_DEPTH",
    "FALSE",
    "LOOKUP_OPERATORS",
    "TRUE",
    "build_search_body",
    "compile_filter",
    "compile_sorting",
    "filter_depth",
]

#: Softr's SDK caps filters at two levels of nesting (softr-api.md §3.3).
DEFAULT_MAX_DEPTH: Final = 2

#: The operator of each lookup, positive form.
LOOKUP_OPERATORS: Final[Mapping[str, str]] = {
    "exact": "IS",
    "gt": "GREATER_THAN",
    "gte": "GREATER_THAN_OR_EQUALS",
    "lt": "LESS_THAN",
    "lte": "LESS_THAN_OR_EQUALS",
    "contains": "CONTAINS",
    "startswith": "STARTS_WITH",
    "endswith": "ENDS_WITH",
    "in": "IS_ONE_OF",
    "has_any": "HAS_ANY_OF",
    "has_all": "HAS_ALL_OF",
    "has_none": "HAS_NONE_OF",
    "isnull": "IS_EMPTY",
    "range": "IS_BETWEEN",
    "within": "IS_WITHIN",
}

#: The operator that is the complement of each operator on non-empty values.
_COMPLEMENT: Final[Mapping[str, str]] = {
    "IS": "IS_NOT",
    "GREATER_THAN": "LESS_THAN_OR_EQUALS",
    "GREATER_THAN_OR_EQUALS": "LESS_THAN",
    "LESS_THAN": "GREATER_THAN_OR_EQUALS",
    "LESS_THAN_OR_EQUALS": "GREATER_THAN",
    "CONTAINS": "DOES_NOT_CONTAIN",
    "STARTS_WITH": "DOES_NOT_START_WITH",
    "ENDS_WITH": "DOES_NOT_END_WITH",
    "IS_ONE_OF": "IS_NOT_ONE_OF",
    "HAS_ANY_OF": "HAS_NONE_OF",
    "IS_BETWEEN": "IS_NOT_BETWEEN",
    "IS_WITHIN": "IS_NOT_WITHIN",
}


# --- Softr-level tree (after negation push-down) ---------------------------------------------


@dataclass(frozen=True)
class _Leaf:
    condition: dict[str, Any]


_SNode: TypeAlias = _Leaf | Group | Constant


def _leaf(operator: str, key: str, **values: Any) -> _Leaf:
    condition: dict[str, Any] = {"operator": operator, "leftSide": key}
    condition.update(values)
    return _Leaf(condition)


def _binary(operator: str, key: str, value: Any) -> _Leaf:
    return _leaf(operator, key, rightSide=_jsonable(value))


def _empty(key: str) -> _Leaf:
    return _leaf("IS_EMPTY", key)


def _or_empty(leaf: _Leaf, key: str) -> Group:
    return Group("OR", (leaf, _empty(key)))


def _jsonable(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    return value


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    return [value]


def _bounds(condition: Condition) -> tuple[Any, Any]:
    value = condition.value
    if condition.lookup == "within" and isinstance(value, str):
        return value, value  # one relative token: within its own range
    if isinstance(value, (list, tuple)) and len(value) == 2:
        low, high = value
        if low is not None and high is not None:
            return low, high
    raise QueryError(
        f"{condition.label or condition.key}: {condition.lookup} needs a (start, end) pair, "
        f"got {value!r}"
    )


def _positive(condition: Condition) -> _SNode:
    """The leaf as Softr conditions, matching exactly the records the lookup means."""
    key, lookup, value = condition.key, condition.lookup, condition.value
    if lookup == "exact" and value is None:
        lookup, value = "isnull", True
    if lookup == "isnull":
        return _leaf("IS_EMPTY" if _isnull_flag(condition, value) else "IS_NOT_EMPTY", key)
    if lookup in EMPTY_SET_RESULTS:
        items = _as_list(value)
        if not items:
            return TRUE if EMPTY_SET_RESULTS[lookup] else FALSE
        if lookup == "has_none":
            # "has none of" holds for an empty value; say so explicitly, as for negations.
            return _or_empty(_binary("HAS_NONE_OF", key, items), key)
        return _binary(LOOKUP_OPERATORS[lookup], key, items)
    if lookup in ("range", "within"):
        low, high = _bounds(condition)
        return _leaf(
            LOOKUP_OPERATORS[lookup], key, lowerBound=_jsonable(low), upperBound=_jsonable(high)
        )
    return _binary(LOOKUP_OPERATORS[lookup], key, value)


def _negative(condition: Condition) -> _SNode:
    """The exact complement of the leaf, keeping empty values (Django's exclude)."""
    key, lookup, value = condition.key, condition.lookup, condition.value
    if lookup == "exact" and value is None:
        lookup, value = "isnull", True
    if lookup == "isnull":
        return _leaf("IS_NOT_EMPTY" if _isnull_flag(condition, value) else "IS_EMPTY", key)
    if lookup == "exact" and condition.softr_type == "CHECKBOX" and isinstance(value, bool):
        # Unchecked is false is empty: the complement of "is true" is just "is false".
        return _binary("IS", key, not value)
    if lookup in EMPTY_SET_RESULTS:
        items = _as_list(value)
        if not items:
            return FALSE if EMPTY_SET_RESULTS[lookup] else TRUE
        if lookup == "has_none":
            return _binary("HAS_ANY_OF", key, items)  # an empty value has none: never matches
        if lookup == "has_all":
            # Lacks at least one of them: OR of "has none of [x]" per element, or empty.
            lacks = tuple(_binary("HAS_NONE_OF", key, [item]) for item in items)
            return Group("OR", (*lacks, _empty(key)))
        value = items
    if lookup in ("range", "within"):
        low, high = _bounds(condition)
        operator = _COMPLEMENT[LOOKUP_OPERATORS[lookup]]
        leaf = _leaf(operator, key, lowerBound=_jsonable(low), upperBound=_jsonable(high))
        return _or_empty(leaf, key)
    operator = _COMPLEMENT[LOOKUP_OPERATORS[lookup]]
    return _or_empty(_binary(operator, key, value), key)


def _isnull_flag(condition: Condition, value: Any) -> bool:
    if not isinstance(value, bool):
        raise QueryError(f"{condition.label or condition.key}: isnull takes True or False")
    return value


def _lower(node: Node, negate: bool) -> _SNode:
    """Push negation down to the leaves, producing Softr-level conditions."""
    if isinstance(node, Constant):
        return TRUE if node.value != negate else FALSE
    if isinstance(node, Not):
        return _lower(node.child, not negate)
    if isinstance(node, (And, Or)):
        is_and = isinstance(node, And)
        operator = "AND" if is_and != negate else "OR"
        return Group(operator, tuple(_lower(child, negate) for child in node.children))
    if isinstance(node, RawCondition):
        if negate:
            raise QueryError(
                "a raw condition cannot be negated (exclude() or ~Q): its field type is "
                "unknown, so no exact complement can be built; write the negated condition "
                f"yourself: {dict(node.condition)!r}"
            )
        return _Leaf(copy.deepcopy(dict(node.condition)))
    if isinstance(node, Condition):
        if node.key == RECORD_ID_KEY:
            raise QueryError(
                f"{node.label or 'id'}: a condition on the record id cannot be sent in a "
                "search; the QuerySet must fetch the records by id or substitute a RECORD_ID "
                "field (conditions.substitute_record_id)"
            )
        return _negative(node) if negate else _positive(node)
    raise TypeError(f"not a condition node: {node!r}")


# --- simplification ---------------------------------------------------------------------------


def _node_identity(node: _SNode) -> Any:
    if isinstance(node, _Leaf):
        return ("leaf", _freeze(node.condition))
    if isinstance(node, Group):
        return ("group", node.operator, tuple(_node_identity(c) for c in node.children))
    return ("const", node.value)


def _simplify(node: _SNode) -> _SNode:
    """Constants folded, groups flattened, duplicates dropped (see :func:`simplify`)."""
    simplified: _SNode = simplify(node, _node_identity)
    return simplified


def _raw_depth(condition: Mapping[str, Any]) -> int:
    children = condition.get("conditions")
    if condition.get("operator") in ("AND", "OR") and isinstance(children, list):
        return 1 + max(
            (_raw_depth(child) for child in children if isinstance(child, Mapping)), default=0
        )
    return 0


def _depth(node: _SNode) -> int:
    if isinstance(node, Group):
        return 1 + max(_depth(child) for child in node.children)
    if isinstance(node, _Leaf):
        return _raw_depth(node.condition)
    return 0


def _emit(node: _SNode) -> dict[str, Any]:
    if isinstance(node, Group):
        return {"operator": node.operator, "conditions": [_emit(c) for c in node.children]}
    if isinstance(node, _Leaf):
        return copy.deepcopy(node.condition)
    raise AssertionError("constants are folded before emitting")  # pragma: no cover


# --- public API -------------------------------------------------------------------------------


def filter_depth(condition: Mapping[str, Any]) -> int:
    """Nesting depth of a compiled condition: a leaf is 0, ``AND[leaf]`` 1, ``AND[OR]`` 2."""
    return _raw_depth(condition)


def compile_filter(
    node: Node, *, max_depth: int = DEFAULT_MAX_DEPTH
) -> dict[str, Any] | Constant | None:
    """Compile a condition tree into the value of the search body's ``filter`` key.

    Args:
        node: a resolved tree (:func:`softr_orm.query.conditions.resolve`).
        max_depth: the deepest AND/OR nesting allowed (root AND = 1, AND -> OR = 2).

    Returns:
        ``{"condition": {...}}``; ``None`` when the filter matches every record (send no
        ``filter``); :data:`~softr_orm.query.conditions.FALSE` when it matches none (send no
        request at all).

    Raises:
        QueryError: the simplified filter nests deeper than ``max_depth``; a record-id
            condition was left unsubstituted; a raw condition was negated.
    """
    if max_depth < 0:
        raise ValueError(f"max_depth must be >= 0, got {max_depth}")
    lowered = _simplify(_lower(node, False))
    if isinstance(lowered, Constant):
        return None if lowered.value else FALSE
    depth = _depth(lowered)
    if depth > max_depth:
        raise QueryError(
            f"the filter nests AND/OR {depth} levels deep, more than the cap of {max_depth} "
            "(Softr's own SDK stops at 2; deeper filters are not documented to work). "
            "Simplify the query, or raise the cap with Session(max_filter_depth=...) if your "
            "Softr accepts it."
        )
    return {"condition": _emit(lowered)}


def compile_sorting(ordering: Sequence[tuple[str, bool]]) -> list[dict[str, str]]:
    """``[(key, descending), ...]`` -> ``[{"sortingField": key, "sortType": "ASC"|"DESC"}]``.

    Keys are field ids or the pseudo-fields ``created_at``/``updated_at``.
    """
    sorting: list[dict[str, str]] = []
    for key, descending in ordering:
        if not isinstance(key, str) or not key:
            raise QueryError(f"a sort key is a field id, got {key!r}")
        sorting.append({"sortingField": key, "sortType": "DESC" if descending else "ASC"})
    return sorting


def build_search_body(
    filter_value: Mapping[str, Any] | None,
    sorting: Sequence[Mapping[str, Any]],
    *,
    offset: int,
    limit: int,
    sort_key: str = "sorting",
) -> dict[str, Any]:
    """Assemble a search body: ``filter`` (when any), the sort list (when any), ``paging``.

    Args:
        filter_value: what :func:`compile_filter` returned, when it was not FALSE.
        sorting: what :func:`compile_sorting` returned.
        offset: first record, >= 0.
        limit: page size, clamped to 1..200 (Softr's maximum; it defaults to 10 otherwise,
            so paging is always sent).
        sort_key: ``"sorting"`` as Softr's guide and n8n node send it; the OpenAPI schema
            says ``"sort"`` (softr-api.md §8.2).

    Raises:
        QueryError: ``filter_value`` is FALSE (such a query must not be sent).
        ValueError: a negative offset.
    """
    if isinstance(filter_value, Constant):
        raise QueryError("a filter that matches nothing must not be sent; return no rows instead")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ValueError(f"offset must be an integer >= 0, got {offset!r}")
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise ValueError(f"limit must be an integer, got {limit!r}")
    body: dict[str, Any] = {}
    if filter_value is not None:
        body["filter"] = copy.deepcopy(dict(filter_value))
    if sorting:
        body[sort_key] = [dict(entry) for entry in sorting]
    body["paging"] = {"offset": offset, "limit": min(max(limit, 1), MAX_PAGE_SIZE)}
    return body
