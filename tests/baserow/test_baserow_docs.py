"""docs/baserow.md's ```python-norun blocks, run in order against the real Baserow."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import redirect_stdout
from typing import Any

import pytest
from test_docs import ROOT, fenced_blocks

import softr_orm

pytestmark = pytest.mark.integration


@pytest.fixture()
def docs_table(baserow: Any, baserow_server: Any) -> Iterator[str]:
    """A table shaped like the page's Task model."""
    table = baserow.backend.create_table(
        baserow_server.database_id,
        f"Doc tasks {id(baserow)}",
        [
            {"name": "Title", "type": "text"},
            {"name": "Points", "type": "number"},
            {"name": "Price", "type": "number", "number_decimal_places": 2},
            {
                "name": "Status",
                "type": "single_select",
                "select_options": [{"value": "Open", "color": "blue"}],
            },
            {
                "name": "Tags",
                "type": "multiple_select",
                "select_options": [{"value": "red", "color": "red"}],
            },
            {"name": "Due", "type": "date"},
        ],
    )
    try:
        yield table.id
    finally:
        baserow.backend.delete_table(table.id)


def test_the_baserow_page_runs(
    baserow_server: Any, docs_table: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Set-up, the shared model module and the query example run as written."""
    blocks = [
        code
        for _, code in fenced_blocks((ROOT / "docs" / "baserow.md").read_text(), "python-norun")
    ]
    assert len(blocks) == 3
    monkeypatch.setenv("BASEROW_TOKEN", baserow_server.token)
    monkeypatch.setenv("BASEROW_URL", baserow_server.url)
    monkeypatch.setenv("BASEROW_EMAIL", baserow_server.email)
    monkeypatch.setenv("BASEROW_PASSWORD", baserow_server.password)
    namespace: dict[str, Any] = {}
    try:
        exec(compile(blocks[0], "docs/baserow.md[0]", "exec"), namespace)
        exec(compile(blocks[1], "docs/baserow.md[1]", "exec"), namespace)
        task_model = namespace["Task"]
        assert (task_model._meta.database, task_model._meta.table) == ("12", "345")
        # the page's ids are examples: point the model at the test table
        task_model._meta.database, task_model._meta.table = baserow_server.database_id, docs_table
        out = io.StringIO()
        with redirect_stdout(out):
            exec(compile(blocks[2], "docs/baserow.md[2]", "exec"), namespace)
    finally:
        softr_orm.configure(None)
    assert out.getvalue().strip() == "1 ['Ship']"
    assert namespace["same"].points == 8
