"""Schema tools against the emulator: inspect (code generation), check, create_table_for."""

from __future__ import annotations

import itertools
import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import softr_orm
from softr_orm import Model, Session, fields
from softr_orm.cli import main
from softr_orm.emulator import Emulator
from softr_orm.emulator.seeds import DEMO_DATABASE_ID
from softr_orm.errors import ConfigurationError, SchemaError
from softr_orm.schema import (
    check_models,
    create_table_for,
    find_models,
    inspect_database,
    load_module,
)

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def demo() -> Iterator[Emulator]:
    """An emulator serving the demo CRM; tests that change schemas use fresh databases."""
    with Emulator(seed="demo") as emulator:
        yield emulator


@pytest.fixture
def session(demo: Emulator) -> Iterator[Session]:
    with Session(demo.api_key, base_url=demo.base_url, rate_limit=False) as made:
        yield made


@pytest.fixture
def database(demo: Emulator) -> str:
    return str(demo.create_database(f"schema tools {next(_numbers)}")["id"])


@pytest.fixture
def cli_env(demo: Emulator, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Session options for the CLI through the environment, as users set them."""
    monkeypatch.setenv("SOFTR_API_KEY", demo.api_key)
    monkeypatch.setenv("SOFTR_BASE_URL", demo.base_url)
    monkeypatch.delenv("SOFTR_API_KEY_FILE", raising=False)
    return []


@pytest.fixture
def isolated_imports(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Undo what importing generated modules adds to sys.path and sys.modules."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        if name.startswith(("gen_", "models_")):
            del sys.modules[name]


def _counts(session: Session, database_id: str) -> dict[str, int]:
    counts = {}
    for table in session.api.list_tables(database_id):
        page = session.api.list_records(database_id, table.id, limit=1)
        assert page.total is not None
        counts[table.id] = page.total
    return counts


# --- inspect -----------------------------------------------------------------------------


def test_generated_module_imports_and_queries(
    session: Session, tmp_path: Path, isolated_imports: None
) -> None:
    """The inspected demo imports; each model counts its table's records and reads fields."""
    source = inspect_database(session, DEMO_DATABASE_ID, progress=False)
    path = tmp_path / "gen_crm.py"
    path.write_text(source, encoding="utf-8")
    module = load_module(str(path))
    models = find_models(module)
    assert [m.__name__ for m in models] == ["Companies", "Contacts", "Deals"]
    counts = _counts(session, DEMO_DATABASE_ID)
    assert sorted(counts.values()) == [12, 40, 60]
    for model in models:
        assert model._meta.database == DEMO_DATABASE_ID
        assert model.objects.using(session).count() == counts[str(model._meta.table)]
        assert model.check_schema(session) == []
    contacts = module.Contacts.objects.using(session)
    named = contacts.filter(company__isnull=False).order_by("full_name").first()
    assert named is not None and isinstance(named.full_name, str)
    assert isinstance(named.tags, list) and all(isinstance(t, str) for t in named.tags)
    assert isinstance(named.company, module.Companies)
    assert named.company.name  # the link loads a record of the generated class
    assert named.company_industry == [named.company.industry]
    deal = module.Deals.objects.using(session).order_by("deal_number").first()
    assert deal is not None and deal.deal_number == 1
    assert deal.rating is None or 1 <= deal.rating <= 5
    company = module.Companies.objects.using(session).get(name=named.company.name)
    assert company.deal_count == len(company.deals)


def test_generated_module_passes_mypy_strict(
    session: Session, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """`mypy --strict` accepts the generated module, and code using its models."""
    (tmp_path / "gen_crm.py").write_text(
        inspect_database(session, DEMO_DATABASE_ID, progress=False), encoding="utf-8"
    )
    (tmp_path / "use_crm.py").write_text(
        textwrap.dedent(
            """
            from gen_crm import Contacts, Deals

            def names() -> list[str]:
                return [c.full_name or "" for c in Contacts.objects.filter(score__gte=1)]

            def rating(deal: Deals) -> int:
                tags: list[str] = Contacts.objects.get(id="x").tags
                return (deal.rating or 0) + len(tags)
            """
        ),
        encoding="utf-8",
    )
    cache_plugin = getattr(request.config, "cache", None)
    cache = cache_plugin.mkdir("mypy-generated") if cache_plugin is not None else tmp_path
    env = {**os.environ, "MYPYPATH": str(ROOT)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--follow-imports=silent",
            "--no-error-summary",
            "--cache-dir",
            str(cache),
            "gen_crm.py",
            "use_crm.py",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_inspect_cli_stdout_file_and_tables(
    demo: Emulator, cli_env: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`inspect` prints a module, writes one with --output, and selects tables by name."""
    assert main(["inspect", DEMO_DATABASE_ID, "--no-views"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith('"""Models for the Softr database "CRM demo"')
    assert f"softr-orm inspect {DEMO_DATABASE_ID}" in printed
    assert printed.count("(Model):") == 3
    out = tmp_path / "models.py"
    code = main(["inspect", DEMO_DATABASE_ID, "--table", "deals", "--output", str(out)])
    assert code == 0
    written = out.read_text(encoding="utf-8")
    assert "class Deals(Model):" in written and "class Contacts" not in written
    assert 'to="Contacts", multiple=False' in written  # a class of another module
    assert "Open deals" in written  # the saved view, listed in the docstring
    assert "wrote 1 models" in capsys.readouterr().err


def test_inspect_cli_errors(
    demo: Emulator,
    cli_env: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An unknown table or database, or no key at all, exit 2 with a message."""
    assert main(["inspect", DEMO_DATABASE_ID, "--table", "Nope"]) == 2
    assert "no table named 'Nope'" in capsys.readouterr().err
    assert main(["inspect", "no-such-database"]) == 2
    assert "no-such-database" in capsys.readouterr().err
    monkeypatch.delenv("SOFTR_API_KEY")
    assert main(["inspect", DEMO_DATABASE_ID]) == 2
    assert "SOFTR_API_KEY" in capsys.readouterr().err


def test_inspect_progress_bar(
    demo: Emulator, session: Session, database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Many tables with --progress: a tqdm bar on stderr, nothing of it in the module."""
    for n in range(6):
        session.create_table(database, f"Table {n}", fields=[{"name": "N", "type": "NUMBER"}])
    code = main(
        ["inspect", database, "--progress", "--api-key", demo.api_key, "--base-url", demo.base_url]
    )
    assert code == 0
    captured = capsys.readouterr()
    assert "tables:" in captured.err and "/6 " in captured.err
    assert captured.out.count("(Model):") == 6 and "tables:" not in captured.out
    assert "class Table0(Model):" in captured.out


# --- check -------------------------------------------------------------------------------


def _plain_table(session: Session, database: str) -> Any:
    return session.create_table(
        database,
        "People",
        fields=[
            {"name": "Name", "type": "SINGLE_LINE_TEXT"},
            {"name": "Nickname", "type": "SINGLE_LINE_TEXT"},
            {"name": "Tags", "type": "SELECT", "allowMultipleEntries": True},
            {"name": "Shout", "type": "FORMULA", "options": {"formula": "UPPER({Name})"}},
        ],
        primary_field_name="Name",
    )


def test_check_finds_rename_type_change_and_missing_field(session: Session, database: str) -> None:
    """check_schema reports a renamed pinned field, wrong types, multiplicity, read-only
    mismatches and a missing field, each naming the model attribute."""
    table = _plain_table(session, database)
    nick = table.field("Nickname")
    db = database

    class People(Model):
        name = fields.SingleLineText("Name")
        nickname = fields.SingleLineText("Nickname", field_id=nick.id)
        tags = fields.Select("Tags")  # live: multiple
        shout = fields.SingleLineText("Shout")  # live: a read-only formula
        age = fields.Number("Name")  # live: text
        email = fields.Email("Email")  # not in the table

        class Meta:
            database = db
            table = "People"

    assert [p.split(":")[0] for p in People.check_schema(session)] == [
        "People.tags",
        "People.shout",
        "People.age",
        "People.email",
    ]
    session.api.update_field(database, table.id, nick.id, name="Alias")
    problems = People.check_schema(session)
    assert len(problems) == 5
    assert problems[0] == (
        f"People.nickname: field {nick.id} was renamed in Softr from 'Nickname' to 'Alias'"
    )
    assert "declared multiple=False but the live field allows multiple entries" in problems[1]
    assert "FORMULA" in problems[2]
    assert "declared Number (NUMBER) but the live field is SINGLE_LINE_TEXT" in problems[3]
    assert "has no field 'Email'" in problems[4]

    class Person(Model):  # a model without problems keeps working through the rename
        name = fields.SingleLineText("Name")
        nickname = fields.SingleLineText("Nickname", field_id=nick.id)

        class Meta:
            database = db
            table = "People"

    Person.objects.using(session).create(name="Ann", nickname="A")
    assert Person.objects.using(session).get(name="Ann").nickname == "A"
    assert len(Person.check_schema(session)) == 1  # the rename, reported


def test_check_reports_read_only_and_missing_table(
    demo: Emulator, session: Session, database: str
) -> None:
    """A writable declaration of a read-only field, a deleted pinned field and a wrong
    table name are problems, not exceptions."""
    table = _plain_table(session, database)
    db = database
    added = demo.add_field(
        database, table.id, {"name": "Frozen", "type": "SINGLE_LINE_TEXT", "readonly": True}
    )

    class Frozen(Model):
        frozen = fields.SingleLineText("Frozen", field_id=added["id"])
        gone = fields.SingleLineText("Name", field_id="nope1")

        class Meta:
            database = db
            table = "People"

    class Lost(Model):
        name = fields.SingleLineText("Name")

        class Meta:
            database = db
            table = "Nowhere"

    problems = Frozen.check_schema(session)
    assert problems[0] == "Frozen.frozen: declared writable but the live field is read-only"
    name_id = table.field("Name").id
    assert problems[1] == (
        f"Frozen.gone: the table 'People' has no field 'nope1' (a field named 'Name' has id "
        f"'{name_id}')"
    )
    (lost,) = Lost.check_schema(session)
    assert lost.startswith("Lost: database") and "'Nowhere'" in lost and "People" in lost

    class Stray(Model):
        name = fields.SingleLineText("Name")

        class Meta:
            database = "no-such-database"
            table = "People"

    (stray,) = Stray.check_schema(session)
    assert stray.startswith("Stray: database no-such-database cannot be read")
    report = check_models([Frozen, Lost, Stray], session)
    assert not report.ok and len(report.problems) == 4
    assert "3 models checked: 4 problems." in report.render()


MODULE = """
from softr_orm import Model, fields

class Base(Model):
    pass

class Firm(Model):
    name = fields.SingleLineText("Name")
    industry = fields.Select("Industry"{extra})

    class Meta:
        database = {database!r}
        table = "Companies"
"""


def test_check_cli_exit_codes(
    cli_env: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    isolated_imports: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`check` exits 0 when models match, 1 on problems, 2 when it cannot run."""
    good = tmp_path / "models_good.py"
    good.write_text(MODULE.format(database=DEMO_DATABASE_ID, extra=""), encoding="utf-8")
    assert main(["check", str(good)]) == 0
    out = capsys.readouterr().out
    assert "Firm (table 'Companies'" in out and ": ok" in out
    assert "Base: skipped" in out and "1 model checked: no problems." in out

    bad = tmp_path / "models_bad.py"
    bad.write_text(
        MODULE.format(database=DEMO_DATABASE_ID, extra=", multiple=True"), encoding="utf-8"
    )
    assert main(["check", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "Firm.industry: declared multiple=True" in out and "1 problem." in out

    monkeypatch.chdir(tmp_path)  # a dotted name is found from the current directory
    assert main(["check", "models_good"]) == 0
    capsys.readouterr()

    broken = tmp_path / "models_broken.py"
    broken.write_text("raise RuntimeError('boom')\n", encoding="utf-8")
    assert main(["check", str(broken)]) == 2
    assert "RuntimeError: boom" in capsys.readouterr().err
    empty = tmp_path / "models_empty.py"
    empty.write_text("X = 1\n", encoding="utf-8")
    assert main(["check", str(empty)]) == 2
    assert "defines no Model subclasses" in capsys.readouterr().err
    monkeypatch.setenv("SOFTR_API_KEY", "wrong-key")
    assert main(["check", str(good)]) == 2
    assert "could not check" in capsys.readouterr().out


# --- create_table_for --------------------------------------------------------------------


def test_create_table_for_round_trip(
    session: Session, database: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A table made from a model binds to it: records save and read back, check is clean
    but for the computed fields that cannot be created."""
    db = database

    class Team(Model):
        title = fields.SingleLineText("Title")

        class Meta:
            database = db
            table = "Teams"

    class Task(Model):
        title = fields.SingleLineText("Title")
        notes = fields.LongText("Notes", help_text="free text")
        status = fields.Select("Status")
        labels = fields.Select("Labels", multiple=True)
        effort = fields.Rating("Effort", max=3)
        estimate = fields.Number("Estimate", required=True)
        due = fields.Date("Due")
        done = fields.Checkbox("Done")
        files = fields.Attachment("Files")
        team = fields.LinkedRecord("Team", to=Team, multiple=False)
        parent = fields.LinkedRecord("Parent", to="Task", multiple=False)
        created = fields.CreatedAt("Created")
        number = fields.Autonumber("No.")

        class Meta:
            database = db
            table = "Tasks"

    create_table_for(Team, session)
    table = create_table_for(Task, session)
    assert table.name == "Tasks" and table.primary_field is not None
    assert table.primary_field.name == "Title"
    live = {f.name: f for f in table.fields}
    assert live["Effort"].options["max"] == 3
    assert live["Labels"].allow_multiple_entries and not live["Status"].allow_multiple_entries
    assert live["Files"].allow_multiple_entries
    assert live["Estimate"].required and live["Notes"].description == "free text"
    assert live["Parent"].options["linkedTableId"] == table.id
    assert not live["Parent"].allow_multiple_entries
    assert Task.check_schema(session) == []

    teams = Team.objects.using(session)
    tasks = Task.objects.using(session)
    red = teams.create(title="Red")
    first = tasks.create(title="Plan", status="Open", labels=["a", "b"], estimate=3, team=red)
    second = tasks.create(title="Do", effort=2, estimate=1.5, done=True, parent=first)
    again = tasks.get(id=second.id)
    assert (again.title, again.effort, again.estimate, again.done) == ("Do", 2, 1.5, True)
    assert again.parent is not None and again.parent.id == first.id
    loaded = tasks.get(title="Plan")
    assert loaded.status == "Open" and loaded.labels == ["a", "b"]
    assert loaded.team is not None and loaded.team.title == "Red"
    assert loaded.number == 1 and loaded.created is not None


def test_create_table_for_fills_meta_and_refuses_duplicates(
    session: Session, database: str
) -> None:
    """Without Meta, the model binds to the table it got; a second create is refused."""

    class Note(Model):
        text = fields.LongText("Text")

    table = create_table_for(Note, session, database_id=database)
    assert (Note._meta.database, Note._meta.table) == (database, table.id)
    assert table.name == "Note"
    made = Note.objects.using(session).create(text="hello")
    assert Note.objects.using(session).get(id=made.id).text == "hello"
    with pytest.raises(SchemaError, match="already has a table 'Note'"):
        create_table_for(Note, session, database_id=database)

    class Orphan(Model):
        other = fields.LinkedRecord("Other", to="NoSuchModelAnywhere")

    with pytest.raises(SchemaError, match="linked model is unknown"):
        create_table_for(Orphan, session, database_id=database)
    with pytest.raises(ConfigurationError, match="database_id"):
        create_table_for(Orphan, session)


def test_create_table_for_skips_computed_fields(
    session: Session, database: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Formula, Lookup and Rollup fields are not created; a warning names them, and
    check_schema reports them missing until they are added in Softr."""
    db = database

    class Invoice(Model):
        ref = fields.SingleLineText("Ref")
        total = fields.Currency("Total")
        taxed = fields.Formula("Taxed")
        seen = fields.Lookup("Seen")
        odd = fields.Raw("Odd")  # no type_name: nothing to create
        legacy = fields.Raw("Button", type_name="BUTTON")  # not a current type

        class Meta:
            database = db
            table = "Invoices"

    with caplog.at_level(logging.WARNING, logger="softr_orm.schema"):
        table = create_table_for(Invoice, session)
    assert "taxed (FORMULA), seen (LOOKUP), odd (unknown type), legacy (unknown type)" in (
        caplog.text
    )
    assert [f.name for f in table.fields] == ["Ref", "Total", "Record ID"]
    missing = [p.split(":")[0] for p in Invoice.check_schema(session)]
    assert missing == ["Invoice.taxed", "Invoice.seen", "Invoice.odd", "Invoice.legacy"]
    session.api.add_field(db, table.id, "Taxed", "FORMULA", options={"formula": "{Total} * 2"})
    assert len(Invoice.check_schema(session)) == 3


def test_check_cli_uses_the_session_the_module_configures(
    demo: Emulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    isolated_imports: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without a key in options or environment, the module's own default session is used."""
    for variable in ("SOFTR_API_KEY", "SOFTR_API_KEY_FILE", "SOFTR_BASE_URL"):
        monkeypatch.delenv(variable, raising=False)
    module = tmp_path / "models_configured.py"
    module.write_text(
        "import softr_orm\n"
        f"softr_orm.configure(softr_orm.Session({demo.api_key!r}, base_url={demo.base_url!r}))\n"
        + MODULE.format(database=DEMO_DATABASE_ID, extra=""),
        encoding="utf-8",
    )
    try:
        assert main(["check", str(module)]) == 0
    finally:
        softr_orm.configure(None)
    assert "Firm (table 'Companies'" in capsys.readouterr().out
    bare = tmp_path / "models_bare.py"
    bare.write_text(MODULE.format(database=DEMO_DATABASE_ID, extra=""), encoding="utf-8")
    assert main(["check", str(bare)]) == 2  # no key, no session configured: cannot check
    out = capsys.readouterr().out
    assert "could not check: no default softr_orm Session" in out


def test_import_models_takes_modules_classes_and_paths() -> None:
    """Modules give their models, `module.Class` one model; bad targets fail clearly."""
    from softr_orm import Session
    from softr_orm.cli.demo import Company, Contact, Deal
    from softr_orm.schema import import_models

    assert import_models(["softr_orm.cli.demo"]) == [Company, Contact, Deal]
    assert import_models(["softr_orm.cli.demo.Contact", Contact, "softr_orm.cli.demo"]) == [
        Contact,
        Company,
        Deal,
    ]
    with pytest.raises(ImportError, match="no_such_module"):
        import_models(["no_such_module"])
    with pytest.raises(TypeError, match="not a softr_orm Model"):
        import_models([Session])


def test_create_table_for_names_a_pinned_table_after_the_model(
    session: Session, database: str
) -> None:
    """A pinned table id cannot be reused by Softr: the new table takes the class name."""

    class Pinned(Model):
        label = fields.SingleLineText("Label")

        class Meta:
            database = "pinnedPlaceholderDb"
            table = "Tq7LmN2pXc4RzA"

    with softr_orm.override_database({"pinnedPlaceholderDb": database}):
        table = create_table_for(Pinned, session)
    assert table.name == "Pinned"
    assert [f.type for f in table.fields] == ["SINGLE_LINE_TEXT", "RECORD_ID"]


def test_a_created_table_lets_prefetch_take_one_search(session: Session, database: str) -> None:
    """create_table_for adds a RECORD_ID field: prefetching 30 links is one search, not 30 GETs."""
    db = database

    class Firm(Model):
        name = fields.SingleLineText("Name")

        class Meta:
            database = db
            table = "Firms"

    class Person(Model):
        name = fields.SingleLineText("Name")
        firm = fields.LinkedRecord("Firm", to=Firm, multiple=False)

        class Meta:
            database = db
            table = "People"

    create_table_for(Firm, session)
    create_table_for(Person, session)
    firms = [Firm.objects.using(session).create(name=f"F{i}") for i in range(30)]
    for i, firm in enumerate(firms):
        Person.objects.using(session).create(name=f"P{i}", firm=firm)
    people = Person.objects.using(session).all()
    list(people[:1])  # the schema is read once per session; count what the prefetch costs
    before = session.request_count
    loaded = list(people.prefetch("firm"))
    assert session.request_count - before == 2  # one search for people, one for their firms
    assert sorted(p.firm.name for p in loaded if p.firm) == sorted(f.name for f in firms)
