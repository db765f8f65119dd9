"""Small modules with one job: no module of ``src/`` over 600 lines, no function over 80.

A module that grows past the limit holds more than one job, and a function past it more
than one step: split it where the responsibilities part, not where the count falls.
Migrations are exempt: each is a fixed record of one schema change, never edited again.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2] / "src" / "openline"
MODULE_LINES = 600
FUNCTION_LINES = 80
EXEMPT = SOURCE / "store" / "migrations" / "versions"


def modules() -> Iterator[Path]:
    for path in sorted(SOURCE.rglob("*.py")):
        if not path.is_relative_to(EXEMPT):
            yield path


def test_the_scan_sees_the_source() -> None:
    names = {path.relative_to(SOURCE).as_posix() for path in modules()}
    assert {"node/app.py", "server/app.py", "console/app.py"} <= names
    assert not any(name.startswith("store/migrations/versions/") for name in names)


def test_no_module_is_over_the_limit() -> None:
    long = {
        path.relative_to(SOURCE).as_posix(): lines
        for path in modules()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MODULE_LINES
    }
    assert long == {}, f"modules over {MODULE_LINES} lines: {long}"


def test_no_function_is_over_the_limit() -> None:
    long: dict[str, int] = {}
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                lines = node.end_lineno - node.lineno + 1
                if lines > FUNCTION_LINES:
                    where = f"{path.relative_to(SOURCE).as_posix()}:{node.lineno} {node.name}"
                    long[where] = lines
    assert long == {}, f"functions over {FUNCTION_LINES} lines: {long}"
