"""The area-drawing widget's script: shipped with the package, offline, CSP-safe.

``draw.js`` lets a duty officer draw an activity area on a world map (or preview pasted
GeoJSON) on the notification form. The console runs with no internet access and under a
strict Content-Security-Policy (``script-src 'self'``, ``style-src 'self'``), so the
script must load nothing from another origin, evaluate no strings as code, and set no
inline styles. Its behaviour in a real browser is covered by the e2e suite.
"""

from __future__ import annotations

import re
from pathlib import Path

import openline

STATIC = Path(openline.__file__).parent / "console" / "static"
DRAW_JS = STATIC / "draw.js"


def _source() -> str:
    return DRAW_JS.read_text(encoding="utf-8")


def test_draw_js_ships_with_the_package() -> None:
    assert DRAW_JS.is_file(), f"missing {DRAW_JS}"
    assert _source().strip()


def test_draw_js_has_no_url() -> None:
    assert not re.search(r"https?://", _source(), re.IGNORECASE)


def test_draw_js_evaluates_no_strings_as_code() -> None:
    source = _source()
    assert not re.search(r"\beval\s*\(", source)
    assert not re.search(r"\bnew\s+Function\b", source)
    # String timers are eval too; the script passes functions.
    assert not re.search(r"set(?:Timeout|Interval)\s*\(\s*[\"'`]", source)


def test_draw_js_sets_no_inline_style() -> None:
    source = _source()
    assert not re.search(r"\.style\s*[.\[=]", source), "CSSOM writes: use classes"
    assert not re.search(r"setAttribute\(\s*[\"']style[\"']", source)
    assert not re.search(r"style\s*=\s*[\"']", source)
    assert "cssText" not in source


def test_draw_js_is_a_classic_script() -> None:
    assert not re.search(r"^\s*(?:import|export)\s", _source(), re.MULTILINE)


def test_draw_js_defines_its_global_and_auto_attaches() -> None:
    source = _source()
    assert "window.openlineDraw" in source
    assert re.search(r"\battach\b", source)
    assert "DOMContentLoaded" in source
    assert '"draw-map"' in source
