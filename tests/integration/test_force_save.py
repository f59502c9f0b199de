"""save(force=True) never sends a field Softr marks read-only, and says which it left out
(issue 12, "requests Softr accepts")."""

from __future__ import annotations

from typing import Any

from softr_orm import Model, Session, fields
from softr_orm.http.util import RequestEvent


def test_force_save_leaves_out_live_read_only_fields(session: Session, database: str) -> None:
    made = session.create_table(
        database,
        "Deals",
        fields=[
            {"name": "Title", "type": "SINGLE_LINE_TEXT"},
            {"name": "Locked", "type": "SINGLE_LINE_TEXT", "readonly": True},
            {"name": "Total", "type": "FORMULA", "options": {"formula": "1 + 1"}},
        ],
    )

    class Deal(Model):
        title = fields.SingleLineText("Title")
        locked = fields.SingleLineText("Locked")  # declared writable, live readonly: true
        total = fields.Raw("Total")  # a Raw field bound to a FORMULA

        class Meta:
            database = made.database_id
            table = "Deals"

    deals = Deal.objects.using(session)
    deal = deals.create(title="Big")
    events: list[RequestEvent] = []
    session.add_listener(events.append)
    result = deal.save(force=True)
    assert result.forced and result.updated == ("title",)
    assert sorted(result.skipped) == ["locked", "total"]
    patch = [e for e in events if e.method == "PATCH"]
    assert len(patch) == 1 and patch[0].status == 200
    sent: Any = patch[0].body
    ids = {f.name: f.id for f in made.fields}
    assert ids["Title"].encode() in sent
    assert ids["Locked"].encode() not in sent and ids["Total"].encode() not in sent
    assert deals.get(id=deal.id).title == "Big"
