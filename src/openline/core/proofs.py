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

Building a bundle is :mod:`openline.core.proof_build`, checking the signed parts every claim
rests on is :mod:`openline.core.proof_parts`, and the verdict is
:mod:`openline.core.proof_verdict`; their names are re-exported here.

Pure: no I/O, no clock. A proof speaks of the times its signatures carry, never of now.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from openline.core.card import Card
from openline.core.checkpoint import Checkpoint
from openline.core.entry import Entry
from openline.core.link import log_origin
from openline.core.merkle import root_from_compact_range_and_suffix
from openline.core.obligations import ANSWERED_BY, PROVABLE_DEADLINES, deadline, is_answer_to
from openline.core.proof_build import (
    IncludedEntry,
    answer_proof,
    delivery_proof,
    earliest_final_timestamp,
    latest_prefix_timestamp,
    unanswered_proof,
)
from openline.core.proof_format import (
    CLAIMS,
    PROOF_TYPE,
    PROOF_VERSION,
    TLOG_PROOF_HEADER,
    Claim,
    ProofError,
    bundle_from_bytes,
    decode_b64,
    decode_hash,
)
from openline.core.proof_parts import (
    Cards,
    check_delivered,
    check_entry_signature,
    check_included,
    open_signed_checkpoint,
    parse_entry,
)
from openline.core.proof_times import ONE_SECOND, cosignature_time
from openline.core.proof_verdict import ProofVerdict, make_verdict
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
    keys = Cards(cards)
    claim: Claim = bundle["claim"]
    if claim == "delivery":
        entry, delivered_at = check_delivered(bundle["entry"], "entry", keys)
        return make_verdict(claim, entry, delivered_at)
    request, delivered_at = check_delivered(bundle["request"], "request", keys)
    if claim == "answer":
        return _check_answer(request, delivered_at, bundle["answer"], keys)
    return _check_unanswered(request, delivered_at, bundle["counterpart"], keys)


def _deadline(request: Entry, delivered_at: datetime) -> datetime | None:
    if request.kind not in PROVABLE_DEADLINES:
        return None
    try:
        return deadline(request, delivered_at)
    except OverflowError as error:
        raise ProofError("request deadline is out of range", code="malformed") from error


def _check_answer(request: Entry, delivered_at: datetime, text: str, keys: Cards) -> ProofVerdict:
    if request.kind not in ANSWERED_BY:
        raise ProofError(f"a {request.kind} expects no answer", code="not-an-answer")
    answer, answer_signed = check_included(
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
        else cosignature_time(answer_signed.cosigned_at, "answer cosignature")
    )
    answered = answer_delivered_at or parse_time(answer.time)
    return make_verdict(
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
    request: Entry, delivered_at: datetime, counterpart: Mapping[str, Any], keys: Cards
) -> ProofVerdict:
    due = _provable_deadline(request, delivered_at)
    final, as_of = _open_own_checkpoint(
        counterpart["checkpoint"], "counterpart checkpoint", request, keys
    )
    if as_of <= due:
        raise ProofError(
            f"counterpart checkpoint is cosigned at {format_time(as_of)}, not after the "
            f"deadline {format_time(due)}",
            code="too-early",
        )
    prefix_size, prefix_root = _check_prefix(counterpart["prefix_checkpoint"], request, keys)
    hidden = _hidden_prefix(counterpart["prefix_range"], prefix_size, prefix_root)
    entries = _disclosed_entries(counterpart["entries"], request, prefix_size, final.size)
    root = root_from_compact_range_and_suffix(hidden, prefix_size, [e.leaf_hash for e in entries])
    if root != final.root:
        raise ProofError(
            "counterpart range and entries do not hash to the counterpart checkpoint's root",
            code="not-included",
        )
    _check_none_answers(entries, request, keys)
    return make_verdict(
        "unanswered",
        request,
        delivered_at,
        deadline=due,
        unanswered_as_of=as_of,
        counterpart_size=final.size,
        hidden_entries=prefix_size,
        disclosed_entries=len(entries),
    )


def _provable_deadline(request: Entry, delivered_at: datetime) -> datetime:
    """The request's deadline from signed data; it must have one, and have been delivered
    by then, for silence up to it to mean anything."""
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
    return due


def _open_own_checkpoint(
    text: str, where: str, request: Entry, keys: Cards
) -> tuple[Checkpoint, datetime]:
    """A checkpoint of the recipient's log to the requester, signed and self-cosigned by
    the recipient; returns it and the time of the self-cosignature."""
    owner = request.recipient
    origin = log_origin(owner, request.sender)
    opened = open_signed_checkpoint(
        text.encode("utf-8"), where, keys, owner=owner, cosigner=owner, cosigned=True
    )
    if opened.checkpoint.origin != origin:
        raise ProofError(
            f"{where} is of log {opened.checkpoint.origin!r}, not {origin!r}",
            code="wrong-log",
        )
    assert opened.cosigned_at is not None
    return opened.checkpoint, cosignature_time(opened.cosigned_at, f"{where} cosignature")


def _check_prefix(text: str | None, request: Entry, keys: Cards) -> tuple[int, bytes | None]:
    """The size and root of the hidden prefix ``[0, k)``: (0, None) without a prefix
    checkpoint, else one the recipient self-cosigned a whole second before the request."""
    if text is None:
        return 0, None
    prefix, fixed_at = _open_own_checkpoint(text, "counterpart prefix checkpoint", request, keys)
    if prefix.size == 0:
        raise ProofError("counterpart prefix checkpoint has size 0; omit it", code="malformed")
    # Cosignature timestamps are truncated seconds: the whole second must be over.
    if fixed_at + ONE_SECOND > parse_time(request.time):
        raise ProofError(
            f"counterpart prefix checkpoint is cosigned at {format_time(fixed_at)}, not a "
            f"whole second before the request ({request.time})",
            code="prefix-too-late",
        )
    return prefix.size, prefix.root


def _hidden_prefix(
    items: Sequence[str], prefix_size: int, prefix_root: bytes | None
) -> list[bytes]:
    """The compact range of the hidden prefix: one hash per set bit of its size, hashing to
    the prefix checkpoint's root when there is one."""
    hidden = [decode_hash(item, "counterpart prefix range") for item in items]
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
    return hidden


def _disclosed_entries(
    items: Sequence[str], request: Entry, prefix_size: int, final_size: int
) -> list[Entry]:
    """The entries ``[k, N)`` of the recipient's log to the requester, each in its place."""
    requester, owner = request.sender, request.recipient
    leaves = [decode_b64(item, f"counterpart entry {i}") for i, item in enumerate(items)]
    if prefix_size + len(leaves) != final_size:
        raise ProofError(
            f"counterpart checkpoint of size {final_size} needs {final_size - prefix_size} "
            f"entries after the first {prefix_size}; the proof has {len(leaves)}",
            code="bad-range",
        )
    entries = [
        parse_entry(leaf, f"counterpart entry {prefix_size + i}") for i, leaf in enumerate(leaves)
    ]
    for seq, entry in enumerate(entries, start=prefix_size):
        if (entry.sender, entry.recipient, entry.seq) != (owner, requester, seq):
            raise ProofError(
                f"counterpart entry {seq} is {entry.sender}→{entry.recipient} seq {entry.seq}",
                code="bad-range",
            )
    return entries


def _check_none_answers(entries: Sequence[Entry], request: Entry, keys: Cards) -> None:
    """Each disclosed entry is signed by the recipient, and none answers the request."""
    for entry in entries:
        check_entry_signature(entry, keys, f"counterpart entry {entry.seq}")
        if is_answer_to(entry, request):
            raise ProofError(
                f"counterpart entry {entry.seq} ({entry.kind} {entry.id}) answers the request",
                code="answered",
            )
