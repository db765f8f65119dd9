"""Obligations: which entries expect an answer, which kinds answer them, and by when.

One model serves every entry that expects an answer (design note 9): a hotline message is owed
an acknowledgement within its precedence's objective, a contact request a response by its
``respond_by``, a request for explanation a reply within its agreed window, an activity
notification or incident report an acknowledgement within its ``ack_within_minutes``, a
desk check a human's answer within its ``answer_within_seconds`` (design note 19). A relative
deadline runs from **delivery**, the time of the recipient's first cosignature covering
the entry, so that a message stuck behind a down line is not held against its recipient.

What each kind is owed, and its deadline rule, are declared with the kind
(``core.kinds.KINDS``, rules from ``core.deadlines``); this module applies them.

Deadlines that a third party must be able to check (in a non-answer proof) come only from
signed data: the request's body and the recipient's cosignature. Hotline objectives are
node configuration, so hotline messages are tracked but not provably unanswered.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from datetime import UTC, datetime

from openline.core.deadlines import Objectives
from openline.core.entry import Entry
from openline.core.kinds import ANSWERED_BY, OWED, PROVABLE_DEADLINES
from openline.core.timefmt import parse_time

__all__ = [
    "ANSWERED_BY",
    "PROVABLE_DEADLINES",
    "DeliveryTimes",
    "deadline",
    "evidence_covers",
    "expects_answer",
    "is_answer_to",
]


def expects_answer(entry: Entry) -> bool:
    return entry.kind in ANSWERED_BY


def is_answer_to(answer: Entry, request: Entry) -> bool:
    """True when ``answer`` discharges ``request``: right kind, right author, right ref,
    dated no earlier than the request. Trusts nothing the receiver's door checked."""
    return (
        answer.kind in ANSWERED_BY.get(request.kind, frozenset())
        and request.id in answer.refs
        and answer.sender == request.recipient
        and answer.recipient == request.sender
        and answer.time >= request.time
    )


def deadline(
    request: Entry,
    delivered_at: datetime | None,
    objectives: Objectives | None = None,
) -> datetime | None:
    """When the answer to ``request`` is due; None while a relative deadline cannot start.

    Raises:
        ValueError: ``request`` expects no answer, or is a hotline message and no
            ``objectives`` were given.
    """
    owed = OWED.get(request.kind)
    if owed is None:
        raise ValueError(f"a {request.kind} expects no answer")
    return owed.due(request.body, delivered_at, objectives)


def evidence_covers(due: str | None, evidence_until: int | None) -> bool:
    """True when the counterpart's latest self-timed checkpoint (unix seconds) is later
    than ``due``: a silence up to the deadline can then be proven (``core.proofs``)."""
    if due is None or evidence_until is None:
        return False
    return datetime.fromtimestamp(evidence_until, tz=UTC) > parse_time(due)


class DeliveryTimes:
    """When each entry of one log was delivered, from the recipient's cosignatures.

    A cosignature of size ``n`` at time ``t`` is a receipt for entries ``0 .. n-1``; an
    entry's delivery time is the earliest receipt covering it.
    """

    def __init__(self, receipts: Iterable[tuple[int, int]]) -> None:
        """``receipts`` are ``(size, unix seconds)`` pairs, in any order."""
        earliest: dict[int, int] = {}
        for size, timestamp in receipts:
            if size > 0 and (size not in earliest or timestamp < earliest[size]):
                earliest[size] = timestamp
        self._sizes = sorted(earliest)
        # _first[i]: the earliest receipt among sizes >= _sizes[i] (a suffix minimum).
        self._first: list[int] = [0] * len(self._sizes)
        best: int | None = None
        for index in range(len(self._sizes) - 1, -1, -1):
            stamp = earliest[self._sizes[index]]
            best = stamp if best is None else min(best, stamp)
            self._first[index] = best

    @property
    def delivered_size(self) -> int:
        return self._sizes[-1] if self._sizes else 0

    def timestamp(self, seq: int) -> int | None:
        index = bisect_right(self._sizes, seq)  # the first receipt whose size exceeds seq
        return None if index == len(self._sizes) else self._first[index]

    def of(self, seq: int) -> datetime | None:
        stamp = self.timestamp(seq)
        return None if stamp is None else datetime.fromtimestamp(stamp, UTC)
