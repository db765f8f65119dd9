"""Link health with real node processes: a peer that goes down and comes back.

docs/architecture.md, "Heartbeats and link health": nodes exchange signed checkpoints every
heartbeat, so "the line is down" is a technical, observable state, distinct from silence or
refusal. Meanwhile the outbox holds what officers send (write-ahead), and it is delivered
exactly once when the line is back.
"""

from __future__ import annotations

import time

import pytest

from harness import NodeFactory, NodeProcess, wait_for

pytestmark = pytest.mark.e2e

# The issue speaks of a peer down for minutes. The harness runs nodes with a 1 s heartbeat,
# and a node judges a link by how many heartbeats it has missed (down after 2.5 heartbeat
# periods without a receipt or a batch from the peer), not by wall-clock time; so an outage
# of ~12 heartbeats here is the same situation as minutes at a production cadence.
OUTAGE_SECONDS = 12.0


def link(node: NodeProcess, peer: str) -> str:
    return str(node.api_peer_status(peer)["link"])


def test_peer_down_then_up(nodes: NodeFactory) -> None:
    us, prc = nodes("us-dod", "prc-mnd")
    wait_for(lambda: link(us, "prc-mnd") == "up", 20, "us-dod to see the link up")
    wait_for(lambda: link(prc, "us-dod") == "up", 20, "prc-mnd to see the link up")
    before = us.send_batch(["prc-mnd"], ["before the outage"])
    wait_for(lambda: us.api_peer_status("prc-mnd")["delivered"] == 1, 20, "the first receipt")
    texts = ["before the outage"]
    ids = [before[0]["id"]]

    prc.stop()
    outage_began = time.monotonic()

    # Sent while the peer is down: accepted and durably queued, not delivered.
    sent = us.cli("send", "--to", "prc-mnd", "--text", "sent as the line drops")
    assert sent.returncode == 0, sent.stderr
    texts.append("sent as the line drops")
    ids.append(sent.stdout.split()[-1])

    wait_for(lambda: link(us, "prc-mnd") == "down", 20, "us-dod to see the link down")
    view = us.peer_status("prc-mnd")  # through the CLI, as the duty officer would look
    assert view["link"] == "down"
    assert view["delivered"] == 1
    assert view["pending"] == 1
    assert view["last_error"]  # the technical reason is shown, e.g. connection refused

    batch = [f"during the outage {i}" for i in range(5)]
    ids.extend(entry["id"] for entry in us.send_batch(["prc-mnd"], batch))
    texts.extend(batch)

    # Hold the outage, checking the whole time that the link stays down and nothing is lost
    # or pretended delivered (a poll, not an assertion on time).
    while time.monotonic() - outage_began < OUTAGE_SECONDS:
        view = us.api_peer_status("prc-mnd")
        assert view["link"] == "down", view
        assert (view["sent"], view["delivered"], view["pending"]) == (len(ids), 1, len(ids) - 1)
        time.sleep(0.5)

    last = us.cli("send", "--to", "prc-mnd", "--text", "last before the line returns")
    assert last.returncode == 0, last.stderr
    texts.append("last before the line returns")
    ids.append(last.stdout.split()[-1])
    assert us.peer_status("prc-mnd")["pending"] == len(ids) - 1

    prc.start()

    def caught_up() -> bool:
        view = us.api_peer_status("prc-mnd")
        return bool(view["link"] == "up" and view["delivered"] == len(ids) and view["pending"] == 0)

    wait_for(caught_up, 30, "the link up again and every queued message receipted")
    wait_for(lambda: link(prc, "us-dod") == "up", 20, "prc-mnd to see the link up again")
    wait_for(lambda: us.peer_status("prc-mnd")["link"] == "up", 20, "the CLI to agree")

    rows = sorted(
        (r for r in prc.log("us-dod") if r["from"] == "us-dod" and r["kind"] == "hotline.message"),
        key=lambda r: int(r["seq"]),
    )
    assert [r["seq"] for r in rows] == list(range(len(ids)))
    assert [r["id"] for r in rows] == ids
    assert [r["body"]["text"] for r in rows] == texts
    for node in (us, prc):
        result = node.verify()
        assert result.returncode == 0, f"{node.party}: {result.stderr}"
