"""JWT sign-in and the schema endpoints a JWT reaches, on the emulator's face and a real
Baserow (baserow-api.md §1.3, §8): ``POST /api/user/token-auth/``, the JWT header's errors,
listing a database's tables, creating and deleting tables, creating fields.

Each scenario runs on both servers with their own user and database; answers are compared
after replacing what must differ (ids, names, tokens, the order of a table among the
database's others, which concurrent tests on the real server change).
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from baserow_targets import TIMEOUT, baserow_env_or_skip, normalise

from softr_orm.emulator import Emulator

pytestmark = pytest.mark.integration


@dataclass
class Server:
    name: str
    url: str
    token: str
    email: str
    password: str
    database: int

    def call(self, method: str, path: str, auth: str | None = None, **kwargs: Any) -> Any:
        headers = {"Authorization": auth} if auth is not None else {}
        return requests.request(method, self.url + path, headers=headers, timeout=TIMEOUT, **kwargs)

    def sign_in(self) -> str:
        answer = self.call(
            "POST", "/api/user/token-auth/", json={"email": self.email, "password": self.password}
        )
        assert answer.status_code == 200, answer.text
        return str(answer.json()["access_token"])


@pytest.fixture(scope="module")
def servers() -> Iterator[list[Server]]:
    env = baserow_env_or_skip()
    with Emulator() as emu:
        db = emu.create_database("JWT conformance")["id"]
        emulated = Server(
            "emulator",
            emu.baserow_url,
            emu.baserow_token,
            emu.baserow_email,
            emu.baserow_password,
            emu.store.databases[db].seq,
        )
        found = [emulated]
        if env is not None:
            assert env.get("BASEROW_EMAIL") and env.get("BASEROW_PASSWORD"), "no sign-in"
            found.append(
                Server(
                    "baserow",
                    env["BASEROW_URL"],
                    env["BASEROW_TOKEN"],
                    env["BASEROW_EMAIL"],
                    env["BASEROW_PASSWORD"],
                    int(env.get("BASEROW_DATABASE_ID", "1")),
                )
            )
        yield found


def same(servers: list[Server], scenario: Any) -> Any:
    results = [scenario(server) for server in servers]
    for server, result in zip(servers[1:], results[1:], strict=True):
        assert results[0] == result, f"emulator != {server.name}:\n{results[0]!r}\n{result!r}"
    return results[0]


def outcome(answer: Any) -> tuple[int, Any]:
    return answer.status_code, normalise(answer.json()) if answer.content else None


def _claims(jwt: str) -> dict[str, Any]:
    part = jwt.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))


def test_sign_in_answer_shape(servers: list[Server]) -> None:
    def scenario(server: Server) -> Any:
        answer = server.call(
            "POST",
            "/api/user/token-auth/",
            json={"email": server.email.upper(), "password": server.password},
        )
        body = answer.json()
        access = _claims(body["access_token"])
        return (
            answer.status_code,
            sorted(body),
            sorted(body["user"]),
            body["user"]["username"] == server.email,
            body["token"] == body["access_token"],
            sorted(access),
            access["token_type"],
            _claims(body["refresh_token"])["token_type"],
            isinstance(body["permissions"], list),
            body["user_notifications"],
        )

    assert same(servers, scenario)[0] == 200


def test_sign_in_errors(servers: list[Server]) -> None:
    def scenario(server: Server) -> Any:
        path = "/api/user/token-auth/"
        return [
            outcome(server.call("POST", path, json={"email": server.email, "password": "nope"})),
            outcome(
                server.call("POST", path, json={"email": "nobody@example.com", "password": "x"})
            ),
            outcome(server.call("POST", path, json={"email": server.email})),
            outcome(server.call("POST", path, json={})),
            outcome(server.call("GET", path)),
        ]

    results = same(servers, scenario)
    assert [status for status, _ in results] == [401, 401, 400, 400, 405]
    assert results[0][1]["error"] == "ERROR_INVALID_CREDENTIALS"


def test_jwt_header_errors(servers: list[Server]) -> None:
    def scenario(server: Server) -> Any:
        tables = f"/api/database/tables/database/{server.database}/"
        jwt = server.sign_in()
        return [
            outcome(server.call("GET", tables, auth="JWT abc")),
            outcome(server.call("GET", tables, auth="JWT " + jwt[:-4] + "AAAA")),
            outcome(server.call("GET", tables, auth="JWT")),
            outcome(server.call("GET", tables, auth="JWT a b")),
            outcome(server.call("GET", tables, auth="Token " + server.token)),
            outcome(server.call("GET", tables)),
            outcome(server.call("GET", tables, auth="Bearer " + jwt)),
            outcome(server.call("GET", "/api/database/tables/all-tables/", auth="JWT " + jwt)),
            outcome(server.call("GET", "/api/database/tokens/check/", auth="JWT " + jwt)),
            outcome(server.call("GET", "/api/database/tables/database/999999/", auth="JWT " + jwt)),
            outcome(server.call("GET", "/api/database/fields/table/999999/", auth="JWT " + jwt)),
            outcome(server.call("GET", "/api/database/rows/table/999999/", auth="JWT " + jwt)),
            outcome(server.call("DELETE", "/api/database/tables/999999/", auth="JWT " + jwt)),
        ]

    results = same(servers, scenario)
    assert [status for status, _ in results] == [
        401, 401, 401, 401, 401, 401, 401, 403, 403, 404, 404, 404, 404,
    ]  # fmt: skip


def _table(body: Any) -> Any:
    """A table object with what differs by server replaced."""
    return {**normalise(body), "id": "<id>", "name": "<name>", "order": "<order>"}


def _field(body: Any) -> Any:
    return {**normalise(body), "id": "<id>"}


def test_create_list_and_delete_tables(servers: list[Server]) -> None:
    suffix = f"jwt-{os.getpid()}"

    def scenario(server: Server) -> Any:
        auth = "JWT " + server.sign_in()
        tables = f"/api/database/tables/database/{server.database}/"
        made = server.call(
            "POST",
            tables,
            auth=auth,
            json={"name": f"Probe {suffix}", "data": [["Title"]], "first_row_header": True},
        )
        assert made.status_code == 200, made.text
        table_id = made.json()["id"]
        fields = f"/api/database/fields/table/{table_id}/"
        try:
            listed = server.call("GET", tables, auth=auth).json()
            mine = [t for t in listed if t["id"] == table_id]
            points = server.call(
                "POST",
                fields,
                auth=auth,
                json={"name": "Points", "type": "number", "number_decimal_places": 1},
            )
            shown = server.call("GET", fields, auth=auth).json()
            rows = server.call(
                "GET", f"/api/database/rows/table/{table_id}/", auth="Token " + server.token
            )
            errors = [
                outcome(
                    server.call("POST", fields, auth=auth, json={"name": "Points", "type": "text"})
                ),
                outcome(server.call("POST", fields, auth=auth, json={"name": "X", "type": "nope"})),
                outcome(server.call("POST", fields, auth=auth, json={"type": "text"})),
                outcome(
                    server.call(
                        "POST",
                        fields,
                        auth="Token " + server.token,
                        json={"name": "Y", "type": "text"},
                    )
                ),
                outcome(
                    server.call(
                        "POST",
                        "/api/database/fields/table/999999/",
                        auth=auth,
                        json={"name": "Y", "type": "text"},
                    )
                ),
                outcome(server.call("POST", tables, auth=auth, json={})),
                outcome(
                    server.call(
                        "DELETE", f"/api/database/tables/{table_id}/", auth="Token " + server.token
                    )
                ),
            ]
        finally:
            deleted = server.call("DELETE", f"/api/database/tables/{table_id}/", auth=auth)
        again = server.call("DELETE", f"/api/database/tables/{table_id}/", auth=auth)
        gone = [t for t in server.call("GET", tables, auth=auth).json() if t["id"] == table_id]
        return (
            (made.status_code, _table(made.json())),
            [_table(t) for t in mine],
            (points.status_code, _field(points.json())),
            [_field(f) for f in shown],
            outcome(rows),
            errors,
            deleted.status_code,
            outcome(again),
            gone,
        )

    result = same(servers, scenario)
    assert result[6] == 204 and result[7][0] == 404 and result[8] == []
