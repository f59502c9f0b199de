"""Model code generation (softr_orm.schema.codegen) from plain Table objects, without a server."""

from __future__ import annotations

import ast
import itertools
import keyword
from typing import Any

import pytest

from softr_orm import Model, fields
from softr_orm.backends.softr.resources import Table, TableField, View
from softr_orm.constants import FIELD_TYPES
from softr_orm.schema.codegen import (
    RESERVED_ATTRIBUTES,
    attribute_names,
    class_names,
    generate_module,
    pascal_case,
    snake_case,
)

DB = "db-0001"
_modules = itertools.count(1)


def field(
    fid: str, name: str, type_: str, *, multiple: bool = False, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": fid,
        "name": name,
        "type": type_,
        "options": extra.pop("options", {}),
        "allowMultipleEntries": multiple,
        "readonly": extra.pop("readonly", False),
        "required": extra.pop("required", False),
    }
    body.update(extra)
    return body


def table(tid: str, name: str, *fields_: dict[str, Any], primary: str | None = None) -> Table:
    return Table.from_api(
        {
            "id": tid,
            "name": name,
            "primaryFieldId": primary or (fields_[0]["id"] if fields_ else None),
            "fields": list(fields_),
        },
        database_id=DB,
    )


def run_module(source: str) -> dict[str, Any]:
    """Execute generated source as a module; returns its namespace."""
    namespace: dict[str, Any] = {"__name__": f"generated_{next(_modules)}"}
    exec(compile(source, "<generated>", "exec"), namespace)
    return namespace


COMPANIES = table(
    "tblCompanies",
    "Companies",
    field("fName", "Name", "SINGLE_LINE_TEXT"),
    field("fInd", "Industry", "SELECT", options={"choices": [{"label": "Retail"}]}),
    field("fEmp", "Contacts", "LINKED_RECORD", multiple=True, options={"linkedTableId": "tblC"}),
    field(
        "fSum",
        "Pipeline",
        "ROLLUP",
        readonly=True,
        options={"linkedRecordFieldId": "fDeals", "rollupFieldId": "fAmt", "function": "SUM"},
    ),
    field(
        "fCnt",
        "Deal count",
        "ROLLUP",
        readonly=True,
        options={"linkedRecordFieldId": "fDeals", "rollupFieldId": "fAmt", "function": "COUNT"},
    ),
    field("fDeals", "Deals", "LINKED_RECORD", multiple=True, options={"linkedTableId": "tblD"}),
)
CONTACTS = table(
    "tblC",
    "Contacts",
    field("cName", "Full Name", "SINGLE_LINE_TEXT", required=True),
    field("cTags", "Tags", "SELECT", multiple=True),
    field("cCo", "Company", "LINKED_RECORD", options={"linkedTableId": "tblCompanies"}),
    field(
        "cInd",
        "Company industry",
        "LOOKUP",
        readonly=True,
        options={"linkedRecordFieldId": "cCo", "lookupFieldId": "fInd"},
    ),
    field("cOwner", "Owners", "USER", multiple=True),
    field("cFiles", "Files", "ATTACHMENT", multiple=True),
    field("cOld", "Met on", "DATETIME", options={"precision": "DATE"}),
    field("cBtn", "Call button", "BUTTON"),
    field("cExt", "Elsewhere", "LINKED_RECORD", options={"linkedTableId": "tblGone"}),
    field("cStars", "Stars", "RATING", options={"max": 10}),
    field("cNote", "Note", "LONG_TEXT", description='Say "hi"\nthen \\ leave'),
)
DEALS = table(
    "tblD",
    "Deals",
    field("dTitle", "Title", "SINGLE_LINE_TEXT"),
    field("fAmt", "Amount", "CURRENCY"),
    field("dFx", "Expected", "FORMULA", readonly=True, options={"formula": "{Amount} * 2"}),
    field(
        "dFx2",
        "Label",
        "FORMULA",
        readonly=True,
        options={"formula": "{Title}", "returnedField": {"type": "SINGLE_LINE_TEXT"}},
    ),
)
ALL = [COMPANIES, CONTACTS, DEALS]


# --- names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Full Name", "full_name"),
        ("Annual revenue", "annual_revenue"),
        ("createdAt", "created_at_"),  # Model.created_at
        ("HTTPStatus code", "http_status_code"),
        ("e-mail (work)", "e_mail_work"),
        ("ID", "id_"),
        ("pk", "pk_"),
        ("Save", "save_"),
        ("objects", "objects_"),
        ("fields", "fields_"),  # would shadow the fields module in the class body
        ("class", "class_"),
        ("2024 revenue", "field_2024_revenue"),
        ("Größe", "grosse"),
        ("Café crème", "cafe_creme"),
        ("名前", "field"),
        ("   ", "field"),
        ("__dunder__", "dunder"),
    ],
)
def test_snake_case(name: str, expected: str) -> None:
    """Attribute names are snake_case identifiers, never keywords nor Model's own names."""
    assert snake_case(name) == expected
    assert snake_case(name).isidentifier() and not keyword.iskeyword(snake_case(name))


def test_reserved_attributes_cover_model_api() -> None:
    """Every public attribute of Model is reserved, so a field never shadows one."""
    public = {n for n in dir(Model) if not n.startswith("_")}
    assert public <= RESERVED_ATTRIBUTES
    assert {"id", "pk", "objects", "save", "delete", "refresh", "fields"} <= RESERVED_ATTRIBUTES
    assert {"check_schema", "to_dict", "is_dirty", "created_at"} <= RESERVED_ATTRIBUTES


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Companies", "Companies"),
        ("Deal stages", "DealStages"),
        ("CRM leads", "CRMLeads"),
        ("2024 budget", "Table2024Budget"),
        ("model", "Model_"),
        ("none", "None_"),
        ("名前", "Table"),
        ("sales-pipeline_v2", "SalesPipelineV2"),
    ],
)
def test_pascal_case(name: str, expected: str) -> None:
    """Class names are PascalCase identifiers that do not shadow the module's imports."""
    assert pascal_case(name) == expected


def test_names_are_deduplicated() -> None:
    """Colliding names get a numeric suffix, also when the suffixed name is itself taken."""
    fields_ = [
        TableField(id=f"f{i}", name=n, type="SINGLE_LINE_TEXT")
        for i, n in enumerate(["Name", "name", "NAME", "Name 2", "id"])
    ]
    assert attribute_names(fields_) == {
        "f0": "name",
        "f1": "name_2",
        "f2": "name_3",
        "f3": "name_2_2",
        "f4": "id_",
    }
    tables = [Table(id=f"t{i}", name=n) for i, n in enumerate(["Contacts", "contacts", "名前"])]
    assert class_names(tables) == {"t0": "Contacts", "t1": "Contacts2", "t2": "Table"}


# --- fields ------------------------------------------------------------------------------


def test_module_executes_and_fields_match_the_schema() -> None:
    """The module runs; every field has the right class, Softr name, id and options."""
    source = generate_module(ALL, database_id=DB, database_name="CRM")
    ast.parse(source)
    ns = run_module(source)
    assert ns["__all__"] == ["Companies", "Contacts", "Deals"]
    companies, contacts, deals = ns["Companies"], ns["Contacts"], ns["Deals"]
    for model, live in ((companies, COMPANIES), (contacts, CONTACTS), (deals, DEALS)):
        assert issubclass(model, Model)
        assert model._meta.database == DB and model._meta.table == live.id
        declared = {f.field_id: f for f in model._meta.fields.values()}
        assert [f.field_id for f in model._meta.fields.values()] == [f.id for f in live.fields]
        for each in live.fields:
            assert declared[each.id].name == each.name
    f = contacts._meta.fields
    assert type(f["full_name"]) is fields.SingleLineText and f["full_name"].required
    assert type(f["tags"]) is fields.Select and f["tags"].multiple
    assert type(f["company"]) is fields.LinkedRecord
    assert f["company"].to == "Companies" and f["company"].multiple is False
    assert type(f["company_industry"]) is fields.Lookup
    assert type(f["company_industry"].result_field) is fields.Select
    assert type(f["owners"]) is fields.User and f["owners"].multiple
    assert type(f["files"]) is fields.Attachment
    assert type(f["met_on"]) is fields.Date  # legacy DATETIME with precision DATE
    assert type(f["call_button"]) is fields.Raw and f["call_button"].type_name == "BUTTON"
    assert type(f["elsewhere"]) is fields.Raw  # links to a table the database does not list
    assert f["stars"].max_rating == 10
    assert f["note"].help_text == 'Say "hi"\nthen \\ leave'
    c = companies._meta.fields
    assert c["contacts"].to == "Contacts" and c["contacts"].multiple is True
    assert type(c["pipeline"].result_field) is fields.Currency  # SUM of a currency
    assert type(c["deal_count"].result_field) is fields.Number
    d = deals._meta.fields
    assert d["expected"].result_field is None  # result type unknown: raw
    assert type(d["label"].result_field) is fields.SingleLineText


def test_every_documented_type_gets_its_class() -> None:
    """Each of the 26 types maps to fields.for_type's class; unknown ones to Raw."""
    linked = {"LINKED_RECORD": {"linkedTableId": "tAll"}}
    live = table(
        "tAll",
        "Everything",
        *(
            field(f"x{i}", t.title(), t, options=linked.get(t, {}))
            for i, t in enumerate([*FIELD_TYPES, "ADDRESS"])
        ),
    )
    ns = run_module(generate_module([live], database_id=DB))
    declared = list(ns["Everything"]._meta.fields.values())
    for each, softr_type in zip(declared, [*FIELD_TYPES, "ADDRESS"], strict=True):
        assert type(each) is fields.for_type(softr_type), softr_type
        assert each.check_type(live.field(each.field_id)) == []


def test_only_selects_tables_but_keeps_link_names() -> None:
    """With `only`, links still name the other tables' classes (as strings)."""
    source = generate_module(ALL, database_id=DB, only=["tblD", "tblC"])
    ns = run_module(source)
    assert "Companies" not in ns and ns["__all__"] == ["Contacts", "Deals"]
    assert ns["Contacts"]._meta.fields["company"].to == "Companies"


def test_odd_names_stay_exact_and_lines_stay_short() -> None:
    """Quotes, backslashes, newlines and long names survive; long calls wrap at 100."""
    odd = ['He said "no"', "it's", "both ' and \"", "back\\slash", "two\nlines", "x" * 150]
    live = table(
        "t'\"1",
        'Odd "table"\nname',
        *(field(f"o{i}", n, "SELECT", multiple=True) for i, n in enumerate(odd)),
    )
    view = View(id="v1", table_id="t'\"1", name='View "A"\\')
    source = generate_module(
        [live],
        database_id='d"b',
        database_name='My "db"',
        views={live.id: [view]},
        command='softr-orm inspect d"b --table "x"',
    )
    long_lines = [line for line in source.splitlines() if len(line) > 100]
    assert long_lines == [f'        "{"x" * 150}",']  # a literal alone on its line
    ns = run_module(source)
    model = ns["OddTableName"]
    assert [f.name for f in model._meta.fields.values()] == odd
    assert model._meta.table == "t'\"1" and model._meta.database == 'd"b'
    assert "x" * 60 in model._meta.fields and "x" * 61 not in model._meta.fields
    assert "View" in (model.__doc__ or "")


def test_generated_source_is_deterministic_and_documented() -> None:
    """Same input, same output; the docstring says how it was made; primary field marked."""
    one = generate_module(ALL, database_id=DB, command="softr-orm inspect db-0001")
    two = generate_module(ALL, database_id=DB, command="softr-orm inspect db-0001")
    assert one == two
    tree = ast.parse(one)
    doc = ast.get_docstring(tree) or ""
    assert "softr-orm inspect db-0001" in doc and "field_id" in doc
    assert 'name = fields.SingleLineText("Name", field_id="fName")  # primary field' in one
    assert 'table = "tblD"  # Deals' in one


def test_empty_database() -> None:
    """No tables: a valid module with an empty, typed __all__."""
    source = generate_module([], database_id=DB)
    assert "__all__: list[str] = []" in source
    assert run_module(source)["__all__"] == []
