"""The node's card and its pinned peers (``node/peers.py``): pinning and its refusals, with
no node around them, and what a node drops when a peer's card changes."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from openline.core.card import make_card
from openline.core.keys import PrivateKey
from openline.node.app import Node
from openline.node.errors import CommandError
from openline.node.hotline import NewMessage, send_messages
from openline.node.peers import Peers
from pair import FakeClock, make_node, make_pair, pump

US, PRC = "us-dod", "prc-mnd"


def refused(peers: Peers, card: bytes, replace: bool = False) -> str:
    with pytest.raises(CommandError) as error:
        peers.add(card, replace=replace)
    return error.value.code


def test_peers_pin_with_only_a_store_a_key_and_a_clock(tmp_path: Path) -> None:
    us, prc, clock = make_pair(tmp_path)
    pinned: list[str] = []
    peers = Peers(us.store, us.config, us.key, clock, threading.RLock(), pinned.append)
    assert peers.card() == us.peers.card()
    assert set(peers.pinned()) == {PRC}
    assert peers.keys_of(PRC) == (prc.peers.card().key,)
    assert peers.keys_of("nobody") is None
    assert set(peers.all_cards()) == {US, PRC}

    third = make_node(tmp_path, "third", clock).peers.card()
    assert peers.add(third.to_bytes(), url="http://127.0.0.1:2/").url == "http://127.0.0.1:2"
    assert pinned == ["third"]
    assert set(us.peers.pinned()) == {PRC}  # the node's own cache is its own

    assert refused(peers, b"{}") == "bad-card"
    assert refused(peers, us.peers.card().to_bytes()) == "own-card"
    stranger = PrivateKey.generate()
    unendorsed = make_card(
        party=PRC, names={"en": "PRC"}, urls=[], created=third.created, key=stranger
    )
    assert refused(peers, unendorsed.to_bytes()) == "key-changed"
    assert refused(peers, unendorsed.to_bytes(), replace=True) == "no-url"
    with pytest.raises(CommandError) as unknown:
        peers.peer("nobody")
    assert (unknown.value.code, unknown.value.status) == ("unknown-peer", 404)
    assert pinned == ["third"]  # nothing refused was pinned


def rotated(node: Node, clock: FakeClock) -> tuple[Node, bytes]:
    """The same party on a new key its old one endorsed: its node, and its new card."""
    key = PrivateKey.generate()
    config = node.config
    card = make_card(
        party=config.party,
        names=config.names,
        urls=[config.url],
        created=config.card_created,
        key=key,
        previous_key=node.key,
    )
    return Node(node.home, config, key, node.store, clock), card.to_bytes()


def test_a_repinned_peer_is_heard_against_its_new_card(tmp_path: Path) -> None:
    us, prc, clock = make_pair(tmp_path)
    send_messages(prc, [US], [NewMessage("on the old key")])
    pump(prc, us)  # us now holds prc's incoming log, checked against the old card
    old = prc.key.public_key
    prc, card = rotated(prc, clock)
    us.peers.add(card)
    assert us.peers.keys_of(PRC) == (prc.key.public_key, old)
    send_messages(prc, [US], [NewMessage("on the new key")])
    assert pump(prc, us) == 1
