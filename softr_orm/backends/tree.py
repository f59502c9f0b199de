"""The backend-neutral condition tree: the language in which the ORM asks a backend for records.

:mod:`softr_orm.query.conditions` builds it from ``Q`` objects (checking each lookup against a
model's fields); each backend compiles it into its service's filter (Softr's search body,
Baserow's filter tree). The nodes are frozen and hashable, so a tree can be simplified and
deduplicated safely.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

from softr_orm.constants import LOOKUPS
from softr_orm.errors import QueryError

__all__ = [
    "EMPTY_SET_RESULTS",
    "FALSE",
    "PSEUDO_FIELD_LOOKUPS",
    "PSEUDO_FIELD_TYPES",
    "RECORD_ID_KEY",
    "RECORD_ID_LOOKUPS",
    "TRUE",
    "And",
    "Condition",
    "Constant",
    "Group",
    "Node",
    "Not",
    "Or",
    "RawCondition",
    "record_ids",
    "references_record_id",
    "simplify",
    "substitute_record_id",
]


#: The key of a condition on the record id itself (``id=`` / ``pk=``). Softr's search has no
#: way to name the record id, so this marker never reaches Softr: the QuerySet either answers
#: the query with GET requests or replaces it (:func:`substitute_record_id`) with the id of a
#: RECORD_ID field of the table. The compiler refuses it.
RECORD_ID_KEY: Final = "@record_id"
RECORD_ID_LOOKUPS: Final = frozenset({"exact", "in"})

#: System timestamps Softr accepts as ``leftSide`` even though they are not fields.
PSEUDO_FIELD_TYPES: Final[Mapping[str, str]] = {
    "created_at": "CREATED_AT",
    "updated_at": "UPDATED_AT",
}
PSEUDO_FIELD_LOOKUPS: Final = frozenset(
    {"exact", "gt", "gte", "lt", "lte", "range", "within", "isnull"}
)

#: What a set lookup with an empty list means: ``in=[]`` and ``has_any=[]`` match nothing (as
#: Django returns no rows for ``in=[]``), ``has_all=[]`` and ``has_none=[]`` match everything.
EMPTY_SET_RESULTS: Final[Mapping[str, bool]] = {
    "in": False,
    "has_any": False,
    "has_all": True,
    "has_none": True,
}


# --- hashing helpers ------------------------------------------------------------------------


#: The deepest JSON nesting a raw condition may have.
MAX_RAW_DEPTH = 100


def _nesting(value: Any) -> int:
    """How deeply a JSON-like value nests, counted without recursion (stops past the cap)."""
    deepest = 0
    todo: list[tuple[Any, int]] = [(value, 1)]
    while todo and deepest <= MAX_RAW_DEPTH:
        item, depth = todo.pop()
        if isinstance(item, Mapping):
            items: Any = item.values()
        elif isinstance(item, (list, tuple)):
            items = item
        else:
            continue
        deepest = max(deepest, depth)
        todo.extend((child, depth + 1) for child in items)
    return deepest


def _freeze(value: Any) -> Any:
    """A hashable, order-preserving stand-in for a JSON-like value (for ``__hash__``/dedup)."""
    if isinstance(value, Mapping):
        return ("dict", tuple((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return ("list", tuple(_freeze(v) for v in value))
    if isinstance(value, (set, frozenset)):
        return ("set", tuple(sorted((_freeze(v) for v in value), key=repr)))
    try:
        hash(value)
    except TypeError:
        return ("repr", repr(value))
    return (type(value).__name__, value)


def _tupled(value: Any) -> Any:
    """Lists (and sets, in a stable order) become tuples, so a converted value is immutable."""
    if isinstance(value, (list, tuple)):
        return tuple(_tupled(v) for v in value)
    if isinstance(value, (set, frozenset)):
        return tuple(sorted((_tupled(v) for v in value), key=repr))
    return value


# --- the resolved tree ----------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """One resolved lookup: a field (by id), a lookup name and a filter-ready value.

    Attributes:
        key: the Softr field id, a pseudo-field (``"created_at"``/``"updated_at"``) or
            :data:`RECORD_ID_KEY`.
        lookup: one of :data:`LOOKUPS`.
        value: the value already converted by the field (JSON-ready; lists are stored as
            tuples so the node stays immutable and hashable). ``range``/``within`` hold a pair.
        softr_type: the field's Softr type; the compiler needs it for CHECKBOX, whose
            ``false`` is also its empty value.
        multiple: whether the field holds several values.
        label: ``"Model.field"``, for error messages.
    """

    key: str
    lookup: str
    value: Any
    softr_type: str
    multiple: bool = False
    label: str = ""

    def __post_init__(self) -> None:
        if self.lookup not in LOOKUPS:
            raise ValueError(f"unknown lookup {self.lookup!r}; lookups are: {', '.join(LOOKUPS)}")
        object.__setattr__(self, "value", _tupled(self.value))

    def __hash__(self) -> int:
        return hash(
            (self.key, self.lookup, _freeze(self.value), self.softr_type, self.multiple, self.label)
        )


@dataclass(frozen=True)
class And:
    """All children hold. ``And(())`` is neutral (matches everything)."""

    children: tuple[Node, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "children", tuple(self.children))


@dataclass(frozen=True)
class Or:
    """At least one child holds. ``Or(())`` matches nothing."""

    children: tuple[Node, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "children", tuple(self.children))


@dataclass(frozen=True)
class Not:
    """The exact complement of the child (Django's ``exclude``: records with empty values are
    kept). Softr has no NOT: the compiler pushes it down to the leaves."""

    child: Node


@dataclass(frozen=True)
class Constant:
    """A condition that does not depend on the record; use :data:`TRUE` and :data:`FALSE`."""

    value: bool

    def __repr__(self) -> str:
        return "TRUE" if self.value else "FALSE"

    def __bool__(self) -> bool:
        return self.value


#: Matches every record (e.g. ``Q()``, ``has_all=[]``).
TRUE: Final = Constant(True)
#: Matches no record (e.g. ``in=[]``); a QuerySet filtered by it sends no request.
FALSE: Final = Constant(False)


@dataclass(frozen=True)
class RawCondition:
    """A Softr condition dict passed through to the search body verbatim (escape hatch).

    For what the lookups cannot say, e.g. an operator on a field type the ORM does not allow:
    ``Q(raw={"operator": "IS", "leftSide": "fLd1d", "rightSide": "x"})`` or
    ``Q(RawCondition({...}))``. Field *ids* go in ``leftSide``, values in Softr's format. It
    is combined with other conditions like any node, but cannot be negated (``~``/exclude):
    the compiler cannot know its field type, so it cannot build an exact complement.
    """

    condition: Mapping[str, Any]

    def __post_init__(self) -> None:
        if not isinstance(self.condition, Mapping):
            raise TypeError(
                f"a raw condition is a dict such as {{'operator': 'IS', ...}}, "
                f"got {type(self.condition).__name__}"
            )
        if _nesting(self.condition) > MAX_RAW_DEPTH:
            # Refused before any recursive copy, repr or JSON encoding could hit the
            # recursion limit with a bare RecursionError.
            raise QueryError(
                f"a raw condition nested more than {MAX_RAW_DEPTH} levels deep is refused"
            )
        operator = self.condition.get("operator")
        if not isinstance(operator, str):
            raise ValueError(f"a raw condition needs an 'operator' string: {self.condition!r}")
        object.__setattr__(self, "condition", copy.deepcopy(dict(self.condition)))

    def __hash__(self) -> int:
        return hash(_freeze(self.condition))


Node: TypeAlias = Condition | And | Or | Not | Constant | RawCondition


# --- record-id conditions --------------------------------------------------------------------


def references_record_id(node: Node) -> bool:
    """Whether the tree has a condition on the record id (:data:`RECORD_ID_KEY`)."""
    if isinstance(node, Condition):
        return node.key == RECORD_ID_KEY
    if isinstance(node, (And, Or)):
        return any(references_record_id(child) for child in node.children)
    if isinstance(node, Not):
        return references_record_id(node.child)
    return False


def record_ids(node: Node) -> list[str] | None:
    """The ids when the whole tree is ``id=...`` or ``id__in=[...]``, else None.

    Such a query is answered with GET requests (one per id) instead of a search.
    """
    if isinstance(node, Condition) and node.key == RECORD_ID_KEY:
        if node.lookup == "exact":
            return [node.value]
        return list(node.value)
    return None


def substitute_record_id(node: Node, field_id: str) -> Node:
    """The tree with record-id conditions rekeyed to a RECORD_ID field of the table.

    A RECORD_ID field holds each record's own id, so ``IS``/``IS_ONE_OF`` on it filter by id
    inside a search (where Softr has no other way to name the id).
    """
    if isinstance(node, Condition):
        if node.key != RECORD_ID_KEY:
            return node
        return Condition(field_id, node.lookup, node.value, "RECORD_ID", False, node.label)
    if isinstance(node, And):
        return And(tuple(substitute_record_id(child, field_id) for child in node.children))
    if isinstance(node, Or):
        return Or(tuple(substitute_record_id(child, field_id) for child in node.children))
    if isinstance(node, Not):
        return Not(substitute_record_id(node.child, field_id))
    return node


# --- what compilers share: AND/OR groups of their own leaves, simplified ----------------------


@dataclass(frozen=True)
class Group:
    """An AND or OR of a compiler's own nodes, once negation has been pushed down to the
    leaves (every backend's filter language has AND/OR groups; each has its own leaves)."""

    operator: str  # "AND" | "OR"
    children: tuple[Any, ...]


def simplify(node: Any, identity: Callable[[Any], Any]) -> Any:
    """Fold constants, flatten AND-in-AND / OR-in-OR, drop duplicates, unwrap singletons.

    ``node`` is a :class:`Group`, a :class:`Constant` or one of a compiler's leaves;
    ``identity`` gives a hashable identity of a leaf or group, by which duplicates are found.
    The result is :data:`TRUE`/:data:`FALSE`, a leaf, or a :class:`Group` with at least two
    children, none of them a constant or a group of its own operator.
    """
    if not isinstance(node, Group):
        return node
    is_and = node.operator == "AND"
    neutral, absorbing = (TRUE, FALSE) if is_and else (FALSE, TRUE)
    out: list[Any] = []
    seen: set[Any] = set()
    for raw_child in node.children:
        child = simplify(raw_child, identity)
        if child == neutral:
            continue
        if child == absorbing:
            return absorbing
        parts = (
            child.children
            if isinstance(child, Group) and child.operator == node.operator
            else (child,)
        )
        for part in parts:
            key = identity(part)
            if key not in seen:
                seen.add(key)
                out.append(part)
    if not out:
        return neutral
    if len(out) == 1:
        return out[0]
    return Group(node.operator, tuple(out))
