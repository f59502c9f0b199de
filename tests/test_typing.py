"""Static types of field descriptors: ``mypy --strict tests/test_typing.py`` checks the
``assert_type`` lines; pytest runs them too, so the example models stay valid at run time."""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from softr_orm import fields
from softr_orm.fields.values import Attachment, SoftrUser
from softr_orm.models.base import Model

if sys.version_info >= (3, 11):
    from typing import assert_type
else:  # pragma: no cover
    from typing_extensions import assert_type


class Company(Model):
    name = fields.SingleLineText("Name")
    tier = fields.Select("Tier")

    class Meta:
        database = "3f6c2a9e-8b1d-4c7e-9a52-1d0e7b4c6f21"
        table = "Companies"


class Contact(Model):
    name = fields.SingleLineText("Full Name")
    about = fields.LongText("About")
    email = fields.Email("Email", required=True)
    phone = fields.Phone("Phone")
    website = fields.URL("Website")
    score = fields.Number("Score")
    budget = fields.Currency("Budget")
    probability = fields.Percent("Probability")
    rating = fields.Rating("Rating", max=10)
    call_time = fields.Duration("Call time")
    newsletter = fields.Checkbox("Newsletter")
    stage = fields.Select("Stage")
    tags = fields.Select("Tags", multiple=True)
    owner = fields.User("Owner")
    watchers = fields.User("Watchers", multiple=True)
    company = fields.LinkedRecord("Company", to=Company)
    employer = fields.LinkedRecord("Employer", to=Company, multiple=False)
    referrer = fields.LinkedRecord("Referrer", to="Contact")
    files = fields.Attachment("Files")
    joined = fields.Date("Joined")
    last_call = fields.DateTime("Last call")
    industry = fields.Lookup("Company industry")
    industry_scores = fields.Lookup("Company scores", of=fields.Number)
    pipeline = fields.Rollup("Pipeline value")
    pipeline_exact = fields.Rollup("Pipeline exact", returns=fields.Currency)
    total = fields.Formula("Total")
    total_number = fields.Formula("Total number", returns=fields.Number)
    created = fields.CreatedAt("Created")
    updated = fields.UpdatedAt("Updated")
    created_by = fields.CreatedBy("Created by")
    updated_by = fields.UpdatedBy("Updated by")
    number = fields.Autonumber("Deal number")
    record_id = fields.RecordId("Record ID")
    address = fields.Raw("Address")

    class Meta:
        database = "3f6c2a9e-8b1d-4c7e-9a52-1d0e7b4c6f21"
        table = "Contacts"


def test_class_access_gives_the_field() -> None:
    """On the class, every attribute is the field object, typed with its class."""
    assert_type(Contact.name, fields.SingleLineText)
    assert_type(Contact.score, fields.Number)
    assert_type(Contact.budget, fields.Currency)
    assert_type(Contact.stage, fields.Select[str | None])
    assert_type(Contact.tags, fields.Select[list[str]])
    assert_type(Contact.company, fields.LinkedRecord[list[Company]])
    assert_type(Contact.employer, fields.LinkedRecord[Company | None])
    assert_type(Contact.created, fields.CreatedAt)
    assert_type(Contact.total_number, fields.Formula[int | float | None])
    assert isinstance(Contact.score, fields.Number)
    assert isinstance(Contact.tags, fields.Select) and Contact.tags.multiple
    assert isinstance(Contact.employer, fields.LinkedRecord) and not Contact.employer.multiple


def test_instance_access_gives_values() -> None:
    """On an instance, each attribute has its Python value type; list fields are never None."""
    c = Contact(
        name="Jane",
        email="jane@example.com",
        score=42,
        budget=Decimal("19.99"),
        tags=["vip"],
        joined=date(2026, 5, 1),
        last_call=datetime(2026, 5, 1, 9, 30, tzinfo=timezone.utc),
        call_time=timedelta(minutes=5),
    )
    assert_type(c.name, str | None)
    assert_type(c.about, str | None)
    assert_type(c.email, str | None)
    assert_type(c.phone, str | None)
    assert_type(c.website, str | None)
    assert_type(c.score, int | float | None)
    assert_type(c.budget, Decimal | None)
    assert_type(c.probability, int | float | None)
    assert_type(c.rating, int | None)
    assert_type(c.call_time, timedelta | None)
    assert_type(c.newsletter, bool)
    assert_type(c.stage, str | None)
    assert_type(c.tags, list[str])
    assert_type(c.owner, SoftrUser | None)
    assert_type(c.watchers, list[SoftrUser])
    assert_type(c.company, list[Company])
    assert_type(c.employer, Company | None)
    assert_type(c.referrer, list[Any])
    assert_type(c.files, list[Attachment])
    assert_type(c.joined, date | None)
    assert_type(c.last_call, datetime | None)
    assert_type(c.industry, list[Any])
    assert_type(c.industry_scores, list[int | float | None])
    assert_type(c.pipeline, Any)
    assert_type(c.pipeline_exact, Decimal | None)
    assert_type(c.total, Any)
    assert_type(c.total_number, int | float | None)
    assert_type(c.created, datetime | None)
    assert_type(c.updated, datetime | None)
    assert_type(c.created_by, SoftrUser | None)
    assert_type(c.updated_by, SoftrUser | None)
    assert_type(c.number, int | None)
    assert_type(c.record_id, str | None)
    assert_type(c.address, Any)

    assert c.score == 42 and isinstance(c.score, int)
    assert c.budget == Decimal("19.99")
    assert c.tags == ["vip"]
    assert c.watchers == [] and c.files == [] and c.company == []
    assert c.newsletter is False
    assert c.employer is None
    assert c.joined == date(2026, 5, 1)
    assert c.call_time == timedelta(minutes=5)


def test_values_narrow_like_plain_values() -> None:
    """Typed values work with ordinary narrowing, e.g. ``if c.score is not None``."""
    c = Contact(score=2.5, email="a@b.co")
    score = c.score
    if score is not None:
        assert_type(score, int | float)
        assert score * 2 == 5.0
    for tag in c.tags:
        assert_type(tag, str)
    assert c.tags == []


def test_plain_data_and_database_overrides_are_typed() -> None:
    """``to_dict(mode="json")``, ``to_json()`` and ``override_database()`` have precise types."""
    from collections.abc import Mapping

    import softr_orm

    c = Contact(score=1.5, budget=Decimal("2.50"), joined=date(2024, 3, 5), email="a@b.co")
    assert_type(c.to_dict(mode="json"), dict[str, Any])
    assert_type(c.to_json(), str)
    data = c.to_dict(mode="json")
    assert (data["budget"], data["joined"], data["score"]) == ("2.50", "2024-03-05", 1.5)
    with softr_orm.override_database({"a": "b"}) as active:
        assert_type(active, Mapping[str, str])
        assert active == {"a": "b"}


def _write_by_key_types(rows: list[dict[str, Any]]) -> None:
    """Checked by mypy only (it would need a live table): the writes by key are typed."""
    from softr_orm.models.manager import Duplicates
    from softr_orm.query.bulk import BulkResult
    from softr_orm.query.writes import UpsertResult

    assert_type(Contact.objects.bulk_create([Contact(email="a@b.co")]), BulkResult)
    assert_type(Contact.objects.upsert(rows, key=("email",), progress=True), UpsertResult)
    assert_type(Contact.objects.upsert([Contact(email="a@b.co")], key=("email",)), UpsertResult)
    made = Contact.objects.update_or_create(defaults={"score": 1}, email="a@b.co")
    assert_type(made, tuple[Contact, bool])
    assert_type(Contact.objects.dedupe(key=("email",)), Duplicates[Contact])
    assert_type(Contact.objects.upsert(rows, key=("email",)).unknown, dict[str, Exception])
