"""A request whose answer is lost after the commit signs once when retried with its key.

The node is started with its fault point armed (``OPENLINE_FAULT=kill-after-commit``): it
SIGKILLs itself right after committing a keyed request's entries, before it answers. The
client sees the connection drop, exactly as when a power cut or an OOM kill lands between
the commit and the answer, and retries with the same ``Idempotency-Key``.
"""

from __future__ import annotations

import signal
import subprocess
import time

import httpx
import pytest

from harness import OPENLINE, NodeFactory, NodeProcess, wait_for

US, PRC = "us-dod", "prc-mnd"
FAULT = {"OPENLINE_FAULT": "kill-after-commit"}


def hotline_texts(node: NodeProcess, peer: str) -> list[str]:
    return [row["body"]["text"] for row in node.log(peer) if row["kind"] == "hotline.message"]


def test_a_batch_retried_after_a_kill_between_commit_and_answer_is_stored_once(
    nodes: NodeFactory,
) -> None:
    us, prc = nodes(US, PRC, start=False)
    prc.start()
    us.start(env=FAULT)
    texts = [f"killed between commit and answer #{n}" for n in range(25)]
    body = {"to": [PRC], "messages": [{"text": text} for text in texts]}
    key = {"idempotency-key": '"batch-after-kill"'}
    with pytest.raises(httpx.TransportError):
        us.api("POST", "/api/v1/messages/batch", body, headers=key)
    assert us.process is not None
    assert us.process.wait(timeout=10) == -signal.SIGKILL  # died after the commit

    us.start()  # no fault this time
    retried = us.api("POST", "/api/v1/messages/batch", body, headers=key)
    assert retried.status_code == 201, retried.text
    entries = retried.json()["entries"]
    assert [entry["seq"] for entry in entries] == list(range(len(texts)))  # the first ones
    again = us.api("POST", "/api/v1/messages/batch", body, headers=key)
    assert again.json() == retried.json()

    assert hotline_texts(us, PRC) == texts  # stored once, in order
    wait_for(lambda: us.api_peer_status(PRC)["delivered"] == len(texts), 60, "delivery")
    assert hotline_texts(prc, US) == texts  # and delivered once
    assert us.verify().returncode == 0


def test_the_cli_retries_with_its_key_while_the_node_restarts(nodes: NodeFactory) -> None:
    us, prc = nodes(US, PRC, start=False)
    prc.start()
    us.start(env=FAULT)
    text = "sent once though the node died answering"
    sending = subprocess.Popen(
        [*OPENLINE, "send", str(us.dir), "--to", PRC, "--text", text],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert us.process is not None
    assert us.process.wait(timeout=30) == -signal.SIGKILL
    time.sleep(0.5)  # the CLI's first retries find nobody listening
    us.start()
    out, err = sending.communicate(timeout=60)
    assert sending.returncode == 0, err
    assert "trying again" in err  # it said what it was doing
    assert out.splitlines() == [f"sent: to {PRC} seq 0 id {us.log(PRC)[0]['id']}"]
    assert hotline_texts(us, PRC) == [text]
