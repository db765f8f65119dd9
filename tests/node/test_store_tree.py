"""The stored Merkle tree over a real SQLite store (openline.store.tree): proofs equal
MerkleTree's, backfill stores exactly MerkleTree's nodes from any starting point, in bounded
memory, and reads cost a fixed handful of statements."""

from __future__ import annotations

import hashlib
import sys
import tracemalloc
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, event, select

from openline.core.merkle import EMPTY_ROOT, MerkleTree
from openline.store import Store, schema
from openline.store.tree import (
    IncompleteTreeError,
    StoredHashes,
    backfill,
    covered_leaves,
    insert_nodes,
    open_tree,
    stored_node_count,
)

US, THEM = "us-dod", "prc-mnd"


def fake_id(sender: str, recipient: str, seq: int) -> bytes:
    """A stand-in leaf hash, unique across logs (``entries.id`` is unique)."""
    return hashlib.sha256(f"{sender}|{recipient}|{seq}".encode()).digest()


def add_entries(
    store: Store, start: int, count: int, sender: str = US, recipient: str = THEM
) -> None:
    """Minimal entry rows: only the id (the leaf hash) and seq matter to the tree. Through
    the driver's executemany, since building 200k rows through Core dominates a test."""
    columns = ", ".join(column.name for column in schema.entries.columns)
    marks = ", ".join("?" for _ in schema.entries.columns)
    sql = f"INSERT INTO entries ({columns}) VALUES ({marks})"
    time = "2026-01-01T00:00:00Z"
    step = 50_000
    for lo in range(start, start + count, step):
        hi = min(lo + step, start + count)
        with store.write() as connection:
            connection.exec_driver_sql(
                sql,
                [
                    (
                        sender,
                        recipient,
                        seq,
                        fake_id(sender, recipient, seq).hex(),
                        b"-",
                        "hotline.message",
                        time,
                        time,
                    )
                    for seq in range(lo, hi)
                ],
            )


def reference(size: int, sender: str = US, recipient: str = THEM) -> MerkleTree:
    return MerkleTree(fake_id(sender, recipient, seq) for seq in range(size))


def reference_nodes(tree: MerkleTree) -> set[tuple[int, int, bytes]]:
    return {
        (level, index, node)
        for level in range(1, len(tree._levels))
        for index, node in enumerate(tree._levels[level])
    }


def stored_nodes(
    store: Store, sender: str = US, recipient: str = THEM
) -> set[tuple[int, int, bytes]]:
    table = schema.merkle_nodes
    with store.read() as connection:
        rows = connection.execute(
            select(table.c.level, table.c.idx, table.c.hash).where(
                table.c.log_sender == sender, table.c.log_recipient == recipient
            )
        )
        return {(int(row.level), int(row.idx), bytes(row.hash)) for row in rows}


@contextmanager
def counted_statements(store: Store) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.startswith(("BEGIN", "PRAGMA")):
            statements.append(statement)

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(store.engine, "before_cursor_execute", count)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open_sqlite(tmp_path / "node.db")
    try:
        yield opened
    finally:
        opened.close()


# --------------------------------------------------------------------------------------------
# Reading and proving
# --------------------------------------------------------------------------------------------


def test_empty_log(store: Store) -> None:
    tree = open_tree(store, US, THEM)
    assert tree.size == 0
    assert tree.root() == EMPTY_ROOT
    assert backfill(store, US, THEM) == 0
    with store.read() as connection:
        assert covered_leaves(connection, US, THEM) == 0
        assert stored_node_count(connection, US, THEM) == 0


def test_appends_stored_with_their_entries_reopen_to_the_same_tree(store: Store) -> None:
    """The integration the module recommends: the nodes of new entries are learnt from a copy
    of the frontier and stored in the entries' transaction; the tree appends after commit."""
    tree = open_tree(store, US, THEM)
    for batch in (1, 1, 5, 64, 300, 7):
        start = tree.size
        preview = tree.frontier
        nodes = [
            n for seq in range(start, start + batch) for n in preview.append(fake_id(US, THEM, seq))
        ]
        add_entries(store, start, batch)
        with store.write() as connection:
            insert_nodes(connection, US, THEM, nodes)
        for seq in range(start, start + batch):
            tree.append(fake_id(US, THEM, seq))
        tree.forget_pending()
        assert tree.root() == preview.root()
    n = tree.size
    expected = reference(n)
    assert stored_nodes(store) == reference_nodes(expected)
    reopened = open_tree(store, US, THEM)
    for candidate in (tree, reopened):
        assert candidate.root() == expected.root()
        for size in (1, 2, 3, 64, 65, 100, n - 1, n):
            assert candidate.root(size) == expected.root(size)
            assert candidate.compact_range(size) == expected.compact_range(size)
            for index in {0, size // 2, size - 1}:
                assert candidate.inclusion_proof(index, size) == expected.inclusion_proof(
                    index, size
                )
            for old in {1, size // 3 + 1, size}:
                assert candidate.consistency_proof(old, size) == expected.consistency_proof(
                    old, size
                )
        assert candidate.leaf_hashes_at([0, n - 1]) == [
            fake_id(US, THEM, 0),
            fake_id(US, THEM, n - 1),
        ]


@pytest.fixture(scope="module")
def proving_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, MerkleTree]]:
    opened = Store.open_sqlite(tmp_path_factory.mktemp("proving") / "node.db")
    n = 5000
    add_entries(opened, 0, n)
    backfill(opened, US, THEM)
    add_entries(opened, 0, 10, US, "other")  # a neighbouring log that must not leak in
    backfill(opened, US, "other")
    try:
        yield opened, reference(n)
    finally:
        opened.close()


@given(data=st.data())
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_property_open_tree_proofs_equal_merkle_tree(
    proving_store: tuple[Store, MerkleTree], data: st.DataObject
) -> None:
    store, expected = proving_store
    tree = open_tree(store, US, THEM)
    assert tree.size == expected.size
    assert tree.root() == expected.root()
    size = data.draw(st.integers(min_value=1, max_value=expected.size), label="size")
    index = data.draw(st.integers(min_value=0, max_value=size - 1), label="index")
    old = data.draw(st.integers(min_value=1, max_value=size), label="old_size")
    with counted_statements(store) as statements:
        assert tree.inclusion_proof(index, size) == expected.inclusion_proof(index, size)
        assert len(statements) <= 2  # one on merkle_nodes, one on entries at most
        statements.clear()
        assert tree.consistency_proof(old, size) == expected.consistency_proof(old, size)
        assert len(statements) <= 2
        statements.clear()
        assert tree.root(size) == expected.root(size)
        assert tree.compact_range(size) == expected.compact_range(size)
        assert tree.leaf_hash_at(index) == expected.leaf_hash_at(index)
    assert open_tree(store, US, "other").root() == reference(10, US, "other").root()


def test_open_tree_costs_a_few_statements(proving_store: tuple[Store, MerkleTree]) -> None:
    store, expected = proving_store
    with counted_statements(store) as statements:
        tree = open_tree(store, US, THEM)
        assert len(statements) <= 4
        statements.clear()
        assert tree.root() == expected.root()
        assert statements == []


def test_open_tree_over_a_connection(proving_store: tuple[Store, MerkleTree]) -> None:
    store, expected = proving_store
    with store.read() as connection:
        tree = open_tree(connection, US, THEM)
        assert tree.inclusion_proof(1234) == expected.inclusion_proof(1234)
    tree = open_tree(store.engine, US, THEM)
    assert tree.consistency_proof(77) == expected.consistency_proof(77)


def test_stored_hashes_reads_batches(proving_store: tuple[Store, MerkleTree]) -> None:
    store, expected = proving_store
    reader = StoredHashes(store, US, THEM)
    coordinates = [(0, 4999), (3, 7), (1, 0), (12, 0), (0, 0), (3, 7)]
    assert reader.read_hashes(coordinates) == [expected._levels[lv][i] for lv, i in coordinates]
    assert reader.read_hashes([]) == []
    # More coordinates than one statement may carry parameters.
    many = (
        [(1, i) for i in range(2400)]
        + [(0, i) for i in range(1000)]
        + [(2, i) for i in range(1200)]
    )
    assert reader.read_hashes(many) == [expected._levels[lv][i] for lv, i in many]
    with pytest.raises(KeyError, match="not stored"):
        reader.read_hashes([(1, 0), (1, 2500)])  # leaves 5000..5001 do not exist
    with pytest.raises(KeyError, match="not stored"):
        reader.read_hashes([(0, 5000)])
    with pytest.raises(KeyError):
        StoredHashes(store, US, "other").read_hashes([(3, 1)])  # 10 leaves: no 8..15 in it
    with pytest.raises(ValueError, match="negative"):
        reader.read_hashes([(0, -1)])


# --------------------------------------------------------------------------------------------
# insert_nodes
# --------------------------------------------------------------------------------------------


def test_insert_nodes_ignores_duplicates_and_refuses_malformed_nodes(store: Store) -> None:
    good = (1, 0, b"\x01" * 32)
    with store.write() as connection:
        assert insert_nodes(connection, US, THEM, [good]) == 1
        assert insert_nodes(connection, US, THEM, [good, (1, 1, b"\x02" * 32)]) == 2
        assert insert_nodes(connection, US, THEM, []) == 0
        for bad in ((0, 0, b"\x01" * 32), (1, -1, b"\x01" * 32), (2, 0, b"\x01" * 31)):
            with pytest.raises(ValueError, match="node"):
                insert_nodes(connection, US, THEM, [(1, 5, b"\x03" * 32), bad])
        assert stored_node_count(connection, US, THEM) == 2
        assert covered_leaves(connection, US, THEM) == 4


# --------------------------------------------------------------------------------------------
# Backfill
# --------------------------------------------------------------------------------------------


BACKFILL_CASES = [
    *((n, chunk) for n in (1, 2, 3, 4, 7, 8, 9, 100) for chunk in (1, 7, 10_000)),
    *((n, chunk) for n in (1000, 1025, 4096) for chunk in (7, 1000, 10_000)),
]


@pytest.mark.parametrize(("n", "chunk"), BACKFILL_CASES)
def test_backfill_from_empty_stores_exactly_merkle_tree_nodes(
    store: Store, n: int, chunk: int
) -> None:
    add_entries(store, 0, n)
    refused: AbstractContextManager[object] = (
        pytest.raises(IncompleteTreeError, match="backfill") if n > 1 else nullcontext()
    )
    with refused:
        open_tree(store, US, THEM)
    expected = reference(n)
    assert backfill(store, US, THEM, chunk=chunk) == n - n.bit_count()
    assert stored_nodes(store) == reference_nodes(expected)
    with store.read() as connection:
        assert covered_leaves(connection, US, THEM) == n - n % 2
        assert stored_node_count(connection, US, THEM) == n - n.bit_count()
    assert backfill(store, US, THEM, chunk=chunk) == 0
    tree = open_tree(store, US, THEM)
    assert tree.root() == expected.root()
    assert tree.inclusion_proof(n // 2) == expected.inclusion_proof(n // 2)


@given(
    stored=st.integers(min_value=0, max_value=700), added=st.integers(min_value=0, max_value=300)
)
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_property_backfill_resumes_from_a_partial_state(
    store: Store, stored: int, added: int
) -> None:
    """Nodes stored for the first `stored` leaves (a store whose node writes stopped, or an
    earlier backfill); entries up to `stored + added`. Backfill completes exactly."""
    with store.write() as connection:
        connection.execute(delete(schema.entries))
        connection.execute(delete(schema.merkle_nodes))
    n = stored + added
    add_entries(store, 0, n)
    with store.write() as connection:
        insert_nodes(connection, US, THEM, sorted(reference_nodes(reference(stored))))
    expected = reference(n)
    inserted = backfill(store, US, THEM, chunk=64)
    assert inserted == (n - n.bit_count()) - (stored - stored.bit_count())
    assert stored_nodes(store) == reference_nodes(expected)
    assert open_tree(store, US, THEM).root() == expected.root()


def test_backfill_in_the_callers_transaction(store: Store) -> None:
    add_entries(store, 0, 300)
    with store.write() as connection:
        assert backfill(connection, US, THEM, chunk=50) == 300 - (300).bit_count()
        assert open_tree(connection, US, THEM).root() == reference(300).root()
    assert stored_nodes(store) == reference_nodes(reference(300))


def test_backfill_refuses_inconsistent_logs(store: Store) -> None:
    add_entries(store, 0, 10)
    with store.write() as connection:
        connection.execute(
            delete(schema.entries).where(schema.entries.c.seq == 5)  # a gap in the seqs
        )
    with pytest.raises(ValueError, match="seq 5"):
        backfill(store, US, THEM)
    with pytest.raises(ValueError, match="chunk"):
        backfill(store, US, THEM, chunk=0)
    # Nodes beyond the entries (which never happens when they are stored with the entries).
    with store.write() as connection:
        insert_nodes(connection, "a", "b", [(1, 0, b"\x00" * 32)])
    with pytest.raises(ValueError, match="only 0 entries"):
        open_tree(store, "a", "b")
    with pytest.raises(ValueError, match="only 0 entries"):
        backfill(store, "a", "b")


def _backfill_peak(store: Store, sender: str, recipient: str, chunk: int) -> tuple[int, int]:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        inserted = backfill(store, sender, recipient, chunk=chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return inserted, peak - base


def test_backfill_memory_does_not_grow_with_the_log(store: Store) -> None:
    """Backfill of 200k leaves peaks at about what 20k leaves take (one chunk at a time),
    and far below what holding the log's leaf hashes alone would take."""
    small, large = 20_000, 200_000
    chunk = 1_000
    add_entries(store, 0, small, US, "small")
    add_entries(store, 0, large, US, "large")
    add_entries(store, 0, 100, US, "warm-up")
    _backfill_peak(store, US, "warm-up", chunk)  # compile and cache the statements first
    inserted_small, peak_small = _backfill_peak(store, US, "small", chunk)
    inserted_large, peak_large = _backfill_peak(store, US, "large", chunk)
    assert inserted_small == small - small.bit_count()
    assert inserted_large == large - large.bit_count()
    assert peak_large < 1.5 * peak_small + 256 * 1024
    # A list of the 200k leaf hashes: one pointer and one 32-byte bytes object each.
    all_leaves = large * (8 + sys.getsizeof(b"\x00" * 32))
    assert peak_large < all_leaves / 4
    assert open_tree(store, US, "large").root() == reference(large, US, "large").root()
