"""C2SP transparency log checkpoints (c2sp.org/tlog-checkpoint): a signed tree head.

Model
-----
A checkpoint is the text of a signed note with at least three non-empty lines::

    example.com/behind-the-sofa                     origin: which log
    20852163                                        tree size, decimal
    CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=    RFC 6962 root hash, base64
    (extension lines, optional, opaque)

In openline every log is one direction of a link; its owner signs each checkpoint as a
plain Ed25519 note signature (type 0x01, ``note.sign_note``). Other parties attach
cosignatures (``cosignature.py``) to the same note.

:class:`Checkpoint` validates itself, so a value that exists always has a text that
:meth:`Checkpoint.from_text` reads back to an equal value. Parsing is strict: one spelling
per checkpoint (no leading zeros, canonical base64, a final newline, no empty lines).

:func:`open_checkpoint` verifies the note first and only then reads the body: signed-note
says the text MUST be ignored until a trusted signature has been verified.

The log's key name SHOULD match the origin line (tlog-checkpoint "Signatures"); this module
does not require it, because the caller picks the verifier and checks the origin against
what it expects (e.g. the ``sumdb`` checkpoint has origin "go.sum database tree" and key
name "sum.golang.org").
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from openline.core.errors import NoteError, NoteSignatureError
from openline.core.keys import strict_b64decode
from openline.core.note import (
    ED25519_TYPE,
    Note,
    NoteSigner,
    NoteVerifier,
    sign_note,
    verify_note,
)

__all__ = ["HASH_SIZE", "MAX_TREE_SIZE", "Checkpoint", "open_checkpoint", "sign_checkpoint"]

HASH_SIZE = 32
MAX_TREE_SIZE = 2**64 - 1

# tlog-checkpoint "Note text" 2: ASCII decimal with no leading zeroes, "0" for the empty tree.
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
# signed-note "Format": no ASCII control characters (a line may not contain a newline either).
_CONTROL = re.compile(r"[\x00-\x1f]")


def _check_line(line: str, what: str) -> None:
    if not isinstance(line, str) or not line:
        raise NoteError(f"checkpoint {what} must be non-empty")
    if _CONTROL.search(line):
        raise NoteError(f"checkpoint {what} contains a newline or control character")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A log's tree head: origin, size and root hash, plus optional extension lines.

    Attributes:
        origin: The log's identity; non-empty, one line.
        size: The number of leaves, ``0 <= size < 2**64``.
        root: The 32-byte RFC 6962 root hash at ``size``.
        extensions: Opaque extension lines, each non-empty (tlog-checkpoint "Note text" 4;
            their use is NOT RECOMMENDED).

    Raises:
        NoteError: If a field breaks these rules.
    """

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # tlog-checkpoint "Note text" 1: the origin MUST be non-empty.
        _check_line(self.origin, "origin")
        if isinstance(self.size, bool) or not isinstance(self.size, int):
            raise NoteError("checkpoint size must be an integer")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise NoteError("checkpoint size must be in [0, 2**64)")
        if not isinstance(self.root, bytes) or len(self.root) != HASH_SIZE:
            raise NoteError(f"checkpoint root must be {HASH_SIZE} bytes")
        object.__setattr__(self, "extensions", tuple(self.extensions))
        # tlog-checkpoint "Note text" 4: extension lines, if any, MUST be non-empty.
        for line in self.extensions:
            _check_line(line, "extension line")

    def to_text(self) -> str:
        """Format the note text: origin, size, base64 root, extensions, one per line."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode("ascii")]
        lines.extend(self.extensions)
        return "".join(f"{line}\n" for line in lines)

    @classmethod
    def from_text(cls, text: str) -> Checkpoint:
        """Parse a checkpoint note text strictly.

        Args:
            text: The note text (without signatures), ending in a newline.

        Returns:
            The checkpoint.

        Raises:
            NoteError: If the text has fewer than three lines, does not end in a newline,
                has an empty line, a size that is not canonical decimal below 2**64, or a
                root that is not canonical base64 of 32 bytes.
        """
        # tlog-checkpoint "Note text": at least three non-empty lines, each ending in a
        # newline (the note text ends with one).
        if not text.endswith("\n"):
            raise NoteError("checkpoint text must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise NoteError("checkpoint text has fewer than three lines")
        origin, size_line, root_line, *extensions = lines
        # tlog-checkpoint "Note text" 2: decimal, no leading zeroes.
        if not _DECIMAL.fullmatch(size_line):
            raise NoteError("checkpoint size is not a canonical decimal number")
        # Bound the length before converting, so a huge line costs nothing.
        if len(size_line) > len(str(MAX_TREE_SIZE)):
            raise NoteError("checkpoint size must be below 2**64")
        # tlog-checkpoint "Note text" 3: base64 (RFC 4648 §4) of the RFC 6962 root hash.
        try:
            root = strict_b64decode(root_line)
        except ValueError as e:
            raise NoteError("checkpoint root is not canonical base64") from e
        return cls(origin=origin, size=int(size_line), root=root, extensions=tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, signer: NoteSigner) -> bytes:
    """Sign a checkpoint as a signed note.

    Args:
        checkpoint: The tree head.
        signer: The log's signer, of type ``ED25519_TYPE``.

    Returns:
        The signed note bytes.

    Raises:
        ValueError: If ``signer`` is not an Ed25519 note signer.
        NoteError: If the origin is ``cosignature/v1``: that text is reserved for
            cosigned messages (see ``note.sign_note``).
    """
    return sign_note(checkpoint.to_text(), [signer])


def open_checkpoint(message: bytes, verifier: NoteVerifier) -> tuple[Checkpoint, Note]:
    """Verify a signed checkpoint against the log's key and parse it.

    Signature lines by other keys (cosigners, old log keys) are ignored here; find and
    verify cosignatures in the returned note with ``cosignature.py``.

    Args:
        message: The signed note bytes.
        verifier: The log's key (type ``ED25519_TYPE``).

    Returns:
        The checkpoint and the parsed note (with all its signature lines).

    Raises:
        NoteError: If the note is malformed, or verified but its text is not a checkpoint.
        NoteSignatureError: If ``verifier`` has no valid signature line in the note, or its
            line fails to verify.
        ValueError: If ``verifier`` is not an Ed25519 note verifier.
    """
    if verifier.key_type != ED25519_TYPE:
        raise ValueError("checkpoints are opened with an Ed25519 note verifier")
    note = Note.from_bytes(message)
    opened = verify_note(note, [verifier])
    # With one trusted key, a verified line is necessarily that key's; checked anyway.
    if not any(verifier.matches(sig) for sig in opened.verified):
        raise NoteSignatureError(f"checkpoint is not signed by {verifier.name!r}")
    return Checkpoint.from_text(opened.text), note
