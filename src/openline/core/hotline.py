"""Hotline messages and their acknowledgements, folded from the transcript.

A ``hotline.message`` creates an obligation on its recipient: acknowledge by
``time + objective(precedence)``. A ``hotline.ack`` refs the message and discharges it; the
first ack counts. :func:`fold_hotline` is the one definition of that state, used both by
the live projection and by ``openline rebuild``, so the two cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from openline.core.entry import Entry
from openline.core.kinds import Precedence
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
    ack_due: str
    ack_id: str | None = None
    ack_time: str | None = None
    ack_officer: str | None = None

    def is_overdue(self, now: datetime) -> bool:
        return self.ack_id is None and parse_time(self.ack_due) < now


def ack_due(time: str, precedence: str, objectives: Mapping[Precedence, timedelta]) -> str:
    return format_time(parse_time(time) + objectives[Precedence(precedence)])


def message_view(entry: Entry, objectives: Mapping[Precedence, timedelta]) -> MessageView:
    body = entry.body
    return MessageView(
        id=entry.id,
        sender=entry.sender,
        recipient=entry.recipient,
        seq=entry.seq,
        time=entry.time,
        precedence=body["precedence"],
        lang=body["lang"],
        text=body["text"],
        ack_due=ack_due(entry.time, body["precedence"], objectives),
    )


def fold_hotline(
    entries: Iterable[Entry], objectives: Mapping[Precedence, timedelta]
) -> dict[str, MessageView]:
    """Every hotline message of a transcript with its acknowledgement, if any."""
    views: dict[str, MessageView] = {}
    acks: list[Entry] = []
    for entry in entries:
        if entry.kind == "hotline.message":
            views[entry.id] = message_view(entry, objectives)
        elif entry.kind == "hotline.ack":
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
