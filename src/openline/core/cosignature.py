"""C2SP tlog cosignatures, Ed25519 ``cosignature/v1`` (c2sp.org/tlog-cosignature).

Model
-----
A cosignature is a note signature line added to a checkpoint by a *cosigner*: "as of time
T, the largest consistent tree I have seen for this origin has this root". In openline a
node cosigns the checkpoints of its peers' logs when it accepts a batch (that cosignature
is the delivery receipt) and its own checkpoints (so that "as of T my log had size N" is a
signed statement).

The line is ``— <name> base64(key ID || timestamp || signature)`` where (tlog-cosignature
"Format"):

* the key ID is SHA-256(name || 0x0A || 0x04 || 32-byte Ed25519 public key)[:4];
* the timestamp is a big-endian u64 POSIX time, at most 2**63 - 1;
* the signature is Ed25519 over the message of "Ed25519 signed message"::

      cosignature/v1
      time <timestamp>
      <the checkpoint note text, all of it, extension lines included>

Timestamps are always passed in; nothing here reads a clock.

One key, two roles
------------------
A party uses the same Ed25519 key to sign its own checkpoints (signature type 0x01) and to
cosign (type 0x04). This is safe:

* The key IDs differ, because the type byte is hashed into them (signed-note
  "Signatures"), so a verifier never mistakes one kind of line for the other: an 0x01
  verifier treats a cosignature line as an unknown key and vice versa.
* The signed messages cannot collide. Every cosigned message starts with the header line
  ``cosignature/v1``, which provides domain separation; :func:`note.sign_note` refuses to
  sign a note text that starts with it, so no plain note signature by the same key can be
  replayed as a cosignature. (Other things the key signs, such as RFC 8785 JSON entries and
  cards, start with ``{`` and never end in a newline, so they are neither.)

Because the v1 message does not commit to the cosigner's name, one key must not be used by
two different cosigners (tlog-cosignature "Ed25519 signed message"); in openline one party
has one cosigner name, its party id.
"""

from __future__ import annotations

from dataclasses import dataclass

from openline.core.checkpoint import Checkpoint
from openline.core.errors import NoteError
from openline.core.keys import SIGNATURE_SIZE, PrivateKey
from openline.core.note import (
    COSIGNATURE_V1_HEADER,
    COSIGNATURE_V1_TYPE,
    KEY_ID_SIZE,
    Note,
    NoteSignature,
    NoteSigner,
    NoteVerifier,
)

__all__ = [
    "COSIGNATURE_SIZE",
    "MAX_TIMESTAMP",
    "Cosignature",
    "cosign",
    "cosigned_message",
    "cosigner",
    "find_cosignatures",
    "verify_cosignature",
]

# tlog-cosignature "Format": the timestamp MUST NOT exceed 2^63 - 1.
MAX_TIMESTAMP = 2**63 - 1
_TIMESTAMP_SIZE = 8
# timestamped_signature: u64 timestamp || 64-byte Ed25519 signature.
COSIGNATURE_SIZE = _TIMESTAMP_SIZE + SIGNATURE_SIZE


def _check_timestamp(timestamp: int) -> None:
    if isinstance(timestamp, bool) or not isinstance(timestamp, int):
        raise NoteError("cosignature timestamp must be an integer")
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise NoteError("cosignature timestamp must be in [0, 2**63 - 1]")


def cosigned_message(checkpoint_text: str, timestamp: int) -> bytes:
    """Build the message an Ed25519 cosigner signs (tlog-cosignature "Ed25519 signed message").

    Args:
        checkpoint_text: The checkpoint's note text (see ``Checkpoint.to_text``).
        timestamp: POSIX seconds, ``0 <= timestamp <= 2**63 - 1``.

    Returns:
        ``b"cosignature/v1\\ntime <timestamp>\\n" + checkpoint_text``.

    Raises:
        NoteError: If the text is not a checkpoint or the timestamp is out of range.
    """
    _check_timestamp(timestamp)
    Checkpoint.from_text(checkpoint_text)
    # "The timestamp line MUST consist of the string `time`, a single space (0x20), and
    # timestamped_signature.timestamp encoded as an ASCII decimal with no leading zeroes."
    return f"{COSIGNATURE_V1_HEADER}time {timestamp}\n{checkpoint_text}".encode()


@dataclass(frozen=True, slots=True)
class Cosignature:
    """A parsed Ed25519 cosignature line.

    Attributes:
        name: The cosigner's key name.
        key_id: The 4-byte key ID (of signature type 0x04).
        timestamp: POSIX seconds when it was made, at most 2**63 - 1.
        signature: The 64-byte Ed25519 signature over :func:`cosigned_message`.

    Raises:
        NoteError: If a field is out of range.
    """

    name: str
    key_id: bytes
    timestamp: int
    signature: bytes

    def __post_init__(self) -> None:
        _check_timestamp(self.timestamp)
        if not isinstance(self.signature, bytes) or len(self.signature) != SIGNATURE_SIZE:
            raise NoteError(f"cosignature signature must be {SIGNATURE_SIZE} bytes")
        if not isinstance(self.key_id, bytes) or len(self.key_id) != KEY_ID_SIZE:
            raise NoteError(f"key ID must be {KEY_ID_SIZE} bytes")
        # Validates the name (signed-note "Format").
        self.to_note_signature()

    def to_note_signature(self) -> NoteSignature:
        """Return the note signature: ``timestamp`` (big-endian u64) then the signature."""
        payload = self.timestamp.to_bytes(_TIMESTAMP_SIZE, "big") + self.signature
        return NoteSignature(name=self.name, key_id=self.key_id, signature=payload)

    @classmethod
    def from_note_signature(cls, sig: NoteSignature) -> Cosignature:
        """Read a note signature line as an Ed25519 cosignature.

        Args:
            sig: The signature line.

        Returns:
            The cosignature (not yet verified).

        Raises:
            NoteError: If the signature is not 72 bytes or its timestamp exceeds 2**63 - 1.
        """
        if len(sig.signature) != COSIGNATURE_SIZE:
            raise NoteError(f"an Ed25519 cosignature is {COSIGNATURE_SIZE} bytes")
        timestamp = int.from_bytes(sig.signature[:_TIMESTAMP_SIZE], "big")
        return cls(
            name=sig.name,
            key_id=sig.key_id,
            timestamp=timestamp,
            signature=sig.signature[_TIMESTAMP_SIZE:],
        )

    def to_line(self) -> str:
        """Format the note signature line, ending in a newline."""
        return self.to_note_signature().to_line()

    @classmethod
    def from_line(cls, line: str) -> Cosignature:
        """Parse one ``— name base64`` cosignature line (not yet verified).

        Raises:
            NoteError: If it is not exactly one well-formed cosignature line.
        """
        return cls.from_note_signature(NoteSignature.from_line(line))


def cosigner(name: str, private_key: PrivateKey) -> NoteSigner:
    """Return the cosigner for ``name``: a signer of type ``COSIGNATURE_V1_TYPE``.

    Args:
        name: The cosigner's key name.
        private_key: Its Ed25519 key (may be the same key the party signs checkpoints with).

    Returns:
        The signer, whose key ID is computed with type 0x04.
    """
    return NoteSigner(name=name, private_key=private_key, key_type=COSIGNATURE_V1_TYPE)


def cosign(checkpoint: Checkpoint, signer: NoteSigner, timestamp: int) -> Cosignature:
    """Cosign a checkpoint at ``timestamp``.

    Args:
        checkpoint: The checkpoint, already verified by the caller.
        signer: A cosigner (see :func:`cosigner`).
        timestamp: POSIX seconds, passed in by the caller.

    Returns:
        The cosignature; attach it with ``note.add_signatures([c.to_note_signature()])``.

    Raises:
        ValueError: If ``signer`` is not of type ``COSIGNATURE_V1_TYPE``.
        NoteError: If the timestamp is out of range.
    """
    if signer.key_type != COSIGNATURE_V1_TYPE:
        raise ValueError("cosign needs a cosigner (key type 0x04); see cosigner()")
    message = cosigned_message(checkpoint.to_text(), timestamp)
    return Cosignature(
        name=signer.name,
        key_id=signer.key_id,
        timestamp=timestamp,
        signature=signer.sign(message),
    )


def verify_cosignature(
    checkpoint: Checkpoint, cosignature: Cosignature, verifier: NoteVerifier
) -> bool:
    """Check that ``verifier``'s cosigner made ``cosignature`` over ``checkpoint``.

    Args:
        checkpoint: The checkpoint the cosignature should cover.
        cosignature: The cosignature.
        verifier: The cosigner's key, of type ``COSIGNATURE_V1_TYPE``.

    Returns:
        True only if the verifier's type is 0x04, its name and key ID match the
        cosignature's, and the signature verifies. Never raises.
    """
    if verifier.key_type != COSIGNATURE_V1_TYPE:
        return False
    if verifier.name != cosignature.name or verifier.key_id != cosignature.key_id:
        return False
    message = cosigned_message(checkpoint.to_text(), cosignature.timestamp)
    return verifier.verify(message, cosignature.signature)


def find_cosignatures(note: Note) -> tuple[Cosignature, ...]:
    """Read every signature line of ``note`` that has the shape of an Ed25519 cosignature.

    Lines of another length (such as the log's own 64-byte signature) or with an
    out-of-range timestamp are skipped. Nothing is verified: pass each result to
    :func:`verify_cosignature` with the cosigner keys you trust.

    Args:
        note: A parsed note.

    Returns:
        The candidate cosignatures, in note order.
    """
    found: list[Cosignature] = []
    for sig in note.signatures:
        if len(sig.signature) != COSIGNATURE_SIZE:
            continue
        try:
            found.append(Cosignature.from_note_signature(sig))
        except NoteError:
            continue
    return tuple(found)
