"""The command-line contract for mistakes (docs/architecture.md, "The command-line contract").

Bad usage and bad input exit 2 with exactly one line on stderr, a reason, never a
traceback. Commands that act on a node take two paths, straight to the store when the node
is down and through its officers' API when it runs; both must keep the contract, so those
cases run in both modes.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness import NodeProcess, pin_all, run_cli
from openline.core.card import Card

pytestmark = pytest.mark.e2e

US, PRC, RU = "us-dod", "prc-mnd", "ru-mod"
UNKNOWN_ID = "0" * 64


def assert_usage_error(result: subprocess.CompletedProcess[str], *reason: str) -> None:
    """Exit 2, one line on stderr naming the problem, no traceback, nothing on stdout."""
    shown = f"exit {result.returncode}\nstdout: {result.stdout!r}\nstderr: {result.stderr!r}"
    assert result.returncode == 2, shown
    assert "Traceback" not in result.stderr, shown
    assert result.stderr.endswith("\n"), shown
    assert len(result.stderr.splitlines()) == 1, shown
    assert result.stderr.strip(), shown
    assert "internal error" not in result.stderr, shown  # the catch-all: a bug, not a reason
    assert result.stdout == "", shown
    for words in reason:
        assert words.lower() in result.stderr.lower(), shown


@dataclass(frozen=True)
class Pair:
    root: Path
    us: NodeProcess
    prc: NodeProcess
    outgoing_id: str  # a message us-dod sent to prc-mnd


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    """us-dod and prc-mnd, pinned to each other; us-dod has sent one message (queued)."""
    root = tmp_path_factory.mktemp("cli")
    us, prc = NodeProcess(root, US), NodeProcess(root, PRC)
    pin_all([us, prc])
    sent = us.cli("send", "--to", PRC, "--text", "Request a call", check=True)
    try:
        yield Pair(root, us, prc, sent.stdout.split()[-1])
    finally:
        us.stop()
        prc.stop()


@pytest.fixture(scope="module", params=["stopped", "running"])
def us(request: pytest.FixtureRequest, pair: Pair) -> Iterator[NodeProcess]:
    """us-dod, either at rest (the CLI opens the store) or served (the CLI calls its API)."""
    if request.param == "running":
        pair.us.start()
        assert pair.us.status()["running"] is True
    try:
        yield pair.us
    finally:
        pair.us.stop()


# --- usage: no node needed ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["bogus"], "bogus"),
        (["status", "{dir}", "--bogus"], "--bogus"),
        (["init", "{dir}", "--name", "US"], "--party"),
        (["send", "{dir}", "--text", "hi"], "--to"),
        (["ack", "{dir}"], "entry_id"),
    ],
    ids=[
        "unknown-command",
        "unknown-option",
        "init-without-party",
        "send-without-to",
        "ack-without-id",
    ],
)
def test_bad_usage(tmp_path: Path, args: list[str], reason: str) -> None:
    result = run_cli(*(arg.format(dir=tmp_path / "node") for arg in args))
    assert_usage_error(result, reason)


# --- init ------------------------------------------------------------------------------------


def test_init_into_an_existing_node_folder_changes_nothing(pair: Pair) -> None:
    files = {name: (pair.us.dir / name).read_bytes() for name in ("node.key", "node.json")}
    result = run_cli("init", pair.us.dir, "--party", "ru-mod", "--name", "RU")
    assert_usage_error(result, "already")
    assert {name: (pair.us.dir / name).read_bytes() for name in files} == files


@pytest.mark.parametrize(
    ("option", "value", "reason"),
    [
        ("--party", "US DoD", "US DoD"),
        ("--name", "", "--name"),
        ("--listen", "localhost", "localhost"),
        ("--listen", "127.0.0.1:99999", "127.0.0.1:99999"),
        ("--listen", "127.0.0.1:http", "127.0.0.1:http"),
        ("--url", "not a url", "url"),
        ("--lang", "!!", "!!"),
        ("--lang", "fr", "unsupported-language"),
    ],
    ids=[
        "party-with-space",
        "name-empty",
        "listen-without-port",
        "listen-port-out-of-range",
        "listen-port-not-a-number",
        "url-not-a-url",
        "lang-not-a-tag",
        "lang-not-rendered",
    ],
)
def test_init_with_bad_input_creates_nothing(
    tmp_path: Path, option: str, value: str, reason: str
) -> None:
    settings = {"--party": US, "--name": "US", "--listen": "127.0.0.1:8700"}
    settings[option] = value
    args = [word for pair in settings.items() for word in pair]
    target = tmp_path / "node"
    assert_usage_error(run_cli("init", target, *args), reason)
    assert not (target / "node.json").exists()
    assert not (target / "node.key").exists()


@pytest.mark.parametrize("where", ["file", "under-a-file"])
def test_init_where_a_file_stands(tmp_path: Path, where: str) -> None:
    blocker = tmp_path / "occupied"
    blocker.write_text("not a folder\n")
    target = blocker if where == "file" else blocker / "node"
    result = run_cli("init", target, "--party", US, "--name", "US")
    assert_usage_error(result, str(blocker))
    assert blocker.read_text() == "not a folder\n"


# --- a folder that is not a node ------------------------------------------------------------


NOT_A_NODE = {
    "status": ["status"],
    "log": ["log", "--peer", PRC],
    "send": ["send", "--to", PRC, "--text", "hi"],
    "ack": ["ack", UNKNOWN_ID],
    "verify": ["verify"],
    "card": ["card"],
    "peer-add": ["peer", "add", "{card}"],
    "run": ["run"],
}


@pytest.mark.parametrize(
    ("command", "folder"),
    [pytest.param(args, "empty", id=f"{name}-empty") for name, args in NOT_A_NODE.items()]
    + [
        pytest.param(NOT_A_NODE[name], "missing", id=f"{name}-missing")
        for name in ("status", "send")
    ],
)
def test_command_on_a_folder_that_is_not_a_node(
    pair: Pair, tmp_path: Path, command: list[str], folder: str
) -> None:
    target = tmp_path / "not-a-node"
    if folder == "empty":
        target.mkdir()
    words = 2 if command[0] == "peer" else 1
    args = [arg.format(card=pair.prc.card_path) for arg in command]
    result = run_cli(*args[:words], target, *args[words:], timeout=30)
    assert_usage_error(result, "not a node")
    if folder == "missing":
        assert not target.exists()
    else:
        assert list(target.iterdir()) == []


def test_card_written_to_a_missing_folder(pair: Pair, tmp_path: Path) -> None:
    result = pair.us.cli("card", "--out", tmp_path / "missing" / "us.card.json")
    assert_usage_error(result, "missing")


# --- peer add --------------------------------------------------------------------------------


def test_peer_add_of_a_file_that_is_not_json(us: NodeProcess, tmp_path: Path) -> None:
    path = tmp_path / "card.json"
    path.write_text("this is not a card\n")
    assert_usage_error(us.cli("peer", "add", path), "JSON")


def test_peer_add_of_json_that_is_not_a_card(us: NodeProcess, tmp_path: Path) -> None:
    path = tmp_path / "card.json"
    path.write_text("[1, 2, 3]\n")
    assert_usage_error(us.cli("peer", "add", path), "card")


def test_peer_add_of_a_missing_file(us: NodeProcess, tmp_path: Path) -> None:
    assert_usage_error(us.cli("peer", "add", tmp_path / "nowhere.json"), "nowhere.json")


def test_peer_add_of_a_tampered_card_fails_its_signature(
    pair: Pair, us: NodeProcess, tmp_path: Path
) -> None:
    card = json.loads(pair.prc.card_path.read_text())
    card["names"]["en"] = "Somebody Else"  # not re-signed
    path = tmp_path / "tampered.card.json"
    path.write_text(json.dumps(card))
    assert_usage_error(us.cli("peer", "add", path), "signed")


def test_peer_add_of_the_nodes_own_card(pair: Pair, us: NodeProcess) -> None:
    assert_usage_error(us.cli("peer", "add", pair.us.card_path), "own card")


# --- send ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        (["--to", RU], RU),
        (["--to", PRC, "--precedence", "urgent"], "precedence"),
        (["--to", PRC, "--lang", "english!"], "english!"),
    ],
    ids=["unknown-peer", "bad-precedence", "bad-lang"],
)
def test_send_with_bad_input_queues_nothing(us: NodeProcess, extra: list[str], reason: str) -> None:
    assert_usage_error(us.cli("send", "--text", "Request a call", *extra), reason)


def test_send_of_an_empty_text(us: NodeProcess) -> None:
    assert_usage_error(us.cli("send", "--to", PRC, "--text", ""), "text")


# --- ack ---------------------------------------------------------------------------------------


def test_ack_of_an_unknown_id(us: NodeProcess) -> None:
    assert_usage_error(us.cli("ack", UNKNOWN_ID), UNKNOWN_ID)


def test_ack_of_our_own_outgoing_message(pair: Pair, us: NodeProcess) -> None:
    assert_usage_error(us.cli("ack", pair.outgoing_id), "received")


def test_ack_of_a_malformed_id_names_it(us: NodeProcess) -> None:
    """The reason names the bad id in both modes (it must not become part of an API path)."""
    assert_usage_error(us.cli("ack", "no/such-entry"), "no/such-entry")


def test_log_of_a_malformed_peer_names_it(us: NodeProcess) -> None:
    assert_usage_error(us.cli("log", "--peer", "no/such-peer"), "no/such-peer")


def test_log_of_an_unknown_peer(us: NodeProcess) -> None:
    assert_usage_error(us.cli("log", "--peer", RU), RU)


def test_run_of_a_node_already_running(pair: Pair) -> None:
    pair.prc.start()
    try:
        assert_usage_error(run_cli("run", pair.prc.dir, timeout=30), "already")
        assert pair.prc.healthy()
    finally:
        pair.prc.stop()


# --- verify ------------------------------------------------------------------------------------


def test_verify_of_a_fresh_node_exits_0(tmp_path: Path) -> None:
    target = tmp_path / "fresh"
    run_cli("init", target, "--party", US, "--name", "US", check=True)
    result = run_cli("verify", target)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith("ok")
    report = run_cli("verify", target, "--json")
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["ok"] is True


def test_failed_commands_changed_nothing_and_the_node_verifies(pair: Pair, us: NodeProcess) -> None:
    """No refused send or ack left an entry and no refused card was pinned (pytest runs this
    after the other cases of its mode, as it keeps file order within a module parameter)."""
    log = us.log(PRC)
    assert [(row["direction"], row["id"]) for row in log] == [("out", pair.outgoing_id)]
    peers = json.loads(us.cli("peer", "list", "--json", check=True).stdout)
    assert [peer["party"] for peer in peers] == [PRC]
    assert peers[0]["fingerprint"] == Card.from_bytes(pair.prc.card_path.read_bytes()).fingerprint
    result = us.cli("verify")
    assert result.returncode == 0, result.stderr
