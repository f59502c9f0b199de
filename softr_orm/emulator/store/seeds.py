"""Seed data sets. ``demo``: a small CRM ("CRM demo") with Companies, Contacts and Deals.

The demo is deterministic: its ids come from an id generator seeded with the seed's name, its
values from ``random.Random("demo")`` and its timestamps from a fixed clock, so a demo prints
the same thing on every run. Its database id is the constant :data:`DEMO_DATABASE_ID`.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from .core import Store
from .errors import bad_request
from .ids import IdFactory
from .state import TableState

__all__ = ["DEMO_DATABASE_ID", "SEEDS", "run_seed"]

DEMO_DATABASE_ID = "5e6f7a8b-1c2d-4e3f-9a0b-c1d2e3f4a5b6"
_DEMO_EPOCH = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.timezone.utc)

_COMPANIES = [
    ("Acme Corp", "Manufacturing"),
    ("Globex", "Software"),
    ("Initech", "Software"),
    ("Umbrella Health", "Health"),
    ("Stark Industries", "Manufacturing"),
    ("Wayne Enterprises", "Finance"),
    ("Hooli", "Software"),
    ("Pied Piper", "Software"),
    ("Soylent", "Retail"),
    ("Vandelay Industries", "Retail"),
    ("Wonka Foods", "Retail"),
    ("Tyrell Finance", "Finance"),
]
_FIRST = [
    "Ada",
    "Grace",
    "Alan",
    "Edsger",
    "Barbara",
    "Donald",
    "Frances",
    "Ken",
    "Margaret",
    "Dennis",
    "Radia",
    "Linus",
    "Hedy",
    "John",
    "Katherine",
]
_LAST = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Allen",
    "Thompson",
    "Hamilton",
    "Ritchie",
    "Perlman",
    "Torvalds",
    "Lamarr",
    "Backus",
    "Johnson",
]
_MEMBERS = [
    ("Sam Seller", "sam@example.com"),
    ("Riley Rep", "riley@example.com"),
    ("Morgan Manager", "morgan@example.com"),
]
_STAGES = ["Lead", "Qualified", "Proposal", "Won", "Lost"]
_PRODUCTS = ["licences", "support plan", "pilot", "renewal", "expansion", "training"]


def _sel(
    name: str, labels: list[str], *, multiple: bool = False, add: bool = False
) -> dict[str, Any]:
    return {
        "name": name,
        "type": "SELECT",
        "allowMultipleEntries": multiple,
        "options": {"choices": [{"label": label} for label in labels], "allowToAddNewChoice": add},
    }


def _ids(table: TableState) -> dict[str, str]:
    return {definition["name"]: field_id for field_id, definition in table.fields.items()}


def _seed_demo(store: Store) -> dict[str, Any]:
    rng = random.Random("demo")
    workspace_id = store.default_token.workspace_ids[0]
    owners = [store.add_member(workspace_id, email, name).id for name, email in _MEMBERS]
    store.create_database(
        {
            "workspaceId": workspace_id,
            "name": "CRM demo",
            "description": "A small CRM seeded by the softr-orm emulator",
        },
        database_id=DEMO_DATABASE_ID,
    )
    db = DEMO_DATABASE_ID
    industries = ["Software", "Retail", "Manufacturing", "Finance", "Health"]
    companies = store.create_table(
        db,
        {
            "name": "Companies",
            "primaryFieldName": "Name",
            "fields": [
                {"name": "Name", "type": "SINGLE_LINE_TEXT"},
                {"name": "Website", "type": "URL"},
                _sel("Industry", industries),
                {"name": "Employees", "type": "NUMBER", "options": {"precision": 0}},
                {"name": "Annual revenue", "type": "CURRENCY", "options": {"isoCode": "USD"}},
                {"name": "About", "type": "LONG_TEXT"},
            ],
        },
    )
    co = _ids(companies)
    contacts = store.create_table(
        db,
        {
            "name": "Contacts",
            "primaryFieldName": "Full Name",
            "fields": [
                {"name": "Full Name", "type": "SINGLE_LINE_TEXT"},
                {"name": "Email", "type": "EMAIL"},
                {"name": "Phone", "type": "PHONE"},
                {"name": "Score", "type": "NUMBER"},
                {"name": "Budget", "type": "CURRENCY"},
                _sel("Tags", ["vip", "lead", "customer", "partner"], multiple=True, add=True),
                {
                    "name": "Company",
                    "type": "LINKED_RECORD",
                    "options": {"linkedTableId": companies.id},
                },
            ],
        },
    )
    store.fields.add(
        contacts,
        {
            "name": "Company industry",
            "type": "LOOKUP",
            "options": {
                "linkedRecordFieldId": _ids(contacts)["Company"],
                "lookupFieldId": co["Industry"],
            },
        },
    )
    body: dict[str, Any]
    for body in (
        {"name": "Joined", "type": "DATE"},
        {"name": "Last call", "type": "DATETIME"},
        {"name": "Files", "type": "ATTACHMENT", "allowMultipleEntries": True},
        {"name": "Newsletter", "type": "CHECKBOX"},
        {"name": "Owner", "type": "USER"},
        {"name": "Created", "type": "CREATED_AT"},
        {"name": "Updated", "type": "UPDATED_AT"},
        {"name": "Record ID", "type": "RECORD_ID"},
    ):
        store.fields.add(contacts, body)
    ct = _ids(contacts)
    deals = store.create_table(
        db,
        {
            "name": "Deals",
            "primaryFieldName": "Title",
            "fields": [
                {"name": "Title", "type": "SINGLE_LINE_TEXT"},
                {"name": "Amount", "type": "CURRENCY"},
                {"name": "Probability", "type": "PERCENT"},
                {"name": "Rating", "type": "RATING", "options": {"max": 5}},
                {"name": "Call time", "type": "DURATION"},
                _sel("Stage", _STAGES),
                {
                    "name": "Company",
                    "type": "LINKED_RECORD",
                    "options": {"linkedTableId": companies.id},
                },
                {
                    "name": "Contact",
                    "type": "LINKED_RECORD",
                    "options": {"linkedTableId": contacts.id},
                },
                {
                    "name": "Expected value",
                    "type": "FORMULA",
                    "options": {"formula": "{Amount} * {Probability} / 100"},
                },
                {"name": "Close date", "type": "DATE"},
                {"name": "Deal number", "type": "AUTONUMBER"},
                {"name": "Created by", "type": "CREATED_BY"},
                {"name": "Updated by", "type": "UPDATED_BY"},
                {"name": "Created", "type": "CREATED_AT"},
                {"name": "Updated", "type": "UPDATED_AT"},
                {"name": "Record ID", "type": "RECORD_ID"},
            ],
        },
    )
    de = _ids(deals)
    for body in (
        {
            "name": "Contacts",
            "type": "LINKED_RECORD",
            "allowMultipleEntries": True,
            "options": {"linkedTableId": contacts.id, "inverseLinkFieldId": ct["Company"]},
        },
        {
            "name": "Deals",
            "type": "LINKED_RECORD",
            "allowMultipleEntries": True,
            "options": {"linkedTableId": deals.id, "inverseLinkFieldId": de["Company"]},
        },
    ):
        store.fields.add(companies, body)
    co = _ids(companies)
    for body in (
        {
            "name": "Pipeline value",
            "type": "ROLLUP",
            "options": {
                "linkedRecordFieldId": co["Deals"],
                "rollupFieldId": de["Amount"],
                "function": "SUM",
            },
        },
        {
            "name": "Deal count",
            "type": "ROLLUP",
            "options": {
                "linkedRecordFieldId": co["Deals"],
                "rollupFieldId": de["Deal number"],
                "function": "COUNT",
            },
        },
        {"name": "Created", "type": "CREATED_AT"},
        {"name": "Record ID", "type": "RECORD_ID"},
    ):
        store.fields.add(companies, body)
    co = _ids(companies)

    minute = dt.timedelta(minutes=1)
    company_rows: list[dict[str, Any]] = []
    for index, (name, industry) in enumerate(_COMPANIES):
        slug = name.lower().split()[0]
        row: dict[str, Any] = {
            co["Name"]: name,
            co["Industry"]: industry,
            co["Employees"]: rng.choice([8, 25, 60, 140, 320, 900, 2500]),
            co["Annual revenue"]: Decimal(rng.randrange(50_000_00, 90_000_000_00)) / 100,
            co["About"]: f"{name} is a {industry.lower()} company founded in {1950 + index * 6}.",
        }
        if index % 5 != 3:
            row[co["Website"]] = f"https://{slug}.example.com"
        company_rows.append(row)
    company_recs = store.records.create_many(
        companies, company_rows, user_id=owners[0], at=_DEMO_EPOCH
    )

    contact_rows: list[dict[str, Any]] = []
    for index in range(60):
        first, last = _FIRST[index % 15], _LAST[(index * 7 + index // 15) % 15]
        company = company_recs[index % 12] if index % 9 != 8 else None
        domain = company_rows[index % 12][co["Name"]].lower().split()[0] + ".example.com"
        row = {
            ct["Full Name"]: f"{first} {last}",
            ct["Email"]: f"{first.lower()}.{last.lower()}{index}@{domain}",
            ct["Tags"]: sorted(
                rng.sample(["vip", "lead", "customer", "partner"], rng.randint(0, 2))
            ),
            ct["Joined"]: (dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(800))).isoformat(),
            ct["Newsletter"]: rng.random() < 0.4,
            ct["Owner"]: owners[index % 3],
        }
        if index % 4 != 2:
            row[ct["Phone"]] = f"+1212555{rng.randrange(10000):04d}"
        if index % 6 != 5:
            row[ct["Score"]] = rng.randrange(0, 101)
        if index % 3 == 0:
            row[ct["Budget"]] = Decimal(rng.randrange(1_000_00, 250_000_00)) / 100
        if company is not None:
            row[ct["Company"]] = [company.id]
        if index % 5 != 4:
            call = _DEMO_EPOCH + dt.timedelta(minutes=rng.randrange(200_000))
            row[ct["Last call"]] = call.strftime("%Y-%m-%dT%H:%M:00.000Z")
        if index % 10 == 0:
            row[ct["Files"]] = [
                {
                    "url": f"https://files.example.com/{index}/contract.pdf",
                    "filename": "contract.pdf",
                }
            ]
        contact_rows.append(row)
    contact_recs = []
    for index, row in enumerate(contact_rows):
        contact_recs += store.records.create_many(
            contacts, [row], user_id=owners[index % 3], at=_DEMO_EPOCH + minute * (30 + index)
        )

    deal_rows: list[dict[str, Any]] = []
    for index in range(40):
        company_index = rng.randrange(12)
        contact = next(
            (c for i, c in enumerate(contact_recs) if i % 12 == company_index and i % 9 != 8), None
        )
        row = {
            de["Title"]: f"{_COMPANIES[company_index][0]} {_PRODUCTS[index % len(_PRODUCTS)]}",
            de["Amount"]: Decimal(rng.randrange(500_00, 120_000_00, 50)) / 100,
            de["Probability"]: rng.choice([10, 20, 30, 50, 70, 90]),
            de["Stage"]: _STAGES[rng.randrange(5)],
            de["Company"]: [company_recs[company_index].id],
            de["Close date"]: (
                dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(365))
            ).isoformat(),
        }
        if index % 3 != 1:
            row[de["Rating"]] = rng.randint(1, 5)
        if index % 4 != 3:
            row[de["Call time"]] = rng.randrange(5, 120) * 60
        if contact is not None and index % 5 != 2:
            row[de["Contact"]] = [contact.id]
        deal_rows.append(row)
    for index, row in enumerate(deal_rows):
        store.records.create_many(
            deals, [row], user_id=owners[index % 3], at=_DEMO_EPOCH + minute * (100 + index)
        )

    store.add_view(
        deals,
        "Open deals",
        filter={
            "condition": {
                "operator": "IS_ONE_OF",
                "leftSide": de["Stage"],
                "rightSide": ["Lead", "Qualified", "Proposal"],
            }
        },
        sorting=[{"sortingField": de["Amount"], "sortType": "DESC"}],
    )
    store.add_view(
        contacts,
        "Newsletter subscribers",
        filter={"condition": {"operator": "IS", "leftSide": ct["Newsletter"], "rightSide": True}},
        sorting=[{"sortingField": ct["Full Name"], "sortType": "ASC"}],
    )
    return _summary(store)


def _summary(store: Store) -> dict[str, Any]:
    db = store.database(DEMO_DATABASE_ID)
    return {
        "databaseId": db.id,
        "name": db.name,
        "tables": {
            table.name: {
                "id": table.id,
                "fields": _ids(table),
                "views": {view.name: view.id for view in table.views.values()},
                "records": len(store.records_of(table)),
            }
            for table in db.tables.values()
        },
    }


SEEDS = {"demo": _seed_demo}


def run_seed(store: Store, name: str, *, replace: bool = True) -> dict[str, Any]:
    """Load a named seed and describe what it made (database, table and field ids).

    Args:
        replace: drop and rebuild the seed's database when it exists; when False an existing
            seed database is left as it is (what the CLI does across restarts).

    Raises:
        StoreError: BAD_REQUEST for an unknown seed name.
    """
    builder = SEEDS.get(name)
    if builder is None:
        raise bad_request(f"unknown seed '{name}' (known: {', '.join(sorted(SEEDS))})")
    with store.lock:
        if DEMO_DATABASE_ID in store.databases:
            if not replace:
                return _summary(store)
            store.delete_database(DEMO_DATABASE_ID, force=True)
        saved_ids, saved_now = store.ids, store.now_override
        store.ids = IdFactory(f"seed:{name}")
        store.now_override = _DEMO_EPOCH
        try:
            with store.persist.transaction():
                return builder(store)
        finally:
            store.ids, store.now_override = saved_ids, saved_now
