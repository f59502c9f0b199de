"""softr-orm: an ORM-style active-record mapper for the Softr Database API."""

from __future__ import annotations

from softr_orm.session import Session, configure, default_session

__version__ = "0.1.0"

__all__ = ["Session", "configure", "default_session"]
