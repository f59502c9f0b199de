"""Small value classes for field values that are more than a scalar.

They are frozen (hashable, safe to share between records and threads) and read leniently
from every shape Softr is known to answer with (softr-api.md §4.2), while their ``to_api``
always produces the one documented write form.
"""

from __future__ import annotations

import math
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

__all__ = ["Attachment", "SoftrUser"]


_T = TypeVar("_T")


def _opt_str(value: Any) -> str | None:
    return value if type(value) is str and value else None


def _opt_size(value: Any) -> int | None:
    if type(value) is int:
        return value
    if isinstance(value, (float, Decimal)) and not isinstance(value, bool):
        return int(value) if math.isfinite(value) else None
    return None


# Reads build thousands of values: fill the instance dict directly instead of going through
# the frozen dataclass __init__ (one object.__setattr__ per attribute, three times slower).
_new = object.__new__


def _build(cls: type[_T], **attrs: Any) -> _T:
    obj: _T = _new(cls)
    obj.__dict__.update(attrs)
    return obj


@dataclass(frozen=True)
class SoftrUser:
    """A workspace member as stored in a USER, CREATED_BY or UPDATED_BY field.

    Softr answers ``{"id", "email", "fullName"}``; any of the three may be missing. Writing
    needs either ``id`` or ``email`` (the id wins when both are known).

    Attributes:
        id: the Softr user id, or None when only the email is known.
        email: the user's email address, or None.
        name: the display name (Softr's ``fullName``), or None.
    """

    id: str | None = None
    email: str | None = None
    name: str | None = None

    @classmethod
    def from_api(cls, raw: Any) -> SoftrUser | None:
        """Read one user leniently: an object, an id string or an email string.

        Returns None for anything that names no user (null, an empty object, a number).
        """
        if type(raw) is dict or isinstance(raw, Mapping):
            get = raw.get
            user_id = get("id")
            email = get("email")
            name = get("fullName") or get("name")
            user = _new(cls)
            attrs = user.__dict__
            attrs["id"] = user_id if type(user_id) is str and user_id else None
            attrs["email"] = email if type(email) is str and email else None
            attrs["name"] = name if type(name) is str and name else None
            return user if user.id or user.email or user.name else None
        if isinstance(raw, str) and raw:
            return cls(email=raw) if "@" in raw else cls(id=raw)
        return None

    def to_api(self) -> dict[str, str]:
        """The write form: ``{"id": ...}``, or ``{"email": ...}`` when the id is unknown."""
        if self.id:
            return {"id": self.id}
        if self.email:
            return {"email": self.email}
        raise ValueError("a SoftrUser needs an id or an email to be written")

    def __str__(self) -> str:
        return self.name or self.email or self.id or "?"


@dataclass(frozen=True)
class Attachment:
    """A file in an ATTACHMENT field.

    Softr has no upload endpoint: it fetches ``url`` itself. On reads it answers objects with
    at least ``url`` and ``filename``; ``type``, ``size``, ``id`` and ``thumbnailUrl`` are
    present when Softr (or the emulator) knows them.

    Attributes:
        url: where the file lives (for reads, possibly an expiring link).
        filename: the file name shown in Softr.
        type: the MIME type, e.g. ``"image/png"``, when known.
        size: the size in bytes, when known.
        id: Softr's id of the stored file, when known (read only).
        thumbnail_url: a preview image, when Softr made one (read only).
    """

    url: str
    filename: str | None = None
    type: str | None = None
    size: int | None = None
    id: str | None = None
    thumbnail_url: str | None = None

    @classmethod
    def from_api(cls, raw: Any) -> Attachment | None:
        """Read one attachment leniently: an object with ``url``, or a bare URL string."""
        if type(raw) is dict or isinstance(raw, Mapping):
            get = raw.get
            url = get("url")
            if type(url) is not str:
                return None
            return _build(
                cls,
                url=url,
                filename=_opt_str(get("filename")) or _opt_str(get("name")),
                type=_opt_str(get("type")) or _opt_str(get("mimeType")),
                size=_opt_size(get("size")),
                id=_opt_str(get("id")),
                thumbnail_url=_opt_str(get("thumbnailUrl")),
            )
        if isinstance(raw, str) and raw:
            return cls(url=raw)
        return None

    def to_api(self) -> dict[str, str]:
        """The write form ``{"url", "filename"}`` (+ ``"type"`` when known).

        A missing filename is derived from the URL's last path segment.
        """
        body = {"url": self.url, "filename": self.filename or filename_from_url(self.url)}
        if self.type:
            body["type"] = self.type
        return body


def filename_from_url(url: str) -> str:
    """The last path segment of a URL, percent-decoded; ``"file"`` when there is none."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return "file"
    return unquote(posixpath.basename(path)) or "file"
