"""Per-binding converters: Python code generated once, turning a record's raw values into values.

Reading a record used to run one generic loop: for each plain field, look the raw value up,
call the field's ``to_python``, store the result. Most of that time went to the loop and the
calls, not to conversion. So for each binding (one model matched against one live table) this
module writes one function, ``fill(d, raw)``, with the field ids and attribute names as
constants and the common cases of each field type inline (a str for a text field, an int or a
float for a number, Baserow's decimal strings for numbers and currencies, a ``{"id", "label"}``
object for a select, Softr's ``...Z`` date-times).

Everything else, and every field class whose ``to_python`` is not one of the known ones (a
user's subclass, computed and raw fields), goes through the field's own ``to_python``: the
inline cases only ever take the branch that ``to_python`` itself would take first, so both
paths give the same values of the same types (``tests/test_hydration.py`` checks that over the
field types of the models corpus, hypothesis-generated values included).

The code is built from the binding's own field ids and attribute names, written into it with
``repr()`` (so any str, whatever the server sent, is a literal), and compiled with ``exec``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from softr_orm.fields import Checkbox, Currency, Date, Number, Rating, Select
from softr_orm.fields.computed import Autonumber
from softr_orm.fields.kinds import InstantField, TextField

if TYPE_CHECKING:
    from softr_orm.fields import Field
    from softr_orm.query.binding import Binding

__all__ = ["Filler", "filler_for", "generate_source"]

#: ``fill(instance.__dict__, raw_fields)``: converts every plain field not yet in the dict.
Filler = Callable[[dict[str, Any], Mapping[str, Any]], None]

_EXTRA_KEY = "softr_orm.models.hydration"

# Each template computes ``x`` from the raw value ``v``; ``{f}`` is the field's ``to_python``
# and ``{rd}`` its ``read_item``. A template only inlines the first branch ``to_python`` takes.
_TEXT = ["x = v if v.__class__ is str or v is None else {f}(v)"]
_NUMBER = [
    "c = v.__class__",
    "if c is int or c is float or v is None:",
    "    x = v",
    "elif c is Decimal:",
    "    x = float(v)",
    "elif c is str:",  # Baserow's decimal strings: to_python's own first try, int(v)
    "    try:",
    "        x = int(v)",
    "    except ValueError:",
    "        x = {f}(v)",
    "else:",
    "    x = {f}(v)",
]
_WHOLE = ["x = v if v.__class__ is int or v is None else {f}(v)"]
_CURRENCY = [
    "c = v.__class__",
    "if c is Decimal or v is None:",
    "    x = v",
    "elif c is str:",  # Baserow's decimal strings: to_python's own Decimal(v.strip())
    "    try:",
    "        x = Decimal(v.strip())",
    "    except Exception:",
    "        x = {f}(v)",
    "    else:",
    "        if not x.is_finite():",
    "            x = {f}(v)",
    "else:",
    "    x = {f}(v)",
]
_CHECKBOX = ["x = v if v is True or v is False else (False if v is None else {f}(v))"]
_DATE = [
    "if v.__class__ is str:",
    "    x = _dates_get(v)",
    "    if x is None:",
    "        x = _remember(_dates, v, {f})",
    "else:",
    "    x = {f}(v)",
]
_INSTANT = [
    "if v.__class__ is str:",
    "    x = _instants_get(v)",
    "    if x is None:",
    "        x = _remember(_instants, v, {f})",
    "else:",
    "    x = {f}(v)",
]
_SELECT_ONE = [
    "c = v.__class__",
    "if c is dict:",
    "    x = v.get('label')",
    "    if x.__class__ is not str:",
    "        x = {f}(v)",
    "elif c is str or v is None:",
    "    x = v",
    "else:",
    "    x = {f}(v)",
]
_SELECT_MANY = [
    "if v.__class__ is list:",
    "    x = []",
    "    for i in v:",
    "        l = i.get('label') if i.__class__ is dict else i",
    "        x.append(l if l.__class__ is str else {rd}(i))",
    "else:",
    "    x = {f}(v)",
]
_GENERIC = ["x = {f}(v)"]

#: Parsed date and date-time strings, which repeat a lot in real tables (the same day on many
#: records). The values are immutable, and each cache serves one ``to_python`` only
#: (``Date.to_python``, ``InstantField.to_python``), so a hit is exactly what it would return.
_dates: dict[str, Any] = {}
_instants: dict[str, Any] = {}
_CACHE_LIMIT = 4096


def _remember(cache: dict[str, Any], text: str, to_python: Callable[[Any], Any]) -> Any:
    """``to_python(text)``, kept in ``cache`` (emptied when full, so memory stays bounded)."""
    value = to_python(text)
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[text] = value
    return value


def _template(field: Field[Any]) -> list[str]:
    """The inline code for ``field``, chosen by the ``to_python`` its class really runs."""
    method = type(field).to_python
    if method is TextField.to_python:
        return _TEXT
    if method is Number.to_python:
        return _NUMBER
    if method is Rating.to_python or method is Autonumber.to_python:
        return _WHOLE
    if method is Currency.to_python:
        return _CURRENCY
    if method is Checkbox.to_python:
        return _CHECKBOX
    if method is Date.to_python:
        return _DATE
    if method is InstantField.to_python:
        return _INSTANT
    if method is Select.to_python and getattr(type(field), "read_item", None) is Select.read_item:
        return _SELECT_MANY if field.multiple else _SELECT_ONE
    return _GENERIC


def _plain_fields(binding: Binding) -> list[tuple[str, str, Field[Any]]]:
    """(attname, field id, field) of the binding's plain (non-link) fields, in model order."""
    model = binding.extra["model"]
    fields: Mapping[str, Field[Any]] = model._meta.fields
    return [
        (attname, binding.ids[attname], field)
        for attname, field in fields.items()
        if not field.is_link and attname in binding.ids
    ]


def generate_source(binding: Binding) -> tuple[str, dict[str, Any]]:
    """The source of ``fill`` for ``binding`` and the globals it runs with (for tests/debug)."""
    namespace: dict[str, Any] = {
        "Decimal": Decimal,
        "_dates": _dates,
        "_dates_get": _dates.get,
        "_instants": _instants,
        "_instants_get": _instants.get,
        "_remember": _remember,
    }
    lines = ["def fill(d, r):", "    get = r.get"]
    for index, (attname, field_id, field) in enumerate(_plain_fields(binding)):
        namespace[f"f{index}"] = field.to_python
        read_item = getattr(field, "read_item", None)
        if read_item is not None:
            namespace[f"rd{index}"] = read_item
        lines.append(f"    if {attname!r} not in d:")
        lines.append(f"        v = get({field_id!r})")
        for line in _template(field):
            lines.append("        " + line.format(f=f"f{index}", rd=f"rd{index}"))
        lines.append(f"        d[{attname!r}] = x")
    return "\n".join(lines) + "\n", namespace


def compile_filler(binding: Binding) -> Filler:
    """Generate and compile ``fill`` for ``binding`` (use :func:`filler_for`, which caches)."""
    source, namespace = generate_source(binding)
    model = binding.extra["model"]
    code = compile(source, f"<softr_orm hydration of {model.__qualname__}>", "exec")
    exec(code, namespace)
    fill: Filler = namespace["fill"]
    return fill


def filler_for(binding: Binding) -> Filler:
    """The binding's ``fill`` function, generated on first use and kept in the binding."""
    fill: Filler | None = binding.extra.get(_EXTRA_KEY)
    if fill is None:
        fill = compile_filler(binding)
        binding.extra[_EXTRA_KEY] = fill
    return fill
