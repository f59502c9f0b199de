"""Stand-ins shared by the field tests (test_fields.py, test_fields_badvalues.py).

Fields need no Model and no live schema: a linked "model" is anything with an ``id``, and a
live field is anything with the attributes of ``api.TableField`` that fields read.

Each test file still declares its own owner class with one field per type: a descriptor binds
to one owner, and the owner's name and attribute names appear in the error messages and test
ids those files check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class Company:
    """A stand-in linked model: anything with an ``id`` attribute.

    (test_fields.py declares its own: its repr, module included, is part of some test ids.)
    """

    def __init__(self, id: str | None) -> None:
        self.id = id


class Deal:
    """Another stand-in model, for links given an instance of the wrong model."""

    def __init__(self, id: str | None) -> None:
        self.id = id


@dataclass
class LiveField:
    """The attributes of api.TableField that fields look at."""

    type: str
    options: dict[str, Any] = field(default_factory=dict)
    allow_multiple_entries: bool = False
    readonly: bool = False


# The options of a closed SELECT field (no new choices); never mutated by bind_schema.
INDUSTRY_OPTIONS: dict[str, Any] = {
    "choices": [{"id": "c1", "label": "Software"}, {"id": "c2", "label": "Retail"}],
    "allowToAddNewChoice": False,
}
