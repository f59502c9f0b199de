"""``softr-orm demo``: a tour of the ORM against the embedded emulator and its demo CRM.

It starts the emulator in-process on a free loopback port, seeds the demo CRM (Companies,
Contacts, Deals), declares models for it (below, exactly as a user would), and walks through
queries, ``explain()``, a prefetch, an edit (showing the PATCH body it sent) and a count.
Everything runs offline; the output is the same on every run.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

from softr_orm import fields
from softr_orm.backends.softr.session import Session
from softr_orm.emulator.seeds import DEMO_DATABASE_ID
from softr_orm.http.jsonutil import loads
from softr_orm.http.session import RequestEvent
from softr_orm.models.base import Model
from softr_orm.query.queryset import Q

__all__ = ["Company", "Contact", "Deal", "run"]


class Company(Model):
    name = fields.SingleLineText("Name")
    website = fields.URL("Website")
    industry = fields.Select("Industry")
    employees = fields.Number("Employees")
    revenue = fields.Currency("Annual revenue")
    contacts = fields.LinkedRecord("Contacts", to="Contact")
    pipeline = fields.Rollup("Pipeline value")
    deal_count = fields.Rollup("Deal count")
    created = fields.CreatedAt("Created")

    class Meta:
        database = DEMO_DATABASE_ID
        table = "Companies"


class Contact(Model):
    name = fields.SingleLineText("Full Name")
    email = fields.Email("Email", required=True)
    phone = fields.Phone("Phone")
    score = fields.Number("Score")
    budget = fields.Currency("Budget")
    tags = fields.Select("Tags", multiple=True)
    company = fields.LinkedRecord("Company", to=Company, multiple=False)
    industry = fields.Lookup("Company industry")
    joined = fields.Date("Joined")
    last_call = fields.DateTime("Last call")
    newsletter = fields.Checkbox("Newsletter")
    created = fields.CreatedAt("Created")

    class Meta:
        database = DEMO_DATABASE_ID
        table = "Contacts"


class Deal(Model):
    title = fields.SingleLineText("Title")
    amount = fields.Currency("Amount")
    probability = fields.Percent("Probability")
    stage = fields.Select("Stage")
    company = fields.LinkedRecord("Company", to=Company, multiple=False)
    expected = fields.Formula("Expected value")
    close_date = fields.Date("Close date")
    number = fields.Autonumber("Deal number")

    class Meta:
        database = DEMO_DATABASE_ID
        table = "Deals"


def _money(value: Decimal | None) -> str:
    return "-" if value is None else f"${value:,.2f}"


def run(out: Callable[[str], None] = print) -> int:
    """Run the tour, writing lines to ``out``. Returns the process exit code (0)."""
    from softr_orm.emulator import Emulator

    def section(title: str) -> None:
        out("")
        out(f"== {title}")

    with Emulator(seed="demo") as emu:
        session = Session(emu.api_key, base_url=emu.base_url)
        sent: list[RequestEvent] = []
        session.add_listener(sent.append)
        Company_ = Company.objects.using(session)
        Contact_ = Contact.objects.using(session)
        Deal_ = Deal.objects.using(session)
        out(f"softr-orm demo: an emulated Softr at {emu.base_url} (offline, seeded CRM)")

        section("How many? (one request each, limit=1, metadata.total)")
        out(
            f"companies: {Company_.count()}   contacts: {Contact_.count()}   deals: {Deal_.count()}"
        )

        section("Top-scored VIP or lead contacts with a company, best first")
        qs = (
            Contact_.filter(tags__has_any=["vip", "lead"], score__gte=50)
            .exclude(company__isnull=True)
            .order_by("-score", "name")
        )
        for c in qs[:5]:
            tags = ", ".join(c.tags)
            out(f"  {c.name:<22} score {c.score!s:>4}   [{tags}]")
        out("The search body that query sends (qs.explain()):")
        for line in json.dumps(qs[:5].explain()[0], indent=2).splitlines():
            out("  " + line)

        section("Biggest deals won or in proposal, with their companies (prefetch)")
        before = session.request_count
        deals = list(
            Deal_.filter(Q(stage="Won") | Q(stage="Proposal"))
            .order_by("-amount")
            .prefetch("company")[:8]
        )
        for d in deals:
            company = d.company.name if d.company else "-"
            out(f"  #{d.number:<3} {d.title:<30} {_money(d.amount):>12}  {d.stage:<9} {company}")
        out(
            f"{len(deals)} deals and their companies in {session.request_count - before} "
            "requests (without prefetch: one more per deal)"
        )

        section("Edit a contact: only the changed fields are sent")
        contact = Contact_.filter(newsletter=False).order_by("name").first()
        assert contact is not None
        out(f"  before: {contact!r} score={contact.score} tags={contact.tags}")
        contact.score = (contact.score or 0) + 10
        if "vip" in contact.tags:
            contact.tags.remove("vip")  # in-place mutation is tracked too
        else:
            contact.tags.append("vip")
        out(f"  changed_fields: {contact.changed_fields}")
        mark = len(sent)
        result = contact.save()
        patch = next(e for e in sent[mark:] if e.method == "PATCH")
        out(f"  PATCH {patch.path}")
        out(f"  body: {json.dumps(loads(patch.body or b'{}'))}")
        out(f"  saved fields: {', '.join(result.updated)}; dirty now: {contact.is_dirty}")
        mark = len(sent)
        contact.save()
        out(f"  saving again sends {len(sent) - mark} requests (nothing changed)")

        section("Create, count, and clean up")
        new = Contact_.create(name="Ada Demo", email="ada@example.com", score=99, tags=["lead"])
        out(f"  created {new!r}")
        out(f"  contacts scoring 90 or more: {Contact_.filter(score__gte=90).count()}")
        new.delete()
        out(f"  deleted; contacts now: {Contact_.count()}")
        out("")
        out(f"Done: {session.request_count} HTTP requests in all.")
    return 0
