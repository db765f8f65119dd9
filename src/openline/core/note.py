"""C2SP signed notes (c2sp.org/signed-note): text signed by one or more named keys.

Model
-----
A signed note is a UTF-8 text that ends in a newline, a blank line, and one or more
signature lines::

    If you think cryptography is the answer to your problem,
    then you don't know what your problem is.

    — PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngo...

Each line is an em dash, a space, the key name, a space, and base64 of the 4-byte key ID
followed by the signature bytes. A key is identified by the pair (name, key ID); the key ID
is the first four bytes of SHA-256(name || 0x0A || signature type || public key), so one
Ed25519 key gets different IDs for different signature types (0x01 plain note signatures,
0x04 tlog-cosignature/v1 cosignatures; see ``cosignature.py``).

Keys travel as *vkeys*, ``name+hexid+base64(type || key)``, the format of
golang.org/x/mod/sumdb/note. Private keys can be read in x/mod's *skey* form,
``PRIVATE+KEY+name+hexid+base64(type || seed)``.

Parsing is strict and total: :meth:`Note.from_bytes` either returns a well-formed note or
raises :class:`~openline.core.errors.NoteError`. Verification (:func:`open_note`) then
applies the rules of the spec's "Signatures" section against a list of trusted keys:

* a line whose (name, key ID) matches no trusted key is ignored (``unknown``);
* a line that matches a trusted key must verify, or the whole note is rejected with
  :class:`~openline.core.errors.NoteSignatureError`;
* at least one line must verify, or the note is rejected the same way.

Duplicate lines are reported as often as they appear, and every one of them is verified
(golang.org/x/mod skips repeats of a line by a known key; we check them all). A note may
carry at most 100 signature lines, the limit of golang.org/x/mod; C2SP requires accepting
at least 16.

Everything here is pure: bytes in, values or bytes out.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from openline.core.errors import NoteError, NoteSignatureError
from openline.core.keys import (
    PUBLIC_KEY_SIZE,
    SEED_SIZE,
    SIGNATURE_SIZE,
    PrivateKey,
    PublicKey,
    strict_b64decode,
)

__all__ = [
    "COSIGNATURE_V1_HEADER",
    "COSIGNATURE_V1_TYPE",
    "ED25519_TYPE",
    "KEY_ID_SIZE",
    "MAX_SIGNATURES",
    "Note",
    "NoteSignature",
    "NoteSigner",
    "NoteVerifier",
    "OpenedNote",
    "add_signatures",
    "key_id",
    "open_note",
    "sign_note",
    "valid_key_name",
    "verify_note",
]

# signed-note "Signature types": 0x01 is Ed25519 over the note text, 0x04 is the timestamped
# Ed25519 cosignature of c2sp.org/tlog-cosignature.
ED25519_TYPE = 0x01
COSIGNATURE_V1_TYPE = 0x04
# tlog-cosignature "Ed25519 signed message": the header line that starts every message a
# cosigner signs. Plain notes may not start with it (see sign_note).
COSIGNATURE_V1_HEADER = "cosignature/v1\n"
_KEY_TYPES = frozenset({ED25519_TYPE, COSIGNATURE_V1_TYPE})

KEY_ID_SIZE = 4
# signed-note "Format": verifiers SHOULD limit the number of signatures and MUST accept at
# least 16. 100 is golang.org/x/mod's limit; a 101st line makes the note malformed.
MAX_SIGNATURES = 100

_SIG_PREFIX = "\u2014 "  # em dash, space
_SKEY_PREFIX = "PRIVATE+KEY+"
_HEX_KEY_ID = re.compile(r"[0-9a-f]{8}")
# signed-note "Format": no ASCII control characters other than newline.
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")


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


def valid_key_name(name: str) -> bool:
    """Tell whether ``name`` may be used as a key name.

    signed-note "Format": key names MUST be non-empty and MUST NOT contain Unicode spaces
    or plus (U+002B). We also refuse ASCII control characters (a name is written into the
    note, which may not contain them) and strings that are not encodable as UTF-8.

    Args:
        name: The candidate name.

    Returns:
        True if the name is acceptable.
    """
    if not name or "+" in name or _CONTROL.search(name):
        return False
    if any(ch.isspace() for ch in name):
        return False
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not valid_key_name(name):
        raise NoteError(f"invalid key name {name!r}")


def _check_key_type(key_type: int) -> None:
    if key_type not in _KEY_TYPES:
        raise NoteError(f"unsupported signature type {key_type:#04x}")


def _check_text(text: str) -> None:
    # signed-note "Format": the text ends in a newline, is valid UTF-8 and has no control
    # characters other than newline.
    if not isinstance(text, str) or not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    if _CONTROL.search(text):
        raise NoteError("note text contains a control character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise NoteError("note text is not valid Unicode") from e


def _parse_hex_key_id(text: str) -> bytes:
    if not _HEX_KEY_ID.fullmatch(text):
        raise NoteError("key ID must be 8 lowercase hex digits")
    return bytes.fromhex(text)


def _decode_b64(text: str, what: str) -> bytes:
    try:
        return strict_b64decode(text)
    except ValueError as e:
        raise NoteError(f"{what} is not canonical base64") from e


@dataclass(frozen=True, slots=True)
class NoteSignature:
    """One signature line of a note: who signed, and the signature bytes.

    Attributes:
        name: The key name.
        key_id: The 4-byte key ID.
        signature: The bytes after the key ID: 64 for an Ed25519 note signature, 72 for an
            Ed25519 cosignature (8-byte timestamp, then 64 signature bytes).

    Raises:
        NoteError: If the name is invalid, the key ID is not 4 bytes or the signature is
            empty.
    """

    name: str
    key_id: bytes
    signature: bytes

    def __post_init__(self) -> None:
        _check_name(self.name)
        if not isinstance(self.key_id, bytes) or len(self.key_id) != KEY_ID_SIZE:
            raise NoteError("key ID must be 4 bytes")
        if not isinstance(self.signature, bytes) or not self.signature:
            raise NoteError("signature must not be empty")

    def to_line(self) -> str:
        """Format the signature line, ``"— <name> base64(key ID || signature)\\n"``."""
        b64 = base64.b64encode(self.key_id + self.signature).decode("ascii")
        return f"{_SIG_PREFIX}{self.name} {b64}\n"

    @classmethod
    def from_line(cls, line: str) -> NoteSignature:
        """Parse one signature line, with or without its final newline.

        Args:
            line: ``"— <name> <base64>"``, optionally followed by one ``"\\n"``.

        Returns:
            The parsed signature.

        Raises:
            NoteError: If the line is not a well-formed signature line.
        """
        if line.endswith("\n"):
            line = line[:-1]
        # signed-note "Format": em dash, space, key name, space, base64, newline.
        if not line.startswith(_SIG_PREFIX) or "\n" in line:
            raise NoteError("signature line must start with an em dash and a space")
        name, sep, b64 = line[len(_SIG_PREFIX) :].partition(" ")
        if not sep:
            raise NoteError("signature line has no signature")
        _check_name(name)
        raw = _decode_b64(b64, "signature")
        # signed-note "Format": base64 of 4+n bytes, the key ID then the signature.
        if len(raw) <= KEY_ID_SIZE:
            raise NoteError("signature is too short")
        return cls(name=name, key_id=raw[:KEY_ID_SIZE], signature=raw[KEY_ID_SIZE:])


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


@dataclass(frozen=True, slots=True)
class Note:
    """A parsed signed note: its text and its signature lines, in order.

    Attributes:
        text: The note text, including its final newline but not the blank line.
        signatures: The signature lines, 1 to ``MAX_SIGNATURES`` of them.

    Raises:
        NoteError: If the text is not a valid note text or the number of signatures is
            out of range.
    """

    text: str
    signatures: tuple[NoteSignature, ...]

    def __post_init__(self) -> None:
        _check_text(self.text)
        object.__setattr__(self, "signatures", tuple(self.signatures))
        # signed-note "Format": one or more signature lines.
        if not self.signatures:
            raise NoteError("a signed note has at least one signature")
        if len(self.signatures) > MAX_SIGNATURES:
            raise NoteError(f"a signed note has at most {MAX_SIGNATURES} signatures")

    @classmethod
    def from_bytes(cls, message: bytes) -> Note:
        """Parse a signed note strictly.

        Args:
            message: The note bytes.

        Returns:
            The parsed note. Nothing is verified yet; use :func:`open_note`.

        Raises:
            NoteError: If the bytes are not valid UTF-8, contain a control character other
                than newline, have no blank line followed by signature lines, or have a
                malformed or excess signature line.
        """
        # signed-note "Format": valid UTF-8, no control characters other than newline.
        try:
            decoded = message.decode("utf-8")
        except UnicodeDecodeError as e:
            raise NoteError("note is not valid UTF-8") from e
        if _CONTROL.search(decoded):
            raise NoteError("note contains a control character")
        # signed-note "Format": the text is separated from the signatures by the LAST
        # empty line; the text keeps its final newline.
        split = decoded.rfind("\n\n")
        if split < 0:
            raise NoteError("note has no blank line before its signatures")
        text, block = decoded[: split + 1], decoded[split + 2 :]
        if not block or not block.endswith("\n"):
            raise NoteError("signature block must be non-empty and end with a newline")
        lines = block[:-1].split("\n")
        if len(lines) > MAX_SIGNATURES:
            raise NoteError(f"a signed note has at most {MAX_SIGNATURES} signatures")
        return cls(text=text, signatures=tuple(NoteSignature.from_line(ln) for ln in lines))

    def to_bytes(self) -> bytes:
        """Serialize: the text, a blank line, then each signature line."""
        lines = "".join(sig.to_line() for sig in self.signatures)
        return f"{self.text}\n{lines}".encode()


@dataclass(frozen=True, slots=True)
class OpenedNote:
    """The result of :func:`open_note`: a note with at least one verified signature.

    Attributes:
        text: The note text, now authenticated by the ``verified`` keys.
        verified: Lines by trusted keys, all of which verified, in note order.
        unknown: Lines whose (name, key ID) matches no trusted key, ignored, in note order.
    """

    text: str
    verified: tuple[NoteSignature, ...]
    unknown: tuple[NoteSignature, ...]


def sign_note(text: str, signers: Sequence[NoteSigner]) -> bytes:
    """Sign ``text`` with each signer, in the order given, and return the signed note.

    The text may contain empty lines (signed-note "Format"); it must end with a newline and
    contain no control characters other than newline. A signer that repeats an earlier
    (name, key ID) is skipped.

    Args:
        text: The note text.
        signers: One or more signers of type ``ED25519_TYPE``.

    Returns:
        The signed note bytes.

    Raises:
        NoteError: If the text is not a valid note text or there are no signers.
        ValueError: If a signer is a cosigner (type ``COSIGNATURE_V1_TYPE``): cosignatures
            sign a framed message, see ``cosignature.cosign``.
    """
    _check_text(text)
    if text.startswith(COSIGNATURE_V1_HEADER):
        # Domain separation (tlog-cosignature "Ed25519 signed message"): a plain note must
        # never look like a cosigned message, since both may be signed by the same key.
        raise NoteError("note text may not start with the cosignature/v1 header")
    message = text.encode("utf-8")
    seen: set[tuple[str, bytes]] = set()
    sigs: list[NoteSignature] = []
    for signer in signers:
        if signer.key_type != ED25519_TYPE:
            raise ValueError("sign_note needs Ed25519 note signers; use cosign for cosigners")
        ident = (signer.name, signer.key_id)
        if ident in seen:
            continue
        seen.add(ident)
        sig = signer.sign(message)
        assert len(sig) == SIGNATURE_SIZE
        sigs.append(NoteSignature(name=signer.name, key_id=signer.key_id, signature=sig))
    return Note(text=text, signatures=tuple(sigs)).to_bytes()


def add_signatures(note: bytes, signatures: Sequence[NoteSignature]) -> bytes:
    """Append signature lines to a signed note, e.g. to attach cosignatures.

    A line whose (name, key ID) is already in the note, or earlier in ``signatures``, is
    skipped: the first line for a key wins. Nothing is verified here.

    Args:
        note: A signed note.
        signatures: The lines to append, in order.

    Returns:
        The note with the new lines at the end.

    Raises:
        NoteError: If ``note`` is malformed or the result would exceed ``MAX_SIGNATURES``.
    """
    parsed = Note.from_bytes(note)
    seen = {(s.name, s.key_id) for s in parsed.signatures}
    merged = list(parsed.signatures)
    for sig in signatures:
        ident = (sig.name, sig.key_id)
        if ident in seen:
            continue
        seen.add(ident)
        merged.append(sig)
    return Note(text=parsed.text, signatures=tuple(merged)).to_bytes()


def verify_note(note: Note, verifiers: Sequence[NoteVerifier]) -> OpenedNote:
    """Verify an already parsed note against trusted keys; see :func:`open_note`.

    Args:
        note: The parsed note.
        verifiers: The trusted keys. Only ``ED25519_TYPE`` verifiers are used.

    Returns:
        The verified and the ignored lines.

    Raises:
        NoteSignatureError: If a line by a trusted key fails to verify, or none verifies.
    """
    trusted: dict[tuple[str, bytes], list[NoteVerifier]] = {}
    for v in verifiers:
        if v.key_type == ED25519_TYPE:
            trusted.setdefault((v.name, v.key_id), []).append(v)
    message = note.text.encode("utf-8")
    verified: list[NoteSignature] = []
    unknown: list[NoteSignature] = []
    for sig in note.signatures:
        candidates = trusted.get((sig.name, sig.key_id))
        # signed-note "Signatures": ignore lines from unknown keys, even if they share a
        # name or an ID (but not both) with a known key.
        if candidates is None:
            unknown.append(sig)
            continue
        # signed-note "Signatures": a known key's line MUST be verified, and if it fails
        # clients SHOULD reject the whole note. We do.
        if not any(v.verify(message, sig.signature) for v in candidates):
            raise NoteSignatureError(
                f"invalid signature by trusted key {sig.name!r} ({sig.key_id.hex()})"
            )
        verified.append(sig)
    # signed-note "Signatures": if no known key's signature verifies, reject the note.
    if not verified:
        raise NoteSignatureError("no verified signature by a trusted key")
    return OpenedNote(text=note.text, verified=tuple(verified), unknown=tuple(unknown))


def open_note(message: bytes, verifiers: Sequence[NoteVerifier]) -> OpenedNote:
    """Parse a signed note and verify it against trusted keys.

    Lines whose (name, key ID) match no trusted ``ED25519_TYPE`` key are returned as
    ``unknown``. Cosigner keys (``COSIGNATURE_V1_TYPE``) are not used here: their lines are
    ``unknown`` too; check them with ``cosignature.verify_cosignature``.

    Args:
        message: The signed note bytes.
        verifiers: The trusted keys.

    Returns:
        The authenticated text with its verified and ignored lines.

    Raises:
        NoteError: If the note is malformed (and not a signature problem).
        NoteSignatureError: If a line by a trusted key fails to verify ("invalid
            signature"), or no line by a trusted key exists ("no verified signature").
    """
    return verify_note(Note.from_bytes(message), verifiers)
