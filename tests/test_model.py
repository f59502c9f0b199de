"""Model declaration, hydration, change tracking and the write path, over `responses`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

import pytest
import responses

from softr_orm import Session, errors
from softr_orm.fields.values import Attachment
from softr_orm.models.base import Model, SaveResult
from tests._fake_schema import (
    BASE,
    COMPANIES,
    COMPANY_RECORDS,
    CONTACT_RECORDS,
    Company,
    Contact,
    make_session,
    mock_schema,
    record,
    requests_to,
    sent_json,
)

JANE = record(
    "rK2pQ8vLx3MwZt",
    nAm3x="Jane",
    eM4il="jane@example.com",
    sC0re=41,
    bUdgt=1200.5,
    tAgs1=[{"id": "c1", "label": "vip"}, {"id": "c2", "label": "lead"}],
    cOmp1=[{"id": "cU5tM9aB2xQw1E", "label": "Acme"}],
    jOin1="2026-05-21",
    lAst1="2026-05-21T20:00:00.000Z",
    fIles=[{"url": "https://files.example/a.png", "filename": "a.png"}],
    tOtal=12,
    cRtd1="2026-04-11T07:59:03.000Z",
)


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock_schema(mock)
        yield mock


@pytest.fixture
def session() -> Session:
    return make_session()


def load_jane(rsps: responses.RequestsMock, session: Session) -> Contact:
    rsps.add(responses.GET, f"{CONTACT_RECORDS}/rK2pQ8vLx3MwZt", json={"data": JANE})
    return Contact.objects.using(session).get(id="rK2pQ8vLx3MwZt")


def patch_echo(rsps: responses.RequestsMock, base: dict[str, Any] = JANE) -> None:
    """Answer PATCHes with the record updated by the body, as Softr does."""

    def callback(request: Any) -> tuple[int, dict[str, str], str]:
        import json

        body = json.loads(request.body)
        merged = {**base, "fields": {**base["fields"], **body["fields"]}}
        return 200, {}, json.dumps({"data": merged}, default=str)

    rsps.add_callback(responses.PATCH, f"{CONTACT_RECORDS}/rK2pQ8vLx3MwZt", callback=callback)


class TestDeclaration:
    def test_fields_are_collected_in_order(self) -> None:
        """_meta.fields holds every declared field, by attribute name, in order."""
        assert list(Contact._meta.fields)[:3] == ["name", "email", "score"]
        assert Contact._meta.table == "Contacts"

    def test_each_model_has_its_own_does_not_exist(self) -> None:
        """DoesNotExist is per model and shares the library's base class."""
        assert Contact.DoesNotExist is not Company.DoesNotExist
        assert issubclass(Contact.DoesNotExist, errors.ObjectDoesNotExist)
        assert issubclass(Contact.MultipleObjectsReturned, errors.MultipleObjectsReturned)

    def test_class_attribute_is_the_field(self) -> None:
        """On the class, a field attribute is the descriptor itself."""
        assert Contact.score.attname == "score"
        assert Contact.score.name == "Score"

    def test_unknown_keyword_names_model_and_name(self) -> None:
        """Model(...) with an unknown keyword fails naming the model and the name."""
        with pytest.raises(errors.UnknownFieldName) as info:
            Contact(nmae="Jo")
        assert "Contact" in str(info.value) and "nmae" in str(info.value)
        assert isinstance(info.value, TypeError)

    def test_reserved_names_are_refused(self) -> None:
        """A field may not shadow save/delete/objects."""
        from softr_orm import fields

        with pytest.raises(errors.ConfigurationError, match="reserved"):

            class Bad(Model):
                save = fields.SingleLineText("Save")  # type: ignore[assignment]

    def test_unsaved_instance_has_no_id(self) -> None:
        """A new instance has id None and a readable repr."""
        c = Contact(name="Jo")
        assert c.id is None
        assert repr(c) == "<Contact (unsaved) name='Jo'>"


class TestReading:
    def test_get_by_id_is_one_get_after_the_schema(self, rsps: Any, session: Session) -> None:
        """get(id=...) costs one GET (plus the schema, once per session)."""
        jane = load_jane(rsps, session)
        assert [c.request.method for c in rsps.calls] == ["GET", "GET"]
        assert jane.id == "rK2pQ8vLx3MwZt"
        assert repr(jane) == "<Contact rK2pQ8vLx3MwZt name='Jane'>"

    def test_values_convert_to_python(self, rsps: Any, session: Session) -> None:
        """Raw API values come back as Python types."""
        jane = load_jane(rsps, session)
        assert jane.score == 41 and isinstance(jane.score, int)
        assert jane.budget == Decimal("1200.50")
        assert jane.tags == ["vip", "lead"]
        assert jane.joined == date(2026, 5, 21)
        assert jane.last_call == datetime(2026, 5, 21, 20, 0, tzinfo=timezone.utc)
        assert jane.files == [Attachment(url="https://files.example/a.png", filename="a.png")]
        assert jane.total == 12
        assert jane.created_at == datetime(2026, 4, 11, 7, 59, 3, tzinfo=timezone.utc)
        assert jane.is_dirty is False

    def test_schema_is_fetched_once_per_session(self, rsps: Any, session: Session) -> None:
        """Two reads in one session list the tables once."""
        load_jane(rsps, session)
        load_jane(rsps, session)
        listings = [c for c in rsps.calls if c.request.url.endswith("/tables")]
        assert len(listings) == 1

    def test_missing_record_raises_does_not_exist(self, rsps: Any, session: Session) -> None:
        """A 404 on get(id=) is the model's DoesNotExist."""
        rsps.add(
            responses.GET,
            f"{CONTACT_RECORDS}/nope",
            json={"message": "not found", "errorCode": "RESOURCE_NOT_FOUND"},
            status=404,
        )
        with pytest.raises(Contact.DoesNotExist):
            Contact.objects.using(session).get(id="nope")

    def test_link_loads_all_targets_in_one_search(self, rsps: Any, session: Session) -> None:
        """Touching a link fetches the linked records in one search on RECORD_ID."""
        jane = load_jane(rsps, session)
        rsps.add(
            responses.POST,
            f"{COMPANY_RECORDS}/search",
            json={
                "data": [record("cU5tM9aB2xQw1E", COMPANIES, nAmeC="Acme")],
                "metadata": {"offset": 0, "limit": 200, "total": 1},
            },
        )
        company = jane.company
        assert isinstance(company, Company) and company.name == "Acme"
        searches = requests_to(rsps, "POST", f"{COMPANY_RECORDS}/search")
        assert len(searches) == 1
        assert sent_json(searches[0])["filter"] == {
            "condition": {
                "operator": "IS_ONE_OF",
                "leftSide": "rIdC1",
                "rightSide": ["cU5tM9aB2xQw1E"],
            }
        }

    def test_from_record_accepts_ids_or_names(self, rsps: Any, session: Session) -> None:
        """from_record maps name-keyed fields to ids too."""
        by_id = Contact.from_record(JANE, session=session)
        by_name = Contact.from_record(
            {"id": "r1", "fields": {"Full Name": "Jane", "Score": 3}}, session=session
        )
        assert by_id.name == "Jane" and by_name.name == "Jane" and by_name.score == 3

    def test_to_dict(self, rsps: Any, session: Session) -> None:
        """to_dict gives Python values and link ids."""
        data = load_jane(rsps, session).to_dict()
        assert data["id"] == "rK2pQ8vLx3MwZt"
        assert data["company"] == "cU5tM9aB2xQw1E"
        assert data["tags"] == ["vip", "lead"]


MUTATIONS: list[tuple[str, Callable[[Contact], None], dict[str, Any]]] = [
    ("assign", lambda c: setattr(c, "score", 42), {"sC0re": 42}),
    ("assign-none", lambda c: setattr(c, "score", None), {"sC0re": None}),
    ("assign-decimal", lambda c: setattr(c, "budget", Decimal("99.99")), {"bUdgt": 99.99}),
    ("append", lambda c: c.tags.append("customer"), {"tAgs1": ["vip", "lead", "customer"]}),
    ("extend", lambda c: c.tags.extend(["customer"]), {"tAgs1": ["vip", "lead", "customer"]}),
    ("insert", lambda c: c.tags.insert(0, "customer"), {"tAgs1": ["customer", "vip", "lead"]}),
    ("remove", lambda c: c.tags.remove("vip"), {"tAgs1": ["lead"]}),
    ("pop", lambda c: c.tags.pop(), {"tAgs1": ["vip"]}),
    ("clear", lambda c: c.tags.clear(), {"tAgs1": []}),
    ("setitem", lambda c: c.tags.__setitem__(0, "customer"), {"tAgs1": ["customer", "lead"]}),
    ("delitem", lambda c: c.tags.__delitem__(0), {"tAgs1": ["lead"]}),
    ("reverse", lambda c: c.tags.reverse(), {"tAgs1": ["lead", "vip"]}),
    ("sort", lambda c: c.tags.sort(), {"tAgs1": ["lead", "vip"]}),
    ("iadd", lambda c: c.tags.__iadd__(["customer"]), {"tAgs1": ["vip", "lead", "customer"]}),
    (
        "attachment-append",
        lambda c: c.files.append(Attachment(url="https://files.example/b.pdf", filename="b.pdf")),
        {
            "fIles": [
                {"url": "https://files.example/a.png", "filename": "a.png"},
                {"url": "https://files.example/b.pdf", "filename": "b.pdf"},
            ]
        },
    ),
    ("attachment-clear", lambda c: c.files.clear(), {"fIles": []}),
    (
        "link-set",
        lambda c: setattr(c, "company", "cOther000000001"),
        {"cOmp1": ["cOther000000001"]},
    ),
    ("link-none", lambda c: setattr(c, "company", None), {"cOmp1": []}),
]


class TestChangeTracking:
    @pytest.mark.parametrize(
        ("label", "mutate", "expected"), MUTATIONS, ids=[m[0] for m in MUTATIONS]
    )
    def test_mutation_sends_exact_patch(
        self,
        rsps: Any,
        session: Session,
        label: str,
        mutate: Callable[[Contact], None],
        expected: dict[str, Any],
    ) -> None:
        """Each kind of change makes the instance dirty and PATCHes exactly that field."""
        jane = load_jane(rsps, session)
        mutate(jane)
        assert jane.is_dirty
        patch_echo(rsps)
        result = jane.save()
        patches = requests_to(rsps, "PATCH", CONTACT_RECORDS)
        assert len(patches) == 1
        assert sent_json(patches[0]) == {"fields": expected}
        assert result.updated and not result.created
        assert jane.is_dirty is False

    def test_clean_save_sends_nothing(self, rsps: Any, session: Session) -> None:
        """save() on a clean instance makes no request at all."""
        jane = load_jane(rsps, session)
        _ = (jane.tags, jane.files, jane.score)  # reading is not changing
        before = len(rsps.calls)
        result = jane.save()
        assert len(rsps.calls) == before
        assert result == SaveResult()

    def test_setting_same_value_is_not_a_change(self, rsps: Any, session: Session) -> None:
        """Assigning the value a field already has does not make it dirty."""
        jane = load_jane(rsps, session)
        jane.score = 41
        jane.tags = ["vip", "lead"]
        assert not jane.is_dirty

    def test_changed_fields_gives_old_and_new(self, rsps: Any, session: Session) -> None:
        """changed_fields maps each changed name to (old, new)."""
        jane = load_jane(rsps, session)
        jane.score = 42
        jane.tags.append("customer")
        assert jane.changed_fields == {
            "score": (41, 42),
            "tags": (["vip", "lead"], ["vip", "lead", "customer"]),
        }

    def test_force_sends_every_writable_field(self, rsps: Any, session: Session) -> None:
        """save(force=True) sends all writable fields and never read-only ones."""
        jane = load_jane(rsps, session)
        patch_echo(rsps)
        jane.save(force=True)
        body = sent_json(requests_to(rsps, "PATCH", CONTACT_RECORDS)[0])["fields"]
        assert set(body) == {
            "nAm3x",
            "eM4il",
            "sC0re",
            "bUdgt",
            "tAgs1",
            "cOmp1",
            "jOin1",
            "lAst1",
            "fIles",
            "nEws1",
        }
        assert body["lAst1"] == "2026-05-21T20:00:00.000Z"

    def test_currency_written_without_float_rounding(self, rsps: Any, session: Session) -> None:
        """A Decimal goes on the wire digit for digit."""
        jane = load_jane(rsps, session)
        jane.budget = Decimal("12345678901234567.89")
        patch_echo(rsps)
        jane.save()
        raw = requests_to(rsps, "PATCH", CONTACT_RECORDS)[0].request.body
        assert b"12345678901234567.89" in raw

    def test_two_instances_different_fields_both_survive(self, rsps: Any, session: Session) -> None:
        """Two copies of one record editing different fields each PATCH only their field."""
        a = load_jane(rsps, session)
        b = load_jane(rsps, session)
        a.score = 50
        b.name = "Janet"
        patch_echo(rsps)
        a.save()
        b.save()
        bodies = [sent_json(c) for c in requests_to(rsps, "PATCH", CONTACT_RECORDS)]
        assert bodies == [{"fields": {"sC0re": 50}}, {"fields": {"nAm3x": "Janet"}}]


class TestWriting:
    def test_create_posts_the_set_fields(self, rsps: Any, session: Session) -> None:
        """Objects.create POSTs the given fields by id and takes the server's answer."""
        rsps.add(
            responses.POST,
            CONTACT_RECORDS,
            json={"data": record("rNew0000000001", nAm3x="Jo", sC0re=1, tOtal=5)},
        )
        jo = Contact.objects.using(session).create(name="Jo", score=1, tags=[])
        post = requests_to(rsps, "POST", CONTACT_RECORDS)[0]
        assert sent_json(post) == {"fields": {"nAm3x": "Jo", "sC0re": 1}}
        assert jo.id == "rNew0000000001" and jo.total == 5 and not jo.is_dirty

    def test_save_of_new_instance_is_a_create(self, rsps: Any, session: Session) -> None:
        """Model(...).save() POSTs, then the instance has an id."""
        rsps.add(
            responses.POST, CONTACT_RECORDS, json={"data": record("rNew0000000002", nAm3x="Al")}
        )
        al = Contact(name="Al")
        al._session = session
        result = al.save()
        assert result.created and al.id == "rNew0000000002"

    def test_read_only_field_refuses_assignment(self) -> None:
        """Assigning a formula raises ReadOnlyField naming model and field."""
        with pytest.raises(errors.ReadOnlyField) as info:
            Contact().total = 3
        assert "Contact.total" in str(info.value)

    def test_bad_value_is_refused_before_any_request(self, rsps: Any, session: Session) -> None:
        """A bad value fails at assignment, naming model, field and value."""
        jane = load_jane(rsps, session)
        before = len(rsps.calls)
        with pytest.raises(errors.InvalidValue) as info:
            jane.last_call = datetime(2026, 1, 1, 12, 0)  # naive
        assert "Contact" in str(info.value) and "last_call" in str(info.value)
        assert len(rsps.calls) == before

    def test_unknown_choice_refused_on_save_without_request(
        self, rsps: Any, session: Session
    ) -> None:
        """A label the live schema does not allow is refused before the PATCH."""
        jane = load_jane(rsps, session)
        jane.tags.append("nonsense")
        with pytest.raises(errors.InvalidValue) as info:
            jane.save()
        assert "tags" in str(info.value) and "nonsense" in str(info.value)
        assert not requests_to(rsps, "PATCH", CONTACT_RECORDS)

    def test_unknown_field_refreshes_schema_once(self, rsps: Any, session: Session) -> None:
        """On UNKNOWN_FIELD the schema is read again and the write resent once."""
        jane = load_jane(rsps, session)
        jane.score = 7
        rsps.add(
            responses.PATCH,
            f"{CONTACT_RECORDS}/rK2pQ8vLx3MwZt",
            json={"message": "unknown field", "errorCode": "UNKNOWN_FIELD"},
            status=400,
        )
        patch_echo(rsps)
        jane.save()
        assert len(requests_to(rsps, "PATCH", CONTACT_RECORDS)) == 2
        listings = [c for c in rsps.calls if c.request.url.endswith("/tables")]
        assert len(listings) == 2

    def test_delete_and_refresh(self, rsps: Any, session: Session) -> None:
        """refresh() drops local changes; delete() sends DELETE and clears the id."""
        jane = load_jane(rsps, session)
        jane.score = 99
        rsps.add(responses.GET, f"{CONTACT_RECORDS}/rK2pQ8vLx3MwZt", json={"data": JANE})
        jane.refresh()
        assert jane.score == 41 and not jane.is_dirty
        rsps.add(responses.DELETE, f"{CONTACT_RECORDS}/rK2pQ8vLx3MwZt", status=204)
        jane.delete()
        assert jane.id is None
        assert len(requests_to(rsps, "DELETE", CONTACT_RECORDS)) == 1

    def test_using_routes_to_another_session(self, rsps: Any) -> None:
        """using(session) sends that session's key: one model, two tenants."""
        other = Session("other-key", base_url=BASE, rate_limit=False, max_retries=0)
        load_jane(rsps, other)
        assert rsps.calls[-1].request.headers["Softr-Api-Key"] == "other-key"
