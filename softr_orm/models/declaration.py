"""Declaring a model: the metaclass that reads the fields and ``Meta`` of a ``Model`` class.

It collects the declared field descriptors (inherited ones included), builds the model's
options (``_meta``), refuses attribute names the model needs for itself, gives each model its
own ``DoesNotExist`` / ``MultipleObjectsReturned`` and files the class in the registry that
``LinkedRecord(..., to="Name")`` resolves through.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from softr_orm import errors
from softr_orm.errors import ConfigurationError
from softr_orm.fields import Field
from softr_orm.fields.registry import register_model
from softr_orm.models.options import ModelOptions

if TYPE_CHECKING:
    from softr_orm.models.base import Model

__all__ = ["ModelBase"]


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
        parent_metas = [getattr(p, "_meta", None) for p in parents]
        parent_meta = next((m for m in parent_metas if isinstance(m, ModelOptions)), None)
        model._meta = ModelOptions(
            model=model,
            database=getattr(meta, "database", parent_meta.database if parent_meta else None),
            table=getattr(meta, "table", parent_meta.table if parent_meta else None),
            session=getattr(meta, "session", parent_meta.session if parent_meta else None),
            fields={**inherited, **own},
        )
        for attname in ("id", "pk", "objects", "save", "delete", "refresh"):
            if attname in own:
                raise ConfigurationError(
                    f"{name}.{attname}: this name is reserved by Model; pick another attribute "
                    f"name and pass the Softr field name as the first argument"
                )
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
        register_model(model)
        return cls
