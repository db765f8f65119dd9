"""Folds kept as tables, in step with the transcript, inside the same write transaction.

The folds themselves are the core's (``core.hotline``, ``core.requests``, ``core.notices``):
this module decides *which rows* a new entry or receipt changes and re-folds only those:

* a new message, request, notification or desk check adds its row (undelivered);
* an answer (an ack, a response, an update, a read receipt) re-folds the rows it refs,
  from that item's own history only (a request's follow-ups are listed on its row);
* a receipt of size ``n`` at time ``t`` delivers the rows of ``[previous, n)`` of its log,
  and, if ``t`` is earlier than a receipt already held (a clock that stepped back), moves
  every earlier delivery of the log below ``n`` back to ``t``: an entry's delivery is the
  earliest receipt that covers it (``core.obligations.DeliveryTimes``), whatever the order
  receipts arrive in.

The cost of each change is bounded by what it touches, never by the history. ``rebuild``
replays the transcript through the same steps, streaming it a chunk at a time; a test
checks that it reproduces the incremental result and the core's whole-history folds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, Row

from openline.core.entry import Entry
from openline.core.hotline import MessageView, message_view
from openline.core.kinds import Kind, kinds_of_fold
from openline.core.notices import (
    ANSWER_KINDS as NOTICE_ANSWER_KINDS,
)
from openline.core.notices import (
    NOTICE_KINDS,
    NoticeView,
    answer_counts,
    notice_view,
    with_answer,
)
from openline.core.precedence import PRECEDENCES, Precedence
from openline.core.requests import FOLLOW_UP_KINDS, REQUEST_KINDS, RequestView, fold_request
from openline.core.timefmt import format_time, parse_time
from openline.store import Store, projection
from openline.store.projection import OpenItem

CACHE_VERSION = "3"
"""Bumped whenever a cache's shape or meaning changes: a node whose recorded version
differs rebuilds its caches from the transcript when it opens."""

ITEM_KINDS = kinds_of_fold("message") | REQUEST_KINDS | NOTICE_KINDS
"""Kinds that create something owed an answer: each has a row of its own."""
ANSWERING_KINDS = frozenset({Kind.HOTLINE_ACK}) | FOLLOW_UP_KINDS | NOTICE_ANSWER_KINDS
"""Kinds that change the row of an item they ref."""

_RANK = {name: rank for rank, name in enumerate(PRECEDENCES)}
_MESSAGE_COLUMNS = tuple(name for name in MessageView.__dataclass_fields__ if name != "officer")
REBUILD_CHUNK = 2000


def rank_of(body: Mapping[str, Any], default: str) -> int:
    precedence = body.get("precedence", default)
    return _RANK.get(precedence if isinstance(precedence, str) else default, len(PRECEDENCES))


def _stamp(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


def _json(value: Any) -> str:
    # Sorted keys: a body built by an officer and the same body parsed from its leaf give
    # the same row (a rebuild reproduces the live tables byte for byte).
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode("utf-8")


def notice_from_row(row: Row[Any]) -> NoticeView:
    return NoticeView(
        id=row.id,
        kind=row.kind,
        sender=row.sender,
        recipient=row.recipient,
        seq=int(row.seq),
        time=row.time,
        body=orjson.loads(row.body),
        delivered_at=row.delivered_at,
        due=row.due,
        answer_id=row.answer_id,
        answered_at=row.answered_at,
        answered_by=row.answered_by,
        lead_time_seconds=None if row.lead_time_seconds is None else int(row.lead_time_seconds),
        late_notice=None if row.late_notice is None else bool(row.late_notice),
    )


def request_from_row(row: Row[Any]) -> RequestView:
    return RequestView.from_dict(orjson.loads(row.view))


def group_key(view: NoticeView) -> str:
    """Copies of one broadcast share their sender, kind, notice id and body, byte for byte.
    The id alone is not enough: the sender chooses it, and could reuse it to hide one
    notification behind another."""
    body = orjson.dumps(view.body, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(
        b"\n".join([view.sender.encode(), view.kind.encode(), view.notice.encode(), body])
    ).hexdigest()


class Projector:
    """Applies new entries and receipts to the fold tables of one node."""

    def __init__(
        self,
        objectives: Mapping[Precedence, timedelta],
        minimum_lead_times: Mapping[str, timedelta],
    ) -> None:
        self.objectives = objectives
        self.minimum_lead_times = minimum_lead_times

    # --- entries -----------------------------------------------------------------------

    def entries(self, connection: Connection, entries: Sequence[Entry]) -> None:
        """Apply entries just stored (in log order), before any receipt covers them."""
        known = {entry.id: entry for entry in entries}
        messages: list[tuple[Any, ...]] = []
        opened: list[OpenItem] = []

        def flush() -> None:
            projection.insert_messages(connection, _MESSAGE_COLUMNS, messages)
            projection.put_open(connection, opened, new=True)
            messages.clear()
            opened.clear()

        for entry in entries:
            kind = entry.kind
            if kind == Kind.HOTLINE_MESSAGE:
                view = message_view(entry, self.objectives, None)
                messages.append(tuple(getattr(view, name) for name in _MESSAGE_COLUMNS))
                opened.append(_open(entry, rank_of(entry.body, "routine"), None))
                continue
            if kind not in ITEM_KINDS and kind not in ANSWERING_KINDS:
                continue
            flush()  # an answer may ref an item of this very batch
            if kind in REQUEST_KINDS:
                self._put_request(connection, entry, [], None, known)
            elif kind in NOTICE_KINDS:
                self._put_notice(connection, notice_view(entry, None, self.minimum_lead_times))
            elif kind == Kind.HOTLINE_ACK:
                self._ack_message(connection, entry)
            elif kind in FOLLOW_UP_KINDS:
                self._follow_up(connection, entry, known)
            if kind in NOTICE_ANSWER_KINDS:
                self._answer_notice(connection, entry)
        flush()

    def _ack_message(self, connection: Connection, ack: Entry) -> None:
        # Only the recipient acknowledges, and the first acknowledgement counts (as
        # core.hotline.fold_hotline); the door refuses the rest, but a fold trusts no door.
        message_id = ack.refs[0]
        if projection.acknowledge_message(
            connection, message_id, ack.id, ack.time, ack.body["officer"], ack.sender, ack.recipient
        ):
            projection.close_open(connection, [message_id])

    def _follow_up(self, connection: Connection, entry: Entry, known: dict[str, Entry]) -> None:
        for ref in entry.refs:
            row = projection.request_row(connection, ref)
            if row is None:
                continue
            follow_ups = orjson.loads(row.follow_ups)
            if entry.id not in follow_ups:
                follow_ups.append(entry.id)
            self._refold_request(connection, row, follow_ups, row.delivered_at, known)

    def _answer_notice(self, connection: Connection, answer: Entry) -> None:
        for ref in answer.refs:
            row = projection.notice_row(connection, ref)
            if row is None:
                continue
            view = notice_from_row(row)
            if answer_counts(view, answer):
                self._put_notice(connection, with_answer(view, answer), row.group_key)

    # --- receipts ----------------------------------------------------------------------

    def receipt(
        self,
        connection: Connection,
        sender: str,
        recipient: str,
        covered: range,
        timestamp: int,
        *,
        backwards: bool,
    ) -> None:
        """A receipt of the ``sender→recipient`` log at unix ``timestamp``: the seqs of
        ``covered`` (past the previous receipt) are delivered now; ``backwards`` when an
        earlier-sized receipt held is later than this one, so that earlier deliveries
        below ``covered.stop`` may move back to ``timestamp``."""
        delivered = _stamp(timestamp)
        stamp = format_time(delivered)
        dues = {
            precedence.value: format_time(delivered + objective)
            for precedence, objective in self.objectives.items()
        }
        ranges = [(covered, False)]
        if backwards:
            ranges.append((range(0, covered.stop), True))
        for seqs, earlier in ranges:
            if not seqs:
                continue
            projection.deliver_messages(
                connection,
                sender,
                recipient,
                seqs,
                stamp,
                dues,
                earlier_than=stamp if earlier else None,
            )
            for request_id in projection.requests_in_range(
                connection, sender, recipient, seqs, stamp, earlier
            ):
                row = projection.request_row(connection, request_id)
                assert row is not None
                self._refold_request(connection, row, orjson.loads(row.follow_ups), stamp, {})
            for row in projection.notices_in_range(
                connection, sender, recipient, seqs, stamp, earlier
            ):
                self._redeliver_notice(connection, row, delivered)

    def _redeliver_notice(self, connection: Connection, row: Row[Any], delivered: datetime) -> None:
        held = notice_from_row(row)
        entry = _load(connection, [row.id], {})[row.id]
        view = notice_view(entry, delivered, self.minimum_lead_times)
        if held.answer_id is not None:
            view = replace(
                view,
                answer_id=held.answer_id,
                answered_at=held.answered_at,
                answered_by=held.answered_by,
            )
        self._put_notice(connection, view, row.group_key)

    # --- rows ----------------------------------------------------------------------------

    def _put_request(
        self,
        connection: Connection,
        request: Entry,
        follow_ups: list[str],
        delivered_at: str | None,
        known: dict[str, Entry],
    ) -> None:
        entries = _load(connection, follow_ups, known)
        related = sorted((entries[i] for i in follow_ups), key=lambda e: (e.sender, e.seq))
        delivered = None if delivered_at is None else parse_time(delivered_at)
        view = fold_request(request, related, delivered)
        projection.put_request(connection, _request_row(view, follow_ups))
        if view.owed:
            rank = rank_of(view.body, "routine")
            projection.put_open(connection, [_open(request, rank, view.due)])
        else:
            projection.close_open(connection, [view.id])

    def _refold_request(
        self,
        connection: Connection,
        row: Row[Any],
        follow_ups: list[str],
        delivered_at: str | None,
        known: dict[str, Entry],
    ) -> None:
        request = _load(connection, [row.id], known)[row.id]
        self._put_request(connection, request, follow_ups, delivered_at, known)

    def _put_notice(self, connection: Connection, view: NoticeView, key: str | None = None) -> None:
        key = key or group_key(view)
        body = dict(view.body)
        projection.put_notice(
            connection,
            {
                "id": view.id,
                "kind": view.kind,
                "sender": view.sender,
                "recipient": view.recipient,
                "seq": view.seq,
                "time": view.time,
                "notice": view.notice,
                "group_key": key,
                "leader": 0,
                "precedence": str(body.get("precedence", "immediate")),
                "delivered_at": view.delivered_at,
                "due": view.due,
                "answer_id": view.answer_id,
                "answered_at": view.answered_at,
                "answered_by": view.answered_by,
                "lead_time_seconds": view.lead_time_seconds,
                "late_notice": None if view.late_notice is None else int(view.late_notice),
                "body": _json(body),
            },
        )
        projection.set_leader(connection, key)
        if view.answer_id is None:
            entry_like = _open_of_notice(view)
            projection.put_open(connection, [entry_like])
        else:
            projection.close_open(connection, [view.id])

    # --- rebuild -------------------------------------------------------------------------

    def rebuild(self, connection: Connection, store: Store) -> dict[str, int]:
        """Regenerate every fold table from the transcript alone, a chunk at a time: the
        items of every log, then what answers them, then every log's receipts."""
        Store.clear_caches(connection)
        logs = store.logs(connection)
        counted = {"entries": 0, "messages": 0}
        for kinds in (ITEM_KINDS, ANSWERING_KINDS):
            for sender, recipient in logs:
                for chunk in store.entry_chunks(
                    connection, sender, recipient, kinds, REBUILD_CHUNK
                ):
                    entries = [Entry.from_leaf(stored.leaf) for stored in chunk]
                    counted["messages"] += sum(e.kind == Kind.HOTLINE_MESSAGE for e in entries)
                    self.entries(connection, entries)
        for sender, recipient in logs:
            counted["entries"] += Store.log_size(connection, sender, recipient)
            delivered = 0
            latest: int | None = None
            for size, timestamp in store.receipt_firsts(connection, sender, recipient):
                self.receipt(
                    connection,
                    sender,
                    recipient,
                    range(delivered, max(delivered, size)),
                    timestamp,
                    backwards=latest is not None and timestamp < latest,
                )
                delivered = max(delivered, size)
                latest = timestamp if latest is None else max(latest, timestamp)
        Store.set_meta(connection, "cache_version", CACHE_VERSION)
        return counted


def _open(entry: Entry, rank: int, deadline: str | None) -> OpenItem:
    return OpenItem(
        id=entry.id,
        kind=entry.kind,
        sender=entry.sender,
        recipient=entry.recipient,
        seq=entry.seq,
        time=entry.time,
        rank=rank,
        deadline=deadline,
    )


def _open_of_notice(view: NoticeView) -> OpenItem:
    return OpenItem(
        id=view.id,
        kind=view.kind,
        sender=view.sender,
        recipient=view.recipient,
        seq=view.seq,
        time=view.time,
        rank=rank_of(view.body, "immediate"),
        deadline=view.due,
    )


def _request_row(view: RequestView, follow_ups: list[str]) -> dict[str, Any]:
    armed = view.deadline_pending()
    return {
        "id": view.id,
        "kind": view.kind,
        "requester": view.requester,
        "counterpart": view.counterpart,
        "seq": view.seq,
        "time": view.time,
        "state": view.state,
        "due": view.due,
        "armed_due": None if armed is None else format_time(armed),
        "overdue_state": view.state_after_deadline(),
        "owed": int(view.owed),
        "delivered_at": view.delivered_at,
        "follow_ups": _json(follow_ups),
        "view": _json(view.to_dict()),
    }


def _load(connection: Connection, ids: Iterable[str], known: dict[str, Entry]) -> dict[str, Entry]:
    """Entries by id: from this batch if there, else parsed from the store (in the same
    transaction, so rows written by it are seen)."""
    found = {i: known[i] for i in ids if i in known}
    missing = [i for i in ids if i not in found]
    for entry_id, leaf in Store.leaves_by_id(connection, missing).items():
        found[entry_id] = Entry.from_leaf(leaf)
    return found
