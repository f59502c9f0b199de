"""A user's app models, as an app would declare them: fixed ids, not generated.

``tests/integration/test_create_tables_for.py`` builds these tables in the emulator with
``Emulator.create_tables_for`` and uses the models unchanged.
"""

from __future__ import annotations

from softr_orm import Model, fields

DATABASE_ID = "0b7c7a4e-5d1f-4a39-9c2e-3f6a1d2b8e11"


class Company(Model):
    """Companies: the table is pinned by id, fields partly by id."""

    name = fields.SingleLineText("Name", field_id="cNam1")
    website = fields.URL("Website")
    size = fields.Number("Employees", field_id="cEmp1")
    industry = fields.Select("Industry")
    contacts = fields.LinkedRecord("Contacts", to="Contact", field_id="cCon1")

    class Meta:
        database = DATABASE_ID
        table = "Tb7Companies01"


class Contact(Model):
    """Contacts: the table is known by name; a single link back to Company."""

    full_name = fields.SingleLineText("Full Name", field_id="kNam1")
    email = fields.Email("Email")
    score = fields.Number("Score")
    tags = fields.Select("Tags", multiple=True)
    newsletter = fields.Checkbox("Newsletter")
    joined = fields.Date("Joined")
    rating = fields.Rating("Rating", max=3)
    company = fields.LinkedRecord("Company", to=Company, multiple=False, field_id="kCom1")
    created = fields.CreatedAt("Created")

    class Meta:
        database = DATABASE_ID
        table = "Contacts"
