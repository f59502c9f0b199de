"""The models the Baserow tests use: one field of every mapped type (ids set by fixtures)."""

from __future__ import annotations

from softr_orm import Model, fields


class Project(Model):
    name = fields.SingleLineText("Name")
    budget = fields.Number("Budget")


class Task(Model):
    title = fields.SingleLineText("Title")
    notes = fields.LongText("Notes")
    points = fields.Number("Points")
    price = fields.Currency("Price")
    done = fields.Checkbox("Done")
    due = fields.Date("Due")
    at = fields.DateTime("At")
    project = fields.LinkedRecord("Project", to=Project)
    status = fields.Select("Status")
    tags = fields.Select("Tags", multiple=True)
    files = fields.Attachment("Files")
    email = fields.Email("Email")
    site = fields.URL("Site")
    phone = fields.Phone("Phone")
    stars = fields.Rating("Stars")
    spent = fields.Duration("Spent")
    created = fields.CreatedAt("Created")
    modified = fields.UpdatedAt("Modified")
    creator = fields.CreatedBy("Creator")
    editor = fields.UpdatedBy("Editor")
    people = fields.User("People", multiple=True)
    num = fields.Autonumber("Num")
    key = fields.Raw("Key")
    double = fields.Formula("Double", returns=fields.Number)
    project_names = fields.Lookup("Project names")
    project_count = fields.Formula("Project count", returns=fields.Number)
    budget_sum = fields.Rollup("Budget sum", returns=fields.Number)
    secret = fields.Raw("Secret")
