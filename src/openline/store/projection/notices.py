"""Notices (notifications, incidents, desk checks): their rows, groups of copies and pages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Row, case, delete, func, insert, or_, select, tuple_, update

from openline.core.kinds import Kind
from openline.store import schema

notices = schema.notices


def notice_row(connection: Connection, notice_id: str) -> Row[Any] | None:
    return connection.execute(select(notices).where(notices.c.id == notice_id)).first()


def notice_rows(connection: Connection, ids: Sequence[str]) -> dict[str, Row[Any]]:
    if not ids:
        return {}
    rows = connection.execute(select(notices).where(notices.c.id.in_(list(ids))))
    return {row.id: row for row in rows}


def put_notice(connection: Connection, row: Mapping[str, Any]) -> None:
    if row["kind"] == Kind.DESK_CHECK:
        tally_desk_check(connection, notice_row(connection, row["id"]), row)
    connection.execute(delete(notices).where(notices.c.id == row["id"]))
    connection.execute(insert(notices).values(**row))


def tally_desk_check(connection: Connection, old: Row[Any] | None, new: Mapping[str, Any]) -> None:
    """Move the log's desk tally from the check's ``old`` row (none if it is new) to its
    ``new`` one. An answer, once folded, stays: the latest answer only moves forward (of
    two at the same instant, the greatest name, whatever the order they are folded in)."""
    table = schema.desk_tallies
    key = (table.c.sender == new["sender"], table.c.recipient == new["recipient"])
    tally = connection.execute(select(table).where(*key)).first()
    counts = {"checks": 0, "answered": 0, "answered_late": 0}
    latest: tuple[str, str] | None = None
    if tally is not None:
        counts = {name: int(getattr(tally, name)) for name in counts}
        if tally.latest_answered_at is not None:
            latest = (tally.latest_answered_at, tally.latest_answered_by or "")
    for row, sign in ((old, -1), (new, 1)):
        if row is None:
            continue
        fields = row._mapping if isinstance(row, Row) else row
        counts["checks"] += sign
        counts["answered"] += sign * (fields["answer_id"] is not None)
        counts["answered_late"] += sign * _answered_late(fields)
    if new["answered_at"] is not None:
        answer = (new["answered_at"], new["answered_by"] or "")
        latest = answer if latest is None else max(latest, answer)
    values = {
        **counts,
        "latest_answered_at": None if latest is None else latest[0],
        "latest_answered_by": None if latest is None else latest[1],
    }
    if tally is None:
        connection.execute(
            insert(table).values(sender=new["sender"], recipient=new["recipient"], **values)
        )
    else:
        connection.execute(update(table).where(*key).values(**values))


def _answered_late(fields: Mapping[Any, Any]) -> bool:
    answered, due = fields["answered_at"], fields["due"]
    return answered is not None and due is not None and answered > due


def group_copies(connection: Connection, group_key: str) -> list[Row[Any]]:
    table = notices
    return list(
        connection.execute(
            select(table).where(table.c.group_key == group_key).order_by(table.c.recipient)
        )
    )


def set_leader(connection: Connection, group_key: str) -> None:
    """Make the copy with the smallest id the group's leader, and only it."""
    table = notices
    first = connection.execute(
        select(func.min(table.c.id)).where(table.c.group_key == group_key)
    ).scalar()
    connection.execute(
        update(table)
        .where(table.c.group_key == group_key)
        .values(leader=case((table.c.id == first, 1), else_=0))
    )


def groups_with_notice(connection: Connection, notice: str, kinds: Sequence[str]) -> list[str]:
    table = notices
    rows = connection.execute(
        select(table.c.group_key)
        .where(table.c.notice == notice, table.c.kind.in_(list(kinds)))
        .distinct()
    )
    return [row.group_key for row in rows]


def notices_in_range(
    connection: Connection,
    sender: str,
    recipient: str,
    covered: range,
    delivered_at: str,
    earlier_than: bool,
) -> list[Row[Any]]:
    table = notices
    pending: Any = table.c.delivered_at.is_(None)
    if earlier_than:
        pending = or_(pending, table.c.delivered_at > delivered_at)
    return list(
        connection.execute(
            select(table).where(
                table.c.sender == sender,
                table.c.recipient == recipient,
                table.c.seq >= covered.start,
                table.c.seq < covered.stop,
                pending,
            )
        )
    )


def notice_group_page(
    connection: Connection,
    *,
    before: tuple[str, str] | None,
    after: tuple[str, str] | None,
    limit: int,
    kinds: Sequence[str],
    party: str,
    direction: str | None,
) -> list[Row[Any]]:
    """Leaders of notification groups by signed time, newest first (or after a place)."""
    table = notices
    query = select(table).where(table.c.leader == 1, table.c.kind.in_(list(kinds)))
    if direction == "out":
        query = query.where(table.c.sender == party)
    elif direction == "in":
        query = query.where(table.c.sender != party)
    key = tuple_(table.c.time, table.c.id)
    if after is not None:
        query = query.where(key > tuple_(*after)).order_by(table.c.time, table.c.id)
    else:
        if before is not None:
            query = query.where(key < tuple_(*before))
        query = query.order_by(table.c.time.desc(), table.c.id.desc())
    return list(connection.execute(query.limit(limit)))


def overdue_notices(
    connection: Connection, now: str, kinds: Sequence[str], limit: int
) -> list[Row[Any]]:
    """Unanswered copies of ``kinds`` past their deadline, latest deadline first."""
    table = notices
    return list(
        connection.execute(
            select(table)
            .where(table.c.answer_id.is_(None), table.c.due < now, table.c.kind.in_(list(kinds)))
            .order_by(table.c.due.desc())
            .limit(limit)
        )
    )


def recent_closed_notices(connection: Connection, limit: int) -> list[Row[Any]]:
    table = notices
    return list(
        connection.execute(
            select(table)
            .where(table.c.answer_id.is_not(None))
            .order_by(table.c.time.desc(), table.c.id.desc())
            .limit(limit)
        )
    )


def notices_for_map(connection: Connection, kinds: Sequence[str], limit: int) -> list[Row[Any]]:
    """Copies of the latest notifications and incidents (leaders' groups), newest first."""
    table = notices
    leaders = (
        select(table.c.group_key)
        .where(table.c.leader == 1, table.c.kind.in_(list(kinds)))
        .order_by(table.c.time.desc(), table.c.id.desc())
        .limit(limit)
        .subquery()
    )
    return list(
        connection.execute(select(table).where(table.c.group_key.in_(select(leaders.c.group_key))))
    )
