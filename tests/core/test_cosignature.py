"""Tests for openline.core.cosignature: C2SP tlog-cosignature, Ed25519 cosignature/v1.

Known answers come from tests/vectors/signed-note.json (section ``cosignatures`` and the
``parse`` record of the tlog-cosignature example). The cosigner key of that example is not
published, so its signature itself cannot be checked; its framing and signed message can.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openline.core.checkpoint import MAX_TREE_SIZE, Checkpoint, open_checkpoint, sign_checkpoint
from openline.core.cosignature import (
    COSIGNATURE_SIZE,
    MAX_TIMESTAMP,
    Cosignature,
    cosign,
    cosigned_message,
    cosigner,
    find_cosignatures,
    verify_cosignature,
)
from openline.core.errors import NoteError
from openline.core.keys import PrivateKey
from openline.core.note import (
    COSIGNATURE_V1_TYPE,
    ED25519_TYPE,
    Note,
    NoteSignature,
    NoteSigner,
    NoteVerifier,
    add_signatures,
    open_note,
)

VECTORS_PATH = Path(__file__).parent.parent / "vectors" / "signed-note.json"
VECTORS: dict[str, Any] = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
[EXAMPLE] = VECTORS["cosignatures"]
[EXAMPLE_NOTE] = [r for r in VECTORS["parse"] if r["id"] == "c2sp:tlog-cosignature/example"]

KEY = PrivateKey.from_seed(bytes(range(32)))
PARTY = "us-dod"
LOG = NoteSigner(PARTY, KEY)  # type 0x01: signs its own checkpoints
WITNESS = cosigner(PARTY, KEY)  # type 0x04: the same key, cosigning
STRANGER = cosigner("prc-mnd", PrivateKey.from_seed(bytes(range(1, 33))))
CHECKPOINT = Checkpoint(origin="openline/us-dod/prc-mnd", size=12, root=bytes(range(32)))
TIME = 1_700_000_000


def params(records: list[dict[str, Any]]) -> list[Any]:
    return [pytest.param(record, id=record["id"]) for record in records]


# --- vectors ------------------------------------------------------------------------------


@pytest.mark.parametrize("record", params([EXAMPLE]))
def test_cosignature_example_framing(record: dict[str, Any]) -> None:
    sig = NoteSignature.from_line(record["line"])
    assert sig.name == record["name"]
    assert base64.b64encode(sig.key_id + sig.signature).decode() == record["signature"]
    assert len(sig.signature) == COSIGNATURE_SIZE == 72
    cosignature = Cosignature.from_note_signature(sig)
    assert cosignature.name == record["name"]
    assert cosignature.key_id.hex() == record["key_id"]
    assert cosignature.timestamp == record["timestamp"]
    assert len(cosignature.signature) == 64
    # Round trip of the signature line.
    assert cosignature.to_note_signature() == sig
    assert cosignature.to_line() == record["line"] + "\n"
    assert Cosignature.from_note_signature(NoteSignature.from_line(cosignature.to_line())) == (
        cosignature
    )


@pytest.mark.parametrize("record", params([EXAMPLE]))
def test_cosignature_example_signed_message(record: dict[str, Any]) -> None:
    message = cosigned_message(record["checkpoint"], record["timestamp"])
    assert message == record["signed_message"].encode()
    checkpoint = Checkpoint.from_text(record["checkpoint"])
    assert cosigned_message(checkpoint.to_text(), record["timestamp"]) == message


@pytest.mark.parametrize("record", params([EXAMPLE_NOTE]))
def test_find_cosignatures_in_the_example_note(record: dict[str, Any]) -> None:
    note = Note.from_bytes(record["message"].encode())
    [found] = find_cosignatures(note)
    assert found.name == EXAMPLE["name"]
    assert found.key_id.hex() == EXAMPLE["key_id"]
    assert found.timestamp == EXAMPLE["timestamp"]
    assert found.to_line() == EXAMPLE["line"] + "\n"


# --- framing ------------------------------------------------------------------------------


def test_cosigned_message_layout() -> None:
    message = cosigned_message(CHECKPOINT.to_text(), 0)
    assert message == b"cosignature/v1\ntime 0\n" + CHECKPOINT.to_text().encode()


@pytest.mark.parametrize("timestamp", [-1, MAX_TIMESTAMP + 1, 2**64])
def test_cosigned_message_timestamp_range(timestamp: int) -> None:
    with pytest.raises(NoteError, match="timestamp"):
        cosigned_message(CHECKPOINT.to_text(), timestamp)


def test_cosigned_message_requires_a_checkpoint() -> None:
    with pytest.raises(NoteError):
        cosigned_message("not a checkpoint\n", TIME)


def test_from_note_signature_requires_72_bytes() -> None:
    for size in (64, 71, 73):
        with pytest.raises(NoteError, match="72 bytes"):
            Cosignature.from_note_signature(NoteSignature("w", bytes(4), bytes(size)))


def test_timestamp_above_2_63_is_rejected_and_skipped() -> None:
    too_late = NoteSignature("w", bytes(4), (2**63).to_bytes(8, "big") + bytes(64))
    with pytest.raises(NoteError, match="timestamp"):
        Cosignature.from_note_signature(too_late)
    latest = NoteSignature("w", bytes(4), MAX_TIMESTAMP.to_bytes(8, "big") + bytes(64))
    assert Cosignature.from_note_signature(latest).timestamp == MAX_TIMESTAMP
    note = Note("x\n", (too_late, latest, NoteSignature("log", bytes(4), bytes(64))))
    assert [c.timestamp for c in find_cosignatures(note)] == [MAX_TIMESTAMP]


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"signature": bytes(63)}, id="short-signature"),
        pytest.param({"key_id": bytes(3)}, id="short-key-id"),
        pytest.param({"timestamp": -1}, id="negative-time"),
        pytest.param({"name": "a b"}, id="bad-name"),
    ],
)
def test_cosignature_constructor_validates(fields: dict[str, Any]) -> None:
    values: dict[str, Any] = {"name": "w", "key_id": bytes(4), "timestamp": 1}
    values["signature"] = bytes(64)
    values.update(fields)
    with pytest.raises(NoteError):
        Cosignature(**values)


# --- cosign and verify --------------------------------------------------------------------


def test_cosigner_has_type_4() -> None:
    assert WITNESS.key_type == COSIGNATURE_V1_TYPE
    assert WITNESS.verifier().key_type == COSIGNATURE_V1_TYPE


def test_cosign_and_verify() -> None:
    cosignature = cosign(CHECKPOINT, WITNESS, TIME)
    assert cosignature.name == PARTY
    assert cosignature.key_id == WITNESS.key_id
    assert cosignature.timestamp == TIME
    assert verify_cosignature(CHECKPOINT, cosignature, WITNESS.verifier())
    message = cosigned_message(CHECKPOINT.to_text(), TIME)
    assert KEY.public_key.verify(message, cosignature.signature)


def test_cosign_refuses_a_note_signer() -> None:
    with pytest.raises(ValueError, match="cosigner"):
        cosign(CHECKPOINT, LOG, TIME)


def test_cosign_timestamp_range() -> None:
    assert cosign(CHECKPOINT, WITNESS, MAX_TIMESTAMP).timestamp == MAX_TIMESTAMP
    assert cosign(CHECKPOINT, WITNESS, 0).timestamp == 0
    with pytest.raises(NoteError):
        cosign(CHECKPOINT, WITNESS, MAX_TIMESTAMP + 1)


def test_verify_requires_matching_type_name_and_key_id() -> None:
    cosignature = cosign(CHECKPOINT, WITNESS, TIME)
    # Same key pair and name, but the checkpoint-signing (0x01) verifier.
    assert not verify_cosignature(CHECKPOINT, cosignature, LOG.verifier())
    # Another cosigner.
    assert not verify_cosignature(CHECKPOINT, cosignature, STRANGER.verifier())
    # Same key under another name: a different key ID.
    renamed = cosigner("someone-else", KEY)
    assert not verify_cosignature(CHECKPOINT, cosignature, renamed.verifier())
    relabelled = Cosignature(renamed.name, renamed.key_id, TIME, cosignature.signature)
    assert KEY.public_key.verify(cosigned_message(CHECKPOINT.to_text(), TIME), relabelled.signature)
    assert verify_cosignature(CHECKPOINT, relabelled, renamed.verifier())  # v1 omits the name


def test_one_key_two_roles_are_kept_apart() -> None:
    assert LOG.key_id != WITNESS.key_id
    signed = sign_checkpoint(CHECKPOINT, LOG)
    self_cosignature = cosign(CHECKPOINT, WITNESS, TIME)
    both = add_signatures(signed, [self_cosignature.to_note_signature()])
    # The checkpoint verifier ignores the cosignature line.
    opened = open_note(both, [LOG.verifier()])
    assert [s.key_id for s in opened.verified] == [LOG.key_id]
    assert [s.key_id for s in opened.unknown] == [WITNESS.key_id]
    # The cosigner verifier finds and accepts only the cosignature.
    checkpoint, note = open_checkpoint(both, LOG.verifier())
    [found] = find_cosignatures(note)
    assert found == self_cosignature
    assert verify_cosignature(checkpoint, found, WITNESS.verifier())
    # The log's own 0x01 signature, relabelled as a cosignature, does not verify: it signs
    # the bare checkpoint text, not the cosignature/v1 message.
    log_line = note.signatures[0]
    forged = Cosignature(WITNESS.name, WITNESS.key_id, 0, log_line.signature)
    assert not verify_cosignature(checkpoint, forged, WITNESS.verifier())


def test_verifier_from_vkey_verifies_cosignatures() -> None:
    vkey = WITNESS.verifier().to_vkey()
    verifier = NoteVerifier.from_vkey(vkey)
    assert verifier.key_type == COSIGNATURE_V1_TYPE
    assert verify_cosignature(CHECKPOINT, cosign(CHECKPOINT, WITNESS, TIME), verifier)
    assert LOG.verifier().key_type == ED25519_TYPE


# --- properties ---------------------------------------------------------------------------

timestamps = st.integers(0, MAX_TIMESTAMP)
checkpoints = st.builds(
    Checkpoint,
    origin=st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc")), min_size=1),
    size=st.integers(0, MAX_TREE_SIZE),
    root=st.binary(min_size=32, max_size=32),
)


@settings(max_examples=30, deadline=None)
@given(checkpoint=checkpoints, timestamp=timestamps)
def test_cosign_verify_round_trip(checkpoint: Checkpoint, timestamp: int) -> None:
    cosignature = cosign(checkpoint, WITNESS, timestamp)
    assert verify_cosignature(checkpoint, cosignature, WITNESS.verifier())
    line = cosignature.to_line()
    assert Cosignature.from_note_signature(NoteSignature.from_line(line)) == cosignature


@settings(max_examples=30, deadline=None)
@given(checkpoint=checkpoints, other=checkpoints, timestamp=timestamps)
def test_cosignature_over_another_checkpoint_fails(
    checkpoint: Checkpoint, other: Checkpoint, timestamp: int
) -> None:
    if checkpoint == other:
        return
    cosignature = cosign(checkpoint, WITNESS, timestamp)
    assert not verify_cosignature(other, cosignature, WITNESS.verifier())


@settings(max_examples=30, deadline=None)
@given(timestamp=timestamps, other=timestamps)
def test_cosignature_with_another_timestamp_fails(timestamp: int, other: int) -> None:
    if timestamp == other:
        return
    cosignature = cosign(CHECKPOINT, WITNESS, timestamp)
    moved = Cosignature(cosignature.name, cosignature.key_id, other, cosignature.signature)
    assert not verify_cosignature(CHECKPOINT, moved, WITNESS.verifier())


@settings(max_examples=50, deadline=None)
@given(index=st.integers(0, 63), mask=st.integers(1, 255))
def test_cosignature_with_a_flipped_signature_byte_fails(index: int, mask: int) -> None:
    cosignature = cosign(CHECKPOINT, WITNESS, TIME)
    flipped = bytearray(cosignature.signature)
    flipped[index] ^= mask
    bad = Cosignature(cosignature.name, cosignature.key_id, TIME, bytes(flipped))
    assert not verify_cosignature(CHECKPOINT, bad, WITNESS.verifier())
