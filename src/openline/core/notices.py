"""Notifications, incident reports and desk checks: each copy's state, folded from the transcript.

Each of these entries goes to one recipient and is owed one answer (``notify.ack`` or
``desk.answer``) within a window that runs from delivery (``core.obligations``). A
broadcast is one entry per link, tied by the body's ``notice`` id; this module folds each
copy, and the node groups copies by notice.

The state of a copy at a time ``now``:

* ``pending``: not yet delivered (no receipt from the recipient);
* ``delivered``: delivered, not answered, still within its window;
* ``overdue``: delivered, not answered, window passed;
* ``acknowledged``: answered within its window;
* ``acknowledged-late``: answered after its window.

An activity notification also has a **lead time**, from delivery to the activity's start
(``core.notify.lead_time``); both ends are signed, so both sides compute the same figure,
and a notification delivered with less than its kind's minimum is flagged late on both.
Pure: the caller passes the entries, the receipts and the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from openline.core.entry import Entry
from openline.core.kinds import Kind, kinds_of_fold
from openline.core.notify import is_late, lead_time
from openline.core.obligations import ANSWERED_BY, DeliveryTimes, deadline
from openline.core.timefmt import format_time, parse_time

NOTICE_KINDS = kinds_of_fold("notice")
ANSWER_KINDS = frozenset().union(*(ANSWERED_BY[kind] for kind in NOTICE_KINDS))


class NoticeState(StrEnum):
    """Where a notification, incident report or desk check stands (see above)."""

    PENDING = "pending"
    DELIVERED = "delivered"
    OVERDUE = "overdue"
    ACKNOWLEDGED = "acknowledged"
    ACKNOWLEDGED_LATE = "acknowledged-late"


class DeskState(StrEnum):
    """What our desk checks of a peer show (see ``DESK_STATES``)."""

    NEVER_CHECKED = "never-checked"
    CHECKING = "checking"
    ANSWERING = "answering"
    NOT_ANSWERING = "not-answering"


STATES: tuple[str, ...] = tuple(NoticeState)
DESK_STATES: tuple[str, ...] = tuple(DeskState)
"""What our desk checks of a peer show: none sent yet, the latest still within its window,
the latest answered, or the latest left unanswered past its window."""
LINE_STATES: tuple[str, ...] = (
    "up",
    "degraded",
    "down",
    "diverging",
    "node-not-running",
    "line-up-desk-not-answering",
)
"""A link as a duty officer sees it: the link's health, sharpened by the desk's answers."""


@dataclass(frozen=True, slots=True)
class NoticeView:
    """One copy of a notification (or one desk check), as its two parties see it."""

    id: str
    kind: str
    sender: str
    recipient: str
    seq: int
    time: str
    body: Mapping[str, Any]
    delivered_at: str | None
    due: str | None
    answer_id: str | None
    answered_at: str | None
    answered_by: str | None
    lead_time_seconds: int | None  # activity notifications, once delivered
    late_notice: bool | None  # delivered with less lead time than the kind's minimum

    @property
    def notice(self) -> str:
        """The broadcast this copy belongs to: the body's ``notice``, else its own id."""
        value = self.body.get("notice")
        return value if isinstance(value, str) else self.id

    def state(self, now: datetime) -> str:
        if self.answered_at is not None:
            late = self.due is not None and self.answered_at > self.due
            return "acknowledged-late" if late else "acknowledged"
        if self.delivered_at is None or self.due is None:
            return "pending"
        return "overdue" if parse_time(self.due) < now else "delivered"

    def direction(self, party: str) -> str:
        return "out" if self.sender == party else "in"


def notice_view(
    entry: Entry,
    delivered: datetime | None,
    minimum_lead_times: Mapping[str, timedelta],
) -> NoticeView:
    """One notification, incident report or desk check, unanswered, delivered at
    ``delivered`` (None while no receipt covers it)."""
    due = deadline(entry, delivered)
    lead: int | None = None
    late: bool | None = None
    if entry.kind == Kind.NOTIFY_ACTIVITY and delivered is not None:
        gap = lead_time(delivered, parse_time(entry.body["start"]))
        lead = int(gap.total_seconds())
        late = is_late(entry.body["activity"], gap, minimum_lead_times)
    return NoticeView(
        id=entry.id,
        kind=entry.kind,
        sender=entry.sender,
        recipient=entry.recipient,
        seq=entry.seq,
        time=entry.time,
        body=entry.body,
        delivered_at=None if delivered is None else format_time(delivered),
        due=None if due is None else format_time(due),
        answer_id=None,
        answered_at=None,
        answered_by=None,
        lead_time_seconds=lead,
        late_notice=late,
    )


def answer_counts(view: NoticeView, answer: Entry) -> bool:
    """True when ``answer`` answers the copy shown by ``view`` and comes before the answer
    it holds: the first answer counts, by signed time and then log order (a later-stored
    answer of equal time comes later in the answerer's log)."""
    if answer.kind not in ANSWERED_BY[view.kind] or view.id not in answer.refs:
        return False
    if answer.sender != view.recipient or answer.recipient != view.sender:
        return False
    if answer.time < view.time:
        return False
    return view.answered_at is None or answer.time < view.answered_at


def with_answer(view: NoticeView, answer: Entry) -> NoticeView:
    return replace(
        view,
        answer_id=answer.id,
        answered_at=answer.time,
        answered_by=answer.body.get("officer"),
    )


def fold_notices(
    entries: Iterable[Entry],
    deliveries: Mapping[tuple[str, str], DeliveryTimes],
    minimum_lead_times: Mapping[str, timedelta],
) -> dict[str, NoticeView]:
    """Every notification, incident report and desk check among ``entries``, with its answer.

    Args:
        entries: entries of any kinds; those of :data:`NOTICE_KINDS` and their answers count.
        deliveries: receipts per log ``(sender, recipient)``.
        minimum_lead_times: per activity kind (node configuration).
    """
    views: dict[str, NoticeView] = {}
    answers: list[Entry] = []
    for entry in entries:
        if entry.kind in NOTICE_KINDS:
            times = deliveries.get((entry.sender, entry.recipient))
            delivered = None if times is None else times.of(entry.seq)
            views[entry.id] = notice_view(entry, delivered, minimum_lead_times)
        elif entry.kind in ANSWER_KINDS:
            answers.append(entry)
    for answer in sorted(answers, key=lambda entry: (entry.time, entry.seq)):
        for ref in answer.refs:
            view = views.get(ref)
            if view is not None and answer_counts(view, answer):
                views[ref] = with_answer(view, answer)
    return views
