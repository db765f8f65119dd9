"""The deadline watcher: an alarm the moment an obligation's deadline passes.

Overdue obligations are a fold at a given time (requests: ``RequestView.at``; hotline
messages: the cache's ``ack_due``). The watcher evaluates it every tick and raises an alarm
for each obligation that has become overdue since the last tick, with the time it noticed.
An alarm clears when its obligation is answered. The alarms themselves are not state: a
restarted node raises them again from the transcript.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from openline.core.notices import NoticeView
from openline.core.requests import OVERDUE
from openline.core.timefmt import format_time
from openline.store import schema

if TYPE_CHECKING:
    from openline.node.app import Node

log = logging.getLogger("openline.watcher")

MAX_MESSAGE_ALARMS = 200


@dataclass(frozen=True, slots=True)
class Alarm:
    id: str  # the entry that is owed an answer
    kind: str  # unanswered | overdue-deferred | ack-overdue | desk-not-answering
    owed_by: str  # the party that must answer
    owed_to: str
    due: str
    subject: str
    raised_at: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def overdue(node: Node, now: datetime) -> list[Alarm]:
    """Every obligation past its deadline at ``now``, ours and theirs (``raised_at`` = due)."""
    found: list[Alarm] = []
    for view in node.contacts.views(now).values():
        if view.state in OVERDUE and view.due is not None:
            found.append(
                Alarm(
                    id=view.id,
                    kind=view.state,
                    owed_by=view.counterpart,
                    owed_to=view.requester,
                    due=view.due,
                    subject=view.subject,
                    raised_at=view.due,
                )
            )
    for notice in node.notices.overdue(now):
        assert notice.due is not None  # an overdue copy was delivered, so it has a deadline
        found.append(
            Alarm(
                id=notice.id,
                kind="desk-not-answering" if notice.kind == "desk.check" else "ack-overdue",
                owed_by=notice.recipient,
                owed_to=notice.sender,
                due=notice.due,
                subject=notice_subject(notice),
                raised_at=notice.due,
            )
        )
    table = schema.messages
    with node.store.read() as connection:
        rows = connection.execute(
            select(table.c.id, table.c.sender, table.c.recipient, table.c.ack_due, table.c.text)
            .where(table.c.ack_id.is_(None), table.c.ack_due < format_time(now))
            .order_by(table.c.ack_due.desc())
            .limit(MAX_MESSAGE_ALARMS)
        ).all()
    for row in rows:
        found.append(
            Alarm(
                id=row.id,
                kind="ack-overdue",
                owed_by=row.recipient,
                owed_to=row.sender,
                due=row.ack_due,
                subject=row.text[:120],
                raised_at=row.ack_due,
            )
        )
    return found


def notice_subject(notice: NoticeView) -> str:
    body = notice.body
    if notice.kind == "desk.check":
        return "desk check"
    if notice.kind == "notify.activity":
        return f"{body['activity']}: {body['title']}"[:120]
    return f"incident {body['category']}: {body['description']}"[:120]


class DeadlineWatcher:
    def __init__(self, node: Node) -> None:
        self.node = node
        self.active: dict[str, Alarm] = {}

    def tick(self) -> list[Alarm]:
        """Re-evaluate; return the alarms raised by this tick."""
        now = self.node.clock()
        current = {alarm.id + alarm.kind: alarm for alarm in overdue(self.node, now)}
        raised: list[Alarm] = []
        kept: dict[str, Alarm] = {}
        for key, found in current.items():
            previous = self.active.get(key)
            if previous is None:
                alarm = replace(found, raised_at=format_time(now))
                raised.append(alarm)
                log.warning(
                    "ALARM %s: %s owes %s an answer to %s (due %s)",
                    alarm.kind,
                    alarm.owed_by,
                    alarm.owed_to,
                    alarm.subject,
                    alarm.due,
                )
                kept[key] = alarm
            else:
                kept[key] = previous
        self.active = kept
        return raised

    def alarms(self) -> list[Alarm]:
        return sorted(self.active.values(), key=lambda alarm: alarm.due)
