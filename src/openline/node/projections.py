"""Cache tables kept in step with the transcript, inside the same write transaction.

They are folds (``openline.core.hotline``); ``rebuild`` regenerates them from the entries
alone and a test checks that the live projection and the rebuild agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import fields
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, case, insert, update

from openline.core.entry import Entry
from openline.core.hotline import MessageView, fold_hotline, message_view
from openline.core.obligations import DeliveryTimes
from openline.core.precedence import Precedence
from openline.core.timefmt import format_time
from openline.store import Store, schema

CACHE_VERSION = "2"
"""Bumped whenever a cache's shape or meaning changes: a node whose recorded version
differs rebuilds its caches from the transcript when it opens."""

# The cache keeps the columns of ``schema.messages``; the fold's view may carry more (the
# sending officer, which readers take from the signed body).
_MESSAGE_FIELDS = tuple(
    field.name for field in fields(MessageView) if field.name in schema.messages.c
)


def _row(view: MessageView) -> dict[str, object]:
    # dataclasses.asdict deep-copies every value; a flat view needs none of that.
    return {name: getattr(view, name) for name in _MESSAGE_FIELDS}


def project(
    connection: Connection,
    entries: Iterable[Entry],
    objectives: Mapping[Precedence, timedelta],
    delivered_at: datetime | None = None,
) -> None:
    """Apply newly stored entries to the caches; ``delivered_at`` is the receipt time of
    entries just received (None for our own, until the peer's receipt comes back)."""
    table = schema.messages
    rows = []
    for entry in entries:
        if entry.kind == "hotline.message":
            rows.append(_row(message_view(entry, objectives, delivered_at)))
        elif entry.kind == "hotline.ack":
            if rows:  # the ack may answer a message inserted by this very batch
                connection.execute(insert(table), rows)
                rows = []
            connection.execute(
                update(table)
                .where(table.c.id == entry.refs[0], table.c.ack_id.is_(None))
                .values(ack_id=entry.id, ack_time=entry.time, ack_officer=entry.body["officer"])
            )
    if rows:
        connection.execute(insert(table), rows)


def project_receipt(
    connection: Connection,
    sender: str,
    recipient: str,
    covered: range,
    timestamp: int,
    objectives: Mapping[Precedence, timedelta],
) -> None:
    """A receipt for the seqs ``covered`` of ``sender→recipient`` (those past the previous
    receipt): their objectives start now. One ranged statement, whatever the log's length."""
    if not covered:
        return
    table = schema.messages
    delivered = datetime.fromtimestamp(timestamp, UTC)
    due = case(
        *(
            (table.c.precedence == precedence.value, format_time(delivered + objective))
            for precedence, objective in objectives.items()
        ),
    )
    connection.execute(
        update(table)
        .where(
            table.c.sender == sender,
            table.c.recipient == recipient,
            table.c.seq >= covered.start,
            table.c.seq < covered.stop,
            table.c.delivered_at.is_(None),
        )
        .values(delivered_at=format_time(delivered), ack_due=due)
    )


def rebuild(
    connection: Connection,
    entries: Iterable[Entry],
    objectives: Mapping[Precedence, timedelta],
    receipts: Mapping[tuple[str, str], Iterable[tuple[int, int]]],
) -> int:
    """Regenerate every cache from the transcript; returns the number of rows written."""
    for table in schema.CACHE_TABLES:
        connection.execute(table.delete())
    deliveries = {log: DeliveryTimes(pairs) for log, pairs in receipts.items()}
    views = fold_hotline(entries, objectives, deliveries)
    if views:
        connection.execute(insert(schema.messages), [_row(view) for view in views.values()])
    Store.set_meta(connection, "cache_version", CACHE_VERSION)
    return len(views)
