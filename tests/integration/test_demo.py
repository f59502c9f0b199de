"""The main job: `softr-orm demo` runs the tour against the embedded emulator and exits 0."""

from __future__ import annotations

import re

import pytest

from softr_orm.cli import main
from softr_orm.cli.demo import run


def test_demo_tours_the_orm() -> None:
    """The demo prints every section, a real PATCH body, and a clean second save."""
    lines: list[str] = []
    assert run(out=lines.append) == 0
    text = "\n".join(lines)
    assert "companies: 12   contacts: 60   deals: 40" in text
    assert '"operator": "HAS_ANY_OF"' in text
    patch_body = next(line for line in lines if line.strip().startswith("body:"))
    assert re.search(r'"fields": \{"\w{5}": \d+, "\w{5}": \[', patch_body)
    assert "saving again sends 0 requests" in text
    prefetch = next(line for line in lines if "deals and their companies in" in line)
    assert " in 2 requests" in prefetch


def test_demo_command_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    """`softr-orm demo` (through the CLI entry point) returns 0 and prints the tour."""
    assert main(["demo"]) == 0
    assert "softr-orm demo: an emulated Softr" in capsys.readouterr().out


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    """`softr-orm --help` names the demo and emulator commands."""
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "demo" in out and "emulator" in out


def test_python_dash_m_runs_the_cli() -> None:
    """`python -m softr_orm` is the same command line (for when scripts are not on PATH)."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "softr_orm", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0 and done.stdout.strip() == "softr-orm 0.1.0"
