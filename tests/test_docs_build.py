"""The documentation site builds with Sphinx, and any warning fails the build.

It runs ``sphinx-build -W -b html docs <tmp>`` in a subprocess (a fresh interpreter, so
autodoc imports every module as a user would), the same command as CI's docs step. A broken
cross-reference, a page left out of every table of contents, a heading out of order or bad
reST in a docstring shown by the API reference all fail it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


@pytest.mark.slow
def test_docs_build_without_warnings(tmp_path: Path) -> None:
    """The site builds with -W, has a page per docs/*.md, and autodoc found the modules."""
    out = tmp_path / "html"
    pages = sorted(p.stem for p in DOCS.glob("*.md"))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            "-d",
            str(tmp_path / "doctrees"),
            str(DOCS),
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, f"sphinx-build failed:\n{proc.stderr}\n{proc.stdout}"
    assert proc.stderr.strip() == "", f"sphinx-build warned:\n{proc.stderr}"

    missing = [page for page in pages if not (out / f"{page}.html").is_file()]
    assert not missing, f"no HTML page for: {missing}"

    api = (out / "api.html").read_text(encoding="utf-8")
    for target in (
        "softr_orm.models.base.Model.save",
        "softr_orm.backends.softr.session.Session",
        "softr_orm.errors.InvalidValue",
        "softr_orm.fields.Select",
        "softr_orm.query.queryset.QuerySet.filter",
    ):
        assert f'id="{target}"' in api, f"the API reference lacks {target}"
