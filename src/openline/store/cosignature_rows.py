"""The transcript's cosignatures: storing them (compacting an idle link's heartbeats), and
reading who cosigned which size of a log, and when; the receipts are the cosignatures by a
log's recipient."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from openline.core.cosignature import Cosignature
from openline.store import schema
from openline.store.connections import Transactions
from openline.store.inserts import insert_ignoring_duplicates, next_seen


@dataclass(frozen=True, slots=True)
class StoredCosignature:
    sender: str
    recipient: str
    size: int
    cosigner: str
    timestamp: int
    line: str


class CosignatureRows(Transactions):
    """The ``cosignatures`` table."""

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
        insert_ignoring_duplicates(
            connection,
            schema.cosignatures,
            {
                "log_sender": sender,
                "log_recipient": recipient,
                "size": size,
                "cosigner": cosignature.name,
                "timestamp": cosignature.timestamp,
                "line": cosignature.to_line(),
                "seen": next_seen(schema.cosignatures, sender, recipient),
                "keep": int(keep),
            },
        )
        CosignatureRows.compact_cosignatures(
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

    # --- receipts and the latest cosignature, on an open connection ----------------------------

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
        return CosignatureRows.latest_cosignature_time_in(connection, sender, recipient, recipient)


def _cosignature(row: Any) -> StoredCosignature:
    return StoredCosignature(
        row.log_sender,
        row.log_recipient,
        int(row.size),
        row.cosigner,
        int(row.timestamp),
        row.line,
    )
