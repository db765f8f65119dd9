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
