"""Hotline messages and their acknowledgements, folded from the transcript.

A ``hotline.message`` creates an obligation on its recipient: acknowledge within its
precedence's objective, counted from delivery (``openline.core.obligations``). A
``hotline.ack`` refs the message and discharges it; the first ack counts.
:func:`fold_hotline` is the one definition of that state, used both by the live projection
and by ``openline rebuild``, so the two cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from openline.core.entry import Entry
from openline.core.kinds import Kind
from openline.core.obligations import DeliveryTimes, deadline
from openline.core.precedence import Precedence
from openline.core.timefmt import format_time, parse_time


@dataclass(frozen=True, slots=True)
class MessageView:
    id: str
    sender: str
    recipient: str
    seq: int
    time: str
    precedence: str
    lang: str
    text: str
    delivered_at: str | None = None
    ack_due: str | None = None
    ack_id: str | None = None
    ack_time: str | None = None
    ack_officer: str | None = None
    # Who sent it, when the body says (messages signed before officers were recorded do not).
    officer: str | None = None

    def is_overdue(self, now: datetime) -> bool:
        return self.ack_id is None and self.ack_due is not None and parse_time(self.ack_due) < now


def message_view(
    entry: Entry,
    objectives: Mapping[Precedence, timedelta],
    delivered_at: datetime | None = None,
) -> MessageView:
    body = entry.body
    due = deadline(entry, delivered_at, objectives)
    return MessageView(
        id=entry.id,
        sender=entry.sender,
        recipient=entry.recipient,
        seq=entry.seq,
        time=entry.time,
        precedence=body["precedence"],
        lang=body["lang"],
        text=body["text"],
        officer=body.get("officer"),
        delivered_at=None if delivered_at is None else format_time(delivered_at),
        ack_due=None if due is None else format_time(due),
    )


def fold_hotline(
    entries: Iterable[Entry],
    objectives: Mapping[Precedence, timedelta],
    deliveries: Mapping[tuple[str, str], DeliveryTimes] | None = None,
) -> dict[str, MessageView]:
    """Every hotline message of a transcript with its delivery and acknowledgement.

    ``deliveries`` maps each log ``(sender, recipient)`` to its receipts."""
    views: dict[str, MessageView] = {}
    acks: list[Entry] = []
    for entry in entries:
        if entry.kind == Kind.HOTLINE_MESSAGE:
            times = (deliveries or {}).get((entry.sender, entry.recipient))
            delivered = None if times is None else times.of(entry.seq)
            views[entry.id] = message_view(entry, objectives, delivered)
        elif entry.kind == Kind.HOTLINE_ACK:
            acks.append(entry)
    for ack in sorted(acks, key=lambda a: (a.sender, a.seq)):  # one ack per seq order
        view = views.get(ack.refs[0])
        # Only the recipient can acknowledge (kinds.py; link.check_refs refuses the rest at
        # the door, but a fold over a local or third-party transcript must not trust that).
        if (
            view is not None
            and view.ack_id is None
            and ack.sender == view.recipient
            and ack.recipient == view.sender
        ):
            views[view.id] = replace(
                view, ack_id=ack.id, ack_time=ack.time, ack_officer=ack.body["officer"]
            )
    return views
