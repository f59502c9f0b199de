"""The emulator's imports run one way: server/CLI -> faces -> store (docs/emulator.md, Layout).

Every module of ``softr_orm/emulator`` is parsed with :mod:`ast`, and every import counts:
top-level, inside functions, under ``if TYPE_CHECKING:``. The deprecated aliases of the old
flat layout (modules that call ``warn_moved``) are exempt, but nothing may import them.
"""

from __future__ import annotations

import ast
import sys
import warnings
from pathlib import Path

import pytest

import softr_orm
from softr_orm._compat import MOVED

PACKAGE_DIR = Path(softr_orm.__file__).resolve().parent
EMULATOR_DIR = PACKAGE_DIR / "emulator"
EMU = "softr_orm.emulator"
STORE = f"{EMU}.store"

#: The old flat modules that stay importable for one release (softr_orm/emulator/*.py).
SHIMS = {
    "admin",
    "app",
    "appusers",
    "computed",
    "dates",
    "errors",
    "faults",
    "fieldops",
    "filters",
    "formula",
    "operands",
    "persist",
    "query",
    "ratelimit",
    "records",
    "rollup",
    "routes_db",
    "routes_users",
    "schema",
    "sorting",
    "state",
    "values",
    "wire",
}
#: What a store module may never import: it knows nothing of HTTP.
HTTP_MODULES = ("werkzeug", "waitress", "http", "wsgiref", "socketserver")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(EMULATOR_DIR.rglob("*.py"))}


def is_shim(path: Path) -> bool:
    """No module is a shim: the old paths are answered by softr_orm._compat, without files."""
    return False


def client_modules() -> set[str]:
    """Every module of softr_orm outside the emulator (what a name can resolve to)."""
    names = set()
    for path in PACKAGE_DIR.rglob("*.py"):
        if EMULATOR_DIR not in path.parents:
            names.add(module_name(path))
    return names


KNOWN = set(all_modules()) | client_modules()


def imports_of(name: str, path: Path) -> set[str]:
    """Absolute names of every module ``path`` imports (``from X import y``: X.y when that is
    a module of softr_orm, else X)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                candidate = f"{source}.{alias.name}"
                found.add(candidate if candidate in KNOWN else source)
    return found


def layer(name: str) -> str:
    """``store``, a face's name (``softr``...), or ``top`` (server, CLI, the package)."""
    if not name.startswith(EMU + "."):
        return "top"
    first = name[len(EMU) + 1 :].split(".")[0]
    if (EMULATOR_DIR / first).is_dir():
        return first
    return "top"


MODULES = {name: path for name, path in all_modules().items() if not is_shim(path)}
GRAPH = {name: imports_of(name, path) for name, path in MODULES.items()}


def test_the_old_flat_modules_are_aliases_not_files() -> None:
    """The old paths have no files left (the tree shows only the layers); each is answered
    by the package's finder of moved modules."""
    for old in SHIMS:
        assert not (EMULATOR_DIR / f"{old}.py").exists(), old
        assert f"{EMU}.{old}" in MOVED, old
    faces = {p.name for p in EMULATOR_DIR.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert "store" in faces and "softr" in faces


@pytest.mark.parametrize("name", sorted(n for n in MODULES if layer(n) == "store"))
def test_the_store_imports_no_face_no_server_and_no_http(name: str) -> None:
    for target in GRAPH[name]:
        if target.startswith(EMU):
            assert target.startswith(STORE), f"{name} imports {target}"
        assert target.split(".")[0] not in HTTP_MODULES, f"{name} imports {target}"


@pytest.mark.parametrize("name", sorted(n for n in MODULES if layer(n) not in ("store", "top")))
def test_a_face_imports_the_store_and_itself_only(name: str) -> None:
    own = f"{EMU}.{layer(name)}"
    for target in GRAPH[name]:
        if target.startswith(EMU):
            assert target == own or target.startswith((own + ".", STORE)), (
                f"{name} imports {target}"
            )


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_client_side_module_but_constants(name: str) -> None:
    for target in GRAPH[name]:
        if target == "softr_orm" or (
            target.startswith("softr_orm.") and not target.startswith(EMU)
        ):
            assert target == "softr_orm.constants", f"{name} imports {target}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_nothing_imports_a_deprecated_alias(name: str) -> None:
    aliases = {f"{EMU}.{old}" for old in SHIMS}
    assert not GRAPH[name] & aliases, f"{name} imports {sorted(GRAPH[name] & aliases)}"


def test_the_emulator_imports_form_no_cycle() -> None:
    """Inside each layer too, imports run one way (no module imports one that imports it)."""
    edges = {
        name: {t for t in targets if t in MODULES and t != name} for name, targets in GRAPH.items()
    }
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for target in sorted(edges[name]):
            if state.get(target) == 1:
                cycle = [*path[path.index(target) :], target]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target, [*path, target])
        state[name] = 2

    for name in sorted(edges):
        if name not in state:
            visit(name, [name])


def test_the_checker_sees_typing_only_and_function_level_imports(tmp_path: Path) -> None:
    """The rule could not miss an import hidden under TYPE_CHECKING or in a function."""
    path = tmp_path / "probe.py"
    path.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from ..softr.app import EmulatorApp\n"
        "def f():\n    from ..server import Emulator\n",
        encoding="utf-8",
    )
    found = imports_of(f"{STORE}.probe", path)
    assert f"{EMU}.softr.app" in found and f"{EMU}.server" in found


@pytest.mark.parametrize("old", sorted(SHIMS))
def test_an_old_path_still_imports_and_warns(old: str) -> None:
    """Each old path re-exports the same objects as its new home, with a DeprecationWarning."""
    name = f"{EMU}.{old}"
    sys.modules.pop(name, None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec(compile(f"import {name}", __file__, "exec"), {})  # as an importer's own line
    module = sys.modules[name]
    moved = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert [str(w.message) for w in moved if name in str(w.message)], caught
    assert moved[0].filename == __file__  # the warning points at the importer
    for exported in module.__all__:
        value = getattr(module, exported)
        home = getattr(value, "__module__", None)
        if home is not None and callable(value):
            assert home.startswith((STORE, f"{EMU}.softr")), (exported, home)


def test_the_public_names_still_work() -> None:
    from softr_orm.emulator import DEMO_DATABASE_ID, Emulator, EmulatorApp, Store, create_app
    from softr_orm.emulator.seeds import DEMO_DATABASE_ID as SEEDED

    assert DEMO_DATABASE_ID == SEEDED
    assert Emulator.__module__ == f"{EMU}.server"
    assert EmulatorApp.__module__ == f"{EMU}.softr.app"
    assert create_app.__module__ == EmulatorApp.__module__
    assert Store.__module__ == f"{STORE}.core"
