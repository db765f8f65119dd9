"""Agreed message catalogues on two in-process nodes: pin, agreement, send, the door.

The rule under test (``openline.node.catalogues``): a catalogue is agreed with a peer once
this node pinned it and the peer's log holds its ``catalogue.pin``; the sender refuses
anything else, so the receiver's door never refuses an honest sender. Every refusal
stores nothing, on either node.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from openline.core.canonical import canonical_bytes
from openline.core.catalogue import catalogue_hash, load_starter, render_message
from openline.core.entry import Entry
from openline.core.link import BatchOutcome, Rejected
from openline.node.app import Node
from openline.node.errors import CommandError
from openline.store import Store
from pair import make_pair, pump

US, PRC = "us-dod", "prc-mnd"
STARTER = load_starter()
STARTER_BYTES = json.dumps(STARTER, ensure_ascii=False, indent=2).encode()
STARTER_HASH = catalogue_hash(STARTER)


def sizes(node: Node) -> dict[str, tuple[int, int]]:
    """(sent, received) of every log of the node, by peer."""
    result = {}
    with node.store.read() as connection:
        for peer in node.peers.pinned():
            result[peer] = (
                Store.log_size(connection, node.party, peer),
                Store.log_size(connection, peer, node.party),
            )
    return result


def kinds(node: Node, sender: str, recipient: str) -> list[str]:
    return [row.kind for row in node.store.entries(sender, recipient)]


def offer(sender: Node, receiver: Node) -> BatchOutcome:
    """Offer everything the sender has not had receipted, without asserting the outcome."""
    start = sender.delivered_size(receiver.party)
    rows = sender.store.entries(sender.party, receiver.party, start)
    _, note = sender.checkpoint_for(receiver.party, start + len(rows))
    return receiver.receive_batch(sender.party, [orjson.loads(row.leaf) for row in rows], note)


def refusal(call: Any, *args: Any, **kwargs: Any) -> CommandError:
    with pytest.raises(CommandError) as caught:
        call(*args, **kwargs)
    return caught.value


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Node, Node]:
    us, prc, _ = make_pair(tmp_path)
    return us, prc


@pytest.fixture
def agreed(pair: tuple[Node, Node]) -> tuple[Node, Node]:
    """Both nodes pinned the starter catalogue and heard of each other's pin."""
    us, prc = pair
    us.catalogues.pin(STARTER_BYTES, "Lt. Cdr. Smith")
    prc.catalogues.pin(STARTER_BYTES, "Lt. Col. Wang")
    pump(us, prc)
    pump(prc, us)
    return us, prc


# --- pinning -----------------------------------------------------------------------------


def test_pin_stores_the_canonical_document_and_tells_every_peer(pair: tuple[Node, Node]) -> None:
    us, _ = pair
    result = us.catalogues.pin(STARTER_BYTES, "Lt. Cdr. Smith")
    assert result == {
        "hash": STARTER_HASH,
        "name": "openline-starter",
        "version": 1,
        "languages": ["en", "zh", "ru"],
        "messages": 45,
        "newly_pinned": True,
        "sent_to": [PRC],
        "already_told": [],
    }
    ((digest, document, _),) = us.store.catalogue_documents()
    assert digest == STARTER_HASH
    assert document == canonical_bytes(STARTER)
    (stored,) = us.store.entries(US, PRC)
    entry = Entry.from_leaf(stored.leaf)
    assert entry.kind == "catalogue.pin"
    assert dict(entry.body) == {
        "catalogue": STARTER_HASH,
        "name": "openline-starter",
        "version": 1,
        "officer": "Lt. Cdr. Smith",
    }
    assert entry.refs == ()
    assert set(us.catalogues.pinned()) == {STARTER_HASH}


def test_pinning_again_is_idempotent_whatever_the_spelling(pair: tuple[Node, Node]) -> None:
    us, _ = pair
    us.catalogues.pin(STARTER_BYTES, "Lt. Cdr. Smith")
    before = sizes(us)
    # Same document, other key order and no whitespace: same hash, nothing new.
    respelled = orjson.dumps(dict(reversed(list(STARTER.items()))))
    again = us.catalogues.pin(respelled, "Someone else")
    assert again["hash"] == STARTER_HASH
    assert again["newly_pinned"] is False
    assert again["sent_to"] == []
    assert again["already_told"] == [PRC]
    assert sizes(us) == before
    assert len(us.catalogues.status()["catalogues"]) == 1


def test_pin_to_no_peer_tells_nobody_and_a_later_pin_tells_them(pair: tuple[Node, Node]) -> None:
    us, _ = pair
    quiet = us.catalogues.pin(STARTER_BYTES, "Lt. Cdr. Smith", to=[])
    assert (quiet["newly_pinned"], quiet["sent_to"]) == (True, [])
    assert kinds(us, US, PRC) == []
    (row,) = us.catalogues.agreement(STARTER_HASH)
    assert (row["pinned_here"], row["we_told_them"]) == (True, False)
    told = us.catalogues.pin(STARTER_BYTES, "Lt. Cdr. Smith", to=[PRC])
    assert (told["newly_pinned"], told["sent_to"]) == (False, [PRC])
    assert kinds(us, US, PRC) == ["catalogue.pin"]


# --- agreement ---------------------------------------------------------------------------


def test_agreement_needs_both_pins_and_sending_waits_for_it(pair: tuple[Node, Node]) -> None:
    us, prc = pair
    us.catalogues.pin(STARTER_BYTES, "Lt. Cdr. Smith")
    (row,) = us.catalogues.agreement(STARTER_HASH)
    assert row == {
        "party": PRC,
        "pinned_here": True,
        "we_told_them": True,
        "they_pinned": False,
        "they_pinned_at": None,
        "agreed": False,
    }
    before = sizes(us)
    for ref in ("openline-starter", STARTER_HASH, None):
        error = refusal(us.catalogues.send, PRC, ref, "M10", {"distance": 5})
        assert (error.code, error.status) == ("catalogue-not-agreed", 409)
        assert f"prc-mnd has not pinned openline-starter v1 ({STARTER_HASH[:16]}" in str(error)
    assert sizes(us) == before

    pump(us, prc)
    # prc-mnd sees what us-dod pinned, and may not send it before pinning it itself.
    listing = prc.catalogues.status()
    assert listing["catalogues"] == []
    (offered,) = listing["offered_by_peers"]
    assert (offered["party"], offered["hash"], offered["officer"]) == (
        US,
        STARTER_HASH,
        "Lt. Cdr. Smith",
    )
    assert offered["note"].startswith("us-dod pinned openline-starter v1 (")
    assert offered["note"].endswith(", not pinned here")
    before = sizes(prc)
    for ref in ("openline-starter", STARTER_HASH, None):
        error = refusal(prc.catalogues.send, US, ref, "M10", {"distance": 5})
        assert (error.code, error.status) == ("catalogue-not-agreed", 409)
        assert "prc-mnd (this node) has not pinned openline-starter v1" in str(error)
    assert sizes(prc) == before

    prc.catalogues.pin(STARTER_BYTES, "Lt. Col. Wang")
    (row,) = prc.catalogues.agreement(STARTER_HASH)
    assert row["agreed"] is True  # us-dod's pin arrived before prc-mnd pinned
    assert prc.catalogues.status()["offered_by_peers"] == []
    assert not us.catalogues.agreement(STARTER_HASH)[0]["agreed"]  # not heard yet
    pump(prc, us)
    (row,) = us.catalogues.agreement(STARTER_HASH)
    assert (row["they_pinned"], row["agreed"]) == (True, True)
    assert [c.hash for c in us.catalogues.agreed_with(PRC)] == [STARTER_HASH]


# --- sending and reading -----------------------------------------------------------------


def test_each_reader_sees_the_agreed_text_in_their_language(agreed: tuple[Node, Node]) -> None:
    us, prc = agreed
    entry = us.catalogues.send(PRC, None, "M10", {"distance": "5"})  # the CLI passes strings
    assert dict(entry.body) == {"catalogue": STARTER_HASH, "code": "M10", "params": {"distance": 5}}
    assert pump(us, prc) == 1
    (received,) = [
        Entry.from_leaf(row.leaf)
        for row in prc.store.entries(US, PRC)
        if row.kind == "catalogue.message"
    ]
    assert received.id == entry.id
    assert (
        render_message(received.body, prc.catalogues.pinned(), "zh")
        == "请与我保持5海里以上的距离。"
    )
    assert (
        render_message(entry.body, us.catalogues.pinned(), "en")
        == "Request you keep 5 nautical miles clear of me."
    )
    assert (
        render_message(received.body, prc.catalogues.pinned(), "ru")
        == "Прошу держаться от меня на расстоянии не менее 5 морских миль."
    )


def test_free_text_keeps_its_language_and_times_are_normalised(agreed: tuple[Node, Node]) -> None:
    us, prc = agreed
    reply = prc.catalogues.send(US, "openline-starter", "G6", {"intentions": "返回港口"}, "zh")
    assert dict(reply.body)["lang"] == "zh"
    pump(prc, us)
    assert (
        render_message(reply.body, us.catalogues.pinned(), "en")
        == "My intentions are as follows: 返回港口"
    )
    # A time with an offset is written as an entry time; a ref to the reply is allowed.
    entry = us.catalogues.send(
        PRC, STARTER_HASH, "G4", {"time": "2026-11-29T10:00+08:00"}, refs=[reply.id]
    )
    assert entry.body["params"] == {"time": "2026-11-29T02:00:00.000Z"}
    assert entry.refs == (reply.id,)
    pump(us, prc)
    assert (
        render_message(entry.body, prc.catalogues.pinned(), "en")
        == "Your message has been received; a reply will follow by 2026-11-29 02:00 UTC."
    )


SEND_CASES = [
    pytest.param({"code": "M99", "params": {}}, 422, "unknown-code", "M99", id="unknown-code"),
    pytest.param(
        {"code": "m10", "params": {"distance": 5}}, 422, "invalid-body", "code", id="bad-code"
    ),
    pytest.param({"code": "M10", "params": {}}, 422, "missing-param", "distance", id="missing"),
    pytest.param(
        {"code": "M1", "params": {"distance": 5}}, 422, "extra-param", "distance", id="extra"
    ),
    pytest.param(
        {"code": "M10", "params": {"distance": "five"}}, 422, "bad-param", "distance", id="word"
    ),
    pytest.param(
        {"code": "M10", "params": {"distance": "-5"}}, 422, "bad-param", "distance", id="negative"
    ),
    pytest.param(
        {"code": "M4", "params": {"course": "360", "speed": "12"}},
        422,
        "bad-param",
        "course",
        id="course-360",
    ),
    pytest.param(
        {"code": "G4", "params": {"time": "tomorrow"}}, 422, "bad-param", "time", id="time"
    ),
    pytest.param(
        {"code": "G6", "params": {"intentions": "Return to port"}},
        422,
        "bad-lang",
        "lang",
        id="lang-missing",
    ),
    pytest.param(
        {"code": "M10", "params": {"distance": 5}, "lang": "en"},
        422,
        "bad-lang",
        "no lang",
        id="lang-extra",
    ),
    pytest.param(
        {"code": "M10", "params": {"distance": 5}, "ref": "no-such-catalogue"},
        404,
        "unknown-catalogue",
        "no-such-catalogue",
        id="unknown-catalogue",
    ),
    pytest.param(
        {"code": "M10", "params": {"distance": 5}, "ref": "0" * 64},
        404,
        "unknown-catalogue",
        "000000",
        id="unknown-hash",
    ),
    pytest.param(
        {"code": "M10", "params": {"distance": 5}, "to": "ru-mod"},
        404,
        "unknown-peer",
        "ru-mod",
        id="unknown-peer",
    ),
    pytest.param(
        {"code": "M10", "params": {"distance": 5}, "refs": ["1" * 64]},
        422,
        "unknown-ref",
        "not in the transcript",
        id="unknown-ref",
    ),
    pytest.param(
        {"code": "M10", "params": {"distance": 5}, "refs": [str(n) * 64 for n in range(5)]},
        422,
        "invalid-entry",
        "0 to 4",
        id="too-many-refs",
    ),
]


@pytest.mark.parametrize(("call", "status", "code", "words"), SEND_CASES)
def test_bad_sends_are_refused_with_their_code_and_store_nothing(
    agreed: tuple[Node, Node], call: dict[str, Any], status: int, code: str, words: str
) -> None:
    us, prc = agreed
    before = (sizes(us), sizes(prc))
    error = refusal(
        us.catalogues.send,
        call.get("to", PRC),
        call.get("ref", "openline-starter"),
        call["code"],
        call["params"],
        call.get("lang"),
        call.get("refs", ()),
    )
    assert (error.code, error.status) == (code, status), str(error)
    assert words in str(error)
    assert (sizes(us), sizes(prc)) == before


# --- bad catalogue documents ---------------------------------------------------------------


def edited(change: Any) -> bytes:
    document = copy.deepcopy(STARTER)
    change(document)
    return json.dumps(document).encode()


def drop_zh_title(doc: dict[str, Any]) -> None:
    del doc["messages"][0]["title"]["zh"]


def duplicate_code(doc: dict[str, Any]) -> None:
    doc["messages"][1]["code"] = doc["messages"][0]["code"]


def stray_placeholder(doc: dict[str, Any]) -> None:
    doc["messages"][0]["text"]["en"] += " {ship}"


def float_version(doc: dict[str, Any]) -> None:
    doc["version"] = 1.5


def unknown_field(doc: dict[str, Any]) -> None:
    doc["author"] = "us-dod"


PIN_CASES = [
    pytest.param(b"{not json", "invalid-catalogue", id="not-json"),
    pytest.param(b"[1, 2]", "invalid-catalogue", id="not-an-object"),
    pytest.param(edited(drop_zh_title), "missing-translation", id="missing-translation"),
    pytest.param(edited(duplicate_code), "duplicate-code", id="duplicate-code"),
    pytest.param(edited(stray_placeholder), "placeholder-mismatch", id="placeholder"),
    pytest.param(edited(float_version), "invalid-catalogue", id="float"),
    pytest.param(edited(unknown_field), "invalid-catalogue", id="unknown-field"),
]


@pytest.mark.parametrize(("document", "code"), PIN_CASES)
def test_bad_documents_are_refused_and_store_nothing(
    pair: tuple[Node, Node], document: bytes, code: str
) -> None:
    us, _ = pair
    error = refusal(us.catalogues.pin, document, "Lt. Cdr. Smith")
    assert (error.code, error.status) == (code, 422), str(error)
    assert us.store.catalogue_documents() == []
    assert us.catalogues.pinned() == {}
    assert sizes(us) == {PRC: (0, 0)}


def test_bad_pin_requests_are_refused_and_store_nothing(pair: tuple[Node, Node]) -> None:
    us, _ = pair
    error = refusal(us.catalogues.pin, STARTER_BYTES, "Lt. Cdr. Smith", to=["ru-mod"])
    assert (error.code, error.status) == ("unknown-peer", 404)
    error = refusal(us.catalogues.pin, STARTER_BYTES, "")
    assert (error.code, error.status) == ("invalid-body", 422)
    assert us.store.catalogue_documents() == []
    assert sizes(us) == {PRC: (0, 0)}

    us.catalogues.pin(STARTER_BYTES, "Lt. Cdr. Smith")
    before = (us.store.catalogue_documents(), sizes(us))
    # Another document under the same name and version would make "v1" ambiguous.
    changed = edited(lambda doc: doc["messages"][0]["title"].update(en="Receipt"))
    error = refusal(us.catalogues.pin, changed, "Lt. Cdr. Smith")
    assert (error.code, error.status) == ("version-conflict", 409)
    assert (us.store.catalogue_documents(), sizes(us)) == before
    # As version 2 it is welcome, and the name then means the latest version.
    bumped = edited(
        lambda doc: (doc["messages"][0]["title"].update(en="Receipt"), doc.update(version=2))
    )
    second = us.catalogues.pin(bumped, "Lt. Cdr. Smith")
    assert (second["version"], second["sent_to"]) == (2, [PRC])
    assert us.catalogues.resolve("openline-starter").version == 2
    assert us.catalogues.resolve(STARTER_HASH).version == 1


def test_a_send_must_name_its_catalogue_when_several_are_agreed(
    agreed: tuple[Node, Node],
) -> None:
    us, prc = agreed
    bumped = edited(lambda doc: doc.update(version=2))
    us.catalogues.pin(bumped, "Lt. Cdr. Smith")
    prc.catalogues.pin(bumped, "Lt. Col. Wang")
    pump(prc, us)
    before = sizes(us)
    error = refusal(us.catalogues.send, PRC, None, "S8", {})
    assert (error.code, error.status) == ("ambiguous-catalogue", 422)
    assert "openline-starter v1" in str(error)
    assert "openline-starter v2" in str(error)
    assert sizes(us) == before
    entry = us.catalogues.send(PRC, STARTER_HASH, "S8", {})
    assert entry.body["catalogue"] == STARTER_HASH
    latest = us.catalogues.send(PRC, "openline-starter", "S8", {})
    assert latest.body["catalogue"] == catalogue_hash(json.loads(bumped))


# --- the receiver's door -------------------------------------------------------------------


def test_door_refuses_a_message_of_a_catalogue_it_has_not_pinned(
    pair: tuple[Node, Node],
) -> None:
    us, prc = pair
    us.catalogues.pin(STARTER_BYTES, "Lt. Cdr. Smith")
    # A sender that skips its own check (or lies about it): sign the message directly.
    body = {"catalogue": STARTER_HASH, "code": "M10", "params": {"distance": 5}}
    us.append(PRC, [("catalogue.message", body, ())])
    outcome = offer(us, prc)
    assert isinstance(outcome, Rejected), outcome
    assert outcome.code == "unpinned-catalogue"
    assert sizes(prc) == {US: (0, 0)}
    assert prc.store.entries(US, PRC) == []


@pytest.mark.parametrize(
    ("params", "code"),
    [({"distance": 5, "speed": 3}, "extra-param"), ({"distance": 1.5}, "invalid-body")],
)
def test_door_refuses_a_message_that_breaks_the_agreed_catalogue(
    agreed: tuple[Node, Node], params: dict[str, Any], code: str
) -> None:
    us, prc = agreed
    before = sizes(prc)
    body = {"catalogue": STARTER_HASH, "code": "M10", "params": params}
    if code == "invalid-body":
        # Floats cannot even be signed: the sender's own log refuses the entry.
        error = refusal(us.append, PRC, [("catalogue.message", body, ())])
        assert error.code == "invalid-body"
        return
    us.append(PRC, [("catalogue.message", body, ())])
    outcome = offer(us, prc)
    assert isinstance(outcome, Rejected), outcome
    assert outcome.code == code
    assert sizes(prc) == before


def test_pins_survive_a_restart_and_the_door_still_opens(agreed: tuple[Node, Node]) -> None:
    us, prc = agreed
    prc.close()
    reopened = Node.open(prc.home, clock=prc.clock)
    try:
        assert set(reopened.catalogues.pinned()) == {STARTER_HASH}
        us.catalogues.send(PRC, None, "S8", {})
        assert pump(us, reopened) == 1
        assert reopened.catalogues.agreement(STARTER_HASH)[0]["agreed"] is True
    finally:
        reopened.close()
