"""Desk checks: the pages, summaries and silences of the checks that a desk is manned."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, and_, func, select, tuple_

from openline.core.kinds import Kind
from openline.store import schema

notices = schema.notices


def desk_checks_page(
    connection: Connection,
    *,
    before: tuple[str, str] | None,
    limit: int,
    peer: str | None,
    party: str,
) -> list[Row[Any]]:
    """Desk checks both ways, newest first; only those of the link with ``peer`` if given.

    A link's page is read as one index range per direction (``notices_by_log_kind_time``)
    and merged: an ``OR`` of the two made SQLite sort every check of the link first."""
    if peer is None:
        return _newest_checks(connection, (), before, limit)
    ours = _newest_checks(connection, _desk_checks(party, peer), before, limit)
    theirs = _newest_checks(connection, _desk_checks(peer, party), before, limit)
    merged = sorted([*ours, *theirs], key=lambda row: (row.time, row.id), reverse=True)
    return merged[:limit]


def _newest_checks(
    connection: Connection,
    where: tuple[Any, ...],
    before: tuple[str, str] | None,
    limit: int,
) -> list[Row[Any]]:
    table = notices
    query = select(table).where(table.c.kind == Kind.DESK_CHECK, *where)
    if before is not None:
        query = query.where(tuple_(table.c.time, table.c.id) < tuple_(*before))
    query = query.order_by(table.c.time.desc(), table.c.id.desc())
    return list(connection.execute(query.limit(limit)))


def _desk_checks(sender: str, recipient: str) -> tuple[Any, ...]:
    table = notices
    return (
        table.c.sender == sender,
        table.c.recipient == recipient,
        table.c.kind == Kind.DESK_CHECK,
    )


def _last_answered_seq(connection: Connection, sender: str, recipient: str) -> int:
    table = notices
    row = connection.execute(
        select(table.c.seq)
        .where(*_desk_checks(sender, recipient), table.c.answer_id.is_not(None))
        .order_by(table.c.seq.desc())
        .limit(1)
    ).first()
    return -1 if row is None else int(row.seq)


def silent_desk_check(
    connection: Connection, sender: str, recipient: str, now: str
) -> Row[Any] | None:
    """The latest desk check of the log past its window with no answer since the desk last
    answered one: what "desk not answering" alarms on. Two index look-ups."""
    table = notices
    after = _last_answered_seq(connection, sender, recipient)
    return connection.execute(
        select(table)
        .where(
            *_desk_checks(sender, recipient),
            table.c.seq > after,
            table.c.answer_id.is_(None),
            table.c.due < now,
        )
        .order_by(table.c.seq.desc())
        .limit(1)
    ).first()


def desk_summary(connection: Connection, sender: str, recipient: str, now: str) -> dict[str, Any]:
    """Counts and landmarks of the desk checks of one log, for a page that shows them."""
    table = notices
    of_log = _desk_checks(sender, recipient)
    tallies = schema.desk_tallies
    tally = connection.execute(
        select(tallies).where(tallies.c.sender == sender, tallies.c.recipient == recipient)
    ).first()
    # Past their window unanswered: the unanswered checks' index, not the log's every check.
    unanswered = connection.execute(
        select(func.count()).where(*of_log, table.c.answer_id.is_(None), table.c.due < now)
    ).scalar()
    last_check = connection.execute(
        select(table).where(*of_log).order_by(table.c.seq.desc()).limit(1)
    ).first()
    owed = and_(*of_log, table.c.seq > _last_answered_seq(connection, sender, recipient))
    owed_count = connection.execute(select(func.count()).where(owed)).scalar() or 0
    owed_delivered = (
        connection.execute(
            select(func.count()).where(owed, table.c.delivered_at.is_not(None))
        ).scalar()
        or 0
    )
    latest_answer = (
        None
        if tally is None or tally.latest_answered_at is None
        else {"at": tally.latest_answered_at, "by": tally.latest_answered_by}
    )
    return {
        "checks": 0 if tally is None else int(tally.checks),
        "answered": 0 if tally is None else int(tally.answered),
        "answered_late": 0 if tally is None else int(tally.answered_late),
        "unanswered": int(unanswered or 0),
        "last_check": last_check,
        "latest_answer": latest_answer,
        "owed": int(owed_count),
        "owed_delivered": int(owed_delivered),
        "silent": silent_desk_check(connection, sender, recipient, now),
    }


def latest_desk_check(connection: Connection, sender: str, recipient: str) -> Row[Any] | None:
    table = notices
    return connection.execute(
        select(table)
        .where(
            table.c.kind == Kind.DESK_CHECK,
            table.c.sender == sender,
            table.c.recipient == recipient,
        )
        .order_by(table.c.seq.desc())
        .limit(1)
    ).first()
