"""The demo is part of the product: it must play its story and exit cleanly."""

from __future__ import annotations

import re

import pytest

from harness import run_cli

pytestmark = pytest.mark.e2e


def test_demo_plays_the_story_and_every_transcript_verifies() -> None:
    result = run_cli("demo", "--exit-after-scenario", timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout
    for party in ("us-dod", "prc-mnd", "ru-mod"):
        assert re.search(rf"{party}\s+http://127\.0\.0\.1:\d+", output), output
        assert re.search(rf"verify {party}: ok \((\d+) entries\)", output), output
    assert "every message delivered with a cosigned receipt" in output
    assert "us-dod sees the acknowledgement" in output
    entries = [int(n) for n in re.findall(r"verify [a-z-]+: ok \((\d+) entries\)", output)]
    assert all(count > 0 for count in entries)
