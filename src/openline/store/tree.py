"""Stored Merkle trees: the SQL side of :class:`openline.core.merkle.StoredMerkleTree`.

Each log's tree (RFC 9162 §2.1.1) is kept in two tables:

* level 0, the leaf hashes, is ``entries.id`` (the hex of the leaf hash) at ``entries.seq``;
* every interior node (``level >= 1``) of a complete perfect subtree is a row of
  ``merkle_nodes``: ``hash`` is the MTH of leaves ``idx * 2**level .. (idx + 1) * 2**level - 1``.

:class:`StoredHashes` reads batches of those nodes for one log, :func:`open_tree` opens the
log's tree (its size and frontier: a handful of indexed queries, whatever the log's length),
:func:`insert_nodes` stores the nodes an append returns, and :func:`backfill` fills in the
nodes of a store written before migration 0006, streaming its leaves.

The invariant
-------------
Nodes are stored in the order appends complete them, with all the nodes of one append in
one transaction (preferably the one that stores the entry). The stored nodes of a log are
then exactly those of its tree at some size ``2 * k`` (or ``2 * k + 1``, which has the same
interior nodes), where ``k - 1`` is the largest ``idx`` at level 1: :func:`covered_leaves`
returns ``2 * k``, from one indexed lookup and without any bookkeeping row that could
disagree with the nodes themselves. A log's nodes are complete when
``covered_leaves >= log_size - 1``; :func:`backfill` resumes from ``covered_leaves``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import cache
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, select, union_all

from openline.core.merkle import (
    HASH_SIZE,
    Coordinate,
    Frontier,
    StoredMerkleTree,
)
from openline.store import schema
from openline.store.bulk import insert_rows
from openline.store.database import Store

__all__ = [
    "DEFAULT_CHUNK",
    "IncompleteTreeError",
    "Source",
    "StoredHashes",
    "backfill",
    "covered_leaves",
    "insert_nodes",
    "open_tree",
    "stored_node_count",
]

Source = Store | Engine | Connection
"""Where to read: a store or engine (a pooled connection per call) or an open connection."""

# Bound parameters per statement, well under SQLite's limit (32766 since 3.32, 999 before)
# and PostgreSQL's (65535). Proofs need about 2 * log2(size) coordinates, so one statement.
_MAX_PARAMETERS = 900

DEFAULT_CHUNK = 10_000
"""Leaves read per query (and per write transaction, on a store) by :func:`backfill`."""


class IncompleteTreeError(LookupError):
    """The log's stored nodes stop short of its entries: :func:`backfill` must run first."""


@contextmanager
def _connect(source: Source) -> Iterator[Connection]:
    """A connection for a few reads that see one snapshot (one transaction on SQLite)."""
    if isinstance(source, Connection):
        yield source
    elif isinstance(source, Store):
        with source.read() as connection:
            yield connection
    else:
        with source.connect() as connection:
            yield connection


def _log(table: Any, sender: str, recipient: str) -> tuple[Any, Any]:
    return table.c.log_sender == sender, table.c.log_recipient == recipient


class StoredHashes:
    """The :class:`~openline.core.merkle.HashReader` of one log's stored tree.

    A read of any batch costs at most two statements (one on ``entries`` for level 0, one
    on ``merkle_nodes`` for the rest) while it has fewer than ~900 coordinates; both run in
    one transaction, so they see the same snapshot. Each level's look-up is its own branch
    of a ``UNION ALL`` so that every branch is a primary-key search: SQLite plans a row-value
    ``IN`` or an ``OR`` of levels as a scan of the whole log.

    Over a :class:`Store` or an :class:`Engine` each call takes a pooled connection and sees
    what is committed; that is safe from several threads. Over a :class:`Connection` it reads
    within that connection's transaction (it sees its uncommitted writes), and is only
    as thread-safe as the connection, i.e. not.
    """

    __slots__ = ("_recipient", "_sender", "_source")

    def __init__(self, source: Source, sender: str, recipient: str) -> None:
        """Read the tree of the log ``sender → recipient`` from ``source``."""
        self._source = source
        self._sender = sender
        self._recipient = recipient

    def read_hashes(self, coordinates: Sequence[Coordinate]) -> list[bytes]:
        """Fetch the hashes of a batch of nodes.

        Args:
            coordinates: ``(level, index)`` pairs; level 0 is the entry at ``seq == index``.

        Returns:
            One 32-byte hash per coordinate, in the same order.

        Raises:
            KeyError: If a node (or entry) is not stored.
            ValueError: If a coordinate is negative, or a stored id is not 64 hex digits.
        """
        if not coordinates:
            return []
        leaves: list[int] = []
        levels: dict[int, list[int]] = {}
        for level, index in coordinates:
            if level < 0 or index < 0:
                raise ValueError(f"node {(level, index)} has a negative coordinate")
            if level == 0:
                leaves.append(index)
            else:
                levels.setdefault(level, []).append(index)
        found: dict[Coordinate, bytes] = {}
        with _connect(self._source) as connection:
            if leaves:
                found.update(self._read_leaves(connection, leaves))
            if levels:
                found.update(self._read_nodes(connection, levels))
        try:
            return [found[coordinate] for coordinate in coordinates]
        except KeyError as error:
            raise KeyError(
                f"node {error.args[0]} of {self._sender}→{self._recipient} is not stored"
            ) from None

    def _read_leaves(self, connection: Connection, seqs: list[int]) -> dict[Coordinate, bytes]:
        found: dict[Coordinate, bytes] = {}
        step = _MAX_PARAMETERS
        for start in range(0, len(seqs), step):
            rows = connection.execute(
                _leaves_statement(),
                {
                    "sender": self._sender,
                    "recipient": self._recipient,
                    "seqs": seqs[start : start + step],
                },
            )
            for seq, entry_id in rows:
                leaf = bytes.fromhex(entry_id)
                if len(leaf) != HASH_SIZE:
                    raise ValueError(f"entry {entry_id!r} has no {HASH_SIZE}-byte id")
                found[(0, int(seq))] = leaf
        return found

    def _read_nodes(
        self, connection: Connection, levels: dict[int, list[int]]
    ) -> dict[Coordinate, bytes]:
        found: dict[Coordinate, bytes] = {}
        for branches in _statement_batches(levels):
            parameters: dict[str, Any] = {"sender": self._sender, "recipient": self._recipient}
            for number, (level, indices) in enumerate(branches):
                parameters[f"level_{number}"] = level
                parameters[f"idx_{number}"] = indices
            rows = connection.execute(_nodes_statement(len(branches)), parameters)
            for level, index, node in rows:
                found[(int(level), int(index))] = bytes(node)
        return found


# The statements are built once per shape (number of branches) and reused with new
# parameters: building a Core statement of a dozen UNION ALL branches costs more than running
# it (a proof took about 5 ms with statements built per call, under 2 ms reused, at 100k
# leaves), and a reused statement also hits SQLAlchemy's compiled cache.


@cache
def _leaves_statement() -> Any:
    table = schema.entries
    return select(table.c.seq, table.c.id).where(
        table.c.log_sender == bindparam("sender"),
        table.c.log_recipient == bindparam("recipient"),
        table.c.seq.in_(bindparam("seqs", expanding=True)),
    )


@cache
def _nodes_statement(branches: int) -> Any:
    """``UNION ALL`` of ``branches`` primary-key look-ups, one level each."""
    table = schema.merkle_nodes
    selects = [
        select(table.c.level, table.c.idx, table.c.hash).where(
            table.c.log_sender == bindparam("sender"),
            table.c.log_recipient == bindparam("recipient"),
            table.c.level == bindparam(f"level_{number}"),
            table.c.idx.in_(bindparam(f"idx_{number}", expanding=True)),
        )
        for number in range(branches)
    ]
    return selects[0] if branches == 1 else union_all(*selects)


def _statement_batches(levels: dict[int, list[int]]) -> Iterator[list[tuple[int, list[int]]]]:
    """Group ``level -> indices`` into statements of at most :data:`_MAX_PARAMETERS`
    parameters (three per branch for the log and the level, one per index)."""
    batch: list[tuple[int, list[int]]] = []
    used = 0
    for level, indices in sorted(levels.items()):
        for start in range(0, len(indices), _MAX_PARAMETERS - 3):
            part = indices[start : start + _MAX_PARAMETERS - 3]
            if batch and used + 3 + len(part) > _MAX_PARAMETERS:
                yield batch
                batch, used = [], 0
            batch.append((level, part))
            used += 3 + len(part)
    if batch:
        yield batch


def insert_nodes(
    connection: Connection, sender: str, recipient: str, nodes: Iterable[tuple[int, int, bytes]]
) -> int:
    """Store interior nodes of a log's tree, skipping any already stored.

    Call it with the nodes returned by ``Frontier.append`` / ``StoredMerkleTree.append``, in
    the order returned, in the transaction that stores the entries (see the module's
    invariant). A node already stored is left alone: it can only hold the same hash, since
    a node depends on nothing but its leaves and entries are never rewritten.

    Args:
        connection: An open write transaction.
        sender: The log's sender.
        recipient: The log's recipient.
        nodes: ``(level, index, hash)`` with ``level >= 1``, ``index >= 0`` and a 32-byte
            hash.

    Returns:
        The number of nodes given (one executemany statement for all of them).

    Raises:
        ValueError: If a node is malformed (nothing is stored then).
    """
    rows: list[tuple[str, str, int, int, bytes]] = []
    for level, index, node in nodes:
        if level < 1 or index < 0:
            raise ValueError(f"node {(level, index)} is not an interior node")
        if not isinstance(node, bytes) or len(node) != HASH_SIZE:
            raise ValueError(f"node {(level, index)} has no {HASH_SIZE}-byte hash")
        rows.append((sender, recipient, level, index, node))
    # One statement, no read-then-write race, as insert_ignoring_duplicates in inserts.py.
    insert_rows(connection, schema.merkle_nodes, _NODE_COLUMNS, rows, ignore_duplicates=True)
    return len(rows)


_NODE_COLUMNS = ("log_sender", "log_recipient", "level", "idx", "hash")


def covered_leaves(connection: Connection, sender: str, recipient: str) -> int:
    """How many leaves of the log have all their interior nodes stored.

    Args:
        connection: An open connection.
        sender: The log's sender.
        recipient: The log's recipient.

    Returns:
        ``2 * (1 + the largest idx at level 1)``, 0 without nodes: one primary-key lookup.
        Under the module's invariant the stored nodes are exactly those of the tree of
        that many leaves (and of one more, since a last odd leaf completes no node).
    """
    table = schema.merkle_nodes
    value = connection.execute(
        select(func.max(table.c.idx)).where(*_log(table, sender, recipient), table.c.level == 1)
    ).scalar()
    return 0 if value is None else 2 * (int(value) + 1)


def stored_node_count(connection: Connection, sender: str, recipient: str) -> int:
    """Number of interior nodes stored for the log (a tree of ``n`` leaves has
    ``n - popcount(n)``). Counts rows: O(n), for checks and tests, not the hot path."""
    table = schema.merkle_nodes
    value = connection.execute(
        select(func.count()).select_from(table).where(*_log(table, sender, recipient))
    ).scalar()
    return int(value or 0)


def _check_covered(size: int, covered: int, sender: str, recipient: str) -> None:
    if covered > size:
        raise ValueError(
            f"{sender}→{recipient} has nodes for {covered} leaves but only {size} entries"
        )
    if covered < size - 1:
        raise IncompleteTreeError(
            f"{sender}→{recipient} has nodes for {covered} of its {size} leaves; "
            "run openline.store.tree.backfill first"
        )


def open_tree(source: Source, sender: str, recipient: str) -> StoredMerkleTree:
    """Open a log's stored tree: its size and frontier, read in one snapshot.

    Four indexed statements at most (size, covered leaves, frontier from ``merkle_nodes``
    and, for an odd size, the last leaf), whatever the log's length.

    Args:
        source: A store or engine (the tree then reads committed nodes, a pooled connection
            per read) or an open connection (the tree reads through it, so it must outlive
            the tree's use).
        sender: The log's sender.
        recipient: The log's recipient.

    Returns:
        The tree, reading the nodes below its frontier from ``source``.

    Raises:
        IncompleteTreeError: If nodes are missing for some entries (see :func:`backfill`).
        ValueError: If there are nodes beyond the entries, or a stored hash is malformed.
    """
    with _connect(source) as connection:
        size = Store.log_size(connection, sender, recipient)
        _check_covered(size, covered_leaves(connection, sender, recipient), sender, recipient)
        frontier = Frontier.from_reader(size, StoredHashes(connection, sender, recipient))
    return StoredMerkleTree(frontier, StoredHashes(source, sender, recipient))


def _transaction(source: Store | Connection) -> AbstractContextManager[Connection]:
    if isinstance(source, Store):
        return source.write()
    return nullcontext(source)


def backfill(
    source: Store | Connection, sender: str, recipient: str, *, chunk: int = DEFAULT_CHUNK
) -> int:
    """Store the interior nodes missing for a log's entries, resuming where they stop.

    For a store created before migration 0006 (entries, no nodes), or one whose last
    nodes were lost. Leaf ids are read ``chunk`` at a time in seq order (keyset on seq) and
    fed to a :class:`Frontier` started at :func:`covered_leaves`, so memory is bounded by
    ``chunk``, never by the log's length. Cheap when nothing is missing: two lookups.

    Run it before :func:`open_tree`, while nothing else appends to the log (at start-up,
    or under the node's lock); entries appended meanwhile are covered too, since it reads
    until the end of the log.

    Args:
        source: A store, to commit each chunk in its own write transaction (an interrupted
            backfill keeps what it did and resumes from there), or an open write
            connection, to do everything in the caller's transaction.
        sender: The log's sender.
        recipient: The log's recipient.
        chunk: Leaves per query and per transaction.

    Returns:
        The number of nodes inserted.

    Raises:
        ValueError: If ``chunk`` is not positive, the log's seqs have a gap, stored nodes
            go beyond its entries, or a stored hash is malformed.
        KeyError: If a node below :func:`covered_leaves` is missing (the invariant broken).
    """
    if chunk < 1:
        raise ValueError(f"chunk {chunk} is not positive")
    table = schema.entries
    with _transaction(source) as connection:
        size = Store.log_size(connection, sender, recipient)
        covered = covered_leaves(connection, sender, recipient)
        if covered >= size - 1:
            _check_covered(size, covered, sender, recipient)
            return 0
        frontier = Frontier.from_reader(covered, StoredHashes(connection, sender, recipient))
    inserted = 0
    while True:
        with _transaction(source) as connection:
            rows = connection.execute(
                select(table.c.seq, table.c.id)
                .where(*_log(table, sender, recipient), table.c.seq >= frontier.size)
                .order_by(table.c.seq)
                .limit(chunk)
            ).all()
            nodes: list[tuple[int, int, bytes]] = []
            for seq, entry_id in rows:
                if seq != frontier.size:
                    raise ValueError(f"{sender}→{recipient} has no entry at seq {frontier.size}")
                nodes.extend(frontier.append(bytes.fromhex(entry_id)))
            inserted += insert_nodes(connection, sender, recipient, nodes)
        if len(rows) < chunk:
            return inserted
