"""Notifications at OSCE scale: a broadcast to 57 parties, the per-recipient fold, rendering.

One in-process node (a real SQLite store, real signatures, no network) pins 56 more cards
besides prc-mnd's and sends ``--broadcasts`` activity notifications to all 57. It prints:

* the time to sign and store one broadcast (57 entries, one per link);
* the time to fold every copy's state from the transcript (what ``notifications`` and the
  deadline watcher read after each change), and to group the copies by notice;
* the time to render one notification for a reader, in en, zh and ru.

    .venv/bin/python benchmarks/notices.py [--broadcasts 50]

Figures are recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from openline.core.card import make_card
from openline.core.keys import PrivateKey
from openline.core.timefmt import format_time
from openline.node.app import Node
from openline.node.home import NodeConfig, NodeHome
from openline.node.notices import NewActivity
from openline.node.rendering import render_entry_for

PARTIES = 57
AREA = {
    "type": "Polygon",
    "coordinates": [[[123.0, 22.0], [128.5, 22.0], [131.0, 25.0], [123.0, 24.5], [123.0, 22.0]]],
}


def make_node(root: Path, peers: int = PARTIES) -> Node:
    """us-dod, with ``peers`` counterparts pinned (``state-00``…)."""
    home = NodeHome(root / "us-dod")
    config = NodeConfig(
        party="us-dod",
        names={"en": "U.S. Department of Defense"},
        listen="127.0.0.1:1",
        url="http://127.0.0.1:1",
        card_created=format_time(datetime.now(UTC)),
    )
    home.create(config, PrivateKey.generate())
    node = Node.open(home)
    for n in range(peers):
        card = make_card(
            party=f"state-{n:02d}",
            names={"en": f"State {n}"},
            urls=[f"http://state-{n:02d}.invalid"],
            created="2026-11-01T00:00:00.000Z",
            key=PrivateKey.generate(),
        )
        node.peers.add(card.to_bytes())
    return node


def timed(function: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """Median seconds of ``repeat`` calls, and the last result."""
    times: list[float] = []
    result: Any = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--broadcasts", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        node = make_node(Path(tmp))
        recipients = sorted(node.peers.pinned())
        now = datetime.now(UTC)
        notice = NewActivity(
            activity="exercise",
            title="Command post exercise",
            participants=["us-dod"],
            area=AREA,
            start=now + timedelta(days=20),
            end=now + timedelta(days=25),
            contact_channel="VHF 16",
            forces={"personnel": 12_000},
        )
        sends: list[float] = []
        last: dict[str, Any] = {}
        for _ in range(args.broadcasts):
            seconds, last = timed(lambda: node.notices.send(recipients, notice))
            sends.append(seconds)
        entries = args.broadcasts * len(recipients)
        print(
            f"broadcast to {len(recipients)} parties, {args.broadcasts} times ({entries} entries)"
        )
        print(
            f"  sign and store one broadcast: median {statistics.median(sends) * 1000:.0f} ms, "
            f"max {max(sends) * 1000:.0f} ms "
            f"({statistics.median(sends) / len(recipients) * 1000:.2f} ms per entry)"
        )

        def rebuild() -> int:
            return node.rebuild()["entries"]

        seconds, count = timed(rebuild, repeat=3)
        print(f"  rebuild the folds from {count} entries: {seconds * 1000:.0f} ms")
        copy_id = last["entries"][0]["id"]
        seconds, group = timed(partial(node.notices.notification, copy_id), repeat=5)
        copies = len(group["recipients"])
        print(f"  read one notification with its {copies} copies: {seconds * 1000:.1f} ms")
        seconds, groups = timed(node.notices.notifications, repeat=5)
        print(f"  the newest page of {len(groups)} notifications: {seconds * 1000:.0f} ms")
        entry_id = last["entries"][0]["id"]
        for lang in ("en", "zh", "ru"):
            render_entry_for(node, entry_id, lang)  # first use compiles the catalog
            seconds, _ = timed(partial(render_entry_for, node, entry_id, lang), 20)
            print(f"  render one notification in {lang}: {seconds * 1000:.1f} ms")
        node.close()


if __name__ == "__main__":
    main()
