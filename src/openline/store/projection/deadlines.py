"""Provable deadlines between two parties, over the requests and notices they owe each other."""

from __future__ import annotations

from sqlalchemy import Connection, select

from openline.store import schema

requests = schema.requests
notices = schema.notices


def deadline_between(
    connection: Connection, owed_by: str, owed_to: str, after: str, until: str
) -> bool:
    """True when a provable deadline that ``owed_by`` owes ``owed_to`` (an armed request
    deadline, an unanswered notification's or desk check's) falls in ``[after, until)``."""
    request = connection.execute(
        select(requests.c.id)
        .where(
            requests.c.armed_due >= after,
            requests.c.armed_due < until,
            requests.c.counterpart == owed_by,
            requests.c.requester == owed_to,
        )
        .limit(1)
    ).first()
    if request is not None:
        return True
    notice = connection.execute(
        select(notices.c.id)
        .where(
            notices.c.answer_id.is_(None),
            notices.c.due >= after,
            notices.c.due < until,
            notices.c.recipient == owed_by,
            notices.c.sender == owed_to,
        )
        .limit(1)
    ).first()
    return notice is not None


def next_deadline(connection: Connection, after: str) -> str | None:
    """The earliest deadline at or after ``after`` that nothing has answered yet: an armed
    request deadline, an unanswered notice's, an unacknowledged message's. Until the clock
    passes it, and while nothing is stored, the set of overdue obligations stays as it is.
    One index seek per table."""
    messages = schema.messages
    found = [
        connection.execute(
            select(requests.c.armed_due)
            .where(requests.c.armed_due.is_not(None), requests.c.armed_due >= after)
            .order_by(requests.c.armed_due)
            .limit(1)
        ).scalar(),
        connection.execute(
            select(notices.c.due)
            .where(notices.c.answer_id.is_(None), notices.c.due >= after)
            .order_by(notices.c.due)
            .limit(1)
        ).scalar(),
        connection.execute(
            select(messages.c.ack_due)
            .where(messages.c.ack_id.is_(None), messages.c.ack_due >= after)
            .order_by(messages.c.ack_due)
            .limit(1)
        ).scalar(),
    ]
    pending = [str(due) for due in found if due is not None]
    return min(pending) if pending else None
