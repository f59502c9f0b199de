"""A real Baserow server for the Baserow backend's integration tests (session-scoped).

Where the server comes from, in this order:

1. ``BASEROW_URL`` and ``BASEROW_TOKEN`` in the environment (``.ci/run`` exports them after
   starting the kit; any Baserow works, given ``BASEROW_EMAIL``/``BASEROW_PASSWORD`` and
   ``BASEROW_DATABASE_ID`` for creating the test tables);
2. the env file of a kit already running in ``$BASEROW_KIT_DIR`` (default ``/tmp/br``);
3. the kit in ``../shared/baserow/`` beside the repository, started into ``$BASEROW_KIT_DIR``
   (about 3 minutes cold, seconds warm);
4. else the tests skip, saying why; with ``SOFTR_ORM_REQUIRE_BASEROW=1`` (``.ci/run``) that
   skip is a failure instead.

The tables are created once per session with the JWT and deleted afterwards. Fixtures take the
server as a ``BaserowServer`` so the same tests can later run against another Baserow (the
emulator's Baserow face) by parametrizing ``baserow_server``.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from softr_orm.backends.baserow import BaserowSession

REPO = Path(__file__).resolve().parents[2]
KIT = REPO.parent / "shared" / "baserow" / "baserow.sh"
KIT_DIR = Path(os.environ.get("BASEROW_KIT_DIR") or "/tmp/br")


@dataclass(frozen=True)
class BaserowServer:
    """Where a Baserow is, and the credentials the tests use."""

    url: str
    token: str
    email: str
    password: str
    database_id: str

    def session(self, **kwargs: object) -> BaserowSession:
        """A session with the token and the sign-in (for schema calls)."""
        return BaserowSession(
            self.token, base_url=self.url, email=self.email, password=self.password, **kwargs
        )


def _parse_env(text: str) -> dict[str, str]:
    env: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("export ") and "=" in line:
            name, _, value = line[len("export ") :].partition("=")
            parts = shlex.split(value)
            env[name] = parts[0] if parts else ""
    return env


def _healthy(url: str) -> bool:
    try:
        return requests.get(url + "/api/_health/", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def _find() -> tuple[dict[str, str] | None, str]:
    """The server's variables, or None and the reason there is none."""
    if os.environ.get("BASEROW_URL") and os.environ.get("BASEROW_TOKEN"):
        return dict(os.environ), ""
    env_file = KIT_DIR / "env"
    if env_file.is_file():
        env = _parse_env(env_file.read_text())
        if env.get("BASEROW_URL") and _healthy(env["BASEROW_URL"]):
            return env, ""
    if KIT.is_file():
        done = subprocess.run(
            ["bash", str(KIT), "start", str(KIT_DIR)],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        if done.returncode == 0:
            return _parse_env(done.stdout), ""
        return None, f"the Baserow kit did not start: {done.stderr.strip()[-500:]}"
    return None, (
        "no Baserow server: set BASEROW_URL/BASEROW_TOKEN (with BASEROW_EMAIL, "
        "BASEROW_PASSWORD, BASEROW_DATABASE_ID), or put the kit in ../shared/baserow/"
    )


@pytest.fixture(scope="session")
def baserow_server() -> BaserowServer:
    """The Baserow the tests talk to (see the module docstring)."""
    env, reason = _find()
    needed = ("BASEROW_URL", "BASEROW_TOKEN", "BASEROW_EMAIL", "BASEROW_PASSWORD")
    if env is not None and not all(env.get(n) for n in (*needed, "BASEROW_DATABASE_ID")):
        env, reason = None, f"the Baserow environment lacks one of {needed}, BASEROW_DATABASE_ID"
    if env is None:
        if os.environ.get("SOFTR_ORM_REQUIRE_BASEROW") == "1":
            pytest.fail(f"SOFTR_ORM_REQUIRE_BASEROW=1 but {reason}")
        pytest.skip(reason)
    return BaserowServer(
        url=env["BASEROW_URL"],
        token=env["BASEROW_TOKEN"],
        email=env["BASEROW_EMAIL"],
        password=env["BASEROW_PASSWORD"],
        database_id=env["BASEROW_DATABASE_ID"],
    )


@pytest.fixture(scope="session")
def baserow(baserow_server: BaserowServer) -> Iterator[BaserowSession]:
    """A session on the test server (token plus sign-in)."""
    with baserow_server.session() as session:
        yield session


def unique(prefix: str) -> str:
    """A table name no other test run uses."""
    return f"{prefix} {uuid.uuid4().hex[:8]}"


# --- the test tables ------------------------------------------------------------------------

STATUSES = ["Open", "Done", "Blocked"]
TAGS = ["red", "green", "blue"]


@dataclass(frozen=True)
class Tables:
    """The ids of the tables every Baserow test shares (created once per session)."""

    database_id: str
    projects: str
    tasks: str


def _task_fields(projects_id: str) -> list[dict[str, object]]:
    """One field of every Baserow type the ORM maps (baserow-api.md §4.4)."""
    options = [{"value": v, "color": "blue"} for v in STATUSES]
    return [
        {"name": "Title", "type": "text"},
        {"name": "Notes", "type": "long_text"},
        {"name": "Points", "type": "number", "number_negative": True},
        {"name": "Price", "type": "number", "number_decimal_places": 2, "number_negative": True},
        {"name": "Done", "type": "boolean"},
        {"name": "Due", "type": "date"},
        {"name": "At", "type": "date", "date_include_time": True},
        {"name": "Project", "type": "link_row", "link_row_table_id": int(projects_id)},
        {"name": "Status", "type": "single_select", "select_options": options},
        {
            "name": "Tags",
            "type": "multiple_select",
            "select_options": [{"value": v, "color": "red"} for v in TAGS],
        },
        {"name": "Files", "type": "file"},
        {"name": "Email", "type": "email"},
        {"name": "Site", "type": "url"},
        {"name": "Phone", "type": "phone_number"},
        {"name": "Stars", "type": "rating", "max_value": 5},
        {"name": "Spent", "type": "duration", "duration_format": "h:mm:ss"},
        {"name": "Created", "type": "created_on", "date_include_time": True},
        {"name": "Modified", "type": "last_modified", "date_include_time": True},
        {"name": "Creator", "type": "created_by"},
        {"name": "Editor", "type": "last_modified_by"},
        {"name": "People", "type": "multiple_collaborators"},
        {"name": "Num", "type": "autonumber"},
        {"name": "Key", "type": "uuid"},
        {"name": "Double", "type": "formula", "formula": "field('Points') * 2"},
        {
            "name": "Project names",
            "type": "lookup",
            "through_field_name": "Project",
            "target_field_name": "Name",
        },
        {"name": "Secret", "type": "password"},
    ]


@pytest.fixture(scope="session")
def tables(baserow: BaserowSession, baserow_server: BaserowServer) -> Iterator[Tables]:
    """Projects and Tasks, created with the JWT and deleted at the end of the session."""
    backend = baserow.backend
    db = baserow_server.database_id
    projects = backend.create_table(
        db,
        unique("Projects"),
        [{"name": "Name", "type": "text"}, {"name": "Budget", "type": "number"}],
    )
    try:
        tasks = backend.create_table(db, unique("Tasks"), _task_fields(projects.id))
        try:
            # count and rollup take field ids (names only work for lookups)
            link = next(f.number for f in tasks.fields if f.name == "Project")
            budget = next(f.number for f in projects.fields if f.name == "Budget")
            backend.add_field(
                tasks.id, {"name": "Project count", "type": "count", "through_field_id": link}
            )
            backend.add_field(
                tasks.id,
                {
                    "name": "Budget sum",
                    "type": "rollup",
                    "through_field_id": link,
                    "target_field_id": budget,
                    "rollup_function": "sum",
                },
            )
            yield Tables(db, projects.id, tasks.id)
        finally:
            backend.delete_table(tasks.id)
    finally:
        backend.delete_table(projects.id)
