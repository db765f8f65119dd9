"""Proofs exported by real nodes, checked offline with only the parties' cards.

One scenario on two real nodes gives every kind of proof: before the requests, prc-mnd
wrote to us-dod (a prefix its proofs must hide); then us-dod asked three things, R0 and R1
with deadlines seconds away and R2 with a distant one; prc-mnd wrote more, read R1 and
declined R2, all before R0's deadline, and then fell silent. So R0 and R1 are provably
unanswered by checkpoints of the same size, R0's timed before R1's deadline: exactly the
earlier checkpoint a cheat would reach for. The pure tamper cases live in
``tests/core/test_proofs.py``; here the whole path is exercised on real nodes' files.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from contact_harness import (
    PRC,
    RU,
    US,
    api_post,
    api_request,
    check_proof,
    moment,
    prove,
    wait_view,
)
from harness import NodeProcess, pin_all, run_cli, wait_for
from openline.core.canonical import canonical_bytes
from openline.core.card import make_card
from openline.core.entry import Entry
from openline.core.keys import PrivateKey
from openline.core.timefmt import format_time

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Proofs:
    root: Path
    us: NodeProcess
    prc: NodeProcess
    ru: NodeProcess
    early_messages: tuple[str, ...]  # prc-mnd → us-dod before the requests (hidden)
    hotline: tuple[str, str]  # a hotline message us-dod → prc-mnd and prc-mnd's ack
    later_entries: tuple[str, ...]  # prc-mnd → us-dod between the requests and R0's deadline
    requests: dict[str, str]  # R0, R1, R2 → id
    files: dict[str, Path]  # one per proof made, by name

    @property
    def cards(self) -> list[Path]:
        return [self.us.card_path, self.prc.card_path]


def wait_until_delivered(node: NodeProcess, peer: str, count: int) -> None:
    wait_for(lambda: node.api_peer_status(peer)["delivered"] >= count, 20, f"{count} receipts")


@pytest.fixture(scope="module")
def proofs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proofs]:
    root = tmp_path_factory.mktemp("proofs")
    us, prc, ru = NodeProcess(root, US), NodeProcess(root, PRC), NodeProcess(root, RU)
    pin_all([us, prc])  # ru-mod only lends its key to a relabelled card
    try:
        us.start()
        prc.start()
        early = [entry["id"] for entry in prc.send_batch([US], [f"Notice {n}" for n in range(3)])]
        message = us.send_batch([PRC], ["Notice received", "Standing by"])[-1]["id"]
        wait_until_delivered(us, PRC, 2)
        acked = prc.api("POST", f"/api/v1/entries/{message}/ack", {"officer": "Col. Li"})
        assert acked.status_code == 201, acked.text
        early.append(acked.json()["entries"][0]["id"])
        wait_until_delivered(prc, US, len(early))
        # Let prc-mnd's heartbeat self-cosign its log of 3 a whole second before the
        # requests: that checkpoint is what hides the prefix.
        time.sleep(2.5)

        ids = {
            "R0": api_request(us, subject="R0", respond_by=moment(6)),
            "R1": api_request(us, subject="R1", respond_by=moment(9)),
            "R2": api_request(us, subject="R2", level="minister"),
        }
        for request_id in ids.values():
            wait_view(us, request_id, lambda v: v["delivered_at"] is not None, "a receipt")
        later = [entry["id"] for entry in prc.send_batch([US], ["Weather", "Traffic"])]
        later.append(api_post(prc, f"/api/v1/requests/{ids['R1']}/read", {"officer": "Col. Li"}))
        later.append(
            api_post(
                prc,
                f"/api/v1/requests/{ids['R2']}/respond",
                {"answer": "decline", "reason": "Sanctions", "conditions": ["Lift them"]},
            )
        )
        for name in ("R0", "R1"):
            row = wait_view(us, ids[name], lambda v: v["provable"] is True, f"{name} provable")
            assert row["state"] == "unanswered"
            assert (row["read_at"] is not None) == (name == "R1")
        wait_until_delivered(prc, US, len(early) + len(later))

        out = root / "out"
        out.mkdir()
        files = {
            "delivery": out / "delivery.json",
            "unanswered": out / "unanswered.json",
            "unanswered-r0": out / "unanswered-r0.json",
            "answer": out / "answer.json",
            "answer-by-prc": out / "answer-by-prc.json",
            "hotline-answer": out / "hotline-answer.json",
        }
        for node, claim, name, key in (
            (us, "delivery", "R1", "delivery"),
            (us, "unanswered", "R1", "unanswered"),
            (us, "unanswered", "R0", "unanswered-r0"),
            (us, "answer", "R2", "answer"),
            (prc, "answer", "R2", "answer-by-prc"),
            (us, "answer", "hotline", "hotline-answer"),
        ):
            made = prove(node, claim, {**ids, "hotline": message}[name], files[key])
            assert made.returncode == 0, made.stderr
            assert str(files[key]) in made.stdout
        hotline = (message, early[-1])
        yield Proofs(root, us, prc, ru, tuple(early), hotline, tuple(later), ids, files)
    finally:
        us.stop()
        prc.stop()


def load(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_bytes()))


def write(path: Path, document: dict[str, Any]) -> Path:
    """A proof file as the format demands: RFC 8785 bytes and one newline."""
    path.write_bytes(canonical_bytes(document) + b"\n")
    return path


def leaf_entry(b64: str) -> Entry:
    return Entry.from_leaf(base64.b64decode(b64))


def tlog_leaf(text: str) -> Entry:
    """The entry in a tlog-proof part's ``extra`` line."""
    extra = next(line for line in text.splitlines() if line.startswith("extra "))
    return leaf_entry(extra.removeprefix("extra "))


def note_size_and_root(note: str) -> tuple[int, str]:
    lines = note.splitlines()
    return int(lines[1]), lines[2]


def rejected(result: Any) -> dict[str, Any]:
    """check-proof said no: exit 1, a reason on stderr, ``--json`` with a code."""
    shown = f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    assert result.returncode == 1, shown
    assert "Traceback" not in result.stderr, shown
    assert result.stderr.startswith("proof rejected:"), shown
    assert len(result.stderr.splitlines()) == 1, shown
    verdict = dict(json.loads(result.stdout))
    assert verdict["valid"] is False, shown
    assert verdict["code"], shown
    assert verdict["reason"], shown
    return verdict


# --- valid proofs ------------------------------------------------------------------------


def test_every_claim_checks_with_both_cards(proofs: Proofs) -> None:
    r1, r2 = proofs.requests["R1"], proofs.requests["R2"]
    expected = {
        "delivery": [r1, "delivered"],
        "unanswered": [r1, "UNANSWERED"],
        "unanswered-r0": [proofs.requests["R0"], "UNANSWERED"],
        "answer": [r2, proofs.later_entries[-1], "answered"],
        "answer-by-prc": [r2, proofs.later_entries[-1], "answered"],
        "hotline-answer": [*proofs.hotline, "hotline.message", "hotline.ack"],
    }
    for name, path in proofs.files.items():
        checked = check_proof(path, proofs.cards)
        assert checked.returncode == 0, f"{name}: {checked.stderr}"
        assert checked.stderr == ""
        assert checked.stdout.startswith("proof holds")
        for word in expected[name]:
            assert word in checked.stdout, (name, word, checked.stdout)
        as_json = check_proof(path, list(reversed(proofs.cards)), "--json")
        assert as_json.returncode == 0, as_json.stderr
        assert json.loads(as_json.stdout)["valid"] is True
    # The two sides' answer proofs show the same answer entry.
    ours, theirs = load(proofs.files["answer"]), load(proofs.files["answer-by-prc"])
    assert (
        tlog_leaf(ours["answer"]).id == tlog_leaf(theirs["answer"]).id == proofs.later_entries[-1]
    )


def test_unanswered_proof_discloses_only_what_followed_the_request(proofs: Proofs) -> None:
    document = load(proofs.files["unanswered"])
    assert set(document) == {"claim", "counterpart", "request", "type", "version"}
    assert tlog_leaf(document["request"]).id == proofs.requests["R1"]
    counterpart = document["counterpart"]
    assert counterpart["prefix_checkpoint"] is not None
    prefix_size, _ = note_size_and_root(counterpart["prefix_checkpoint"])
    final_size, _ = note_size_and_root(counterpart["checkpoint"])
    disclosed = [leaf_entry(leaf) for leaf in counterpart["entries"]]
    assert [entry.seq for entry in disclosed] == list(range(prefix_size, final_size))
    assert {entry.sender for entry in disclosed} == {PRC}
    assert [entry.id for entry in disclosed] == list(proofs.later_entries)
    assert not {entry.id for entry in disclosed} & set(proofs.early_messages)
    assert prefix_size == len(proofs.early_messages)
    assert len(counterpart["prefix_range"]) == bin(prefix_size).count("1")
    # The read receipt for R1 is disclosed, and it is no answer.
    kinds = {entry.kind for entry in disclosed if proofs.requests["R1"] in entry.refs}
    assert kinds == {"receipt.read"}


# --- tampering: exit 1 --------------------------------------------------------------------


def flip_byte(fraction: float) -> Callable[[Proofs, str, Path], Path]:
    def edit(proofs: Proofs, name: str, target: Path) -> Path:
        data = bytearray(proofs.files[name].read_bytes())
        position = int(len(data) * fraction)
        data[position] ^= 0x01
        target.write_bytes(bytes(data))
        return target

    return edit


def edit_json(
    change: Callable[[dict[str, Any], Proofs], None],
) -> Callable[[Proofs, str, Path], Path]:
    def edit(proofs: Proofs, name: str, target: Path) -> Path:
        document = load(proofs.files[name])
        change(document, proofs)
        return write(target, document)

    return edit


def swap_disclosed(document: dict[str, Any], _: Proofs) -> None:
    entries = document["counterpart"]["entries"]
    entries[0], entries[1] = entries[1], entries[0]


def drop_disclosed(document: dict[str, Any], _: Proofs) -> None:
    del document["counterpart"]["entries"][1]


def reorder_disclosed(document: dict[str, Any], _: Proofs) -> None:
    entries = document["counterpart"]["entries"]
    entries.append(entries.pop(0))


def claim_an_empty_prefix(document: dict[str, Any], _: Proofs) -> None:
    """Pretend nothing is hidden: no prefix checkpoint, an empty compact range."""
    document["counterpart"]["prefix_checkpoint"] = None
    document["counterpart"]["prefix_range"] = []


def swap_request_and_answer(document: dict[str, Any], _: Proofs) -> None:
    document["request"], document["answer"] = document["answer"], document["request"]


def answer_of_another_request(document: dict[str, Any], proofs: Proofs) -> None:
    document["request"] = load(proofs.files["delivery"])["entry"]


def earlier_checkpoint(document: dict[str, Any], proofs: Proofs) -> None:
    """R0's final checkpoint: prc-mnd's own, same size and root, timed before R1's deadline."""
    other = load(proofs.files["unanswered-r0"])["counterpart"]["checkpoint"]
    assert note_size_and_root(other) == note_size_and_root(document["counterpart"]["checkpoint"])
    assert other != document["counterpart"]["checkpoint"]
    document["counterpart"]["checkpoint"] = other


TAMPERED: list[Any] = [
    *(
        pytest.param(name, flip_byte(fraction), None, id=f"{name}-flip-{int(fraction * 100)}%")
        for name in ("delivery", "unanswered", "answer")
        for fraction in (0.05, 0.35, 0.6, 0.97)
    ),
    pytest.param("unanswered", edit_json(swap_disclosed), "bad-range", id="swap-two-disclosed"),
    pytest.param("unanswered", edit_json(drop_disclosed), "bad-range", id="drop-one-disclosed"),
    pytest.param("unanswered", edit_json(reorder_disclosed), "bad-range", id="reorder-disclosed"),
    pytest.param("unanswered", edit_json(claim_an_empty_prefix), "bad-range", id="hide-the-prefix"),
    pytest.param(
        "unanswered", edit_json(earlier_checkpoint), "too-early", id="checkpoint-before-deadline"
    ),
    pytest.param(
        "answer", edit_json(swap_request_and_answer), "not-an-answer", id="swap-request-answer"
    ),
    pytest.param("answer", edit_json(answer_of_another_request), "not-an-answer", id="other-req"),
]


@pytest.mark.parametrize(("name", "tamper", "code"), TAMPERED)
def test_tampered_proof_fails(
    proofs: Proofs,
    tmp_path: Path,
    name: str,
    tamper: Callable[[Proofs, str, Path], Path],
    code: str | None,
) -> None:
    original = proofs.files[name].read_bytes()
    tampered = tamper(proofs, name, tmp_path / f"{name}.json")
    assert tampered.read_bytes() != original
    verdict = rejected(check_proof(tampered, proofs.cards, "--json"))
    if code is not None:
        assert verdict["code"] == code, verdict
    assert proofs.files[name].read_bytes() == original


def wrong_key_card(proofs: Proofs, party: str, how: str, target: Path) -> Path:
    """A valid card of ``party`` under a key that is not ``party``'s."""
    if how == "fresh-init":
        other = proofs.root / f"impostor-{party}"
        run_cli("init", other, "--party", party, "--name", "Impostor", check=True)
        run_cli("card", other, "--out", target, check=True)
        return target
    seed = (proofs.ru.dir / "node.key").read_text().strip()
    key = PrivateKey.from_seed(base64.b64decode(seed))
    relabelled = make_card(
        party=party,
        names={"en": party.upper()},
        urls=[proofs.ru.url],
        created=format_time(datetime.now(UTC)),
        key=key,
    )
    target.write_text(json.dumps(relabelled.to_json()))
    return target


@pytest.mark.parametrize("how", ["fresh-init", "third-node-relabelled"])
@pytest.mark.parametrize("party", [US, PRC])
def test_card_of_the_wrong_key_fails(proofs: Proofs, tmp_path: Path, party: str, how: str) -> None:
    fake = wrong_key_card(proofs, party, how, tmp_path / f"{party}.card.json")
    assert json.loads(fake.read_text())["party"] == party
    cards = [fake if card.name.startswith(party) else card for card in proofs.cards]
    assert fake in cards
    for name in ("unanswered", "answer"):
        verdict = rejected(check_proof(proofs.files[name], cards, "--json"))
        assert verdict["code"] in ("bad-signature", "missing-card"), verdict


def test_missing_card_fails(proofs: Proofs) -> None:
    for name in ("delivery", "unanswered"):
        for cards in ([proofs.us.card_path], [proofs.prc.card_path], [proofs.ru.card_path]):
            verdict = rejected(check_proof(proofs.files[name], cards, "--json"))
            assert verdict["code"] in ("missing-card", "bad-signature"), verdict


# --- unreadable input: exit 2 -------------------------------------------------------------


def unreadable(proofs: Proofs, tmp_path: Path, case: str) -> list[str | Path]:
    proof, us_card, prc_card = proofs.files["unanswered"], proofs.us.card_path, proofs.prc.card_path
    if case == "proof-missing":
        return [tmp_path / "nowhere.json", "--card", us_card, "--card", prc_card]
    if case == "proof-is-a-folder":
        return [tmp_path, "--card", us_card, "--card", prc_card]
    if case == "card-missing":
        return [proof, "--card", us_card, "--card", tmp_path / "nowhere.card.json"]
    bad = tmp_path / "bad.card.json"
    if case == "card-not-json":
        bad.write_text("not a card\n")
    elif case == "card-not-a-card":
        bad.write_text("[1, 2, 3]\n")
    else:  # card-tampered: a changed name without a new signature
        card = json.loads(prc_card.read_text())
        card["names"]["en"] = "Somebody Else"
        bad.write_text(json.dumps(card))
    return [proof, "--card", us_card, "--card", bad]


@pytest.mark.parametrize(
    "case",
    [
        "proof-missing",
        "proof-is-a-folder",
        "card-missing",
        "card-not-json",
        "card-not-a-card",
        "card-tampered",
    ],
)
def test_unreadable_proof_or_card_exits_2(proofs: Proofs, tmp_path: Path, case: str) -> None:
    result = run_cli("check-proof", *unreadable(proofs, tmp_path, case))
    shown = f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    assert result.returncode == 2, shown
    assert result.stderr.startswith("openline: "), shown
    assert len(result.stderr.splitlines()) == 1, shown
    assert "Traceback" not in result.stderr, shown
    assert "internal error" not in result.stderr, shown
    assert result.stdout == "", shown


def test_the_api_checks_proofs_as_check_proof_does(proofs: Proofs) -> None:
    text = proofs.files["unanswered"].read_text("utf-8")
    with_node_cards = proofs.us.api("POST", "/api/v1/proofs/check", {"proof": text})
    assert with_node_cards.status_code == 200, with_node_cards.text
    assert with_node_cards.json()["valid"] is True
    assert with_node_cards.json()["verdict"]["claim"] == "unanswered"

    cards = [json.loads(path.read_text("utf-8")) for path in proofs.cards]
    given = proofs.prc.api("POST", "/api/v1/proofs/check", {"proof": text, "cards": cards})
    assert given.json()["valid"] is True
    offline = run_cli(
        "check-proof",
        proofs.files["unanswered"],
        "--card",
        proofs.cards[0],
        "--card",
        proofs.cards[1],
        "--json",
    )
    assert given.json()["lines"] == json.loads(offline.stdout)["lines"]

    document = load(proofs.files["unanswered"])
    assert len(document["counterpart"]["entries"]) >= 2  # so reversing them reorders
    document["counterpart"]["entries"].reverse()
    tampered = canonical_bytes(document).decode("utf-8") + "\n"
    refused = proofs.us.api("POST", "/api/v1/proofs/check", {"proof": tampered})
    assert refused.status_code == 200
    assert refused.json()["valid"] is False
    assert refused.json()["code"]

    bad_card = proofs.us.api(
        "POST", "/api/v1/proofs/check", {"proof": text, "cards": [{"party": "us-dod"}]}
    )
    assert bad_card.status_code == 422
    assert bad_card.json()["error"]["code"] == "bad-card"
    unknown = proofs.us.api("POST", "/api/v1/proofs/check", {"proof": text, "extra": 1})
    assert unknown.status_code == 422
    assert unknown.json()["error"]["code"] == "invalid-request"
