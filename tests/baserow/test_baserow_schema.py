"""The schema tools on a real Baserow: create_table_for, check, inspect."""

from __future__ import annotations

import random
from typing import Any

import pytest

from softr_orm import Model, cli, fields
from softr_orm.backends.baserow import BaserowSession, BaserowTable
from softr_orm.schema import check_models, create_table_for, inspect_database

pytestmark = pytest.mark.integration


def test_create_check_and_inspect_a_baserow_table(
    baserow: BaserowSession,
    baserow_server: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A model's table is created with the JWT, checks clean, and inspects back to code."""
    name = f"Made {random.randrange(10**8)}"

    class Made(Model):
        title = fields.SingleLineText("Title")
        amount = fields.Currency("Amount")
        count = fields.Number("Count")
        done = fields.Checkbox("Done")
        due = fields.Date("Due")
        at = fields.DateTime("At")
        stage = fields.Select("Stage")
        tags = fields.Select("Tags", multiple=True)
        stars = fields.Rating("Stars", max=3)
        email = fields.Email("Email")
        spent = fields.Duration("Spent")
        parent = fields.LinkedRecord("Parent", to="Made")
        created = fields.CreatedAt("Created")

        class Meta:
            database = int(baserow_server.database_id)
            table = name

    table = create_table_for(Made, baserow)
    try:
        assert isinstance(table, BaserowTable) and table.name == name
        live = {f.name: (f.baserow_type, f.type) for f in table.fields}
        assert live["Title"] == ("text", "SINGLE_LINE_TEXT") and table.fields[0].primary
        assert live["Amount"] == ("number", "CURRENCY")
        assert live["Count"] == ("number", "NUMBER")
        assert live["At"] == ("date", "DATETIME") and live["Due"] == ("date", "DATE")
        assert live["Tags"] == ("multiple_select", "SELECT")
        assert live["Parent"] == ("link_row", "LINKED_RECORD")
        assert Made._meta.table == name  # kept: a name binds as well as an id
        assert check_models([Made], baserow).ok
        made = Made.objects.using(baserow).create(title="first", amount="1.50", stars=3)
        assert Made.objects.using(baserow).get(id=made.id).amount == made.amount
        source = inspect_database(baserow, baserow_server.database_id, tables=[name])
        assert 'fields.Currency("Amount", field_id=' in source
        assert 'fields.Select("Tags", field_id=' in source and "multiple=True" in source
        namespace: dict[str, Any] = {}
        exec(compile(source, "<inspect>", "exec"), namespace)  # the generated models work
        generated = namespace[namespace["__all__"][0]]
        assert generated.objects.using(baserow).get(id=made.id).amount == made.amount
        for variable in ("TOKEN", "URL", "EMAIL", "PASSWORD"):
            monkeypatch.setenv(f"BASEROW_{variable}", getattr(baserow_server, variable.lower()))
        capsys.readouterr()
        code = cli.main(["inspect", "--baserow", baserow_server.database_id, "--table", name])
        out = capsys.readouterr().out
        assert code == 0 and source[source.index("from softr_orm") :] in out
    finally:
        baserow.backend.delete_table(table.id)
