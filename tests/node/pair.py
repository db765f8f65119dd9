"""Two in-process nodes joined without HTTP: the sender's batches go straight into the
receiver's application command, as the federation endpoint would pass them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from openline.core.card import make_card
from openline.core.keys import PrivateKey
from openline.core.link import Accepted, Duplicate
from openline.core.timefmt import format_time
from openline.node.app import Node
from openline.node.home import NodeConfig, NodeHome


@dataclass
class FakeClock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def make_node(root: Path, party: str, clock: FakeClock) -> Node:
    home = NodeHome(root / party)
    config = NodeConfig(
        party=party,
        names={"en": party.upper()},
        listen="127.0.0.1:1",
        url="http://127.0.0.1:1",
        card_created=format_time(clock()),
    )
    key = PrivateKey.generate()
    make_card(
        party=party, names=config.names, urls=[config.url], created=config.card_created, key=key
    )
    home.create(config, key)
    return Node.open(home, clock=clock)


def make_pair(root: Path) -> tuple[Node, Node, FakeClock]:
    clock = FakeClock(datetime(2026, 11, 29, 8, 0, tzinfo=UTC))
    a, b = make_node(root, "us-dod", clock), make_node(root, "prc-mnd", clock)
    a.peers.add(b.peers.card().to_bytes())
    b.peers.add(a.peers.card().to_bytes())
    return a, b, clock


def pump(sender: Node, receiver: Node, limit: int = 500) -> int:
    """Deliver everything pending from sender to receiver; returns entries delivered."""
    start = sender.delivered_size(receiver.party)
    rows = sender.store.entries(sender.party, receiver.party, start, limit)
    end = start + len(rows)
    checkpoint, note = sender.checkpoint_for(receiver.party, end)
    entries = [orjson.loads(row.leaf) for row in rows]
    outcome = receiver.receive_batch(sender.party, entries, note)
    assert isinstance(outcome, Accepted | Duplicate), outcome
    assert sender.record_receipt(receiver.party, checkpoint, note, outcome.cosignature)
    return len(rows)
