"""The floor's open items: what an officer still has to act on, most urgent first."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, delete, func, select

from openline.store import schema
from openline.store.bulk import insert_rows

open_items = schema.open_items

NO_DEADLINE = "~"
"""Sorts after every entry time, so items without a deadline come last in their rank."""


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


def live_open(connection: Connection, kind: str, recipient: str, now: str, limit: int) -> list[str]:
    """Ids of open items of ``kind`` that ``recipient`` owes and whose deadline has not
    passed, the latest deadline (the newest) first."""
    table = open_items
    rows = connection.execute(
        select(table.c.id)
        .where(
            table.c.kind == kind,
            table.c.recipient == recipient,
            table.c.sort_deadline > now,
            table.c.sort_deadline != NO_DEADLINE,
        )
        .order_by(table.c.sort_deadline.desc())
        .limit(limit)
    )
    return [row.id for row in rows]
