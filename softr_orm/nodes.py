"""The nodes of the backend-neutral condition tree (see :mod:`softr_orm.conditions`).

Frozen and hashable, so a compiled tree can be simplified and deduplicated safely.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

from softr_orm.constants import LOOKUPS

__all__ = ["FALSE", "TRUE", "And", "Condition", "Constant", "Node", "Not", "Or", "RawCondition"]


# --- hashing helpers ------------------------------------------------------------------------


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
        operator = self.condition.get("operator")
        if not isinstance(operator, str):
            raise ValueError(f"a raw condition needs an 'operator' string: {self.condition!r}")
        object.__setattr__(self, "condition", copy.deepcopy(dict(self.condition)))

    def __hash__(self) -> int:
        return hash(_freeze(self.condition))


Node: TypeAlias = Condition | And | Or | Not | Constant | RawCondition
