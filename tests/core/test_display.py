"""A peer's text with its reordering and control characters made visible."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from openline.core.display import BIDI_CONTROLS, defused, marker


def test_an_override_is_shown_where_it_is_and_the_text_reads_in_its_order() -> None:
    assert defused("test\u202eevil") == "test[U+202E]evil"


def test_every_bidi_control_and_control_character_is_marked() -> None:
    for char in [*BIDI_CONTROLS, "\x00", "\x07", "\x1b", "\x7f", "\x9b"]:
        assert defused(f"a{char}b") == f"a{marker(char)}b"
    assert len(BIDI_CONTROLS) == 9


def test_line_breaks_tabs_joiners_and_scripts_stay() -> None:
    text = "line one\nline\ttwo 中文 Русский \u0627\u200c\u0628 \u05e9\u05dc\u05d5\u05dd"
    assert defused(text) == text


@given(st.text())
def test_nothing_that_reorders_or_controls_survives(text: str) -> None:
    shown = defused(text)
    assert not any(char in BIDI_CONTROLS for char in shown)
    assert all(
        char in "\n\r\t" or not (ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F) for char in shown
    )
