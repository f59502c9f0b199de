"""``Emulator.create_tables_for`` and the ``softr_create_tables`` fixture, on a user's models.

The models (``crm_app_models.py``) are declared as an app declares them, with fixed ids; the test
creates their tables in a fresh emulator and uses the models unchanged through the ORM.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from crm_app_models import DATABASE_ID, Company, Contact

from softr_orm import Model, Session, fields
from softr_orm.emulator import Emulator, StoreError

pytestmark = pytest.mark.integration

CreateTables = Callable[..., list[dict[str, Any]]]


@pytest.fixture(scope="session")
def softr_emulator_options() -> dict[str, Any]:
    """An empty emulator: only the models' tables."""
    return {"seed": None}


def _by_name(table: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in table["fields"]}


def test_tables_fields_and_links_get_the_declared_ids(
    softr_emulator: Emulator, softr_create_tables: CreateTables
) -> None:
    """The database, the table pinned by id, the table named, pinned fields, links, RECORD_ID."""
    contacts, companies = softr_create_tables(Contact, Company)
    assert companies["id"] == "Tb7Companies01" and companies["name"] == "Company"
    assert contacts["name"] == "Contacts" and contacts["id"] != "Contacts"
    company_fields, contact_fields = _by_name(companies), _by_name(contacts)
    assert company_fields["Name"]["id"] == "cNam1"
    assert companies["primaryFieldId"] == "cNam1"
    assert company_fields["Employees"]["id"] == "cEmp1"
    assert company_fields["Record ID"]["type"] == "RECORD_ID"
    assert contact_fields["Record ID"]["type"] == "RECORD_ID"
    assert contact_fields["Tags"]["allowMultipleEntries"] is True
    assert contact_fields["Tags"]["options"]["allowToAddNewChoice"] is True
    assert contact_fields["Rating"]["options"]["max"] == 3
    assert contact_fields["Created"]["type"] == "CREATED_AT"
    link, back = contact_fields["Company"], company_fields["Contacts"]
    assert link["id"] == "kCom1" and back["id"] == "cCon1"
    assert link["allowMultipleEntries"] is False and back["allowMultipleEntries"] is True
    assert link["options"]["linkedTableId"] == companies["id"]
    assert back["options"]["linkedTableId"] == contacts["id"]
    assert link["options"]["inverseLinkFieldId"] == "cCon1"
    assert back["options"]["inverseLinkFieldId"] == "kCom1"
    listed = softr_emulator.store.database(DATABASE_ID).tables
    assert set(listed) == {companies["id"], contacts["id"]}


def test_it_is_idempotent_and_follows_links(softr_create_tables: CreateTables) -> None:
    """Contact alone brings Company (its link target); a second call changes nothing."""
    first = softr_create_tables(Contact)
    assert [t["name"] for t in first] == ["Contacts", "Company"]
    again = softr_create_tables(Company, Contact)
    assert {t["id"] for t in again} == {t["id"] for t in first}
    assert sorted(len(t["fields"]) for t in again) == sorted(len(t["fields"]) for t in first)


def test_an_existing_table_gains_the_fields_it_lacks(
    softr_emulator: Emulator, softr_create_tables: CreateTables
) -> None:
    """A table made by hand under the model's name is completed, not duplicated."""
    softr_emulator.store.create_database(
        {"workspaceId": softr_emulator.workspace_id, "name": "Mine"}, database_id=DATABASE_ID
    )
    made = softr_emulator.create_table(
        DATABASE_ID, "Contacts", [{"name": "Email", "type": "EMAIL"}]
    )
    tables = softr_create_tables(Contact)
    assert tables[0]["id"] == made["id"]
    names = _by_name(tables[0])
    assert {"Full Name", "Email", "Company", "Record ID"} <= set(names)
    assert names["Company"]["id"] == "kCom1"
    assert names["Email"]["id"] == _by_name(made)["Email"]["id"]


def test_a_pinned_id_that_clashes_with_a_namesake_is_refused(
    softr_emulator: Emulator, softr_create_tables: CreateTables
) -> None:
    """A hand-made "Full Name" with another id than the pinned one: a clear error."""
    softr_emulator.store.create_database(
        {"workspaceId": softr_emulator.workspace_id, "name": "Mine"}, database_id=DATABASE_ID
    )
    softr_emulator.create_table(
        DATABASE_ID, "Contacts", [{"name": "Full Name", "type": "SINGLE_LINE_TEXT"}]
    )
    with pytest.raises(StoreError, match="the model pins id 'kNam1'"):
        softr_create_tables(Contact)


def test_a_model_without_a_database_is_refused(softr_emulator: Emulator) -> None:
    class Loose(Model):
        name = fields.SingleLineText("Name")

    with pytest.raises(ValueError, match=r"Loose\.Meta needs a database id"):
        softr_emulator.create_tables_for(Loose)


def test_the_orm_works_on_the_tables(
    softr_create_tables: CreateTables, softr_session: Session
) -> None:
    """Create, query and prefetch through the app's own models; prefetch is one search."""
    softr_create_tables(Contact, Company)
    acme = Company.objects.create(name="Acme", size=40, industry="Tools")
    globex = Company.objects.create(name="Globex", size=7)
    for n in range(6):
        Contact.objects.create(
            full_name=f"Person {n}",
            email=f"p{n}@example.com",
            score=n,
            tags=["vip"] if n % 2 else [],
            company=acme if n < 4 else globex,
        )
    assert Contact.objects.filter(score__gte=3).count() == 3
    vips = Contact.objects.filter(tags__has_any=["vip"]).order_by("-score")
    assert [c.full_name for c in vips] == ["Person 5", "Person 3", "Person 1"]
    acme = Company.objects.get(name="Acme")
    assert sorted(c.full_name for c in acme.contacts) == [f"Person {n}" for n in range(4)]
    contacts = list(Contact.objects.order_by("score"))
    softr_session.reset_request_count()
    loaded = list(Contact.objects.order_by("score").prefetch("company"))
    names = [c.company.name for c in loaded]
    assert names == ["Acme"] * 4 + ["Globex"] * 2
    assert softr_session.request_count == 2  # one search for contacts, one for their companies
    assert [c.id for c in loaded] == [c.id for c in contacts]


class Task(Model):
    """A Baserow model, as the Baserow backend's users declare one: integer ids."""

    title = fields.SingleLineText("Title", field_id="field_678")
    points = fields.Number("Points")
    kind = fields.Select("Kind")

    class Meta:
        database = 12
        table = 345


def test_baserow_models_get_their_integer_ids(softr_emulator: Emulator) -> None:
    """Through the Baserow face the table is 345 in database 12 and the title field 678;
    a select declared without choices takes new labels; no RECORD_ID field is added."""
    (table,) = softr_emulator.create_tables_for(Task)
    assert [f["type"] for f in table["fields"]] == ["SINGLE_LINE_TEXT", "NUMBER", "SELECT"]
    base = softr_emulator.baserow_url + "/api/database"
    headers = {"Authorization": f"Token {softr_emulator.baserow_token}"}
    tables = requests.get(f"{base}/tables/all-tables/", headers=headers, timeout=5).json()
    assert {"id": 345, "name": "Task", "order": 1, "database_id": 12} in tables
    listed = requests.get(f"{base}/fields/table/345/", headers=headers, timeout=5).json()
    assert [(f["id"], f["name"], f["type"]) for f in listed][0] == (678, "Title", "text")
    made = requests.post(
        f"{base}/rows/table/345/",
        json={"field_678": "Write docs", f"field_{listed[2]['id']}": "Chore"},
        headers=headers,
        timeout=5,
    )
    assert made.status_code == 200, made.text
    assert made.json()["field_678"] == "Write docs"
    assert made.json()[f"field_{listed[2]['id']}"]["value"] == "Chore"
    assert softr_emulator.create_tables_for(Task)[0]["id"] == table["id"]  # idempotent
