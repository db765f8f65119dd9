"""Signed-note keys: key IDs, signature types, and the vkey and skey forms of a key.

A key is identified by the pair (name, key ID), the ID derived by :func:`key_id`.
:class:`NoteVerifier` is a trusted public key (read from and written as a *vkey*),
:class:`NoteSigner` a private key with its name (read from and written as an *skey*); see
:mod:`openline.core.note` for the formats.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass

from openline.core.errors import NoteError
from openline.core.keys import PUBLIC_KEY_SIZE, SEED_SIZE, PrivateKey, PublicKey
from openline.core.note_format import KEY_ID_SIZE, NoteSignature, _check_name, _decode_b64

__all__ = ["COSIGNATURE_V1_TYPE", "ED25519_TYPE", "NoteSigner", "NoteVerifier", "key_id"]

# signed-note "Signature types": 0x01 is Ed25519 over the note text, 0x04 is the timestamped
# Ed25519 cosignature of c2sp.org/tlog-cosignature.
ED25519_TYPE = 0x01
COSIGNATURE_V1_TYPE = 0x04
_KEY_TYPES = frozenset({ED25519_TYPE, COSIGNATURE_V1_TYPE})

_SKEY_PREFIX = "PRIVATE+KEY+"
_HEX_KEY_ID = re.compile(r"[0-9a-f]{8}")


def key_id(name: str, key_type: int, public_key: bytes) -> bytes:
    """Compute a key ID as signed-note "Signatures" recommends (and requires for Ed25519).

    ``key ID = SHA-256(key name || 0x0A || signature type || public key)[:4]``

    Args:
        name: The key name.
        key_type: The signature type byte (``ED25519_TYPE`` or ``COSIGNATURE_V1_TYPE``).
        public_key: The encoded public key (32 bytes for Ed25519).

    Returns:
        The 4-byte key ID.

    Raises:
        ValueError: If ``key_type`` is not a byte value.
    """
    if not 0 <= key_type <= 0xFF:
        raise ValueError("a signature type is one byte")
    data = name.encode("utf-8") + b"\n" + bytes([key_type]) + public_key
    return hashlib.sha256(data).digest()[:KEY_ID_SIZE]


def _check_key_type(key_type: int) -> None:
    if key_type not in _KEY_TYPES:
        raise NoteError(f"unsupported signature type {key_type:#04x}")


def _parse_hex_key_id(text: str) -> bytes:
    if not _HEX_KEY_ID.fullmatch(text):
        raise NoteError("key ID must be 8 lowercase hex digits")
    return bytes.fromhex(text)


@dataclass(frozen=True, slots=True)
class NoteVerifier:
    """A trusted public key as a note verifier: name, key ID, key and signature type.

    The key ID must be the one :func:`key_id` derives from the other fields.

    Attributes:
        name: The key name.
        key_id: The 4-byte key ID.
        public_key: The Ed25519 public key.
        key_type: ``ED25519_TYPE`` (plain note signatures) or ``COSIGNATURE_V1_TYPE``.

    Raises:
        NoteError: If a field is invalid or the key ID does not match.
    """

    name: str
    key_id: bytes
    public_key: PublicKey
    key_type: int = ED25519_TYPE

    def __post_init__(self) -> None:
        _check_name(self.name)
        _check_key_type(self.key_type)
        if self.key_id != key_id(self.name, self.key_type, self.public_key.raw):
            raise NoteError(f"key ID does not match the key for {self.name!r}")

    @classmethod
    def from_vkey(cls, vkey: str) -> NoteVerifier:
        """Parse a verifier key, ``<name>+<hex key ID>+base64(type || public key)``.

        Args:
            vkey: The verifier key string.

        Returns:
            The verifier.

        Raises:
            NoteError: If anything is wrong: a missing part, an invalid name, a key ID that
                is not 8 lowercase hex digits or does not match the key, non-canonical
                base64, an unsupported type or a key that is not 32 bytes.
        """
        name, sep1, rest = vkey.partition("+")
        hex_id, sep2, b64 = rest.partition("+")
        if not sep1 or not sep2:
            raise NoteError("a vkey has three parts separated by '+'")
        _check_name(name)
        want_id = _parse_hex_key_id(hex_id)
        key = _decode_b64(b64, "vkey key")
        if not key:
            raise NoteError("vkey key is empty")
        key_type, raw = key[0], key[1:]
        _check_key_type(key_type)
        if len(raw) != PUBLIC_KEY_SIZE:
            raise NoteError("vkey key is not 32 bytes")
        return cls(name=name, key_id=want_id, public_key=PublicKey(raw), key_type=key_type)

    def to_vkey(self) -> str:
        """Format the verifier key, ``<name>+<hex key ID>+base64(type || public key)``."""
        b64 = base64.b64encode(bytes([self.key_type]) + self.public_key.raw).decode("ascii")
        return f"{self.name}+{self.key_id.hex()}+{b64}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Check a raw Ed25519 signature by this key over ``message``.

        For ``ED25519_TYPE`` the message is the note text (signed-note "Ed25519
        signatures"). For ``COSIGNATURE_V1_TYPE`` the caller passes the framed cosigned
        message (see ``cosignature.cosigned_message``) and the 64 bytes after the timestamp.

        Args:
            message: The signed bytes.
            signature: The 64-byte signature.

        Returns:
            True if valid. Never raises.
        """
        return self.public_key.verify(message, signature)

    def matches(self, signature: NoteSignature) -> bool:
        """Tell whether a signature line names this key (same name and key ID)."""
        return signature.name == self.name and signature.key_id == self.key_id


@dataclass(frozen=True, slots=True)
class NoteSigner:
    """A private key with the name it signs under.

    Attributes:
        name: The key name.
        private_key: The Ed25519 private key.
        key_type: ``ED25519_TYPE`` for note signatures, ``COSIGNATURE_V1_TYPE`` for
            cosignatures (see ``cosignature.cosigner``).

    Raises:
        NoteError: If the name or type is invalid.
    """

    name: str
    private_key: PrivateKey
    key_type: int = ED25519_TYPE

    def __post_init__(self) -> None:
        _check_name(self.name)
        _check_key_type(self.key_type)

    @property
    def public_key(self) -> PublicKey:
        """The signer's public key."""
        return self.private_key.public_key

    @property
    def key_id(self) -> bytes:
        """The 4-byte key ID of (name, type, public key)."""
        return key_id(self.name, self.key_type, self.public_key.raw)

    def sign(self, message: bytes) -> bytes:
        """Sign ``message`` with Ed25519 and return the 64-byte signature.

        This signs the bytes as given: for a note it is the text, for a cosignature it is
        the framed message. Use :func:`sign_note` or ``cosignature.cosign`` rather than this.

        Args:
            message: The bytes to sign.

        Returns:
            The 64-byte Ed25519 signature.
        """
        return self.private_key.sign(message)

    def verifier(self) -> NoteVerifier:
        """Return the verifier for this signer's public key."""
        return NoteVerifier(
            name=self.name,
            key_id=self.key_id,
            public_key=self.public_key,
            key_type=self.key_type,
        )

    @classmethod
    def from_skey(cls, skey: str) -> NoteSigner:
        """Parse golang.org/x/mod's private key form.

        ``PRIVATE+KEY+<name>+<hex key ID>+base64(type || 32-byte seed)``, where the key ID
        is that of the derived public key. Types 0x01 and 0x04 are accepted.

        Args:
            skey: The private key string.

        Returns:
            The signer.

        Raises:
            NoteError: If the string is malformed or its key ID does not match the key.
        """
        if not skey.startswith(_SKEY_PREFIX):
            raise NoteError("an skey starts with PRIVATE+KEY+")
        name, sep1, rest = skey[len(_SKEY_PREFIX) :].partition("+")
        hex_id, sep2, b64 = rest.partition("+")
        if not sep1 or not sep2:
            raise NoteError("an skey has five parts separated by '+'")
        _check_name(name)
        want_id = _parse_hex_key_id(hex_id)
        key = _decode_b64(b64, "skey key")
        if len(key) != 1 + SEED_SIZE:
            raise NoteError("skey key is not a type byte and a 32-byte seed")
        _check_key_type(key[0])
        signer = cls(name=name, private_key=PrivateKey.from_seed(key[1:]), key_type=key[0])
        if signer.key_id != want_id:
            raise NoteError(f"key ID does not match the key for {name!r}")
        return signer

    def to_skey(self) -> str:
        """Format the key in golang.org/x/mod's private key form. Keep the result secret."""
        b64 = base64.b64encode(bytes([self.key_type]) + self.private_key.seed).decode("ascii")
        return f"{_SKEY_PREFIX}{self.name}+{self.key_id.hex()}+{b64}"

    def __repr__(self) -> str:
        return f"NoteSigner(name={self.name!r}, key_id={self.key_id.hex()}, type={self.key_type})"
