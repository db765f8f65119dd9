"""Checking the parts every proof claim rests on, against the parties' cards.

An entry, signed by its sender, included at its seq under a checkpoint of its log whose
lines are exactly the owner's note signature and, as the claim needs, one cosignature.
Checking is strict: every signature line expected, every entry in its log and place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from openline.core.card import Card
from openline.core.checkpoint import Checkpoint
from openline.core.cosignature import Cosignature, verify_cosignature
from openline.core.entry import Entry, verify_entry_signature
from openline.core.errors import EntryError, NoteError
from openline.core.keys import SIGNATURE_SIZE
from openline.core.link import log_origin
from openline.core.merkle import leaf_hash, verify_inclusion
from openline.core.note import Note, NoteSignature
from openline.core.proof_format import ProofError, TlogProof
from openline.core.proof_times import cosignature_time


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    """A checkpoint whose signature lines all verified."""

    checkpoint: Checkpoint
    cosigned_at: int | None


class Cards:
    """The parties' cards by party: several cards of one party are all trusted."""

    def __init__(self, cards: Iterable[Card]) -> None:
        self._by_party: dict[str, list[Card]] = {}
        for card in cards:
            self._by_party.setdefault(card.party, []).append(card)

    def of(self, party: str) -> list[Card]:
        found = self._by_party.get(party)
        if not found:
            raise ProofError(f"no card for {party} was given", code="missing-card")
        return found


def parse_entry(leaf: bytes, where: str) -> Entry:
    try:
        return Entry.from_leaf(leaf)
    except EntryError as error:
        raise ProofError(f"{where} is not a valid entry: {error}", code="bad-entry") from error


def check_entry_signature(entry: Entry, keys: Cards, where: str) -> None:
    if not any(verify_entry_signature(entry, card.key) for card in keys.of(entry.sender)):
        raise ProofError(
            f"{where} (seq {entry.seq}) is not signed by {entry.sender}'s key",
            code="bad-signature",
        )


def check_delivered(text: str, where: str, keys: Cards) -> tuple[Entry, datetime]:
    """An entry, its signature and its inclusion under a checkpoint its recipient cosigned;
    returns the entry and the time of that cosignature."""
    entry, signed = check_included(text, where, keys, cosigned=True)
    assert signed.cosigned_at is not None
    return entry, cosignature_time(signed.cosigned_at, f"{where} checkpoint cosignature")


def check_included(
    text: str,
    where: str,
    keys: Cards,
    *,
    cosigned: bool | None,
    log: tuple[str, str] | None = None,
) -> tuple[Entry, SignedCheckpoint]:
    """An entry (of the ``log`` (sender, recipient) if given), its signature, and its
    inclusion under a checkpoint its sender signed and its recipient cosigned (required if
    ``cosigned``, optional if None)."""
    part = TlogProof.from_text(text, where)
    entry = parse_entry(part.leaf, f"{where} leaf")
    if log is not None and (entry.sender, entry.recipient) != log:
        raise ProofError(
            f"{where} is in the {entry.sender}→{entry.recipient} log, not {log[0]}→{log[1]}",
            code="wrong-log",
        )
    if part.index != entry.seq:
        raise ProofError(
            f"{where} proof is for index {part.index}, the entry has seq {entry.seq}",
            code="wrong-log",
        )
    check_entry_signature(entry, keys, where)
    signed = open_signed_checkpoint(
        part.note,
        f"{where} checkpoint",
        keys,
        owner=entry.sender,
        cosigner=entry.recipient,
        cosigned=cosigned,
    )
    checkpoint = signed.checkpoint
    if checkpoint.origin != log_origin(entry.sender, entry.recipient):
        raise ProofError(
            f"{where} checkpoint is of log {checkpoint.origin!r}, not "
            f"{log_origin(entry.sender, entry.recipient)!r}",
            code="wrong-log",
        )
    if not verify_inclusion(
        leaf_hash(part.leaf), part.index, checkpoint.size, part.hashes, checkpoint.root
    ):
        raise ProofError(
            f"{where} is not included at index {part.index} of the checkpoint of size "
            f"{checkpoint.size}",
            code="not-included",
        )
    return entry, signed


def open_signed_checkpoint(
    note_bytes: bytes, where: str, keys: Cards, *, owner: str, cosigner: str, cosigned: bool | None
) -> SignedCheckpoint:
    """Parse and verify a checkpoint whose lines are exactly: the owner's note signature,
    then the cosigner's cosignature (required if ``cosigned``, optional if None)."""
    # Note.from_bytes is strict (canonical base64, no stray text): one spelling per note.
    try:
        note = Note.from_bytes(note_bytes)
    except NoteError as error:
        raise ProofError(f"{where}: {error}", code="malformed") from error
    first, *rest = note.signatures
    _check_note_signature(note, first, where, keys, owner)
    # signed-note: the text is read only once a trusted signature verified.
    try:
        checkpoint = Checkpoint.from_text(note.text)
    except NoteError as error:
        raise ProofError(f"{where}: {error}", code="malformed") from error
    if checkpoint.extensions:
        raise ProofError(f"{where} has extension lines", code="malformed")
    most = 0 if cosigned is False else 1
    if len(rest) > most or (cosigned and not rest):
        raise ProofError(
            f"{where} must carry {owner}'s signature"
            + ("" if cosigned is False else f" and {cosigner}'s cosignature")
            + (" (optional)" if cosigned is None else "")
            + f", and nothing else; it has {len(note.signatures)} lines",
            code="bad-signature",
        )
    if not rest:
        return SignedCheckpoint(checkpoint, None)
    timestamp = _check_cosignature(checkpoint, rest[0], where, keys, cosigner)
    return SignedCheckpoint(checkpoint, timestamp)


def _check_note_signature(
    note: Note, line: NoteSignature, where: str, keys: Cards, owner: str
) -> None:
    verifiers = [card.note_verifier() for card in keys.of(owner)]
    message = note.text.encode("utf-8")
    if not (
        len(line.signature) == SIGNATURE_SIZE
        and any(v.matches(line) and v.verify(message, line.signature) for v in verifiers)
    ):
        raise ProofError(
            f"{where}: its first line is not a valid signature by {owner}'s key",
            code="bad-signature",
        )


def _check_cosignature(
    checkpoint: Checkpoint, line: NoteSignature, where: str, keys: Cards, cosigner: str
) -> int:
    verifiers = [card.cosignature_verifier() for card in keys.of(cosigner)]
    try:
        cosignature = Cosignature.from_note_signature(line)
    except NoteError as error:
        raise ProofError(
            f"{where}: its cosignature line is not a cosignature by {cosigner}: {error}",
            code="bad-signature",
        ) from error
    if not any(verify_cosignature(checkpoint, cosignature, v) for v in verifiers):
        raise ProofError(
            f"{where}: its cosignature is not a valid cosignature by {cosigner}'s key",
            code="bad-signature",
        )
    return cosignature.timestamp
