"""What a model class knows about itself (``_meta``), what ``save()`` reports, and the
registry that resolves ``LinkedRecord(..., to="Name")`` to a model class."""

from __future__ import annotations

import dataclasses
import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from softr_orm.errors import ConfigurationError

if TYPE_CHECKING:
    from softr_orm.fields import Field
    from softr_orm.model import Model
    from softr_orm.session import Session

__all__ = ["ModelOptions", "SaveResult", "resolve_model"]

# Model classes by name, for ``LinkedRecord("Company", to="Company")``. Weak, so that models
# defined inside tests or functions do not pile up; it holds classes, never data.
# Every class registered under a name is kept (weakly), newest last: when a newer model of
# the same name goes away, the older one is found again rather than lost.
_registry: dict[str, list[weakref.ref[type[Model]]]] = {}
_registry_lock = threading.Lock()


def _register(key: str, model: type[Model]) -> None:
    refs = [r for r in _registry.get(key, ()) if r() is not None]
    refs.append(weakref.ref(model))
    _registry[key] = refs


def resolve_model(name: str) -> type[Model]:
    """The model class registered under ``name`` (its class name or ``module.ClassName``)."""
    with _registry_lock:
        alive = [m for m in (r() for r in _registry.get(name, ())) if m is not None]
        found = alive[-1] if alive else None
    if found is None:
        raise ConfigurationError(f"no model named {name!r} is defined (yet)")
    return found


@dataclass(frozen=True)
class SaveResult:
    """What ``save()`` did.

    Attributes:
        created: a new record was created (POST).
        updated: the names of the fields that were sent (empty when nothing had changed
            and no request was made).
        forced: ``save(force=True)`` sent every writable field.
    """

    created: bool = False
    updated: tuple[str, ...] = ()
    forced: bool = False

    @property
    def saved(self) -> bool:
        """True when a request was made."""
        return self.created or bool(self.updated)

    # pyairtable spells it this way
    @property
    def field_names(self) -> tuple[str, ...]:
        return self.updated


@dataclass
class ModelOptions:
    """A model's ``_meta``: where its records live and which fields it declares."""

    model: type[Model]
    database: str | None
    table: str | None
    session: Session | None
    fields: dict[str, Field[Any]] = dataclasses.field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.model.__name__

    def get_session(self, override: Session | None = None) -> Session:
        """The session to use: an explicit one, else ``Meta.session``, else the default."""
        if override is not None:
            return override
        if self.session is not None:
            return self.session
        from softr_orm.session import default_session

        return default_session()

    def writable_fields(self) -> Iterator[Field[Any]]:
        return (f for f in self.fields.values() if not f.read_only)
