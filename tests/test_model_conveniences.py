"""Small conveniences: case-insensitive lookup aliases, ``values()`` without a wasted prefetch,
``required`` on every save, documented manager methods, tab completion in the plain shell."""

from __future__ import annotations

import pydoc
from collections.abc import Iterator
from typing import Any

import pytest
import responses

from softr_orm import Model, Session, fields
from softr_orm.errors import InvalidValue
from tests._fake_schema import (
    CONTACT_RECORDS,
    DB,
    Contact,
    make_session,
    mock_schema,
    record,
    requests_to,
)

SEARCH = f"{CONTACT_RECORDS}/search"


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock_schema(mock)
        yield mock


@pytest.fixture
def session() -> Session:
    return make_session()


@pytest.mark.parametrize(
    ("alias", "plain"),
    [
        ("iexact", "exact"),
        ("icontains", "contains"),
        ("istartswith", "startswith"),
        ("iendswith", "endswith"),
    ],
)
def test_case_insensitive_lookups_are_aliases(
    rsps: Any, session: Session, alias: str, plain: str
) -> None:
    """``name__icontains`` sends what ``name__contains`` sends (Softr ignores case anyway)."""
    qs = Contact.objects.using(session)
    assert qs.filter(**{f"name__{alias}": "Ada"}).explain() == (
        qs.filter(**{f"name__{plain}": "Ada"}).explain()
    )


def test_values_on_a_prefetch_query_sends_no_extra_request(rsps: Any, session: Session) -> None:
    """values() shows links as ids: the prefetch's search of the linked table is skipped."""
    rsps.add(
        responses.POST,
        SEARCH,
        json={
            "data": [record("r1", nAm3x="Ada", cOmp1=["co1"])],
            "metadata": {"offset": 0, "limit": 200, "total": 1},
        },
    )
    rows = Contact.objects.using(session).prefetch("company").values("name", "company")
    assert rows == [{"name": "Ada", "company": "co1"}]
    posts = [c for c in rsps.calls if c.request.method == "POST"]
    assert [c.request.url.split("?")[0] for c in posts] == [SEARCH]


class Member(Model):
    name = fields.SingleLineText("Full Name", required=True)
    email = fields.Email("Email")

    class Meta:
        database = DB
        table = "Contacts"


def test_required_is_checked_on_every_save(rsps: Any, session: Session) -> None:
    """Emptying a required field fails before any request, on update as on create."""
    member = Member.from_record({"id": "r1", "fields": {"nAm3x": "Ada"}}, session=session)
    member.email = "ada@example.org"
    member.name = ""
    with pytest.raises(InvalidValue, match=r"Member\.name.*is required"):
        member.save()
    assert requests_to(rsps, "PATCH", CONTACT_RECORDS) == []
    with pytest.raises(InvalidValue, match="is required"):
        Member(email="x@example.org").save()
    untouched = Member.from_record({"id": "r2", "fields": {"nAm3x": "Bo"}}, session=session)
    rsps.add(responses.PATCH, f"{CONTACT_RECORDS}/r2", json=record("r2", nAm3x="Bo"))
    assert untouched.save(force=True).forced  # an untouched required field is not "emptied"


def test_manager_methods_are_documented() -> None:
    """help(Contact.objects.filter) says what filter does."""
    for name in ("all", "filter", "exclude", "get", "count", "values", "prefetch", "iterator"):
        doc = getattr(Contact.objects, name).__doc__
        assert doc and doc.strip(), name
    assert "lookups" in pydoc.render_doc(Contact.objects.filter)


def test_the_plain_shell_completes_names_and_attributes() -> None:
    """Without IPython, Tab completes the shell's names (readline + rlcompleter)."""
    readline = pytest.importorskip("readline")
    from softr_orm.cli.shell import enable_completion

    previous = readline.get_completer()
    try:
        assert enable_completion({"Contact": Contact, "session": None})
        complete = readline.get_completer()
        assert complete is not None
        assert complete("Cont", 0) == "Contact("
        assert "Contact.objects" in [complete("Contact.obj", i) for i in range(3)]
    finally:
        readline.set_completer(previous)
