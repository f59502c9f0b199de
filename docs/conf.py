"""Sphinx configuration for the softr-orm documentation.

The pages are Markdown (MyST); the API reference (``api.md``) is generated from the
docstrings with autodoc and napoleon (Google style). CI builds the site with ``-W``, so any
warning fails the build::

    python3 -m sphinx -W -b html docs docs/_build/html
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

# Build from the source tree even when the package is not installed.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import softr_orm  # noqa: E402  (needs the path above)

project = "softr-orm"
author = "softr-orm developers"
copyright = "softr-orm developers"
release = softr_orm.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**/__pycache__"]

# `[text](#a-heading)` and `[text](page.md#a-heading)` links need anchors on the headings.
myst_heading_anchors = 3

# API reference: Google-style docstrings; type hints go into the descriptions.
napoleon_google_docstring = True
napoleon_numpy_docstring = False
# "Attributes:" sections become fields of the class, not attribute entries that would clash
# with the ones autodoc documents itself (dataclass fields, class attributes).
napoleon_use_ivar = True
napoleon_use_rtype = False
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {
    "members": True,
    "show-inheritance": True,
}

# Type hints name many things without a page of their own (TypedDicts, TypeVars, requests,
# werkzeug): unresolved cross-references are not errors.
nitpicky = False

html_theme = "alabaster"
html_title = f"softr-orm {release}"

# Code fences the docs use besides Pygments' own names. ``python-norun`` marks Python that
# tests/test_docs.py does not run in its plain namespace (tests/test_docs_norun.py runs it in a
# Django, Flask or pytester harness instead); it is highlighted as Python.
EXTRA_LEXERS = {"python-norun": "python"}

# The API reference documents these modules only once they exist, so that the site builds
# while an integration is still being written. A module that exists but fails to import is
# still an error (autodoc warns, and -W fails the build).
_AUTOMODULE = re.compile(r"^\.\. automodule:: ([\w.]+)", re.MULTILINE)


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


def _drop_missing_modules(app: Any, docname: str, source: list[str]) -> None:
    """Leave out the ``## `` sections of api.md whose module does not exist (yet)."""
    if docname != "api":
        return
    head, *sections = re.split(r"(?m)^(?=## )", source[0])
    kept = [
        section
        for section in sections
        if all(_module_exists(name) for name in _AUTOMODULE.findall(section))
    ]
    source[0] = head + "".join(kept)


def setup(app: Any) -> dict[str, Any]:
    from pygments.lexers import get_lexer_by_name

    for alias, name in EXTRA_LEXERS.items():
        app.add_lexer(alias, type(get_lexer_by_name(name)))
    app.connect("source-read", _drop_missing_modules)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
