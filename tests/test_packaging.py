"""After the README's editable install, type checkers in another project see softr_orm's types.

setuptools implements ``pip install -e .`` either with a static ``.pth`` line (a directory on
``sys.path``, which mypy and pyright read) or with an import-hook finder (which only the
interpreter runs). ``setup.cfg`` maps the package directory so that the first is chosen. This
test installs the project, editable, into a throw-away virtual environment and runs mypy on a
small project in another directory that imports softr_orm.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

USER_PROJECT = """
from softr_orm import Model, fields


class Lead(Model):
    score = fields.Number("Score")

    class Meta:
        database = "db"
        table = "Leads"


def best() -> Lead | None:
    return Lead.objects.order_by("-score").first()


reveal_type(Lead.objects.count())
wrong: str = Lead.objects.count()
"""


def _can_build_offline() -> bool:
    """Whether this interpreter's setuptools can build an editable wheel by itself."""
    import setuptools

    major = int(setuptools.__version__.split(".")[0])
    return major >= 70 or (major >= 64 and importlib.util.find_spec("wheel") is not None)


def _checkout_copy(target: Path) -> Path:
    """The files an install reads, copied (so the build leaves nothing in the checkout)."""
    target.mkdir()
    shutil.copytree(
        ROOT / "softr_orm", target / "softr_orm", ignore=shutil.ignore_patterns("__pycache__")
    )
    for name in ("pyproject.toml", "setup.cfg", "README.md"):
        shutil.copy2(ROOT / name, target / name)
    return target


def _editable_install(venv: Path, checkout: Path) -> Path:
    """``pip install -e checkout`` into a fresh venv; returns the venv's python."""
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", str(venv)],
        check=True,
    )
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    command = [str(python), "-m", "pip", "install", "-q", "--no-deps", "-e", str(checkout)]
    if _can_build_offline():
        command.insert(-2, "--no-build-isolation")
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if done.returncode != 0 and "No matching distribution found for setuptools" in done.stderr:
        pytest.skip("the build backend (setuptools) cannot be downloaded here")
    assert done.returncode == 0, done.stderr
    return python


@pytest.mark.slow
def test_mypy_in_another_project_sees_the_editable_install(tmp_path: Path) -> None:
    """No import-not-found, real types (not Any): a wrong assignment is reported."""
    checkout = _checkout_copy(tmp_path / "softr-orm")
    python = _editable_install(tmp_path / "venv", checkout)
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    pth_lines = [
        line.strip()
        for pth in Path(site).glob("*.pth")
        for line in pth.read_text(encoding="utf-8").splitlines()
    ]
    assert str(checkout) in pth_lines  # a static path entry, not an import hook
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text(textwrap.dedent(USER_PROJECT), encoding="utf-8")
    imported = subprocess.run(
        [str(python), "-c", "import softr_orm; print(softr_orm.__file__)"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(imported).is_relative_to(checkout)
    checked = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--python-executable",
            str(python),
            "app.py",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = checked.stdout + checked.stderr
    assert "import-not-found" not in output and "Cannot find implementation" not in output
    assert 'Revealed type is "int"' in output, output
    assert 'expression has type "int", variable has type "str"' in output, output
    assert "Found 1 error" in output, output
