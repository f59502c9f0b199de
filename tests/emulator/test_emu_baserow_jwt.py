"""The Baserow face's JWTs: expiry on the store's clock, refresh tokens refused as access
tokens, and the client's re-sign-in after a 401 (docs/emulator.md, Baserow face)."""

from __future__ import annotations

import datetime as dt

import requests

from softr_orm.backends.baserow import BaserowSession
from softr_orm.emulator import Emulator


def test_jwt_expires_and_the_client_signs_in_again() -> None:
    with Emulator() as emu:
        url = emu.baserow_url
        signed = requests.post(
            url + "/api/user/token-auth/",
            json={"email": emu.baserow_email, "password": emu.baserow_password},
            timeout=10,
        ).json()
        db = emu.create_database("J")["id"]
        seq = emu.store.databases[db].seq
        tables = f"{url}/api/database/tables/database/{seq}/"
        ok = requests.get(tables, headers={"Authorization": "JWT " + signed["access_token"]})
        assert ok.status_code == 200 and ok.json() == []
        refresh = requests.get(tables, headers={"Authorization": "JWT " + signed["refresh_token"]})
        assert refresh.status_code == 401
        assert refresh.json()["error"] == "ERROR_INVALID_ACCESS_TOKEN"
        session = BaserowSession(
            emu.baserow_token, base_url=url, email=emu.baserow_email, password=emu.baserow_password
        )
        assert session.schema_request("GET", ["database", "tables", "database", str(seq)]) == []
        emu.set_now(dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=11))
        late = requests.get(tables, headers={"Authorization": "JWT " + signed["access_token"]})
        assert late.status_code == 401
        assert late.json()["error"] == "ERROR_INVALID_ACCESS_TOKEN"
        # the session's JWT expired too: it signs in again and the call succeeds
        assert session.schema_request("GET", ["database", "tables", "database", str(seq)]) == []
        session.close()


def test_the_password_is_stable_and_others_cannot_sign_in() -> None:
    with Emulator() as emu:
        assert emu.baserow_password == emu.baserow_password
        wrong = requests.post(
            emu.baserow_url + "/api/user/token-auth/",
            json={"email": emu.baserow_email, "password": emu.baserow_password + "x"},
            timeout=10,
        )
        assert wrong.status_code == 401
        assert wrong.json() == {
            "error": "ERROR_INVALID_CREDENTIALS",
            "detail": "No active account found with the given credentials.",
        }
