"""Admin routes under ``/_emulator/`` (not part of Softr): reset, seed, faults, request log,
tokens, workspaces, apps, clock and rate-limit switches.

All but ``GET /_emulator/health`` need ``Authorization: Bearer <admin token>``; a normal API
key (as bearer or in ``Softr-Api-Key``) is answered 403, anything else 401. Answers use the
``{"data": ...}`` envelope.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Response

from softr_orm.constants import API_KEY_HEADER

from ..store.errors import bad_request
from ..store.seeds import run_seed
from ..store.timestamps import format_instant, parse_instant
from .call import Call
from .errors import HttpError
from .faults import FaultConfig
from .responses import json_response, ok

__all__ = ["ROUTES"]


def _admin(call: Call) -> None:
    header = call.request.headers.get("Authorization", "")
    scheme, _, credential = header.partition(" ")
    credential = credential.strip()
    if (
        scheme.lower() == "bearer"
        and credential
        and hmac.compare_digest(credential.encode(), call.store.admin_token.encode())
    ):
        return
    api_key = call.request.headers.get(API_KEY_HEADER, "").strip()
    if (credential and call.store.token_for_secret(credential)) or (
        api_key and call.store.token_for_secret(api_key)
    ):
        raise HttpError("FORBIDDEN", "admin routes need the admin token, not an API key")
    raise HttpError("UNAUTHORIZED", "admin routes need 'Authorization: Bearer <admin token>'")


def health(call: Call) -> Response:
    """``ok``, or ``degraded`` with the damaged record rows met so far (no auth needed)."""
    with call.store.lock:
        damaged = [dict(entry) for entry in call.store.damaged]
    if not damaged:
        return json_response({"status": "ok"})
    return json_response({"status": "degraded", "damagedRecords": damaged})


def reset(call: Call) -> Response:
    _admin(call)
    call.store.reset()
    call.controls.limiter.reset()
    call.controls.log.clear()
    return ok({"reset": True})


def seed(call: Call) -> Response:
    _admin(call)
    body = call.json_object(required=True)
    name = body.get("name")
    if not isinstance(name, str):
        raise bad_request("'name' (the seed's name) is required")
    return ok(run_seed(call.store, name, replace=True))


def get_faults(call: Call) -> Response:
    _admin(call)
    return ok(call.controls.faults.config.as_dict())


def set_faults(call: Call) -> Response:
    _admin(call)
    try:
        config = FaultConfig.from_mapping(call.json_object(required=True))
    except ValueError as exc:
        raise bad_request(str(exc)) from None
    call.controls.faults.configure(config)
    return ok(config.as_dict())


def clear_faults(call: Call) -> Response:
    _admin(call)
    call.controls.faults.configure(FaultConfig())
    return ok(call.controls.faults.config.as_dict())


def get_requests(call: Call) -> Response:
    _admin(call)
    return ok(call.controls.log.entries())


def clear_requests(call: Call) -> Response:
    _admin(call)
    call.controls.log.clear()
    return ok([])


def _token_api(call: Call, token_id: str) -> dict[str, Any]:
    token = call.store.tokens[token_id]
    return {
        "id": token.id,
        "name": token.name,
        "userId": token.user_id,
        "workspaceIds": list(token.workspace_ids),
        "createdAt": token.created_at,
    }


def list_tokens(call: Call) -> Response:
    _admin(call)
    with call.store.lock:
        return ok([_token_api(call, token_id) for token_id in call.store.tokens])


def create_token(call: Call) -> Response:
    _admin(call)
    body = call.json_object(required=False)
    workspaces = body.get("workspaceIds", body.get("workspaces"))
    if workspaces is None:
        workspaces = list(call.store.default_token.workspace_ids)
    if not isinstance(workspaces, list) or not all(isinstance(w, str) for w in workspaces):
        raise bad_request("'workspaceIds' must be an array of workspace ids")
    name = body.get("name", "token")
    if not isinstance(name, str):
        raise bad_request("'name' must be a string")
    token = call.store.create_token(workspaces, name=name)
    answer = _token_api(call, token.id)
    answer["apiKey"] = token.secret  # shown once, as Softr Studio does
    return ok(answer)


def list_workspaces(call: Call) -> Response:
    _admin(call)
    with call.store.lock:
        return ok(
            [
                {
                    "id": ws.id,
                    "name": ws.name,
                    "createdAt": ws.created_at,
                    "members": [user.as_api() for user in call.store.members(ws.id)],
                }
                for ws in call.store.workspaces.values()
            ]
        )


def create_workspace(call: Call) -> Response:
    _admin(call)
    body = call.json_object(required=False)
    name = body.get("name", "Workspace")
    if not isinstance(name, str) or not name.strip():
        raise bad_request("'name' must be a non-empty string")
    workspace = call.store.create_workspace(name)
    return ok({"id": workspace.id, "name": workspace.name, "createdAt": workspace.created_at})


def add_member(call: Call, workspace_id: str) -> Response:
    _admin(call)
    body = call.json_object(required=True)
    email, full_name = body.get("email"), body.get("fullName", body.get("full_name"))
    if not isinstance(email, str) or not isinstance(full_name, str):
        raise bad_request("'email' and 'fullName' are required strings")
    return ok(call.store.add_member(workspace_id, email, full_name).as_api())


def list_apps(call: Call) -> Response:
    _admin(call)
    with call.store.lock:
        return ok(
            [
                {"domain": app.domain, "workspaceId": app.workspace_id, "users": len(app.users)}
                for app in call.store.apps.values()
            ]
        )


def create_app(call: Call) -> Response:
    _admin(call)
    body = call.json_object(required=True)
    domain, workspace_id = body.get("domain"), body.get("workspaceId")
    if not isinstance(domain, str) or (
        workspace_id is not None and not isinstance(workspace_id, str)
    ):
        raise bad_request("'domain' (string) is required; 'workspaceId' must be a string")
    app = call.store.create_app(domain, workspace_id)
    return ok({"domain": app.domain, "workspaceId": app.workspace_id})


def _now_api(call: Call) -> dict[str, Any]:
    override = call.store.now_override
    return {
        "now": call.store.now(),
        "override": None if override is None else format_instant(override),
    }


def get_now(call: Call) -> Response:
    _admin(call)
    return ok(_now_api(call))


def set_now(call: Call) -> Response:
    _admin(call)
    body = call.json_object(required=True)
    value = body.get("now")
    if value is None:
        call.store.now_override = None
    else:
        parsed = parse_instant(value) if isinstance(value, str) else None
        if parsed is None:
            raise bad_request("'now' must be an ISO date-time with an offset, or null")
        call.store.now_override = parsed
    return ok(_now_api(call))


def get_rate_limit(call: Call) -> Response:
    _admin(call)
    limiter = call.controls.limiter
    return ok({"enabled": limiter.enabled, **limiter.limits})


def set_rate_limit(call: Call) -> Response:
    _admin(call)
    body = call.json_object(required=True)
    enabled = body.get("enabled")
    if not isinstance(enabled, bool):
        raise bad_request("'enabled' must be a boolean")
    limiter = call.controls.limiter
    limiter.enabled = enabled
    limiter.reset()
    return ok({"enabled": limiter.enabled, **limiter.limits})


ROUTES: list[tuple[str, tuple[str, ...], Callable[..., Response]]] = [
    ("/health", ("GET",), health),
    ("/reset", ("POST",), reset),
    ("/seed", ("POST",), seed),
    ("/faults", ("GET",), get_faults),
    ("/faults", ("PUT",), set_faults),
    ("/faults", ("DELETE",), clear_faults),
    ("/requests", ("GET",), get_requests),
    ("/requests", ("DELETE",), clear_requests),
    ("/tokens", ("GET",), list_tokens),
    ("/tokens", ("POST",), create_token),
    ("/workspaces", ("GET",), list_workspaces),
    ("/workspaces", ("POST",), create_workspace),
    ("/workspaces/<workspace_id>/members", ("POST",), add_member),
    ("/apps", ("GET",), list_apps),
    ("/apps", ("POST",), create_app),
    ("/now", ("GET",), get_now),
    ("/now", ("PUT",), set_now),
    ("/rate-limit", ("GET",), get_rate_limit),
    ("/rate-limit", ("PUT",), set_rate_limit),
]
