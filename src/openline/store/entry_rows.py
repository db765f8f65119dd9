"""The transcript's entries: storing them, and reading them by log, by id or by kind."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from openline.core.entry import Entry
from openline.core.kinds import Kind
from openline.core.link import RefTarget
from openline.store import schema
from openline.store.bulk import insert_rows
from openline.store.connections import Transactions


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


_ENTRY_COLUMNS = ("log_sender", "log_recipient", "seq", "id", "leaf", "kind", "time", "stored_at")


class EntryRows(Transactions):
    """The ``entries`` table."""

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

    def entries_of_kinds(self, kinds: Sequence[str]) -> list[StoredEntry]:
        """Every entry of these kinds, in every log (served by the ``entries_by_kind`` index
        for any kind but hotline messages)."""
        table = schema.entries
        with self.read() as connection:
            rows = connection.execute(
                select(table)
                .where(table.c.kind.in_(list(kinds)), table.c.kind != Kind.HOTLINE_MESSAGE)
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
