"""Every test that docs/reliability.md cites as proof exists: a promise must never point at
a test that was renamed or removed."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CITED = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def _citations() -> list[tuple[str, str]]:
    text = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    return sorted(set(CITED.findall(text)))


def test_reliability_cites_tests() -> None:
    assert len(_citations()) > 50


@pytest.mark.parametrize(("path", "name"), _citations())
def test_cited_test_exists(path: str, name: str) -> None:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    defined = {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    assert name in defined, f"docs/reliability.md cites {path}::{name}, which does not exist"
