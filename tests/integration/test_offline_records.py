"""``Model.from_record`` without the network: pinned field ids, or a schema snapshot.

A *closed* session (its transport refuses every call, and counts the attempts) proves that no
request is made, not merely that none succeeded.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests

import softr_orm
from softr_orm import Model, Session, fields
from softr_orm.cli import main
from softr_orm.emulator import Emulator
from softr_orm.query.snapshot import SNAPSHOT_FILENAME
from softr_orm.schema import load_module

pytestmark = pytest.mark.integration


class _RefusingAdapter(requests.adapters.BaseAdapter):
    """A transport that refuses every call (and remembers each attempt)."""

    def __init__(self) -> None:
        super().__init__()
        self.attempts: list[str] = []

    def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        self.attempts.append(f"{request.method} {request.url}")
        raise AssertionError(f"the network is closed: {request.method} {request.url}")

    def close(self) -> None:
        pass


@pytest.fixture
def closed() -> Iterator[tuple[Session, _RefusingAdapter]]:
    """A session whose every request is refused by its transport."""
    session = Session("closed-network-key", base_url="http://127.0.0.1:9", rate_limit=False)
    adapter = _RefusingAdapter()
    session._http.mount("http://", adapter)
    session._http.mount("https://", adapter)
    softr_orm.configure(session)
    yield session, adapter
    softr_orm.configure(None)
    session.close()


class PinnedCompany(Model):
    name = fields.SingleLineText("Name", field_id="cmpNm")

    class Meta:
        database = "pinnedDb"
        table = "Companies"


class PinnedContact(Model):
    name = fields.SingleLineText("Full Name", field_id="ctNam")
    budget = fields.Currency("Budget", field_id="ctBud")
    tags = fields.Select("Tags", field_id="ctTag", multiple=True)
    company = fields.LinkedRecord("Company", field_id="ctCmp", to=PinnedCompany, multiple=False)

    class Meta:
        database = "pinnedDb"
        table = "Contacts"


def test_pinned_ids_need_no_request(closed: tuple[Session, _RefusingAdapter]) -> None:
    """Payloads keyed by id or by name are read, tracked and serialized offline."""
    session, adapter = closed
    payload = {
        "id": "recJane0000001",
        "fields": {"ctNam": "Jane", "ctBud": "1234.50", "ctTag": ["vip"], "ctCmp": ["recAcme"]},
        "createdAt": "2024-03-05T10:00:00Z",
    }
    jane = PinnedContact.from_record(payload, session=session)
    assert (jane.name, jane.budget, jane.tags) == ("Jane", Decimal("1234.50"), ["vip"])
    assert jane.to_dict(mode="json")["company"] == "recAcme"
    assert jane.created_at is not None and jane.created_at.year == 2024
    jane.tags.append("lead")
    assert jane.changed_fields == {"tags": (["vip"], ["vip", "lead"])}
    by_name = PinnedContact.from_record({"id": "r2", "fields": {"Full Name": "Jo", "Budget": 3}})
    assert by_name.name == "Jo" and by_name.budget == Decimal(3)
    again = pickle.loads(pickle.dumps(jane))
    assert again.name == "Jane" and again.is_dirty
    assert adapter.attempts == []


def test_pinned_ids_need_no_session_at_all() -> None:
    """With every field pinned, from_record works before any session is configured (a
    webhook handler at import time), and converts every plain field at once."""
    softr_orm.configure(None)
    payload = {"id": "r1", "fields": {"ctNam": "Jane", "ctBud": "12.50", "ctTag": ["vip"]}}
    for _ in range(2):  # the first call makes the model's converters, the second reuses them
        jane = PinnedContact.from_record(payload)
        assert {"name", "budget", "tags"} <= set(jane.__dict__)  # converted when made
        assert (jane.name, jane.budget, jane.tags) == ("Jane", Decimal("12.50"), ["vip"])
        assert jane._binding is None and jane._session is None and not jane.is_dirty
    payload["fields"]["ctNam"] = "changed"  # the caller's dict, reused: the instance kept its own
    assert jane.name == "Jane" and not jane.is_dirty


def test_a_pinned_record_binds_when_it_is_saved(emu: Emulator, database: str) -> None:
    """Offline reading costs nothing; the first save binds to the live table and PATCHes."""
    table = emu.create_table(database, "Things", [{"name": "Label", "type": "SINGLE_LINE_TEXT"}])
    label_id = table["fields"][0]["id"]
    record_id = emu.insert_records(database, table["id"], [{label_id: "old"}])[0]

    class Thing(Model):
        label = fields.SingleLineText("Label", field_id=label_id)

        class Meta:
            database = "thingsDb"
            table = "Things"

    with (
        Session(emu.api_key, base_url=emu.base_url, rate_limit=False) as session,
        softr_orm.override_database({"thingsDb": database}),
    ):
        thing = Thing.from_record({"id": record_id, "fields": {label_id: "old"}}, session=session)
        assert thing.label == "old" and session.request_count == 0
        thing.label = "new"
        assert thing.save().updated == ("label",)
        assert Thing.objects.using(session).get(id=record_id).label == "new"


def test_a_snapshot_written_by_inspect_makes_from_record_offline(
    emu: Emulator,
    database: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    closed: tuple[Session, _RefusingAdapter],
) -> None:
    """``softr-orm inspect --snapshot`` writes softr_schema.json beside the models; models
    declared by name then read payloads with no request."""
    table = emu.create_table(
        database,
        "Leads",
        [{"name": "Full Name", "type": "SINGLE_LINE_TEXT"}, {"name": "Score", "type": "NUMBER"}],
    )
    ids = {f["name"]: f["id"] for f in table["fields"]}
    monkeypatch.setenv("SOFTR_API_KEY", emu.api_key)
    monkeypatch.setenv("SOFTR_BASE_URL", emu.base_url)
    monkeypatch.delenv("SOFTR_API_KEY_FILE", raising=False)
    generated = tmp_path / "gen_unused.py"
    assert main(["inspect", database, "--no-views", "-o", str(generated), "--snapshot"]) == 0
    assert (tmp_path / SNAPSHOT_FILENAME).is_file()
    models = tmp_path / "models_leads_offline.py"
    models.write_text(
        "from softr_orm import Model, fields\n\n\n"
        "class Lead(Model):\n"
        '    name = fields.SingleLineText("Full Name")\n'
        '    score = fields.Number("Score")\n\n'
        "    class Meta:\n"
        f"        database = {database!r}\n"
        '        table = "Leads"\n',
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    lead_model = load_module(str(models)).Lead
    session, adapter = closed
    lead = lead_model.from_record(
        {"id": "r1", "fields": {ids["Score"]: 7, ids["Full Name"]: "Ann"}}
    )
    assert (lead.name, lead.score) == ("Ann", 7)
    named = lead_model.from_record({"id": "r2", "fields": {"Full Name": "Bo"}}, session=session)
    assert named.name == "Bo" and named.score is None
    assert adapter.attempts == []
