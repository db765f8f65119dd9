"""Hotline messages between two real nodes: delivered, receipted, acknowledged, verified."""

from __future__ import annotations

import pytest

from harness import NodeFactory, wait_for

pytestmark = pytest.mark.e2e


def test_message_is_delivered_with_receipt_and_acknowledged(nodes: NodeFactory) -> None:
    us, prc = nodes("us-dod", "prc-mnd")
    sent = us.cli("send", "--to", "prc-mnd", "--text", "Request a call", "--precedence", "flash")
    assert sent.returncode == 0, sent.stderr
    entry_id = sent.stdout.split()[-1]

    wait_for(lambda: us.peer_status("prc-mnd")["delivered"] == 1, 20, "the receipt")
    received = prc.log("us-dod")
    assert [(row["id"], row["body"]["text"]) for row in received] == [(entry_id, "Request a call")]

    acked = prc.cli("ack", entry_id, "--officer", "Col. Li")
    assert acked.returncode == 0, acked.stderr
    wait_for(
        lambda: next(r for r in us.log("prc-mnd") if r["id"] == entry_id)["acked_by"] is not None,
        20,
        "the acknowledgement to reach us-dod",
    )
    assert prc.cli("ack", entry_id).returncode == 2  # a second ack is refused, not duplicated
    for node in (us, prc):
        result = node.cli("verify")
        assert result.returncode == 0, result.stderr
