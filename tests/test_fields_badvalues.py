"""A corpus of bad values: every one is refused by ``clean`` with an error that names the
model, the field and the value (and is a ValueError, so plain ``except ValueError`` works)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

import pytest
from _field_standins import INDUSTRY_OPTIONS, Company, Deal, LiveField

from softr_orm import fields
from softr_orm.errors import InvalidValue, ReadOnlyField
from softr_orm.fields.values import Attachment, SoftrUser


class Ticket:
    subject = fields.SingleLineText("Subject")
    body = fields.LongText("Body")
    email = fields.Email("Email")
    phone = fields.Phone("Phone")
    website = fields.URL("Website")
    estimate = fields.Number("Estimate")
    amount = fields.Currency("Amount")
    progress = fields.Percent("Progress")
    stars = fields.Rating("Stars")
    spent = fields.Duration("Time spent")
    done = fields.Checkbox("Done")
    status = fields.Select("Status")
    industry = fields.Select("Industry")
    labels = fields.Select("Labels", multiple=True)
    assignee = fields.User("Assignee")
    watchers = fields.User("Watchers", multiple=True)
    customers = fields.LinkedRecord("Customers", to=Company)
    customer = fields.LinkedRecord("Customer", to=Company, multiple=False)
    screenshots = fields.Attachment("Screenshots")
    due = fields.Date("Due")
    remind_at = fields.DateTime("Remind at")
    extra = fields.Raw("Extra")
    looked_up = fields.Lookup("Looked up")
    rolled_up = fields.Rollup("Rolled up")
    formula = fields.Formula("Formula")
    created = fields.CreatedAt("Created")
    updated = fields.UpdatedAt("Updated")
    created_by = fields.CreatedBy("Created by")
    updated_by = fields.UpdatedBy("Updated by")
    number = fields.Autonumber("Number")
    record_id = fields.RecordId("Record ID")


Ticket.industry.bind_schema(LiveField("SELECT", options=INDUSTRY_OPTIONS))

NAIVE = datetime(2026, 5, 1, 9, 30)
AWARE = datetime(2026, 5, 1, 9, 30, tzinfo=timezone.utc)
T = Ticket

BAD_VALUES: list[tuple[fields.Field[Any], Any]] = [
    # text
    (T.subject, 5),
    (T.subject, 1.5),
    (T.subject, b"bytes"),
    (T.subject, ["a"]),
    (T.subject, {"a": 1}),
    (T.subject, True),
    (T.subject, "x" * 1025),
    (T.subject, object()),
    (T.body, "x" * 65537),
    (T.body, 3),
    (T.email, "not-an-email"),
    (T.email, "a@"),
    (T.email, "@example.com"),
    (T.email, "a b@example.com"),
    (T.email, " jane@example.com"),
    (T.email, "jane@example.com "),
    (T.email, 42),
    (T.email, "x" * 330 + "@example.com"),
    (T.phone, "call me"),
    (T.phone, "555-CALL"),
    (T.phone, "+1 212 555 0100 ext 1234567"),
    (T.phone, "()"),
    (T.phone, "+"),
    (T.phone, 12125550100),
    (T.website, "ftp://files.example/a"),
    (T.website, "example.com"),
    (T.website, "http://"),
    (T.website, "javascript:alert(1)"),
    (T.website, "https://exa mple.com"),
    (T.website, "/relative/path"),
    (T.website, "mailto:a@example.com"),
    (T.website, 5),
    # numbers
    (T.estimate, "3"),
    (T.estimate, True),
    (T.estimate, False),
    (T.estimate, float("nan")),
    (T.estimate, float("inf")),
    (T.estimate, Decimal("NaN")),
    (T.estimate, Decimal("-Infinity")),
    (T.estimate, [1]),
    (T.estimate, {"v": 1}),
    (T.estimate, complex(1, 2)),
    (T.estimate, date(2026, 1, 1)),
    (T.amount, 0.1),
    (T.amount, 19.99),
    (T.amount, "abc"),
    (T.amount, ""),
    (T.amount, "1,000.00"),
    (T.amount, True),
    (T.amount, Decimal("NaN")),
    (T.amount, "Infinity"),
    (T.amount, [Decimal(1)]),
    (T.progress, "50%"),
    (T.progress, True),
    (T.progress, float("nan")),
    (T.stars, 1.9),
    (T.stars, 0),
    (T.stars, 6),
    (T.stars, -1),
    (T.stars, True),
    (T.stars, "5"),
    (T.stars, 2.5),
    (T.stars, Decimal("2.5")),
    (T.stars, float("nan")),
    (T.stars, 10**9),
    (T.spent, 90),
    (T.spent, 1.5),
    (T.spent, "01:30"),
    (T.spent, Decimal("90")),
    (T.spent, True),
    (T.done, 1),
    (T.done, 0),
    (T.done, "true"),
    (T.done, "yes"),
    (T.done, None),
    (T.done, []),
    # choices
    (T.status, 5),
    (T.status, ""),
    (T.status, ["Open"]),
    (T.status, {"label": "Open"}),
    (T.status, True),
    (T.industry, "Mining"),
    (T.industry, "Soft ware"),
    (T.labels, "vip"),
    (T.labels, [1]),
    (T.labels, [""]),
    (T.labels, [None]),
    (T.labels, ["vip", 2]),
    (T.labels, 7),
    # users
    (T.assignee, 5),
    (T.assignee, ""),
    (T.assignee, " u1"),
    (T.assignee, "a@b"),
    (T.assignee, SoftrUser()),
    (T.assignee, ["u1"]),
    (T.assignee, {"fullName": "X"}),
    (T.assignee, 3.5),
    (T.watchers, "u1"),
    (T.watchers, [5]),
    (T.watchers, [SoftrUser(name="nobody")]),
    # links
    (T.customers, "r1"),
    (T.customers, [Company(None)]),
    (T.customers, [Deal("r1")]),
    (T.customers, [5]),
    (T.customers, ["has space"]),
    (T.customers, [""]),
    (T.customers, [{"label": "x"}]),
    (T.customers, 42),
    (T.customer, ["r1", "r2"]),
    (T.customer, Company(None)),
    (T.customer, Deal("r9")),
    (T.customer, 3.14),
    (T.customer, ""),
    # attachments
    (T.screenshots, "https://files.example/a.png"),
    (T.screenshots, ["ftp://files.example/a.png"]),
    (T.screenshots, ["not a url"]),
    (T.screenshots, [{"filename": "a.png"}]),
    (T.screenshots, [5]),
    (T.screenshots, [Attachment(url="file:///etc/passwd")]),
    (T.screenshots, Attachment(url="https://files.example/a.png")),
    (T.screenshots, [{"url": 5}]),
    # dates
    (T.due, AWARE),
    (T.due, NAIVE),
    (T.due, "2026-13-01"),
    (T.due, "01/05/2026"),
    (T.due, "2026-05-01T00:00:00"),
    (T.due, 20260501),
    (T.due, "today"),
    (T.remind_at, NAIVE),
    (T.remind_at, date(2026, 5, 1)),
    (T.remind_at, "2026-05-01T09:30:00"),
    (T.remind_at, "yesterday"),
    (T.remind_at, 1777627800000),
    (T.remind_at, "2026-05-01"),
    (T.remind_at, "PREDEFINED:TODAY"),
    # raw JSON only
    (T.extra, object()),
    (T.extra, {1: "a"}),
    (T.extra, float("nan")),
    (T.extra, {"a": {1, 2}}),
    (T.extra, b"x"),
]

READ_ONLY_VALUES: list[tuple[fields.Field[Any], Any]] = [
    (T.looked_up, ["x"]),
    (T.rolled_up, 5),
    (T.formula, "x"),
    (T.created, AWARE),
    (T.updated, None),
    (T.created_by, SoftrUser(id="u1")),
    (T.updated_by, "u1"),
    (T.number, 5),
    (T.record_id, "r1"),
]


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77]


def test_corpus_is_large_and_covers_every_writable_type() -> None:
    """At least 100 cases, over every writable field type."""
    assert len(BAD_VALUES) + len(READ_ONLY_VALUES) >= 100
    covered = {type(f) for f, _ in BAD_VALUES} | {type(f) for f, _ in READ_ONLY_VALUES}
    assert covered >= set(fields.FIELD_CLASSES.values())


@pytest.mark.parametrize(
    ("field", "value"), BAD_VALUES, ids=lambda x: x.attname if isinstance(x, fields.Field) else ""
)
def test_bad_value_is_refused(field: fields.Field[Any], value: Any) -> None:
    """clean raises InvalidValue (a ValueError) naming model, field and value."""
    with pytest.raises(InvalidValue) as info:
        field.clean(value)
    error = info.value
    assert isinstance(error, ValueError)
    message = str(error)
    assert message.startswith(f"Ticket.{field.attname}: ")
    assert _shown(value) in message
    assert error.model == "Ticket" and error.field == field.attname
    assert error.reason and error.reason in message


@pytest.mark.parametrize(
    ("field", "value"),
    READ_ONLY_VALUES,
    ids=lambda x: x.attname if isinstance(x, fields.Field) else "",
)
def test_read_only_value_is_refused(field: fields.Field[Any], value: Any) -> None:
    """Read-only types raise ReadOnlyField naming model, field and value."""
    with pytest.raises(ReadOnlyField) as info:
        field.clean(value)
    message = str(info.value)
    assert f"Ticket.{field.attname} is read-only" in message
    assert _shown(value) in message
