"""The store adapter: SQLAlchemy Core over SQLite (WAL, synchronous=FULL) or PostgreSQL.

Every write goes through :meth:`Store.write`, one short transaction that is durable when it
returns. On SQLite it begins with ``BEGIN IMMEDIATE`` so that the CLI and a running node
serialise their writes instead of failing half-way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, delete, event, insert, select, text
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.pool import QueuePool

from openline.store import schema
from openline.store.checkpoint_rows import CheckpointRows
from openline.store.cosignature_rows import CosignatureRows, StoredCosignature
from openline.store.entry_rows import EntryRows, StoredEntry, _stored_entry
from openline.store.equivocation_rows import EquivocationRows
from openline.store.officer_rows import OfficerRow, OfficerRows
from openline.store.pinned_rows import PinnedPeer, PinnedRows

# The row types live with their tables' rows and are imported from here as well;
# transcript.py builds its pages' rows with _stored_entry.
__all__ = [
    "OfficerRow",
    "PinnedPeer",
    "Store",
    "StoredCosignature",
    "StoredEntry",
    "_stored_entry",
]

HEAD_REVISION = "0012"
"""The newest migration's revision (``store/migrations/versions/``); a test holds it to
Alembic's own head, so a new migration cannot be forgotten here."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA cache_size=-32768")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # Writers take the write lock up front, so that two writers queue on busy_timeout
    # instead of deadlocking on a lock upgrade; readers never block anyone in WAL mode.
    if connection.get_execution_options().get("openline_write"):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


class Store(EntryRows, CheckpointRows, CosignatureRows, EquivocationRows, PinnedRows, OfficerRows):
    """One node's database. Create with :meth:`open_sqlite` or :meth:`open_url`.

    Its reads and writes are grouped by table in the classes it is made of (``*_rows.py``,
    each on :class:`~openline.store.connections.Transactions`): called on the store
    (``store.peers()``), or on the class with an open write connection
    (``Store.insert_entries(connection, ...)``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._writer = engine.execution_options(openline_write=True)
        self._migrate()

    @classmethod
    def open_sqlite(cls, path: Path) -> Store:
        # Pooled connections stay open: with a connection per transaction, every close of
        # the last connection checkpoints and truncates the WAL, costing ~2 ms per commit.
        # close() disposes the pool, so the WAL is still merged when a process ends cleanly.
        engine = create_engine(
            f"sqlite:///{path}", poolclass=QueuePool, pool_size=4, max_overflow=8
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return cls(engine)

    @classmethod
    def open_url(cls, url: str) -> Store:
        if url.startswith("sqlite:///"):
            return cls.open_sqlite(Path(url.removeprefix("sqlite:///")))
        return cls(create_engine(url, pool_pre_ping=True))

    def _migrate(self) -> None:
        # A store already at the newest schema (every open but the first after an upgrade)
        # needs no migration, so Alembic, a fifth of a CLI call's start-up, is not loaded.
        if self.schema_revision() == HEAD_REVISION:
            return
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", "openline.store:migrations")
        with self._writer.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def schema_revision(self) -> str | None:
        """The Alembic revision the store is at; None for a store not yet migrated."""
        try:
            with self.engine.connect() as connection:
                row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
        except (OperationalError, ProgrammingError):  # no such table: a new store
            return None
        return None if row is None else str(row[0])

    def close(self) -> None:
        self.engine.dispose()

    # --- caches ------------------------------------------------------------------------------

    @staticmethod
    def get_meta(connection: Connection, key: str) -> str | None:
        table = schema.meta
        value = connection.execute(select(table.c.value).where(table.c.key == key)).scalar()
        return None if value is None else str(value)

    @staticmethod
    def set_meta(connection: Connection, key: str, value: str) -> None:
        table = schema.meta
        connection.execute(delete(table).where(table.c.key == key))
        connection.execute(insert(table).values(key=key, value=value))

    @staticmethod
    def clear_caches(connection: Connection) -> None:
        for table in schema.CACHE_TABLES:
            connection.execute(delete(table))
