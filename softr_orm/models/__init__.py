"""The models layer: :class:`Model` (declaration, instance state, change tracking, save),
its options (``_meta``), the manager behind ``Model.objects`` and the model registry."""

from __future__ import annotations

from softr_orm.models.base import Model
from softr_orm.models.manager import Manager
from softr_orm.models.options import ModelOptions, SaveResult, resolve_model

__all__ = ["Manager", "Model", "ModelOptions", "SaveResult", "resolve_model"]
