"""The CLI's plain tables: aligned columns whatever the script, one row per line, and a
peer's text shown as text (no markup read, no control character reaching the terminal)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openline.cli_table import REPLACEMENT, cell_width, render_table, shown_text


def test_columns_line_up_in_cells_of_wide_characters() -> None:
    text = render_table(("peer", "subject"), [("prc-mnd", "不安全拦截"), ("us-dod", "ok")])
    lines = text.splitlines()
    assert len(lines) == 4  # header, rule, two rows
    starts = {line.index(word) for line, word in zip(lines[2:], ("不安全拦截", "ok"), strict=True)}
    assert len(starts) == 1  # both subjects start in one column (in characters too here)
    rule = lines[1]
    assert cell_width(rule.split("  ")[1]) == cell_width("不安全拦截")  # two columns a glyph


def test_a_peer_cannot_write_to_the_terminal() -> None:
    hostile = "ok\x1b]0;pwned\x07\x1b[2J[red]x[/red]\r"
    text = render_table(("subject",), [(hostile,)])
    for control in ("\x1b", "\x07", "\r"):
        assert control not in text
    assert "[red]x[/red]" in text  # markup is not read: shown as the peer wrote it
    assert text.count(REPLACEMENT) == 4


def test_a_cell_of_several_lines_keeps_its_row_together() -> None:
    text = render_table(
        ("time", "recipients"),
        [("t1", "a: acked\nb: due"), ("t2", "c: acked")],
        rule_between=True,
    )
    lines = text.splitlines()
    assert lines[2].split() == ["t1", "a:", "acked"]
    assert lines[3].split() == ["b:", "due"]  # the first column blank below its first line
    assert set(lines[4]) <= {"─", " "}  # the rule between rows
    assert lines[5].split() == ["t2", "c:", "acked"]


def test_an_empty_listing_is_its_header() -> None:
    assert render_table(("id", "state"), []).splitlines()[0].split() == ["id", "state"]


@given(st.lists(st.lists(st.text(max_size=12), min_size=3, max_size=3), max_size=8))
def test_every_row_is_one_line_per_line_of_its_cells(rows: list[list[str]]) -> None:
    text = render_table(("a", "b", "c"), rows)
    lines = text.split("\n")
    assert lines.pop() == ""  # the table ends its last line
    heights = [max(len(cell.split("\n")) for cell in row) for row in rows]
    assert len(lines) == 2 + sum(heights)
    for line in lines:
        assert shown_text(line) == line  # nothing that moves the cursor is written


def test_a_line_cannot_be_reordered_or_split_by_what_a_peer_wrote() -> None:
    hostile = "pay \u202eredaolnwod\u202c now\u2028second line\u2029and\x85more"
    shown = shown_text(hostile)
    assert shown.count(REPLACEMENT) == 5
    assert len(shown.splitlines()) == 1
    assert shown_text("\u0627\u200c\u0628") == "\u0627\u200c\u0628"  # a joiner stays


def test_a_terminal_sees_wide_glyphs_as_two_columns_and_marks_as_none() -> None:
    assert cell_width("abc") == 3
    assert cell_width("拦截") == 4
    assert cell_width("e\u0301") == 1  # e and a combining acute accent


def test_a_log_line_is_one_line_and_shows_a_peers_text_as_text(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from openline import cli

    row = {
        "direction": "in",
        "body": {"text": "第一行\nsecond\u202eline [bold]x[/bold]"},
        "acked_by": None,
        "overdue": True,
        "time": "2026-12-03T18:00:00.000Z",
        "seq": 7,
        "kind": "hotline.message",
        "id": "ab" * 32,
    }
    cli._print_log_row(row)
    cli._print_log_row(row | {"body": {"text": "ascii"}})
    first, second = capsys.readouterr().out.splitlines()  # one line per entry
    assert "\u202e" not in first
    assert first.count(REPLACEMENT) == 2
    assert "[bold]x[/bold]" in first  # no markup read
    assert cell_width(first.split(" OVERDUE")[0]) == cell_width(second.split(" OVERDUE")[0])
