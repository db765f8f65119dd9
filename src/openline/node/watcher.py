"""The deadline watcher: an alarm the moment an obligation's deadline passes.

Overdue obligations are a fold at a given time (requests: ``RequestView.at``; hotline
messages: the cache's ``ack_due``). The watcher evaluates it every tick and raises an alarm
for each obligation that has become overdue since the last tick, with the time it noticed.
An alarm clears when its obligation is answered. The alarms themselves are not state: a
restarted node raises them again from the transcript.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from openline.core.kinds import Kind, summary_of
from openline.core.timefmt import format_time
from openline.node.projections import request_from_row
from openline.store import projection as folds

if TYPE_CHECKING:
    from openline.node.ports import Watched

log = logging.getLogger("openline.watcher")

MAX_MESSAGE_ALARMS = 200
MAX_ALARMS = 200  # of requests and of notices: the latest, the floor counts the rest


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
        # Not dataclasses.asdict: it deep-copies every field, and status shows hundreds.
        return {name: getattr(self, name) for name in _ALARM_FIELDS}


_ALARM_FIELDS = tuple(field.name for field in fields(Alarm))


def overdue(node: Watched, now: datetime) -> list[Alarm]:
    """Obligations past their deadline at ``now``, ours and theirs (``raised_at`` = due):
    the latest :data:`MAX_ALARMS` of each kind, read through the fold tables' indexes."""
    stamp = format_time(now)
    found: list[Alarm] = []
    with node.store.read() as connection:
        requests = folds.overdue_requests(connection, stamp, MAX_ALARMS)
        messages = folds.overdue_messages(connection, stamp, MAX_MESSAGE_ALARMS)
    for row in requests:
        view = request_from_row(row).at(now)
        assert view.due is not None  # an armed deadline has passed: there is a due time
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
    for notice in node.notices.overdue(now, MAX_ALARMS):
        assert notice.due is not None  # an overdue copy was delivered, so it has a deadline
        found.append(
            Alarm(
                id=notice.id,
                kind="desk-not-answering" if notice.kind == Kind.DESK_CHECK else "ack-overdue",
                owed_by=notice.recipient,
                owed_to=notice.sender,
                due=notice.due,
                subject=summary_of(notice.kind, notice.body)[:120] or notice.kind,
                raised_at=notice.due,
            )
        )
    for row in messages:
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


FRESH_SECONDS = 0.5
# However quiet the node, the alarms are evaluated afresh at least this often: a belt to
# the skip below, should something change an obligation without a new store revision.
FULL_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class _Evaluated:
    """What the last full evaluation saw: the set of overdue obligations cannot change
    before the store's revision moves or the clock passes ``next_due``."""

    revision: int
    next_due: str | None  # the earliest deadline still pending then
    at: float  # monotonic


class DeadlineWatcher:
    def __init__(self, node: Watched) -> None:
        self.node = node
        self.active: dict[str, Alarm] = {}
        self._ticked: float | None = None  # monotonic time of the last tick
        self._evaluated: _Evaluated | None = None
        self._lock = threading.Lock()

    def tick(self) -> list[Alarm]:
        """Re-evaluate; return the alarms raised by this tick."""
        with self._lock:
            self._ticked = time.monotonic()
            return self._tick()

    def _unchanged(self, stamp: str, monotonic: float) -> bool:
        """True when nothing was stored and no deadline passed since the last evaluation:
        a quiet node's tick costs one comparison, not a read of every open obligation."""
        last = self._evaluated
        return (
            last is not None
            and last.revision == self.node.revision
            and monotonic - last.at < FULL_SECONDS
            and (last.next_due is None or stamp <= last.next_due)
        )

    def _tick(self) -> list[Alarm]:
        now = self.node.clock()
        stamp = format_time(now)
        monotonic = time.monotonic()
        if self._unchanged(stamp, monotonic):
            return []
        revision = self.node.revision  # read before the store: a later write re-evaluates
        with self.node.store.read() as connection:
            next_due = folds.next_deadline(connection, stamp)
        current = {alarm.id + alarm.kind: alarm for alarm in overdue(self.node, now)}
        self._evaluated = _Evaluated(revision, next_due, monotonic)
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
        """The active alarms, re-evaluated first unless a tick ran within the last half
        second: what a page or ``status`` shows agrees with the deadlines it shows, even
        between two of the loop's ticks, while many open tabs share one evaluation."""
        last = self._ticked
        if last is None or time.monotonic() - last > FRESH_SECONDS:
            self.tick()
        return sorted(self.active.values(), key=lambda alarm: alarm.due)
