"""Cache tables kept in step with the transcript, inside the same write transaction.

They are folds (``openline.core.hotline``); ``rebuild`` regenerates them from the entries
alone and a test checks that the live projection and the rebuild agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import fields
from datetime import timedelta

from sqlalchemy import Connection, insert, update

from openline.core.entry import Entry
from openline.core.hotline import MessageView, fold_hotline, message_view
from openline.core.kinds import Precedence
from openline.store import schema

_MESSAGE_FIELDS = tuple(field.name for field in fields(MessageView))


def _row(view: MessageView) -> dict[str, object]:
    # dataclasses.asdict deep-copies every value; a flat view needs none of that.
    return {name: getattr(view, name) for name in _MESSAGE_FIELDS}


def project(
    connection: Connection, entries: Iterable[Entry], objectives: Mapping[Precedence, timedelta]
) -> None:
    """Apply newly stored entries to the caches."""
    table = schema.messages
    rows = []
    for entry in entries:
        if entry.kind == "hotline.message":
            rows.append(_row(message_view(entry, objectives)))
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


def rebuild(
    connection: Connection, entries: Iterable[Entry], objectives: Mapping[Precedence, timedelta]
) -> int:
    """Regenerate every cache from the transcript; returns the number of rows written."""
    for table in schema.CACHE_TABLES:
        connection.execute(table.delete())
    views = fold_hotline(entries, objectives)
    if views:
        connection.execute(insert(schema.messages), [_row(view) for view in views.values()])
    return len(views)
