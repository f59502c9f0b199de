"""Declaring a model: the metaclass that reads the fields and ``Meta`` of a ``Model`` class.

It collects the declared field descriptors (inherited ones included), builds the model's
options (``_meta``), refuses attribute names the model needs for itself, gives each model its
own ``DoesNotExist`` / ``MultipleObjectsReturned`` and files the class in the registry that
``LinkedRecord(..., to="Name")`` resolves through.

``Meta`` is a plain class and may inherit from a parent's (``class Meta(Base.Meta)``); options
a child does not set come from its parent model either way, except ``abstract``, which is
never inherited (as in Django). An unknown option is refused, naming it: a misspelt
``ordering`` that is silently ignored costs hours.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, cast

from softr_orm import errors
from softr_orm.errors import ConfigurationError
from softr_orm.fields import Field
from softr_orm.fields.registry import register_model
from softr_orm.models.options import ModelOptions

if TYPE_CHECKING:
    from softr_orm.models.base import Model

__all__ = ["META_OPTIONS", "OVERRIDABLE_NAMES", "ModelBase", "model_attribute_names"]

#: The options a model's ``Meta`` may set.
META_OPTIONS: frozenset[str] = frozenset({"database", "table", "session", "abstract", "ordering"})

#: Model attributes that a field may take over: the record's system timestamps, which a model
#: can declare as ``CreatedAt`` / ``UpdatedAt`` fields of its own.
OVERRIDABLE_NAMES: frozenset[str] = frozenset({"created_at", "updated_at"})


def model_attribute_names(cls: type) -> frozenset[str]:
    """Every attribute name ``cls`` and its bases define or annotate (dunders left out).

    The one reserved list: a field may not take one of these names (it would hide a method,
    a property or the instance state), and ``softr-orm inspect`` avoids them when it names
    fields. It is read from the classes, so a method added to ``Model`` is covered at once.
    """
    names: set[str] = {"Meta"}
    for klass in cls.__mro__:
        if klass is object:
            continue
        names.update(klass.__dict__)
        names.update(inspect.get_annotations(klass))
    return frozenset(n for n in names if not (n.startswith("__") and n.endswith("__")))


class ModelBase(type):
    """Collects the declared fields, reads ``Meta`` and gives each model its own exceptions."""

    def __new__(
        mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any
    ) -> ModelBase:
        meta = namespace.pop("Meta", None)
        cls = super().__new__(mcs, name, bases, namespace, **kwargs)
        parents = [b for b in bases if isinstance(b, ModelBase)]
        if not parents:  # Model itself
            return cls
        model = cast("type[Model]", cls)
        inherited: dict[str, Field[Any]] = {}
        for base in reversed(cls.__mro__[1:]):
            base_meta = getattr(base, "_meta", None)
            if isinstance(base_meta, ModelOptions):
                inherited.update(base_meta.fields)
        own = {k: v for k, v in namespace.items() if isinstance(v, Field)}
        _refuse_reserved(name, own, cls.__mro__[1:])
        options = _meta_options(name, meta)
        parent_metas = [getattr(p, "_meta", None) for p in parents]
        parent_meta = next((m for m in parent_metas if isinstance(m, ModelOptions)), None)
        fields = {**inherited, **own}

        def option(key: str, default: Any = None) -> Any:
            if key in options:
                return options[key]
            return getattr(parent_meta, key) if parent_meta is not None else default

        model._meta = ModelOptions(
            model=model,
            database=option("database"),
            table=option("table"),
            session=option("session"),
            fields=fields,
            abstract=bool(options.get("abstract", False)),
            ordering=_ordering(name, option("ordering", ()), fields),
        )
        if meta is not None:
            # Kept on the class, so that a child can write ``class Meta(Parent.Meta)``.
            type.__setattr__(cls, "Meta", meta)
        model.DoesNotExist = type(
            "DoesNotExist",
            tuple(p.DoesNotExist for p in parents if hasattr(p, "DoesNotExist"))
            or (errors.ObjectDoesNotExist,),
            {"__module__": cls.__module__, "__qualname__": f"{cls.__qualname__}.DoesNotExist"},
        )
        model.MultipleObjectsReturned = type(
            "MultipleObjectsReturned",
            tuple(
                p.MultipleObjectsReturned for p in parents if hasattr(p, "MultipleObjectsReturned")
            )
            or (errors.MultipleObjectsReturned,),
            {
                "__module__": cls.__module__,
                "__qualname__": f"{cls.__qualname__}.MultipleObjectsReturned",
            },
        )
        if not model._meta.abstract:
            register_model(model)
        return cls


_MISSING = object()


def _refuse_reserved(name: str, own: dict[str, Field[Any]], bases: tuple[type, ...]) -> None:
    """A field may not hide an attribute of a base class (a method, ``_meta``, ...)."""
    for attname in own:
        if attname in OVERRIDABLE_NAMES:
            continue
        taken = False
        for base in bases:
            found = base.__dict__.get(attname, _MISSING)
            if (found is not _MISSING and not isinstance(found, Field)) or (
                attname in inspect.get_annotations(base)
            ):
                taken = True
        if taken or attname.startswith("_") or attname == "Meta":
            raise ConfigurationError(
                f"{name}.{attname}: this name is reserved by Model (an attribute or method every "
                "model needs, or a private name); pick another attribute name and pass the "
                "Softr field name as the first argument, e.g. "
                f"{attname.strip('_') or 'value'}_ = fields.SingleLineText({attname!r})"
            )


def _meta_options(name: str, meta: type | None) -> dict[str, Any]:
    """The options ``meta`` sets itself or through its bases (``class Meta(Base.Meta)``).

    ``abstract`` counts only when set on this ``Meta`` itself: a child of an abstract model
    is concrete unless it says otherwise.
    """
    if meta is None:
        return {}
    if not isinstance(meta, type):
        raise ConfigurationError(
            f"{name}.Meta: this name is reserved by Model for the class of its options "
            "(class Meta: database = ...; table = ...); give the field another attribute name"
        )
    options: dict[str, Any] = {}
    for klass in reversed(meta.__mro__):
        if klass is object:
            continue
        for key, value in klass.__dict__.items():
            if key.startswith("__") and key.endswith("__"):
                continue
            if key not in META_OPTIONS:
                raise ConfigurationError(
                    f"{name}.Meta: unknown option {key!r}; the options are: "
                    f"{', '.join(sorted(META_OPTIONS))}"
                )
            options[key] = value
    if "abstract" in options and "abstract" not in meta.__dict__:
        del options["abstract"]
    return options


def _ordering(name: str, ordering: Any, fields: dict[str, Field[Any]]) -> tuple[str, ...]:
    """``Meta.ordering`` checked: a sequence of field names, each maybe prefixed with ``-``."""
    if isinstance(ordering, str) or not isinstance(ordering, (tuple, list)):
        raise ConfigurationError(
            f"{name}.Meta.ordering: expected a tuple of field names such as ('-score', 'name'), "
            f"got {ordering!r}"
        )
    allowed = [*fields, "created_at", "updated_at"]
    for key in ordering:
        if not isinstance(key, str) or key.removeprefix("-") not in allowed:
            raise ConfigurationError(
                f"{name}.Meta.ordering: unknown field {key!r}; the fields are: {', '.join(allowed)}"
            )
    return tuple(ordering)
