"""The deprecation warning of the old flat module paths (``softr_orm.emulator.filters``...).

The emulator's modules moved into layers (``store``, ``softr``) in 0.2; each old path is a
thin module that re-exports its names from the new one and calls :func:`warn_moved`. The old
paths go away in the next release.
"""

from __future__ import annotations

import warnings

__all__ = ["warn_moved"]


def warn_moved(old: str, new: str) -> None:
    """Warn (DeprecationWarning, pointing at the importer) that ``old`` moved to ``new``."""
    warnings.warn(
        f"{old} is deprecated and will be removed in the next release; import from {new}",
        DeprecationWarning,
        stacklevel=3,
    )
