"""Baserow's REST API as a face of the emulator's store (see docs/emulator.md, "Baserow face").

``Emulator().baserow_url`` serves it; :class:`BaserowApp` is the bare WSGI app.
"""

from __future__ import annotations

from .app import BaserowApp

__all__ = ["BaserowApp"]
