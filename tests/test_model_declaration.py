"""Declaring models: one reserved list, ``Meta`` inheritance, abstract bases, ``ordering``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import responses

from softr_orm import Model, Session, fields
from softr_orm.errors import ConfigurationError
from softr_orm.models.declaration import model_attribute_names
from softr_orm.schema.codegen import RESERVED_ATTRIBUTES, snake_case
from tests._fake_schema import DB, make_session, mock_schema


@pytest.fixture
def session() -> Iterator[Session]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        mock_schema(rsps)
        yield make_session()


@pytest.mark.parametrize(
    "attname",
    [
        "to_dict",
        "to_json",
        "save",
        "changed_fields",
        "from_record",
        "_meta",
        "_raw",
        "is_dirty",
        "objects",
        "id",
        "pk",
        "check_schema",
        "DoesNotExist",
        "Meta",
        "_private",
    ],
)
def test_a_field_may_not_hide_a_model_attribute(attname: str) -> None:
    """Every attribute of Model (methods, properties, instance state) is refused by name."""
    with pytest.raises(ConfigurationError, match=rf"Bad\.{attname}: this name is reserved"):
        type("Bad", (Model,), {"__module__": __name__, attname: fields.SingleLineText("X")})


def test_a_field_may_not_hide_a_method_of_a_parent_model() -> None:
    """A helper method on a user's base model is protected too."""

    class Base(Model):
        name = fields.SingleLineText("Name")

        def label(self) -> str:
            return "x"

        class Meta:
            abstract = True

    with pytest.raises(ConfigurationError, match=r"Child\.label"):
        type("Child", (Base,), {"__module__": __name__, "label": fields.SingleLineText("L")})


def test_system_timestamps_and_parent_fields_may_be_redeclared() -> None:
    """``created_at`` may become a field, and a child may redeclare a parent's field."""

    class Base(Model):
        name = fields.SingleLineText("Name")
        created_at = fields.CreatedAt("Created")

        class Meta:
            abstract = True

    class Child(Base):
        name = fields.LongText("Name")

    assert isinstance(Child._meta.fields["name"], fields.LongText)
    assert "created_at" in Child._meta.fields


def test_inspect_and_declarations_share_one_reserved_list() -> None:
    """The code generator avoids exactly the names a declaration refuses (and ``fields``)."""
    assert model_attribute_names(Model) <= RESERVED_ATTRIBUTES
    assert snake_case("to dict") == "to_dict_" and snake_case("from record") == "from_record_"


def test_meta_inheritance_and_abstract_bases(session: Session) -> None:
    """``class Meta(Base.Meta)`` works; abstract is not inherited; options come down."""

    class Base(Model):
        name = fields.SingleLineText("Full Name")
        score = fields.Number("Score")

        class Meta:
            abstract = True
            database = DB
            ordering = ("-score",)

    class Contact(Base):
        class Meta(Base.Meta):
            table = "Contacts"

    assert Contact._meta.database == DB and Contact._meta.ordering == ("-score",)
    assert not Contact._meta.abstract and Base._meta.abstract
    assert list(Contact._meta.fields) == ["name", "score"]
    with pytest.raises(TypeError, match="Base is abstract"):
        Base(name="x")
    with pytest.raises(AttributeError, match="abstract"):
        Base.objects.all()
    body = Contact.objects.using(session).all().explain()[0]
    assert body["sorting"] == [{"sortingField": "sC0re", "sortType": "DESC"}]
    body = Contact.objects.using(session).order_by("name").explain()[0]
    assert body["sorting"] == [{"sortingField": "nAm3x", "sortType": "ASC"}]
    last = (
        Contact.objects.using(session)
        .all()
        ._ordering_keys(Contact.objects.using(session).all()._binding(), reverse=True)
    )
    assert list(last) == [("sC0re", False)]


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ({"ordering": "-score"}, "expected a tuple"),
        ({"ordering": ("-nope",)}, "unknown field '-nope'"),
        ({"orderng": ("score",)}, "unknown option 'orderng'"),
        ({"abstarct": True}, "unknown option 'abstarct'"),
    ],
)
def test_bad_meta_options_are_refused_by_name(meta: dict[str, Any], message: str) -> None:
    """A misspelt or malformed option fails at class creation, naming it."""
    with pytest.raises(ConfigurationError, match=message):
        type(
            "Bad",
            (Model,),
            {
                "__module__": __name__,
                "score": fields.Number("Score"),
                "Meta": type("Meta", (), meta),
            },
        )


def test_abstract_models_are_not_found_as_models_to_check() -> None:
    """softr-orm check skips abstract bases: they have no table of their own."""
    import types

    from softr_orm.schema import find_models

    module = types.ModuleType("models_abstract_example")

    class Base(Model):
        name = fields.SingleLineText("Name")

        class Meta:
            abstract = True
            database = DB
            table = "Contacts"

    class Concrete(Base):
        pass

    for cls in (Base, Concrete):
        cls.__module__ = module.__name__
        setattr(module, cls.__name__, cls)
    assert find_models(module) == [Concrete]
