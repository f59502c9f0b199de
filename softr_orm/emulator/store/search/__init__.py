"""Search: validating and evaluating a search body's ``filter`` and ``sorting``.

Pure functions over records seen as mappings (field id -> value in the store's read format),
or through an :class:`Access` the caller gives (the store reads its record objects directly);
nothing here knows the store, SQLite or HTTP. Modules, bottom up:

* :mod:`.kinds`: field kinds, which operators each accepts, the condition shapes;
  :class:`FieldInfo` and :class:`FilterError`.
* :mod:`.operands`: readers turning a read-format value into a comparable one.
* :mod:`.leaf`: one condition under compilation and the readers of its right side.
* :mod:`.matchers`: the tests leaves compile to; :mod:`.dynamic`: the same for values whose
  type is only known when read (LOOKUP, FORMULA, ROLLUP).
* :mod:`.conditions`: :func:`compile_filter` (its docstring is the precise semantics).
* :mod:`.sorting`: :func:`compile_sorting`.
"""

from __future__ import annotations

from .conditions import compile_filter
from .kinds import FieldInfo, FilterError
from .matchers import Access
from .sorting import compile_sorting

__all__ = ["Access", "FieldInfo", "FilterError", "compile_filter", "compile_sorting"]
