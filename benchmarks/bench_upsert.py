"""Importing 500 rows by e-mail: ``upsert()`` against the Django-style loop.

Run ``python -m benchmarks.bench_upsert`` (or ``python -m benchmarks --only upsert``).

The emulator answers every request after 150 ms and enforces Softr's rate limits (40 reads/s,
30 writes/s per token); sessions limit themselves the same way. Each variant gets its own
table holding the same 200 contacts, and imports the same 500 rows: 150 of the existing
contacts with a new score, 50 unchanged, and 300 new contacts.

* ``upsert``: ``Contact.objects.upsert(rows, key=("email",))``: one search per 100 keys, then
  only the 450 writes needed, concurrently within the write budget. The issue asks for at
  most 600 requests and 25 s.
* Baseline, the Django-style loop a user writes without it, one row after another::

      for row in rows:
          obj = Contact.objects.filter(email=row["email"]).first()
          if obj is None:
              Contact.objects.create(**row)
          else:
              for name, value in row.items():
                  setattr(obj, name, value)
              obj.save()          # sends only the changed fields; none: no request

Sessions have read the schema before the timed part, so request counts are the import's own.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from benchmarks._util import print_table, row
from softr_orm import Session, fields
from softr_orm.emulator import Emulator
from softr_orm.models.base import Model
from softr_orm.query.binding import bind

ROWS = 500
EXISTING = 200
CHANGED = 150
LATENCY_MS = 150
#: Seconds to wait before a timed run, so the server's one-second rate window starts empty.
QUIET = 1.05
TARGET_REQUESTS = 600
TARGET_SECONDS = 25.0


def _rows() -> list[dict[str, Any]]:
    """150 changed, 50 unchanged existing contacts, then 300 new ones."""
    rows = []
    for n in range(ROWS):
        score = n + 1000 if n < CHANGED else n
        rows.append(
            {"email": f"member{n:03d}@import.example", "name": f"Member {n}", "score": score}
        )
    return rows


def _table(emu: Emulator, database_id: str, name: str) -> type[Model]:
    table = emu.create_table(
        database_id,
        name,
        [
            {"name": "Email", "type": "EMAIL"},
            {"name": "Name", "type": "SINGLE_LINE_TEXT"},
            {"name": "Score", "type": "NUMBER"},
        ],
    )
    fid = {f["name"]: f["id"] for f in table["fields"]}
    emu.insert_records(
        database_id,
        table["id"],
        [
            {
                fid["Email"]: f"member{n:03d}@import.example",
                fid["Name"]: f"Member {n}",
                fid["Score"]: n,
            }
            for n in range(EXISTING)
        ],
    )

    class ImportContact(Model):
        email = fields.Email("Email", required=True)
        name = fields.SingleLineText("Name")
        score = fields.Number("Score")

        class Meta:
            database = database_id
            table = name

    return ImportContact


def _check(model: type[Model], session: Session) -> None:
    stored = {str(c.email): c.score for c in model.objects.using(session).all()}
    expected = {r["email"]: r["score"] for r in _rows()}
    if stored != expected:
        raise AssertionError("the import did not leave the expected table")


def run(repeat: int = 1) -> list[dict[str, Any]]:
    """One run of each variant (the loop alone takes minutes); ``repeat`` is accepted for
    ``--quick`` and ignored."""
    del repeat
    rows = _rows()
    with Emulator(rate_limit=True, latency_ms=LATENCY_MS) as emu:
        database_id = str(emu.create_database("Upsert bench")["id"])
        results: dict[str, tuple[float, int]] = {}
        for variant in ("upsert", "loop"):
            model = _table(emu, database_id, f"Contacts {variant}")
            session = Session(emu.api_key, base_url=emu.base_url, rate_limit=True)
            bind(model, session)
            time.sleep(QUIET)
            before = session.request_count
            started = time.perf_counter()
            if variant == "upsert":
                result = model.objects.using(session).upsert(rows, key=("email",))
                if not result.ok or len(result.unchanged) != EXISTING - CHANGED:
                    raise AssertionError(f"upsert did not succeed: {result!r}")
            else:
                contacts = model.objects.using(session)
                for values in rows:
                    obj = contacts.filter(email=values["email"]).first()
                    if obj is None:
                        contacts.create(**values)
                    else:
                        for name, value in values.items():
                            setattr(obj, name, value)
                        obj.save()
            seconds = time.perf_counter() - started
            results[variant] = (seconds, session.request_count - before)
            _check(model, session)
            session.close()
    upsert_s, upsert_n = results["upsert"]
    loop_s, loop_n = results["loop"]
    return [
        row(
            f"upsert {ROWS} rows by email at {LATENCY_MS} ms, Softr's limits",
            upsert_s,
            "s",
            baseline=loop_s,
            target=f"<= {TARGET_REQUESTS} requests and <= {TARGET_SECONDS:g} s",
            met=upsert_n <= TARGET_REQUESTS and upsert_s <= TARGET_SECONDS,
            note=(
                f"{upsert_n} requests vs {loop_n} for the Django-style loop; "
                f"{loop_s / upsert_s:.1f}x faster"
            ),
        ),
        row(
            f"Django-style loop: filter().first(), then create() or save() ({ROWS} rows)",
            loop_s,
            "s",
            note=f"{loop_n} requests, one after another",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    del argv
    print_table(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
