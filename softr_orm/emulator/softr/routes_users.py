"""Handlers of the 8 Users Management API endpoints (under ``/v1/api``).

All but ``validate-token`` need ``Softr-Api-Key`` and a ``Softr-Domain`` naming an app the
emulator knows (checked by the app before a handler runs). Softr documents no responses for
this API; the emulator's choices are in :mod:`~softr_orm.emulator.store.appusers` and
docs/emulator.md.
"""

from __future__ import annotations

from collections.abc import Callable

from werkzeug.wrappers import Response

from softr_orm.constants import DOMAIN_HEADER

from ..store.appusers import AppUsers
from ..store.state import AppState
from .call import Call
from .responses import json_response, no_content

__all__ = ["ROUTES"]


def _app(call: Call) -> AppState:
    assert call.softr_app is not None
    return call.softr_app


def create_user(call: Call) -> Response:
    return json_response(AppUsers(call.store).create(_app(call), call.json()))


def delete_user(call: Call, email: str) -> Response:
    AppUsers(call.store).delete(_app(call), email)
    return no_content()


def deactivate_user(call: Call, email: str) -> Response:
    return json_response(AppUsers(call.store).set_status(_app(call), email, "INACTIVE"))


def activate_user(call: Call, email: str) -> Response:
    return json_response(AppUsers(call.store).set_status(_app(call), email, "ACTIVE"))


def invite_user(call: Call, email: str) -> Response:
    return json_response(AppUsers(call.store).set_status(_app(call), email, "INVITED"))


def generate_magic_link(call: Call, email: str) -> Response:
    return json_response(AppUsers(call.store).magic_link(_app(call), email))


def sync_users(call: Call) -> Response:
    return json_response(AppUsers(call.store).sync(_app(call), call.json()))


def validate_token(call: Call) -> Response:
    domain = call.request.headers.get(DOMAIN_HEADER)
    return json_response(AppUsers(call.store).validate(call.json(), domain))


ROUTES: list[tuple[str, tuple[str, ...], Callable[..., Response]]] = [
    ("/users", ("POST",), create_user),
    ("/users/validate-token", ("POST",), validate_token),
    ("/users/sync", ("POST",), sync_users),
    ("/users/magic-link/generate/<email>", ("POST",), generate_magic_link),
    ("/users/<email>", ("DELETE",), delete_user),
    ("/users/<email>/deactivate", ("POST",), deactivate_user),
    ("/users/<email>/activate", ("POST",), activate_user),
    ("/users/<email>/invite", ("POST",), invite_user),
]
