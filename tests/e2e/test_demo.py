"""The demo is part of the product: it must play its story and exit cleanly."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from harness import run_cli

pytestmark = pytest.mark.e2e


def test_demo_plays_the_story_and_every_transcript_verifies(tmp_path: Path) -> None:
    result = run_cli("demo", "--exit-after-scenario", "--dir", tmp_path, timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout
    for party in ("us-dod", "prc-mnd", "ru-mod"):
        assert re.search(rf"{party}\s+http://127\.0\.0\.1:\d+", output), output
        assert re.search(rf"verify {party}: ok \((\d+) entries\)", output), output
    assert "every message delivered with a cosigned receipt" in output
    assert "us-dod sees the acknowledgement" in output
    # Each node's console, with accounts to sign in as, from the demo's own table.
    from openline.demo import DEMO_OFFICERS, DEMO_PASSWORD

    assert repr(DEMO_PASSWORD) in output
    for party, accounts in DEMO_OFFICERS.items():
        line = re.search(rf"{party}\s+(http://127\.0\.0\.1:\d+)/console/\s+sign in as (.*)", output)
        assert line is not None, output
        for username, role in accounts:
            assert f"{username} ({role})" in line.group(2)
    entries = [int(n) for n in re.findall(r"verify [a-z-]+: ok \((\d+) entries\)", output)]
    assert all(count > 0 for count in entries)

    # The contact-request story: one decline citing sanctions, two requests unanswered.
    assert "Sanctions on the Minister must be lifted first" in output
    assert "ru-mod and prc-mnd both record the dialogue as held" in output
    assert len(re.findall(r"ALARM.*unanswered", output)) == 2, output

    # The exported non-answer proof holds for a third party with only the two cards.
    proof = Path(re.findall(r"non-answer proof of the video-call request: (\S+)", output)[0])
    assert proof.is_file()
    cards = [tmp_path / f"{party}.card.json" for party in ("us-dod", "prc-mnd")]
    checked = run_cli("check-proof", proof, "--card", cards[0], "--card", cards[1], "--json")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert json.loads(checked.stdout)["valid"] is True
    assert "UNANSWERED" in checked.stdout

    # The report as a file, with its charts inline.
    html = Path(re.findall(r"the full report, with charts: (\S+)", output)[0]).read_text("utf-8")
    assert "<svg" in html
    assert "prc-mnd" in html

    # The notification story, each part rendered for its reader.
    # Steps start a line with their number; times inside a step may hold "14." or "15.".
    catalogue = output.split("\n13. us-dod sends standard message M10")[1].split("\n14. ")[0]
    assert "Request you keep 5 nautical miles clear of me." in catalogue  # us-dod, en
    assert "请与我保持5海里以上的距离。" in catalogue  # prc-mnd, zh: the agreed text
    patrol = output.split("\n14. ru-mod notifies")[1].split("\n15. ")[0]
    zh, en = patrol.split("as us-dod's officer reads it (en):")
    assert "联合巡逻" in zh
    assert "Joint patrol" in en
    for text in (zh, en):  # the title is free text: shown as written, in Russian
        assert "Совместное морское и воздушное патрулирование" in text
    assert "ru-mod sees both recipients acknowledge" in output
    assert "flagged LATE at ru-mod and at us-dod alike" in output
    incident = output.split("\n16. us-dod reports an unsafe intercept")[1].split("\n17. ")[0]
    assert "不安全拦截" in incident
    assert "prc-mnd acknowledged the report and replied" in output
    assert "prc-mnd's duty officer answered the desk check in person" in output
    desk = output.split("17. us-dod on prc-mnd: line up, desk not answering")[1]
    assert "desk.check" in desk
    assert "UNANSWERED as of" in desk
    assert re.search(r"us-dod\s+│\s+prc-mnd\s+│\s+line-up-desk-not-answering", output), output
