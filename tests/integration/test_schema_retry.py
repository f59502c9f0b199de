"""A schema failure is retried after a short back-off, never cached for good (issue 12)."""

from __future__ import annotations

import pytest

from softr_orm import Model, Session, fields
from softr_orm.errors import SchemaError
from softr_orm.query import binding


def test_a_field_put_back_is_found_after_the_back_off(
    session: Session, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Missing field: SchemaError, then (within the back-off) again without a request, then
    (after it) the schema is read afresh and the query works."""
    title = {"name": "Title", "type": "SINGLE_LINE_TEXT"}
    made = session.create_table(database, "Tickets", fields=[title])

    class Ticket(Model):
        title = fields.SingleLineText("Title")
        points = fields.Number("Points")

        class Meta:
            database = made.database_id
            table = "Tickets"

    now = [1000.0]
    monkeypatch.setattr(binding, "clock", lambda: now[0])
    tickets = Ticket.objects.using(session)
    with pytest.raises(SchemaError, match="Points"):
        tickets.count()
    made.add_field("Points", "NUMBER")
    session.reset_request_count()
    for _ in range(3):
        with pytest.raises(SchemaError, match="Points"):
            tickets.count()
    assert session.request_count == 0  # answered from memory within the back-off
    now[0] += binding.SCHEMA_RETRY_AFTER + 0.01
    assert tickets.count() == 0
    assert session.request_count >= 1
    tickets.create(title="A", points=3)
    assert tickets.get(title="A").points == 3


def test_a_missing_table_is_looked_up_again_after_the_back_off(
    session: Session, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Later(Model):
        title = fields.LongText("Title")

        class Meta:
            database = "x"
            table = "Later"

    Later._meta.database = database
    now = [1000.0]
    monkeypatch.setattr(binding, "clock", lambda: now[0])
    with pytest.raises(SchemaError, match="Later"):
        Later.objects.using(session).count()
    session.create_table(database, "Later", fields=[{"name": "Title", "type": "LONG_TEXT"}])
    with pytest.raises(SchemaError):
        Later.objects.using(session).count()
    now[0] += binding.SCHEMA_RETRY_AFTER + 0.01
    assert Later.objects.using(session).count() == 0
