"""Identifiers shaped like Softr's (softr-api.md §1.3), from one seedable generator."""

from __future__ import annotations

import random
import string
import uuid

__all__ = ["IdFactory"]

_ALNUM = string.ascii_letters + string.digits


class IdFactory:
    """Random identifiers shaped like Softr's, from one ``random.Random``.

    Seeding the generator makes a whole emulator session reproducible (the ``demo`` seed prints
    the same ids every run); unseeded, it draws its seed from the OS.
    """

    def __init__(self, seed: int | str | None = None) -> None:
        self.rng = random.Random(seed) if seed is not None else random.Random()

    def alnum(self, length: int) -> str:
        """``length`` random ASCII letters and digits (may start with a digit)."""
        return "".join(self.rng.choices(_ALNUM, k=length))

    def record_id(self) -> str:
        """14 alphanumerics, like ``rK2pQ8vLx3MwZt``."""
        return self.alnum(14)

    def table_id(self) -> str:
        """14 alphanumerics, like ``Tq7LmN2pXc4RzA``."""
        return self.alnum(14)

    def field_id(self) -> str:
        """5 alphanumerics, like ``JjEFr`` or ``3ElMV``."""
        return self.alnum(5)

    def uuid4(self) -> str:
        """A version-4 UUID string (database, workspace and user ids)."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
