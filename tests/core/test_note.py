"""Tests for openline.core.note: C2SP signed notes.

Known answers come from tests/vectors/signed-note.json (sections ``sign``, ``open``,
``parse`` and ``policy_dependent.open``).

How the vectors' per-line status maps onto :class:`OpenedNote`: a valid case lists every
signature line with ``verified`` or ``unknown-key``; these are exactly
``OpenedNote.verified`` and ``OpenedNote.unknown``, each in note order, duplicates kept. No
valid case has an ``invalid`` line, and that is the rule, not a gap: a line by a trusted key
that fails to verify rejects the whole note (error ``invalid-signature``), so an accepted
note never carries one. ``test_valid_open_vectors_never_list_an_invalid_line`` pins that.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openline.core.errors import NoteError, NoteSignatureError
from openline.core.keys import PrivateKey
from openline.core.note import (
    COSIGNATURE_V1_TYPE,
    ED25519_TYPE,
    MAX_SIGNATURES,
    Note,
    NoteSignature,
    NoteSigner,
    NoteVerifier,
    OpenedNote,
    add_signatures,
    key_id,
    open_note,
    sign_note,
    valid_key_name,
)

VECTORS_PATH = Path(__file__).parent.parent / "vectors" / "signed-note.json"
VECTORS: dict[str, Any] = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
OPEN_VALID = [r for r in VECTORS["open"] if r["valid"]]
OPEN_INVALID = [r for r in VECTORS["open"] if not r["valid"]]
[TOO_MANY] = VECTORS["policy_dependent"]["open"]
SKEYS = {k["name"]: k["skey"] for k in VECTORS["keys"] if "skey" in k}

PETER = NoteSigner.from_skey(SKEYS["PeterNeumann"])
ENOCH = NoteSigner.from_skey(SKEYS["EnochRoot"])
TEXT = "If you think cryptography is the answer to your problem,\n"

INVALID_SIGNATURE = "invalid signature"
NO_VERIFIED = "no verified signature"


def params(records: list[dict[str, Any]]) -> list[Any]:
    return [pytest.param(record, id=record["id"]) for record in records]


def verifiers(record: dict[str, Any]) -> list[NoteVerifier]:
    return [NoteVerifier.from_vkey(vkey) for vkey in record["trusted_vkeys"]]


def line_status(opened: OpenedNote) -> list[tuple[str, str, str]]:
    """Per-line statuses in the vectors' vocabulary, verified lines first."""
    return [(s.name, s.key_id.hex(), "verified") for s in opened.verified] + [
        (s.name, s.key_id.hex(), "unknown-key") for s in opened.unknown
    ]


# --- vectors ------------------------------------------------------------------------------


@pytest.mark.parametrize("record", params(VECTORS["sign"]))
def test_sign_gives_the_exact_signed_note(record: dict[str, Any]) -> None:
    signers = [NoteSigner.from_skey(skey) for skey in record["skeys"]]
    assert sign_note(record["text"], signers) == record["signed_note"].encode()


@pytest.mark.parametrize("record", params(OPEN_VALID))
def test_open_valid(record: dict[str, Any]) -> None:
    message = bytes.fromhex(record["message_hex"])
    if "message" in record:
        assert record["message"].encode() == message
    opened = open_note(message, verifiers(record))
    assert opened.text == record["text"]
    expected = [(s["name"], s["key_id"], s["status"]) for s in record["signatures"]]
    want_verified = [e for e in expected if e[2] == "verified"]
    want_unknown = [e for e in expected if e[2] == "unknown-key"]
    assert line_status(opened) == want_verified + want_unknown
    # Together the two lists are every line of the note, nothing dropped or merged.
    lines = Note.from_bytes(message).signatures
    assert [(s.name, s.key_id.hex()) for s in lines] == [(e[0], e[1]) for e in expected]
    assert len(opened.verified) + len(opened.unknown) == len(lines)


def test_valid_open_vectors_never_list_an_invalid_line() -> None:
    statuses = {s["status"] for r in OPEN_VALID for s in r["signatures"]}
    assert statuses == {"verified", "unknown-key"}


def test_duplicate_lines_are_all_verified_and_reported() -> None:
    [record] = [r for r in OPEN_VALID if r["id"] == "x-mod:open/duplicates"]
    opened = open_note(bytes.fromhex(record["message_hex"]), verifiers(record))
    assert [s.name for s in opened.verified] == ["PeterNeumann", "PeterNeumann"]
    # The last EnochRoot line is corrupted, but EnochRoot is not trusted, so it is ignored.
    assert [s.name for s in opened.unknown] == ["EnochRoot"] * 3
    assert len({s.signature for s in opened.unknown}) == 2


def test_duplicate_line_by_a_trusted_key_is_verified_every_time() -> None:
    good = NoteSignature(PETER.name, PETER.key_id, PETER.sign(TEXT.encode()))
    bad = NoteSignature(PETER.name, PETER.key_id, bytes(64))
    message = Note(TEXT, (good, bad)).to_bytes()
    with pytest.raises(NoteSignatureError, match=INVALID_SIGNATURE):
        open_note(message, [PETER.verifier()])


@pytest.mark.parametrize("record", params(OPEN_INVALID))
def test_open_invalid(record: dict[str, Any]) -> None:
    message = bytes.fromhex(record["message_hex"])
    error = record["error"]
    if error == "malformed":
        with pytest.raises(NoteError) as caught:
            open_note(message, verifiers(record))
        assert not isinstance(caught.value, NoteSignatureError)
        with pytest.raises(NoteError):
            Note.from_bytes(message)
    elif error == "invalid-signature":
        with pytest.raises(NoteSignatureError, match=INVALID_SIGNATURE):
            open_note(message, verifiers(record))
    else:
        assert error == "no-verified-signature"
        with pytest.raises(NoteSignatureError, match=NO_VERIFIED):
            open_note(message, verifiers(record))


@pytest.mark.parametrize("record", params(VECTORS["parse"]))
def test_parse(record: dict[str, Any]) -> None:
    message = record["message"].encode()
    note = Note.from_bytes(message)
    assert note.text == record["text"]
    assert [(s.name, s.key_id.hex()) for s in note.signatures] == [
        (s["name"], s["key_id"]) for s in record["signatures"]
    ]
    assert note.to_bytes() == message


def test_policy_too_many_signatures_is_malformed() -> None:
    """Our verdict on ``policy_dependent.open``: we follow golang.org/x/mod.

    C2SP requires accepting at least 16 signatures and leaves the limit open. We accept up to
    100 signature lines, as x/mod does, and reject a note with more as malformed (NoteError,
    not a signature error), before verifying anything.
    """
    assert TOO_MANY["error"] == "malformed"
    assert TOO_MANY["options"] == {"max_sigs": MAX_SIGNATURES}
    message = bytes.fromhex(TOO_MANY["message_hex"])
    text, _, block = message.decode().rpartition("\n\n")
    lines = block.splitlines(keepends=True)
    assert len(lines) == MAX_SIGNATURES + 1
    with pytest.raises(NoteError) as caught:
        open_note(message, verifiers(TOO_MANY))
    assert not isinstance(caught.value, NoteSignatureError)
    # One line fewer is exactly at the limit, and opens.
    at_limit = f"{text}\n\n{''.join(lines[:-1])}".encode()
    opened = open_note(at_limit, verifiers(TOO_MANY))
    assert len(opened.verified) == MAX_SIGNATURES


# --- key IDs and names --------------------------------------------------------------------


def test_key_id_depends_on_the_type_byte() -> None:
    public = PETER.public_key.raw
    assert key_id(PETER.name, ED25519_TYPE, public) == PETER.key_id
    assert key_id(PETER.name, COSIGNATURE_V1_TYPE, public) != PETER.key_id
    assert len(key_id("a", 0xFF, b"")) == 4
    with pytest.raises(ValueError, match="one byte"):
        key_id("a", 256, public)


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("example.com/foo", True),
        ("oid/1.3.6.1.4.1", True),
        ("ünïcödé", True),
        ("", False),
        ("a b", False),
        ("a+b", False),
        ("a\tb", False),
        ("a\u00a0b", False),  # no-break space
        ("a\u2003b", False),  # em space
        ("a\u3000b", False),  # ideographic space
        ("a\x01b", False),
        ("a\ud800b", False),  # lone surrogate: not UTF-8
    ],
)
def test_valid_key_name(name: str, valid: bool) -> None:
    assert valid_key_name(name) is valid


@pytest.mark.parametrize("name", ["", "a b", "a+b", "a\u2003b"])
def test_signers_and_verifiers_refuse_bad_names(name: str) -> None:
    with pytest.raises(NoteError):
        NoteSigner(name, PETER.private_key)
    with pytest.raises(NoteError):
        NoteSignature(name, bytes(4), bytes(64))


def test_verifier_requires_the_derived_key_id() -> None:
    verifier = PETER.verifier()
    with pytest.raises(NoteError, match="key ID"):
        NoteVerifier(verifier.name, bytes(4), verifier.public_key)
    with pytest.raises(NoteError, match="key ID"):
        NoteVerifier(verifier.name, verifier.key_id, verifier.public_key, COSIGNATURE_V1_TYPE)
    with pytest.raises(NoteError, match="signature type"):
        NoteVerifier(verifier.name, verifier.key_id, verifier.public_key, 0x02)


def test_signer_verifier_pair() -> None:
    verifier = ENOCH.verifier()
    assert verifier.name == "EnochRoot"
    assert verifier.key_id == ENOCH.key_id
    assert verifier.public_key == ENOCH.public_key
    assert verifier.verify(b"x", ENOCH.sign(b"x"))
    assert not verifier.verify(b"x", PETER.sign(b"x"))
    assert ENOCH.private_key.seed.hex() not in repr(ENOCH)


# --- signature lines ----------------------------------------------------------------------


def test_signature_line_round_trip() -> None:
    sig = NoteSignature("example.com/foo", bytes.fromhex("530d903a"), b"\x01" * 64)
    line = sig.to_line()
    assert line.startswith("\u2014 example.com/foo ")
    assert line.endswith("\n")
    assert NoteSignature.from_line(line) == sig
    assert NoteSignature.from_line(line[:-1]) == sig


@pytest.mark.parametrize(
    "line",
    [
        pytest.param("- PeterNeumann x08go/ZJ\n", id="hyphen"),
        pytest.param("\u2014PeterNeumann x08go/ZJ\n", id="no-space"),
        pytest.param("\u2014 PeterNeumann\n", id="no-signature"),
        pytest.param("\u2014 PeterNeumann \n", id="empty-signature"),
        pytest.param("\u2014 PeterNeumann x08goA==\n", id="key-id-only"),
        pytest.param("\u2014 PeterNeumann x08g\n", id="short"),
        pytest.param("\u2014 PeterNeumann x08go/ZJ \n", id="trailing-space"),
        pytest.param("\u2014 PeterNeumann  x08go/ZJ\n", id="double-space"),
        pytest.param("\u2014 PeterNeumann x08go/Z=\n", id="non-canonical"),
        pytest.param("\u2014 PeterNeumann x08go/Y\n", id="unpadded"),
        pytest.param("\u2014 Peter+Neumann x08go/ZJ\n", id="plus"),
        pytest.param("\u2014  x08go/ZJ\n", id="empty-name"),
        pytest.param("\u2014 PeterNeumann x08go/ZJ\n\n", id="two-newlines"),
    ],
)
def test_bad_signature_lines(line: str) -> None:
    # Controls: the smallest well-formed lines (one and two bytes after the key ID).
    assert len(NoteSignature.from_line("\u2014 PeterNeumann x08go/Y=\n").signature) == 1
    assert len(NoteSignature.from_line("\u2014 PeterNeumann x08go/ZJ\n").signature) == 2
    with pytest.raises(NoteError):
        NoteSignature.from_line(line)


# --- parsing ------------------------------------------------------------------------------


def _signed(text: str = TEXT) -> bytes:
    return sign_note(text, [PETER])


@pytest.mark.parametrize(
    "message",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"\n\n", id="only-blank-line"),
        pytest.param(_signed().replace(b"\n\n", b"\n"), id="no-blank-line"),
        pytest.param(_signed().replace(b"\n", b"\r\n"), id="crlf"),
        pytest.param(_signed() + b"\n", id="trailing-blank-line"),
        pytest.param(_signed().replace(b"If", b"\xff"), id="bad-utf8"),
        pytest.param(_signed().replace(b"If", b"\xed\xa0\x80"), id="surrogate"),
        pytest.param(_signed().replace(b"If", b"\x1b"), id="escape"),
        pytest.param(_signed().replace(b"If", b"\x00"), id="nul"),
    ],
)
def test_malformed_notes(message: bytes) -> None:
    with pytest.raises(NoteError) as caught:
        open_note(message, [PETER.verifier()])
    assert not isinstance(caught.value, NoteSignatureError)


def test_text_with_blank_lines_splits_at_the_last_one() -> None:
    text = "one\n\ntwo\n\n\nthree\n\n"
    message = sign_note(text, [PETER])
    assert Note.from_bytes(message).text == text
    assert open_note(message, [PETER.verifier()]).text == text


def test_minimal_text_is_one_newline() -> None:
    message = sign_note("\n", [PETER])
    assert message.startswith(b"\n\n\xe2\x80\x94 ")
    assert open_note(message, [PETER.verifier()]).text == "\n"


def test_note_requires_between_one_and_max_signatures() -> None:
    sig = NoteSignature("a", bytes(4), bytes(64))
    with pytest.raises(NoteError, match="at least one"):
        Note(TEXT, ())
    Note(TEXT, (sig,) * MAX_SIGNATURES)
    with pytest.raises(NoteError, match="at most"):
        Note(TEXT, (sig,) * (MAX_SIGNATURES + 1))


# --- signing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("no newline", id="no-newline"),
        pytest.param("tab\there\n", id="tab"),
        pytest.param("cr\r\n", id="cr"),
        pytest.param("cosignature/v1\ntime 1\nx\n1\nroot\n", id="cosignature-header"),
    ],
)
def test_sign_note_rejects_bad_text(text: str) -> None:
    with pytest.raises(NoteError):
        sign_note(text, [PETER])


def test_sign_note_needs_a_signer() -> None:
    with pytest.raises(NoteError, match="at least one"):
        sign_note(TEXT, [])


def test_sign_note_refuses_cosigners() -> None:
    witness = NoteSigner("w", PETER.private_key, COSIGNATURE_V1_TYPE)
    with pytest.raises(ValueError, match="cosign"):
        sign_note(TEXT, [witness])


def test_sign_note_keeps_order_and_skips_repeated_signers() -> None:
    note = Note.from_bytes(sign_note(TEXT, [ENOCH, PETER, ENOCH]))
    assert [s.name for s in note.signatures] == ["EnochRoot", "PeterNeumann"]


def test_add_signatures_appends_and_deduplicates() -> None:
    base = sign_note(TEXT, [PETER])
    enoch_line = Note.from_bytes(sign_note(TEXT, [ENOCH])).signatures[0]
    peter_other = NoteSignature(PETER.name, PETER.key_id, bytes(64))
    merged = add_signatures(base, [enoch_line, peter_other, enoch_line])
    note = Note.from_bytes(merged)
    assert [s.name for s in note.signatures] == ["PeterNeumann", "EnochRoot"]
    # The existing line for a key wins over a new one with the same (name, key ID).
    assert note.signatures[0] == Note.from_bytes(base).signatures[0]
    assert merged.startswith(base)
    assert add_signatures(base, []) == base
    opened = open_note(merged, [PETER.verifier(), ENOCH.verifier()])
    assert len(opened.verified) == 2


def test_add_signatures_rejects_malformed_notes() -> None:
    with pytest.raises(NoteError):
        add_signatures(b"not a note", [])


# --- opening ------------------------------------------------------------------------------


def test_unknown_lines_are_ignored_even_sharing_a_name_or_an_id() -> None:
    text = TEXT.encode()
    same_name = NoteSignature(PETER.name, b"\x00\x00\x00\x00", bytes(64))
    same_id = NoteSignature("Impostor", PETER.key_id, PETER.sign(text))
    good = NoteSignature(PETER.name, PETER.key_id, PETER.sign(text))
    message = Note(TEXT, (same_name, same_id, good)).to_bytes()
    opened = open_note(message, [PETER.verifier()])
    assert opened.verified == (good,)
    assert opened.unknown == (same_name, same_id)


def test_open_note_ignores_cosigner_verifiers() -> None:
    # A cosigner key (type 0x04) is not a trusted note key, even for the same key pair.
    cosigner = NoteSigner(PETER.name, PETER.private_key, COSIGNATURE_V1_TYPE)
    message = sign_note(TEXT, [PETER])
    with pytest.raises(NoteSignatureError, match=NO_VERIFIED):
        open_note(message, [cosigner.verifier()])
    # And a line claiming the cosigner key ID is unknown to the note verifier.
    line = NoteSignature(cosigner.name, cosigner.key_id, PETER.sign(TEXT.encode()))
    opened = open_note(add_signatures(message, [line]), [PETER.verifier()])
    assert opened.unknown == (line,)


def test_wrong_signature_length_by_a_trusted_key_is_invalid() -> None:
    short = NoteSignature(PETER.name, PETER.key_id, PETER.sign(TEXT.encode())[:63])
    with pytest.raises(NoteSignatureError, match=INVALID_SIGNATURE):
        open_note(Note(TEXT, (short,)).to_bytes(), [PETER.verifier()])


def test_listing_a_verifier_twice_changes_nothing() -> None:
    message = sign_note(TEXT, [PETER])
    once = open_note(message, [PETER.verifier()])
    assert open_note(message, [PETER.verifier(), PETER.verifier()]) == once


# --- properties ---------------------------------------------------------------------------

note_texts = st.lists(
    st.text(
        alphabet=st.characters(exclude_categories=("Cs", "Cc")),
        max_size=30,
    ),
    max_size=6,
).map(lambda lines: "".join(f"{line}\n" for line in lines) or "\n")


@settings(max_examples=50, deadline=None)
@given(text=note_texts, order=st.permutations([0, 1]))
def test_sign_open_round_trip(text: str, order: list[int]) -> None:
    if text.startswith("cosignature/v1\n"):
        return
    signers = [[PETER, ENOCH][i] for i in order]
    message = sign_note(text, signers)
    note = Note.from_bytes(message)
    assert note.text == text
    assert note.to_bytes() == message
    assert [s.name for s in note.signatures] == [s.name for s in signers]
    opened = open_note(message, [PETER.verifier()])
    assert opened.text == text
    assert [s.name for s in opened.verified] == ["PeterNeumann"]
    assert [s.name for s in opened.unknown] == ["EnochRoot"]


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_any_flipped_byte_fails_to_open(data: st.DataObject) -> None:
    message = sign_note(TEXT, [PETER])
    index = data.draw(st.integers(0, len(message) - 1), label="index")
    mask = data.draw(st.integers(1, 255), label="mask")
    flipped = bytearray(message)
    flipped[index] ^= mask
    with pytest.raises(NoteError):
        open_note(bytes(flipped), [PETER.verifier()])


@settings(max_examples=100)
@given(message=st.binary(max_size=300))
def test_parsing_garbage_raises_only_note_error(message: bytes) -> None:
    try:
        note = Note.from_bytes(message)
    except NoteError:
        return
    assert note.to_bytes() == message


def test_base64_in_signature_lines_is_canonical() -> None:
    message = sign_note(TEXT, [PETER])
    line = Note.from_bytes(message).signatures[0].to_line()
    b64 = line.split(" ")[2].rstrip("\n")
    # 68 bytes: one padding character, so the last data character has two unused bits.
    assert b64.endswith("=")
    assert not b64.endswith("==")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    mangled = b64[:-2] + alphabet[alphabet.index(b64[-2]) | 1] + "="
    assert mangled != b64
    assert base64.b64decode(mangled) == base64.b64decode(b64)
    with pytest.raises(NoteError):
        Note.from_bytes(message.replace(b64.encode(), mangled.encode()))


def test_signing_key_is_an_ed25519_private_key() -> None:
    # The EnochRoot vector key is the all-zero seed.
    assert ENOCH.private_key == PrivateKey.from_seed(bytes(32))
