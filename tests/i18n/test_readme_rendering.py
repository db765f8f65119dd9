"""The README's tour shows a notification rendered in zh and in en: keep it true.

The README's patrol.json is converted and signed as the node would, rendered with the facts
the README shows, and every line of the README's two renderings must be a line of the
real output (the README leaves out the officer, signing-time and deadline lines).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from openline.core.entry import sign_entry
from openline.core.keys import PrivateKey
from openline.core.kinds import validate_body
from openline.core.notify import geometry_from_geojson
from openline.core.timefmt import format_time, parse_user_time
from openline.i18n.render import Facts, render_entry

README = Path(__file__).resolve().parents[2] / "README.md"
NAMES = {
    "ru-mod": {
        "en": "Ministry of Defence of the Russian Federation",
        "zh": "俄罗斯联邦国防部",
    },
    "prc-mnd": {"en": "PRC Ministry of National Defense", "zh": "中华人民共和国国防部"},
    "us-dod": {"en": "U.S. Department of Defense", "zh": "美国国防部"},
}


def readme_blocks() -> tuple[dict[str, Any], list[str], list[str]]:
    text = README.read_text("utf-8")
    patrol = json.loads(re.findall(r"```json\n(.*?)```", text, re.DOTALL)[0])
    section = text.split("as `prc-mnd`'s officer reads it")[1]
    block = re.findall(r"```\n(.*?)```", section, re.DOTALL)[0]
    zh, en = block.strip("\n").split("\n\n")
    return patrol, zh.splitlines(), en.splitlines()


def test_the_readme_shows_a_real_rendering_in_zh_and_en() -> None:
    patrol, zh_lines, en_lines = readme_blocks()
    body = {key: value for key, value in patrol.items() if key not in ("start", "end", "area")} | {
        "area": geometry_from_geojson(patrol["area"]),
        "start": format_time(parse_user_time(patrol["start"])),
        "end": format_time(parse_user_time(patrol["end"])),
        "precedence": "priority",
        "officer": "Maj. I. Petrov",
    }
    validate_body("notify.activity", body)
    entry = sign_entry(
        sender="ru-mod",
        recipient="prc-mnd",
        seq=0,
        time="2026-11-29T07:29:58.706Z",
        kind="notify.activity",
        body=body,
        refs=[],
        key=PrivateKey.generate(),
    )
    delivered = "2026-11-29T07:30:00.000Z"
    lead = parse_user_time(patrol["start"]) - parse_user_time(delivered)
    for lang, shown in (("zh", zh_lines), ("en", en_lines)):
        facts = Facts(
            direction="in",
            state="delivered",
            delivered_at=delivered,
            due="2026-11-29T08:30:00.000Z",
            lead_time_seconds=int(lead.total_seconds()),
            late_notice=False,
            names={party: names[lang] for party, names in NAMES.items()},
        )
        real = render_entry(entry, lang, facts).to_text().splitlines()
        assert real[0] == shown[0], (real, shown)
        body_lines = {line.strip() for line in real[1:]}
        for line in shown[1:]:
            assert line.strip() in body_lines, f"README line {line!r} not in the {lang} rendering"
