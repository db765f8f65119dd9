"""Application commands on in-process nodes: sending, acknowledging, caches, verify."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from openline.node import reads
from openline.node.app import Node
from openline.node.errors import CommandError
from openline.node.hotline import NewMessage, acknowledge, send_messages
from openline.node.verify import verify_store
from openline.store import schema
from pair import make_pair, pump


def cache_rows(node: Node) -> list[dict[str, Any]]:
    with node.store.read() as connection:
        rows = connection.execute(select(schema.messages).order_by(schema.messages.c.id))
        return [dict(row._mapping) for row in rows]


def test_rebuild_reproduces_the_live_caches(tmp_path: Path) -> None:
    us, prc, clock = make_pair(tmp_path)
    sent = send_messages(
        us,
        ["prc-mnd"],
        [
            NewMessage("one", "flash"),
            NewMessage("two", "routine"),
            NewMessage("три", "priority", "ru"),
        ],
    )
    send_messages(prc, ["us-dod"], [NewMessage("reply", "immediate", "en")])
    pump(us, prc)
    pump(prc, us)
    clock.advance(minutes=5)
    acknowledge(prc, sent[0].id, "Col. Li")
    acknowledge(prc, sent[2].id, "Maj. Wang")
    pump(prc, us)
    for node in (us, prc):
        live = cache_rows(node)
        assert len(live) == 4
        counts = node.rebuild()
        assert counts == {"entries": 6, "messages": 4}
        assert cache_rows(node) == live
    acked = {row["id"]: row["ack_officer"] for row in cache_rows(us)}
    assert acked[sent[0].id] == "Col. Li"
    assert acked[sent[1].id] is None


def test_overdue_follows_the_precedence_objective(tmp_path: Path) -> None:
    us, prc, clock = make_pair(tmp_path)
    send_messages(us, ["prc-mnd"], [NewMessage("flash", "flash"), NewMessage("routine")])
    pump(us, prc)
    assert reads.status(prc)["overdue_acks"] == {"ours": 0, "theirs": 0}
    clock.advance(minutes=11)  # past flash (10 min), well within routine (6 h)
    assert reads.status(prc)["overdue_acks"] == {"ours": 1, "theirs": 0}
    assert reads.status(us)["overdue_acks"] == {"ours": 0, "theirs": 1}
    clock.advance(hours=6)
    assert reads.status(prc)["overdue_acks"]["ours"] == 2


def test_ack_rules(tmp_path: Path) -> None:
    us, prc, _ = make_pair(tmp_path)
    (message,) = send_messages(us, ["prc-mnd"], [NewMessage("hello")])
    with pytest.raises(CommandError) as own:
        acknowledge(us, message.id, "me")  # one cannot acknowledge one's own message
    assert own.value.code == "not-acknowledgeable"
    with pytest.raises(CommandError) as unknown:
        acknowledge(prc, message.id, "me")  # not delivered yet
    assert unknown.value.code == "unknown-entry"
    pump(us, prc)
    acknowledge(prc, message.id, "Col. Li")
    with pytest.raises(CommandError) as twice:
        acknowledge(prc, message.id, "Col. Li")
    assert twice.value.code == "already-acknowledged"


def test_verify_passes_on_both_sides_after_traffic(tmp_path: Path) -> None:
    us, prc, clock = make_pair(tmp_path)
    for round_ in range(3):
        send_messages(us, ["prc-mnd"], [NewMessage(f"m{round_}-{i}") for i in range(5)])
        pump(us, prc)
        clock.advance(seconds=30)
        pump(us, prc)  # a heartbeat: empty batch, fresh receipt
    for node in (us, prc):
        report = verify_store(node.store, node.peers.all_cards())
        assert report.ok, report.problems
        assert report.entries == 15
    assert us.delivered_size("prc-mnd") == 15
