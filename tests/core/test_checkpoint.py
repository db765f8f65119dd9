"""Tests for openline.core.checkpoint: C2SP tlog-checkpoint bodies, signing and opening.

Known answers come from tests/vectors/signed-note.json (sections ``checkpoints`` and the
checkpoint notes of ``open``).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openline.core.checkpoint import (
    MAX_TREE_SIZE,
    Checkpoint,
    open_checkpoint,
    sign_checkpoint,
)
from openline.core.cosignature import cosign, cosigner
from openline.core.errors import NoteError, NoteSignatureError
from openline.core.keys import PrivateKey
from openline.core.note import (
    COSIGNATURE_V1_TYPE,
    NoteSigner,
    NoteVerifier,
    add_signatures,
    sign_note,
)

VECTORS_PATH = Path(__file__).parent.parent / "vectors" / "signed-note.json"
VECTORS: dict[str, Any] = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
CHECKPOINTS_VALID = [r for r in VECTORS["checkpoints"] if r["valid"]]
CHECKPOINTS_INVALID = [r for r in VECTORS["checkpoints"] if not r["valid"]]
OPEN_BY_ID = {r["id"]: r for r in VECTORS["open"]}
KEYS_BY_NAME = {k["name"]: k for k in VECTORS["keys"]}

LOG = NoteSigner("openline/us-dod/prc-mnd", PrivateKey.from_seed(bytes(range(32))))
OTHER = NoteSigner("openline/us-dod/prc-mnd", PrivateKey.from_seed(bytes(range(1, 33))))
ROOT = bytes(range(32))
CHECKPOINT = Checkpoint(origin=LOG.name, size=7, root=ROOT)


def params(records: list[dict[str, Any]]) -> list[Any]:
    return [pytest.param(record, id=record["id"]) for record in records]


# --- vectors ------------------------------------------------------------------------------


@pytest.mark.parametrize("record", params(CHECKPOINTS_VALID))
def test_valid_checkpoint_body(record: dict[str, Any]) -> None:
    checkpoint = Checkpoint.from_text(record["body"])
    assert checkpoint.origin == record["origin"]
    assert checkpoint.size == record["size"]
    assert checkpoint.root.hex() == record["root"]
    assert list(checkpoint.extensions) == record["extensions"]
    assert checkpoint.to_text() == record["body"]


@pytest.mark.parametrize("record", params(CHECKPOINTS_INVALID))
def test_invalid_checkpoint_body(record: dict[str, Any]) -> None:
    with pytest.raises(NoteError):
        Checkpoint.from_text(record["body"])


@pytest.mark.parametrize(
    "record_id", ["tdev-formats:sumdb-checkpoint", "tdev-formats:sumdb-checkpoint-witnessed"]
)
def test_open_real_sumdb_checkpoint(record_id: str) -> None:
    record = OPEN_BY_ID[record_id]
    verifier = NoteVerifier.from_vkey(KEYS_BY_NAME["sum.golang.org"]["vkey"])
    checkpoint, note = open_checkpoint(bytes.fromhex(record["message_hex"]), verifier)
    assert checkpoint.origin == "go.sum database tree"
    assert checkpoint.size == 6476701
    assert checkpoint.to_text() == record["text"]
    assert len(note.signatures) == len(record["signatures"])


def test_open_checkpoint_trusts_exactly_the_key_it_is_given() -> None:
    record = OPEN_BY_ID["tdev-formats:sumdb-checkpoint-witness-only"]
    message = bytes.fromhex(record["message_hex"])
    # Any key with a valid line opens the note; choosing the log's key is the caller's job.
    witness = NoteVerifier.from_vkey(KEYS_BY_NAME["monkeys"]["vkey"])
    checkpoint, _ = open_checkpoint(message, witness)
    assert checkpoint.size == 6476701
    unrelated = NoteVerifier.from_vkey(KEYS_BY_NAME["Log"]["vkey"])
    with pytest.raises(NoteSignatureError):
        open_checkpoint(message, unrelated)


# --- strict parsing -----------------------------------------------------------------------

ROOT_B64 = base64.b64encode(ROOT).decode()


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(f"log\n007\n{ROOT_B64}\n", id="leading-zeros"),
        pytest.param(f"log\n00\n{ROOT_B64}\n", id="double-zero"),
        pytest.param(f"log\n+7\n{ROOT_B64}\n", id="plus-sign"),
        pytest.param(f"log\n 7\n{ROOT_B64}\n", id="space"),
        pytest.param(f"log\n\u0667\n{ROOT_B64}\n", id="arabic-indic-digit"),
        pytest.param(f"log\n1_000\n{ROOT_B64}\n", id="underscore"),
        pytest.param(f"log\n{2**64}\n{ROOT_B64}\n", id="2**64"),
        pytest.param(f"log\n{'9' * 21}\n{ROOT_B64}\n", id="21-digits"),
        pytest.param(f"log\n7\n{ROOT_B64[:-1]}\n", id="unpadded-root"),
        pytest.param(f"log\n7\n{ROOT_B64[:-2]}9=\n", id="non-canonical-root"),
        pytest.param(f"log\n7\n{base64.b64encode(bytes(31)).decode()}\n", id="31-byte-root"),
        pytest.param(f"log\n7\n{ROOT_B64}\n\n", id="trailing-empty-line"),
        pytest.param(f"log\n7\n{ROOT_B64}\next\n\n", id="empty-extension"),
        pytest.param(f"log\n7\n{ROOT_B64}\n\next\n", id="empty-line-then-extension"),
        pytest.param(f"log\n7\n{ROOT_B64}", id="no-final-newline"),
        pytest.param(f"log\r\n7\n{ROOT_B64}\n", id="cr"),
        pytest.param("", id="empty"),
    ],
)
def test_strict_parsing_rejects(text: str) -> None:
    with pytest.raises(NoteError):
        Checkpoint.from_text(text)


def test_size_bounds() -> None:
    assert Checkpoint.from_text(f"log\n0\n{ROOT_B64}\n").size == 0
    assert Checkpoint.from_text(f"log\n{MAX_TREE_SIZE}\n{ROOT_B64}\n").size == 2**64 - 1


def test_extensions_are_kept_in_order() -> None:
    text = f"log\n7\n{ROOT_B64}\nb ext\na ext\n"
    checkpoint = Checkpoint.from_text(text)
    assert checkpoint.extensions == ("b ext", "a ext")
    assert checkpoint.to_text() == text


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"origin": ""}, id="empty-origin"),
        pytest.param({"origin": "a\nb"}, id="newline-origin"),
        pytest.param({"origin": "a\x00"}, id="nul-origin"),
        pytest.param({"size": -1}, id="negative"),
        pytest.param({"size": 2**64}, id="2**64"),
        pytest.param({"size": True}, id="bool"),
        pytest.param({"root": bytes(31)}, id="short-root"),
        pytest.param({"root": bytes(33)}, id="long-root"),
        pytest.param({"extensions": ("",)}, id="empty-extension"),
        pytest.param({"extensions": ("a\nb",)}, id="newline-extension"),
    ],
)
def test_constructor_validates(fields: dict[str, Any]) -> None:
    values: dict[str, Any] = {"origin": "log", "size": 1, "root": ROOT, "extensions": ()}
    values.update(fields)
    with pytest.raises(NoteError):
        Checkpoint(**values)


# --- sign and open ------------------------------------------------------------------------


def test_sign_and_open() -> None:
    message = sign_checkpoint(CHECKPOINT, LOG)
    checkpoint, note = open_checkpoint(message, LOG.verifier())
    assert checkpoint == CHECKPOINT
    assert note.text == CHECKPOINT.to_text()
    assert note.to_bytes() == message


def test_open_with_the_wrong_key_is_a_signature_error() -> None:
    message = sign_checkpoint(CHECKPOINT, LOG)
    # Same name, different key: the key ID differs, so the line is unknown.
    with pytest.raises(NoteSignatureError):
        open_checkpoint(message, OTHER.verifier())


def test_open_a_signed_note_that_is_not_a_checkpoint() -> None:
    message = sign_note("hello\nworld\n", [LOG])
    with pytest.raises(NoteError) as caught:
        open_checkpoint(message, LOG.verifier())
    assert not isinstance(caught.value, NoteSignatureError)


def test_open_checkpoint_ignores_cosignatures_and_keeps_them_in_the_note() -> None:
    message = sign_checkpoint(CHECKPOINT, LOG)
    witness = cosigner("witness", PrivateKey.from_seed(bytes(32)))
    cosignature = cosign(CHECKPOINT, witness, 1_700_000_000)
    cosigned = add_signatures(message, [cosignature.to_note_signature()])
    checkpoint, note = open_checkpoint(cosigned, LOG.verifier())
    assert checkpoint == CHECKPOINT
    assert note.signatures[1] == cosignature.to_note_signature()


def test_open_checkpoint_refuses_a_cosigner_verifier() -> None:
    message = sign_checkpoint(CHECKPOINT, LOG)
    as_cosigner = NoteSigner(LOG.name, LOG.private_key, COSIGNATURE_V1_TYPE)
    with pytest.raises(ValueError, match="Ed25519 note verifier"):
        open_checkpoint(message, as_cosigner.verifier())


def test_sign_checkpoint_refuses_a_cosigner() -> None:
    as_cosigner = NoteSigner(LOG.name, LOG.private_key, COSIGNATURE_V1_TYPE)
    with pytest.raises(ValueError, match="cosign"):
        sign_checkpoint(CHECKPOINT, as_cosigner)


# --- properties ---------------------------------------------------------------------------

line_text = st.text(
    alphabet=st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=20
)
checkpoints = st.builds(
    Checkpoint,
    origin=line_text,
    size=st.integers(0, MAX_TREE_SIZE),
    root=st.binary(min_size=32, max_size=32),
    extensions=st.lists(line_text, max_size=3).map(tuple),
)


@settings(max_examples=100)
@given(checkpoint=checkpoints)
def test_text_round_trip(checkpoint: Checkpoint) -> None:
    text = checkpoint.to_text()
    assert Checkpoint.from_text(text) == checkpoint
    assert Checkpoint.from_text(text).to_text() == text


@settings(max_examples=100)
@given(text=st.text(max_size=120))
def test_parsing_garbage_raises_only_note_error(text: str) -> None:
    try:
        checkpoint = Checkpoint.from_text(text)
    except NoteError:
        return
    assert checkpoint.to_text() == text


@settings(max_examples=30, deadline=None)
@given(checkpoint=checkpoints)
def test_sign_open_round_trip(checkpoint: Checkpoint) -> None:
    if checkpoint.origin == "cosignature/v1":
        return
    opened, _ = open_checkpoint(sign_checkpoint(checkpoint, LOG), LOG.verifier())
    assert opened == checkpoint


SIGNED = sign_checkpoint(CHECKPOINT, LOG)


@settings(max_examples=200, deadline=None)
@given(index=st.integers(0, len(SIGNED) - 1), mask=st.integers(1, 255))
def test_any_flipped_byte_fails_open_checkpoint(index: int, mask: int) -> None:
    flipped = bytearray(SIGNED)
    flipped[index] ^= mask
    with pytest.raises(NoteError):
        open_checkpoint(bytes(flipped), LOG.verifier())


def test_every_single_byte_flip_fails_open_checkpoint() -> None:
    # Exhaustive over positions for one mask per bit, on top of the random masks above.
    for index in range(len(SIGNED)):
        for bit in range(8):
            flipped = bytearray(SIGNED)
            flipped[index] ^= 1 << bit
            with pytest.raises(NoteError):
                open_checkpoint(bytes(flipped), LOG.verifier())
