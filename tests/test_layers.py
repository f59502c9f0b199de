"""The package's layers import one way only (docs/architecture.md).

Every module of ``softr_orm`` is parsed, and every import it makes (typing-only imports under
``if TYPE_CHECKING:`` and imports inside functions included) is checked against the layer
table below: a module may import its own layer and the layers beneath, never one above.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "softr_orm"

#: (module prefix, rank): the lowest layer first. The longest matching prefix wins.
LAYERS: tuple[tuple[str, float], ...] = (
    ("softr_orm.errors", 0),
    ("softr_orm.constants", 0),
    ("softr_orm._version", 0),
    ("softr_orm.http", 1),
    ("softr_orm.backends.tree", 2),
    ("softr_orm.backends.base", 2.1),
    ("softr_orm.backends.defaults", 2.2),
    ("softr_orm.backends", 2.3),  # the package's own __init__
    ("softr_orm.backends.softr", 3),
    ("softr_orm.backends.baserow", 3),
    ("softr_orm.fields", 4),
    ("softr_orm.query", 5),
    ("softr_orm.models", 6),
    ("softr_orm.schema", 7),
    ("softr_orm.cli", 8),
    ("softr_orm.contrib", 8),
    ("softr_orm.testing", 8),
    ("softr_orm.emulator", 8),
)

#: The facade: it only gathers public names (and keeps the old paths importable). Only the
#: tools on top (rank TOOLS: the shell offers it to users) may import it.
FACADE = {"softr_orm", "softr_orm._compat", "softr_orm.__main__"}
TOOLS = 8

#: Backends beside each other: neither may import the other.
BACKENDS = ("softr_orm.backends.softr", "softr_orm.backends.baserow")
#: The ORM talks to a backend only through the seam: never a backend package itself.
ORM = ("softr_orm.fields", "softr_orm.query", "softr_orm.models")


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def rank(module: str) -> float:
    matches = [(len(prefix), value) for prefix, value in LAYERS if _within(module, prefix)]
    if not matches:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS")
    return max(matches)[1]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, imported module) for every import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    own = module_name(path)
    package = own if path.name == "__init__.py" else own.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            # ``from softr_orm.x import y`` imports softr_orm.x, and softr_orm.x.y when y is a
            # submodule (then only the submodule counts: a package's parents are always run).
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                path = PACKAGE.parent / candidate.replace(".", "/")
                if path.with_suffix(".py").exists() or (path / "__init__.py").exists():
                    yield node.lineno, candidate
                else:
                    yield node.lineno, target


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def violations() -> list[str]:
    found = []
    for path in modules():
        source = module_name(path)
        if source in FACADE:
            continue
        for line, target in imports(path):
            if not _within(target, "softr_orm") or target == source:
                continue
            where = f"{path.relative_to(PACKAGE.parent)}:{line}: {source} imports {target}"
            if target in FACADE:
                if rank(source) < TOOLS:
                    found.append(f"{where} (the facade; import the module that holds the name)")
                continue
            if _within(source, "softr_orm.emulator"):
                # The emulator must be able to catch the client's mistakes: it shares only
                # the constants of the API contract.
                if not (_within(target, "softr_orm.emulator") or target == "softr_orm.constants"):
                    found.append(f"{where} (the emulator shares only softr_orm.constants)")
                continue
            if rank(target) > rank(source):
                found.append(f"{where} (a higher layer)")
            for backend in BACKENDS:
                if _within(target, backend) and not _within(source, backend):
                    if any(_within(source, other) for other in BACKENDS):
                        found.append(f"{where} (backends do not import each other)")
                    if any(_within(source, layer) for layer in ORM):
                        found.append(f"{where} (the ORM reaches backends through the seam)")
    return found


def test_every_module_has_a_layer() -> None:
    """A new package must be placed in the table (and in docs/architecture.md)."""
    for path in modules():
        name = module_name(path)
        if name not in FACADE:
            rank(name)


def test_imports_run_one_way() -> None:
    """No module imports a layer above its own, typing-only imports included."""
    assert violations() == []


def test_no_module_is_long_without_a_reason() -> None:
    """Modules stay under ~500 lines, or say at their top why not."""
    long = []
    for path in modules():
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > 520 and "Longer than" not in text[:3000]:
            long.append(f"{path.relative_to(PACKAGE.parent)}: {text.count(chr(10))} lines")
    assert long == []


@pytest.mark.parametrize(
    ("source", "target", "allowed"),
    [
        ("softr_orm.query.queryset", "softr_orm.models.base", False),
        ("softr_orm.models.base", "softr_orm.query.queryset", True),
        ("softr_orm.backends.softr.endpoints", "softr_orm.http.session", True),
        ("softr_orm.http.session", "softr_orm.backends.base", False),
    ],
)
def test_the_rule_itself(source: str, target: str, allowed: bool) -> None:
    """The rank table orders the layers as docs/architecture.md draws them."""
    assert (rank(target) <= rank(source)) is allowed
