"""Building proof bundles from a node's logs: the entries with what shows them included.

The node (``openline prove``) gathers the leaves, inclusion proofs and checkpoints; this
module keeps of each checkpoint only the signature lines the claim needs and writes the
bundle (:mod:`openline.core.proof_format`). The claims are described in
:mod:`openline.core.proofs`, which re-exports these names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from openline.core.cosignature import COSIGNATURE_SIZE
from openline.core.entry import Entry
from openline.core.errors import EntryError, NoteError
from openline.core.keys import SIGNATURE_SIZE
from openline.core.note import Note
from openline.core.obligations import PROVABLE_DEADLINES, deadline
from openline.core.proof_format import ProofError, TlogProof, bundle_to_bytes, encode_b64
from openline.core.proof_times import whole_seconds
from openline.core.timefmt import parse_time


@dataclass(frozen=True, slots=True)
class IncludedEntry:
    """An entry with what shows it is in its log.

    Attributes:
        leaf: The entry's exact leaf bytes.
        index: Its seq in its log.
        inclusion: The RFC 9162 inclusion proof at the checkpoint's size.
        checkpoint_note: The log owner's signed checkpoint with the cosignature line(s)
            the claim needs; other lines are dropped by the builders.
    """

    leaf: bytes
    index: int
    inclusion: Sequence[bytes]
    checkpoint_note: bytes


def delivery_proof(entry: IncludedEntry) -> bytes:
    """Prove that an entry was delivered: its inclusion under a checkpoint that its sender
    signed and its recipient cosigned.

    Raises:
        ProofError: code ``bad-input`` if the leaf is no entry or the note lacks the
            sender's signature or the recipient's cosignature.
    """
    return bundle_to_bytes(
        {"claim": "delivery", "entry": _tlog_proof(entry, "entry", required=True)}
    )


def answer_proof(request: IncludedEntry, answer: IncludedEntry) -> bytes:
    """Prove that a request was answered: the request's delivery and the answer's inclusion
    under a checkpoint of the answerer, with the requester's cosignature if the note has it.

    Raises:
        ProofError: code ``bad-input`` as :func:`delivery_proof`.
    """
    return bundle_to_bytes(
        {
            "claim": "answer",
            "request": _tlog_proof(request, "request", required=True),
            "answer": _tlog_proof(answer, "answer", required=False),
        }
    )


def unanswered_proof(
    request: IncludedEntry,
    *,
    prefix_note: bytes | None,
    prefix_range: Sequence[bytes],
    suffix_leaves: Sequence[bytes],
    final_note: bytes,
) -> bytes:
    """Prove that a request went unanswered past its deadline.

    Args:
        request: The request with its delivery (a checkpoint cosigned by the recipient R).
        prefix_note: R's checkpoint of its log to the requester at size k, self-cosigned
            no later than :func:`latest_prefix_timestamp`; None for k = 0.
        prefix_range: The compact range of ``[0, k)`` (``MerkleTree.compact_range(k)``).
        suffix_leaves: The leaves ``k .. N-1`` of R's log, in order.
        final_note: R's checkpoint at size N, self-cosigned at or after
            :func:`earliest_final_timestamp`.

    Raises:
        ProofError: code ``bad-input`` as :func:`delivery_proof`, or if a note lacks R's
            signature or self-cosignature.
    """
    parsed = _parse_input_leaf(request.leaf, "request")
    owner = parsed.recipient

    def own_checkpoint(note: bytes, where: str) -> str:
        return _select_lines(note, owner, owner, required=True, where=where).decode("utf-8")

    counterpart = {
        "prefix_checkpoint": None
        if prefix_note is None
        else own_checkpoint(prefix_note, "prefix checkpoint"),
        "prefix_range": [encode_b64(item) for item in prefix_range],
        "entries": [encode_b64(leaf) for leaf in suffix_leaves],
        "checkpoint": own_checkpoint(final_note, "final checkpoint"),
    }
    return bundle_to_bytes(
        {
            "claim": "unanswered",
            "request": _tlog_proof(request, "request", required=True),
            "counterpart": counterpart,
        }
    )


def latest_prefix_timestamp(request: Entry) -> int:
    """The latest self-cosignature timestamp a prefix checkpoint may carry for ``request``:
    the whole second must end no later than the request's signed time."""
    return whole_seconds(parse_time(request.time)) - 1


def earliest_final_timestamp(request: Entry, delivered_at: datetime) -> int:
    """The earliest self-cosignature timestamp of a final checkpoint that shows ``request``
    unanswered, strictly after its deadline.

    Raises:
        ValueError: ``request`` has no deadline from signed data.
    """
    due = deadline(request, delivered_at) if request.kind in PROVABLE_DEADLINES else None
    if due is None:
        raise ValueError(f"a {request.kind} has no provable deadline")
    return whole_seconds(due) + 1


def _parse_input_leaf(leaf: bytes, where: str) -> Entry:
    try:
        return Entry.from_leaf(leaf)
    except EntryError as error:
        raise ProofError(f"{where} leaf is not an entry: {error}", code="bad-input") from error


def _tlog_proof(entry: IncludedEntry, where: str, *, required: bool) -> str:
    parsed = _parse_input_leaf(entry.leaf, where)
    note = _select_lines(
        entry.checkpoint_note, parsed.sender, parsed.recipient, required=required, where=where
    )
    return TlogProof(entry.leaf, entry.index, tuple(entry.inclusion), note).to_text()


def _select_lines(note: bytes, owner: str, cosigner: str, *, required: bool, where: str) -> bytes:
    """Keep only the owner's note signature and the cosigner's cosignature, in that order."""
    try:
        parsed = Note.from_bytes(note)
    except NoteError as error:
        raise ProofError(f"{where} checkpoint: {error}", code="bad-input") from error
    signed = [
        s for s in parsed.signatures if s.name == owner and len(s.signature) == SIGNATURE_SIZE
    ]
    cosigned = [
        s for s in parsed.signatures if s.name == cosigner and len(s.signature) == COSIGNATURE_SIZE
    ]
    if not signed:
        raise ProofError(f"{where} checkpoint is not signed by {owner}", code="bad-input")
    if required and not cosigned:
        raise ProofError(f"{where} checkpoint is not cosigned by {cosigner}", code="bad-input")
    return Note(text=parsed.text, signatures=(signed[0], *cosigned[:1])).to_bytes()
