"""The signed-note format (c2sp.org/signed-note "Format"): note text and signature lines.

:class:`Note` parses and serialises a whole note, :class:`NoteSignature` one signature line;
both check the rules of the spec's "Format" section (UTF-8, no control characters other than
newline, valid key names, canonical base64, 1 to :data:`MAX_SIGNATURES` lines) and raise
:class:`~openline.core.errors.NoteError` otherwise. Keys, signing and verification are built
on this in :mod:`openline.core.note_keys` and :mod:`openline.core.note`.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from openline.core.errors import NoteError
from openline.core.keys import strict_b64decode

__all__ = ["KEY_ID_SIZE", "MAX_SIGNATURES", "Note", "NoteSignature", "valid_key_name"]

KEY_ID_SIZE = 4
# signed-note "Format": verifiers SHOULD limit the number of signatures and MUST accept at
# least 16. 100 is golang.org/x/mod's limit; a 101st line makes the note malformed.
MAX_SIGNATURES = 100

_SIG_PREFIX = "\u2014 "  # em dash, space
# signed-note "Format": no ASCII control characters other than newline.
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")


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
