"""Proof bundles: delivery, answer and non-answer, checked offline with the parties' cards.

Model (the claims, the format and the checks in full: docs/proofs.md)
---------------------------------------------------------------------
A proof is one file that a third party checks with nothing but the two parties' cards.
It makes one of three claims about a request Q that S sent to R (entry E for delivery):

``delivery``
    E is at index ``E.seq`` of the S→R log under a checkpoint that S signed and R cosigned
    at ``t_d``: R's node held E no later than ``t_d`` (R's node cosigns automatically, only
    after storing, so the cosignature is the receipt).
``answer``
    Q's delivery as above, plus an answer A (``obligations.is_answer_to(A, Q)``) included in
    the R→S log under a checkpoint signed by R and, when available, cosigned by S (A's
    delivery time). The verdict says whether A came after Q's deadline.
``unanswered``
    Q's delivery at ``t_d <= D`` (``D = obligations.deadline(Q, t_d)``), plus R's own log
    to S up to a checkpoint of size N that R signed and self-cosigned at ``T > D``: the
    entries ``k .. N-1`` in full and the compact range of ``[0, k)``, which hides the
    prefix. For ``k > 0`` a checkpoint of size k, self-cosigned by R at ``T0`` with the
    whole second ``T0`` before Q's signed time, shows the prefix was fixed before Q existed.
    None of the disclosed entries answers Q.

Why the hidden prefix cannot hold an answer: an answer is dated no earlier than what it
answers (``is_answer_to``, and every node's door: ``link.check_refs``), and a node's
self-cosignature at ``T0`` covers only entries dated no later than ``T0`` (cosignature
timestamps are whole seconds, truncated, hence the one-second margin). So an answer to Q,
dated ``>= Q.time > T0 + 1 s``, is not in ``[0, k)``. It would also have to contain Q's id,
a hash of Q's signed bytes, which did not exist before S signed Q.

The bytes of a proof (the RFC 8785 JSON wrapper and its C2SP tlog-proof parts) are read and
written by :mod:`openline.core.proof_format`; this module decides what they mean. Checking
is strict: every signature line expected, every entry in its log and place.
:func:`check_proof` either returns a :class:`ProofVerdict` or raises :class:`ProofError`
(defined with the format, re-exported here) with a code and a message naming what failed.

Pure: no I/O, no clock. A proof speaks of the times its signatures carry, never of now.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from openline.core.card import Card
from openline.core.checkpoint import Checkpoint
from openline.core.cosignature import COSIGNATURE_SIZE, Cosignature, verify_cosignature
from openline.core.entry import Entry, verify_entry_signature
from openline.core.errors import EntryError, NoteError
from openline.core.keys import SIGNATURE_SIZE
from openline.core.link import log_origin
from openline.core.merkle import leaf_hash, root_from_compact_range_and_suffix, verify_inclusion
from openline.core.note import Note, NoteSignature
from openline.core.notify import lead_time
from openline.core.obligations import ANSWERED_BY, PROVABLE_DEADLINES, deadline, is_answer_to
from openline.core.proof_format import (
    CLAIMS,
    PROOF_TYPE,
    PROOF_VERSION,
    TLOG_PROOF_HEADER,
    Claim,
    ProofError,
    TlogProof,
    bundle_from_bytes,
    bundle_to_bytes,
    decode_b64,
    decode_hash,
    encode_b64,
)
from openline.core.timefmt import format_time, parse_time

__all__ = [
    "CLAIMS",
    "PROOF_TYPE",
    "PROOF_VERSION",
    "TLOG_PROOF_HEADER",
    "IncludedEntry",
    "ProofError",
    "ProofVerdict",
    "answer_proof",
    "check_proof",
    "delivery_proof",
    "earliest_final_timestamp",
    "latest_prefix_timestamp",
    "unanswered_proof",
]

_SECOND = timedelta(seconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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


@dataclass(frozen=True, slots=True, kw_only=True)
class ProofVerdict:
    """What a proof that checked establishes.

    Attributes:
        claim: ``delivery``, ``answer`` or ``unanswered``.
        entry_id: The delivered entry (delivery) or the request (answer, unanswered).
        kind: Its kind.
        sender: Its sender (S).
        recipient: Its recipient (R), the counterpart.
        seq: Its seq in the S→R log.
        signed_at: The time S signed into it.
        delivered_at: The time of R's cosignature in the proof: R held the entry by then.
        deadline: When the answer was due; None if not derived from signed data.
        answer_id: The answer (answer claim).
        answer_kind: Its kind (answer claim).
        answer_signed_at: The time R signed into the answer (answer claim).
        answer_delivered_at: The time of S's cosignature covering the answer, if given.
        late: Whether the answer came after the deadline: by its delivery time when the
            proof has S's cosignature, else by its signed time; None without a deadline.
        unanswered_as_of: The time of R's self-cosigned checkpoint (unanswered claim).
        counterpart_size: That checkpoint's size N, R→S entries as of then.
        hidden_entries: Entries ``[0, k)`` of R→S covered by a compact range only.
        disclosed_entries: Entries ``[k, N)`` disclosed in full, none an answer.
        lead_time_seconds: For an activity notification, from its delivery (R's
            cosignature) to the activity's start (signed by S); negative when it arrived
            after the start.
    """

    claim: Claim
    entry_id: str
    kind: str
    sender: str
    recipient: str
    seq: int
    signed_at: str
    delivered_at: datetime
    deadline: datetime | None = None
    answer_id: str | None = None
    answer_kind: str | None = None
    answer_signed_at: str | None = None
    answer_delivered_at: datetime | None = None
    late: bool | None = None
    unanswered_as_of: datetime | None = None
    counterpart_size: int | None = None
    hidden_entries: int | None = None
    disclosed_entries: int | None = None
    lead_time_seconds: int | None = None

    def lines(self) -> list[str]:
        """A short summary for a person, one statement per line."""
        out = [
            f"{self.kind} {self.entry_id} from {self.sender} to {self.recipient} (seq {self.seq}),"
            f" signed at {self.signed_at}",
            f"delivered: {self.recipient} cosigned a checkpoint covering it at "
            f"{format_time(self.delivered_at)}",
        ]
        if self.lead_time_seconds is not None:
            out.append(
                f"lead time: {_duration(self.lead_time_seconds)} from delivery to the "
                "activity's start"
            )
        if self.deadline is not None:
            out.append(f"deadline: {format_time(self.deadline)}")
        if self.claim == "answer":
            out.append(
                f"answered by {self.answer_kind} {self.answer_id}, signed by {self.recipient}"
                f" at {self.answer_signed_at}"
            )
            if self.answer_delivered_at is not None:
                out.append(
                    f"answer delivered: {self.sender} cosigned it at "
                    f"{format_time(self.answer_delivered_at)}"
                )
            if self.late is not None:
                basis = "delivery" if self.answer_delivered_at is not None else "signed time"
                out.append(f"{'LATE' if self.late else 'on time'} (by its {basis})")
        if self.claim == "unanswered" and self.unanswered_as_of is not None:
            out.append(
                f"UNANSWERED as of {format_time(self.unanswered_as_of)}: {self.recipient}'s log "
                f"to {self.sender} then held {self.counterpart_size} entries; "
                f"{self.hidden_entries} from before the request are hidden, "
                f"{self.disclosed_entries} are disclosed and none answers it"
            )
        return out

    def to_json(self) -> dict[str, Any]:
        """The verdict as a JSON object (times as RFC 3339 UTC text)."""
        obj: dict[str, Any] = {}
        for field in fields(self):
            value = getattr(self, field.name)
            obj[field.name] = format_time(value) if isinstance(value, datetime) else value
        return obj


def _duration(seconds: int) -> str:
    sign = "-" if seconds < 0 else ""
    days, rest = divmod(abs(seconds), 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{days}d {hours:02d}:{minutes:02d}:{secs:02d} ({seconds} s)"


# --- building --------------------------------------------------------------------------


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
    return _whole_seconds(parse_time(request.time)) - 1


def earliest_final_timestamp(request: Entry, delivered_at: datetime) -> int:
    """The earliest self-cosignature timestamp of a final checkpoint that shows ``request``
    unanswered, strictly after its deadline.

    Raises:
        ValueError: ``request`` has no deadline from signed data.
    """
    due = deadline(request, delivered_at) if request.kind in PROVABLE_DEADLINES else None
    if due is None:
        raise ValueError(f"a {request.kind} has no provable deadline")
    return _whole_seconds(due) + 1


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


# --- checking --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Signed:
    """A checkpoint whose signature lines all verified."""

    checkpoint: Checkpoint
    cosigned_at: int | None


class _Cards:
    def __init__(self, cards: Iterable[Card]) -> None:
        self._by_party: dict[str, list[Card]] = {}
        for card in cards:
            self._by_party.setdefault(card.party, []).append(card)

    def of(self, party: str) -> list[Card]:
        found = self._by_party.get(party)
        if not found:
            raise ProofError(f"no card for {party} was given", code="missing-card")
        return found


def check_proof(data: bytes, cards: Sequence[Card]) -> ProofVerdict:
    """Check a proof bundle against the parties' cards.

    Args:
        data: The proof file's bytes.
        cards: Cards of the two parties (several cards of one party are all trusted, so
            that entries signed before a key rotation still check).

    Returns:
        The facts the proof establishes.

    Raises:
        ProofError: anything that does not hold, with a code (see :class:`ProofError`) and
            a message naming the part that failed.
    """
    bundle = bundle_from_bytes(data)
    keys = _Cards(cards)
    claim: Claim = bundle["claim"]
    if claim == "delivery":
        entry, delivered_at = _check_delivered(bundle["entry"], "entry", keys)
        return _verdict(claim, entry, delivered_at)
    request, delivered_at = _check_delivered(bundle["request"], "request", keys)
    if claim == "answer":
        return _check_answer(request, delivered_at, bundle["answer"], keys)
    return _check_unanswered(request, delivered_at, bundle["counterpart"], keys)


def _parse_entry(leaf: bytes, where: str) -> Entry:
    try:
        return Entry.from_leaf(leaf)
    except EntryError as error:
        raise ProofError(f"{where} is not a valid entry: {error}", code="bad-entry") from error


def _check_entry_signature(entry: Entry, keys: _Cards, where: str) -> None:
    if not any(verify_entry_signature(entry, card.key) for card in keys.of(entry.sender)):
        raise ProofError(
            f"{where} (seq {entry.seq}) is not signed by {entry.sender}'s key",
            code="bad-signature",
        )


def _check_delivered(text: str, where: str, keys: _Cards) -> tuple[Entry, datetime]:
    """An entry, its signature and its inclusion under a checkpoint its recipient cosigned;
    returns the entry and the time of that cosignature."""
    entry, signed = _check_included(text, where, keys, cosigned=True)
    assert signed.cosigned_at is not None
    return entry, _utc(signed.cosigned_at, f"{where} checkpoint cosignature")


def _check_included(
    text: str,
    where: str,
    keys: _Cards,
    *,
    cosigned: bool | None,
    log: tuple[str, str] | None = None,
) -> tuple[Entry, _Signed]:
    """An entry (of the ``log`` (sender, recipient) if given), its signature, and its
    inclusion under a checkpoint its sender signed and its recipient cosigned (required if
    ``cosigned``, optional if None)."""
    part = TlogProof.from_text(text, where)
    entry = _parse_entry(part.leaf, f"{where} leaf")
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
    _check_entry_signature(entry, keys, where)
    signed = _open_checkpoint(
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


def _open_checkpoint(
    note_bytes: bytes, where: str, keys: _Cards, *, owner: str, cosigner: str, cosigned: bool | None
) -> _Signed:
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
        return _Signed(checkpoint, None)
    timestamp = _check_cosignature(checkpoint, rest[0], where, keys, cosigner)
    return _Signed(checkpoint, timestamp)


def _check_note_signature(
    note: Note, line: NoteSignature, where: str, keys: _Cards, owner: str
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
    checkpoint: Checkpoint, line: NoteSignature, where: str, keys: _Cards, cosigner: str
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


def _verdict(claim: Claim, entry: Entry, delivered_at: datetime, **facts: Any) -> ProofVerdict:
    if entry.kind == "notify.activity":
        # Both ends are in the proof, signed: the body's start and R's cosignature.
        lead = lead_time(delivered_at, parse_time(entry.body["start"]))
        facts["lead_time_seconds"] = int(lead.total_seconds())
    return ProofVerdict(
        claim=claim,
        entry_id=entry.id,
        kind=entry.kind,
        sender=entry.sender,
        recipient=entry.recipient,
        seq=entry.seq,
        signed_at=entry.time,
        delivered_at=delivered_at,
        **facts,
    )


def _deadline(request: Entry, delivered_at: datetime) -> datetime | None:
    if request.kind not in PROVABLE_DEADLINES:
        return None
    try:
        return deadline(request, delivered_at)
    except OverflowError as error:
        raise ProofError("request deadline is out of range", code="malformed") from error


def _check_answer(request: Entry, delivered_at: datetime, text: str, keys: _Cards) -> ProofVerdict:
    if request.kind not in ANSWERED_BY:
        raise ProofError(f"a {request.kind} expects no answer", code="not-an-answer")
    answer, answer_signed = _check_included(
        text, "answer", keys, cosigned=None, log=(request.recipient, request.sender)
    )
    if not is_answer_to(answer, request):
        raise ProofError(
            f"answer {answer.id} ({answer.kind}) does not answer request {request.id}",
            code="not-an-answer",
        )
    due = _deadline(request, delivered_at)
    answer_delivered_at = (
        None
        if answer_signed.cosigned_at is None
        else _utc(answer_signed.cosigned_at, "answer cosignature")
    )
    answered = answer_delivered_at or parse_time(answer.time)
    return _verdict(
        "answer",
        request,
        delivered_at,
        deadline=due,
        answer_id=answer.id,
        answer_kind=answer.kind,
        answer_signed_at=answer.time,
        answer_delivered_at=answer_delivered_at,
        late=None if due is None else answered > due,
    )


def _check_unanswered(
    request: Entry, delivered_at: datetime, counterpart: Mapping[str, Any], keys: _Cards
) -> ProofVerdict:
    requester, owner = request.sender, request.recipient
    if request.kind not in PROVABLE_DEADLINES:
        raise ProofError(
            f"a {request.kind} has no deadline from signed data; only "
            f"{', '.join(sorted(PROVABLE_DEADLINES))} can be proven unanswered",
            code="not-provable",
        )
    due = _deadline(request, delivered_at)
    assert due is not None
    if delivered_at > due:
        raise ProofError(
            f"request was delivered at {format_time(delivered_at)}, after its deadline "
            f"{format_time(due)}",
            code="delivered-late",
        )
    origin = log_origin(owner, requester)

    def own_checkpoint(text: str, where: str) -> tuple[Checkpoint, datetime]:
        opened = _open_checkpoint(
            text.encode("utf-8"), where, keys, owner=owner, cosigner=owner, cosigned=True
        )
        if opened.checkpoint.origin != origin:
            raise ProofError(
                f"{where} is of log {opened.checkpoint.origin!r}, not {origin!r}",
                code="wrong-log",
            )
        assert opened.cosigned_at is not None
        return opened.checkpoint, _utc(opened.cosigned_at, f"{where} cosignature")

    final, as_of = own_checkpoint(counterpart["checkpoint"], "counterpart checkpoint")
    if as_of <= due:
        raise ProofError(
            f"counterpart checkpoint is cosigned at {format_time(as_of)}, not after the "
            f"deadline {format_time(due)}",
            code="too-early",
        )
    prefix_size = 0
    prefix_root: bytes | None = None
    if counterpart["prefix_checkpoint"] is not None:
        prefix, fixed_at = own_checkpoint(
            counterpart["prefix_checkpoint"], "counterpart prefix checkpoint"
        )
        if prefix.size == 0:
            raise ProofError("counterpart prefix checkpoint has size 0; omit it", code="malformed")
        # Cosignature timestamps are truncated seconds: the whole second must be over.
        if fixed_at + _SECOND > parse_time(request.time):
            raise ProofError(
                f"counterpart prefix checkpoint is cosigned at {format_time(fixed_at)}, not a "
                f"whole second before the request ({request.time})",
                code="prefix-too-late",
            )
        prefix_size, prefix_root = prefix.size, prefix.root
    hidden = [decode_hash(item, "counterpart prefix range") for item in counterpart["prefix_range"]]
    if len(hidden) != prefix_size.bit_count():
        raise ProofError(
            f"the compact range of {prefix_size} entries has {prefix_size.bit_count()} "
            f"hashes, not {len(hidden)}",
            code="bad-range",
        )
    if prefix_root is not None and (
        root_from_compact_range_and_suffix(hidden, prefix_size, []) != prefix_root
    ):
        raise ProofError(
            "counterpart prefix range does not hash to the prefix checkpoint's root",
            code="not-included",
        )
    leaves = [
        decode_b64(item, f"counterpart entry {i}") for i, item in enumerate(counterpart["entries"])
    ]
    if prefix_size + len(leaves) != final.size:
        raise ProofError(
            f"counterpart checkpoint of size {final.size} needs {final.size - prefix_size} "
            f"entries after the first {prefix_size}; the proof has {len(leaves)}",
            code="bad-range",
        )
    entries = [
        _parse_entry(leaf, f"counterpart entry {prefix_size + i}") for i, leaf in enumerate(leaves)
    ]
    for seq, entry in enumerate(entries, start=prefix_size):
        if (entry.sender, entry.recipient, entry.seq) != (owner, requester, seq):
            raise ProofError(
                f"counterpart entry {seq} is {entry.sender}→{entry.recipient} seq {entry.seq}",
                code="bad-range",
            )
    root = root_from_compact_range_and_suffix(hidden, prefix_size, [e.leaf_hash for e in entries])
    if root != final.root:
        raise ProofError(
            "counterpart range and entries do not hash to the counterpart checkpoint's root",
            code="not-included",
        )
    for entry in entries:
        _check_entry_signature(entry, keys, f"counterpart entry {entry.seq}")
        if is_answer_to(entry, request):
            raise ProofError(
                f"counterpart entry {entry.seq} ({entry.kind} {entry.id}) answers the request",
                code="answered",
            )
    return _verdict(
        "unanswered",
        request,
        delivered_at,
        deadline=due,
        unanswered_as_of=as_of,
        counterpart_size=final.size,
        hidden_entries=prefix_size,
        disclosed_entries=len(entries),
    )


# --- cosignature times -----------------------------------------------------------------


def _utc(timestamp: int, where: str) -> datetime:
    try:
        return _EPOCH + timedelta(seconds=timestamp)
    except OverflowError as error:
        raise ProofError(f"{where} timestamp is out of range", code="malformed") from error


def _whole_seconds(moment: datetime) -> int:
    return (moment - _EPOCH) // _SECOND
