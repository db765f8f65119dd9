"""The SQL that ``openline verify`` needs: streaming a log's rows with bounded memory, the
rows added since a storing order (``seen``), the stored Merkle nodes of a range, and the
signed verified marks (``verified_marks``).

Every reader takes an open :class:`~sqlalchemy.Connection`, so that a caller can read one
log in one transaction (on SQLite in WAL mode, one snapshot: rows written meanwhile are not
seen half-way). Streams page by key (``seq``, ``size``, ``(size, cosigner, timestamp)``,
``seen``) rather than by offset, so every page is an index range search, whatever the
log's length, and at most one page is held at a time.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, delete, func, insert, literal, or_, select, tuple_, union_all

from openline.store import schema

__all__ = [
    "CheckpointRow",
    "CosignatureRow",
    "EntryRow",
    "MarkRow",
    "checkpoints_in_sizes",
    "checkpoints_since",
    "cosignature_time",
    "cosignatures_in_sizes",
    "cosignatures_since",
    "count_entries_below",
    "covered_leaves",
    "delete_marks",
    "entry_chunks",
    "first_checkpoint_beyond",
    "first_cosignature_beyond",
    "id_chunks",
    "leaf_ids",
    "log_size",
    "logs",
    "max_seen",
    "node_hashes",
    "nodes_completed_in",
    "proven_checkpoint",
    "read_mark",
    "read_marks",
    "write_mark",
]

# Bound parameters per statement, well under SQLite's (32766; 999 before 3.32) and
# PostgreSQL's (65535) limits.
_MAX_PARAMETERS = 900

EntryRow = tuple[int, str, bytes, str, str]
"""``(seq, id, leaf, kind, time)`` of one stored entry."""


@dataclass(frozen=True, slots=True)
class CheckpointRow:
    size: int
    root: bytes
    note: bytes
    seen: int | None


@dataclass(frozen=True, slots=True)
class CosignatureRow:
    size: int
    cosigner: str
    timestamp: int
    line: str
    seen: int | None


@dataclass(frozen=True, slots=True)
class MarkRow:
    """One row of ``verified_marks``, as stored (the signature is checked by the caller)."""

    sender: str
    recipient: str
    size: int
    root: bytes
    checkpoints_seen: int
    cosignatures_seen: int
    scrub_next: int
    verified_at: str
    signature: bytes


def _log(table: Any, sender: str, recipient: str) -> tuple[Any, Any]:
    return table.c.log_sender == sender, table.c.log_recipient == recipient


# --- logs -----------------------------------------------------------------------------------


def _distinct_logs(connection: Connection, table: Any) -> list[tuple[str, str]]:
    """The distinct ``(log_sender, log_recipient)`` of a table whose primary key starts with
    them, one index search per log (a skip scan) rather than a scan of every row.

    Each step seeks the next recipient of the same sender, then the next sender: SQLite
    seeks a row-value comparison ``(sender, recipient) > (?, ?)`` on the first column only,
    and would walk every row of the last log (half a million at a year's traffic)."""
    found: list[tuple[str, str]] = []
    ordered = (table.c.log_sender, table.c.log_recipient)
    query = select(*ordered).order_by(*ordered).limit(1)
    row = connection.execute(query).first()
    while row is not None:
        found.append((row.log_sender, row.log_recipient))
        sender, recipient = found[-1]
        row = (
            connection.execute(
                query.where(table.c.log_sender == sender, table.c.log_recipient > recipient)
            ).first()
            or connection.execute(query.where(table.c.log_sender > sender)).first()
        )
    return found


def logs(connection: Connection) -> list[tuple[str, str]]:
    """Every log that has entries, checkpoints, cosignatures or a verified mark, sorted."""
    every: set[tuple[str, str]] = set()
    for table in (schema.entries, schema.checkpoints, schema.cosignatures, schema.verified_marks):
        every.update(_distinct_logs(connection, table))
    return sorted(every)


def log_size(connection: Connection, sender: str, recipient: str) -> int:
    """One past the largest seq of the log (0 when it has no entries)."""
    table = schema.entries
    value = connection.execute(
        select(func.max(table.c.seq)).where(*_log(table, sender, recipient))
    ).scalar()
    return 0 if value is None else int(value) + 1


def count_entries_below(connection: Connection, sender: str, recipient: str, end: int) -> int:
    """How many entries the log holds at seqs ``0 .. end - 1`` (a count over the primary key
    index: no row is read). With seqs unique, ``end`` means none of them is missing."""
    table = schema.entries
    value = connection.execute(
        select(func.count()).where(
            *_log(table, sender, recipient), table.c.seq >= 0, table.c.seq < end
        )
    ).scalar()
    return int(value or 0)


# --- entries --------------------------------------------------------------------------------


def entry_chunks(
    connection: Connection, sender: str, recipient: str, start: int, end: int, chunk: int
) -> Iterator[list[EntryRow]]:
    """The entries at seqs ``start .. end - 1`` in seq order, ``chunk`` rows at a time."""
    table = schema.entries
    columns = (table.c.seq, table.c.id, table.c.leaf, table.c.kind, table.c.time)
    after = start - 1
    while after + 1 < end:
        rows = connection.execute(
            select(*columns)
            .where(*_log(table, sender, recipient), table.c.seq > after, table.c.seq < end)
            .order_by(table.c.seq)
            .limit(chunk)
        ).all()
        if not rows:
            return
        found = [
            (int(seq), entry_id, bytes(leaf), kind, time)
            for seq, entry_id, leaf, kind, time in rows
        ]
        yield found
        after = found[-1][0]


def id_chunks(
    connection: Connection, sender: str, recipient: str, start: int, end: int, chunk: int
) -> Iterator[list[tuple[int, str]]]:
    """``(seq, id)`` of the entries at seqs ``start .. end - 1``, ``chunk`` at a time."""
    table = schema.entries
    after = start - 1
    while after + 1 < end:
        rows = connection.execute(
            select(table.c.seq, table.c.id)
            .where(*_log(table, sender, recipient), table.c.seq > after, table.c.seq < end)
            .order_by(table.c.seq)
            .limit(chunk)
        ).all()
        if not rows:
            return
        found = [(int(seq), entry_id) for seq, entry_id in rows]
        yield found
        after = found[-1][0]


def leaf_ids(
    connection: Connection, sender: str, recipient: str, seqs: Sequence[int]
) -> dict[int, str]:
    """The ids of the entries at these seqs (absent seqs are left out)."""
    table = schema.entries
    found: dict[int, str] = {}
    wanted = sorted(set(seqs))
    for start in range(0, len(wanted), _MAX_PARAMETERS):
        rows = connection.execute(
            select(table.c.seq, table.c.id).where(
                *_log(table, sender, recipient),
                table.c.seq.in_(wanted[start : start + _MAX_PARAMETERS]),
            )
        )
        found.update((int(seq), entry_id) for seq, entry_id in rows)
    return found


# --- stored Merkle nodes --------------------------------------------------------------------


def covered_leaves(connection: Connection, sender: str, recipient: str) -> int:
    """How many leaves the stored interior nodes of the log cover: ``2 * k`` where ``k - 1``
    is the largest index at level 1 (0 when none is stored). Nodes are stored in the order
    appends complete them (``openline.store.tree``), so a node is due exactly when its last
    leaf is below this. (The same answer as ``openline.store.tree.covered_leaves``, kept
    here so that verify reads the table itself.)"""
    table = schema.merkle_nodes
    value = connection.execute(
        select(func.max(table.c.idx)).where(*_log(table, sender, recipient), table.c.level == 1)
    ).scalar()
    return 0 if value is None else 2 * (int(value) + 1)


def _node_statements(
    table: Any, sender: str, recipient: str, branches: list[tuple[int, Any, int]]
) -> Iterator[Any]:
    """``UNION ALL`` of one primary-key search per level (SQLite would scan the whole log
    for an ``OR`` of levels), in statements of at most :data:`_MAX_PARAMETERS` parameters.
    Each branch is ``(level, condition on idx, parameters of the condition)``."""
    batch: list[Any] = []
    used = 0
    for level, condition, parameters in branches:
        if batch and used + 3 + parameters > _MAX_PARAMETERS:
            yield batch[0] if len(batch) == 1 else union_all(*batch)
            batch, used = [], 0
        batch.append(
            select(table.c.level, table.c.idx, table.c.hash).where(
                *_log(table, sender, recipient), table.c.level == level, condition
            )
        )
        used += 3 + parameters
    if batch:
        yield batch[0] if len(batch) == 1 else union_all(*batch)


def _read_nodes(
    connection: Connection, sender: str, recipient: str, branches: list[tuple[int, Any, int]]
) -> dict[tuple[int, int], bytes]:
    found: dict[tuple[int, int], bytes] = {}
    for statement in _node_statements(schema.merkle_nodes, sender, recipient, branches):
        for level, index, node in connection.execute(statement):
            found[(int(level), int(index))] = bytes(node)
    return found


def node_hashes(
    connection: Connection, sender: str, recipient: str, coordinates: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], bytes]:
    """The stored interior nodes (``level >= 1``) at these coordinates; absent ones are left
    out. Level 0 is the entries' ids: :func:`leaf_ids`."""
    table = schema.merkle_nodes
    by_level: dict[int, set[int]] = {}
    for level, index in coordinates:
        if level >= 1:
            by_level.setdefault(level, set()).add(index)
    step = _MAX_PARAMETERS - 3
    branches: list[tuple[int, Any, int]] = []
    for level, indices in sorted(by_level.items()):
        unique = sorted(indices)
        for start in range(0, len(unique), step):
            part = unique[start : start + step]
            branches.append((level, table.c.idx.in_(part), len(part)))
    return _read_nodes(connection, sender, recipient, branches)


def nodes_completed_in(
    connection: Connection, sender: str, recipient: str, lo: int, hi: int
) -> dict[tuple[int, int], bytes]:
    """The stored interior nodes whose last leaf is at ``lo .. hi - 1``: those that appending
    the leaves ``lo .. hi - 1`` completes (``lo < (idx + 1) * 2**level <= hi``)."""
    table = schema.merkle_nodes
    branches: list[tuple[int, Any, int]] = []
    for level in range(1, max(hi, 1).bit_length() + 1):
        first, last = lo >> level, (hi >> level) - 1
        if last >= first:
            branches.append((level, table.c.idx.between(first, last), 2))
    return _read_nodes(connection, sender, recipient, branches)


# --- checkpoints and cosignatures -----------------------------------------------------------


def max_seen(
    connection: Connection,
    rows: Literal["checkpoints", "cosignatures"],
    sender: str,
    recipient: str,
) -> int:
    """The largest storing order of the log's checkpoint or cosignature rows (0 when none)."""
    table = schema.checkpoints if rows == "checkpoints" else schema.cosignatures
    value = connection.execute(
        select(func.max(table.c.seen)).where(*_log(table, sender, recipient))
    ).scalar()
    return 0 if value is None else int(value)


def _checkpoint(row: Any) -> CheckpointRow:
    return CheckpointRow(
        int(row.size), bytes(row.root), bytes(row.note), None if row.seen is None else int(row.seen)
    )


def _cosignature(row: Any) -> CosignatureRow:
    return CosignatureRow(
        int(row.size),
        row.cosigner,
        int(row.timestamp),
        row.line,
        None if row.seen is None else int(row.seen),
    )


def _checkpoint_columns() -> tuple[Any, ...]:
    table = schema.checkpoints
    return (table.c.size, table.c.root, table.c.note, table.c.seen)


def _cosignature_columns() -> tuple[Any, ...]:
    table = schema.cosignatures
    return (table.c.size, table.c.cosigner, table.c.timestamp, table.c.line, table.c.seen)


def checkpoints_in_sizes(
    connection: Connection, sender: str, recipient: str, lo: int, hi: int, chunk: int
) -> Iterator[CheckpointRow]:
    """The log's checkpoints of sizes ``lo .. hi`` (both included), smallest first."""
    table = schema.checkpoints
    after = lo - 1
    while after < hi:
        rows = connection.execute(
            select(*_checkpoint_columns())
            .where(*_log(table, sender, recipient), table.c.size > after, table.c.size <= hi)
            .order_by(table.c.size)
            .limit(chunk)
        ).all()
        if not rows:
            return
        for row in rows:
            yield _checkpoint(row)
        after = int(rows[-1].size)


def cosignatures_in_sizes(
    connection: Connection, sender: str, recipient: str, lo: int, hi: int, chunk: int
) -> Iterator[CosignatureRow]:
    """The log's cosignatures of sizes ``lo .. hi`` (both included), in primary-key order
    (size, cosigner, timestamp)."""
    table = schema.cosignatures
    key = tuple_(table.c.size, table.c.cosigner, table.c.timestamp)
    last: tuple[int, str, int] | None = None
    while True:
        query = select(*_cosignature_columns()).where(
            *_log(table, sender, recipient), table.c.size <= hi
        )
        # The first page starts at a size; each next one right after the last row read: a
        # row-value search of the primary key (with a size bound as well, SQLite would seek
        # on the size alone and filter every row from there).
        if last is None:
            query = query.where(table.c.size >= lo)
        else:
            query = query.where(key > tuple_(literal(last[0]), literal(last[1]), literal(last[2])))
        rows = connection.execute(
            query.order_by(table.c.size, table.c.cosigner, table.c.timestamp).limit(chunk)
        ).all()
        if not rows:
            return
        for row in rows:
            yield _cosignature(row)
        final = rows[-1]
        last = (int(final.size), final.cosigner, int(final.timestamp))


def checkpoints_since(
    connection: Connection, sender: str, recipient: str, seen: int, max_size: int, chunk: int
) -> Iterator[CheckpointRow]:
    """The log's checkpoints stored after ``seen`` (or without a storing order), of sizes up
    to ``max_size``, in storing order."""
    table = schema.checkpoints
    yield from (
        row
        for row in _since(connection, table, sender, recipient, seen, chunk, _checkpoint_columns())
        if row.size <= max_size
    )


def cosignatures_since(
    connection: Connection, sender: str, recipient: str, seen: int, max_size: int, chunk: int
) -> Iterator[CosignatureRow]:
    """The log's cosignatures stored after ``seen`` (or without a storing order), of sizes up
    to ``max_size``, in storing order."""
    table = schema.cosignatures
    yield from (
        row
        for row in _since(connection, table, sender, recipient, seen, chunk, _cosignature_columns())
        if row.size <= max_size
    )


def _since(
    connection: Connection,
    table: Any,
    sender: str,
    recipient: str,
    seen: int,
    chunk: int,
    columns: tuple[Any, ...],
) -> Iterator[Any]:
    convert = _checkpoint if table is schema.checkpoints else _cosignature
    # Rows without a storing order (written by hand, or by code that bypassed the store)
    # are always new: there are few, and they are read first, through the same index.
    unordered = connection.execute(
        select(*columns).where(*_log(table, sender, recipient), table.c.seen.is_(None))
    )
    for row in unordered:
        yield convert(row)
    after = seen
    while True:
        rows = connection.execute(
            select(*columns)
            .where(*_log(table, sender, recipient), table.c.seen > after)
            .order_by(table.c.seen)
            .limit(chunk)
        ).all()
        if not rows:
            return
        for row in rows:
            yield convert(row)
        after = int(rows[-1].seen)


def first_checkpoint_beyond(
    connection: Connection, sender: str, recipient: str, size: int
) -> CheckpointRow | None:
    """The smallest checkpoint of a size above ``size`` (one beyond the entries held)."""
    table = schema.checkpoints
    row = connection.execute(
        select(*_checkpoint_columns())
        .where(*_log(table, sender, recipient), table.c.size > size)
        .order_by(table.c.size)
        .limit(1)
    ).first()
    return None if row is None else _checkpoint(row)


def first_cosignature_beyond(
    connection: Connection, sender: str, recipient: str, size: int
) -> CosignatureRow | None:
    """The first cosignature (primary-key order) of a size above ``size``."""
    table = schema.cosignatures
    row = connection.execute(
        select(*_cosignature_columns())
        .where(*_log(table, sender, recipient), table.c.size > size)
        .order_by(table.c.size, table.c.cosigner, table.c.timestamp)
        .limit(1)
    ).first()
    return None if row is None else _cosignature(row)


def proven_checkpoint(
    connection: Connection, sender: str, recipient: str, max_size: int, seen: int
) -> CheckpointRow | None:
    """The largest checkpoint of size at most ``max_size`` among those stored by ``seen``."""
    table = schema.checkpoints
    row = connection.execute(
        select(*_checkpoint_columns())
        .where(
            *_log(table, sender, recipient),
            table.c.size <= max_size,
            table.c.seen.is_not(None),
            table.c.seen <= seen,
        )
        .order_by(table.c.size.desc())
        .limit(1)
    ).first()
    return None if row is None else _checkpoint(row)


def cosignature_time(
    connection: Connection, sender: str, recipient: str, size: int, seen: int
) -> tuple[int, str] | None:
    """The latest ``(timestamp, cosigner)`` among the log's cosignatures of exactly ``size``
    stored by ``seen``."""
    table = schema.cosignatures
    row = connection.execute(
        select(table.c.timestamp, table.c.cosigner)
        .where(
            *_log(table, sender, recipient),
            table.c.size == size,
            # "+ 0": search the primary key by size, not the storing-order index (whose
            # range would span every row of the log); NULL + 0 is NULL, so never counted.
            table.c.seen + 0 <= seen,
        )
        .order_by(table.c.timestamp.desc())
        .limit(1)
    ).first()
    return None if row is None else (int(row.timestamp), row.cosigner)


# --- verified marks -------------------------------------------------------------------------


def _mark(row: Any) -> MarkRow:
    return MarkRow(
        sender=row.log_sender,
        recipient=row.log_recipient,
        size=int(row.size),
        root=bytes(row.root),
        checkpoints_seen=int(row.checkpoints_seen),
        cosignatures_seen=int(row.cosignatures_seen),
        scrub_next=int(row.scrub_next),
        verified_at=row.verified_at,
        signature=bytes(row.signature),
    )


def read_mark(connection: Connection, sender: str, recipient: str) -> MarkRow | None:
    table = schema.verified_marks
    row = connection.execute(select(table).where(*_log(table, sender, recipient))).first()
    return None if row is None else _mark(row)


def read_marks(connection: Connection) -> list[MarkRow]:
    table = schema.verified_marks
    rows = connection.execute(
        select(table).order_by(table.c.log_sender, table.c.log_recipient)
    ).all()
    return [_mark(row) for row in rows]


def write_mark(connection: Connection, mark: MarkRow) -> None:
    """Store (or replace) the log's mark; call inside :meth:`Store.write`."""
    table = schema.verified_marks
    connection.execute(delete(table).where(*_log(table, mark.sender, mark.recipient)))
    connection.execute(
        insert(table).values(
            log_sender=mark.sender,
            log_recipient=mark.recipient,
            size=mark.size,
            root=mark.root,
            checkpoints_seen=mark.checkpoints_seen,
            cosignatures_seen=mark.cosignatures_seen,
            scrub_next=mark.scrub_next,
            verified_at=mark.verified_at,
            signature=mark.signature,
        )
    )


def delete_mark(connection: Connection, sender: str, recipient: str) -> None:
    """Forget one log's mark: the next verify checks the log from its first entry."""
    table = schema.verified_marks
    connection.execute(
        delete(table).where(table.c.log_sender == sender, table.c.log_recipient == recipient)
    )


def delete_marks(connection: Connection, party: str | None = None) -> int:
    """Forget the marks of every log ``party`` sends or receives (all marks when None), so
    that the next verify checks those logs from their first entry; returns how many."""
    table = schema.verified_marks
    statement = delete(table)
    if party is not None:
        statement = statement.where(
            or_(table.c.log_sender == party, table.c.log_recipient == party)
        )
    return int(connection.execute(statement).rowcount or 0)
