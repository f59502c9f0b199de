"""Records on a real Baserow: every field type round trip, exact PATCH bodies, batches, errors."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from baserow_models import Project, Task

from softr_orm import errors
from softr_orm.backends.baserow import BaserowSession
from softr_orm.http.util import RequestEvent
from softr_orm.query.binding import bind

pytestmark = pytest.mark.integration
UTC = dt.timezone.utc


@pytest.fixture(scope="module")
def bound(tables: Any) -> Iterator[None]:
    """Point the test models at this session's tables."""
    Project._meta.database = Task._meta.database = tables.database_id
    Project._meta.table, Task._meta.table = tables.projects, tables.tasks
    yield


@pytest.fixture()
def sent(baserow: BaserowSession) -> Iterator[list[RequestEvent]]:
    """Every request the session sends during the test."""
    events: list[RequestEvent] = []
    baserow.add_listener(events.append)
    yield events
    baserow.remove_listener(events.append)


def _body(event: RequestEvent) -> Any:
    assert event.body is not None
    return json.loads(event.body)


def test_every_field_type_round_trips(baserow: BaserowSession, bound: None) -> None:
    """What is written reads back with the same Python types as on Softr."""
    objects = Project.objects.using(baserow)
    acme = objects.create(name="Acme", budget=100)
    beta = objects.create(name="Beta", budget=20)
    at = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    task = Task.objects.using(baserow).create(
        title="Ship it",
        notes="line 1\nline 2",
        points=7,
        price=Decimal("19.90"),
        done=True,
        due=dt.date(2026, 12, 24),
        at=at,
        project=[acme, beta],
        status="Done",
        tags=["red", "blue"],
        email="jo@example.com",
        site="https://example.com/x",
        phone="+49 30 1234",
        stars=4,
        spent=dt.timedelta(hours=1, minutes=30, seconds=5),
    )
    again = Task.objects.using(baserow).get(id=int(task.id))  # Baserow ids are ints
    assert again.id == task.id and task.id.isdigit()
    assert (again.title, again.notes, again.points) == ("Ship it", "line 1\nline 2", 7)
    assert again.price == Decimal("19.90") and isinstance(again.price, Decimal)
    assert again.done is True
    assert again.due == dt.date(2026, 12, 24)
    assert again.at == at and again.at.tzinfo is not None
    assert sorted(p.name for p in again.project) == ["Acme", "Beta"]
    assert again.status == "Done"
    assert sorted(again.tags) == ["blue", "red"]
    assert (again.email, again.site, again.phone) == (
        "jo@example.com",
        "https://example.com/x",
        "+49 30 1234",
    )
    assert again.stars == 4
    again.stars = None  # cleared: Baserow stores 0, its "no rating"
    again.save()
    assert Task.objects.using(baserow).get(id=again.id).stars == 0
    assert again.spent == dt.timedelta(hours=1, minutes=30, seconds=5)
    assert isinstance(again.created, dt.datetime) and isinstance(again.modified, dt.datetime)
    assert again.creator is not None and again.creator.id and again.creator.name
    assert again.editor is not None and again.editor.id == again.creator.id
    assert again.people == []
    assert isinstance(again.num, int) and again.num >= 1
    assert isinstance(again.key, str) and len(again.key) == 36
    assert again.double == 14
    assert sorted(again.project_names) == ["Acme", "Beta"]
    assert again.project_count == 2
    assert again.budget_sum == 120
    assert again.files == []
    assert again.secret is None


def test_collaborators_written_by_user_id(baserow: BaserowSession, bound: None) -> None:
    """A collaborator field takes the user ids Baserow reads back (as strings)."""
    task = Task.objects.using(baserow).create(title="people")
    me = Task.objects.using(baserow).get(id=task.id).creator
    assert me is not None
    task.people = [me]
    task.save()
    assert [u.id for u in Task.objects.using(baserow).get(id=task.id).people] == [me.id]


def test_save_patches_only_the_changed_fields(
    baserow: BaserowSession, bound: None, sent: list[RequestEvent]
) -> None:
    """A save sends a PATCH of exactly the changed fields, keyed by field id."""
    task = Task.objects.using(baserow).create(title="patch me", points=1, status="Open")
    binding = task._bind()
    sent.clear()
    task.points = 2
    task.tags = ["green"]
    task.status = None
    task.save()
    assert [e.method for e in sent] == ["PATCH"]
    assert sent[0].path == f"/database/rows/table/{binding.table_id}/{task.id}/"
    assert _body(sent[0]) == {
        binding.ids["points"]: 2,
        binding.ids["tags"]: ["green"],
        binding.ids["status"]: None,
    }
    sent.clear()
    task.save()
    assert sent == []  # clean: no request at all
    again = Task.objects.using(baserow).get(id=task.id)
    assert (again.points, again.tags, again.status) == (2, ["green"], None)


def test_links_are_written_as_integer_ids(
    baserow: BaserowSession, bound: None, sent: list[RequestEvent]
) -> None:
    """Linked records go out as Baserow's integer row ids."""
    project = Project.objects.using(baserow).create(name="Links")
    task = Task.objects.using(baserow).create(title="linked")
    sent.clear()
    task.project = [project]
    task.save()
    assert _body(sent[-1]) == {task._bind().ids["project"]: [int(project.id)]}


def test_batch_endpoints_write_200_rows_a_request(
    baserow: BaserowSession, bound: None, sent: list[RequestEvent]
) -> None:
    """create/update/delete_records: one request per 200 rows, all or nothing."""
    backend = baserow.backend
    binding = bind(Project, baserow)  # a narrow table: quick writes
    key = binding.ids["name"]
    points = binding.ids["budget"]
    sent.clear()
    created = backend.create_records(
        binding.database_id, binding.table_id, [{key: f"b{i}", points: i} for i in range(200)]
    )
    assert len(created) == 200 and len(sent) == 1
    assert [r["fields"][key] for r in created[:3]] == ["b0", "b1", "b2"]
    ids = [r["id"] for r in created]
    updated = backend.update_records(
        binding.database_id, binding.table_id, [(i, {points: 1000}) for i in ids[:150]]
    )
    assert {r["fields"][points] for r in updated} == {"1000"}
    with pytest.raises(errors.NotFound) as missing:
        backend.update_records(
            binding.database_id, binding.table_id, [(ids[0], {points: 5}), ("999999", {})]
        )
    assert missing.value.error_code == "ERROR_ROW_DOES_NOT_EXIST"
    # all or nothing: the first row kept its value
    assert Project.objects.using(baserow).get(id=ids[0]).budget == 1000
    with pytest.raises(ValueError, match="1 to 200"):
        backend.create_records(binding.database_id, binding.table_id, [{}] * 201)
    sent.clear()
    backend.delete_records(binding.database_id, binding.table_id, ids)
    assert len(sent) == 1 and _body(sent[0]) == {"items": [int(i) for i in ids]}
    assert Project.objects.using(baserow).filter(name__contains="b1").count() == 0


def test_errors_map_to_the_hierarchy(
    baserow: BaserowSession, bound: None, baserow_server: Any
) -> None:
    """Baserow's error bodies become the usual exception classes, with Baserow's code kept."""
    with pytest.raises(Task.DoesNotExist):
        Task.objects.using(baserow).get(id=999999)
    binding = bind(Task, baserow)
    with pytest.raises(errors.FieldValidationError) as bad:
        baserow.backend.create_record(
            binding.database_id, binding.table_id, {binding.ids["points"]: "many"}
        )
    assert bad.value.error_code == "ERROR_REQUEST_BODY_VALIDATION"
    assert binding.ids["points"] in str(bad.value)
    with pytest.raises(errors.FieldValidationError):  # read-only type
        baserow.backend.create_record(
            binding.database_id, binding.table_id, {binding.ids["num"]: 5}
        )
    wrong = BaserowSession("x" * 32, base_url=baserow_server.url)
    with pytest.raises(errors.Unauthorized) as denied:
        Task.objects.using(wrong).count()
    assert denied.value.error_code == "ERROR_TOKEN_DOES_NOT_EXIST"
    assert "x" * 32 not in repr(denied.value) + str(denied.value)


def test_bad_values_fail_before_any_request(
    baserow: BaserowSession, bound: None, sent: list[RequestEvent]
) -> None:
    """Unknown choices, floats for money and read-only writes never reach Baserow."""
    task = Task.objects.using(baserow).create(title="strict")
    sent.clear()
    task.status = "Nope"  # Baserow refuses options it does not have: checked on save
    with pytest.raises(errors.InvalidValue, match=r"Task\.status"):
        task.save()
    with pytest.raises(errors.InvalidValue, match=r"Task\.price"):
        task.price = 0.1  # type: ignore[assignment]
    with pytest.raises(errors.ReadOnlyField):
        task.num = 3  # type: ignore[misc]
    assert sent == []


def test_token_never_shows(baserow: BaserowSession, baserow_server: Any) -> None:
    """Neither the token nor the password is in the session's repr."""
    text = repr(baserow) + repr(baserow.backend)
    assert baserow_server.token not in text and baserow_server.password not in text


def test_queryset_update_and_delete_use_batches(
    baserow: BaserowSession, bound: None, sent: list[RequestEvent]
) -> None:
    """qs.update() and qs.delete() send one batch request per 200 matched rows."""
    binding = bind(Project, baserow)  # a narrow table: quick writes
    key = binding.ids["name"]
    for chunk in (range(200), range(200, 201)):
        baserow.backend.create_records(
            binding.database_id, binding.table_id, [{key: f"bulk-{i}"} for i in chunk]
        )
    matched = Project.objects.using(baserow).filter(name__contains="bulk-")
    sent.clear()
    result = matched.update(budget=9)
    writes = [e for e in sent if e.method != "GET"]
    assert [e.method for e in writes] == ["PATCH", "PATCH"]
    assert len(result.succeeded) == 201 and not result.failed
    assert matched.filter(budget=9).count() == 201
    sent.clear()
    result = matched.delete()
    writes = [e for e in sent if e.method != "GET"]
    assert [(e.method, e.path.rsplit("/", 2)[-2]) for e in writes] == [("POST", "batch-delete")] * 2
    assert len(result.succeeded) == 201 and matched.count() == 0


def test_files_round_trip_by_their_baserow_url(
    baserow: BaserowSession, bound: None, baserow_server: Any, sent: list[RequestEvent]
) -> None:
    """A file uploaded to Baserow is written by its URL (sent as its stored name)."""
    import requests

    from softr_orm.fields.values import Attachment

    uploaded = requests.post(
        f"{baserow_server.url}/api/user-files/upload-file/",
        headers={"Authorization": f"Token {baserow_server.token}"},
        files={"file": ("notes.txt", b"hello baserow", "text/plain")},
        timeout=30,
    ).json()
    task = Task.objects.using(baserow).create(title="with a file")
    sent.clear()
    task.files = [Attachment(url=uploaded["url"], filename="my notes.txt")]
    task.save()
    assert _body(sent[-1]) == {
        bind(Task, baserow).ids["files"]: [
            {"name": uploaded["name"], "visible_name": "my notes.txt"}
        ]
    }
    (stored,) = Task.objects.using(baserow).get(id=task.id).files
    assert (stored.filename, stored.id, stored.size) == ("my notes.txt", uploaded["name"], 13)
    assert stored.type == "text/plain" and stored.url == uploaded["url"]
