"""The project cites only what it has: no design document, shared folder or tracker number
that a reader of the repository cannot open.

Comments, docstrings and documents point at the repository's own files instead
(``docs/architecture.md``, the numbered notes of ``docs/design-notes.md``, ``README.md``,
``docs/proofs.md``), or say the thing directly. The patterns are built from pieces so that
this file does not match them itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("src", "tests", "docs", "README.md")

EXCLUDED = frozenset(
    {
        # The benchmark log records results measured per work item, so it names the item
        # each measurement was taken for; those names are history, not citations.
        Path("docs", "benchmarks.md"),
    }
)
# Third-party files copied byte for byte and checked against their published checksums
# (static/vendor/PROVENANCE.md): not ours to word, nor to edit.
VENDORED = Path("src", "openline", "console", "static", "vendor")
SKIPPED_DIRS = frozenset({"__pycache__"})
BINARY_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".ico", ".woff", ".woff2"})

FORBIDDEN: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a design document outside the repository", re.compile("DESIGN" + r"\.md", re.IGNORECASE)),
    ("a folder outside the repository", re.compile(r"(?:\.\./|/work/)" + "shared", re.I)),
    ("a tracker number", re.compile(r"\b" + "iss" + r"ues?\s*#?\s*[0-9]+", re.IGNORECASE)),
)


def scanned_files() -> Iterator[Path]:
    for name in SCANNED:
        top = ROOT / name
        candidates = [top] if top.is_file() else sorted(top.rglob("*"))
        for path in candidates:
            relative = path.relative_to(ROOT)
            if not path.is_file() or relative in EXCLUDED:
                continue
            if relative.is_relative_to(VENDORED) or path.suffix.lower() in BINARY_SUFFIXES:
                continue
            if any(part in SKIPPED_DIRS or part.startswith(".") for part in relative.parts):
                continue
            yield path


def lines_of(path: Path) -> list[str]:
    data = path.read_bytes()
    if b"\0" in data:
        return []  # a binary file: no text to cite anything
    return data.decode("utf-8", errors="replace").splitlines()


def offences() -> list[str]:
    found = []
    for path in scanned_files():
        for number, line in enumerate(lines_of(path), start=1):
            for what, pattern in FORBIDDEN:
                match = pattern.search(line)
                if match is not None:
                    where = path.relative_to(ROOT).as_posix()
                    found.append(f"{where}:{number}: {what}: {match.group(0)!r}")
    return found


def test_the_scan_sees_the_project() -> None:
    seen = {path.relative_to(ROOT).as_posix() for path in scanned_files()}
    assert "README.md" in seen
    assert "docs/architecture.md" in seen
    assert "tests/core/test_house_rules.py" in seen  # this file is checked too
    assert "docs/benchmarks.md" not in seen


def test_the_patterns_catch_what_they_are_for() -> None:
    samples = {
        "see " + "DESIGN" + ".md, Entries": 0,
        "in .." + "/shared/vectors": 1,
        "(" + "issue" + " 4)": 2,
        "Issue" + " 11, item 6": 2,
        "iss" + "ues 3 and 4": 2,
    }
    for text, index in samples.items():
        assert FORBIDDEN[index][1].search(text), text
    for text in ("issue an API token", "design-notes.md", "issues a proof", "shared by"):
        assert not any(pattern.search(text) for _, pattern in FORBIDDEN), text


def test_nothing_cites_what_the_repository_does_not_have() -> None:
    found = offences()
    assert not found, "cite the repository's own files instead:\n" + "\n".join(found)
