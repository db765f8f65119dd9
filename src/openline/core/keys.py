"""Ed25519 keys: the one signature algorithm openline uses.

Model
-----
A party holds one :class:`PrivateKey` (a 32-byte Ed25519 seed, RFC 8032 §5.1.5) and
publishes the matching :class:`PublicKey` (the 32-byte encoded point A). Everything the
party signs goes through :meth:`PrivateKey.sign`, which returns the 64-byte detached
signature R || S of RFC 8032 §5.1.6. Ed25519 is deterministic, so the same key and
message always give the same signature; known-answer vectors can check bytes exactly.

Verification goes through :meth:`PublicKey.verify`, which answers ``True`` or ``False``
and never raises: a peer's garbage (wrong lengths, a point that does not decode, a
non-canonical S) is simply a failed signature. libsodium, under PyNaCl, applies the strict
checks (canonical S, no small-order A or R).

A public key is shown to people as its :meth:`PublicKey.fingerprint`: the first 160 bits of
SHA-256 of the raw key in RFC 4648 §6 base32, in groups of four, short enough to compare
over the phone when a card is pinned.

This module does no I/O; :meth:`PrivateKey.generate` reads the operating system's random
source through libsodium, which is the only non-deterministic call here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass

from nacl.exceptions import CryptoError
from nacl.signing import SigningKey, VerifyKey

__all__ = [
    "PUBLIC_KEY_SIZE",
    "SEED_SIZE",
    "SIGNATURE_SIZE",
    "PrivateKey",
    "PublicKey",
    "strict_b64decode",
]

SEED_SIZE = 32
PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64

# 20 bytes = 160 bits = exactly 32 base32 characters, so no padding is ever produced.
_FINGERPRINT_BYTES = 20
_FINGERPRINT_GROUP = 4


def strict_b64decode(text: str) -> bytes:
    """Decode standard, padded base64 (RFC 4648 §4), accepting only the canonical form.

    Every value has exactly one accepted encoding: padding is required, characters
    outside the alphabet (including whitespace) are refused, and the unused low bits of the
    last character must be zero. Lenient decoders would accept several spellings of one
    signature line, which would make signed bytes malleable.

    Args:
        text: The base64 text.

    Returns:
        The decoded bytes (possibly empty; callers check the length they need).

    Raises:
        ValueError: If ``text`` is not canonical standard base64.
    """
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error) as e:
        raise ValueError("not valid base64") from e
    if base64.b64encode(raw).decode("ascii") != text:
        raise ValueError("not canonical base64")
    return raw


@dataclass(frozen=True, slots=True)
class PublicKey:
    """An Ed25519 public key: the 32-byte encoding of RFC 8032 §5.1.5.

    Attributes:
        raw: The 32 key bytes.

    Raises:
        ValueError: If ``raw`` is not exactly 32 bytes.
    """

    raw: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.raw, bytes) or len(self.raw) != PUBLIC_KEY_SIZE:
            raise ValueError(f"an Ed25519 public key is {PUBLIC_KEY_SIZE} bytes")

    def __repr__(self) -> str:
        return f"PublicKey({self.to_base64()!r})"

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Check an Ed25519 signature (RFC 8032 §5.1.7) over ``message``.

        Args:
            message: The signed bytes.
            signature: The 64-byte detached signature.

        Returns:
            True if the signature is valid for this key; False on any failure, including a
            signature of the wrong length or arguments that are not bytes. Never raises.
        """
        try:
            if len(signature) != SIGNATURE_SIZE:
                return False
            VerifyKey(self.raw).verify(message, signature)
        except (CryptoError, TypeError, ValueError):
            return False
        return True

    def fingerprint(self) -> str:
        """Return the key's fingerprint, meant to be read aloud and compared by people.

        The fingerprint is SHA-256 of the raw key, truncated to 20 bytes, encoded in RFC 4648
        §6 base32 (uppercase, no padding) and split into eight groups of four characters,
        e.g. ``"ABCD EFGH IJKL MNOP QRST UVWX YZ23 4567"``.

        Returns:
            The grouped fingerprint.
        """
        digest = hashlib.sha256(self.raw).digest()[:_FINGERPRINT_BYTES]
        text = base64.b32encode(digest).decode("ascii")
        return " ".join(
            text[i : i + _FINGERPRINT_GROUP] for i in range(0, len(text), _FINGERPRINT_GROUP)
        )

    def to_base64(self) -> str:
        """Return the raw key in standard padded base64 (44 characters)."""
        return base64.b64encode(self.raw).decode("ascii")

    @classmethod
    def from_base64(cls, text: str) -> PublicKey:
        """Parse a key written by :meth:`to_base64`.

        Args:
            text: Canonical standard base64 of exactly 32 bytes.

        Returns:
            The public key.

        Raises:
            ValueError: If ``text`` is not canonical base64 or does not decode to 32 bytes.
        """
        return cls(strict_b64decode(text))


class PrivateKey:
    """An Ed25519 private key, held as its 32-byte seed (RFC 8032 §5.1.5).

    Build one with :meth:`generate` or :meth:`from_seed`. The ``repr`` never shows the seed,
    and equality compares seeds in constant time.
    """

    __slots__ = ("_signing_key",)

    def __init__(self, signing_key: SigningKey) -> None:
        """Wrap a PyNaCl signing key; prefer :meth:`generate` or :meth:`from_seed`.

        Args:
            signing_key: The PyNaCl key to wrap.
        """
        self._signing_key = signing_key

    @classmethod
    def generate(cls) -> PrivateKey:
        """Create a new key from the operating system's random source.

        Returns:
            A fresh private key.
        """
        return cls(SigningKey.generate())

    @classmethod
    def from_seed(cls, seed: bytes) -> PrivateKey:
        """Rebuild a key from its 32-byte seed.

        Args:
            seed: The seed, exactly 32 bytes.

        Returns:
            The private key.

        Raises:
            ValueError: If ``seed`` is not 32 bytes.
        """
        if not isinstance(seed, bytes) or len(seed) != SEED_SIZE:
            raise ValueError(f"an Ed25519 seed is {SEED_SIZE} bytes")
        return cls(SigningKey(seed))

    @property
    def seed(self) -> bytes:
        """The 32-byte seed. Keep it secret."""
        return bytes(self._signing_key)

    @property
    def public_key(self) -> PublicKey:
        """The matching public key."""
        return PublicKey(bytes(self._signing_key.verify_key))

    def sign(self, message: bytes) -> bytes:
        """Sign ``message`` with Ed25519 (RFC 8032 §5.1.6).

        Args:
            message: The bytes to sign.

        Returns:
            The 64-byte detached signature.
        """
        return bytes(self._signing_key.sign(message).signature)

    def __repr__(self) -> str:
        return f"PrivateKey(public_key={self.public_key.to_base64()!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PrivateKey):
            return NotImplemented
        return hmac.compare_digest(self.seed, other.seed)

    def __hash__(self) -> int:
        return hash(self.public_key.raw)
