"""The layers hold, checked from the source: a pure core, and SQL only in ``store/``.

Read with ``ast``, not by importing: what is checked is what the code says.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "openline"
# Outside store/, a module may hold a transaction it was handed (to pass it back to the
# store in one commit), so the connection and row *types* are allowed; building SQL is not.
SQL_TYPES = {"Connection", "Row"}
# What the pure core may import: the standard library and the libraries of its primitives.
CORE_LIBRARIES = {"cryptography", "orjson", "rfc8785", "idna", "shapely", "nacl"}


def modules(under: str = "") -> Iterator[Path]:
    yield from sorted((PACKAGE / under).rglob("*.py"))


def imports(path: Path) -> Iterator[tuple[int, str, list[str]]]:
    """(line, module, names) of every import in the file; names empty for ``import x``."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
            yield node.lineno, node.module, [alias.name for alias in node.names]


def where(path: Path, line: int) -> str:
    return f"{path.relative_to(PACKAGE.parent)}:{line}"


def test_no_sql_is_built_outside_the_store() -> None:
    found = []
    for path in modules():
        if PACKAGE / "store" in path.parents:
            continue
        for line, module, names in imports(path):
            builds_sql = not names or bool(set(names) - SQL_TYPES)
            if module.split(".")[0] == "sqlalchemy" and builds_sql:
                found.append(f"{where(path, line)} imports {module} {names}")
            if module == "openline.store.schema" or (
                module == "openline.store" and "schema" in names
            ):
                found.append(f"{where(path, line)} reads the tables ({module} {names})")
    assert found == []


def test_the_core_imports_nothing_of_the_shell() -> None:
    found = []
    for path in modules("core"):
        for line, module, _names in imports(path):
            top = module.split(".")[0]
            if (top == "openline" and not module.startswith("openline.core")) or (
                top not in CORE_LIBRARIES and top != "openline" and not _is_stdlib(top)
            ):
                found.append(f"{where(path, line)} imports {module}")
    assert found == []


def _is_stdlib(name: str) -> bool:
    import sys

    return name in sys.stdlib_module_names or name == "__future__"


@pytest.mark.parametrize("forbidden", ["socket", "http", "urllib.request", "sqlite3", "time"])
def test_the_core_has_no_network_disk_or_clock(forbidden: str) -> None:
    users = [
        where(path, line)
        for path in modules("core")
        for line, module, _names in imports(path)
        if module == forbidden or module.startswith(forbidden + ".")
    ]
    assert users == []
