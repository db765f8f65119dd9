"""The sender's own timestamped cosignature travels with its checkpoint (design note 12).

The receiver keeps it as the sender's word "as of T my log had size N", which non-answer
proofs rest on; so it must verify, be the sender's, and be timed within the skew bound.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from openline.core.card import make_card, party_cosigner
from openline.core.cosignature import cosign, cosigner
from openline.core.keys import PrivateKey
from openline.core.link import Accepted, Duplicate, IncomingLog, OutgoingLog, Rejected
from openline.core.note import add_signatures
from openline.core.timefmt import format_time

US, PRC = "us-dod", "prc-mnd"
US_KEY = PrivateKey.from_seed(bytes([1]) * 32)
PRC_KEY = PrivateKey.from_seed(bytes([2]) * 32)
US_CARD = make_card(
    party=US, names={"en": "DoD"}, urls=["http://x"], created="2026-01-01T00:00:00.000Z", key=US_KEY
)
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def mirror() -> IncomingLog:
    return IncomingLog(
        sender=US,
        recipient=PRC,
        sender_keys=[US_KEY.public_key],
        sender_verifiers=[US_CARD.note_verifier()],
        cosigner=party_cosigner(PRC, PRC_KEY),
        sender_cosigners=[US_CARD.cosignature_verifier()],
    )


def one_entry_log() -> tuple[OutgoingLog, list[object]]:
    log = OutgoingLog(sender=US, recipient=PRC, key=US_KEY)
    entry = log.next_entry(
        time=format_time(NOW - timedelta(seconds=5)),
        kind="hotline.message",
        body={"text": "hello", "lang": "en", "precedence": "routine"},
    )
    log.append(entry)
    return log, [entry.to_json()]


def no_refs(_: str) -> None:
    return None


def test_a_timed_checkpoint_is_accepted_and_its_timestamp_returned() -> None:
    log, entries = one_entry_log()
    stamp = int(NOW.timestamp()) - 2
    checkpoint, note, own = log.sign_timed_checkpoint(1, stamp)
    outcome = mirror().accept_batch(entries, note, now=NOW, lookup=no_refs)
    assert isinstance(outcome, Accepted)
    assert outcome.sender_cosignature == own
    assert outcome.sender_cosignature.timestamp == stamp
    assert checkpoint.size == 1
    # A heartbeat (no entries) of the same size carries a fresh one.
    receiver = mirror()
    receiver.apply(outcome)
    _, beat, later = log.sign_timed_checkpoint(1, stamp + 1)
    again = receiver.accept_batch([], beat, now=NOW, lookup=no_refs)
    assert isinstance(again, Accepted | Duplicate)
    assert again.sender_cosignature == later


def test_a_checkpoint_without_a_timestamp_is_still_accepted() -> None:
    log, entries = one_entry_log()
    _, note = log.sign_checkpoint(1)
    outcome = mirror().accept_batch(entries, note, now=NOW, lookup=no_refs)
    assert isinstance(outcome, Accepted)
    assert outcome.sender_cosignature is None


@pytest.mark.parametrize("offset", [-301, 301, 10_000])
def test_a_timestamp_outside_the_skew_bound_is_refused(offset: int) -> None:
    log, entries = one_entry_log()
    _, note, _ = log.sign_timed_checkpoint(1, int(NOW.timestamp()) + offset)
    outcome = mirror().accept_batch(entries, note, now=NOW, lookup=no_refs)
    assert isinstance(outcome, Rejected)
    assert outcome.code == "clock-skew"


def test_a_timestamp_that_does_not_verify_is_refused() -> None:
    log, entries = one_entry_log()
    checkpoint, note = log.sign_checkpoint(1)
    # Named us-dod but made with another key: not the sender's word.
    forged = cosign(checkpoint, cosigner(US, PRC_KEY), int(NOW.timestamp()))
    outcome = mirror().accept_batch(
        entries, add_signatures(note, [forged.to_note_signature()]), now=NOW, lookup=no_refs
    )
    assert isinstance(outcome, Rejected)
    assert outcome.code == "bad-signature"


def test_another_party_s_cosignature_on_the_note_is_ignored() -> None:
    log, entries = one_entry_log()
    checkpoint, note = log.sign_checkpoint(1)
    theirs = cosign(checkpoint, cosigner(PRC, PRC_KEY), int(NOW.timestamp()))
    outcome = mirror().accept_batch(
        entries, add_signatures(note, [theirs.to_note_signature()]), now=NOW, lookup=no_refs
    )
    assert isinstance(outcome, Accepted)
    assert outcome.sender_cosignature is None
