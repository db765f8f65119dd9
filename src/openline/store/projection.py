"""SQL of the fold tables: hotline messages, requests, notices and the floor's open items.

Writers take the open write connection of the transaction that stores the entries or the
receipt that changed them, so a fold is never out of step with the transcript. Readers
take any connection and read through an index, a page or a handful of rows at a time.
What each row means is decided by the folds in ``openline.core``; this module only moves
rows in and out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Connection,
    Row,
    and_,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    tuple_,
    update,
)

from openline.store import schema
from openline.store.bulk import insert_rows

messages = schema.messages
requests = schema.requests
notices = schema.notices
open_items = schema.open_items

NO_DEADLINE = "~"
"""Sorts after every entry time, so items without a deadline come last in their rank."""


# --- open items ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpenItem:
    id: str
    kind: str
    sender: str
    recipient: str
    seq: int
    time: str
    rank: int
    deadline: str | None

    def to_tuple(self) -> tuple[Any, ...]:
        """The row in the order of ``_OPEN_COLUMNS``."""
        return (
            self.id,
            self.kind,
            self.sender,
            self.recipient,
            self.seq,
            self.time,
            self.rank,
            self.deadline,
            self.deadline or NO_DEADLINE,
        )


def put_open(connection: Connection, items: Sequence[OpenItem], *, new: bool = False) -> None:
    """Insert or replace open items (``new``: they cannot be there yet, as for the items of
    entries just stored)."""
    if not items:
        return
    if not new:
        ids = [item.id for item in items]
        connection.execute(delete(open_items).where(open_items.c.id.in_(ids)))
    insert_rows(
        connection,
        open_items,
        _OPEN_COLUMNS,
        [item.to_tuple() for item in items],
    )


_OPEN_COLUMNS = (
    "id",
    "kind",
    "sender",
    "recipient",
    "seq",
    "time",
    "rank",
    "deadline",
    "sort_deadline",
)


def close_open(connection: Connection, ids: Iterable[str]) -> None:
    wanted = list(ids)
    if wanted:
        connection.execute(delete(open_items).where(open_items.c.id.in_(wanted)))


def most_urgent(connection: Connection, limit: int) -> list[Row[Any]]:
    """The open items an officer works first: highest precedence, nearest deadline."""
    table = open_items
    return list(
        connection.execute(
            select(table)
            .order_by(table.c.rank, table.c.sort_deadline, table.c.time, table.c.id)
            .limit(limit)
        )
    )


def open_count(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(open_items)).scalar() or 0)


def open_flashes(connection: Connection, party: str, kinds: Sequence[str], limit: int) -> list[str]:
    """Ids of incoming FLASH items this node's officers can acknowledge."""
    table = open_items
    rows = connection.execute(
        select(table.c.id)
        .where(table.c.rank == 0, table.c.recipient == party, table.c.kind.in_(list(kinds)))
        .order_by(table.c.sort_deadline, table.c.time, table.c.id)
        .limit(limit)
    )
    return [row.id for row in rows]


# --- hotline messages ----------------------------------------------------------------------


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


# --- requests ------------------------------------------------------------------------------


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


def request_counts(connection: Connection, party: str, now: str) -> list[tuple[str, str, int]]:
    """(direction, state at ``now``, count) over every request of this node."""
    state = request_state_at(now).label("state_now")
    direction = case((requests.c.requester == party, "out"), else_="in").label("direction")
    rows = connection.execute(
        select(direction, state, func.count()).group_by(direction, state)
    ).all()
    return [(str(row[0]), str(row[1]), int(row[2])) for row in rows]


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


# --- notices ---------------------------------------------------------------------------------


def notice_row(connection: Connection, notice_id: str) -> Row[Any] | None:
    return connection.execute(select(notices).where(notices.c.id == notice_id)).first()


def notice_rows(connection: Connection, ids: Sequence[str]) -> dict[str, Row[Any]]:
    if not ids:
        return {}
    rows = connection.execute(select(notices).where(notices.c.id.in_(list(ids))))
    return {row.id: row for row in rows}


def put_notice(connection: Connection, row: Mapping[str, Any]) -> None:
    connection.execute(delete(notices).where(notices.c.id == row["id"]))
    connection.execute(insert(notices).values(**row))


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


def desk_checks_page(
    connection: Connection,
    *,
    before: tuple[str, str] | None,
    limit: int,
    peer: str | None,
    party: str,
) -> list[Row[Any]]:
    """Desk checks both ways, newest first; only those of the link with ``peer`` if given."""
    table = notices
    query = select(table).where(table.c.kind == "desk.check")
    if peer is not None:
        query = query.where(
            or_(
                and_(table.c.sender == party, table.c.recipient == peer),
                and_(table.c.sender == peer, table.c.recipient == party),
            )
        )
    if before is not None:
        query = query.where(tuple_(table.c.time, table.c.id) < tuple_(*before))
    query = query.order_by(table.c.time.desc(), table.c.id.desc())
    return list(connection.execute(query.limit(limit)))


def _desk_checks(sender: str, recipient: str) -> tuple[Any, ...]:
    table = notices
    return (
        table.c.sender == sender,
        table.c.recipient == recipient,
        table.c.kind == "desk.check",
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
    counts = connection.execute(
        select(
            func.count(),
            func.count(table.c.answer_id),
            func.sum(case((table.c.answered_at > table.c.due, 1), else_=0)),
            func.sum(
                case(
                    (and_(table.c.answer_id.is_(None), table.c.due < now), 1),
                    else_=0,
                )
            ),
        ).where(*of_log)
    ).one()
    last_check = connection.execute(
        select(table).where(*of_log).order_by(table.c.seq.desc()).limit(1)
    ).first()
    latest_answer = connection.execute(
        select(table.c.answered_at, table.c.answered_by)
        .where(*of_log, table.c.answer_id.is_not(None))
        .order_by(table.c.answered_at.desc())
        .limit(1)
    ).first()
    owed = and_(*of_log, table.c.seq > _last_answered_seq(connection, sender, recipient))
    owed_count = connection.execute(select(func.count()).where(owed)).scalar() or 0
    owed_delivered = (
        connection.execute(
            select(func.count()).where(owed, table.c.delivered_at.is_not(None))
        ).scalar()
        or 0
    )
    return {
        "checks": int(counts[0]),
        "answered": int(counts[1]),
        "answered_late": int(counts[2] or 0),
        "unanswered": int(counts[3] or 0),
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
            table.c.kind == "desk.check",
            table.c.sender == sender,
            table.c.recipient == recipient,
        )
        .order_by(table.c.seq.desc())
        .limit(1)
    ).first()


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


def message_ack_id(connection: Connection, message_id: str) -> str | None:
    """The acknowledgement of a hotline message, if it has one."""
    table = messages
    value = connection.execute(select(table.c.ack_id).where(table.c.id == message_id)).scalar()
    return None if value is None else str(value)
