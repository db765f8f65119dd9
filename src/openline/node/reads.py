"""What a node shows: its status and alarms, a hotline message's state, and the
transcript with a peer a page at a time. Each read is bounded by what it shows: counts come
from the folds, pages from two index ranges."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from openline.core.entry import Entry
from openline.core.kinds import Kind
from openline.core.paging import Page
from openline.core.timefmt import format_time
from openline.node.app import Node
from openline.node.errors import cursor_errors, page_size
from openline.node.notices import combined_line_state
from openline.node.watcher import Alarm, overdue
from openline.store import Store, transcript
from openline.store import projection as folds


def status(node: Node) -> dict[str, Any]:
    now = node.clock()
    peers = [peer_status(node, party, now) for party in sorted(node.peers.pinned())]
    return {
        "party": node.party,
        "fingerprint": node.key.public_key.fingerprint(),
        "running": node.running,
        "time": format_time(now),
        "peers": peers,
        "overdue_acks": overdue_counts(node, now),
        "requests": request_counts(node, now),
        "alarms": [alarm.to_json() for alarm in alarms(node)],
        "equivocations": node.store.equivocations(),
        "equivocation_count": node.store.equivocation_count(),
    }


def peer_status(node: Node, party: str, now: datetime) -> dict[str, Any]:
    """One link's row of :func:`status`: what a counterpart's page or the transcript shows
    without counting the alarms and requests of every link."""
    pinned = node.peers.peer(party)
    with node.store.read() as connection:
        sent = Store.log_size(connection, node.party, party)
        received = Store.log_size(connection, party, node.party)
    delivered = node.delivered_size(party)
    last_receipt = node.store.latest_cosignature_time(node.party, party, party)
    health = node.health.get(party)
    desk = node.notices.desk(party)
    state = (
        health.state(now, node.config.heartbeat_seconds)
        if node.running and health is not None
        else ("down" if node.running else "node-not-running")
    )
    last_contact = [
        moment
        for moment in (
            None if health is None else health.last_receipt,
            None if health is None else health.last_heard,
            None if last_receipt is None else datetime.fromtimestamp(last_receipt, UTC),
        )
        if moment is not None
    ]
    return {
        "party": party,
        "name": pinned.card.display_name(node.config.default_lang),
        "url": pinned.url,
        "fingerprint": pinned.card.fingerprint,
        "link": state,
        "sent": sent,
        "delivered": delivered,
        "pending": sent - delivered,
        "received": received,
        "last_receipt": None
        if last_receipt is None
        else format_time(datetime.fromtimestamp(last_receipt, UTC)),
        "last_error": None if health is None else health.last_error,
        "failures": 0 if health is None else health.failures,
        # Down since the last sign of life: a receipt or a batch (None: none since the
        # link was pinned).
        "down_since": format_time(max(last_contact)) if state == "down" and last_contact else None,
        "desk": desk,
        "line": combined_line_state(state, desk["state"]),
    }


def alarms(node: Node) -> list[Alarm]:
    """Overdue obligations: as the watcher raised them, or as of now when not running."""
    if node.running:
        return node.watcher.alarms()
    return sorted(overdue(node, node.clock()), key=lambda alarm: alarm.due)


def request_counts(node: Node, now: datetime) -> dict[str, dict[str, int]]:
    """Requests by direction and state at ``now``, counted in the store."""
    counts: dict[str, dict[str, int]] = {"out": {}, "in": {}}
    with node.store.read() as connection:
        rows = folds.request_counts(connection, node.party, format_time(now))
    for row in rows:
        counts[row.direction][row.state] = row.total
    return counts


def overdue_counts(node: Node, now: datetime) -> dict[str, int]:
    """Unacknowledged messages past their objective: ours to answer, and theirs."""
    with node.store.read() as connection:
        counts = folds.overdue_message_counts(connection, node.party, format_time(now))
    return {"ours": counts.get(True, 0), "theirs": counts.get(False, 0)}


def message(node: Node, message_id: str) -> dict[str, Any] | None:
    """A hotline message's row of the fold, with whether it is overdue now."""
    with node.store.read() as connection:
        rows = folds.message_rows(connection, [message_id])
    row = rows.get(message_id)
    return None if row is None else message_json(row, format_time(node.clock()))


def message_json(row: Any, now: str) -> dict[str, Any]:
    data = dict(row._mapping)
    data["overdue"] = (
        data["ack_id"] is None and data["ack_due"] is not None and (data["ack_due"] < now)
    )
    return data


def log_page(
    node: Node,
    peer: str,
    limit: int | None = None,
    before: str | None = None,
    after: str | None = None,
) -> Page[dict[str, Any]]:
    """Both directions of the transcript with ``peer``, a page at a time: the newest
    ``limit`` entries before the place ``before`` names (or the newest of all), or the
    oldest after ``after``; in time order either way. Reads two index ranges of at most
    ``limit`` rows and nothing else, however long the logs."""
    page = log_entries(node, peer, limit, before, after)
    return Page([row for row, _ in page.items], page.before, page.after)


def log_entries(
    node: Node,
    peer: str,
    limit: int | None = None,
    before: str | None = None,
    after: str | None = None,
) -> Page[tuple[dict[str, Any], Entry]]:
    """:meth:`log_page`, each row with its entry as read and checked."""
    node.peers.peer(peer)
    count = page_size(limit)
    with node.store.read() as connection:
        with cursor_errors():
            page = transcript.page(connection, node.party, peer, count, before=before, after=after)
        ids = [stored.id for stored in page.items if stored.kind == Kind.HOTLINE_MESSAGE]
        messages = folds.message_rows(connection, ids)
    delivered = node.delivered_size(peer)
    now = format_time(node.clock())
    rows: list[tuple[dict[str, Any], Entry]] = []
    for stored in page.items:
        entry = Entry.from_leaf(stored.leaf)
        outgoing = stored.sender == node.party
        row = messages.get(entry.id)
        view = None if row is None else message_json(row, now)
        rows.append(
            (
                {
                    "direction": "out" if outgoing else "in",
                    "from": stored.sender,
                    "to": stored.recipient,
                    "seq": entry.seq,
                    "id": entry.id,
                    "time": entry.time,
                    "kind": entry.kind,
                    "body": dict(entry.body),
                    "refs": list(entry.refs),
                    "delivered": entry.seq < delivered if outgoing else True,
                    "acked_by": None if view is None else view["ack_id"],
                    "ack_due": None if view is None else view["ack_due"],
                    "overdue": False if view is None else view["overdue"],
                },
                entry,
            )
        )
    return Page(rows, page.before, page.after)
