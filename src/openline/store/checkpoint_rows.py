"""The transcript's signed checkpoints: storing one, and reading a log's notes by size."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import Connection, select

from openline.core.checkpoint import Checkpoint
from openline.store import schema
from openline.store.connections import Transactions
from openline.store.inserts import insert_ignoring_duplicates, next_seen


class LatestCheckpoint(NamedTuple):
    """A log's largest stored checkpoint: its size, root hash and signed note."""

    size: int
    root: bytes
    note: bytes


class CheckpointRows(Transactions):
    """The ``checkpoints`` table."""

    @staticmethod
    def insert_checkpoint(
        connection: Connection, sender: str, recipient: str, checkpoint: Checkpoint, note: bytes
    ) -> None:
        insert_ignoring_duplicates(
            connection,
            schema.checkpoints,
            {
                "log_sender": sender,
                "log_recipient": recipient,
                "size": checkpoint.size,
                "root": checkpoint.root,
                "note": note,
                "seen": next_seen(schema.checkpoints, sender, recipient),
            },
        )

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

    def latest_checkpoint(self, sender: str, recipient: str) -> LatestCheckpoint | None:
        table = schema.checkpoints
        with self.read() as connection:
            row = connection.execute(
                select(table.c.size, table.c.root, table.c.note)
                .where(table.c.log_sender == sender, table.c.log_recipient == recipient)
                .order_by(table.c.size.desc())
                .limit(1)
            ).first()
        return None if row is None else LatestCheckpoint(int(row.size), row.root, row.note)
