"""Every ```python block of README.md and docs/*.md runs, against a local emulator.

Each Markdown file is one test. Its blocks run in file order in one shared namespace (a later
block may use what an earlier one defined), against a fresh ``Emulator(seed="demo")`` with a
default session configured for it, so examples can use the demo CRM models of
``softr_orm.cli.demo`` directly. Blocks that cannot run offline are marked ```text or
```python-norun in the docs and are skipped here (tests/test_docs_norun.py runs the latter in
their own harness: Django, Flask, pytester). A failing block is reported with its file,
its index and its code.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

import softr_orm
from softr_orm import Session
from softr_orm.emulator import Emulator

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])


_ANY_PYTHON_FENCE = re.compile(r"^[ \t]*```[ \t]*python(?![-\w])", re.MULTILINE)


def fenced_blocks(text: str, language: str) -> list[tuple[int, str]]:
    """(line number, code) of each block fenced exactly ```language, in file order."""
    # The opening fence (```python matches neither python-norun nor ```pythonx), the code,
    # the closing fence.
    block = re.compile(
        rf"^```{re.escape(language)}[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE
    )
    return [(text.count("\n", 0, m.start()) + 1, m.group(1)) for m in block.finditer(text)]


def python_blocks(text: str) -> list[tuple[int, str]]:
    """(line number, code) of each runnable block, in file order."""
    return fenced_blocks(text, "python")


def test_block_extraction() -> None:
    """Only ```python blocks are picked up; ```python-norun, ```text and ```sh are skipped."""
    text = (
        "intro\n```python\na = 1\n```\n```python-norun\nboom()\n```\n"
        "```text\nnot code\n```\n```sh\nls\n```\n```python\nb = a + 1\n```\n"
    )
    assert python_blocks(text) == [(2, "a = 1\n"), (14, "b = a + 1\n")]
    assert fenced_blocks(text, "python-norun") == [(5, "boom()\n")]


@pytest.fixture
def demo_session() -> Iterator[Session]:
    """A fresh demo emulator and a default session on it (forgotten afterwards)."""
    with Emulator(seed="demo") as emu:
        session = Session(emu.api_key, base_url=emu.base_url, rate_limit=False)
        softr_orm.configure(session)
        try:
            yield session
        finally:
            softr_orm.configure(None)
            session.close()


@pytest.mark.integration
@pytest.mark.parametrize("path", DOCS, ids=[p.relative_to(ROOT).as_posix() for p in DOCS])
def test_python_blocks_run(path: Path, demo_session: Session) -> None:
    """Each ```python block of the file runs without error, in order, in one namespace."""
    text = path.read_text(encoding="utf-8")
    blocks = python_blocks(text)
    # A python fence the extraction does not recognise (indented, with extra words) would
    # be skipped silently: refuse it instead.
    assert len(_ANY_PYTHON_FENCE.findall(text)) == len(blocks), "unrecognised ```python fence"
    if not blocks:
        pytest.skip(f"{path.name} has no ```python blocks")
    namespace: dict[str, object] = {"__name__": f"docs_{path.stem}"}
    name = path.relative_to(ROOT).as_posix()
    for index, (line, code) in enumerate(blocks):
        failure = _run_block(code, f"{name}:block{index}", namespace)
        if failure is not None:
            numbered = "\n".join(
                f"{n:4d}  {text}" for n, text in enumerate(code.splitlines(), start=1)
            )
            pytest.fail(
                f"{name}: block {index} (line {line}) failed: {failure}\n\n{numbered}",
                pytrace=False,
            )


def _run_block(code: str, filename: str, namespace: dict[str, object]) -> str | None:
    """Run one block; None when it succeeds, else the error and the traceback inside it."""
    try:
        exec(compile(code, filename, "exec"), namespace)
    except Exception as exc:
        frames = traceback.extract_tb(exc.__traceback__)[1:]  # drop this function's frame
        where = "".join(traceback.format_list(frames))
        what = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return f"{what}\n{where}"
    return None
