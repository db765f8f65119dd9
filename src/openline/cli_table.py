"""Plain-text tables for the CLI's listings: one line per row, columns padded to width.

A listing is a page of up to a thousand rows (``requests``, ``notifications``). rich's
``Table`` measures and wraps every cell through its segment machinery: 200 requests took
about 0.4 s to print, several times the node's answer. These tables cost a few
milliseconds, keep one row on one line (so ``grep`` and ``awk`` work on them), and show
what a peer wrote as text: no markup is read, and control characters (a terminal escape
sequence in a subject, say) are replaced, never written to the officer's terminal.
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TextIO

from openline.core.display import BIDI_CONTROLS

GAP = "  "
REPLACEMENT = "\N{REPLACEMENT CHARACTER}"
# Characters that move the cursor or reorder what follows: controls, line and paragraph
# separators, and the bidirectional overrides and isolates that can make a line read as
# other than it is. Joiners (U+200C, U+200D) stay: scripts need them.
UNSHOWN_CATEGORIES = frozenset(("Cc", "Zl", "Zp"))


def shown_text(text: str) -> str:
    """``text`` safe for a terminal: a tab becomes a space, a character of
    :data:`UNSHOWN_CATEGORIES` or :data:`BIDI_CONTROLS` the replacement character."""
    if text.isprintable():
        return text
    return "".join(_shown_char(char) for char in text)


def shown_lines(text: str) -> str:
    """:func:`shown_text` of each line, its line breaks kept: a rendering of several lines."""
    return "\n".join(shown_text(line) for line in text.split("\n"))


def _shown_char(char: str) -> str:
    if char == "\t":
        return " "
    if char in BIDI_CONTROLS or unicodedata.category(char) in UNSHOWN_CATEGORIES:
        return REPLACEMENT
    return char


def cell_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: two for East Asian wide characters (an officer
    reading Chinese sees aligned columns), none for combining marks."""
    if text.isascii():
        return len(text)
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def render_table(
    headers: Sequence[str], rows: Iterable[Sequence[str]], *, rule_between: bool = False
) -> str:
    """The table as text. A cell may hold several lines (``\\n``); its row then takes as
    many lines, the other cells blank below their first. ``rule_between`` draws a rule
    between rows, for tables whose rows take several lines."""
    body = [[_cell_lines(cell) for cell in row] for row in rows]
    head = [_cell_lines(header) for header in headers]
    widths = [
        max(cell_width(line) for cell in column for line in cell)
        for column in zip(head, *body, strict=True)
    ]
    rule = GAP.join("─" * width for width in widths)
    lines = [*_lines(head, widths), rule]
    for index, row in enumerate(body):
        if rule_between and index:
            lines.append(rule)
        lines += _lines(row, widths)
    return "\n".join(lines) + "\n"


def _cell_lines(cell: str) -> list[str]:
    return [shown_text(line) for line in cell.split("\n")]


def _lines(row: Sequence[list[str]], widths: Sequence[int]) -> list[str]:
    height = max(len(cell) for cell in row)
    lines = []
    for number in range(height):
        parts = []
        for cell, width in zip(row, widths, strict=True):
            text = cell[number] if number < len(cell) else ""
            parts.append(text + " " * (width - cell_width(text)))
        lines.append(GAP.join(parts).rstrip())
    return lines


def print_table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    rule_between: bool = False,
    stream: TextIO | None = None,
) -> None:
    (stream or sys.stdout).write(render_table(headers, rows, rule_between=rule_between))
