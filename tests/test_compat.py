"""The module paths of 0.1 still import for one release, with a DeprecationWarning each."""

from __future__ import annotations

import importlib
import sys
import warnings

import pytest

import softr_orm
from softr_orm._compat import MOVED

#: Each old module and the public names it had in 0.1 (its ``__all__`` then).
OLD_NAMES = {
    "softr_orm.api": "AIOptions AppUser Database FieldSpec Record RecordPage SoftrAPI Table "
    "TableField UnexpectedResponse Users View unwrap",
    "softr_orm.resources": "AIOptions Database FieldSpec Record RecordPage Table TableField "
    "UnexpectedResponse View parse_timestamp",
    "softr_orm.wire": "Record RecordPage UnexpectedResponse as_bool as_dict as_mapping as_str "
    "opt_bool opt_int opt_str parse_timestamp read_list read_object read_page read_record unwrap",
    "softr_orm.pagination": "PageFetcher check_offset clamp_limit iter_pages iter_records",
    "softr_orm.users": "AppUser Users UsersEndpoints",
    "softr_orm.compiler": "DEFAULT_MAX_DEPTH FALSE LOOKUP_OPERATORS TRUE build_search_body "
    "compile_filter compile_sorting filter_depth",
    "softr_orm.nodes": "And Condition Constant FALSE Node Not Or RawCondition TRUE",
    "softr_orm.session": "DEFAULT_CONNECT_TIMEOUT RateLimits RequestEvent RetryPolicy Session "
    "check_base_url configure default_session",
    "softr_orm.retry": "Decision Delivery Kind RETRYABLE_STATUSES RetryBudget RetryPolicy "
    "classify_exception exception_chain parse_retry_after",
    "softr_orm.ratelimit": "RateLimiter RateLimits Ticket TokenBucket",
    "softr_orm.jsonutil": "dumps loads",
    "softr_orm.values": "Attachment SoftrUser",
    "softr_orm.q": "Q",
    "softr_orm.conditions": "And Condition Constant EMPTY_SET_RESULTS FALSE FilterField LOOKUPS "
    "Node Not Or PSEUDO_FIELD_LOOKUPS PSEUDO_FIELD_TYPES Q RECORD_ID_KEY RECORD_ID_LOOKUPS "
    "RawCondition TRUE record_ids references_record_id resolve split_lookup substitute_record_id",
    "softr_orm.fetching": "Fetcher SCAN_CONCURRENCY prefetch_links",
    "softr_orm.related": "GET_CONCURRENCY fetch_by_ids",
    "softr_orm.bulk": "BULK_CONCURRENCY BulkError BulkResult bulk_delete bulk_update",
    "softr_orm.model": "Manager Model ModelOptions SaveResult resolve_model",
    "softr_orm.manager": "Manager",
    "softr_orm.options": "ModelOptions SaveResult resolve_model",
    "softr_orm.codegen": "FieldCode ModelCode attribute_names class_names generate_module "
    "model_code pascal_case snake_case",
    "softr_orm.schema_tools": "CheckReport ModelCheck NOT_CREATED_TYPES check_models "
    "create_table_for find_models import_models inspect_database load_module",
    "softr_orm.schema_cli": "add_parsers run_check run_inspect",
    "softr_orm.shell": "add_parser build_namespace interact run",
    "softr_orm.demo": "Company Contact Deal run",
}


def test_every_moved_module_is_listed() -> None:
    """The table above covers exactly the client-side modules the finder answers for (the
    emulator's old paths are checked in tests/emulator/test_emu_layers.py)."""
    client = {old for old in MOVED if not old.startswith("softr_orm.emulator.")}
    assert set(OLD_NAMES) == client


@pytest.mark.parametrize("old", sorted(OLD_NAMES))
def test_old_path_imports_with_a_warning(old: str) -> None:
    """``import softr_orm.<old>`` warns, names the new path, and is the new module."""
    sys.modules.pop(old, None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(old)
    deprecations = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert len(deprecations) == 1, [str(w.message) for w in caught]
    assert MOVED[old] in str(deprecations[0].message)
    assert deprecations[0].filename == __file__ or "importlib" in deprecations[0].filename
    assert module is importlib.import_module(MOVED[old])
    missing = [name for name in OLD_NAMES[old].split() if not hasattr(module, name)]
    assert missing == []


def test_the_warning_points_at_the_importing_line() -> None:
    """The warning is attributed to the user's ``import`` line, not to importlib."""
    sys.modules.pop("softr_orm.api", None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import softr_orm.api  # noqa: F401
    assert caught[0].filename == __file__


def test_old_schema_names_still_resolve() -> None:
    """``softr_orm.schema`` (now the tools package) still has the binding's names, with a
    warning, and ``create_table_for``/``check_model`` without one."""
    import softr_orm.schema as schema
    from softr_orm.query import binding

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert schema.bind is binding.bind and schema.Binding is binding.Binding
        assert schema.forget is binding.forget and schema.resolve_table is binding.resolve_table
    assert len(caught) == 4 and all(w.category is DeprecationWarning for w in caught)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert callable(schema.create_table_for) and callable(schema.check_model)


def test_public_names_need_no_moved_module() -> None:
    """Everything design.md names is importable from where it says, without a warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from softr_orm import Model, Q, QuerySet, Session, configure, default_session, fields
        from softr_orm.emulator import Emulator
        from softr_orm.query import Q as Q2

    assert Q is Q2 and softr_orm.Session is Session
    assert all(x is not None for x in (Model, QuerySet, configure, default_session, Emulator))
    assert fields.Number and fields.for_type("NUMBER") is fields.Number
