"""App-ready instances against the emulator: pickle, deepcopy, JSON and ``override_database``.

The models are declared at module level, as in an app (pickle finds classes by their import
path), with placeholder database ids; ``override_database`` points them at a fresh emulator
database for each test.
"""

from __future__ import annotations

import copy
import json
import pickle
import threading
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

import softr_orm
from softr_orm import Model, Session, fields
from softr_orm.emulator import Emulator

pytestmark = pytest.mark.integration

APP_DB = "appReadyDbId"


class ReadyCompany(Model):
    name = fields.SingleLineText("Name")

    class Meta:
        database = APP_DB
        table = "Companies"


class ReadyContact(Model):
    name = fields.SingleLineText("Name")
    budget = fields.Currency("Budget")
    joined = fields.Date("Joined")
    last_call = fields.DateTime("Last call")
    tags = fields.Select("Tags", multiple=True)
    files = fields.Attachment("Files")
    company = fields.LinkedRecord("Company", to=ReadyCompany, multiple=False)

    class Meta:
        database = APP_DB
        table = "Contacts"


@pytest.fixture
def crm(emu: Emulator, database: str, session: Session) -> Iterator[dict[str, Any]]:
    """Companies and Contacts in a fresh database; the models point at it, key in ``session``."""
    companies = emu.create_table(
        database,
        "Companies",
        [{"name": "Name", "type": "SINGLE_LINE_TEXT"}, {"name": "Record ID", "type": "RECORD_ID"}],
    )
    emu.create_table(
        database,
        "Contacts",
        [
            {"name": "Name", "type": "SINGLE_LINE_TEXT"},
            {"name": "Budget", "type": "CURRENCY"},
            {"name": "Joined", "type": "DATE"},
            {"name": "Last call", "type": "DATETIME"},
            {
                "name": "Tags",
                "type": "SELECT",
                "allowMultipleEntries": True,
                "options": {"choices": [{"label": "vip"}, {"label": "lead"}]},
            },
            {"name": "Files", "type": "ATTACHMENT", "allowMultipleEntries": True},
            {
                "name": "Company",
                "type": "LINKED_RECORD",
                "options": {"linkedTableId": companies["id"]},
            },
        ],
    )
    softr_orm.configure(session)
    with softr_orm.override_database({APP_DB: database}):
        acme = ReadyCompany.objects.create(name="Acme")
        jane = ReadyContact.objects.create(
            name="Jane",
            budget=Decimal("1234.50"),
            joined=date(2024, 3, 5),
            last_call=datetime(2024, 3, 5, 14, 30, tzinfo=timezone(timedelta(hours=2))),
            tags=["vip"],
            files=[{"url": "https://files.example.org/a/report.pdf", "filename": "report.pdf"}],
            company=acme,
        )
        yield {"database": database, "acme": acme, "jane": jane, "session": session}
    softr_orm.configure(None)


def _round_trips(instance: Model) -> list[Model]:
    return [pickle.loads(pickle.dumps(instance)), copy.deepcopy(instance)]


@pytest.mark.parametrize("how", ["fetched", "saved", "linked", "prefetched"])
def test_instances_pickle_and_deepcopy(crm: dict[str, Any], how: str) -> None:
    """Fetched, saved, linked and prefetched instances survive pickle and deepcopy, key-free."""
    session: Session = crm["session"]
    jane: ReadyContact = crm["jane"]
    if how == "fetched":
        original = ReadyContact.objects.get(id=jane.id)
    elif how == "saved":
        original = jane
        original.name = "Jane Saved"
        original.save()
    elif how == "linked":
        fetched = ReadyContact.objects.get(id=jane.id)
        assert fetched.company is not None and fetched.company.name == "Acme"
        original = fetched
    else:
        original = ReadyContact.objects.filter(name__startswith="Jane").prefetch("company")[0]
    assert session._api_key.reveal().encode() not in pickle.dumps(original)
    for again in _round_trips(original):
        assert again is not original and again == original
        assert again.to_dict() == original.to_dict()
        assert again.budget == Decimal("1234.50") and again.joined == date(2024, 3, 5)
        assert not again.is_dirty
        before = session.request_count
        assert again.company is not None and again.company.name == "Acme"
        if how in ("linked", "prefetched"):
            assert session.request_count == before  # the linked record came along
        again.tags = ["vip", "lead"]
        assert again.changed_fields == {"tags": (["vip"], ["vip", "lead"])}
        assert again.save().updated == ("tags",)
        assert ReadyContact.objects.get(id=jane.id).tags == ["vip", "lead"]
        again.tags = ["vip"]
        again.save()


def test_an_unpickled_instance_reads_its_values_without_a_session(crm: dict[str, Any]) -> None:
    """The field ids travel with the pickle: reading needs no session at all."""
    data = pickle.dumps(ReadyContact.objects.get(id=crm["jane"].id))
    softr_orm.configure(None)
    again = pickle.loads(data)
    assert again.name == "Jane" and again.tags == ["vip"]
    assert again.files[0].filename == "report.pdf"


def test_a_deepcopy_keeps_the_session_it_came_through(
    crm: dict[str, Any], make_session: Any
) -> None:
    """A record read through ``using(tenant)`` still writes through that tenant once copied."""
    tenant = make_session()
    original = ReadyContact.objects.using(tenant).get(id=crm["jane"].id)
    shallow = copy.copy(original)
    assert shallow._binding is original._binding  # the tenant session, not the default
    assert shallow == original and shallow.name == "Jane"
    clone = copy.deepcopy(original)
    clone.name = "Tenant copy"
    before = tenant.request_count
    clone.save()
    assert tenant.request_count == before + 1
    assert original.name == "Jane"


def test_querysets_pickle_with_their_results_and_deepcopy_without(crm: dict[str, Any]) -> None:
    """A pickled QuerySet holds its results (no session); a deep copy is the same query."""
    session: Session = crm["session"]
    qs = ReadyContact.objects.filter(name="Jane").order_by("name")
    again = pickle.loads(pickle.dumps(qs))
    before = session.request_count
    assert [c.name for c in again] == ["Jane"]
    assert session.request_count == before
    clone = copy.deepcopy(ReadyContact.objects.filter(name="Nobody"))
    assert clone._result_cache is None
    assert list(clone) == []


def test_to_dict_json_mode_and_to_json(crm: dict[str, Any]) -> None:
    """JSON mode: ISO dates, exact decimal strings, attachments as objects, links as ids."""
    jane = ReadyContact.objects.get(id=crm["jane"].id)
    data = jane.to_dict(mode="json")
    assert data["budget"] == "1234.50"
    assert data["joined"] == "2024-03-05"
    assert datetime.fromisoformat(data["last_call"]) == datetime(
        2024, 3, 5, 12, 30, tzinfo=timezone.utc
    )
    assert data["tags"] == ["vip"]
    assert data["company"] == crm["acme"].id
    assert data["files"][0]["url"] == "https://files.example.org/a/report.pdf"
    assert data["files"][0]["filename"] == "report.pdf"
    assert json.loads(jane.to_json()) == data
    assert jane.to_dict()["budget"] == Decimal("1234.50")
    with pytest.raises(ValueError, match="mode"):
        jane.to_dict(mode="xml")  # type: ignore[arg-type]


def test_override_database_is_local_to_its_block_and_thread(crm: dict[str, Any]) -> None:
    """Outside the block (or in another thread) the declared placeholder id is used."""
    assert ReadyContact.objects.count() == 1
    seen: list[str] = []

    def other_thread() -> None:
        try:
            ReadyContact.objects.count()
        except softr_orm.SoftrError as error:
            seen.append(type(error).__name__)

    worker = threading.Thread(target=other_thread)
    worker.start()
    worker.join()
    assert seen  # the placeholder database does not exist for the other thread
    with softr_orm.override_database({}):
        assert ReadyContact.objects.count() == 1  # nesting keeps the outer map
    with pytest.raises(TypeError, match="database ids"), softr_orm.override_database({APP_DB: ""}):
        pass


def test_every_demo_record_has_a_json_form(softr_session: Session) -> None:
    """Each field type of the demo CRM (lookups, rollups, formulas too) dumps to JSON."""
    from softr_orm.cli.demo import Company, Contact, Deal

    for model in (Company, Contact, Deal):
        for instance in model.objects.all():
            data = json.loads(instance.to_json())
            assert data == instance.to_dict(mode="json")
            assert set(data) == {"id", *model._meta.fields}
