"""Idempotency keys: which entries the first request with a key created.

The row is written in the transaction that stores the entries (``record``), so an answer
lost after the commit loses nothing: a retry with the same key finds the row and gets the
same entries back. Rows older than the retention are dropped a few at a time as new ones
come (``purge``), so the table stays the size of two days of keyed requests.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select, update

from openline.store.schema import idempotency_keys as table

PURGE_BATCH = 500  # rows dropped per write at most: a write never pays for a long backlog


@dataclass(frozen=True, slots=True)
class KeyedRequest:
    """What a stored key says: the request's fingerprint and the entries it created."""

    fingerprint: str
    created_at: str
    entry_ids: tuple[str, ...]


def find(connection: Connection, actor: str, key: str) -> KeyedRequest | None:
    row = connection.execute(
        select(table.c.fingerprint, table.c.created_at, table.c.entry_ids).where(
            table.c.actor == actor, table.c.key == key
        )
    ).first()
    if row is None:
        return None
    return KeyedRequest(row.fingerprint, row.created_at, tuple(json.loads(row.entry_ids)))


def record(
    connection: Connection,
    actor: str,
    key: str,
    fingerprint: str,
    created_at: str,
    entry_ids: list[str],
) -> None:
    """Store the key with the entries created so far, or add to them (a command that
    appends twice): called inside the entries' own transaction."""
    ids = json.dumps(entry_ids, separators=(",", ":"))
    changed = connection.execute(
        update(table)
        .where(table.c.actor == actor, table.c.key == key, table.c.fingerprint == fingerprint)
        .values(entry_ids=ids)
    ).rowcount
    if not changed:
        connection.execute(
            insert(table).values(
                actor=actor,
                key=key,
                fingerprint=fingerprint,
                created_at=created_at,
                entry_ids=ids,
            )
        )


def forget(connection: Connection, actor: str, key: str) -> None:
    connection.execute(delete(table).where(table.c.actor == actor, table.c.key == key))


def purge(connection: Connection, before: str) -> int:
    """Drop up to PURGE_BATCH keys created before ``before``, oldest first, by the age
    index."""
    oldest = (
        select(table.c.actor, table.c.key)
        .where(table.c.created_at < before)
        .order_by(table.c.created_at)
        .limit(PURGE_BATCH)
    )
    stale = [(row.actor, row.key) for row in connection.execute(oldest)]
    for actor, key in stale:
        connection.execute(delete(table).where(table.c.actor == actor, table.c.key == key))
    return len(stale)
