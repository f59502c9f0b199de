"""Hydrating records into model instances and reading every field, beside raw dicts.

10,000 records of 10 mixed fields (text, email, number, currency, checkbox, date, datetime,
single select, multi select, percent). The ORM side builds an instance per record and reads
each field once (converting it on first access); the baseline reads the same values from the
raw dicts. Target (issue "Models"): at most 3 µs per record for the ORM side.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from benchmarks._util import median_seconds, print_table, row
from softr_orm import fields
from softr_orm.backends.softr.resources import Table
from softr_orm.models.base import Model
from softr_orm.query.binding import Binding

N = 10_000
FIELDS = [
    ("f0001", "Name", "SINGLE_LINE_TEXT"),
    ("f0002", "Email", "EMAIL"),
    ("f0003", "Score", "NUMBER"),
    ("f0004", "Budget", "CURRENCY"),
    ("f0005", "Active", "CHECKBOX"),
    ("f0006", "Joined", "DATE"),
    ("f0007", "Last call", "DATETIME"),
    ("f0008", "Stage", "SELECT"),
    ("f0009", "Tags", "SELECT"),
    ("f0010", "Progress", "PERCENT"),
]


class Person(Model):
    name = fields.SingleLineText("Name")
    email = fields.Email("Email")
    score = fields.Number("Score")
    budget = fields.Currency("Budget")
    active = fields.Checkbox("Active")
    joined = fields.Date("Joined")
    last_call = fields.DateTime("Last call")
    stage = fields.Select("Stage")
    tags = fields.Select("Tags", multiple=True)
    progress = fields.Percent("Progress")

    class Meta:
        database = "bench"
        table = "People"


ATTNAMES = list(Person._meta.fields)


def make_records(n: int = N, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    records = []
    for i in range(n):
        records.append(
            {
                "id": f"r{i:013d}",
                "tableId": "tPeople0000000",
                "fields": {
                    "f0001": f"Person {i}",
                    "f0002": f"p{i}@example.com",
                    "f0003": rng.randint(0, 100),
                    "f0004": Decimal(f"{rng.randint(0, 99999)}.{rng.randint(0, 99):02d}"),
                    "f0005": rng.random() < 0.5,
                    "f0006": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                    "f0007": f"2026-05-{rng.randint(1, 28):02d}T12:{rng.randint(0, 59):02d}:00Z",
                    "f0008": {"id": "c1", "label": rng.choice(["Lead", "Won", "Lost"])},
                    "f0009": [{"id": "t1", "label": "vip"}, {"id": "t2", "label": "lead"}],
                    "f0010": rng.randint(0, 100),
                },
                "createdAt": "2026-04-11T07:59:03.000Z",
                "updatedAt": "2026-04-11T08:12:44.000Z",
            }
        )
    return records


def make_binding() -> Binding:
    table = Table.from_api(
        {
            "id": "tPeople0000000",
            "name": "People",
            "primaryFieldId": "f0001",
            "fields": [
                {"id": fid, "name": name, "type": ftype, "allowMultipleEntries": fid == "f0009"}
                for fid, name, ftype in FIELDS
            ],
        }
    )
    ids = {attname: fid for attname, (fid, _, _) in zip(ATTNAMES, FIELDS, strict=True)}
    return Binding(
        session=None,  # type: ignore[arg-type]  # never used: no request is made
        database_id="bench",
        table_id=table.id,
        table=table,
        ids=ids,
        attnames={v: k for k, v in ids.items()},
        table_fields={a: table.fields[i] for i, a in enumerate(ATTNAMES)},
        record_id_field=None,
        primary_attname="name",
        extra={"model": Person},
    )


def run() -> list[dict[str, Any]]:
    records = make_records()
    binding = make_binding()
    field_ids = [fid for fid, _, _ in FIELDS]
    from_api = Person._from_api

    def orm() -> None:
        for record in records:
            p = from_api(record, binding)
            for attname in ATTNAMES:
                getattr(p, attname)

    def raw() -> None:
        for record in records:
            values = record["fields"]
            for fid in field_ids:
                values.get(fid)

    orm_s = median_seconds(orm, repeat=5)
    raw_s = median_seconds(raw, repeat=5)
    per_record_us = orm_s / N * 1e6
    return [
        row(
            "hydrate 10k records x 10 fields, read all (per record)",
            per_record_us,
            "µs",
            baseline=raw_s / N * 1e6,
            target="<= 3 µs/record",
            met=per_record_us <= 3.0,
        )
    ]


if __name__ == "__main__":
    print_table(run())
