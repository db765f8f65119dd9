"""Tests for openline.core.proofs: delivery, answer and non-answer proofs.

Two real logs with real keys: ``us-dod`` (S) writes to ``prc-mnd`` (R) and back. Every
batch goes through :class:`IncomingLog.accept_batch`, so each receipt is the cosignature a
node would really return; self-cosignatures come from :meth:`OutgoingLog.self_cosign`.

The story (all times UTC, 2026-11-29 unless said otherwise):

* 08:00 R sends 5 hotline messages to S (R's hidden prefix); R self-cosigns size 5 at 09:00;
* 09:30 S sends 2 hotline messages, 10:00:00.250 S sends the contact request Q
  (respond by 2026-11-30 12:00), delivered (R's receipt) at 10:00:03;
* 10:05 R records a ``receipt.read`` of Q, 11:00 R sends a hotline message;
* 2026-11-30 13:00 R self-cosigns its log at size 7: Q is unanswered.

Tampering tests rebuild bundles by hand (``bundle``, ``tlog_proof``), which also checks
that the format docs/proofs.md describes is the one the checker reads.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openline.core.canonical import canonical_bytes
from openline.core.card import Card, make_card, party_cosigner, party_signer
from openline.core.checkpoint import Checkpoint, sign_checkpoint
from openline.core.cosignature import MAX_TIMESTAMP, cosign
from openline.core.entry import Entry, sign_entry
from openline.core.keys import PrivateKey
from openline.core.link import Accepted, IncomingLog, OutgoingLog, RefTarget, log_origin
from openline.core.merkle import leaf_hash
from openline.core.note import Note, add_signatures, sign_note
from openline.core.proofs import (
    IncludedEntry,
    ProofError,
    ProofVerdict,
    answer_proof,
    check_proof,
    delivery_proof,
    earliest_final_timestamp,
    latest_prefix_timestamp,
    unanswered_proof,
)
from openline.core.timefmt import format_time, parse_time

US, PRC, THIRD = "us-dod", "prc-mnd", "ru-mod"
US_KEY = PrivateKey.from_seed(bytes([1]) * 32)
PRC_KEY = PrivateKey.from_seed(bytes([2]) * 32)
THIRD_KEY = PrivateKey.from_seed(bytes([3]) * 32)
CREATED = "2026-01-01T00:00:00.000Z"


def card(party: str, key: PrivateKey) -> Card:
    return make_card(
        party=party, names={"en": party}, urls=["http://127.0.0.1:8701"], created=CREATED, key=key
    )


US_CARD, PRC_CARD, THIRD_CARD = card(US, US_KEY), card(PRC, PRC_KEY), card(THIRD, THIRD_KEY)
CARDS = (US_CARD, PRC_CARD)


def at(text: str) -> datetime:
    return parse_time(text)


def stamp(text: str) -> int:
    return int(at(text).timestamp())


RESPOND_BY = "2026-11-30T12:00:00.000Z"
Q_TIME = "2026-11-29T10:00:00.250Z"
DELIVERED = "2026-11-29T10:00:03.000Z"
PREFIX_AT = stamp("2026-11-29T09:00:00.000Z")
FINAL_AT = stamp("2026-11-30T13:00:00.000Z")


def contact_request(respond_by: str = RESPOND_BY) -> dict[str, Any]:
    official = {"name": "Pete Example", "title": "Secretary of Defense"}
    return {
        "format": "phone-call",
        "level": "minister",
        "from_official": official,
        "to_official": {"name": "Dong Example", "title": "Minister of National Defense"},
        "subject": "Incident at sea",
        "slots": [{"start": "2026-12-01T14:00:00.000Z", "end": "2026-12-01T14:30:00.000Z"}],
        "respond_by": respond_by,
        "precedence": "priority",
        "lang": "en",
        "officer": "Lt Cdr Smith",
    }


EXPLAIN_REQUEST = {
    "subject": "Exercise near the strait",
    "text": "Please explain the exercise announced on 2026-11-28.",
    "reply_within_hours": 48,
    "precedence": "priority",
    "lang": "en",
    "officer": "Lt Cdr Smith",
}
DECLINE = {"answer": "decline", "reason": "Schedule", "officer": "Col Li", "lang": "en"}
READ = {"officer": "Col Li"}


def message(text: str) -> dict[str, Any]:
    return {"text": text, "lang": "en", "precedence": "routine"}


# --- two logs, both ends -------------------------------------------------------------


class Direction:
    """One direction of the link: the sender's log and the recipient's mirror of it."""

    def __init__(
        self, sender: str, recipient: str, keys: dict[str, PrivateKey], refs: dict[str, RefTarget]
    ) -> None:
        self.out = OutgoingLog(sender=sender, recipient=recipient, key=keys[sender])
        self.mirror = IncomingLog(
            sender=sender,
            recipient=recipient,
            sender_keys=[keys[sender].public_key],
            sender_verifiers=[party_signer(sender, keys[sender]).verifier()],
            cosigner=party_cosigner(recipient, keys[recipient]),
        )
        self.entries: list[Entry] = []
        self._refs = refs

    def write(self, time: str, kind: str, body: dict[str, Any], refs: Sequence[str] = ()) -> Entry:
        entry = self.out.next_entry(time=time, kind=kind, body=body, refs=refs)
        self.out.append(entry)
        self.entries.append(entry)
        self._refs[entry.id] = RefTarget.of(entry)
        return entry

    def deliver(self, now: str) -> bytes:
        """Deliver everything written; return the checkpoint note with the receipt."""
        held = self.mirror.size
        _, note = self.out.sign_checkpoint()
        batch = [entry.to_json() for entry in self.entries[held:]]
        outcome = self.mirror.accept_batch(batch, note, now=at(now), lookup=self._refs.get)
        assert isinstance(outcome, Accepted), outcome
        self.mirror.apply(outcome)
        return add_signatures(note, [outcome.cosignature.to_note_signature()])

    def self_cosigned(self, size: int, timestamp: int) -> bytes:
        checkpoint, note = self.out.sign_checkpoint(size)
        own = self.out.self_cosign(checkpoint, timestamp)
        return add_signatures(note, [own.to_note_signature()])

    def included(self, entry: Entry, note: bytes) -> IncludedEntry:
        size = Checkpoint.from_text(Note.from_bytes(note).text).size
        return IncludedEntry(
            leaf=entry.leaf,
            index=entry.seq,
            inclusion=self.out.tree.inclusion_proof(entry.seq, size),
            checkpoint_note=note,
        )

    def leaves(self, first: int, end: int) -> list[bytes]:
        return [entry.leaf for entry in self.entries[first:end]]


@dataclass
class Story:
    """The module docstring's story, up to R's final checkpoint."""

    request_log: Direction  # S → R
    answer_log: Direction  # R → S
    request: Entry
    request_note: bytes

    @property
    def delivered(self) -> IncludedEntry:
        return self.request_log.included(self.request, self.request_note)

    def unanswered(
        self,
        *,
        prefix_size: int = 5,
        prefix_at: int = PREFIX_AT,
        final_size: int | None = None,
        final_at: int = FINAL_AT,
        suffix: Callable[[list[bytes]], list[bytes]] = list,
    ) -> bytes:
        log = self.answer_log
        end = log.out.size if final_size is None else final_size
        return unanswered_proof(
            self.delivered,
            prefix_note=None if prefix_size == 0 else log.self_cosigned(prefix_size, prefix_at),
            prefix_range=log.out.tree.compact_range(prefix_size),
            suffix_leaves=suffix(log.leaves(prefix_size, end)),
            final_note=log.self_cosigned(end, final_at),
        )

    def answer(self, time: str, delivered: str | None) -> bytes:
        """R answers Q at ``time``; S's receipt at ``delivered`` (None: not delivered)."""
        log = self.answer_log
        answer = log.write(time, "contact.response", DECLINE, [self.request.id])
        note = log.out.sign_checkpoint()[1] if delivered is None else log.deliver(delivered)
        return answer_proof(self.delivered, log.included(answer, note))


def story(
    *,
    kind: str = "contact.request",
    respond_by: str = RESPOND_BY,
    delivered: str = DELIVERED,
    prefix: int = 5,
) -> Story:
    refs: dict[str, RefTarget] = {}
    keys = {US: US_KEY, PRC: PRC_KEY}
    request_log, answer_log = Direction(US, PRC, keys, refs), Direction(PRC, US, keys, refs)
    for index in range(prefix):
        answer_log.write(f"2026-11-29T08:00:0{index}.000Z", "hotline.message", message("old"))
    if prefix:
        answer_log.deliver("2026-11-29T08:01:00.000Z")
    request_log.write("2026-11-29T09:30:00.000Z", "hotline.message", message("first"))
    request_log.write("2026-11-29T09:30:01.000Z", "hotline.message", message("second"))
    body = contact_request(respond_by) if kind == "contact.request" else EXPLAIN_REQUEST
    request = request_log.write(Q_TIME, kind, body)
    request_note = request_log.deliver(delivered)
    read_time = format_time(max(at(delivered), at(Q_TIME)) + timedelta(minutes=5))
    answer_log.write(read_time, "receipt.read", READ, [request.id])
    answer_log.write(read_time, "hotline.message", message("unrelated"))
    return Story(request_log, answer_log, request, request_note)


@pytest.fixture
def told() -> Story:
    return story()


# --- hand-made bundles, for tampering ------------------------------------------------


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def tlog_proof(leaf: bytes, index: int, hashes: Sequence[bytes], note: bytes) -> str:
    head = ["c2sp.org/tlog-proof@v1", f"extra {b64(leaf)}", f"index {index}"]
    return "\n".join(head + [b64(h) for h in hashes]) + "\n\n" + note.decode()


def part(included: IncludedEntry) -> str:
    """A tlog-proof of an entry with its note as given (no line filtering)."""
    return tlog_proof(included.leaf, included.index, included.inclusion, included.checkpoint_note)


def load(data: bytes) -> dict[str, Any]:
    obj = json.loads(data)
    assert isinstance(obj, dict)
    return obj


def dump(obj: dict[str, Any]) -> bytes:
    return canonical_bytes(obj) + b"\n"


def bundle(claim: str, **parts: Any) -> bytes:
    return dump({"type": "openline.proof", "version": 1, "claim": claim, **parts})


def fails(data: bytes, code: str, cards: Sequence[Card] = CARDS) -> ProofError:
    with pytest.raises(ProofError) as caught:
        check_proof(data, cards)
    assert caught.value.code == code, str(caught.value)
    assert str(caught.value)
    return caught.value


def checks(data: bytes, cards: Sequence[Card] = CARDS) -> ProofVerdict:
    verdict = check_proof(data, cards)
    assert verdict.lines()
    json.dumps(verdict.to_json())
    return verdict


# --- each claim passes ---------------------------------------------------------------


def test_delivery_proof_checks(told: Story) -> None:
    verdict = checks(delivery_proof(told.delivered))
    assert verdict.claim == "delivery"
    assert verdict.entry_id == told.request.id
    assert (verdict.sender, verdict.recipient, verdict.seq) == (US, PRC, 2)
    assert verdict.signed_at == Q_TIME
    assert verdict.delivered_at == at(DELIVERED)
    assert verdict.deadline is None
    assert "2026-11-29T10:00:03.000Z" in "\n".join(verdict.lines())


def test_delivery_of_any_entry_checks(told: Story) -> None:
    first = told.request_log.entries[0]
    verdict = checks(delivery_proof(told.request_log.included(first, told.request_note)))
    assert (verdict.kind, verdict.seq) == ("hotline.message", 0)


def test_delivery_proof_is_a_tlog_proof_in_canonical_json(told: Story) -> None:
    data = delivery_proof(told.delivered)
    obj = load(data)
    assert data == dump(obj)
    assert set(obj) == {"type", "version", "claim", "entry"}
    text = obj["entry"]
    head, _, note = text.partition("\n\n")
    lines = head.split("\n")
    assert lines[:3] == [
        "c2sp.org/tlog-proof@v1",
        f"extra {b64(told.request.leaf)}",
        "index 2",
    ]
    assert note.startswith(f"{log_origin(US, PRC)}\n3\n")
    names = [sig.name for sig in Note.from_bytes(note.encode()).signatures]
    assert names == [US, PRC]


def test_builders_keep_only_the_lines_a_claim_needs(told: Story) -> None:
    log = told.request_log
    checkpoint = Checkpoint.from_text(Note.from_bytes(told.request_note).text)
    own = log.out.self_cosign(checkpoint, stamp(DELIVERED))
    noisy = add_signatures(told.request_note, [own.to_note_signature()])
    data = delivery_proof(log.included(told.request, noisy))
    assert data == delivery_proof(told.delivered)


def test_answer_proof_checks(told: Story) -> None:
    verdict = checks(told.answer("2026-11-29T16:00:00.000Z", "2026-11-29T16:00:02.000Z"))
    assert verdict.claim == "answer"
    assert verdict.entry_id == told.request.id
    assert verdict.answer_id == told.answer_log.entries[-1].id
    assert verdict.answer_kind == "contact.response"
    assert verdict.answer_signed_at == "2026-11-29T16:00:00.000Z"
    assert verdict.answer_delivered_at == at("2026-11-29T16:00:02.000Z")
    assert verdict.deadline == at(RESPOND_BY)
    assert verdict.late is False
    assert any("on time" in line for line in verdict.lines())


def test_late_answer_is_late(told: Story) -> None:
    verdict = checks(told.answer("2026-11-30T12:30:00.000Z", "2026-11-30T12:30:01.000Z"))
    assert verdict.late is True
    assert any("LATE" in line for line in verdict.lines())


def test_answer_delivered_after_the_deadline_is_late_whatever_its_date(told: Story) -> None:
    verdict = checks(told.answer("2026-11-30T11:59:00.000Z", "2026-11-30T12:03:00.000Z"))
    assert verdict.late is True


def test_answer_without_the_requesters_cosignature_is_judged_by_its_signed_time(
    told: Story,
) -> None:
    verdict = checks(told.answer("2026-11-30T12:30:00.000Z", None))
    assert verdict.answer_delivered_at is None
    assert verdict.late is True
    assert any("signed time" in line for line in verdict.lines())


def test_unanswered_proof_checks(told: Story) -> None:
    verdict = checks(told.unanswered())
    assert verdict.claim == "unanswered"
    assert verdict.entry_id == told.request.id
    assert verdict.delivered_at == at(DELIVERED)
    assert verdict.deadline == at(RESPOND_BY)
    assert verdict.unanswered_as_of == datetime.fromtimestamp(FINAL_AT, UTC)
    assert (verdict.counterpart_size, verdict.hidden_entries, verdict.disclosed_entries) == (
        7,
        5,
        2,
    )
    assert any("UNANSWERED" in line for line in verdict.lines())


def test_read_receipt_in_the_suffix_is_not_an_answer(told: Story) -> None:
    kinds = [Entry.from_leaf(leaf).kind for leaf in told.answer_log.leaves(5, 7)]
    assert "receipt.read" in kinds
    assert checks(told.unanswered()).disclosed_entries == 2


def test_unanswered_with_nothing_hidden_checks(told: Story) -> None:
    verdict = checks(told.unanswered(prefix_size=0))
    assert (verdict.hidden_entries, verdict.disclosed_entries) == (0, 7)


def test_unanswered_by_a_counterpart_that_never_wrote_checks(told: Story) -> None:
    verdict = checks(told.unanswered(prefix_size=0, final_size=0))
    assert (verdict.counterpart_size, verdict.disclosed_entries) == (0, 0)


def test_unanswered_with_every_entry_hidden_checks(told: Story) -> None:
    verdict = checks(told.unanswered(prefix_size=5, final_size=5))
    assert (verdict.counterpart_size, verdict.hidden_entries, verdict.disclosed_entries) == (
        5,
        5,
        0,
    )


def test_explain_request_deadline_runs_from_delivery() -> None:
    explained = story(kind="explain.request")
    due = at(DELIVERED) + timedelta(hours=48)
    verdict = checks(explained.unanswered(final_at=int(due.timestamp()) + 1))
    assert verdict.deadline == due
    fails(explained.unanswered(final_at=int(due.timestamp())), "too-early")


def test_prefix_and_final_timestamp_helpers_match_the_checker(told: Story) -> None:
    latest = latest_prefix_timestamp(told.request)
    earliest = earliest_final_timestamp(told.request, at(DELIVERED))
    assert latest == stamp("2026-11-29T09:59:59.000Z")
    assert earliest == stamp(RESPOND_BY) + 1
    checks(told.unanswered(prefix_at=latest, final_at=earliest))
    fails(told.unanswered(prefix_at=latest + 1), "prefix-too-late")
    fails(told.unanswered(final_at=earliest - 1), "too-early")
    hotline = told.request_log.entries[0]
    with pytest.raises(ValueError, match="no provable deadline"):
        earliest_final_timestamp(hotline, at(DELIVERED))


# --- tampering: every byte -----------------------------------------------------------


def all_proofs(told: Story) -> dict[str, bytes]:
    return {
        "delivery": delivery_proof(told.delivered),
        "unanswered": told.unanswered(),
        "answer": told.answer("2026-11-29T16:00:00.000Z", "2026-11-29T16:00:02.000Z"),
    }


def flipped(data: bytes, position: int, mask: int) -> bytes:
    return data[:position] + bytes([data[position] ^ mask]) + data[position + 1 :]


@pytest.mark.parametrize("claim", ["delivery", "answer", "unanswered"])
def test_every_flipped_byte_fails(told: Story, claim: str) -> None:
    data = all_proofs(told)[claim]
    checks(data)
    passed = []
    for position in range(len(data)):
        try:
            check_proof(flipped(data, position, 0x01), CARDS)
        except ProofError:
            continue
        passed.append(position)
    assert passed == [], [data[p - 10 : p + 10] for p in passed]


PROOFS = all_proofs(story())


@settings(max_examples=300, deadline=None)
@given(
    claim=st.sampled_from(sorted(PROOFS)),
    where=st.floats(min_value=0, max_value=1, exclude_max=True),
    mask=st.integers(min_value=1, max_value=255),
)
def test_any_corrupted_byte_fails(claim: str, where: float, mask: int) -> None:
    data = PROOFS[claim]
    with pytest.raises(ProofError):
        check_proof(flipped(data, int(where * len(data)), mask), CARDS)


@pytest.mark.parametrize("claim", sorted(PROOFS))
def test_truncated_file_fails(claim: str) -> None:
    data = PROOFS[claim]
    for end in (0, 1, len(data) // 2, len(data) - 2, len(data) - 1):
        fails(data[:end], "malformed")
    fails(data + b"\n", "malformed")


@pytest.mark.parametrize("data", [b"", b"hello\n", b"\xff\xfe\n", b"[]\n", b"null\n", b"{}\n"])
def test_non_json_or_wrong_document_fails(data: bytes) -> None:
    fails(data, "malformed")


def test_pretty_printed_json_fails(told: Story) -> None:
    obj = load(delivery_proof(told.delivered))
    fails(json.dumps(obj, indent=1, ensure_ascii=False).encode() + b"\n", "malformed")


# --- tampering: the document ---------------------------------------------------------


@pytest.mark.parametrize("claim", sorted(PROOFS))
def test_unknown_field_fails(claim: str) -> None:
    obj = load(PROOFS[claim])
    obj["note"] = "trust me"
    fails(dump(obj), "malformed")


def test_unknown_counterpart_field_fails(told: Story) -> None:
    obj = load(told.unanswered())
    obj["counterpart"]["answers"] = []
    fails(dump(obj), "malformed")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("version", 2),
        ("version", "1"),
        ("version", True),
        ("type", "openline.card"),
        ("claim", "silence"),
        ("claim", None),
        ("request", None),
        ("request", ["c2sp.org/tlog-proof@v1"]),
        ("counterpart", []),
    ],
)
def test_wrong_type_or_value_fails(told: Story, field: str, value: object) -> None:
    obj = load(told.unanswered())
    obj[field] = value
    fails(dump(obj), "malformed")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("entries", "AAAA"),
        ("entries", [1]),
        ("prefix_range", None),
        ("prefix_checkpoint", 5),
        ("checkpoint", None),
    ],
)
def test_wrong_counterpart_type_fails(told: Story, field: str, value: object) -> None:
    obj = load(told.unanswered())
    obj["counterpart"][field] = value
    fails(dump(obj), "malformed")


def test_missing_field_fails(told: Story) -> None:
    obj = load(told.unanswered())
    del obj["counterpart"]["prefix_range"]
    fails(dump(obj), "malformed")


def test_claim_with_the_fields_of_another_claim_fails(told: Story) -> None:
    obj = load(delivery_proof(told.delivered))
    obj["claim"] = "answer"
    fails(dump(obj), "malformed")


def test_non_canonical_base64_fails(told: Story) -> None:
    obj = load(told.unanswered())
    leaf = obj["counterpart"]["entries"][0]
    obj["counterpart"]["entries"][0] = leaf[:8] + "\n" + leaf[8:]
    fails(dump(obj), "malformed")
    obj = load(told.unanswered())
    range_hash = obj["counterpart"]["prefix_range"][0]
    assert range_hash.endswith("=")
    obj["counterpart"]["prefix_range"][0] = range_hash.rstrip("=")
    fails(dump(obj), "malformed")
    obj = load(told.unanswered())
    raw = base64.b64decode(range_hash)
    obj["counterpart"]["prefix_range"][0] = base64.b64encode(raw + b"\0").decode()
    fails(dump(obj), "malformed")
    # The same 32 bytes with the unused low bits of the last character set.
    last = range_hash[-2]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    sloppy = range_hash[:-2] + alphabet[alphabet.index(last) | 1] + "="
    assert base64.b64decode(sloppy) == raw
    assert sloppy != range_hash
    obj = load(told.unanswered())
    obj["counterpart"]["prefix_range"][0] = sloppy
    fails(dump(obj), "malformed")


# --- tampering: the tlog-proof parts -------------------------------------------------


def test_tlog_proof_by_hand_matches_the_builder(told: Story) -> None:
    assert bundle("delivery", entry=part(told.delivered)) == delivery_proof(told.delivered)


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(
            lambda t: t.replace("c2sp.org/tlog-proof@v1", "c2sp.org/tlog-proof@v2"), id="header"
        ),
        pytest.param(lambda t: t.replace("\nextra ", "\nextras "), id="extra"),
        pytest.param(
            lambda t: "\n".join(ln for ln in t.split("\n") if not ln.startswith("extra")),
            id="no-extra",
        ),
        pytest.param(lambda t: t.replace("\nindex 2\n", "\nindex 02\n"), id="leading-zero"),
        pytest.param(lambda t: t.replace("\nindex 2\n", "\nindex  2\n"), id="double-space"),
        pytest.param(lambda t: t.replace("\nindex 2\n", "\nindex 2\n\n"), id="blank-line"),
        pytest.param(lambda t: t.replace("\n\n", "\n"), id="no-blank-line"),
        pytest.param(lambda t: t + "— us-dod AAAA\n", id="extra-signature"),
        pytest.param(
            lambda t: t.replace("\n\n", "\n" + b64(bytes(32)) + "\n\n", 1), id="extra-hash"
        ),
        pytest.param(
            lambda t: t.replace("\n\n", "\n" + b64(bytes(31)) + "\n\n", 1), id="short-hash"
        ),
    ],
)
def test_tampered_tlog_proof_text_fails(told: Story, edit: Callable[[str], str]) -> None:
    obj = load(delivery_proof(told.delivered))
    before = obj["entry"]
    obj["entry"] = edit(before)
    assert obj["entry"] != before
    with pytest.raises(ProofError):
        check_proof(dump(obj), CARDS)


def test_inclusion_hash_dropped_fails(told: Story) -> None:
    included = told.delivered
    shorter = replace(included, inclusion=list(included.inclusion)[:-1])
    fails(bundle("delivery", entry=part(shorter)), "not-included")


def test_index_of_another_entry_fails(told: Story) -> None:
    included = replace(told.delivered, index=1)
    fails(bundle("delivery", entry=part(included)), "wrong-log")


def test_request_and_answer_swapped_fails(told: Story) -> None:
    obj = load(told.answer("2026-11-29T16:00:00.000Z", "2026-11-29T16:00:02.000Z"))
    obj["request"], obj["answer"] = obj["answer"], obj["request"]
    with pytest.raises(ProofError):
        check_proof(dump(obj), CARDS)


def test_answer_to_another_request_fails(told: Story) -> None:
    other = told.request_log.write("2026-11-29T10:10:00.000Z", "contact.request", contact_request())
    note = told.request_log.deliver("2026-11-29T10:10:01.000Z")
    data = told.answer("2026-11-29T16:00:00.000Z", "2026-11-29T16:00:02.000Z")
    obj = load(data)
    obj["request"] = part(told.request_log.included(other, note))
    fails(dump(obj), "not-an-answer")


def test_read_receipt_is_no_answer(told: Story) -> None:
    read = told.answer_log.entries[5]
    note = told.answer_log.deliver("2026-11-29T16:00:00.000Z")
    data = answer_proof(told.delivered, told.answer_log.included(read, note))
    fails(data, "not-an-answer")


def test_answer_from_the_requesters_own_log_fails(told: Story) -> None:
    own = told.request_log.entries[0]
    obj = load(told.answer("2026-11-29T16:00:00.000Z", "2026-11-29T16:00:02.000Z"))
    obj["answer"] = part(told.request_log.included(own, told.request_note))
    fails(dump(obj), "wrong-log")


# --- tampering: checkpoints and cards ------------------------------------------------


def test_card_of_the_wrong_key_fails_for_the_requester(told: Story) -> None:
    impostor = card(US, THIRD_KEY)
    for data in all_proofs(told).values():
        fails(data, "bad-signature", [impostor, PRC_CARD])


def test_card_of_the_wrong_key_fails_for_the_counterpart(told: Story) -> None:
    impostor = card(PRC, THIRD_KEY)
    for data in all_proofs(told).values():
        fails(data, "bad-signature", [US_CARD, impostor])


@pytest.mark.parametrize("cards", [[US_CARD], [PRC_CARD], [], [THIRD_CARD]])
def test_missing_card_fails(told: Story, cards: list[Card]) -> None:
    for data in all_proofs(told).values():
        fails(data, "missing-card", cards)


def test_extra_cards_and_rotated_keys_are_fine(told: Story) -> None:
    rotated = make_card(
        party=US,
        names={"en": US},
        urls=[],
        created="2026-12-01T00:00:00.000Z",
        key=THIRD_KEY,
        previous_key=US_KEY,
    )
    for data in all_proofs(told).values():
        checks(data, [rotated, US_CARD, PRC_CARD, THIRD_CARD])


def receipt_note(
    checkpoint: Checkpoint, signer_key: PrivateKey, cosigner: str, key: PrivateKey
) -> bytes:
    note = sign_checkpoint(checkpoint, party_signer(checkpoint.origin.split("/")[1], signer_key))
    receipt = cosign(checkpoint, party_cosigner(cosigner, key), stamp(DELIVERED))
    return add_signatures(note, [receipt.to_note_signature()])


@pytest.mark.parametrize(
    ("cosigner", "key"),
    [(US, US_KEY), (THIRD, THIRD_KEY), (PRC, THIRD_KEY)],
    ids=["self", "third-party", "wrong-key"],
)
def test_cosignature_by_the_wrong_party_fails(told: Story, cosigner: str, key: PrivateKey) -> None:
    checkpoint = Checkpoint.from_text(Note.from_bytes(told.request_note).text)
    note = receipt_note(checkpoint, US_KEY, cosigner, key)
    included = replace(told.delivered, checkpoint_note=note)
    fails(bundle("delivery", entry=part(included)), "bad-signature", [*CARDS, THIRD_CARD])


def test_checkpoint_without_the_receipt_fails(told: Story) -> None:
    _, note = told.request_log.out.sign_checkpoint(3)
    included = replace(told.delivered, checkpoint_note=note)
    fails(bundle("delivery", entry=part(included)), "bad-signature")
    with pytest.raises(ProofError, match="not cosigned"):
        delivery_proof(included)


def test_checkpoint_with_the_lines_in_another_order_fails(told: Story) -> None:
    parsed = Note.from_bytes(told.request_note)
    swapped = Note(parsed.text, parsed.signatures[::-1]).to_bytes()
    included = replace(told.delivered, checkpoint_note=swapped)
    fails(bundle("delivery", entry=part(included)), "bad-signature")


def test_checkpoint_of_the_wrong_log_fails(told: Story) -> None:
    real = Checkpoint.from_text(Note.from_bytes(told.request_note).text)
    other = Checkpoint(origin=log_origin(US, THIRD), size=real.size, root=real.root)
    note = receipt_note(other, US_KEY, PRC, PRC_KEY)
    included = replace(told.delivered, checkpoint_note=note)
    fails(bundle("delivery", entry=part(included)), "wrong-log")


def test_checkpoint_with_extension_lines_fails(told: Story) -> None:
    real = Checkpoint.from_text(Note.from_bytes(told.request_note).text)
    extended = replace(real, extensions=("hello",))
    note = receipt_note(extended, US_KEY, PRC, PRC_KEY)
    included = replace(told.delivered, checkpoint_note=note)
    fails(bundle("delivery", entry=part(included)), "malformed")


def test_counterpart_checkpoint_of_the_requesters_log_fails(told: Story) -> None:
    obj = load(told.unanswered())
    obj["counterpart"]["checkpoint"] = told.request_log.self_cosigned(3, FINAL_AT).decode()
    fails(dump(obj), "bad-signature")


def test_counterpart_checkpoint_of_another_log_fails(told: Story) -> None:
    real = Checkpoint.from_text(Note.from_bytes(told.answer_log.self_cosigned(7, FINAL_AT)).text)
    other = Checkpoint(origin=log_origin(PRC, THIRD), size=real.size, root=real.root)
    note = sign_checkpoint(other, party_signer(PRC, PRC_KEY))
    own = cosign(other, party_cosigner(PRC, PRC_KEY), FINAL_AT)
    obj = load(told.unanswered())
    obj["counterpart"]["checkpoint"] = add_signatures(note, [own.to_note_signature()]).decode()
    fails(dump(obj), "wrong-log")


def test_counterpart_checkpoint_cosigned_by_the_requester_only_fails(told: Story) -> None:
    real = Checkpoint.from_text(Note.from_bytes(told.answer_log.self_cosigned(7, FINAL_AT)).text)
    note = receipt_note(real, PRC_KEY, US, US_KEY)
    obj = load(told.unanswered())
    obj["counterpart"]["checkpoint"] = note.decode()
    fails(dump(obj), "bad-signature")


# --- tampering: the counterpart's range ----------------------------------------------


def test_suffix_entries_swapped_fails(told: Story) -> None:
    fails(told.unanswered(suffix=lambda leaves: leaves[::-1]), "bad-range")


def test_suffix_entries_reordered_fails(told: Story) -> None:
    told.answer_log.write("2026-11-29T12:00:00.000Z", "hotline.message", message("third"))
    fails(told.unanswered(suffix=lambda leaves: [leaves[1], leaves[2], leaves[0]]), "bad-range")


def test_suffix_entry_dropped_fails(told: Story) -> None:
    fails(told.unanswered(suffix=lambda leaves: leaves[:-1]), "bad-range")
    fails(told.unanswered(suffix=lambda leaves: leaves[1:]), "bad-range")


def test_suffix_with_an_extra_entry_fails(told: Story) -> None:
    extra = told.answer_log.write("2026-11-29T12:00:00.000Z", "hotline.message", message("more"))
    fails(told.unanswered(final_size=7, suffix=lambda leaves: [*leaves, extra.leaf]), "bad-range")


def test_suffix_entry_replaced_fails(told: Story) -> None:
    forged = sign_entry(
        sender=PRC,
        recipient=US,
        seq=6,
        time="2026-11-29T11:00:00.000Z",
        kind="hotline.message",
        body=message("forged"),
        refs=(),
        key=PRC_KEY,
    )
    fails(told.unanswered(suffix=lambda leaves: [leaves[0], forged.leaf]), "not-included")


def test_suffix_entry_not_signed_by_the_counterpart_fails(told: Story) -> None:
    forged = sign_entry(
        sender=PRC,
        recipient=US,
        seq=7,
        time="2026-11-29T12:00:00.000Z",
        kind="hotline.message",
        body=message("forged"),
        refs=(),
        key=THIRD_KEY,
    )
    log = told.answer_log
    log.out.tree.append(forged.leaf_hash)
    log.entries.append(forged)
    fails(told.unanswered(), "bad-signature")


def test_suffix_entry_of_another_log_fails(told: Story) -> None:
    stray = told.request_log.entries[0]
    log = told.answer_log
    log.out.tree.append(stray.leaf_hash)
    log.entries.append(stray)
    fails(told.unanswered(), "bad-range")


def test_suffix_leaf_that_is_no_entry_fails(told: Story) -> None:
    log = told.answer_log
    junk = b"not an entry"
    log.out.tree.append(leaf_hash(junk))
    data = unanswered_proof(
        told.delivered,
        prefix_note=log.self_cosigned(5, PREFIX_AT),
        prefix_range=log.out.tree.compact_range(5),
        suffix_leaves=[*log.leaves(5, 7), junk],
        final_note=log.self_cosigned(8, FINAL_AT),
    )
    fails(data, "bad-entry")


def test_prefix_range_tampered_fails(told: Story) -> None:
    obj = load(told.unanswered())
    obj["counterpart"]["prefix_range"][0] = b64(bytes(32))
    fails(dump(obj), "not-included")
    obj = load(told.unanswered())
    obj["counterpart"]["prefix_range"].append(b64(bytes(32)))
    fails(dump(obj), "bad-range")


def test_prefix_range_without_its_checkpoint_fails(told: Story) -> None:
    obj = load(told.unanswered())
    obj["counterpart"]["prefix_checkpoint"] = None
    fails(dump(obj), "bad-range")


def test_prefix_checkpoint_of_size_zero_fails(told: Story) -> None:
    obj = load(told.unanswered(prefix_size=0))
    obj["counterpart"]["prefix_checkpoint"] = told.answer_log.self_cosigned(0, PREFIX_AT).decode()
    fails(dump(obj), "malformed")


def test_suffix_that_contains_an_answer_fails(told: Story) -> None:
    answer = told.answer_log.write(
        "2026-11-29T16:00:00.000Z", "contact.response", DECLINE, [told.request.id]
    )
    error = fails(told.unanswered(), "answered")
    assert answer.id in str(error)


def test_suffix_with_a_late_answer_fails(told: Story) -> None:
    told.answer_log.write(
        "2026-11-30T12:30:00.000Z", "contact.response", DECLINE, [told.request.id]
    )
    fails(told.unanswered(), "answered")


def test_hiding_the_answer_in_the_prefix_needs_a_checkpoint_from_before_the_request(
    told: Story,
) -> None:
    told.answer_log.write(
        "2026-11-29T16:00:00.000Z", "contact.response", DECLINE, [told.request.id]
    )
    fails(
        told.unanswered(prefix_size=8, prefix_at=stamp("2026-11-29T16:00:00.000Z")),
        "prefix-too-late",
    )


# --- tampering: times ----------------------------------------------------------------


@pytest.mark.parametrize(
    "final_at", [RESPOND_BY, "2026-11-30T11:59:59.000Z", "2026-11-29T10:00:04.000Z"]
)
def test_final_checkpoint_at_or_before_the_deadline_fails(told: Story, final_at: str) -> None:
    fails(told.unanswered(final_at=stamp(final_at)), "too-early")


def test_final_checkpoint_a_second_after_the_deadline_checks(told: Story) -> None:
    checks(told.unanswered(final_at=stamp(RESPOND_BY) + 1))


def test_delivered_after_the_deadline_fails() -> None:
    late = story(delivered="2026-11-30T12:00:01.000Z")
    fails(late.unanswered(), "delivered-late")


def test_delivered_at_the_deadline_checks() -> None:
    checks(story(delivered=RESPOND_BY).unanswered())


@pytest.mark.parametrize(
    "prefix_at",
    ["2026-11-29T10:00:00.000Z", "2026-11-29T10:00:01.000Z", "2026-11-29T11:00:00.000Z"],
    ids=["same-second", "after", "hour-after"],
)
def test_prefix_checkpoint_timed_after_the_request_fails(told: Story, prefix_at: str) -> None:
    fails(told.unanswered(prefix_at=stamp(prefix_at)), "prefix-too-late")


def test_prefix_checkpoint_a_whole_second_before_the_request_checks(told: Story) -> None:
    checks(told.unanswered(prefix_at=stamp("2026-11-29T09:59:59.000Z")))


def test_hotline_message_cannot_be_proven_unanswered(told: Story) -> None:
    first = told.request_log.entries[0]
    data = unanswered_proof(
        told.request_log.included(first, told.request_note),
        prefix_note=None,
        prefix_range=[],
        suffix_leaves=told.answer_log.leaves(0, 7),
        final_note=told.answer_log.self_cosigned(7, FINAL_AT),
    )
    fails(data, "not-provable")


def test_answer_to_a_kind_that_expects_none_fails(told: Story) -> None:
    read = told.answer_log.entries[5]
    note = told.answer_log.deliver("2026-11-29T16:00:00.000Z")
    data = answer_proof(told.answer_log.included(read, note), told.delivered)
    with pytest.raises(ProofError):
        check_proof(data, CARDS)


# --- builders ------------------------------------------------------------------------


def test_builders_refuse_what_is_not_an_entry(told: Story) -> None:
    with pytest.raises(ProofError) as caught:
        delivery_proof(replace(told.delivered, leaf=b"{}"))
    assert caught.value.code == "bad-input"
    with pytest.raises(ProofError) as caught:
        delivery_proof(replace(told.delivered, checkpoint_note=b"junk"))
    assert caught.value.code == "bad-input"


def test_verdict_json_has_every_fact(told: Story) -> None:
    obj = checks(told.unanswered()).to_json()
    assert obj["claim"] == "unanswered"
    assert obj["deadline"] == RESPOND_BY
    assert obj["unanswered_as_of"] == "2026-11-30T13:00:00.000Z"
    assert obj["hidden_entries"] == 5


# --- the rarer paths -----------------------------------------------------------------


def test_answer_to_a_hotline_message_has_no_deadline(told: Story) -> None:
    message_entry = told.request_log.entries[0]
    ack = told.answer_log.write(
        "2026-11-29T16:00:00.000Z", "hotline.ack", {"officer": "Col Li"}, [message_entry.id]
    )
    note = told.answer_log.deliver("2026-11-29T16:00:01.000Z")
    data = answer_proof(
        told.request_log.included(message_entry, told.request_note),
        told.answer_log.included(ack, note),
    )
    verdict = checks(data)
    assert (verdict.deadline, verdict.late, verdict.answer_kind) == (None, None, "hotline.ack")


def test_signed_text_that_is_no_checkpoint_fails(told: Story) -> None:
    note = sign_note("hello\n", [party_signer(US, US_KEY)])
    included = replace(told.delivered, checkpoint_note=note)
    fails(bundle("delivery", entry=part(included)), "malformed")


def test_note_signature_in_place_of_the_receipt_fails(told: Story) -> None:
    checkpoint = Checkpoint.from_text(Note.from_bytes(told.request_note).text)
    note = sign_note(checkpoint.to_text(), [party_signer(US, US_KEY), party_signer(PRC, PRC_KEY)])
    included = replace(told.delivered, checkpoint_note=note)
    fails(bundle("delivery", entry=part(included)), "bad-signature")


def test_receipt_timestamp_beyond_any_date_fails(told: Story) -> None:
    checkpoint = Checkpoint.from_text(Note.from_bytes(told.request_note).text)
    note = sign_checkpoint(checkpoint, party_signer(US, US_KEY))
    receipt = cosign(checkpoint, party_cosigner(PRC, PRC_KEY), MAX_TIMESTAMP)
    note = add_signatures(note, [receipt.to_note_signature()])
    included = replace(told.delivered, checkpoint_note=note)
    fails(bundle("delivery", entry=part(included)), "malformed")


def test_deadline_beyond_any_date_fails() -> None:
    doomsday = story(kind="explain.request", delivered="9999-12-31T00:00:00.000Z")
    fails(doomsday.unanswered(), "malformed")


def test_too_many_inclusion_hashes_fail(told: Story) -> None:
    included = replace(told.delivered, inclusion=[bytes(32)] * 65)
    fails(bundle("delivery", entry=part(included)), "malformed")


def test_builder_refuses_a_checkpoint_its_owner_did_not_sign(told: Story) -> None:
    checkpoint = Checkpoint.from_text(Note.from_bytes(told.request_note).text)
    note = sign_checkpoint(checkpoint, party_signer(PRC, PRC_KEY))
    with pytest.raises(ProofError, match="not signed by us-dod") as caught:
        delivery_proof(replace(told.delivered, checkpoint_note=note))
    assert caught.value.code == "bad-input"
