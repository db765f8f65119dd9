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

Where the code lives
--------------------
This module is the import path of all of the above; import from here. It holds signing and
verification; the note format (:class:`Note`, :class:`NoteSignature`) is in
``note_format``, and the keys (:func:`key_id`, :class:`NoteVerifier`, :class:`NoteSigner`)
in ``note_keys``, which builds on ``note_format``.

Everything here is pure: bytes in, values or bytes out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from openline.core.errors import NoteError, NoteSignatureError
from openline.core.keys import SIGNATURE_SIZE
from openline.core.note_format import (
    KEY_ID_SIZE,
    MAX_SIGNATURES,
    Note,
    NoteSignature,
    _check_text,
    valid_key_name,
)
from openline.core.note_keys import (
    COSIGNATURE_V1_TYPE,
    ED25519_TYPE,
    NoteSigner,
    NoteVerifier,
    key_id,
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

# tlog-cosignature "Ed25519 signed message": the header line that starts every message a
# cosigner signs. Plain notes may not start with it (see sign_note).
COSIGNATURE_V1_HEADER = "cosignature/v1\n"


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
