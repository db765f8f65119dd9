"""Requests: their rows, state at a time, counts and pages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection, Row, and_, case, delete, func, insert, or_, select, tuple_

from openline.store import schema

requests = schema.requests


def request_row(connection: Connection, request_id: str) -> Row[Any] | None:
    return connection.execute(select(requests).where(requests.c.id == request_id)).first()


def request_rows(connection: Connection, ids: Sequence[str]) -> dict[str, Row[Any]]:
    if not ids:
        return {}
    rows = connection.execute(select(requests).where(requests.c.id.in_(list(ids))))
    return {row.id: row for row in rows}


def put_request(connection: Connection, row: Mapping[str, Any]) -> None:
    connection.execute(delete(requests).where(requests.c.id == row["id"]))
    connection.execute(insert(requests).values(**row))


def requests_in_range(
    connection: Connection,
    sender: str,
    recipient: str,
    covered: range,
    delivered_at: str,
    earlier_than: bool,
) -> list[str]:
    """Requests of a log whose delivery a receipt for ``covered`` sets (not yet delivered;
    or, with ``earlier_than``, delivered later than ``delivered_at``)."""
    table = requests
    pending: Any = table.c.delivered_at.is_(None)
    if earlier_than:
        pending = or_(pending, table.c.delivered_at > delivered_at)
    rows = connection.execute(
        select(table.c.id).where(
            table.c.requester == sender,
            table.c.counterpart == recipient,
            table.c.seq >= covered.start,
            table.c.seq < covered.stop,
            pending,
        )
    )
    return [row.id for row in rows]


def request_state_at(now: str) -> Any:
    """A request's state at ``now``, as SQL: the folded state, or the state its armed
    deadline turns it into once that deadline has passed."""
    return case(
        (
            and_(requests.c.armed_due.is_not(None), requests.c.armed_due < now),
            requests.c.overdue_state,
        ),
        else_=requests.c.state,
    )


class RequestCount(NamedTuple):
    direction: str  # in | out
    state: str  # at the time asked
    total: int


def request_counts(connection: Connection, party: str, now: str) -> list[RequestCount]:
    """(direction, state at ``now``, count) over every request of this node."""
    state = request_state_at(now).label("state_now")
    direction = case((requests.c.requester == party, "out"), else_="in").label("direction")
    rows = connection.execute(
        select(direction, state, func.count()).group_by(direction, state)
    ).all()
    return [RequestCount(str(row[0]), str(row[1]), int(row[2])) for row in rows]


def overdue_requests(connection: Connection, now: str, limit: int) -> list[Row[Any]]:
    """Requests whose armed deadline has passed (unanswered or overdue-deferred at ``now``),
    latest deadline first."""
    table = requests
    return list(
        connection.execute(
            select(table)
            .where(table.c.armed_due.is_not(None), table.c.armed_due < now)
            .order_by(table.c.armed_due.desc())
            .limit(limit)
        )
    )


def request_page(
    connection: Connection,
    *,
    before: tuple[str, str] | None,
    after: tuple[str, str] | None,
    limit: int,
    peer: str | None = None,
    party: str | None = None,
    direction: str | None = None,
    states: Sequence[str] | None = None,
    now: str = "",
    since: str | None = None,
    until: str | None = None,
) -> list[Row[Any]]:
    """Requests by signed time, newest first (``before``) or oldest first after a place
    (``after``); filtered by the other party, direction and state at ``now``."""
    table = requests
    query = select(table)
    if peer is not None:
        query = query.where(or_(table.c.requester == peer, table.c.counterpart == peer))
    if direction is not None and party is not None:
        side = table.c.requester if direction == "out" else table.c.counterpart
        query = query.where(side == party)
    if states is not None:
        query = query.where(request_state_at(now).in_(list(states)))
    if since is not None:
        query = query.where(table.c.time >= since)
    if until is not None:
        query = query.where(table.c.time < until)
    key = tuple_(table.c.time, table.c.id)
    if after is not None:
        query = query.where(key > tuple_(*after)).order_by(table.c.time, table.c.id)
    else:
        if before is not None:
            query = query.where(key < tuple_(*before))
        query = query.order_by(table.c.time.desc(), table.c.id.desc())
    return list(connection.execute(query.limit(limit)))


def requests_of_link(
    connection: Connection, party: str, counterpart: str, since: str | None, until: str | None
) -> list[Row[Any]]:
    """Every request between the two parties signed in ``[since, until)``, both ways."""
    table = requests
    query = select(table).where(
        or_(
            and_(table.c.requester == party, table.c.counterpart == counterpart),
            and_(table.c.requester == counterpart, table.c.counterpart == party),
        )
    )
    if since is not None:
        query = query.where(table.c.time >= since)
    if until is not None:
        query = query.where(table.c.time < until)
    return list(connection.execute(query.order_by(table.c.time, table.c.id)))


def recent_closed_requests(connection: Connection, limit: int) -> list[Row[Any]]:
    table = requests
    return list(
        connection.execute(
            select(table)
            .where(table.c.owed == 0)
            .order_by(table.c.time.desc(), table.c.id.desc())
            .limit(limit)
        )
    )
