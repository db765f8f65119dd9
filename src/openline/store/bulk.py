"""Bulk inserts on the delivery hot path, as plain driver statements.

SQLAlchemy's executemany processes every parameter of every row in Python (about 40 µs a
row of ours), which on the hot path cost as much as signing the entry. These inserts are
of columns we control, with values already of the driver's types (str, int, bytes), so
the statement is built once per table and the rows go to the DB-API driver as tuples.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, Table


@cache
def _statement(table: Table, columns: tuple[str, ...], paramstyle: str, ignore: bool) -> str:
    marker = "?" if paramstyle == "qmark" else "%s"
    for column in columns:
        table.c[column]  # a typo in our own column names fails here, not in SQL
    names = ", ".join(columns)
    values = ", ".join(marker for _ in columns)
    conflict = " ON CONFLICT DO NOTHING" if ignore else ""
    return f"INSERT INTO {table.name} ({names}) VALUES ({values}){conflict}"  # noqa: S608


def insert_rows(
    connection: Connection,
    table: Table,
    columns: tuple[str, ...],
    rows: Sequence[tuple[Any, ...]],
    *,
    ignore_duplicates: bool = False,
) -> None:
    """Insert ``rows`` (tuples in the order of ``columns``) in one executemany.

    ``ignore_duplicates`` skips rows whose primary key is already there (SQLite 3.24+ and
    PostgreSQL both read ``ON CONFLICT DO NOTHING``)."""
    if not rows:
        return
    paramstyle = connection.dialect.paramstyle
    if paramstyle not in ("qmark", "format", "pyformat"):
        raise ValueError(f"no bulk insert for the {paramstyle} parameter style")
    statement = _statement(table, columns, paramstyle, ignore_duplicates)
    connection.exec_driver_sql(statement, list(rows))
