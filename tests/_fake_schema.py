"""A small CRM schema served through ``responses``, and the models declared against it.

Unit tests of the model and query layers use it to check the exact requests sent, without a
server. (Integration tests use the real emulator instead.)
"""

from __future__ import annotations

import json
from typing import Any

import responses

from softr_orm import Session, fields
from softr_orm.models.base import Model

BASE = "https://tables-api.softr.io/api/v1"
DB = "3f6c2a9e-8b1d-4c7e-9a52-1d0e7b4c6f21"
CONTACTS = "Tq7LmN2pXc4RzA"
COMPANIES = "Cm4pNy7QxT2bVw"
TABLES_URL = f"{BASE}/databases/{DB}/tables"
CONTACT_RECORDS = f"{TABLES_URL}/{CONTACTS}/records"
COMPANY_RECORDS = f"{TABLES_URL}/{COMPANIES}/records"


def _field(fid: str, name: str, ftype: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": fid,
        "name": name,
        "type": ftype,
        "options": extra.pop("options", {}),
        "allowMultipleEntries": extra.pop("multi", False),
        "readonly": extra.pop("readonly", False),
        "required": False,
        "locked": False,
        "defaultValue": None,
        "aiOptions": None,
        **extra,
    }


CONTACTS_TABLE: dict[str, Any] = {
    "id": CONTACTS,
    "name": "Contacts",
    "description": None,
    "primaryFieldId": "nAm3x",
    "defaultViewId": "vW3kQ9sLm2Pa7T",
    "fields": [
        _field("nAm3x", "Full Name", "SINGLE_LINE_TEXT"),
        _field("eM4il", "Email", "EMAIL"),
        _field("sC0re", "Score", "NUMBER"),
        _field("bUdgt", "Budget", "CURRENCY", options={"isoCode": "USD"}),
        _field(
            "tAgs1",
            "Tags",
            "SELECT",
            multi=True,
            options={
                "choices": [
                    {"id": "c1", "label": "vip"},
                    {"id": "c2", "label": "lead"},
                    {"id": "c3", "label": "customer"},
                ],
                "allowToAddNewChoice": False,
            },
        ),
        _field(
            "cOmp1",
            "Company",
            "LINKED_RECORD",
            options={"linkedTableId": COMPANIES, "inverseLinkFieldId": None},
        ),
        _field("jOin1", "Joined", "DATE"),
        _field("lAst1", "Last call", "DATETIME"),
        _field("fIles", "Files", "ATTACHMENT", multi=True),
        _field("nEws1", "Newsletter", "CHECKBOX"),
        _field("tOtal", "Total", "FORMULA", readonly=True),
        _field("cRtd1", "Created", "CREATED_AT", readonly=True),
        _field("rId01", "Record ID", "RECORD_ID", readonly=True),
    ],
    "createdAt": "2026-01-12T09:30:00.000Z",
    "updatedAt": "2026-03-02T16:05:11.000Z",
}

COMPANIES_TABLE: dict[str, Any] = {
    "id": COMPANIES,
    "name": "Companies",
    "description": None,
    "primaryFieldId": "nAmeC",
    "defaultViewId": "vW3kQ9sLm2Pa7U",
    "fields": [
        _field("nAmeC", "Name", "SINGLE_LINE_TEXT"),
        _field("rIdC1", "Record ID", "RECORD_ID", readonly=True),
    ],
    "createdAt": "2026-01-12T09:30:00.000Z",
    "updatedAt": "2026-03-02T16:05:11.000Z",
}


class Company(Model):
    name = fields.SingleLineText("Name")

    class Meta:
        database = DB
        table = "Companies"


class Contact(Model):
    name = fields.SingleLineText("Full Name")
    email = fields.Email("Email")
    score = fields.Number("Score")
    budget = fields.Currency("Budget")
    tags = fields.Select("Tags", multiple=True)
    company = fields.LinkedRecord("Company", to=Company, multiple=False)
    joined = fields.Date("Joined")
    last_call = fields.DateTime("Last call")
    files = fields.Attachment("Files")
    newsletter = fields.Checkbox("Newsletter")
    total = fields.Formula("Total")
    created = fields.CreatedAt("Created")

    class Meta:
        database = DB
        table = "Contacts"


def make_session() -> Session:
    return Session("secret-test-key", base_url=BASE, rate_limit=False, max_retries=0)


def mock_schema(rsps: responses.RequestsMock) -> None:
    """Serve the table listing (the one schema request per database per session)."""
    rsps.add(
        responses.GET,
        TABLES_URL,
        json={"data": [CONTACTS_TABLE, COMPANIES_TABLE]},
    )


def record(rid: str, table: str = CONTACTS, **fields_by_id: Any) -> dict[str, Any]:
    return {
        "id": rid,
        "tableId": table,
        "fields": fields_by_id,
        "createdAt": "2026-04-11T07:59:03.000Z",
        "updatedAt": "2026-04-11T08:12:44.000Z",
    }


def sent_json(call: Any) -> Any:
    body = call.request.body
    return json.loads(body) if body else None


def requests_to(rsps: responses.RequestsMock, method: str, url_start: str) -> list[Any]:
    return [
        c
        for c in rsps.calls
        if c.request.method == method and str(c.request.url).startswith(url_start)
    ]
