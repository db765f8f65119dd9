"""What the node has pinned: its peers' cards (with where they are reached) and catalogues."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import delete, insert, select

from openline.core.card import Card
from openline.store import schema
from openline.store.connections import Transactions
from openline.store.inserts import insert_if_absent


@dataclass(frozen=True, slots=True)
class PinnedPeer:
    party: str
    card: Card
    url: str
    pinned_at: str


class PinnedDocument(NamedTuple):
    hash: str
    document: bytes  # canonical JSON
    pinned_at: str


class PinnedRows(Transactions):
    """The ``peers`` and ``catalogues`` tables."""

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
            return insert_if_absent(connection, schema.catalogues, "hash", values)

    def catalogue_documents(self) -> list[PinnedDocument]:
        """Every pinned catalogue as (hash, canonical bytes, pinned_at), oldest first."""
        table = schema.catalogues
        with self.read() as connection:
            rows = connection.execute(
                select(table.c.hash, table.c.document, table.c.pinned_at).order_by(
                    table.c.pinned_at, table.c.hash
                )
            ).all()
        return [PinnedDocument(row.hash, bytes(row.document), row.pinned_at) for row in rows]
