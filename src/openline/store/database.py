"""The store adapter: SQLAlchemy Core over SQLite (WAL, synchronous=FULL) or PostgreSQL.

Every write goes through :meth:`Store.write`, one short transaction that is durable when it
returns. On SQLite it begins with ``BEGIN IMMEDIATE`` so that the CLI and a running node
serialise their writes instead of failing half-way.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    Connection,
    Engine,
    Table,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.pool import QueuePool

from openline.core.card import Card
from openline.core.checkpoint import Checkpoint
from openline.core.cosignature import Cosignature
from openline.core.entry import Entry
from openline.core.link import EquivocationEvidence, RefTarget
from openline.store import schema
from openline.store.bulk import insert_rows


@dataclass(frozen=True, slots=True)
class StoredEntry:
    sender: str
    recipient: str
    seq: int
    id: str
    leaf: bytes
    kind: str
    time: str
    stored_at: str


@dataclass(frozen=True, slots=True)
class OfficerRow:
    username: str
    role: str
    password_hash: str
    token_digest: str | None
    disabled: bool
    created_at: str
    changed_at: str
    lang: str | None = None


@dataclass(frozen=True, slots=True)
class StoredCosignature:
    sender: str
    recipient: str
    size: int
    cosigner: str
    timestamp: int
    line: str


@dataclass(frozen=True, slots=True)
class PinnedPeer:
    party: str
    card: Card
    url: str
    pinned_at: str


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # Writers take the write lock up front, so that two writers queue on busy_timeout
    # instead of deadlocking on a lock upgrade; readers never block anyone in WAL mode.
    if connection.get_execution_options().get("openline_write"):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


class Store:
    """One node's database. Create with :meth:`open_sqlite` or :meth:`open_url`."""

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
        config = Config()
        config.set_main_option("script_location", "openline.store:migrations")
        with self._writer.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One durable write transaction."""
        with self._writer.begin() as connection:
            yield connection

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as connection:
            yield connection

    # --- transcript ------------------------------------------------------------------------

    @staticmethod
    def insert_entries(connection: Connection, entries: Sequence[Entry], stored_at: str) -> None:
        insert_rows(
            connection,
            schema.entries,
            _ENTRY_COLUMNS,
            [
                (
                    entry.sender,
                    entry.recipient,
                    entry.seq,
                    entry.id,
                    entry.leaf,
                    entry.kind,
                    entry.time,
                    stored_at,
                )
                for entry in entries
            ],
        )

    @staticmethod
    def log_size(connection: Connection, sender: str, recipient: str) -> int:
        table = schema.entries
        value = connection.execute(
            select(func.max(table.c.seq)).where(
                table.c.log_sender == sender, table.c.log_recipient == recipient
            )
        ).scalar()
        return 0 if value is None else int(value) + 1

    def latest_entry_time(self, sender: str, recipient: str) -> str | None:
        """The signed time of the log's newest entry (None for an empty log)."""
        table = schema.entries
        with self.read() as connection:
            value = connection.execute(
                select(table.c.time)
                .where(table.c.log_sender == sender, table.c.log_recipient == recipient)
                .order_by(table.c.seq.desc())
                .limit(1)
            ).scalar()
        return None if value is None else str(value)

    def entries(
        self,
        sender: str,
        recipient: str,
        start: int = 0,
        limit: int | None = None,
        connection: Connection | None = None,
    ) -> list[StoredEntry]:
        table = schema.entries
        query = (
            select(table)
            .where(
                table.c.log_sender == sender,
                table.c.log_recipient == recipient,
                table.c.seq >= start,
            )
            .order_by(table.c.seq)
        )
        if limit is not None:
            query = query.limit(limit)
        if connection is not None:
            return [_stored_entry(row) for row in connection.execute(query)]
        with self.read() as own:
            return [_stored_entry(row) for row in own.execute(query)]

    @staticmethod
    def leaves_by_id(connection: Connection, ids: Sequence[str]) -> dict[str, bytes]:
        """The leaves of these entries, read on the given connection (a write transaction
        sees its own rows)."""
        if not ids:
            return {}
        table = schema.entries
        rows = connection.execute(select(table.c.id, table.c.leaf).where(table.c.id.in_(list(ids))))
        return {row.id: bytes(row.leaf) for row in rows}

    @staticmethod
    def logs(connection: Connection) -> list[tuple[str, str]]:
        """Every log that holds entries."""
        table = schema.entries
        rows = connection.execute(
            select(table.c.log_sender, table.c.log_recipient)
            .distinct()
            .order_by(table.c.log_sender, table.c.log_recipient)
        )
        return [(row.log_sender, row.log_recipient) for row in rows]

    @staticmethod
    def entry_chunks(
        connection: Connection,
        sender: str,
        recipient: str,
        kinds: Iterable[str],
        chunk: int,
    ) -> Iterator[list[StoredEntry]]:
        """The log's entries of these kinds in seq order, ``chunk`` at a time (keyset by seq,
        so memory stays bounded whatever the log's length)."""
        table = schema.entries
        wanted = sorted(kinds)
        after = -1
        while True:
            rows = connection.execute(
                select(table)
                .where(
                    table.c.log_sender == sender,
                    table.c.log_recipient == recipient,
                    table.c.seq > after,
                    table.c.kind.in_(wanted),
                )
                .order_by(table.c.seq)
                .limit(chunk)
            ).all()
            if not rows:
                return
            found = [_stored_entry(row) for row in rows]
            yield found
            after = found[-1].seq

    @staticmethod
    def receipt_firsts(
        connection: Connection, sender: str, recipient: str
    ) -> Iterator[tuple[int, int]]:
        """The log's receipts (cosignatures by its recipient) as the earliest
        ``(size, timestamp)`` of each size, smallest size first."""
        table = schema.cosignatures
        rows = connection.execute(
            select(table.c.size, func.min(table.c.timestamp))
            .where(
                table.c.log_sender == sender,
                table.c.log_recipient == recipient,
                table.c.cosigner == recipient,
                table.c.size > 0,
            )
            .group_by(table.c.size)
            .order_by(table.c.size)
        )
        for size, timestamp in rows:
            yield int(size), int(timestamp)

    @staticmethod
    def latest_cosignature_time_in(
        connection: Connection, sender: str, recipient: str, cosigner: str
    ) -> int | None:
        """The latest timestamp of ``cosigner``'s cosignatures of the log, read on the given
        connection (inside a write transaction, before adding one)."""
        table = schema.cosignatures
        value = connection.execute(
            select(func.max(table.c.timestamp)).where(
                table.c.log_sender == sender,
                table.c.log_recipient == recipient,
                table.c.cosigner == cosigner,
            )
        ).scalar()
        return None if value is None else int(value)

    @staticmethod
    def latest_receipt_time(connection: Connection, sender: str, recipient: str) -> int | None:
        """The latest timestamp of the log's receipts (cosignatures by its recipient)."""
        return Store.latest_cosignature_time_in(connection, sender, recipient, recipient)

    def entries_of_kinds(self, kinds: Sequence[str]) -> list[StoredEntry]:
        """Every entry of these kinds, in every log (served by the ``entries_by_kind`` index
        for any kind but hotline messages)."""
        table = schema.entries
        with self.read() as connection:
            rows = connection.execute(
                select(table)
                .where(table.c.kind.in_(list(kinds)), table.c.kind != "hotline.message")
                .order_by(table.c.log_sender, table.c.log_recipient, table.c.seq)
            )
            return [_stored_entry(row) for row in rows]

    def entry_by_id(self, entry_id: str) -> StoredEntry | None:
        table = schema.entries
        with self.read() as connection:
            row = connection.execute(select(table).where(table.c.id == entry_id)).first()
        return None if row is None else _stored_entry(row)

    def ref_target(self, entry_id: str, connection: Connection | None = None) -> RefTarget | None:
        """What an id points at; pass the open write connection when inside one."""
        if connection is None:
            with self.read() as own:
                return self.ref_target(entry_id, own)
        table = schema.entries
        row = connection.execute(
            select(table.c.kind, table.c.log_sender, table.c.log_recipient, table.c.time).where(
                table.c.id == entry_id
            )
        ).first()
        return (
            None
            if row is None
            else RefTarget(row.kind, row.log_sender, row.log_recipient, row.time)
        )

    # --- checkpoints and cosignatures --------------------------------------------------------

    @staticmethod
    def insert_checkpoint(
        connection: Connection, sender: str, recipient: str, checkpoint: Checkpoint, note: bytes
    ) -> None:
        _insert_ignoring_duplicates(
            connection,
            schema.checkpoints,
            {
                "log_sender": sender,
                "log_recipient": recipient,
                "size": checkpoint.size,
                "root": checkpoint.root,
                "note": note,
                "seen": _next_seen(schema.checkpoints, sender, recipient),
            },
        )

    @staticmethod
    def insert_cosignature(
        connection: Connection,
        sender: str,
        recipient: str,
        size: int,
        cosignature: Cosignature,
        *,
        keep: bool = False,
    ) -> None:
        """Store a cosignature (``keep``: as evidence that compaction leaves alone)."""
        _insert_ignoring_duplicates(
            connection,
            schema.cosignatures,
            {
                "log_sender": sender,
                "log_recipient": recipient,
                "size": size,
                "cosigner": cosignature.name,
                "timestamp": cosignature.timestamp,
                "line": cosignature.to_line(),
                "seen": _next_seen(schema.cosignatures, sender, recipient),
                "keep": int(keep),
            },
        )
        Store.compact_cosignatures(
            connection, sender, recipient, size, cosignature.name, cosignature.timestamp
        )

    @staticmethod
    def compact_cosignatures(
        connection: Connection, sender: str, recipient: str, size: int, cosigner: str, new: int
    ) -> None:
        """Keep, of one cosigner's cosignatures of one size, the first and the latest, and
        any marked as evidence (``keep``): an idle link's heartbeats re-cosign the same
        size every period, and the ones between say nothing the two ends do not.

        The first is the receipt that delivered the entries it newly covers, the latest
        says the line was up (and, for a self-cosignature, that the log had not grown) as
        late as anyone can show; any time in between is implied by the two. So the rows a
        link adds while idle stay bounded (two per cosigner and size), while every new
        size (new entries) keeps its own. The row just stored (``new``, its timestamp) is
        never deleted, even when a clock that stepped back timed it between the two: it
        holds the log's latest storing order, which an incremental verify counts from."""
        table = schema.cosignatures
        group = (
            table.c.log_sender == sender,
            table.c.log_recipient == recipient,
            table.c.size == size,
            table.c.cosigner == cosigner,
        )
        bounds = connection.execute(
            select(func.min(table.c.timestamp), func.max(table.c.timestamp), func.count()).where(
                *group
            )
        ).one()
        if int(bounds[2]) <= 2:
            return
        connection.execute(
            delete(table).where(
                *group,
                table.c.keep == 0,
                table.c.timestamp > bounds[0],
                table.c.timestamp < bounds[1],
                table.c.timestamp != new,
            )
        )

    @staticmethod
    def keep_cosignature(
        connection: Connection, sender: str, recipient: str, size: int, cosigner: str, at: int
    ) -> None:
        """Mark a cosignature as evidence a proof rests on: compaction leaves it alone."""
        table = schema.cosignatures
        connection.execute(
            update(table)
            .where(
                table.c.log_sender == sender,
                table.c.log_recipient == recipient,
                table.c.size == size,
                table.c.cosigner == cosigner,
                table.c.timestamp == at,
            )
            .values(keep=1)
        )

    def first_cosigned(
        self,
        sender: str,
        recipient: str,
        cosigner: str,
        *,
        above_size: int = -1,
        at_least: int | None = None,
        at: int | None = None,
    ) -> StoredCosignature | None:
        """The earliest cosignature by ``cosigner`` of a size above ``above_size``
        (timed at or after ``at_least``, or exactly at ``at``): smallest size first, or
        earliest time first when a time bound is given. One index range, read until the
        first match."""
        table = schema.cosignatures
        query = select(table).where(
            table.c.log_sender == sender,
            table.c.log_recipient == recipient,
            table.c.cosigner == cosigner,
            table.c.size > above_size,
        )
        if at is not None:
            query = query.where(table.c.timestamp == at).order_by(table.c.size)
        elif at_least is not None:
            query = query.where(table.c.timestamp >= at_least).order_by(
                table.c.timestamp, table.c.size
            )
        else:
            query = query.order_by(table.c.size, table.c.timestamp)
        with self.read() as connection:
            row = connection.execute(query.limit(1)).first()
        return None if row is None else _cosignature(row)

    def last_cosigned_before(
        self, sender: str, recipient: str, cosigner: str, *, at_most: int, max_size: int
    ) -> StoredCosignature | None:
        """The latest cosignature by ``cosigner`` timed at or before ``at_most`` of a size
        no larger than ``max_size``."""
        table = schema.cosignatures
        with self.read() as connection:
            row = connection.execute(
                select(table)
                .where(
                    table.c.log_sender == sender,
                    table.c.log_recipient == recipient,
                    table.c.cosigner == cosigner,
                    table.c.timestamp <= at_most,
                    table.c.size <= max_size,
                )
                .order_by(table.c.timestamp.desc(), table.c.size.desc())
                .limit(1)
            ).first()
        return None if row is None else _cosignature(row)

    def checkpoint_note(self, sender: str, recipient: str, size: int) -> bytes | None:
        table = schema.checkpoints
        with self.read() as connection:
            return connection.execute(
                select(table.c.note).where(
                    table.c.log_sender == sender,
                    table.c.log_recipient == recipient,
                    table.c.size == size,
                )
            ).scalar()

    def latest_checkpoint(self, sender: str, recipient: str) -> tuple[int, bytes, bytes] | None:
        table = schema.checkpoints
        with self.read() as connection:
            row = connection.execute(
                select(table.c.size, table.c.root, table.c.note)
                .where(table.c.log_sender == sender, table.c.log_recipient == recipient)
                .order_by(table.c.size.desc())
                .limit(1)
            ).first()
        return None if row is None else (int(row.size), row.root, row.note)

    def cosignatures(
        self, sender: str, recipient: str, cosigner: str | None = None, size: int | None = None
    ) -> list[StoredCosignature]:
        table = schema.cosignatures
        query = select(table).where(
            table.c.log_sender == sender, table.c.log_recipient == recipient
        )
        if cosigner is not None:
            query = query.where(table.c.cosigner == cosigner)
        if size is not None:
            query = query.where(table.c.size == size)
        with self.read() as connection:
            rows = connection.execute(query.order_by(table.c.size, table.c.timestamp))
            return [_cosignature(row) for row in rows]

    def latest_cosigned(self, sender: str, recipient: str, cosigner: str) -> tuple[int, int] | None:
        """The largest size ``cosigner`` has cosigned of the log, with the latest time it
        did so: ``(size, timestamp)``, or None. One index lookup."""
        table = schema.cosignatures
        with self.read() as connection:
            row = connection.execute(
                select(table.c.size, table.c.timestamp)
                .where(
                    table.c.log_sender == sender,
                    table.c.log_recipient == recipient,
                    table.c.cosigner == cosigner,
                )
                .order_by(table.c.size.desc(), table.c.timestamp.desc())
                .limit(1)
            ).first()
        return None if row is None else (int(row.size), int(row.timestamp))

    def cosigned_size(self, sender: str, recipient: str, cosigner: str) -> int:
        """The largest size of the log that ``cosigner`` has cosigned (0 when none)."""
        value = self._latest_cosigned("size", sender, recipient, cosigner)
        return 0 if value is None else value

    def latest_cosignature_time(self, sender: str, recipient: str, cosigner: str) -> int | None:
        return self._latest_cosigned("timestamp", sender, recipient, cosigner)

    def _latest_cosigned(
        self, column: str, sender: str, recipient: str, cosigner: str
    ) -> int | None:
        table = schema.cosignatures
        with self.read() as connection:
            value = connection.execute(
                select(func.max(table.c[column])).where(
                    table.c.log_sender == sender,
                    table.c.log_recipient == recipient,
                    table.c.cosigner == cosigner,
                )
            ).scalar()
        return None if value is None else int(value)

    # --- equivocation evidence ---------------------------------------------------------------

    @staticmethod
    def insert_equivocation(
        connection: Connection,
        sender: str,
        recipient: str,
        evidence: EquivocationEvidence,
        detected_at: str,
    ) -> None:
        connection.execute(
            insert(schema.equivocations).values(
                log_sender=sender,
                log_recipient=recipient,
                seq=evidence.seq,
                reason=evidence.reason,
                held=evidence.held,
                offered=evidence.offered,
                checkpoint_note=evidence.offered_checkpoint_note,
                detected_at=detected_at,
            )
        )

    def equivocations(self, limit: int = 50) -> list[dict[str, Any]]:
        """The first ``limit`` pieces of equivocation evidence, oldest first (the first
        conflict of a log is the one that matters; the rest are counted)."""
        table = schema.equivocations
        with self.read() as connection:
            rows = connection.execute(select(table).order_by(table.c.n).limit(limit))
            return [
                {
                    "sender": row.log_sender,
                    "recipient": row.log_recipient,
                    "seq": row.seq,
                    "reason": row.reason,
                    "detected_at": row.detected_at,
                }
                for row in rows
            ]

    def equivocation_count(self) -> int:
        with self.read() as connection:
            count = connection.execute(
                select(func.count()).select_from(schema.equivocations)
            ).scalar()
        return int(count or 0)

    # --- peers ------------------------------------------------------------------------------

    def pin_peer(self, card: Card, url: str, pinned_at: str) -> None:
        table = schema.peers
        with self.write() as connection:
            connection.execute(delete(table).where(table.c.party == card.party))
            connection.execute(
                insert(table).values(
                    party=card.party, card=card.to_bytes(), url=url, pinned_at=pinned_at
                )
            )

    def peers(self) -> list[PinnedPeer]:
        table = schema.peers
        with self.read() as connection:
            rows = connection.execute(select(table).order_by(table.c.party))
            return [
                PinnedPeer(row.party, Card.from_bytes(row.card), row.url, row.pinned_at)
                for row in rows
            ]

    def peer(self, party: str) -> PinnedPeer | None:
        return next((peer for peer in self.peers() if peer.party == party), None)

    # --- catalogues --------------------------------------------------------------------------

    def pin_catalogue(
        self, catalogue_hash: str, name: str, version: int, document: bytes, pinned_at: str
    ) -> bool:
        """Keep a catalogue's canonical bytes; False when it was already pinned."""
        values = {
            "hash": catalogue_hash,
            "name": name,
            "version": version,
            "document": document,
            "pinned_at": pinned_at,
        }
        with self.write() as connection:
            return _insert_if_absent(connection, schema.catalogues, "hash", values)

    def catalogue_documents(self) -> list[tuple[str, bytes, str]]:
        """Every pinned catalogue as (hash, canonical bytes, pinned_at), oldest first."""
        table = schema.catalogues
        with self.read() as connection:
            rows = connection.execute(
                select(table.c.hash, table.c.document, table.c.pinned_at).order_by(
                    table.c.pinned_at, table.c.hash
                )
            ).all()
        return [(row.hash, bytes(row.document), row.pinned_at) for row in rows]

    # --- officers ----------------------------------------------------------------------------

    def add_officer(self, username: str, role: str, password_hash: str, now: str) -> bool:
        """A new account; False when the user name is taken."""
        values = {
            "username": username,
            "role": role,
            "password_hash": password_hash,
            "token_digest": None,
            "disabled": 0,
            "created_at": now,
            "changed_at": now,
        }
        with self.write() as connection:
            return _insert_if_absent(connection, schema.officers, "username", values)

    def officers(self) -> list[OfficerRow]:
        table = schema.officers
        with self.read() as connection:
            rows = connection.execute(select(table).order_by(table.c.username)).all()
        return [_officer(row) for row in rows]

    def officer(self, username: str) -> OfficerRow | None:
        table = schema.officers
        with self.read() as connection:
            row = connection.execute(select(table).where(table.c.username == username)).first()
        return None if row is None else _officer(row)

    def officer_by_token(self, digest: str) -> OfficerRow | None:
        table = schema.officers
        with self.read() as connection:
            row = connection.execute(select(table).where(table.c.token_digest == digest)).first()
        return None if row is None else _officer(row)

    def update_officer(self, username: str, now: str, **values: Any) -> bool:
        """Change an account's role, password hash, token digest or disabled flag."""
        table = schema.officers
        with self.write() as connection:
            done = connection.execute(
                update(table).where(table.c.username == username).values(changed_at=now, **values)
            )
            return bool(done.rowcount)

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


_ENTRY_COLUMNS = ("log_sender", "log_recipient", "seq", "id", "leaf", "kind", "time", "stored_at")


def _next_seen(table: Table, sender: str, recipient: str) -> Any:
    """The storing order of a row about to be inserted: one past the log's latest (read
    inside the insert, under the write lock, so two rows never share a number)."""
    return (
        select(func.coalesce(func.max(table.c.seen), 0) + 1)
        .where(table.c.log_sender == sender, table.c.log_recipient == recipient)
        .scalar_subquery()
    )


def _insert_ignoring_duplicates(
    connection: Connection, table: Table, values: dict[str, Any]
) -> None:
    """Insert a row unless its primary key is already there (one statement, no race)."""
    if connection.dialect.name == "postgresql":
        statement: Any = postgresql_insert(table).values(values).on_conflict_do_nothing()
    else:
        statement = sqlite_insert(table).values(values).on_conflict_do_nothing()
    connection.execute(statement)


def _insert_if_absent(
    connection: Connection, table: Table, key: str, values: dict[str, Any]
) -> bool:
    """Insert the row unless one with the same key exists; True when inserted."""
    column = table.c[key]
    if connection.execute(select(column).where(column == values[key])).first() is not None:
        return False
    connection.execute(insert(table).values(**values))
    return True


def _officer(row: Any) -> OfficerRow:
    return OfficerRow(
        username=row.username,
        role=row.role,
        password_hash=row.password_hash,
        token_digest=row.token_digest,
        disabled=bool(row.disabled),
        created_at=row.created_at,
        changed_at=row.changed_at,
        lang=row.lang,
    )


def _cosignature(row: Any) -> StoredCosignature:
    return StoredCosignature(
        row.log_sender,
        row.log_recipient,
        int(row.size),
        row.cosigner,
        int(row.timestamp),
        row.line,
    )


def _stored_entry(row: Any) -> StoredEntry:
    return StoredEntry(
        row.log_sender,
        row.log_recipient,
        int(row.seq),
        row.id,
        row.leaf,
        row.kind,
        row.time,
        row.stored_at,
    )
