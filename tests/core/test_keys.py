"""Tests for openline.core.keys and the vkey/skey forms of openline.core.note.

Known answers come from tests/vectors/signed-note.json (sections ``keys``, ``bad_vkeys``
and ``vkey_manglings``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openline.core.errors import NoteError
from openline.core.keys import PrivateKey, PublicKey, strict_b64decode
from openline.core.note import ED25519_TYPE, NoteSigner, NoteVerifier, key_id

VECTORS_PATH = Path(__file__).parent.parent / "vectors" / "signed-note.json"
VECTORS: dict[str, Any] = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
KEYS: list[dict[str, Any]] = VECTORS["keys"]
SKEYS = [k for k in KEYS if "skey" in k]

ZERO_SEED_FINGERPRINT = "COPD SQHG JNKJ C4RA RDM2 BV2B MKH4 QJXA"
FINGERPRINT_FORMAT = re.compile(r"[A-Z2-7]{4}( [A-Z2-7]{4}){7}")


def key_params(records: list[dict[str, Any]]) -> list[Any]:
    return [pytest.param(record, id=record["name"]) for record in records]


# --- vectors: keys, skeys, bad vkeys, manglings ---------------------------------------------


@pytest.mark.parametrize("record", key_params(KEYS))
def test_vkey_parses_to_name_key_id_and_public_key(record: dict[str, Any]) -> None:
    verifier = NoteVerifier.from_vkey(record["vkey"])
    assert verifier.name == record["name"]
    assert verifier.key_id.hex() == record["key_id"]
    assert verifier.public_key.raw.hex() == record["public_key"]
    assert verifier.key_type == ED25519_TYPE
    assert key_id(record["name"], ED25519_TYPE, verifier.public_key.raw) == verifier.key_id
    assert verifier.to_vkey() == record["vkey"]


@pytest.mark.parametrize("record", key_params(SKEYS))
def test_skey_gives_the_matching_vkey(record: dict[str, Any]) -> None:
    signer = NoteSigner.from_skey(record["skey"])
    assert signer.name == record["name"]
    assert signer.key_id.hex() == record["key_id"]
    assert signer.verifier().to_vkey() == record["vkey"]
    assert signer.to_skey() == record["skey"]
    if "ed25519_seed" in record:
        assert signer.private_key.seed.hex() == record["ed25519_seed"]


@pytest.mark.parametrize("record", [pytest.param(r, id=r["reason"]) for r in VECTORS["bad_vkeys"]])
def test_bad_vkey_is_rejected(record: dict[str, Any]) -> None:
    with pytest.raises(NoteError):
        NoteVerifier.from_vkey(record["vkey"])


def test_mangling_rule_names_a_vector_key() -> None:
    [rule] = VECTORS["vkey_manglings"]
    assert rule["vkey"] in {k["vkey"] for k in KEYS}
    assert "proper substring" in rule["rule"]
    assert "incremented" in rule["rule"]


@pytest.mark.parametrize("record", key_params(KEYS))
def test_every_proper_substring_of_a_vkey_is_rejected(record: dict[str, Any]) -> None:
    vkey: str = record["vkey"]
    accepted = []
    for i in range(len(vkey) + 1):
        for j in range(i, len(vkey) + 1):
            if (i, j) == (0, len(vkey)):
                continue
            try:
                NoteVerifier.from_vkey(vkey[i:j])
            except NoteError:
                continue
            accepted.append(vkey[i:j])
    assert accepted == []


@pytest.mark.parametrize("record", key_params(KEYS))
def test_every_vkey_with_one_character_incremented_is_rejected(record: dict[str, Any]) -> None:
    vkey: str = record["vkey"]
    accepted = []
    for i, ch in enumerate(vkey):
        mangled = vkey[:i] + chr(ord(ch) + 1) + vkey[i + 1 :]
        try:
            NoteVerifier.from_vkey(mangled)
        except NoteError:
            continue
        accepted.append(mangled)
    assert accepted == []


PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
SHORT_SEED = base64.b64encode(b"\x01" + bytes(31)).decode()


@pytest.mark.parametrize(
    "vkey",
    [
        pytest.param(PETER_VKEY.replace("c74f20a3", "C74F20A3"), id="uppercase-hex"),
        pytest.param(PETER_VKEY + "\n", id="newline"),
        pytest.param(" " + PETER_VKEY, id="leading-space"),
        pytest.param(PETER_VKEY + "=", id="extra-padding"),
        pytest.param(PETER_VKEY.removeprefix("PeterNeumann"), id="no-name"),
        pytest.param("PeterNeumann+c74f20a3", id="two-parts"),
        pytest.param("", id="empty"),
    ],
)
def test_vkey_variants_are_rejected(vkey: str) -> None:
    with pytest.raises(NoteError):
        NoteVerifier.from_vkey(vkey)


def test_cosigner_vkey_round_trips_with_type_4() -> None:
    signer = NoteSigner("witness.example/w1", PrivateKey.from_seed(bytes(range(32))), 0x04)
    vkey = signer.verifier().to_vkey()
    parsed = NoteVerifier.from_vkey(vkey)
    assert parsed.key_type == 0x04
    assert parsed == signer.verifier()
    assert NoteSigner.from_skey(signer.to_skey()).key_id == signer.key_id


@pytest.mark.parametrize(
    "skey",
    [
        pytest.param(PETER_SKEY.replace("c74f20a3", "c74f20a4"), id="wrong-id"),
        pytest.param(PETER_SKEY.replace("+AYEK", "+AoEK"), id="type-2"),
        pytest.param("PRIVATE+KEY+PeterNeumann+c74f20a3+" + SHORT_SEED, id="short-seed"),
        pytest.param(PETER_SKEY.replace("PRIVATE", "PUBLIC"), id="prefix"),
        pytest.param(PETER_SKEY.replace("+c74f20a3", ""), id="four-parts"),
        pytest.param(PETER_VKEY, id="vkey"),
    ],
)
def test_bad_skey_is_rejected(skey: str) -> None:
    with pytest.raises(NoteError):
        NoteSigner.from_skey(skey)


# --- PrivateKey and PublicKey ---------------------------------------------------------------


def test_from_seed_requires_32_bytes() -> None:
    for size in (0, 31, 33, 64):
        with pytest.raises(ValueError, match="32 bytes"):
            PrivateKey.from_seed(bytes(size))


def test_generate_sign_verify() -> None:
    key = PrivateKey.generate()
    assert len(key.seed) == 32
    signature = key.sign(b"hello")
    assert len(signature) == 64
    assert key.public_key.verify(b"hello", signature)
    assert not key.public_key.verify(b"hellO", signature)
    assert not PrivateKey.generate().public_key.verify(b"hello", signature)
    assert PrivateKey.from_seed(key.seed) == key
    assert PrivateKey.from_seed(key.seed).sign(b"hello") == signature


def test_private_key_repr_hides_the_seed() -> None:
    key = PrivateKey.from_seed(bytes(range(32)))
    assert bytes(range(32)).hex() not in repr(key)
    assert base64.b64encode(bytes(range(32))).decode() not in repr(key)
    assert key.public_key.to_base64() in repr(key)


def test_rfc8032_test_1() -> None:
    # RFC 8032 §7.1, TEST 1: empty message.
    key = PrivateKey.from_seed(
        bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    )
    assert key.public_key.raw.hex() == (
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    )
    assert key.sign(b"").hex() == (
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    )


@pytest.mark.parametrize("size", [0, 31, 33, 64])
def test_public_key_requires_32_bytes(size: int) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        PublicKey(bytes(size))


@settings(max_examples=50)
@given(message=st.binary(max_size=200), signature=st.binary(max_size=100))
def test_verify_returns_false_for_garbage(message: bytes, signature: bytes) -> None:
    key = PrivateKey.from_seed(bytes(32)).public_key
    assert key.verify(message, signature) is False


@settings(max_examples=50)
@given(raw=st.binary(min_size=32, max_size=32), signature=st.binary(min_size=64, max_size=64))
def test_verify_with_any_key_bytes_never_raises(raw: bytes, signature: bytes) -> None:
    assert PublicKey(raw).verify(b"message", signature) is False


def test_verify_with_wrong_argument_types_returns_false() -> None:
    key = PrivateKey.from_seed(bytes(32))
    signature = key.sign(b"m")
    assert key.public_key.verify(b"m", signature)
    assert key.public_key.verify("m", signature) is False  # type: ignore[arg-type]
    assert key.public_key.verify(b"m", signature.hex()) is False  # type: ignore[arg-type]
    assert key.public_key.verify(b"m", None) is False  # type: ignore[arg-type]


def test_fingerprint_is_stable_and_grouped() -> None:
    public = PrivateKey.from_seed(bytes(32)).public_key
    assert public.fingerprint() == ZERO_SEED_FINGERPRINT
    assert FINGERPRINT_FORMAT.fullmatch(public.fingerprint())
    expected = base64.b32encode(hashlib.sha256(public.raw).digest()[:20]).decode()
    assert public.fingerprint().replace(" ", "") == expected


@settings(max_examples=50)
@given(raw=st.binary(min_size=32, max_size=32))
def test_fingerprint_format_and_determinism(raw: bytes) -> None:
    fingerprint = PublicKey(raw).fingerprint()
    assert FINGERPRINT_FORMAT.fullmatch(fingerprint)
    assert PublicKey(bytes(raw)).fingerprint() == fingerprint


@settings(max_examples=50)
@given(raw=st.binary(min_size=32, max_size=32))
def test_public_key_base64_round_trip(raw: bytes) -> None:
    key = PublicKey(raw)
    text = key.to_base64()
    assert len(text) == 44
    assert PublicKey.from_base64(text) == key


@pytest.mark.parametrize(
    "text",
    [
        "",
        "O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik",  # padding missing
        "O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2il=",  # non-zero trailing bits
        " O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik=",
        "O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik=\n",
        "O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik==",
        "O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ",  # 30 bytes
        "O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik-",  # URL alphabet
        "O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik\u00e9",
    ],
)
def test_public_key_from_bad_base64_is_rejected(text: str) -> None:
    with pytest.raises(ValueError, match=r"base64|32 bytes"):
        PublicKey.from_base64(text)


@settings(max_examples=100)
@given(data=st.binary(max_size=80))
def test_strict_b64decode_accepts_exactly_the_canonical_encoding(data: bytes) -> None:
    text = base64.b64encode(data).decode()
    assert strict_b64decode(text) == data
    if text.endswith("="):
        # Setting an unused low bit of the last data character gives the same bytes to a
        # lenient decoder; the strict one refuses it.
        stripped = text.rstrip("=")
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        last = alphabet.index(stripped[-1])
        mangled = stripped[:-1] + alphabet[last | 1] + text[len(stripped) :]
        assert base64.b64decode(mangled) == data
        with pytest.raises(ValueError, match="canonical"):
            strict_b64decode(mangled)
