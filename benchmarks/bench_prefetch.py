"""Reading a linked record of 200 parents: ``prefetch()`` against the N+1 loop.

Run ``python -m benchmarks.bench_prefetch`` (or ``python -m benchmarks --only prefetch``).

A demo-like CRM in the emulator (50 ms latency, Softr's rate limits on): 30 companies and 200
contacts, each contact linked to one company. The loop under test reads every contact's
company name::

    for c in Contact.objects.using(session).prefetch("company"):
        c.company.name

* ORM with ``prefetch("company")``: one search for the contacts, then one ``IS_ONE_OF``
  search on the companies' RECORD_ID field for all 30 linked ids (2 requests).
* ORM with ``prefetch`` of a link to a copy of the companies table *without* a RECORD_ID
  field: the 30 companies are fetched by concurrent GETs within the read rate limit (31).
* ORM N+1: the same loop without ``prefetch``: each ``c.company`` loads its company (201).
* Baseline: plain ``requests``, the contacts page and then one GET per contact for its
  company, one after another (201), as hand-written code usually does.

Sessions have read the schemas before the timed part, so request counts are the query's own.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import requests

from benchmarks._util import print_table, row
from softr_orm import Session, fields
from softr_orm.emulator import Emulator
from softr_orm.models.base import Model
from softr_orm.query.binding import bind

PARENTS = 200
COMPANIES = 30
LATENCY_MS = 50
#: Seconds to wait before a timed run, so the server's one-second rate window starts empty.
QUIET = 1.05

_INDUSTRIES = ["Software", "Retail", "Manufacturing", "Finance", "Health"]
_INDUSTRY_FIELD: dict[str, Any] = {
    "name": "Industry",
    "type": "SELECT",
    "options": {"choices": [{"label": label} for label in _INDUSTRIES]},
}


def _populate(emu: Emulator) -> dict[str, Any]:
    """Companies (with a RECORD_ID field), the same without one, and linked contacts."""
    rng = random.Random(11)
    db = emu.create_database("Prefetch bench")
    companies = emu.create_table(
        db["id"],
        "Companies",
        [
            {"name": "Name", "type": "SINGLE_LINE_TEXT"},
            _INDUSTRY_FIELD,
            {"name": "Record ID", "type": "RECORD_ID"},
        ],
    )
    plain = emu.create_table(
        db["id"], "Companies plain", [{"name": "Name", "type": "SINGLE_LINE_TEXT"}, _INDUSTRY_FIELD]
    )
    contacts = emu.create_table(
        db["id"],
        "Contacts",
        [
            {"name": "Full Name", "type": "SINGLE_LINE_TEXT"},
            {"name": "Email", "type": "EMAIL"},
            {
                "name": "Company",
                "type": "LINKED_RECORD",
                "options": {"linkedTableId": companies["id"]},
            },
            {
                "name": "Company plain",
                "type": "LINKED_RECORD",
                "options": {"linkedTableId": plain["id"]},
            },
        ],
    )
    ids: dict[str, list[str]] = {}
    for table in (companies, plain):
        f = {field["name"]: field["id"] for field in table["fields"]}
        ids[table["name"]] = emu.insert_records(
            db["id"],
            table["id"],
            [
                {f["Name"]: f"Company {i:02d}", f["Industry"]: rng.choice(_INDUSTRIES)}
                for i in range(COMPANIES)
            ],
        )
    f = {field["name"]: field["id"] for field in contacts["fields"]}
    links = [rng.randrange(COMPANIES) for _ in range(PARENTS)]
    emu.insert_records(
        db["id"],
        contacts["id"],
        [
            {
                f["Full Name"]: f"Contact {i:03d}",
                f["Email"]: f"contact{i}@example.com",
                f["Company"]: [ids["Companies"][k]],
                f["Company plain"]: [ids["Companies plain"][k]],
            }
            for i, k in enumerate(links)
        ],
    )
    return {
        "database_id": db["id"],
        "companies": companies["id"],
        "contacts": contacts["id"],
        "company_field": f["Company"],
        "name_field": {fld["name"]: fld["id"] for fld in companies["fields"]}["Name"],
        "linked": len(set(links)),
    }


def _models(database_id: str) -> tuple[type[Model], type[Model], type[Model]]:
    class PrefetchCompany(Model):
        name = fields.SingleLineText("Name")
        industry = fields.Select("Industry")

        class Meta:
            database = database_id
            table = "Companies"

    class PrefetchPlainCompany(Model):
        name = fields.SingleLineText("Name")
        industry = fields.Select("Industry")

        class Meta:
            database = database_id
            table = "Companies plain"

    class PrefetchContact(Model):
        name = fields.SingleLineText("Full Name")
        email = fields.Email("Email")
        company = fields.LinkedRecord("Company", to=PrefetchCompany, multiple=False)
        company_plain = fields.LinkedRecord(
            "Company plain", to=PrefetchPlainCompany, multiple=False
        )

        class Meta:
            database = database_id
            table = "Contacts"

    return PrefetchCompany, PrefetchPlainCompany, PrefetchContact


def _timed(work: Callable[[], list[str]], session: Session | None) -> tuple[float, int, int]:
    """``(seconds, requests, names read)`` of one run of ``work`` after a quiet second."""
    time.sleep(QUIET)
    before = session.request_count if session is not None else 0
    started = time.perf_counter()
    names = work()
    seconds = time.perf_counter() - started
    sent = session.request_count - before if session is not None else -1
    if len(names) != PARENTS or not all(names):
        raise AssertionError(f"expected {PARENTS} company names, got {len(names)}")
    return seconds, sent, len(names)


def run(repeat: int = 3, slow_repeat: int | None = None) -> list[dict[str, Any]]:
    """Time each variant; ``repeat`` runs of the fast ones, ``slow_repeat`` of the N+1 loops."""
    slow_repeat = repeat if slow_repeat is None else slow_repeat
    with Emulator(rate_limit=True, latency_ms=LATENCY_MS) as emu, requests.Session() as http:
        info = _populate(emu)
        company_model, plain_model, contact_model = _models(info["database_id"])

        def session() -> Session:
            s = Session(emu.api_key, base_url=emu.base_url, rate_limit=True)
            for model in (company_model, plain_model, contact_model):
                bind(model, s)
            return s

        def orm(s: Session, link: str, prefetch: bool) -> Callable[[], list[str]]:
            def work() -> list[str]:
                query = contact_model.objects.using(s).all()
                if prefetch:
                    query = query.prefetch(link)
                return [getattr(c, link).name for c in query]

            return work

        http.headers["Softr-Api-Key"] = emu.api_key
        records = f"{emu.base_url}/databases/{info['database_id']}/tables"
        contacts_url = f"{records}/{info['contacts']}/records"
        companies_url = f"{records}/{info['companies']}/records"

        def raw() -> list[str]:
            response = http.post(
                contacts_url + "/search", json={"paging": {"offset": 0, "limit": PARENTS}}
            )
            response.raise_for_status()
            names = []
            for contact in response.json()["data"]:
                link = contact["fields"][info["company_field"]]
                company_id = link[0]["id"] if isinstance(link[0], dict) else link[0]
                got = http.get(f"{companies_url}/{company_id}")
                got.raise_for_status()
                names.append(got.json()["data"]["fields"][info["name_field"]])
            return names

        plan = (
            ("prefetch", "company", True, repeat),
            ("prefetch_gets", "company_plain", True, repeat),
            ("n_plus_1", "company", False, slow_repeat),
            ("raw", "", False, slow_repeat),
        )
        cases: dict[str, list[tuple[float, int, int]]] = {name: [] for name, *_ in plan}
        # Round robin (A B C D A B C D ...), so a drifting machine load falls on all alike.
        for index in range(max(repeat, slow_repeat)):
            for name, link, prefetch, n in plan:
                if index >= n:
                    continue
                if name == "raw":
                    cases[name].append(_timed(raw, None))
                    continue
                s = session()
                cases[name].append(_timed(orm(s, link, prefetch), s))
                s.close()

    def seconds(name: str) -> float:
        return statistics.median(r[0] for r in cases[name])

    def sent(name: str) -> int:
        return max(r[1] for r in cases[name])

    raw_s, n1_s = seconds("raw"), seconds("n_plus_1")
    raw_requests = 1 + PARENTS
    linked = info["linked"]
    results = []
    for name, label, expected in (
        ("prefetch", "RECORD_ID search", 2),
        ("prefetch_gets", "no RECORD_ID: GETs", 1 + linked),
    ):
        t = seconds(name)
        results.append(
            row(
                f"prefetch 200 -> company ({label})",
                t,
                "s",
                baseline=raw_s,
                target=f"{expected} requests, faster than N+1",
                met=sent(name) <= expected and t < n1_s,
                note=(
                    f"{sent(name)} requests vs {raw_requests} (raw N+1); {raw_s / t:.0f}x faster "
                    f"than the raw N+1 loop, {n1_s / t:.0f}x than the ORM's N+1"
                ),
            )
        )
    results.append(
        row(
            "N+1: ORM loop without prefetch (200 parents)",
            n1_s,
            "s",
            baseline=raw_s,
            note=(
                f"{sent('n_plus_1')} requests vs {raw_requests} (raw); "
                f"{(n1_s - raw_s) / PARENTS * 1000:+.1f} ms per parent over raw GETs "
                f"(each c.company is an IS_ONE_OF search)"
            ),
        )
    )
    results.append(
        row(
            "N+1: raw requests, sequential GETs (baseline)",
            raw_s,
            "s",
            note=f"{raw_requests} requests, {raw_s / raw_requests * 1000:.1f} ms each",
        )
    )
    return results


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    quick = "--quick" in args
    print_table(run(repeat=1 if quick else 3))
    return 0


if __name__ == "__main__":
    sys.exit(main())
