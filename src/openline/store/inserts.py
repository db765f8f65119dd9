"""Insert statements shared by the store's row groups: a row's storing order, and inserts
that leave a row already there alone."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, func, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert


def next_seen(table: Table, sender: str, recipient: str) -> Any:
    """The storing order of a row about to be inserted: one past the log's latest (read
    inside the insert, under the write lock, so two rows never share a number)."""
    return (
        select(func.coalesce(func.max(table.c.seen), 0) + 1)
        .where(table.c.log_sender == sender, table.c.log_recipient == recipient)
        .scalar_subquery()
    )


def insert_ignoring_duplicates(
    connection: Connection, table: Table, values: dict[str, Any]
) -> None:
    """Insert a row unless its primary key is already there (one statement, no race)."""
    if connection.dialect.name == "postgresql":
        statement: Any = postgresql_insert(table).values(values).on_conflict_do_nothing()
    else:
        statement = sqlite_insert(table).values(values).on_conflict_do_nothing()
    connection.execute(statement)


def insert_if_absent(
    connection: Connection, table: Table, key: str, values: dict[str, Any]
) -> bool:
    """Insert the row unless one with the same key exists; True when inserted."""
    column = table.c[key]
    if connection.execute(select(column).where(column == values[key])).first() is not None:
        return False
    connection.execute(insert(table).values(**values))
    return True
