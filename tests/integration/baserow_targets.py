"""Two Baserow servers answering the same requests: the emulator's face and a real Baserow.

``real_baserow_env()`` finds the real server: BASEROW_URL/BASEROW_TOKEN from the environment,
else ``shared/baserow/baserow.sh start`` next to the repository (or its parents), else
``/tmp/br/env`` when that server is healthy. ``Target`` sends requests to one server with its
own token; ``build_tables`` creates the same two tables on either (on the real server through
its JWT API, on the emulator through the store), and maps each field's options to that
server's ids, so a test can phrase one request for both.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from softr_orm.emulator import Emulator

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path("shared") / "baserow" / "baserow.sh"
TIMEOUT = 30


def _parse_env(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("export "):
            line = line[len("export ") :]
        key, sep, value = line.partition("=")
        if sep and key.startswith("BASEROW_"):
            found[key] = value.strip().strip("'\"")
    return found


def _healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/api/_health/", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def real_baserow_env() -> tuple[dict[str, str] | None, str]:
    """(the real server's variables, or None with the reason it was not found)."""
    if os.environ.get("BASEROW_URL") and os.environ.get("BASEROW_TOKEN"):
        return {k: v for k, v in os.environ.items() if k.startswith("BASEROW_")}, ""
    for parent in (REPO, *REPO.parents):
        script = parent / SCRIPT
        if script.is_file():
            try:
                done = subprocess.run(
                    [str(script), "start", "/tmp/br"],
                    capture_output=True,
                    text=True,
                    timeout=600,
                    check=False,
                )
            except (OSError, subprocess.TimeoutExpired) as error:
                return None, f"{script} failed: {error}"
            env = _parse_env(done.stdout)
            if done.returncode == 0 and env.get("BASEROW_URL"):
                return env, ""
            return None, f"{script} start failed ({done.returncode}): {done.stderr[-300:]}"
    saved = Path("/tmp/br/env")
    if saved.is_file():
        env = _parse_env(saved.read_text(encoding="utf-8"))
        if env.get("BASEROW_URL") and _healthy(env["BASEROW_URL"]):
            return env, ""
    return (
        None,
        "no real Baserow: set BASEROW_URL/BASEROW_TOKEN or provide shared/baserow/baserow.sh",
    )


def fresh_jwt(env: dict[str, str]) -> str:
    """A JWT valid for 10 minutes (the one in the environment may have expired)."""
    if env.get("BASEROW_EMAIL") and env.get("BASEROW_PASSWORD"):
        answer = requests.post(
            f"{env['BASEROW_URL']}/api/user/token-auth/",
            json={"email": env["BASEROW_EMAIL"], "password": env["BASEROW_PASSWORD"]},
            timeout=TIMEOUT,
        )
        answer.raise_for_status()
        return str(answer.json()["access_token"])
    return env["BASEROW_JWT"]


@dataclass
class Target:
    """One server: where, which token, and the ids of the test tables on it."""

    name: str
    url: str
    token: str
    tables: dict[str, int] = field(default_factory=dict)
    #: field name -> option value -> option id, per table
    options: dict[str, dict[str, int]] = field(default_factory=dict)
    session: requests.Session = field(default_factory=requests.Session)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Token {self.token}", **kwargs.pop("headers", {})}
        return self.session.request(
            method, self.url + path, headers=headers, timeout=TIMEOUT, **kwargs
        )

    def rows(self, table: str = "Items") -> str:
        return f"/api/database/rows/table/{self.tables[table]}/"


# --- the test tables, in Baserow's words and in the store's -----------------------------------

SELECT_OPTIONS = [{"value": "Open", "color": "blue"}, {"value": "Closed", "color": "red"}]
TAG_OPTIONS = [
    {"value": "a", "color": "green"},
    {"value": "b", "color": "yellow"},
    {"value": "c", "color": "orange"},
]
#: (name, Baserow field body, the store's field body); the primary "Name" comes first.
ITEM_FIELDS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("Notes", {"type": "long_text"}, {"type": "LONG_TEXT"}),
    (
        "Price",
        {"type": "number", "number_decimal_places": 2, "number_negative": True},
        {"type": "NUMBER", "options": {"precision": 2}},
    ),
    (
        "Qty",
        {"type": "number", "number_decimal_places": 0, "number_negative": False},
        {"type": "NUMBER", "options": {"precision": 0, "min": 0}},
    ),
    ("Active", {"type": "boolean"}, {"type": "CHECKBOX"}),
    ("Due", {"type": "date", "date_format": "ISO"}, {"type": "DATE"}),
    (
        "At",
        {"type": "date", "date_format": "ISO", "date_include_time": True, "date_time_format": "24"},
        {"type": "DATETIME"},
    ),
    (
        "Status",
        {"type": "single_select", "select_options": SELECT_OPTIONS},
        {
            "type": "SELECT",
            "options": {
                "choices": [{"label": o["value"], "color": o["color"]} for o in SELECT_OPTIONS]
            },
        },
    ),
    (
        "Tags",
        {"type": "multiple_select", "select_options": TAG_OPTIONS},
        {
            "type": "SELECT",
            "allowMultipleEntries": True,
            "options": {
                "choices": [{"label": o["value"], "color": o["color"]} for o in TAG_OPTIONS]
            },
        },
    ),
    ("Email", {"type": "email"}, {"type": "EMAIL"}),
    ("Site", {"type": "url"}, {"type": "URL"}),
    ("Phone", {"type": "phone_number"}, {"type": "PHONE"}),
    ("Stars", {"type": "rating", "max_value": 5}, {"type": "RATING", "options": {"max": 5}}),
    ("Time", {"type": "duration", "duration_format": "h:mm:ss"}, {"type": "DURATION"}),
    (
        "Created",
        {"type": "created_on", "date_format": "ISO", "date_include_time": True},
        {"type": "CREATED_AT"},
    ),
    ("Number", {"type": "autonumber"}, {"type": "AUTONUMBER"}),
]
LINK = "Owner"


def _option_ids(fields: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    return {
        f["name"]: {o["value"]: o["id"] for o in f["select_options"]}
        for f in fields
        if "select_options" in f
    }


def build_real(env: dict[str, str], suffix: str) -> tuple[Target, list[int]]:
    """The two tables on the real Baserow (returns the target and the table ids to delete)."""
    url, jwt = env["BASEROW_URL"], fresh_jwt(env)
    headers = {"Authorization": f"JWT {jwt}"}
    database = env.get("BASEROW_DATABASE_ID", "1")
    created: list[int] = []

    def make(name: str) -> int:
        answer = requests.post(
            f"{url}/api/database/tables/database/{database}/",
            json={"name": f"{name} {suffix}", "data": [["Name"]], "first_row_header": True},
            headers=headers,
            timeout=TIMEOUT,
        )
        answer.raise_for_status()
        created.append(int(answer.json()["id"]))
        return created[-1]

    owners, items = make("Owners"), make("Items")
    for name, body, _ in ITEM_FIELDS:
        answer = requests.post(
            f"{url}/api/database/fields/table/{items}/",
            json={"name": name, **body},
            headers=headers,
            timeout=TIMEOUT,
        )
        assert answer.status_code == 200, answer.text
    answer = requests.post(
        f"{url}/api/database/fields/table/{items}/",
        json={
            "name": LINK,
            "type": "link_row",
            "link_row_table_id": owners,
            "has_related_field": False,
        },
        headers=headers,
        timeout=TIMEOUT,
    )
    assert answer.status_code == 200, answer.text
    target = Target("baserow", url, env["BASEROW_TOKEN"], {"Items": items, "Owners": owners})
    fields = target.request("GET", f"/api/database/fields/table/{items}/").json()
    target.options = _option_ids(fields)
    return target, created


def drop_real(env: dict[str, str], table_ids: list[int]) -> None:
    headers = {"Authorization": f"JWT {fresh_jwt(env)}"}
    for table_id in table_ids:
        requests.delete(
            f"{env['BASEROW_URL']}/api/database/tables/{table_id}/",
            headers=headers,
            timeout=TIMEOUT,
        )


def build_emulated(emu: Any) -> Target:
    """The same two tables in the emulator (through the store), seen through its face."""
    database = emu.create_database("Conformance")["id"]
    owners = emu.create_table(database, "Owners", [{"name": "Name", "type": "SINGLE_LINE_TEXT"}])
    fields = [{"name": "Name", "type": "SINGLE_LINE_TEXT"}]
    fields += [{"name": name, **store_body} for name, _, store_body in ITEM_FIELDS]
    fields.append(
        {
            "name": LINK,
            "type": "LINKED_RECORD",
            "allowMultipleEntries": True,
            "options": {"linkedTableId": owners["id"]},
        }
    )
    items = emu.create_table(database, "Items", fields)
    target = Target("emulator", emu.baserow_url, emu.baserow_token)
    listed = target.request("GET", "/api/database/tables/all-tables/").json()
    newest = max(t["database_id"] for t in listed)  # the database made just now
    seq = {t["name"]: t["id"] for t in listed if t["database_id"] == newest}
    target.tables = {"Items": seq["Items"], "Owners": seq["Owners"]}
    assert items["name"] == "Items"
    answer = target.request("GET", f"/api/database/fields/table/{target.tables['Items']}/")
    target.options = _option_ids(answer.json())
    return target


# --- fixtures and comparison helpers --------------------------------------------------------

_suffix = itertools.count(1)
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
Scenario = Callable[[Target], Any]
#: Fields whose values are the server's clock.
TIMESTAMP_FIELDS = ("Created",)


def baserow_env_or_skip() -> dict[str, str] | None:
    """The real server's variables, or None (a failure when SOFTR_ORM_REQUIRE_BASEROW=1)."""
    env, reason = real_baserow_env()
    if env is None and os.environ.get("SOFTR_ORM_REQUIRE_BASEROW") == "1":
        pytest.fail(f"SOFTR_ORM_REQUIRE_BASEROW=1 but {reason}")
    return env


def targets_for(emulator: Emulator, env: dict[str, str] | None) -> Iterator[list[Target]]:
    made = [build_emulated(emulator)]
    created: list[int] = []
    if env is not None:
        real, created = build_real(env, f"h8-{os.getpid()}-{next(_suffix)}")
        made.append(real)
    try:
        yield made
    finally:
        if env is not None:
            drop_real(env, created)


# --- helpers ------------------------------------------------------------------------------------


def normalise(value: Any) -> Any:
    """Ids that differ by server become markers; timestamps ``<ts>``; paging URLs their query."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in ("next", "previous") and isinstance(item, str):
                out[key] = item.split("?", 1)[1] if "?" in item else ""
            elif key in TIMESTAMP_FIELDS and isinstance(item, str) and _TIMESTAMP.match(item):
                out[key] = "<ts>"
            elif key in (
                "table_id",
                "database_id",
                "workspace_id",
                "link_row_table_id",
                "link_row_table",
            ) and isinstance(item, int):
                out[key] = "<id>"
            else:
                out[key] = normalise(item)
        if set(out) == {"id", "value", "color"}:
            out["id"] = "<option>"
        return out
    if isinstance(value, list):
        return [normalise(item) for item in value]
    return value


def outcome(answer: Any) -> Any:
    """Status and normalised body of a response."""
    body = answer.json() if answer.content else None
    return answer.status_code, normalise(body)


def same(targets: list[Target], scenario: Scenario) -> Any:
    """Run ``scenario`` on every target; the answers must agree. Returns the emulator's."""
    results = [scenario(target) for target in targets]
    for target, result in zip(targets[1:], results[1:], strict=True):
        assert results[0] == result, f"emulator != {target.name}:\n{results[0]!r}\n{result!r}"
    return results[0]


def names(target: Target, query: dict[str, Any]) -> tuple[int, Any]:
    params = {"user_field_names": "true", **query}
    answer = target.request("GET", target.rows(), params=params)
    if answer.status_code != 200:
        return answer.status_code, answer.json().get("error")
    return 200, [row["id"] for row in answer.json()["results"]]


def tree(kind: str, *filters: tuple[str, str, str], groups: list[Any] | None = None) -> str:
    return json.dumps(
        {
            "filter_type": kind,
            "filters": [{"field": f, "type": t, "value": v} for f, t, v in filters],
            "groups": groups or [],
        }
    )
