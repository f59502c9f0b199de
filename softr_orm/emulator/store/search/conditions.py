"""Validation and compilation of a search body's ``filter`` (softr-api.md §3).

The store compiles a request's filter once with :func:`compile_filter` and then calls the
returned predicate on every record (:mod:`.sorting` does the same for ``sorting``). Both
validate strictly, because catching a client's malformed request is the emulator's job, and
raise only :class:`FilterError`, never anything else, on any JSON input.

Records, as the evaluator sees them, map field ids to values in the emulator's read format
(SELECT ``{"id","label","color"}`` or a list of them, LINKED_RECORD ``[{"id","label"}]``, USER
``{"id","email","fullName"}`` or a list, ATTACHMENT ``[{"url","filename",...}]``, DATE
``"YYYY-MM-DD"``, date-times ISO ``"...Z"``, numbers as int/Decimal/float, CHECKBOX bool,
LOOKUP a list of looked-up values, ROLLUP/FORMULA a scalar or None), plus ``"created_at"`` and
``"updated_at"`` ISO strings for the pseudo-fields. A missing key is an empty value.

Semantics (the "Filter semantics" section of the project contracts):

* Empty = missing, None, ``""``, ``[]`` (and a multi-valued value without any non-empty element;
  a number/date field holding something unreadable as a number/date also counts as empty).
  CHECKBOX: only ``True`` is non-empty; ``IS false`` matches every record that is not checked.
* Positive operators never match an empty value (except ``HAS_ALL_OF []``, vacuously true, and
  ``IS false`` on a CHECKBOX). Negated operators are the exact complement of their positive
  form (``IS_NOT``/``IS``, ``DOES_NOT_*``/``*``, ``IS_NOT_ONE_OF``/``IS_ONE_OF``,
  ``HAS_NONE_OF``/``HAS_ANY_OF``, ``IS_NOT_BETWEEN``/``IS_BETWEEN``,
  ``IS_NOT_WITHIN``/``IS_WITHIN``, ``IS_NOT_EMPTY``/``IS_EMPTY``), so they do match empties.
* Text compares case-insensitively (``str.casefold``). SELECT matches choice labels.
  LINKED_RECORD elements match by record id (exact) or label (case-insensitive); USER by user id
  (exact) or email (case-insensitive), ``CONTAINS`` looks at fullName and email; ATTACHMENT by
  id or url (exact) or filename (case-insensitive), ``CONTAINS`` looks at filename and url.
  On multi-valued fields ``IS x``/``CONTAINS x`` mean "some element equals / contains x",
  ``IS_ONE_OF`` equals ``HAS_ANY_OF``, and the ``HAS_*`` family are set tests. On single-valued
  text/SELECT the ``HAS_*`` family treats the value as a one-element set.
* Numbers compare numerically (int, float, Decimal; numeric strings accepted on the right side;
  floats are read through their shortest repr so ``0.1`` equals ``Decimal("0.1")``).
* Dates (DATE, DATETIME, CREATED_AT, UPDATED_AT, pseudo-fields): a right side is a range
  ``[start, end)``: a date-only ISO string is its UTC day, a relative token its range (see
  :mod:`softr_orm.emulator.store.dates`), a date-time ISO string or an epoch-milliseconds number a
  single instant. ``IS``: inside; ``GREATER_THAN``: at or after the end; ``GREATER_THAN_OR_EQUALS``:
  at or after the start; ``LESS_THAN``: before the start; ``LESS_THAN_OR_EQUALS``: before the end.
  ``IS_BETWEEN`` and ``IS_WITHIN`` (identical for dates): from the start of ``lowerBound``'s range
  to the end of ``upperBound``'s range, i.e. inclusive of both bounds.
* LOOKUP, FORMULA, ROLLUP and unknown field types are compared by each value's Python type
  (numbers numerically, strings as text, or as dates when the right side is a date, dicts by
  id/label, lists element-wise after flattening). The operator is checked against the looked-up
  type only when the field's ``options["returnedField"]["type"]`` names it.

Validation: ``BAD_REQUEST`` for an unknown operator, keys the operator's kind needs but misses
(binary needs ``rightSide``, range needs ``lowerBound`` and ``upperBound``, compound needs a
``conditions`` list of objects), a key outside Softr's one condition shape (``operator``,
``leftSide``, ``rightSide``, ``lowerBound``, ``upperBound``, ``conditions``), a right side of
the wrong JSON type, an unknown relative date token, compound nesting deeper than
``max_depth`` (the root compound is level 1; leaves do not count), or an operator meaningless
for the field type (the "no" cells of softr-api.md §3.5; text operators are allowed on
multi-valued fields as the contract says). ``UNKNOWN_FIELD`` for a ``leftSide``/
``sortingField`` that is neither a field id nor a pseudo-field. ``VALIDATION_ERROR`` for a right
side of the right JSON type that cannot be read for the field: a non-numeric string for a
number, a string that is neither an ISO date nor a relative token for a date, a non-finite or
out-of-range number.

Lenient where Softr is (docs/emulator.md lists the sources): a filter without ``condition``
(``{}``, or ``condition: null``) is no filter; keys of another kind are ignored (an ``AND``
carrying a ``leftSide``, an ``IS_EMPTY`` carrying a ``rightSide``); a CHECKBOX compares with
``"true"`` / ``"false"`` strings as with booleans.

An ``AND`` without conditions matches everything, an ``OR`` without conditions nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from softr_orm.constants import PSEUDO_FIELDS

from .dynamic import DynamicTests
from .kinds import (
    ALLOWED,
    CHECKBOX,
    CONDITION_KEYS,
    DATE,
    DYNAMIC,
    KEYS_BY_KIND,
    MULTI_KINDS,
    NEGATIONS,
    NUMBER,
    OPERATOR_KIND,
    SELECT,
    TEXT,
    FieldInfo,
    FilterError,
    kind_of_type,
    validation_kind,
)
from .leaf import Leaf, check_shape
from .matchers import (
    Access,
    Getter,
    Predicate,
    Record,
    always,
    date_test,
    fused,
    keys_test,
    never,
    number_test,
    text_test,
)
from .operands import json_type, reader_for, short_repr

__all__ = ["compile_filter"]


class _Compiler:
    def __init__(
        self, fields: Mapping[str, FieldInfo], now: datetime, max_depth: int, access: Access
    ) -> None:
        self.access = access
        self.fields = fields
        self.now = now
        self.max_depth = max_depth

    # -- structure ------------------------------------------------------------------------
    def condition(self, node: Any, path: str, depth: int) -> Predicate:
        if not isinstance(node, Mapping):
            raise FilterError(
                "BAD_REQUEST",
                f"a condition must be an object, got {json_type(node)}",
                {"path": path},
            )
        operator = node.get("operator")
        if not isinstance(operator, str) or operator not in OPERATOR_KIND:
            raise FilterError(
                "BAD_REQUEST",
                f"unknown operator {short_repr(operator)}",
                {"path": path, "operator": operator[:100] if isinstance(operator, str) else None},
            )
        kind = OPERATOR_KIND[operator]
        expected = KEYS_BY_KIND[kind]
        missing = sorted(expected - node.keys())
        foreign = sorted(short_repr(key) for key in node.keys() - CONDITION_KEYS)
        if missing or foreign:
            what = []
            if missing:
                what.append(f"missing {', '.join(missing)}")
            if foreign:
                what.append(f"unknown {', '.join(foreign)}")
            raise FilterError(
                "BAD_REQUEST",
                f"{operator} condition: {'; '.join(what)} (takes {', '.join(sorted(expected))})",
                {"path": path, "operator": operator},
            )
        if kind == "compound":
            return self.compound(operator, node["conditions"], path, depth + 1)
        return self.leaf(operator, kind, node, path)

    def compound(self, operator: str, conditions: Any, path: str, depth: int) -> Predicate:
        if depth > self.max_depth:
            raise FilterError(
                "BAD_REQUEST",
                f"filter nesting is deeper than the maximum of {self.max_depth} levels",
                {"path": path, "maxDepth": self.max_depth},
            )
        if not isinstance(conditions, (list, tuple)):
            raise FilterError(
                "BAD_REQUEST",
                f"{operator} needs a conditions array, got {json_type(conditions)}",
                {"path": path, "operator": operator},
            )
        preds = [
            self.condition(child, f"{path}.conditions[{index}]", depth)
            for index, child in enumerate(conditions)
        ]
        return _all_of(preds) if operator == "AND" else _any_of(preds)

    def leaf(self, operator: str, kind: str, node: Mapping[str, Any], path: str) -> Predicate:
        left = node["leftSide"]
        if not isinstance(left, str):
            raise FilterError(
                "BAD_REQUEST",
                f"{operator}: leftSide must be a field id string, got {json_type(left)}",
                {"path": path, "operator": operator},
            )
        info = self.fields.get(left)
        if info is None and left not in PSEUDO_FIELDS:
            raise FilterError(
                "UNKNOWN_FIELD",
                f"{operator}: unknown field {short_repr(left)} in leftSide",
                {"path": path, "operator": operator, "leftSide": left},
            )
        leaf = Leaf(path, operator, left, info, self.now)
        if info is None:
            field_kind, multiple, check_kind = DATE, False, DATE
        else:
            field_kind, multiple = kind_of_type(info.type, info.multiple)
            check_kind = validation_kind(info)
        if kind != "unary" and operator not in ALLOWED[check_kind]:
            type_name = info.type if info is not None else "pseudo-field date"
            leaf.fail("BAD_REQUEST", f"operator not applicable to a {type_name} field")
        positive = NEGATIONS.get(operator, operator)
        if kind == "binary":
            args: tuple[Any, ...] = (node["rightSide"],)
        elif kind == "range":
            args = (node["lowerBound"], node["upperBound"])
        else:
            args = ()
        pred = self.positive(leaf, positive, field_kind, multiple, args)
        if positive != operator:
            return lambda record: not pred(record)
        return pred

    # -- leaves ---------------------------------------------------------------------------
    def positive(
        self, leaf: Leaf, op: str, kind: str, multiple: bool, args: tuple[Any, ...]
    ) -> Predicate:
        if kind == CHECKBOX:
            return self.checkbox(leaf, op, self.access.read(leaf.left), args)
        read = reader_for(kind, multiple)
        if op == "IS_EMPTY":
            get = self.access.read(leaf.left)
            return lambda record: read(get(record)) is None
        check_shape(leaf, op, args)
        if op == "HAS_ALL_OF" and not args[0]:
            return always
        if kind == SELECT and not multiple:
            by_choice = self.by_choice(leaf, op, args)
            if by_choice is not None:
                return by_choice
        get = self.access.read(leaf.left)
        if kind == DYNAMIC:
            test = DynamicTests(leaf).build(op, args)
        elif kind in MULTI_KINDS and (multiple or kind != SELECT):
            test = keys_test(leaf, op, args)
        elif kind in (TEXT, SELECT):
            return fused(kind, get, text_test(leaf, op, args))
        elif kind == NUMBER:
            return fused(kind, get, number_test(leaf, op, args))
        else:
            ranges = [leaf.date_range(arg) for arg in args]
            return fused(kind, get, date_test(op, ranges))

        def pred(record: Record) -> bool:
            value = read(get(record))
            return value is not None and test(value)

        return pred

    def by_choice(self, leaf: Leaf, op: str, args: tuple[Any, ...]) -> Predicate | None:
        """A single SELECT condition decided once per choice, when stored values (choice ids)
        can be read: the record then matches when its choice is one of those that match."""
        stored = self.access.stored(leaf.left)
        choices = leaf.info.options.get("choices") if leaf.info is not None else None
        if stored is None or not isinstance(choices, list):
            return None
        test = text_test(leaf, op, args)
        matching = frozenset(
            choice["id"]
            for choice in choices
            if isinstance(choice, Mapping)
            and isinstance(choice.get("label"), str)
            and choice["label"]
            and test(choice["label"].casefold())
        )
        return lambda record: type(choice_id := stored(record)) is str and choice_id in matching

    def checkbox(self, leaf: Leaf, op: str, get: Getter, args: tuple[Any, ...]) -> Predicate:
        if op == "IS_EMPTY":
            return lambda record: get(record) is not True
        wanted = args[0]
        if isinstance(wanted, str) and wanted.lower() in ("true", "false"):
            wanted = wanted.lower() == "true"  # as Softr's own n8n node sends it
        if not isinstance(wanted, bool):
            leaf.fail(
                "BAD_REQUEST",
                f'rightSide must be a boolean (or "true" / "false"), got {json_type(wanted)}',
            )
        if wanted:
            return lambda record: get(record) is True
        return lambda record: get(record) is not True


def _all_of(preds: list[Predicate]) -> Predicate:
    if not preds:
        return always
    if len(preds) == 1:
        return preds[0]
    if len(preds) == 2:
        first, second = preds
        return lambda record: first(record) and second(record)
    if len(preds) == 3:
        first, second, third = preds
        return lambda record: first(record) and second(record) and third(record)

    def pred(record: Record) -> bool:
        return all(each(record) for each in preds)

    return pred


def _any_of(preds: list[Predicate]) -> Predicate:
    if not preds:
        return never
    if len(preds) == 1:
        return preds[0]

    def pred(record: Record) -> bool:
        return any(each(record) for each in preds)

    return pred


def compile_filter(
    filter_obj: Any,
    fields: Mapping[str, FieldInfo],
    *,
    now: datetime | None = None,
    max_depth: int = 16,
    access: Access | None = None,
) -> Callable[[Any], bool]:
    """Validate a search ``filter`` and compile it into a record predicate.

    Args:
        filter_obj: the request's ``filter`` value, ``{"condition": {...}}``; None (no filter)
            matches every record.
        fields: the table's fields by field id.
        now: reference instant for relative date tokens (default: the current time, UTC).
        max_depth: deepest allowed nesting of ``AND``/``OR`` (the root compound is level 1).
        access: how to read records; by default they are mappings (field id -> read-format
            value, plus ``created_at``/``updated_at``). The store passes getters that read its
            record objects directly.

    Returns:
        A function telling whether a record (field id -> read-format value, plus
        ``created_at``/``updated_at``) matches. It never raises.

    Raises:
        FilterError: the filter is invalid (see the module docstring for the codes).
    """
    if filter_obj is None:
        return always
    if not isinstance(filter_obj, Mapping) or not set(filter_obj.keys()) <= {"condition"}:
        raise FilterError(
            "BAD_REQUEST",
            'filter must be an object whose only key is "condition"',
            {"path": "filter"},
        )
    if filter_obj.get("condition") is None:  # the OpenAPI file makes it optional: no filter
        return always
    moment = now if now is not None else datetime.now(timezone.utc)
    try:
        return _Compiler(fields, moment, max_depth, access or Access()).condition(
            filter_obj["condition"], "filter.condition", 0
        )
    except RecursionError:
        raise FilterError(
            "BAD_REQUEST", "filter is nested too deeply", {"path": "filter"}
        ) from None
