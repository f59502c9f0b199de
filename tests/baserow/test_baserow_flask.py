"""The Flask integration with a Baserow session per app, against a real Baserow."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from baserow_models import Project

import softr_orm
from softr_orm.backends.baserow import BaserowSession
from softr_orm.errors import ConfigurationError

flask = pytest.importorskip("flask")

from softr_orm.contrib.flask import SoftrORM, get_session  # noqa: E402

pytestmark = pytest.mark.integration


@pytest.fixture()
def keep_default_session() -> Iterator[None]:
    try:
        before = softr_orm.default_session()
    except ConfigurationError:
        before = None
    yield
    softr_orm.configure(before)


def test_a_flask_app_queries_baserow(
    baserow_server: Any, baserow: BaserowSession, tables: Any, keep_default_session: None
) -> None:
    """SOFTR_BACKEND = "baserow": a view creates and counts Baserow rows through the app's
    session, and Model.objects (the default session) is that session too."""
    Project._meta.database, Project._meta.table = tables.database_id, tables.projects
    app = flask.Flask("baserow_app")
    app.config.update(
        SOFTR_BACKEND="baserow",
        BASEROW_TOKEN=baserow_server.token,
        BASEROW_URL=baserow_server.url,
    )
    SoftrORM(app)

    @app.post("/projects/<name>")
    def add(name: str) -> dict[str, Any]:
        project = Project.objects.using(get_session()).create(name=name, budget=3)
        return {"id": project.id, "count": Project.objects.filter(name=name).count()}

    answer = app.test_client().post("/projects/flask-made")
    assert answer.status_code == 200, answer.text
    body = answer.get_json()
    assert body["count"] == 1 and body["id"].isdigit()
    assert isinstance(get_session(app), BaserowSession)
    made = Project.objects.using(baserow).get(id=body["id"])
    assert (made.name, made.budget) == ("flask-made", 3)
    made.delete()
    get_session(app).close()  # its connections, now rather than whenever it is collected
