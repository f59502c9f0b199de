"""From ``Q`` objects to the backend-neutral condition tree: lookups and their resolution.

A query is written with ``Q`` objects and ``name__lookup=value`` keyword arguments, exactly as
in Django. This module turns them into the small tree of frozen nodes of
:mod:`softr_orm.backends.tree` (:class:`Condition`, :class:`And`, :class:`Or`, :class:`Not`,
:class:`RawCondition` and the constants :data:`TRUE` / :data:`FALSE`) that knows field ids and
filter-ready values but nothing of any service's JSON: each backend compiles the tree its own
way.

Two stages, because they need different knowledge:

* ``Q`` only records what the user wrote; it can be built at import time, combined with
  ``&``, ``|`` and ``~`` and reused, without any model or schema.
* :func:`resolve` checks each lookup against a model's fields (unknown names and lookups a
  field type cannot support fail here, before any request), converts the values with the
  field's ``to_filter_value`` and asks the caller for each field's id.

``Q`` lives in :mod:`softr_orm.query.q` and the node classes in :mod:`softr_orm.backends.tree`;
both are importable from here too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, Protocol

from softr_orm.backends.tree import (
    EMPTY_SET_RESULTS,
    FALSE,
    PSEUDO_FIELD_LOOKUPS,
    PSEUDO_FIELD_TYPES,
    RECORD_ID_KEY,
    RECORD_ID_LOOKUPS,
    TRUE,
    And,
    Condition,
    Constant,
    Node,
    Not,
    Or,
    RawCondition,
    record_ids,
    references_record_id,
    substitute_record_id,
)
from softr_orm.constants import LOOKUPS
from softr_orm.errors import FieldError, InvalidValue, QueryError, UnsupportedLookup
from softr_orm.fields import CreatedAt
from softr_orm.query.q import Q, QChild

__all__ = [
    "EMPTY_SET_RESULTS",
    "FALSE",
    "LOOKUPS",
    "LOOKUP_ALIASES",
    "PSEUDO_FIELD_LOOKUPS",
    "PSEUDO_FIELD_TYPES",
    "RECORD_ID_KEY",
    "RECORD_ID_LOOKUPS",
    "TRUE",
    "And",
    "Condition",
    "Constant",
    "FilterField",
    "Node",
    "Not",
    "Or",
    "Q",
    "RawCondition",
    "record_ids",
    "references_record_id",
    "resolve",
    "split_lookup",
    "substitute_record_id",
]

#: Converts pseudo-field operands exactly as a CreatedAt/UpdatedAt field would (stateless).
_TIMESTAMP_FIELD: Final = CreatedAt("created_at")


class FilterField(Protocol):
    """What :func:`resolve` needs of a field descriptor (``softr_orm.fields.Field`` has it)."""

    @property
    def attname(self) -> str: ...

    @property
    def softr_type(self) -> str: ...

    @property
    def multiple(self) -> bool: ...

    @property
    def lookups(self) -> frozenset[str]: ...

    def to_filter_value(self, value: Any, lookup: str) -> Any: ...


# --- resolution -----------------------------------------------------------------------------


#: Django's case-insensitive lookups, for code that spells them: Softr compares text
#: case-insensitively anyway, so each is the same as its plain lookup.
LOOKUP_ALIASES: Mapping[str, str] = {
    "iexact": "exact",
    "icontains": "contains",
    "istartswith": "startswith",
    "iendswith": "endswith",
}


def split_lookup(key: str) -> tuple[str, str]:
    """``"score__gte"`` -> ``("score", "gte")``; no known lookup suffix -> ``exact``.

    ``iexact``, ``icontains``, ``istartswith`` and ``iendswith`` are read as ``exact``,
    ``contains``, ... (see :data:`LOOKUP_ALIASES`).
    """
    name, sep, suffix = key.rpartition("__")
    if sep and name and suffix in LOOKUPS:
        return name, suffix
    if sep and name and suffix in LOOKUP_ALIASES:
        return name, LOOKUP_ALIASES[suffix]
    return key, "exact"


def resolve(
    q: Q,
    model_name: str,
    fields: Mapping[str, FilterField],
    field_key: Callable[[Any], str],
) -> Node:
    """Check and convert a ``Q`` against a model's fields, giving the condition tree.

    Args:
        q: what the user wrote.
        model_name: for error messages (``"Contact"``).
        fields: attribute name -> field descriptor.
        field_key: gives a field's Softr id (the QuerySet looks it up in the schema). Called
            only after the value was checked, so a bad value fails without a schema fetch.

    Returns:
        The tree; :data:`TRUE` for an empty ``Q``. Names ``id``/``pk`` (unless the model has
        such a field) give conditions keyed :data:`RECORD_ID_KEY` (lookups ``exact``/``in``);
        ``created_at``/``updated_at`` (unless fields) give the pseudo-fields.

    Raises:
        FieldError: an unknown field name.
        UnsupportedLookup: a lookup the field's type does not support.
        InvalidValue: a value the field cannot filter on (raised by ``to_filter_value``).
    """
    depth = q_depth(q)
    if depth > MAX_Q_DEPTH:
        raise QueryError(
            f"{model_name}: the condition is nested {depth} levels deep; at most {MAX_Q_DEPTH} "
            "are accepted (combine conditions with & and | on one level instead)"
        )
    return _Resolver(model_name, fields, field_key).node(q)


#: The deepest nesting of ``Q`` objects accepted; deeper trees are refused before any
#: recursion could fail with a bare RecursionError (Softr itself takes far less).
MAX_Q_DEPTH = 100


def q_depth(q: Q) -> int:
    """How deeply ``q`` nests (1 for a flat ``Q``), counted without recursion."""
    deepest = 0
    todo: list[tuple[Q, int]] = [(q, 1)]
    while todo:
        node, depth = todo.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_Q_DEPTH:
            return deepest
        todo.extend((child, depth + 1) for child in node.children if isinstance(child, Q))
    return deepest


class _Resolver:
    def __init__(
        self,
        model_name: str,
        fields: Mapping[str, FilterField],
        field_key: Callable[[Any], str],
    ) -> None:
        self.model = model_name
        self.fields = fields
        self.field_key = field_key

    def node(self, q: Q) -> Node:
        if not q:
            return TRUE
        children = [self.child(child) for child in q.children]
        inner: Node
        if len(children) == 1:
            inner = children[0]
        elif q.connector == Q.AND:
            inner = And(tuple(children))
        else:
            inner = Or(tuple(children))
        return Not(inner) if q.negated else inner

    def child(self, child: QChild) -> Node:
        if isinstance(child, Q):
            return self.node(child)
        if isinstance(child, RawCondition):
            return child
        key, value = child
        return self.lookup(key, value)

    def lookup(self, key: str, value: Any) -> Node:
        name, lookup = split_lookup(key)
        field = self.fields.get(name)
        if field is not None:
            return self.field_condition(field, name, lookup, value)
        if name in ("id", "pk"):
            return self.record_id_condition(name, lookup, value)
        if name in PSEUDO_FIELD_TYPES:
            return self.pseudo_condition(name, lookup, value)
        head, _, rest = key.partition("__")
        if rest:
            # "score__foo": the field exists, the lookup does not (no relation traversal).
            if head in self.fields:
                raise UnsupportedLookup(self.model, head, rest, self.fields[head].lookups)
            if head in ("id", "pk"):
                raise UnsupportedLookup(self.model, head, rest, RECORD_ID_LOOKUPS)
            if head in PSEUDO_FIELD_TYPES:
                raise UnsupportedLookup(self.model, head, rest, PSEUDO_FIELD_LOOKUPS)
        raise FieldError(self.model, name, self.fields.keys())

    def field_condition(self, field: FilterField, name: str, lookup: str, value: Any) -> Node:
        attname = getattr(field, "attname", None) or name
        if lookup not in field.lookups:
            raise UnsupportedLookup(self.model, attname, lookup, field.lookups)
        label = f"{self.model}.{attname}"
        if lookup == "exact" and value is None:
            lookup, value = "isnull", True
        if lookup == "isnull":
            converted: Any = self.isnull_value(attname, value)
        else:
            empty = _empty_set_constant(lookup, value)
            if empty is not None:
                return empty
            converted = field.to_filter_value(value, lookup)
            empty = _empty_set_constant(lookup, converted)
            if empty is not None:
                return empty
        return Condition(
            key=self.field_key(field),
            lookup=lookup,
            value=converted,
            softr_type=field.softr_type,
            multiple=bool(field.multiple),
            label=label,
        )

    def isnull_value(self, name: str, value: Any) -> bool:
        if not isinstance(value, bool):
            raise InvalidValue(self.model, name, value, "isnull takes True or False")
        return value

    def record_id_condition(self, name: str, lookup: str, value: Any) -> Node:
        if lookup not in RECORD_ID_LOOKUPS:
            raise UnsupportedLookup(self.model, name, lookup, RECORD_ID_LOOKUPS)
        label = f"{self.model}.{name}"
        if lookup == "exact":
            if value is None:
                return FALSE  # every record has an id
            return Condition(
                RECORD_ID_KEY, "exact", self.record_id(name, value), "RECORD_ID", False, label
            )
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
            raise InvalidValue(self.model, name, value, "'in' takes a list of record ids")
        ids = list(dict.fromkeys(self.record_id(name, item) for item in value))
        if not ids:
            return FALSE
        return Condition(RECORD_ID_KEY, "in", ids, "RECORD_ID", False, label)

    def record_id(self, name: str, value: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return str(value)  # Baserow's row ids are integers; the ORM keys them as str
        if not isinstance(value, str) or not value:
            raise InvalidValue(self.model, name, value, "a record id is a non-empty string")
        return value

    def pseudo_condition(self, name: str, lookup: str, value: Any) -> Node:
        if lookup not in PSEUDO_FIELD_LOOKUPS:
            raise UnsupportedLookup(self.model, name, lookup, PSEUDO_FIELD_LOOKUPS)
        if lookup == "exact" and value is None:
            lookup, value = "isnull", True
        converted: Any
        if lookup == "isnull":
            converted = self.isnull_value(name, value)
        elif lookup == "range" and isinstance(value, (list, tuple)) and len(value) == 2:
            converted = tuple(self.timestamp(name, bound, "gte") for bound in value)
        else:
            converted = self.timestamp(name, value, lookup)
        return Condition(
            name, lookup, converted, PSEUDO_FIELD_TYPES[name], False, f"{self.model}.{name}"
        )

    def timestamp(self, name: str, value: Any, lookup: str) -> Any:
        """A pseudo-field operand: epoch milliseconds (an int, as Softr's n8n node sends),
        else converted exactly as a ``CreatedAt``/``UpdatedAt`` field converts it."""
        if isinstance(value, int) and not isinstance(value, bool) and lookup != "within":
            return value
        try:
            return _TIMESTAMP_FIELD.to_filter_value(value, lookup)
        except InvalidValue as exc:
            reason = f"{exc.reason}, or epoch milliseconds" if lookup != "within" else exc.reason
            raise InvalidValue(self.model, name, value, reason) from None


def _empty_set_constant(lookup: str, value: Any) -> Constant | None:
    if lookup not in EMPTY_SET_RESULTS:
        return None
    if isinstance(value, (list, tuple, set, frozenset)) and not value:
        return TRUE if EMPTY_SET_RESULTS[lookup] else FALSE
    return None
