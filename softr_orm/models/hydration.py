"""Per-binding converters: Python code generated once, turning a record's raw values into values.

Reading a record used to run one generic loop: for each plain field, look the raw value up,
call the field's ``to_python``, store the result. Most of that time went to the loop and the
calls, not to conversion. So for each binding (one model matched against one live table) this
module writes two functions with the field ids and attribute names as constants and the common
cases of each field type inline: ``build(record)``, which makes a clean instance and converts
all its plain fields at once (the scan path), and ``fill(d, raw)``, which converts the fields
not yet in an instance's dict (an instance bound later, after a create or a refresh, or read
offline). The inline cases are a str for a text field, an int or a float for a number,
Baserow's decimal strings for numbers and currencies, a ``{"id", "label"}`` object for a
select, and date and date-time strings (parsed once each, then remembered).

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
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from softr_orm.backends.defaults import EPOCH
from softr_orm.backends.typed import WireOption
from softr_orm.fields import Checkbox, Currency, Date, Number, Rating, Select
from softr_orm.fields.computed import Autonumber
from softr_orm.fields.kinds import InstantField, TextField
from softr_orm.query.databases import current_overrides

if TYPE_CHECKING:
    from softr_orm.fields import Field
    from softr_orm.query.binding import Binding

__all__ = [
    "Builder",
    "Filler",
    "builder_for",
    "fill_for_ids",
    "filler_for",
    "generate_builder_source",
    "generate_source",
    "install_from_record",
    "is_generated",
    "mark_valid",
]

M = TypeVar("M")

#: ``fill(instance.__dict__, raw_fields)``: converts every plain field not yet in the dict.
Filler = Callable[[dict[str, Any], Mapping[str, Any]], None]

#: ``build(record)``: a clean instance for one record (see :func:`builder_for`).
Builder = Callable[[Mapping[str, Any]], M]

_EXTRA_KEY = "softr_orm.models.hydration"
_BUILD_KEY = "softr_orm.models.hydration.build"

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
    "    try:",  # a table's dates repeat, so a miss (an exception) is rare
    "        x = _dates[v]",
    "    except KeyError:",
    "        x = _remember(_dates, v, {f})",
    "elif v.__class__ is _date or v is None:",  # a typed page's date; to_python keeps both
    "    x = v",
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
    "elif isinstance(v, _WireOption):",  # a typed page's option: read_item reads its label
    "    x = v.label",
    "    if x.__class__ is not str:",
    "        x = {f}(v)",
    "else:",
    "    x = {f}(v)",
]
_SELECT_MANY = [
    "if v.__class__ is list:",
    "    x = []",
    "    for i in v:",
    "        if i.__class__ is dict:",
    "            l = i.get('label')",
    "        else:",
    "            l = i.label if isinstance(i, _WireOption) else i",
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


def _plain_fields(model: type[Any], ids: Mapping[str, str]) -> list[tuple[str, str, Field[Any]]]:
    """(attname, field id, field) of the model's plain (non-link) fields known to ``ids``."""
    fields: Mapping[str, Field[Any]] = model._meta.fields
    return [
        (attname, ids[attname], field)
        for attname, field in fields.items()
        if not field.is_link and attname in ids
    ]


def _namespace() -> dict[str, Any]:
    return {
        "Decimal": Decimal,
        "_date": date,
        "_WireOption": WireOption,
        "_dates": _dates,
        "_dates_get": _dates.get,
        "_instants": _instants,
        "_instants_get": _instants.get,
        "_remember": _remember,
    }


def _conversions(
    model: type[Any],
    ids: Mapping[str, str],
    namespace: dict[str, Any],
    *,
    guard: bool,
    wire: Mapping[str, str] | None = None,
) -> list[str]:
    """The body lines (indented for a function) that convert each plain field of ``r`` into
    ``d``; with ``guard``, a field already in ``d`` (assigned or read) is left alone. ``r`` is
    a dict keyed by field id, or with ``wire`` a typed record's fields, read by attribute
    (``wire``: field id -> attribute)."""
    lines = [] if wire is not None else ["    get = r.get"]
    indent = "        " if guard else "    "
    for index, (attname, field_id, field) in enumerate(_plain_fields(model, ids)):
        namespace[f"f{index}"] = field.to_python
        read_item = getattr(field, "read_item", None)
        if read_item is not None:
            namespace[f"rd{index}"] = read_item
        if guard:
            lines.append(f"    if {attname!r} not in d:")
        if wire is None:
            lines.append(f"{indent}v = get({field_id!r})")
        else:
            attr = wire.get(field_id)
            # An attribute name is made by the backend; only a plain identifier is written.
            if attr is not None and not (attr.isidentifier() and attr.isascii()):
                raise ValueError(f"not an attribute name: {attr!r}")
            lines.append(f"{indent}v = r.{attr}" if attr is not None else f"{indent}v = None")
        for line in _template(field):
            lines.append(indent + line.format(f=f"f{index}", rd=f"rd{index}"))
        lines.append(f"{indent}d[{attname!r}] = x")
    return lines


def _compile(source: str, namespace: dict[str, Any], model: type[Any], name: str) -> Any:
    code = compile(source, f"<softr_orm hydration of {model.__qualname__}>", "exec")
    exec(code, namespace)
    return namespace[name]


def generate_source(binding: Binding) -> tuple[str, dict[str, Any]]:
    """The source of ``fill`` for ``binding`` and the globals it runs with (for tests/debug)."""
    return _fill_source(binding.extra["model"], binding.ids)


def _fill_source(model: type[Any], ids: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
    namespace = _namespace()
    lines = ["def fill(d, r):", *_conversions(model, ids, namespace, guard=True)]
    return "\n".join(lines) + "\n", namespace


def generate_builder_source(
    binding: Binding,
    model: type[Any],
    *,
    adopt: bool = False,
    wire: Mapping[str, str] | None = None,
) -> tuple[str, dict[str, Any]]:
    """The source of ``build`` for ``binding`` and ``model``, and its globals (tests/debug).

    With ``adopt``, the function is ``from_record(cls, record, *, session=None)``, made for
    one model class: it copies the record's fields (the caller may reuse that dict) and its
    timestamps, and maps fields keyed by name (``?fieldNames=true``) to ids, which it tells by
    no key being a field id of the model. ``Model._adopt`` installs it as the model's
    ``from_record`` (see :func:`install_from_record`), so a repeated call costs one call, not
    two. It first checks that it may answer: no session given, called on its own model, and
    its binding still the one to use (:func:`mark_valid` says since when: the epoch of
    ``softr_orm.backends.defaults`` and the database overrides in force); else it hands the
    record to ``Model._adopt``, the long way, which looks the binding up again.

    With ``wire`` (field id -> attribute), ``build`` takes the typed records of a backend's
    :class:`~softr_orm.backends.base.TypedReads` pages, and reads each value from its
    attribute; a plain dict record (a page that did not fit the types) goes to the plain
    ``build``.
    """
    namespace = _namespace()
    namespace.update(_new=object.__new__, _cls=model, _binding=binding)
    head = ["def from_record(cls, record, *, session=None):" if adopt else "def build(record):"]
    if wire is not None:
        namespace["_plain"] = builder_for(binding, model)
        lines = [
            *head,
            "    if record.__class__ is dict:",
            "        return _plain(record)",
            "    r = record.fields",
            "    inst = _new(_cls)",
            "    d = inst.__dict__",
            "    d['id'] = record.id",
            "    d['_raw'] = r",
            "    d['_binding'] = _binding",
            "    d['_record'] = record",
            *_conversions(model, binding.ids, namespace, guard=False, wire=wire),
            "    return inst",
        ]
        return "\n".join(lines) + "\n", namespace
    record_line, tail = "    d['_record'] = record", []
    if adopt:
        # The caller's record is not kept (nor copied: that cost a seventh of the call), only
        # its timestamps, which ``created_at``/``updated_at`` read while ``_record`` is None.
        # Every instance's dict gets its keys in the same order (these two last), so that
        # CPython keeps sharing one key table among them, which cost another seventh.
        record_line = "    d['_record'] = None"
        tail = [
            "    d['_created'] = record.get('createdAt')",
            "    d['_updated'] = record.get('updatedAt')",
        ]
        namespace.update(
            _attnames=binding.attnames,
            # Names keyed by id, made once; a name the table does not know is kept as given.
            _ids_of_names={f.name: f.id for f in binding.table.fields},
            _first=next(iter(binding.attnames), None),
            _EPOCH=EPOCH,
            _current=current_overrides,
            _valid=[(None, None)],
            _again=model._adopt.__func__,
        )
        head += [
            # This model, the default session, and still the binding to use? Else the long
            # way (Model._adopt), which also makes and installs the right version of this.
            "    valid = _valid[0]",
            "    if (",
            "        session is not None",
            "        or cls is not _cls",
            "        or valid[0] != _EPOCH[0]",
            "        or valid[1] is not _current()",
            "    ):",
            "        return _again(cls, record, session)",
            "    r = record.get('fields') or {}",
            "    r = r.copy() if r.__class__ is dict else dict(r)",
            # The model's first field settles the usual case in one lookup.
            "    if r and _first not in r and r.keys().isdisjoint(_attnames):",
            "        r = {_ids_of_names.get(k, k): v for k, v in r.items()}",
        ]
    else:
        head.append("    r = record.get('fields') or {}")
    lines = [
        *head,
        "    inst = _new(_cls)",
        "    d = inst.__dict__",
        "    d['id'] = record.get('id')",
        "    d['_raw'] = r",
        "    d['_binding'] = _binding",
        record_line,
        *_conversions(model, binding.ids, namespace, guard=False),
        *tail,
        "    return inst",
    ]
    return "\n".join(lines) + "\n", namespace


_GENERATED = "__softr_orm_generated__"


def install_from_record(model: type[Any], adopt: Callable[..., Any], original: Any) -> bool:
    """Make ``adopt`` (an adopting function, see :func:`generate_builder_source`) ``model``'s
    ``from_record``, unless a class between ``model`` and ``Model`` defines its own
    ``from_record`` (``original`` is ``Model.from_record``'s function): a user's override is
    never replaced. Returns whether it was installed."""
    for klass in model.__mro__:
        own = klass.__dict__.get("from_record")
        if own is None:
            continue
        function = getattr(own, "__func__", None)
        if function is original:
            break  # reached Model itself
        if not is_generated(function):
            return False  # a user's from_record
    setattr(adopt, _GENERATED, True)
    adopt.__doc__ = original.__doc__
    adopt.__qualname__ = f"{model.__qualname__}.from_record"
    adopt.__wrapped__ = original  # type: ignore[attr-defined]
    type.__setattr__(model, "from_record", classmethod(adopt))
    return True


def is_generated(function: Any) -> bool:
    """Whether ``function`` is a ``from_record`` made by :func:`install_from_record`."""
    return bool(getattr(function, _GENERATED, False))


def mark_valid(build: Callable[..., Any], epoch: int, overrides: Any) -> None:
    """Tell an adopting ``build`` that its binding is the one to use at ``epoch`` under
    ``overrides`` (one tuple, replaced whole, so no thread sees half of it)."""
    build.__globals__["_valid"][0] = (epoch, overrides)


def compile_filler(binding: Binding) -> Filler:
    """Generate and compile ``fill`` for ``binding`` (use :func:`filler_for`, which caches)."""
    return fill_for_ids(binding.extra["model"], binding.ids)


def fill_for_ids(model: type[Any], ids: Mapping[str, str]) -> Filler:
    """A freshly compiled ``fill`` for ``model``'s fields under ``ids`` (not cached: callers
    keep it where the ids live, as :func:`filler_for` keeps it in the binding)."""
    source, namespace = _fill_source(model, ids)
    fill: Filler = _compile(source, namespace, model, "fill")
    return fill


def filler_for(binding: Binding) -> Filler:
    """The binding's ``fill`` function, generated on first use and kept in the binding."""
    fill: Filler | None = binding.extra.get(_EXTRA_KEY)
    if fill is None:
        fill = compile_filler(binding)
        binding.extra[_EXTRA_KEY] = fill
    return fill


def builder_for(
    binding: Binding,
    model: type[M],
    *,
    adopt: bool = False,
    wire: Mapping[str, str] | None = None,
) -> Builder[M]:
    """``build(record)``: a clean, fully converted instance of ``model`` for one record of
    ``binding``'s table, generated on first use and kept in the binding (``adopt``: for a
    caller's record; ``wire``: for typed records; see :func:`generate_builder_source`).

    This is the hot path of every read. Building the instance and converting its plain fields
    in one generated function costs less than filing the record away and converting on first
    read (which every read of a record did anyway, for all its plain fields at once): no
    descriptor call, no per-field "already there?" test. Linked records stay lazy.
    """
    builders: dict[Any, Any] = binding.extra.setdefault(_BUILD_KEY, {})
    key = (model, adopt, tuple(wire.items()) if wire is not None else None)
    build: Builder[M] | None = builders.get(key)
    if build is None:
        source, namespace = generate_builder_source(binding, model, adopt=adopt, wire=wire)
        build = _compile(source, namespace, model, "from_record" if adopt else "build")
        builders[key] = build
    return build
