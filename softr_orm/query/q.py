"""``Q``: what the user wrote in a query, before it meets a model (see :mod:`.conditions`)."""

from __future__ import annotations

import reprlib
from collections.abc import Iterable, Mapping
from typing import Any, Final, Union

from softr_orm.backends.tree import RawCondition, _freeze

__all__ = ["Q"]


# --- Q --------------------------------------------------------------------------------------

QChild = Union[tuple[str, Any], "Q", RawCondition]


class Q:
    """A filter expression, combined with ``&`` (and), ``|`` (or) and ``~`` (not).

    Keyword arguments are ANDed in the order written (which is also the order of the
    compiled conditions). ``Q()`` is neutral: combining with it returns the other side, and
    a QuerySet filtered by it matches everything (``~Q()`` too, as in Django). ``~~q == q``.
    Q objects are immutable and hashable; ``&``/``|``/``~`` return new objects.

    ``Q(raw={...})`` adds a :class:`RawCondition` (when the value is a dict); to filter a model
    field that is really called ``raw``, write ``raw__exact=``.

    >>> Q(score__gte=10)
    <Q: (AND: ('score__gte', 10))>
    >>> Q(score__gte=10) | ~Q(name="Jane")
    <Q: (OR: ('score__gte', 10), (NOT (AND: ('name', 'Jane'))))>
    """

    AND: Final = "AND"
    OR: Final = "OR"

    __slots__ = ("children", "connector", "negated")

    children: tuple[QChild, ...]
    connector: str
    negated: bool

    def __init__(
        self,
        *args: QChild,
        _connector: str = "AND",
        _negated: bool = False,
        **kwargs: Any,
    ) -> None:
        if _connector not in (self.AND, self.OR):
            raise ValueError(f"connector must be 'AND' or 'OR', got {_connector!r}")
        children: list[QChild] = []
        for arg in args:
            if isinstance(arg, (Q, RawCondition)):
                children.append(arg)
            elif isinstance(arg, tuple) and len(arg) == 2 and isinstance(arg[0], str):
                children.append((arg[0], arg[1]))
            else:
                raise TypeError(
                    "Q() takes Q objects, RawCondition objects, (lookup, value) pairs and "
                    f"keyword arguments; got {reprlib.repr(arg)}"
                )
        for key, value in kwargs.items():
            if key == "raw" and isinstance(value, Mapping):
                children.append(RawCondition(value))
            else:
                children.append((key, value))
        object.__setattr__(self, "children", tuple(children))
        object.__setattr__(self, "connector", _connector)
        object.__setattr__(self, "negated", bool(_negated) and bool(children))

    @classmethod
    def _make(cls, children: Iterable[QChild], connector: str, negated: bool = False) -> Q:
        return cls(*children, _connector=connector, _negated=negated)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Q objects are immutable; combine them with &, | and ~")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Q objects are immutable")

    def __bool__(self) -> bool:
        return bool(self.children)

    def __len__(self) -> int:
        return len(self.children)

    def _combine(self, other: Q, connector: str) -> Q:
        if not other:
            return self
        if not self:
            return other
        children: list[QChild] = []
        for part in (self, other):
            # As Django's tree.Node.add: a non-negated operand with the same connector (or a
            # single child) is merged, so a & b & c is one flat AND.
            if not part.negated and (part.connector == connector or len(part.children) == 1):
                children.extend(part.children)
            else:
                children.append(part)
        return Q._make(children, connector)

    def __and__(self, other: object) -> Q:
        if not isinstance(other, Q):
            return NotImplemented
        return self._combine(other, self.AND)

    def __or__(self, other: object) -> Q:
        if not isinstance(other, Q):
            return NotImplemented
        return self._combine(other, self.OR)

    def __invert__(self) -> Q:
        if not self:
            return self
        return Q._make(self.children, self.connector, not self.negated)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Q):
            return NotImplemented
        return (self.connector, self.negated, self.children) == (
            other.connector,
            other.negated,
            other.children,
        )

    def __hash__(self) -> int:
        return hash((self.connector, self.negated, _freeze_children(self.children)))

    def __str__(self) -> str:
        inner = ", ".join(str(child) for child in self.children)
        text = f"{self.connector}: {inner}"
        return f"(NOT ({text}))" if self.negated else f"({text})"

    def __repr__(self) -> str:
        return f"<Q: {self}>"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Q._make, (self.children, self.connector, self.negated))


def _freeze_children(children: tuple[QChild, ...]) -> tuple[Any, ...]:
    return tuple(
        child if isinstance(child, (Q, RawCondition)) else (child[0], _freeze(child[1]))
        for child in children
    )
