"""QuerySet behaviour over `responses`: laziness, the requests each method sends, results."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import responses

from softr_orm import Q, Session, errors
from softr_orm.query.queryset import QuerySet
from tests._fake_schema import (
    COMPANIES,
    COMPANY_RECORDS,
    CONTACT_RECORDS,
    Contact,
    make_session,
    mock_schema,
    record,
    requests_to,
    sent_json,
)

SEARCH = f"{CONTACT_RECORDS}/search"
CREATED_ASC = [{"sortingField": "created_at", "sortType": "ASC"}]


def page(ids: list[str], total: int, offset: int = 0, **fields: Any) -> dict[str, Any]:
    return {
        "data": [record(i, nAm3x=f"name-{i}", **fields) for i in ids],
        "metadata": {"offset": offset, "limit": 200, "total": total},
    }


def search_answering(rsps: responses.RequestsMock, total: int) -> None:
    """A search endpoint over ``total`` records named r0000.. that honours paging."""

    def callback(request: Any) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body)
        offset, limit = body["paging"]["offset"], body["paging"]["limit"]
        ids = [f"r{i:04d}" for i in range(offset, min(offset + limit, total))]
        return 200, {}, json.dumps(page(ids, total, offset))

    rsps.add_callback(responses.POST, SEARCH, callback=callback)


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock_schema(mock)
        yield mock


@pytest.fixture
def session() -> Session:
    return make_session()


@pytest.fixture
def qs(session: Session) -> QuerySet[Contact]:
    return Contact.objects.using(session).all()


def searches(rsps: responses.RequestsMock) -> list[Any]:
    return [sent_json(c) for c in requests_to(rsps, "POST", SEARCH)]


class TestLaziness:
    def test_building_a_query_sends_nothing(self, rsps: Any, qs: QuerySet[Contact]) -> None:
        """filter/exclude/order_by/slicing are lazy."""
        q = qs.filter(score__gte=10).exclude(name__startswith="A").order_by("-score")[:10]
        assert isinstance(q, QuerySet)
        assert len(rsps.calls) == 0

    def test_every_call_clones(self, qs: QuerySet[Contact]) -> None:
        """A chained call never changes the QuerySet it was called on."""
        base = qs.filter(score__gte=10)
        narrower = base.filter(tags__has_any=["vip"])
        assert base is not narrower
        assert base._where != narrower._where

    def test_results_are_cached(self, rsps: Any, qs: QuerySet[Contact]) -> None:
        """Iterating twice sends one search."""
        search_answering(rsps, 3)
        assert len(list(qs)) == 3 and len(list(qs)) == 3 and len(qs) == 3 and bool(qs)
        assert len(searches(rsps)) == 1

    def test_repr_fetches_at_most_21(self, rsps: Any, qs: QuerySet[Contact]) -> None:
        """repr() asks for 21 records and truncates."""
        search_answering(rsps, 100)
        text = repr(qs)
        assert searches(rsps)[0]["paging"] == {"offset": 0, "limit": 21}
        assert "remaining elements truncated" in text


class TestBodies:
    def test_filter_compiles_to_search_body(self, rsps: Any, qs: QuerySet[Contact]) -> None:
        """Lookups become conditions on field ids; no order means creation order."""
        search_answering(rsps, 1)
        list(qs.filter(score__gte=10, tags__has_any=["vip"]))
        assert searches(rsps)[0] == {
            "filter": {
                "condition": {
                    "operator": "AND",
                    "conditions": [
                        {
                            "operator": "GREATER_THAN_OR_EQUALS",
                            "leftSide": "sC0re",
                            "rightSide": 10,
                        },
                        {"operator": "HAS_ANY_OF", "leftSide": "tAgs1", "rightSide": ["vip"]},
                    ],
                }
            },
            "sorting": CREATED_ASC,
            "paging": {"offset": 0, "limit": 200},
        }

    def test_exclude_keeps_empty_values(self, rsps: Any, qs: QuerySet[Contact]) -> None:
        """exclude(score__gt=5) also matches records with no score."""
        search_answering(rsps, 1)
        list(qs.exclude(score__gt=5))
        assert searches(rsps)[0]["filter"] == {
            "condition": {
                "operator": "OR",
                "conditions": [
                    {"operator": "LESS_THAN_OR_EQUALS", "leftSide": "sC0re", "rightSide": 5},
                    {"operator": "IS_EMPTY", "leftSide": "sC0re"},
                ],
            }
        }

    def test_order_by_several_keys(self, rsps: Any, qs: QuerySet[Contact]) -> None:
        """order_by maps names to ids, '-' to DESC, and keeps pseudo-fields."""
        search_answering(rsps, 1)
        list(qs.order_by("-score", "name", "updated_at"))
        assert searches(rsps)[0]["sorting"] == [
            {"sortingField": "sC0re", "sortType": "DESC"},
            {"sortingField": "nAm3x", "sortType": "ASC"},
            {"sortingField": "updated_at", "sortType": "ASC"},
        ]

    def test_slice_is_offset_and_limit(self, rsps: Any, qs: QuerySet[Contact]) -> None:
        """qs[40:60] asks for offset 40, limit 20."""
        search_answering(rsps, 100)
        got = list(qs[40:60])
        assert searches(rsps)[0]["paging"] == {"offset": 40, "limit": 20}
        assert [c.id for c in got] == [f"r{i:04d}" for i in range(40, 60)]

    def test_step_slice_evaluates(self, rsps: Any, qs: QuerySet[Contact]) -> None:
        """A stepped slice is evaluated and holds every other record."""
        search_answering(rsps, 10)
        got = qs[0:6:2]
        assert [c.id for c in got] == ["r0000", "r0002", "r0004"]
        with pytest.raises(errors.QueryError):
            got.filter(score=1)

    def test_explain_is_what_is_sent(self, rsps: Any, qs: QuerySet[Contact]) -> None:
        """explain() returns the exact body that evaluation then POSTs."""
        search_answering(rsps, 5)
        q = qs.filter(Q(name__contains="a") | Q(score__lt=3)).order_by("name")[:5]
        explained = q.explain()
        list(q)
        assert explained == searches(rsps)

    def test_in_empty_list_sends_nothing(self, rsps: Any, qs: QuerySet[Contact]) -> None:
        """filter(x__in=[]) matches nothing without a request, as in Django."""
        assert list(qs.filter(name__in=[])) == []
        assert qs.filter(name__in=[]).count() == 0
        assert searches(rsps) == []


class TestTerminalMethods:
    def test_count_is_one_request_with_limit_1(self, rsps: Any, qs: QuerySet[Contact]) -> None:
        """count() reads metadata.total from a limit=1 search."""
        search_answering(rsps, 137)
        assert qs.filter(score__gte=1).count() == 137
        sent = searches(rsps)
        assert len(sent) == 1 and sent[0]["paging"] == {"offset": 0, "limit": 1}

    def test_count_of_a_slice(self, rsps: Any, qs: QuerySet[Contact]) -> None:
        """count() of qs[10:50] is bounded by the slice."""
        search_answering(rsps, 30)
        assert qs[10:50].count() == 20

    def test_get_fetches_at_most_two(self, rsps: Any, qs: QuerySet[Contact]) -> None:
        """get() asks for 2 and raises MultipleObjectsReturned when both come."""
        search_answering(rsps, 5)
        with pytest.raises(Contact.MultipleObjectsReturned):
            qs.get(score__gte=1)
        assert searches(rsps)[0]["paging"] == {"offset": 0, "limit": 2}

    def test_get_none_raises_does_not_exist(self, rsps: Any, qs: QuerySet[Contact]) -> None:
        """get() with no match raises the model's DoesNotExist (also a LookupError)."""
        search_answering(rsps, 0)
        with pytest.raises(Contact.DoesNotExist):
            qs.get(name="nobody")
        with pytest.raises(LookupError):
            qs.get(name="nobody")

    def test_get_by_id_is_a_get(self, rsps: Any, qs: QuerySet[Contact]) -> None:
        """get(id=...) is one GET of the record, not a search."""
        rsps.add(responses.GET, f"{CONTACT_RECORDS}/r1", json={"data": record("r1", nAm3x="Jo")})
        assert qs.get(id="r1").name == "Jo"
        assert searches(rsps) == []

    def test_first_last_exists(self, rsps: Any, qs: QuerySet[Contact]) -> None:
        """first() asks for 1 in order; last() reverses the order; exists() asks for 1."""
        search_answering(rsps, 3)
        assert qs.first() is not None
        assert qs.last() is not None
        assert qs.exists() is True
        sent = searches(rsps)
        assert sent[0]["paging"]["limit"] == 1 and sent[0]["sorting"] == CREATED_ASC
        assert sent[1]["sorting"] == [{"sortingField": "created_at", "sortType": "DESC"}]

    def test_values_and_values_list(self, rsps: Any, qs: QuerySet[Contact]) -> None:
        """values() gives dicts, values_list(flat=True) plain values."""
        search_answering(rsps, 2)
        assert qs.values("name") == [{"name": "name-r0000"}, {"name": "name-r0001"}]
        assert qs.values_list("name", flat=True) == ["name-r0000", "name-r0001"]
        with pytest.raises(errors.FieldError):
            qs.values("nope")

    def test_full_scan_fetches_remaining_pages(self, rsps: Any, qs: QuerySet[Contact]) -> None:
        """A scan of 450 records reads 3 pages and yields each record once, in order."""
        search_answering(rsps, 450)
        got = [c.id for c in qs]
        assert got == [f"r{i:04d}" for i in range(450)]
        offsets = sorted(b["paging"]["offset"] for b in searches(rsps))
        assert offsets == [0, 200, 400]

    def test_iterator_streams_pages(self, rsps: Any, qs: QuerySet[Contact]) -> None:
        """iterator(page_size=100) reads pages of 100 and stops at the total."""
        search_answering(rsps, 250)
        got = [c.id for c in qs.iterator(page_size=100)]
        assert len(got) == 250 and len(set(got)) == 250
        assert [b["paging"] for b in searches(rsps)] == [
            {"offset": 0, "limit": 100},
            {"offset": 100, "limit": 100},
            {"offset": 200, "limit": 100},
        ]


class TestChecksBeforeRequests:
    @pytest.mark.parametrize(
        ("kwargs", "error"),
        [
            ({"nope": 1}, errors.FieldError),
            ({"newsletter__gt": True}, errors.UnsupportedLookup),
            ({"score__contains": "1"}, errors.UnsupportedLookup),
            ({"joined__gte": "yesterday"}, errors.InvalidValue),
            ({"tags__has_any": "vip"}, errors.InvalidValue),
        ],
        ids=["unknown-field", "checkbox-gt", "number-contains", "bad-date", "not-a-list"],
    )
    def test_bad_lookups_fail_at_filter_time(
        self, rsps: Any, qs: QuerySet[Contact], kwargs: dict[str, Any], error: type[Exception]
    ) -> None:
        """Errors name the model and arrive before any request."""
        with pytest.raises(error) as info:
            qs.filter(**kwargs)
        assert "Contact" in str(info.value)
        assert len(rsps.calls) == 0

    def test_unknown_order_field(self, qs: QuerySet[Contact]) -> None:
        """order_by with an unknown name raises FieldError at once."""
        with pytest.raises(errors.FieldError, match="Contact"):
            qs.order_by("-nope")


class TestPrefetchAndBulk:
    def test_prefetch_loads_links_in_one_search(self, rsps: Any, qs: QuerySet[Contact]) -> None:
        """Prefetching 3 parents' companies costs one extra search, not three GETs."""
        rsps.add(
            responses.POST,
            SEARCH,
            json={
                "data": [
                    record(f"r{i}", nAm3x=f"c{i}", cOmp1=[{"id": f"co{i % 2}", "label": "x"}])
                    for i in range(3)
                ],
                "metadata": {"offset": 0, "limit": 200, "total": 3},
            },
        )
        rsps.add(
            responses.POST,
            f"{COMPANY_RECORDS}/search",
            json={
                "data": [record(f"co{i}", COMPANIES, nAmeC=f"Co {i}") for i in range(2)],
                "metadata": {"offset": 0, "limit": 200, "total": 2},
            },
        )
        contacts = list(qs.prefetch("company"))
        names = [c.company.name for c in contacts if c.company is not None]
        assert names == ["Co 0", "Co 1", "Co 0"]
        company_searches = requests_to(rsps, "POST", f"{COMPANY_RECORDS}/search")
        assert len(company_searches) == 1
        assert sorted(sent_json(company_searches[0])["filter"]["condition"]["rightSide"]) == [
            "co0",
            "co1",
        ]

    def test_prefetch_refuses_non_links(self, qs: QuerySet[Contact]) -> None:
        """prefetch() only takes linked-record fields."""
        with pytest.raises(errors.FieldError):
            qs.prefetch("score")

    def test_update_reports_each_record(self, rsps: Any, qs: QuerySet[Contact]) -> None:
        """update() PATCHes every match and lists successes and failures."""
        search_answering(rsps, 3)
        for i in range(3):
            status = 503 if i == 1 else 200
            body = (
                {"message": "down", "errorCode": "SERVICE_UNAVAILABLE"}
                if status == 503
                else {"data": record(f"r{i:04d}")}
            )
            rsps.add(responses.PATCH, f"{CONTACT_RECORDS}/r{i:04d}", json=body, status=status)
        result = qs.update(score=5)
        assert result == 2  # an int too, as Django's update() returns
        assert sorted(result.succeeded) == ["r0000", "r0002"]
        assert list(result.failed) == ["r0001"]
        assert isinstance(result.failed["r0001"], errors.ServiceUnavailable)
        bodies = [sent_json(c) for c in requests_to(rsps, "PATCH", CONTACT_RECORDS)]
        assert all(b == {"fields": {"sC0re": 5}} for b in bodies)
        with pytest.raises(errors.BulkError):
            result.raise_for_failures()

    def test_update_checks_values_first(self, rsps: Any, qs: QuerySet[Contact]) -> None:
        """A bad value or a read-only field fails before any request."""
        with pytest.raises(errors.InvalidValue):
            qs.update(score="many")
        with pytest.raises(errors.ReadOnlyField):
            qs.update(total=3)
        assert len(rsps.calls) == 0

    def test_delete_counts_gone_records_as_deleted(self, rsps: Any, qs: QuerySet[Contact]) -> None:
        """delete() sends one DELETE per match; a 404 means already deleted."""
        search_answering(rsps, 2)
        rsps.add(responses.DELETE, f"{CONTACT_RECORDS}/r0000", status=204)
        rsps.add(
            responses.DELETE,
            f"{CONTACT_RECORDS}/r0001",
            json={"message": "gone", "errorCode": "RESOURCE_NOT_FOUND"},
            status=404,
        )
        result = qs.delete()
        assert sorted(result.succeeded) == ["r0000", "r0001"] and result.ok
