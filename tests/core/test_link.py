"""Tests for openline.core.link: one direction of a link, sender and receiver in memory.

``us-dod`` writes an :class:`OutgoingLog` to ``prc-mnd``; ``prc-mnd`` mirrors it in an
:class:`IncomingLog`. Batches travel as the JSON objects a peer would POST, with the
sender's signed checkpoint; every outcome of ``accept_batch`` is driven here, and a
Hypothesis property checks that delivery driven only by the outcomes is exactly-once.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openline.core.card import make_card, party_cosigner, party_signer
from openline.core.checkpoint import Checkpoint, sign_checkpoint
from openline.core.cosignature import verify_cosignature
from openline.core.entry import Entry, sign_entry
from openline.core.errors import EntryError, LinkError
from openline.core.keys import PrivateKey
from openline.core.link import (
    Accepted,
    BatchOutcome,
    Duplicate,
    Equivocation,
    Gap,
    IncomingLog,
    LinkLimits,
    OutgoingLog,
    RefLookup,
    RefTarget,
    Rejected,
    check_refs,
    log_origin,
)
from openline.core.merkle import MerkleTree
from openline.core.note import sign_note
from openline.core.timefmt import format_time

US, PRC, THIRD = "us-dod", "prc-mnd", "ru-mod"
US_KEY = PrivateKey.from_seed(bytes([1]) * 32)
PRC_KEY = PrivateKey.from_seed(bytes([2]) * 32)
THIRD_KEY = PrivateKey.from_seed(bytes([3]) * 32)
CREATED = "2026-01-01T00:00:00.000Z"
US_CARD = make_card(
    party=US, names={"en": "DoD"}, urls=["http://127.0.0.1:8701"], created=CREATED, key=US_KEY
)
PRC_CARD = make_card(
    party=PRC, names={"zh": "国防部"}, urls=["http://127.0.0.1:8702"], created=CREATED, key=PRC_KEY
)
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
SENT = format_time(NOW - timedelta(minutes=1))

Obj = dict[str, Any]


def body(text: str = "hello", precedence: str = "routine") -> Obj:
    return {"text": text, "lang": "en", "precedence": precedence}


def outgoing(sender: str = US, recipient: str = PRC, key: PrivateKey = US_KEY) -> OutgoingLog:
    return OutgoingLog(sender=sender, recipient=recipient, key=key)


def incoming(limits: LinkLimits | None = None) -> IncomingLog:
    """prc-mnd's mirror of the us-dod→prc-mnd log."""
    return IncomingLog(
        sender=US,
        recipient=PRC,
        sender_keys=[US_KEY.public_key],
        sender_verifiers=[US_CARD.note_verifier()],
        cosigner=party_cosigner(PRC, PRC_KEY),
        limits=limits,
    )


def write(log: OutgoingLog, count: int, text: str = "message") -> list[Entry]:
    written = []
    for _ in range(count):
        entry = log.next_entry(time=SENT, kind="hotline.message", body=body(f"{text} {log.size}"))
        log.append(entry)
        written.append(entry)
    return written


def as_json(entries: Sequence[Entry]) -> list[object]:
    return [entry.to_json() for entry in entries]


def note_at(log: OutgoingLog, size: int) -> bytes:
    return log.sign_checkpoint(size)[1]


def no_refs(entry_id: str) -> RefTarget | None:
    return None


def offer(
    receiver: IncomingLog,
    entries: Sequence[Entry],
    note: bytes,
    *,
    now: datetime = NOW,
    lookup: RefLookup = no_refs,
) -> BatchOutcome:
    """Offer a batch and check that judging it changed nothing."""
    size, root = receiver.size, receiver.tree.root()
    outcome = receiver.accept_batch(as_json(entries), note, now=now, lookup=lookup)
    assert (receiver.size, receiver.tree.root()) == (size, root), "accept_batch mutated state"
    return outcome


@dataclass
class Sent:
    """An outgoing log and the entries written to it."""

    log: OutgoingLog
    entries: list[Entry]

    def note(self, size: int) -> bytes:
        return note_at(self.log, size)


def sender_with(count: int, text: str = "message") -> Sent:
    log = outgoing()
    return Sent(log, write(log, count, text))


def deliver(receiver: IncomingLog, sent: Sent, first: int, end: int) -> BatchOutcome:
    """Offer the entries [first, end) with the sender's checkpoint at ``end``; apply."""
    outcome = offer(receiver, sent.entries[first:end], sent.note(end))
    if isinstance(outcome, Accepted):
        receiver.apply(outcome)
    return outcome


def rejected(outcome: BatchOutcome, code: str) -> Rejected:
    assert isinstance(outcome, Rejected), outcome
    assert outcome.code == code, outcome.reason
    assert outcome.reason
    return outcome


def receipt_verifies(outcome: Accepted | Duplicate, sent: Sent | OutgoingLog) -> bool:
    log = sent.log if isinstance(sent, Sent) else sent
    return OutgoingLog.check_receipt(
        outcome.checkpoint, outcome.cosignature, PRC_CARD.cosignature_verifier()
    ) and outcome.checkpoint == log.checkpoint(outcome.checkpoint.size)


# --- the happy path and the receipt ------------------------------------------------------------


def test_log_origin_names_sender_then_recipient() -> None:
    assert log_origin(US, PRC) == "openline/us-dod/prc-mnd"
    assert outgoing().origin == incoming().origin == "openline/us-dod/prc-mnd"


def test_next_entry_signs_the_entry_at_the_current_size() -> None:
    log = outgoing()
    first = log.next_entry(time=SENT, kind="hotline.message", body=body())
    assert (first.seq, first.sender, first.recipient) == (0, US, PRC)
    assert log.size == 0  # signing is not appending
    log.append(first)
    assert log.size == 1
    assert log.next_entry(time=SENT, kind="hotline.message", body=body()).seq == 1
    with pytest.raises(EntryError):
        log.next_entry(time=SENT, kind="hotline.message", body={"text": ""})


def test_accepted_batch_carries_a_receipt_the_sender_verifies() -> None:
    sender, receiver = sender_with(3), incoming()
    entries = sender.entries
    outcome = offer(receiver, entries, sender.note(3))
    assert isinstance(outcome, Accepted)
    assert outcome.entries == tuple(entries)
    assert outcome.checkpoint == sender.log.checkpoint()
    assert outcome.checkpoint_note == sender.note(3)
    assert outcome.cosignature.timestamp == int(NOW.timestamp())
    assert receipt_verifies(outcome, sender)
    # The receipt is prc-mnd's, for exactly this checkpoint.
    assert not OutgoingLog.check_receipt(
        outcome.checkpoint, outcome.cosignature, US_CARD.cosignature_verifier()
    )
    assert not OutgoingLog.check_receipt(
        sender.log.checkpoint(2), outcome.cosignature, PRC_CARD.cosignature_verifier()
    )
    assert receiver.size == 0  # nothing held until the caller has stored and applied
    receiver.apply(outcome)
    assert receiver.size == 3
    assert receiver.tree.root() == sender.log.tree.root()


def test_resend_after_apply_is_a_duplicate_with_a_receipt() -> None:
    sender, receiver = sender_with(3), incoming()
    assert isinstance(deliver(receiver, sender, 0, 3), Accepted)
    again = deliver(receiver, sender, 0, 3)
    assert isinstance(again, Duplicate)
    assert again.count == 3
    assert receipt_verifies(again, sender)
    assert receiver.size == 3
    # A resend of an older prefix is a duplicate too, receipted at its own size.
    older = deliver(receiver, sender, 1, 2)
    assert isinstance(older, Duplicate)
    assert older.count == 1
    assert older.checkpoint.size == 2
    assert receipt_verifies(older, sender)


def test_overlapping_batch_accepts_only_the_new_entries() -> None:
    sender, receiver = sender_with(6), incoming()
    assert isinstance(deliver(receiver, sender, 0, 4), Accepted)
    entries = sender.entries[2:6]
    outcome = offer(receiver, entries, sender.note(6))
    assert isinstance(outcome, Accepted)
    assert [entry.seq for entry in outcome.entries] == [4, 5]
    assert outcome.entries == tuple(entries[2:])
    assert receipt_verifies(outcome, sender)
    receiver.apply(outcome)
    assert receiver.tree.root() == sender.log.tree.root()


def test_batch_past_the_held_size_is_a_gap() -> None:
    sender, receiver = sender_with(6), incoming()
    assert deliver(receiver, sender, 2, 4) == Gap(expected_seq=0)
    assert isinstance(deliver(receiver, sender, 0, 2), Accepted)
    assert deliver(receiver, sender, 3, 6) == Gap(expected_seq=2)
    assert isinstance(deliver(receiver, sender, 2, 6), Accepted)
    assert receiver.size == 6


def test_gap_is_answered_before_anything_else_is_judged() -> None:
    # Past the held size, entry signatures are not even checked: resend first, judge then.
    sender, receiver = sender_with(3), incoming()
    forged = sign_entry(
        sender=US,
        recipient=PRC,
        seq=2,
        time=SENT,
        kind="hotline.message",
        body=body(),
        refs=(),
        key=THIRD_KEY,
    )
    assert offer(receiver, [forged], sender.note(3)) == Gap(expected_seq=0)


def test_heartbeat_of_the_current_size_is_accepted_with_no_entries() -> None:
    sender, receiver = sender_with(2), incoming()
    assert isinstance(deliver(receiver, sender, 0, 2), Accepted)
    beat = offer(receiver, [], sender.note(2))
    assert isinstance(beat, Accepted)
    assert beat.entries == ()
    assert beat.checkpoint.size == 2
    assert receipt_verifies(beat, sender)
    receiver.apply(beat)
    assert receiver.size == 2


def test_heartbeat_of_an_empty_log_is_accepted() -> None:
    sender, receiver = outgoing(), incoming()
    beat = offer(receiver, [], note_at(sender, 0))
    assert isinstance(beat, Accepted)
    assert beat.entries == ()
    assert beat.checkpoint.size == 0
    assert receipt_verifies(beat, sender)


def test_heartbeat_ahead_of_the_mirror_is_a_gap() -> None:
    sender, receiver = sender_with(3), incoming()
    assert isinstance(deliver(receiver, sender, 0, 1), Accepted)
    assert offer(receiver, [], sender.note(3)) == Gap(expected_seq=1)


def test_apply_refuses_an_outcome_that_no_longer_fits() -> None:
    sender, receiver = sender_with(2), incoming()
    entries = sender.entries
    outcome = offer(receiver, entries, sender.note(2))
    assert isinstance(outcome, Accepted)
    receiver.apply(outcome)
    with pytest.raises(LinkError):
        receiver.apply(outcome)  # applied twice
    assert receiver.size == 2


# --- equivocation ------------------------------------------------------------------------------


def test_different_entry_at_a_held_seq_is_equivocation_with_evidence() -> None:
    sender, receiver = sender_with(3), incoming()
    assert isinstance(deliver(receiver, sender, 0, 3), Accepted)
    fork = sender_with(3, text="another story")  # same key, same seqs, other content
    entries = fork.entries
    note = fork.note(3)
    outcome = offer(receiver, entries[1:], note)
    assert isinstance(outcome, Equivocation)
    evidence = outcome.evidence
    assert evidence.seq == 1
    assert evidence.offered == entries[1].leaf
    assert evidence.held == sender.entries[1].leaf_hash  # what the mirror holds of it
    assert evidence.offered_checkpoint_note == note
    assert evidence.reason
    assert receiver.size == 3
    assert receiver.tree.root() == sender.log.tree.root()


def test_different_entry_at_a_held_seq_not_signed_by_the_sender_is_rejected() -> None:
    # Not equivocation: the sender never signed it, so it is no evidence against the sender.
    sender, receiver = sender_with(2), incoming()
    assert isinstance(deliver(receiver, sender, 0, 2), Accepted)
    forged = sign_entry(
        sender=US,
        recipient=PRC,
        seq=1,
        time=SENT,
        kind="hotline.message",
        body=body("forged"),
        refs=(),
        key=THIRD_KEY,
    )
    rejected(offer(receiver, [forged], sender.note(2)), "bad-signature")


def test_respelled_signature_of_a_held_entry_is_no_equivocation() -> None:
    # Base64 with the unused bits set decodes to the same signature; accepted, it would be
    # a second "signed" leaf at seq 0, which anyone could forge as evidence against us-dod.
    sender, receiver = sender_with(1), incoming()
    assert isinstance(deliver(receiver, sender, 0, 1), Accepted)
    obj = sender.entries[0].to_json()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    obj["sig"] = obj["sig"][:-3] + alphabet[alphabet.index(obj["sig"][-3]) ^ 1] + "=="
    outcome = receiver.accept_batch([obj], sender.note(1), now=NOW, lookup=no_refs)
    rejected(outcome, "invalid-entry")


def test_checkpoint_disagreeing_with_the_entries_is_equivocation() -> None:
    sender, receiver = sender_with(3), incoming()
    fork = sender_with(3, text="another story")
    entries = sender.entries
    note = fork.note(3)  # signed by us-dod, same origin and size, other root
    outcome = offer(receiver, entries, note)
    assert isinstance(outcome, Equivocation)
    assert outcome.evidence.seq is None
    assert outcome.evidence.held == sender.log.tree.root()
    assert outcome.evidence.offered == fork.log.tree.root()
    assert outcome.evidence.offered_checkpoint_note == note


def test_checkpoint_disagreeing_with_held_entries_is_equivocation() -> None:
    sender, receiver = sender_with(3), incoming()
    assert isinstance(deliver(receiver, sender, 0, 3), Accepted)
    fork = sender_with(3, text="another story")
    beat = offer(receiver, [], fork.note(2))  # heartbeat of an older size
    assert isinstance(beat, Equivocation)
    assert beat.evidence.held == sender.log.tree.root(2)
    # Also when the entries offered are all held: the checkpoint still must agree.
    resend = sender.entries[:3]
    assert isinstance(offer(receiver, resend, fork.note(3)), Equivocation)


def test_checkpoint_disagreeing_on_an_overlapping_batch_is_equivocation() -> None:
    sender, receiver = sender_with(4), incoming()
    assert isinstance(deliver(receiver, sender, 0, 2), Accepted)
    forged_root = Checkpoint(origin=sender.log.origin, size=4, root=bytes(32))
    note = sign_checkpoint(forged_root, party_signer(US, US_KEY))
    entries = sender.entries[1:4]
    assert isinstance(offer(receiver, entries, note), Equivocation)


# --- rejections --------------------------------------------------------------------------------


@pytest.mark.parametrize(("first", "end", "size"), [(0, 3, 2), (0, 3, 4), (1, 3, 4)])
def test_checkpoint_not_ending_the_batch_is_a_mismatch(first: int, end: int, size: int) -> None:
    sender, receiver = sender_with(4), incoming()
    if first:
        assert isinstance(deliver(receiver, sender, 0, first), Accepted)
    rejected(offer(receiver, sender.entries[first:end], sender.note(size)), "checkpoint-mismatch")


@pytest.mark.parametrize(
    "seqs",
    [
        pytest.param([0, 2], id="skip"),
        pytest.param([1, 0], id="reversed"),
        pytest.param([0, 0], id="repeated"),
        pytest.param([0, 1, 3, 2], id="swapped-tail"),
    ],
)
def test_entries_must_be_consecutive(seqs: list[int]) -> None:
    sender, receiver = sender_with(4), incoming()
    entries = [sender.entries[seq] for seq in seqs]
    rejected(offer(receiver, entries, sender.note(max(seqs) + 1)), "not-consecutive")


def test_entry_of_another_log_is_wrong_link() -> None:
    sender, receiver = sender_with(1), incoming()
    to_third = outgoing(US, THIRD)
    rejected(offer(receiver, write(to_third, 1), sender.note(1)), "wrong-link")
    reverse = outgoing(PRC, US, PRC_KEY)  # prc-mnd→us-dod, the other direction
    rejected(offer(receiver, write(reverse, 1), sender.note(1)), "wrong-link")


def test_entry_with_a_mismatched_link_field_is_wrong_link() -> None:
    sender, receiver = sender_with(1), incoming()
    obj = sender.entries[0].to_json()
    obj["link"] = "prc-mnd~ru-mod"
    outcome = receiver.accept_batch([obj], sender.note(1), now=NOW, lookup=no_refs)
    rejected(outcome, "wrong-link")


def test_checkpoint_of_another_log_is_wrong_link() -> None:
    sender, receiver = sender_with(1), incoming()
    to_third = outgoing(US, THIRD)
    write(to_third, 1)
    entries = [sender.entries[0]]
    rejected(offer(receiver, entries, note_at(to_third, 1)), "wrong-link")
    rejected(offer(receiver, [], note_at(to_third, 1)), "wrong-link")


def test_entry_not_signed_by_the_sender_is_rejected() -> None:
    sender, receiver = sender_with(1), incoming()
    forged = sign_entry(
        sender=US,
        recipient=PRC,
        seq=0,
        time=SENT,
        kind="hotline.message",
        body=body(),
        refs=(),
        key=THIRD_KEY,
    )
    mirror = MerkleTree([forged.leaf_hash])
    note = sign_checkpoint(
        Checkpoint(origin=sender.log.origin, size=1, root=mirror.root()), party_signer(US, US_KEY)
    )
    rejected(offer(receiver, [forged], note), "bad-signature")


def test_checkpoint_signed_by_another_key_is_rejected() -> None:
    sender, receiver = sender_with(1), incoming()
    entries = [sender.entries[0]]
    impostor = sign_checkpoint(sender.log.checkpoint(), party_signer(US, THIRD_KEY))
    rejected(offer(receiver, entries, impostor), "bad-signature")
    by_recipient = sign_checkpoint(sender.log.checkpoint(), party_signer(PRC, PRC_KEY))
    rejected(offer(receiver, entries, by_recipient), "bad-signature")


@pytest.mark.parametrize(
    "note",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"not a note", id="garbage"),
        pytest.param(b"openline/us-dod/prc-mnd\n1\n", id="unsigned"),
        pytest.param(sign_note("hello\n", [party_signer(US, US_KEY)]), id="signed-non-checkpoint"),
    ],
)
def test_malformed_checkpoint_is_rejected(note: bytes) -> None:
    rejected(offer(incoming(), [], note), "bad-checkpoint")


def test_entry_dated_beyond_the_clock_skew_is_rejected() -> None:
    skew = LinkLimits().max_clock_skew
    receiver = incoming()
    log = outgoing()
    at_limit = log.next_entry(time=format_time(NOW + skew), kind="hotline.message", body=body())
    log.append(at_limit)
    beyond = log.next_entry(
        time=format_time(NOW + skew + timedelta(milliseconds=1)),
        kind="hotline.message",
        body=body(),
    )
    log.append(beyond)
    rejected(offer(receiver, [at_limit, beyond], note_at(log, 2)), "clock-skew")
    outcome = offer(receiver, [at_limit], note_at(log, 1))
    assert isinstance(outcome, Accepted)
    receiver.apply(outcome)
    # The same entry is fine once the receiver's clock has caught up.
    assert isinstance(offer(receiver, [beyond], note_at(log, 2), now=NOW + skew), Accepted)


def test_batch_with_too_many_entries_is_rejected() -> None:
    sender, receiver = sender_with(3), incoming(LinkLimits(max_batch_entries=2))
    rejected(deliver(receiver, sender, 0, 3), "batch-too-large")
    assert isinstance(deliver(receiver, sender, 0, 2), Accepted)


def test_entry_too_large_is_rejected() -> None:
    receiver = incoming(LinkLimits(max_entry_bytes=600))
    log = outgoing()
    small = log.next_entry(time=SENT, kind="hotline.message", body=body("x" * 100))
    log.append(small)
    large = log.next_entry(time=SENT, kind="hotline.message", body=body("x" * 1000))
    log.append(large)
    assert len(small.leaf) <= 600 < len(large.leaf)
    rejected(offer(receiver, [small, large], note_at(log, 2)), "entry-too-large")
    assert isinstance(offer(receiver, [small], note_at(log, 1)), Accepted)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        pytest.param({"kind": "hotline.telegram"}, "unknown-kind", id="unknown-kind"),
        pytest.param({"body": {"text": "x"}}, "invalid-body", id="invalid-body"),
        pytest.param({"seq": -1}, "invalid-entry", id="invalid-entry"),
    ],
)
def test_malformed_entry_is_rejected_with_its_code(change: Obj, code: str) -> None:
    sender, receiver = sender_with(1), incoming()
    obj = sender.entries[0].to_json()
    obj.update(change)
    outcome = receiver.accept_batch([obj], sender.note(1), now=NOW, lookup=no_refs)
    rejected(outcome, code)


def test_accept_batch_never_mutates_state() -> None:
    # Every outcome above goes through offer(), which checks this; here all in one place.
    sender, receiver = sender_with(4), incoming()
    assert isinstance(deliver(receiver, sender, 0, 2), Accepted)
    fork = sender_with(4, text="fork")
    for entries, note in [
        (sender.entries[0:4], sender.note(4)),  # accepted
        (sender.entries[0:2], sender.note(2)),  # duplicate
        (sender.entries[3:4], sender.note(4)),  # gap
        (fork.entries[0:2], fork.note(2)),  # equivocation
        (sender.entries[2:4], sender.note(3)),  # rejected
    ]:
        offer(receiver, entries, note)
    assert receiver.size == 2


# --- the sender's side -------------------------------------------------------------------------


def test_append_refuses_an_entry_that_does_not_come_next() -> None:
    log = outgoing()
    entry = log.next_entry(time=SENT, kind="hotline.message", body=body())
    log.append(entry)
    with pytest.raises(LinkError):
        log.append(entry)  # seq 0 again
    from_peer = outgoing(PRC, US, PRC_KEY).next_entry(
        time=SENT, kind="hotline.message", body=body()
    )
    with pytest.raises(LinkError):
        log.append(sign_entry_at(from_peer, seq=1))
    assert log.size == 1


def test_append_refuses_an_entry_for_another_recipient() -> None:
    log = outgoing(US, PRC)
    to_third = outgoing(US, THIRD).next_entry(time=SENT, kind="hotline.message", body=body())
    with pytest.raises(LinkError):
        log.append(to_third)


def sign_entry_at(entry: Entry, *, seq: int) -> Entry:
    key = US_KEY if entry.sender == US else PRC_KEY
    return sign_entry(
        sender=entry.sender,
        recipient=entry.recipient,
        seq=seq,
        time=entry.time,
        kind=entry.kind,
        body=entry.body,
        refs=entry.refs,
        key=key,
    )


def test_checkpoints_of_past_sizes_are_signed_by_the_sender() -> None:
    sender = sender_with(3)
    for size in range(4):
        checkpoint, note = sender.log.sign_checkpoint(size)
        assert checkpoint == Checkpoint(
            origin=sender.log.origin, size=size, root=sender.log.tree.root(size)
        )
        opened = sign_checkpoint(checkpoint, party_signer(US, US_KEY))
        assert note == opened  # Ed25519 is deterministic
    with pytest.raises(ValueError, match="size"):
        sender.log.checkpoint(4)


def test_self_cosignature_is_the_senders_own_timed_statement() -> None:
    sender = sender_with(2)
    checkpoint = sender.log.checkpoint()
    cosignature = sender.log.self_cosign(checkpoint, 1_764_417_600)
    assert cosignature.timestamp == 1_764_417_600
    assert verify_cosignature(checkpoint, cosignature, US_CARD.cosignature_verifier())
    assert not verify_cosignature(checkpoint, cosignature, PRC_CARD.cosignature_verifier())
    assert not verify_cosignature(
        sender.log.checkpoint(1), cosignature, US_CARD.cosignature_verifier()
    )


# --- refs of answering kinds -------------------------------------------------------------------


@dataclass
class Transcript:
    """The entries a node knows, as a RefLookup."""

    targets: dict[str, RefTarget]

    def __call__(self, entry_id: str) -> RefTarget | None:
        return self.targets.get(entry_id)


def reply_link() -> tuple[OutgoingLog, IncomingLog]:
    """prc-mnd→us-dod, judged by us-dod (the direction acks to us-dod's messages travel)."""
    sender = outgoing(PRC, US, PRC_KEY)
    receiver = IncomingLog(
        sender=PRC,
        recipient=US,
        sender_keys=[PRC_KEY.public_key],
        sender_verifiers=[PRC_CARD.note_verifier()],
        cosigner=party_cosigner(US, US_KEY),
    )
    return sender, receiver


US_MESSAGE = sign_entry(
    sender=US,
    recipient=PRC,
    seq=0,
    time=SENT,
    kind="hotline.message",
    body=body("Please confirm receipt", "flash"),
    refs=(),
    key=US_KEY,
)


def target(entry: Entry) -> RefTarget:
    return RefTarget.of(entry)


def ack(sender: OutgoingLog, ref: str) -> Entry:
    entry = sender.next_entry(
        time=SENT, kind="hotline.ack", body={"officer": "Col. Wang"}, refs=[ref]
    )
    sender.append(entry)
    return entry


def test_ack_of_a_message_received_is_accepted() -> None:
    sender, receiver = reply_link()
    lookup = Transcript({US_MESSAGE.id: target(US_MESSAGE)})
    entry = ack(sender, US_MESSAGE.id)
    outcome = offer(receiver, [entry], note_at(sender, 1), lookup=lookup)
    assert isinstance(outcome, Accepted)
    assert outcome.entries == (entry,)
    assert OutgoingLog.check_receipt(
        outcome.checkpoint, outcome.cosignature, US_CARD.cosignature_verifier()
    )


def test_ack_of_an_unknown_entry_is_rejected() -> None:
    sender, receiver = reply_link()
    entry = ack(sender, US_MESSAGE.id)
    rejected(offer(receiver, [entry], note_at(sender, 1), lookup=Transcript({})), "unknown-ref")


def test_ack_of_a_message_of_the_wrong_direction_is_a_bad_ref() -> None:
    sender, receiver = reply_link()
    own = sender.next_entry(time=SENT, kind="hotline.message", body=body())
    sender.append(own)
    delivered = offer(receiver, [own], note_at(sender, 1))
    assert isinstance(delivered, Accepted)
    receiver.apply(delivered)
    lookup = Transcript({own.id: target(own)})  # prc-mnd's own message to us-dod
    entry = ack(sender, own.id)
    rejected(offer(receiver, [entry], note_at(sender, 2), lookup=lookup), "bad-ref")


def test_ack_of_its_own_message_in_the_same_batch_is_a_bad_ref() -> None:
    sender, receiver = reply_link()
    own = sender.next_entry(time=SENT, kind="hotline.message", body=body())
    sender.append(own)
    entry = ack(sender, own.id)
    outcome = offer(receiver, [own, entry], note_at(sender, 2), lookup=Transcript({}))
    rejected(outcome, "bad-ref")


def test_ack_of_an_ack_is_a_bad_ref() -> None:
    sender, receiver = reply_link()
    us_ack = sign_entry(
        sender=US,
        recipient=PRC,
        seq=1,
        time=SENT,
        kind="hotline.ack",
        body={"officer": "Lt. Smith"},
        refs=[US_MESSAGE.id],
        key=US_KEY,
    )
    lookup = Transcript({US_MESSAGE.id: target(US_MESSAGE), us_ack.id: target(us_ack)})
    entry = ack(sender, us_ack.id)
    rejected(offer(receiver, [entry], note_at(sender, 1), lookup=lookup), "bad-ref")


def test_check_refs_directly() -> None:
    sender, _ = reply_link()
    entry = sender.next_entry(
        time=SENT, kind="hotline.ack", body={"officer": "x"}, refs=[US_MESSAGE.id]
    )
    check_refs(entry, Transcript({US_MESSAGE.id: target(US_MESSAGE)}))
    check_refs(entry, Transcript({}), batch={US_MESSAGE.id: target(US_MESSAGE)})
    with pytest.raises(EntryError) as caught:
        check_refs(entry, Transcript({}))
    assert caught.value.code == "unknown-ref"
    wrong = RefTarget(kind="hotline.message", sender=PRC, recipient=US, time=US_MESSAGE.time)
    with pytest.raises(EntryError) as caught:
        check_refs(entry, Transcript({US_MESSAGE.id: wrong}))
    assert caught.value.code == "bad-ref"
    check_refs(US_MESSAGE, Transcript({}))  # no refs, nothing to check


# --- property: delivery driven by outcomes is exactly-once -------------------------------------

MAX_ENTRIES = 12
PROPERTY_SENDER = sender_with(MAX_ENTRIES, text="property")
PROPERTY_ENTRIES = PROPERTY_SENDER.entries
PROPERTY_JSON = as_json(PROPERTY_ENTRIES)
PROPERTY_NOTES = [PROPERTY_SENDER.note(size) for size in range(MAX_ENTRIES + 1)]


@st.composite
def delivery_plans(draw: st.DrawFn) -> tuple[int, list[tuple[int, int, bool]]]:
    """N entries cut into consecutive batches, sent in a random order, with resends of
    random earlier ranges and receiver crashes (accepted, then lost before storing)."""
    count = draw(st.integers(min_value=0, max_value=MAX_ENTRIES))
    cuts = sorted(draw(st.sets(st.integers(min_value=1, max_value=max(count - 1, 1)))))
    bounds = [0] + [cut for cut in cuts if cut < count] + [count]
    batches = [(lo, hi) for lo, hi in itertools.pairwise(bounds) if hi > lo]
    batches = draw(st.permutations(batches))
    resends = draw(
        st.lists(
            st.tuples(st.integers(0, count), st.integers(0, count)).map(sorted),
            max_size=4,
        )
    )
    plan = list(batches)
    for lo, hi in resends:
        plan.insert(draw(st.integers(0, len(plan))), (lo, hi))
    crashes = draw(st.lists(st.booleans(), min_size=len(plan), max_size=len(plan)))
    return count, [(lo, hi, crash) for (lo, hi), crash in zip(plan, crashes, strict=True)]


@settings(max_examples=100, deadline=None)
@given(delivery_plans())
def test_delivery_driven_by_outcomes_is_exactly_once(
    plan: tuple[int, list[tuple[int, int, bool]]],
) -> None:
    count, attempts = plan
    receiver = incoming()
    stored: list[Entry] = []  # what the receiver's store wrote, in order

    def send(lo: int, hi: int, crash: bool) -> None:
        """The sender's loop for one batch: retry until a receipt comes back."""
        while True:
            outcome = receiver.accept_batch(
                PROPERTY_JSON[lo:hi], PROPERTY_NOTES[hi], now=NOW, lookup=no_refs
            )
            if isinstance(outcome, Gap):
                assert outcome.expected_seq == receiver.size < lo
                lo = outcome.expected_seq  # resend from what the receiver expects
                continue
            assert isinstance(outcome, Accepted | Duplicate), outcome
            assert OutgoingLog.check_receipt(
                outcome.checkpoint, outcome.cosignature, PRC_CARD.cosignature_verifier()
            )
            if isinstance(outcome, Accepted):
                if crash:  # accepted, then the receiver died before storing: no receipt
                    crash = False
                    continue
                stored.extend(outcome.entries)
                receiver.apply(outcome)
            assert receiver.size >= hi
            return

    for lo, hi, crash in attempts:
        send(lo, hi, crash)

    assert stored == PROPERTY_ENTRIES[:count]  # each entry stored once, in order
    assert receiver.size == count
    assert receiver.tree.root() == PROPERTY_SENDER.log.tree.root(count)
