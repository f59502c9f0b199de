"""The Users Management API through ``session.users(domain=...)``, against the emulator.

Everything a user of the friendly level meets: typed :class:`AppUser` answers, the status
life cycle (create, invite, deactivate, activate, delete), magic links that validate, sync,
and the errors, each its own exception class.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator

import pytest

from softr_orm import Session
from softr_orm.backends.softr.users import AppUser, Users
from softr_orm.emulator import Emulator
from softr_orm.errors import (
    BadRequest,
    ConstraintViolation,
    FieldValidationError,
    Forbidden,
    NotFound,
    Unauthorized,
)

pytestmark = pytest.mark.integration

_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def session(emu: Emulator) -> Iterator[Session]:
    with Session(
        emu.api_key, base_url=emu.base_url, users_base_url=emu.users_base_url, rate_limit=False
    ) as made:
        yield made


@pytest.fixture
def users(session: Session, emu: Emulator) -> Users:
    return session.users(domain=emu.app_domain)


@pytest.fixture
def email() -> str:
    """A fresh address per test (users persist in the module's emulator)."""
    return f"user{next(_numbers)}+crm@example.com"


def test_create_returns_a_typed_user(users: Users, email: str) -> None:
    """create() answers an AppUser with what the server sent; no magic link unless asked."""
    user = users.create(full_name="Ada Byron", email=email, password="s3cret-pass")
    assert isinstance(user, AppUser)
    assert (user.email, user.full_name, user.status) == (email, "Ada Byron", "ACTIVE")
    assert isinstance(user.created_at, dt.datetime) and user.created_at.tzinfo is not None
    assert user.magic_link is None
    assert "password" not in str(user.raw) and "s3cret" not in repr(user)


def test_magic_link_on_create_is_secret_and_validates(
    users: Users, email: str, emu: Emulator
) -> None:
    """generate_magic_link=True fills .magic_link (kept out of repr); its token validates."""
    user = users.create(full_name="Grace", email=email, generate_magic_link=True)
    assert user.magic_link is not None
    assert user.magic_link.startswith(f"https://{emu.app_domain}/magic-link?token=")
    assert user.magic_link not in repr(user) and "token=" not in repr(user)
    jwt = user.magic_link.split("token=", 1)[1]
    answer = Users(users.session, emu.app_domain, app_base_url=emu.users_base_url)
    checked = answer.validate_token(jwt)
    assert checked["valid"] is True and checked["user"]["email"] == email


def test_status_life_cycle(users: Users, email: str) -> None:
    """invite -> INVITED, deactivate -> INACTIVE, activate -> ACTIVE; each answers the user."""
    users.create(full_name="Linus", email=email)
    invited = users.invite(email)
    assert (invited.email, invited.status) == (email, "INVITED")
    off = users.deactivate(email)
    assert off.status == "INACTIVE" and off.full_name == "Linus"
    with pytest.raises(BadRequest, match="deactivated"):
        users.magic_link(email)  # no login links for deactivated users
    on = users.activate(email)
    assert on.status == "ACTIVE"
    assert on.updated_at is not None and off.updated_at is not None
    assert on.updated_at >= off.updated_at


def test_magic_link(users: Users, email: str) -> None:
    """magic_link() returns the link as a str; each call makes a new one."""
    users.create(full_name="Mo", email=email)
    first, second = users.magic_link(email), users.magic_link(email)
    assert isinstance(first, str) and first.startswith("https://") and first != second


def test_delete_is_idempotent(users: Users, email: str, session: Session) -> None:
    """delete() removes the user; deleting again is no error (Softr's n8n node does the same)
    but the raw endpoint can still insist with missing_ok=False."""
    users.create(full_name="Temp", email=email)
    assert users.delete(email) is None
    with pytest.raises(NotFound):
        users.activate(email)
    users.delete(email)  # already gone: fine
    with pytest.raises(NotFound):
        session.api.delete_user(users.domain, email, missing_ok=False)
    again = users.create(full_name="Temp again", email=email)  # the address is free again
    assert again.full_name == "Temp again"


def test_duplicate_email_is_a_constraint_violation(users: Users, email: str) -> None:
    """The same address twice (in any case) raises ConstraintViolation with the status."""
    users.create(full_name="One", email=email)
    with pytest.raises(ConstraintViolation) as caught:
        users.create(full_name="Two", email=email.upper())
    assert caught.value.status == 409
    assert caught.value.error_code == "CONSTRAINT_VIOLATION"
    assert "already exists" in str(caught.value)


@pytest.mark.parametrize("action", ["invite", "activate", "deactivate", "magic_link"])
def test_unknown_user_is_not_found(users: Users, action: str) -> None:
    """Every per-user call on an address the app does not know raises NotFound."""
    with pytest.raises(NotFound) as caught:
        getattr(users, action)("nobody@example.com")
    assert caught.value.status == 404


def test_invalid_email_is_refused(users: Users) -> None:
    """A malformed address: the server's validation error; one with spaces never leaves."""
    with pytest.raises(FieldValidationError, match="not a valid email"):
        users.create(full_name="X", email="not-an-email")
    before = users.session.request_count
    with pytest.raises(ValueError, match="without spaces"):
        users.invite("two words@example.com")
    assert users.session.request_count == before


def test_unknown_domain_is_unauthorized(session: Session) -> None:
    """A domain with no published app: Unauthorized (the emulator's answer, like Softr's 401)."""
    with pytest.raises(Unauthorized, match="no published app"):
        session.users(domain="nope.softr.app").create(full_name="X", email="x@example.com")


def test_app_of_another_workspace_is_forbidden(session: Session, emu: Emulator) -> None:
    """An app the key's workspace does not own: Forbidden."""
    domain = emu.create_app(f"other{next(_numbers)}.softr.app", emu.create_workspace("Other"))
    with pytest.raises(Forbidden, match="no access"):
        session.users(domain=domain).invite("x@example.com")


def test_bad_key_is_unauthorized(emu: Emulator) -> None:
    with (
        Session("not-a-key", base_url=emu.base_url, users_base_url=emu.users_base_url) as bad,
        pytest.raises(Unauthorized, match="invalid API key"),
    ):
        bad.users(domain=emu.app_domain).sync()


def test_malformed_domain_is_refused_before_any_request(session: Session) -> None:
    """A URL or a path is not a domain: ValueError, nothing sent."""
    for domain in ("https://demo.softr.app", "demo.softr.app/x", "", "a b"):
        with pytest.raises(ValueError, match="bare host name"):
            session.users(domain=domain)
    assert session.request_count == 0


def test_sync(users: Users, email: str, session: Session) -> None:
    """sync() syncs all users, sync([...]) the listed ones; an empty list sends nothing."""
    users.create(full_name="Sync me", email=email)
    everyone = users.sync()
    assert everyone["status"] == "SYNC_STARTED" and email in everyone["synced"]
    some = users.sync([email, "unknown@example.com"])
    assert some["synced"] == [email]
    assert users.sync(email)["synced"] == [email]  # one address as a plain str
    before = session.request_count
    assert users.sync([]) is None
    assert session.request_count == before
