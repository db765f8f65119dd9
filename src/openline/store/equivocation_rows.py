"""Equivocation evidence: two different entries or checkpoints for the same place in a log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, insert, select

from openline.core.link import EquivocationEvidence
from openline.store import schema
from openline.store.connections import Transactions


class EquivocationRows(Transactions):
    """The ``equivocations`` table."""

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
