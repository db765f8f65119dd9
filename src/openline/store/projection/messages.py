"""Hotline messages: their rows, acknowledgement, delivery and deadlines."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Row, case, func, select, update

from openline.store import schema
from openline.store.bulk import insert_rows
from openline.store.projection.open_items import NO_DEADLINE

messages = schema.messages
open_items = schema.open_items


def insert_messages(
    connection: Connection, columns: tuple[str, ...], rows: Sequence[tuple[Any, ...]]
) -> None:
    insert_rows(connection, messages, columns, rows)


def message_row(connection: Connection, message_id: str) -> Row[Any] | None:
    return connection.execute(select(messages).where(messages.c.id == message_id)).first()


def message_rows(connection: Connection, ids: Sequence[str]) -> dict[str, Row[Any]]:
    if not ids:
        return {}
    rows = connection.execute(select(messages).where(messages.c.id.in_(list(ids))))
    return {row.id: row for row in rows}


def acknowledge_message(
    connection: Connection,
    message_id: str,
    ack_id: str,
    ack_time: str,
    officer: str,
    by: str,
    to: str,
) -> bool:
    """Record the first acknowledgement of a message, by its recipient ``by`` to ``to``."""
    done = connection.execute(
        update(messages)
        .where(
            messages.c.id == message_id,
            messages.c.ack_id.is_(None),
            messages.c.recipient == by,
            messages.c.sender == to,
        )
        .values(ack_id=ack_id, ack_time=ack_time, ack_officer=officer)
    )
    return bool(done.rowcount)


def deliver_messages(
    connection: Connection,
    sender: str,
    recipient: str,
    covered: range,
    delivered_at: str,
    due_by_precedence: Mapping[str, str],
    earlier_than: str | None = None,
) -> None:
    """Set the delivery time and deadline of the messages of ``covered`` not yet delivered
    (or, with ``earlier_than``, delivered later than ``delivered_at``), and move their open
    items' deadlines with them. One ranged statement per table, whatever the log's length."""
    due = case(
        *((messages.c.precedence == name, value) for name, value in due_by_precedence.items())
    )
    pending = (
        messages.c.delivered_at.is_(None)
        if earlier_than is None
        else messages.c.delivered_at > delivered_at
    )
    connection.execute(
        update(messages)
        .where(
            messages.c.sender == sender,
            messages.c.recipient == recipient,
            messages.c.seq >= covered.start,
            messages.c.seq < covered.stop,
            pending,
        )
        .values(delivered_at=delivered_at, ack_due=due)
    )
    deadline = select(messages.c.ack_due).where(messages.c.id == open_items.c.id).scalar_subquery()
    delivered = select(messages.c.id).where(
        messages.c.sender == sender,
        messages.c.recipient == recipient,
        messages.c.seq >= covered.start,
        messages.c.seq < covered.stop,
        messages.c.ack_id.is_(None),
    )
    connection.execute(
        update(open_items)
        .where(open_items.c.id.in_(delivered))
        .values(deadline=deadline, sort_deadline=func.coalesce(deadline, NO_DEADLINE))
    )


def overdue_messages(connection: Connection, now: str, limit: int) -> list[Row[Any]]:
    """Unacknowledged messages past their deadline, latest deadline first."""
    table = messages
    return list(
        connection.execute(
            select(table.c.id, table.c.sender, table.c.recipient, table.c.ack_due, table.c.text)
            .where(table.c.ack_id.is_(None), table.c.ack_due < now)
            .order_by(table.c.ack_due.desc())
            .limit(limit)
        )
    )


def overdue_message_counts(connection: Connection, party: str, now: str) -> dict[bool, int]:
    """Overdue acknowledgements: True for those owed by ``party``, False for those owed to it."""
    table = messages
    rows = connection.execute(
        select(table.c.recipient == party, func.count())
        .where(table.c.ack_id.is_(None), table.c.ack_due < now)
        .group_by(table.c.recipient == party)
    ).all()
    return {bool(ours): int(count) for ours, count in rows}


def recent_closed_messages(connection: Connection, limit: int) -> list[Row[Any]]:
    table = messages
    return list(
        connection.execute(
            select(table)
            .where(table.c.ack_id.is_not(None))
            .order_by(table.c.time.desc(), table.c.id.desc())
            .limit(limit)
        )
    )


def message_ack_id(connection: Connection, message_id: str) -> str | None:
    """The acknowledgement of a hotline message, if it has one."""
    table = messages
    value = connection.execute(select(table.c.ack_id).where(table.c.id == message_id)).scalar()
    return None if value is None else str(value)
