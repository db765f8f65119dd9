"""What a proof that checked establishes: :class:`ProofVerdict`, for a person and as JSON.

The claims are described in :mod:`openline.core.proofs`, which re-exports the verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from openline.core.entry import Entry
from openline.core.kinds import Kind
from openline.core.notify import lead_time
from openline.core.proof_format import Claim
from openline.core.timefmt import format_time, parse_time


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


def make_verdict(claim: Claim, entry: Entry, delivered_at: datetime, **facts: Any) -> ProofVerdict:
    if entry.kind == Kind.NOTIFY_ACTIVITY:
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
