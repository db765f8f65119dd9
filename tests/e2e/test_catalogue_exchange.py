"""The agreed message catalogue between real nodes, driven through the CLI and the API.

us-dod and prc-mnd run for the whole module (prc-mnd's default language is Chinese). The
story: us-dod pins the starter catalogue and may not send from it until prc-mnd has pinned
it too; prc-mnd sees what us-dod pinned, pins it from a file, and the two exchange M-code
messages, each shown in the reader's language. Every mistake exits 2 with its code (the API
answers 4xx) and stores nothing on either node.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from harness import NodeProcess, pin_all, run_cli, wait_for
from openline.core.catalogue import Catalogue, catalogue_hash, load_starter, render

pytestmark = pytest.mark.e2e

US, PRC = "us-dod", "prc-mnd"
STRANGER = "ru-mod"  # a well-formed party id that neither node pinned
STARTER = load_starter()
STARTER_HASH = catalogue_hash(STARTER)
STARTER_CATALOGUE = Catalogue.from_dict(STARTER)


@dataclass(frozen=True)
class World:
    root: Path
    us: NodeProcess
    prc: NodeProcess
    # What the story sent, as us-dod's log shows it: (direction, kind). The tests of this
    # module may run on different pytest-xdist workers, each with a world of its own, so the
    # last test counts what its own world was sent, not what the whole module sends.
    sent: list[tuple[str, str]] = field(default_factory=list)

    def node(self, name: str) -> NodeProcess:
        return {"us": self.us, "prc": self.prc}[name]

    def sizes(self) -> dict[str, list[tuple[str, int, int]]]:
        """Every log's size once nothing is in flight, so that a count can only change
        because of what the test does next."""

        def settled() -> bool:
            nodes = (self.us, self.prc)
            return all(peer["pending"] == 0 for n in nodes for peer in n.api_status()["peers"])

        wait_for(settled, 30, "deliveries to settle")
        return {
            node.party: [(p["party"], p["sent"], p["received"]) for p in node.api_status()["peers"]]
            for node in (self.us, self.prc)
        }

    def pinned(self) -> dict[str, list[str]]:
        return {
            node.party: [c["hash"] for c in listing(node)["catalogues"]]
            for node in (self.us, self.prc)
        }


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("catalogue")
    us, prc = NodeProcess(root, US), NodeProcess(root, PRC, default_lang="zh")
    pin_all([us, prc])
    try:
        us.start()
        prc.start()
        yield World(root, us, prc)
    finally:
        us.stop()
        prc.stop()


def catalogue(
    node: NodeProcess, command: str, *args: str | Path
) -> subprocess.CompletedProcess[str]:
    """``openline catalogue COMMAND DIR ARGS…``."""
    return run_cli("catalogue", command, node.dir, *args)


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr}"
    assert result.stderr == "", result.stderr
    return result.stdout


def assert_usage_error(result: subprocess.CompletedProcess[str], *reasons: str) -> None:
    """Exit 2, one line ``openline: …`` on stderr naming the problem, nothing on stdout."""
    shown = f"exit {result.returncode}\nstdout: {result.stdout!r}\nstderr: {result.stderr!r}"
    assert result.returncode == 2, shown
    assert result.stderr.startswith("openline: "), shown
    assert len(result.stderr.splitlines()) == 1, shown
    assert "Traceback" not in result.stderr, shown
    assert "internal error" not in result.stderr, shown
    assert result.stdout == "", shown
    for words in reasons:
        assert words in result.stderr, shown


def listing(node: NodeProcess) -> dict[str, Any]:
    response = node.api("GET", "/api/v1/catalogues", timeout=20)
    assert response.status_code == 200, response.text
    return dict(response.json())


def agreed_with(node: NodeProcess, peer: str) -> bool:
    return any(
        row["party"] == peer and row["agreed"]
        for catalogue in listing(node)["catalogues"]
        if catalogue["hash"] == STARTER_HASH
        for row in catalogue["peers"]
    )


def received(node: NodeProcess, peer: str, entry_id: str) -> dict[str, Any] | None:
    return next((row for row in node.log(peer) if row["id"] == entry_id), None)


@pytest.fixture
def agreed(world: World) -> World:
    """Both nodes pinned the starter and heard of each other's pin (idempotent)."""
    pairs = ((world.us, PRC), (world.prc, US))
    for node, _ in pairs:  # both pin first: each agreement needs the other side's pin
        response = node.api("POST", "/api/v1/catalogues", {"document": STARTER})
        assert response.status_code == 201, response.text
    for node, peer in pairs:
        wait_for(partial(agreed_with, node, peer), 30, f"{node.party} agreed with {peer}")
    return world


# --- the story ------------------------------------------------------------------------------


def test_both_sides_pin_before_either_may_send(world: World) -> None:
    us, prc = world.us, world.prc
    shown = ok(catalogue(us, "pin", "--starter", "--officer", "Lt. Cdr. Smith"))
    assert f"pinned: openline-starter v1 ({STARTER_HASH}), 45 messages in en, zh, ru" in shown
    assert f"catalogue.pin sent to {PRC}" in shown
    # Sizes are compared once the pin has arrived: it is still on its way otherwise.
    wait_for(lambda: listing(prc)["offered_by_peers"] != [], 30, "prc-mnd to hear of the pin")

    before = world.sizes()
    refused = catalogue(us, "send", "--to", PRC, "--code", "M10", "--param", "distance=5")
    assert_usage_error(
        refused, "catalogue-not-agreed", "prc-mnd has not pinned openline-starter v1"
    )
    assert world.sizes() == before

    shown = ok(catalogue(prc, "show"))
    assert "no catalogue is pinned here" in shown
    assert f"us-dod pinned openline-starter v1 ({STARTER_HASH[:16]}…), not pinned here" in shown
    before = world.sizes()
    refused = catalogue(prc, "send", "--to", US, "--catalogue", "openline-starter", "--code", "S8")
    assert_usage_error(refused, "catalogue-not-agreed", "prc-mnd (this node) has not pinned")
    assert world.sizes() == before

    document = world.root / "starter.json"
    document.write_text(json.dumps(STARTER, ensure_ascii=False, indent=1), encoding="utf-8")
    shown = ok(catalogue(prc, "pin", document, "--to", US, "--officer", "Lt. Col. Wang"))
    assert f"catalogue.pin sent to {US}" in shown
    again = ok(catalogue(prc, "pin", "--starter"))  # idempotent: nobody is told twice
    assert "already pinned" in again
    assert f"already told: {US}" in again
    wait_for(lambda: agreed_with(us, PRC), 30, "us-dod to see the agreement")
    assert agreed_with(prc, US)

    status = json.loads(ok(catalogue(prc, "show", "--json")))
    ((row,),) = [c["peers"] for c in status["catalogues"]]
    assert row == row | {"party": US, "we_told_them": True, "they_pinned": True, "agreed": True}
    assert status["offered_by_peers"] == []
    table = ok(catalogue(us, "show"))
    assert "openline-starter" in table
    assert "prc-mnd" in table


def test_messages_cross_and_each_reader_sees_their_language(agreed: World) -> None:
    us, prc = agreed.us, agreed.prc
    shown = ok(catalogue(us, "send", "--to", PRC, "--code", "M10", "--param", "distance=5"))
    first, last = shown.splitlines()
    assert first == "[en] Request you keep 5 nautical miles clear of me."
    assert last.startswith(f"sent: to {PRC} seq ")
    message_id = last.split()[-1]
    agreed.sent.append(("out", "catalogue.message"))

    wait_for(lambda: received(prc, US, message_id) is not None, 30, "prc-mnd to receive M10")
    row = received(prc, US, message_id)
    assert row is not None
    assert row["kind"] == "catalogue.message"
    assert row["body"] == {"catalogue": STARTER_HASH, "code": "M10", "params": {"distance": 5}}
    zh = render(STARTER_CATALOGUE, row["body"]["code"], row["body"]["params"], "zh")
    assert zh == "请与我保持5海里以上的距离。"

    # prc-mnd answers in its own default language, with free text tagged zh and a ref.
    reply = catalogue(
        prc,
        "send",
        "--to",
        US,
        "--code",
        "G6",
        "--param",
        "intentions=返回港口",
        "--lang",
        "zh",
        "--ref",
        message_id,
        "--json",
    )
    sent = json.loads(ok(reply))
    agreed.sent.append(("in", "catalogue.message"))
    assert sent["rendered"] == {
        "en": "My intentions are as follows: 返回港口",
        "zh": "我方意图如下：返回港口",
        "ru": "Мои намерения: 返回港口",
    }
    wait_for(lambda: received(us, PRC, sent["id"]) is not None, 30, "us-dod to receive G6")
    row = received(us, PRC, sent["id"])
    assert row is not None
    assert row["refs"] == [message_id]
    assert row["body"]["lang"] == "zh"

    # show REF uses the node's language unless told otherwise.
    assert "请与我保持{distance}海里以上的距离。" in ok(catalogue(prc, "show", "openline-starter"))
    shown = json.loads(ok(catalogue(us, "show", STARTER_HASH, "--lang", "ru", "--json")))
    assert (shown["lang"], len(shown["messages"])) == ("ru", 45)
    m10 = next(m for m in shown["messages"] if m["code"] == "M10")
    assert m10["title"] == "Держитесь на расстоянии"
    assert m10["params"] == [{"name": "distance", "type": "integer", "unit": "nmi"}]
    assert [row["agreed"] for row in shown["peers"]] == [True]


# --- mistakes -------------------------------------------------------------------------------


def bad_file(name: str, text: str) -> Any:
    return {"file": name, "text": text}


CLI_CASES = [
    pytest.param("us", ["send", "--to", PRC, "--code", "M99"], ("unknown-code", "M99"), id="code"),
    pytest.param("us", ["send", "--to", PRC, "--code", "M10"], ("missing-param",), id="missing"),
    pytest.param(
        "us",
        ["send", "--to", PRC, "--code", "M1", "--param", "distance=5"],
        ("extra-param", "distance"),
        id="extra",
    ),
    pytest.param(
        "us",
        ["send", "--to", PRC, "--code", "M10", "--param", "distance=five"],
        ("bad-param", "distance"),
        id="bad-param",
    ),
    pytest.param(
        "us",
        ["send", "--to", PRC, "--code", "G6", "--param", "intentions=Return to port"],
        ("bad-lang",),
        id="no-lang",
    ),
    pytest.param(
        "us",
        ["send", "--to", PRC, "--code", "M10", "--param", "distance"],
        ("NAME=VALUE",),
        id="param-no-equals",
    ),
    pytest.param(
        "us",
        ["send", "--to", PRC, "--code", "S8", "--catalogue", "nato-signals"],
        ("unknown-catalogue", "nato-signals"),
        id="unknown-catalogue",
    ),
    pytest.param(
        "us", ["send", "--to", STRANGER, "--code", "S8"], ("unknown-peer", STRANGER), id="peer"
    ),
    pytest.param(
        "us", ["send", "--to", PRC, "--code", "S8", "--ref", "abc"], ("entry id",), id="ref"
    ),
    pytest.param("us", ["pin"], ("--starter",), id="pin-nothing"),
    pytest.param("us", ["pin", "{missing}"], ("cannot read",), id="pin-missing-file"),
    pytest.param("us", ["pin", "{not_json}"], ("not a JSON document",), id="pin-not-json"),
    pytest.param(
        "us", ["pin", "{untranslated}"], ("missing-translation", "zh"), id="pin-untranslated"
    ),
    pytest.param(
        "us", ["pin", "--starter", "--to", STRANGER], ("unknown-peer",), id="pin-to-stranger"
    ),
    pytest.param(
        "prc",
        ["show", "openline-starter", "--lang", "fr"],
        ("unsupported-language", "'fr'"),
        id="show-lang",
    ),
    pytest.param("prc", ["show", "nato-signals"], ("unknown-catalogue",), id="show-unknown"),
]


@pytest.mark.parametrize(("node", "args", "reasons"), CLI_CASES)
def test_cli_mistakes_exit_2_and_store_nothing(
    agreed: World, node: str, args: list[str], reasons: tuple[str, ...]
) -> None:
    root = agreed.root
    untranslated = json.loads(json.dumps(STARTER))
    del untranslated["messages"][3]["text"]["zh"]
    files = {
        "missing": root / "no-such.json",
        "not_json": root / "not.json",
        "untranslated": root / "untranslated.json",
    }
    files["not_json"].write_text("catalogue: starter\n")
    files["untranslated"].write_text(json.dumps(untranslated))
    before = (agreed.sizes(), agreed.pinned())
    command, *rest = (arg.format(**files) for arg in args)
    assert_usage_error(catalogue(agreed.node(node), command, *rest), *reasons)
    assert (agreed.sizes(), agreed.pinned()) == before


API_CASES = [
    pytest.param(
        "POST",
        "/catalogues",
        {"document": {**STARTER, "version": 1.5}},
        "invalid-catalogue",
        id="pin-float",
    ),
    pytest.param(
        "POST", "/catalogues", {"document": STARTER, "mood": "x"}, "invalid-request", id="pin-field"
    ),
    pytest.param("POST", "/catalogues", {"document": [1]}, "invalid-request", id="pin-list"),
    pytest.param(
        "POST",
        "/catalogue-messages",
        {"to": PRC, "code": "M10", "params": {"distance": 5}, "priority": 1},
        "invalid-request",
        id="send-field",
    ),
    pytest.param(
        "POST",
        "/catalogue-messages",
        {"to": PRC, "code": "M10", "params": {"distance": True}},
        "invalid-body",
        id="send-bool",
    ),
    pytest.param(
        "POST",
        "/catalogue-messages",
        {"to": PRC, "code": "M4", "params": {"course": 45, "speed": 2001}},
        "bad-param",
        id="send-speed",
    ),
    pytest.param(
        "POST",
        "/catalogue-messages",
        {"to": PRC, "code": "M10", "params": {"distance": 5}, "lang": "en"},
        "bad-lang",
        id="send-lang",
    ),
    pytest.param(
        "GET", "/catalogues/openline-starter?lang=de", None, "unsupported-language", id="lang"
    ),
    pytest.param("GET", f"/catalogues/{'0' * 64}", None, "unknown-catalogue", id="unknown"),
]


@pytest.mark.parametrize(("method", "path", "body", "code"), API_CASES)
def test_api_mistakes_are_4xx_and_store_nothing(
    agreed: World, method: str, path: str, body: Any, code: str
) -> None:
    before = (agreed.sizes(), agreed.pinned())
    response = agreed.us.api(method, "/api/v1" + path, body)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["error"]["code"] == code, response.text
    assert (agreed.sizes(), agreed.pinned()) == before


def test_the_transcripts_hold_exactly_what_was_sent_and_verify(agreed: World) -> None:
    """Every refusal above left nothing behind: one pin each way, and only the messages
    this world's story sent (none if the story ran in another worker's world)."""
    agreed.sizes()  # nothing in flight: what was sent is in both logs
    kinds = sorted((row["direction"], row["kind"]) for row in agreed.us.log(PRC))
    pins = [("in", "catalogue.pin"), ("out", "catalogue.pin")]
    assert kinds == sorted(pins + agreed.sent)
    for node in (agreed.us, agreed.prc):
        result = node.verify()
        assert result.returncode == 0, f"{node.party}: {result.stderr}"
