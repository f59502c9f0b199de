"""Seed data sets (``demo``: a small CRM) and :data:`DEMO_DATABASE_ID`.

The data sets live in the store layer (:mod:`softr_orm.emulator.store.seeds`), where the admin
``/_emulator/seed`` route can reach them too; this module is their public address.
"""

from __future__ import annotations

from .store.seeds import DEMO_DATABASE_ID, SEEDS, run_seed

__all__ = ["DEMO_DATABASE_ID", "SEEDS", "run_seed"]
