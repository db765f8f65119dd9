"""The store's two kinds of transaction: a durable write and a read.

:class:`Transactions` is the base of every group of the store's rows (``*_rows.py``) and so
of :class:`~openline.store.database.Store`, which opens the engine they run on.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine


class Transactions:
    """Short transactions on one node's database engine."""

    engine: Engine
    _writer: Engine  # the same engine, its transactions marked to take the write lock

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One durable write transaction."""
        with self._writer.begin() as connection:
            yield connection

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as connection:
            yield connection
