"""Model classes by name, so that ``LinkedRecord("Company", to="Company")`` can name a model
that is defined later, or in another module.

It lives with the fields because links resolve through it; models register themselves when
their class is created. Weak, so that models defined inside tests or functions do not pile
up; it holds classes, never data. Every class registered under a name is kept (weakly), newest
last: when a newer model of the same name goes away, the older one is found again.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

from softr_orm.errors import ConfigurationError

__all__ = ["register_model", "resolve_model"]

_registry: dict[str, list[weakref.ref[type[Any]]]] = {}
_registry_lock = threading.Lock()


def register_model(model: type[Any]) -> None:
    """File ``model`` under its class name and under ``module.ClassName``."""
    with _registry_lock:
        for key in (model.__name__, f"{model.__module__}.{model.__name__}"):
            refs = [r for r in _registry.get(key, ()) if r() is not None]
            refs.append(weakref.ref(model))
            _registry[key] = refs


def resolve_model(name: str) -> type[Any]:
    """The model class registered under ``name`` (its class name or ``module.ClassName``).

    Raises:
        ConfigurationError: no model of that name is defined (yet).
    """
    with _registry_lock:
        alive = [m for m in (r() for r in _registry.get(name, ())) if m is not None]
        found = alive[-1] if alive else None
    if found is None:
        raise ConfigurationError(f"no model named {name!r} is defined (yet)")
    return found
