"""Tests for the stored tree of openline.core.merkle: Frontier and StoredMerkleTree agree
byte for byte with MerkleTree, read in one batch of O(log n) nodes, and keep what they
appended readable until it is declared persisted."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openline.core.merkle import (
    EMPTY_ROOT,
    Coordinate,
    Frontier,
    HashReader,
    MerkleTree,
    StoredMerkleTree,
    compact_range_coordinates,
    leaf_hash,
)

VECTORS_PATH = Path(__file__).parent.parent / "vectors" / "rfc6962.json"
VECTORS: dict[str, Any] = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
TREES: dict[str, dict[str, Any]] = {tree["id"]: tree for tree in VECTORS["trees"]}
VALID_INCLUSION_WITH_TREE = [r for r in VECTORS["inclusion"] if r["valid"] and "tree" in r]
VALID_CONSISTENCY_WITH_TREE = [r for r in VECTORS["consistency"] if r["valid"] and "tree" in r]

MAX_SIZE = 3000
PROPERTY_SETTINGS = settings(max_examples=60, deadline=None)


def unhex_all(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(value) for value in values]


def leaf(i: int) -> bytes:
    return leaf_hash(i.to_bytes(8, "big"))


# One reference tree for every test: the nodes of a prefix of a tree are those of the tree
# of that prefix, so a reader that only answers within `stored` leaves stands for a store.
REFERENCE = MerkleTree(leaf(i) for i in range(MAX_SIZE))


class LevelsReader:
    """A HashReader over MerkleTree's own levels, holding the tree of ``stored`` leaves,
    that records every call."""

    def __init__(self, tree: MerkleTree, stored: int) -> None:
        self.tree = tree
        self.stored = stored
        self.calls: list[list[Coordinate]] = []

    def read_hashes(self, coordinates: Sequence[Coordinate]) -> list[bytes]:
        self.calls.append(list(coordinates))
        out = []
        for level, index in coordinates:
            if level < 0 or index < 0 or (index + 1) << level > self.stored:
                raise KeyError((level, index))
            out.append(self.tree._levels[level][index])
        return out

    def reset(self) -> None:
        self.calls.clear()


class FakeReader:
    """Answers any coordinate with a made-up hash: counts reads at sizes far beyond memory."""

    def __init__(self) -> None:
        self.calls: list[list[Coordinate]] = []

    def read_hashes(self, coordinates: Sequence[Coordinate]) -> list[bytes]:
        self.calls.append(list(coordinates))
        return [hashlib.sha256(repr(c).encode()).digest() for c in coordinates]


class EmptyReader:
    """Stores nothing."""

    def __init__(self) -> None:
        self.calls = 0

    def read_hashes(self, coordinates: Sequence[Coordinate]) -> list[bytes]:
        self.calls += 1
        raise KeyError(coordinates[0])


def opened(size: int) -> tuple[StoredMerkleTree, LevelsReader]:
    reader = LevelsReader(REFERENCE, size)
    tree = StoredMerkleTree.open(size, reader)
    reader.reset()
    return tree, reader


def prefix(size: int) -> MerkleTree:
    return MerkleTree(leaf(i) for i in range(size))


def assert_one_small_read(reader: LevelsReader | FakeReader, size: int) -> None:
    assert len(reader.calls) <= 1
    for call in reader.calls:
        assert 0 < len(call) <= 2 * size.bit_length()
        assert len(set(call)) == len(call)
    reader.calls.clear()


def new_nodes(before: list[int], tree: MerkleTree) -> list[tuple[int, int, bytes]]:
    """The interior nodes MerkleTree added since its levels had lengths ``before``."""
    out: list[tuple[int, int, bytes]] = []
    for level in range(1, len(tree._levels)):
        old = before[level] if level < len(before) else 0
        out.extend((level, i, tree._levels[level][i]) for i in range(old, len(tree._levels[level])))
    return out


# --------------------------------------------------------------------------------------------
# Frontier
# --------------------------------------------------------------------------------------------


def test_compact_range_coordinates() -> None:
    assert compact_range_coordinates(0) == []
    assert compact_range_coordinates(1) == [(0, 0)]
    assert compact_range_coordinates(8) == [(3, 0)]
    assert compact_range_coordinates(13) == [(3, 0), (2, 2), (0, 12)]
    for size in range(200):
        coordinates = compact_range_coordinates(size)
        assert len(coordinates) == size.bit_count()
        assert [REFERENCE._levels[lv][i] for lv, i in coordinates] == REFERENCE.compact_range(size)
    with pytest.raises(ValueError, match="size"):
        compact_range_coordinates(-1)


def test_frontier_append_returns_the_nodes_merkle_tree_adds() -> None:
    frontier = Frontier()
    tree = MerkleTree()
    assert frontier.root() == EMPTY_ROOT
    for i in range(1100):
        before = [len(level) for level in tree._levels]
        tree.append(leaf(i))
        completed = frontier.append(leaf(i))
        assert completed == new_nodes(before, tree)
        assert [level for level, _, _ in completed] == list(range(1, len(completed) + 1))
        assert frontier.size == tree.size
        assert list(frontier.hashes) == tree.compact_range(tree.size)
        assert frontier.coordinates() == compact_range_coordinates(tree.size)
        assert frontier.root() == tree.root()
    # n leaves complete n - popcount(n) interior nodes in all.
    total = sum(len(level) for level in tree._levels[1:])
    assert total == 1100 - (1100).bit_count()


@given(size=st.integers(min_value=0, max_value=MAX_SIZE))
@PROPERTY_SETTINGS
def test_frontier_from_reader_reads_once(size: int) -> None:
    reader = LevelsReader(REFERENCE, size)
    frontier = Frontier.from_reader(size, reader)
    assert reader.calls == ([compact_range_coordinates(size)] if size else [])
    assert frontier.size == size
    assert list(frontier.hashes) == REFERENCE.compact_range(size)
    assert frontier.root() == REFERENCE.root(size)


def test_frontier_copy_is_independent() -> None:
    frontier = Frontier(3, REFERENCE.compact_range(3))
    twin = frontier.copy()
    twin.append(leaf(3))
    assert frontier.size == 3
    assert twin.size == 4
    assert frontier.root() == REFERENCE.root(3)
    assert twin.root() == REFERENCE.root(4)
    assert "size=3" in repr(frontier)


def test_frontier_rejects_bad_input() -> None:
    good = REFERENCE.compact_range(5)
    assert Frontier(5, good).root() == REFERENCE.root(5)
    with pytest.raises(ValueError, match="2 hashes, not 1"):
        Frontier(5, good[:1])
    with pytest.raises(ValueError, match="hashes"):
        Frontier(0, [good[0]])
    with pytest.raises(ValueError, match="32-byte"):
        Frontier(1, [b"short"])
    with pytest.raises(ValueError, match="size"):
        Frontier(-1)
    with pytest.raises(ValueError, match="32 bytes"):
        Frontier().append(b"x" * 31)
    with pytest.raises(KeyError):
        Frontier.from_reader(3, EmptyReader())


class ShortReader:
    def read_hashes(self, coordinates: Sequence[Coordinate]) -> list[bytes]:
        return [b"\x00" * 32][: len(coordinates) - 1]


class TruncatingReader:
    def read_hashes(self, coordinates: Sequence[Coordinate]) -> list[bytes]:
        return [b"\x00" * 31 for _ in coordinates]


def test_malformed_reader_answers_are_refused() -> None:
    with pytest.raises(ValueError, match="1 hashes for 2 coordinates"):
        Frontier.from_reader(3, ShortReader())
    with pytest.raises(ValueError, match="not 32 bytes"):
        Frontier.from_reader(3, TruncatingReader())
    tree = StoredMerkleTree(Frontier(), TruncatingReader())
    for i in range(4):
        tree.append(leaf(i))
    tree.forget_pending()
    with pytest.raises(ValueError, match="not 32 bytes"):
        tree.inclusion_proof(0)


# --------------------------------------------------------------------------------------------
# StoredMerkleTree against MerkleTree
# --------------------------------------------------------------------------------------------


def test_protocol_is_satisfied() -> None:
    readers: list[HashReader] = [LevelsReader(REFERENCE, 0), FakeReader(), EmptyReader()]
    assert len(readers) == 3


def test_stored_tree_matches_exhaustively_for_small_sizes() -> None:
    n = 40
    tree, reader = opened(n)
    for size in range(n + 1):
        assert tree.root(size) == REFERENCE.root(size)
        assert_one_small_read(reader, max(size, 1))
        assert tree.compact_range(size) == REFERENCE.compact_range(size)
        assert_one_small_read(reader, max(size, 1))
        for index in range(size):
            assert tree.inclusion_proof(index, size) == REFERENCE.inclusion_proof(index, size)
            assert_one_small_read(reader, size)
        for old in range(1, size + 1):
            assert tree.consistency_proof(old, size) == REFERENCE.consistency_proof(old, size)
            assert_one_small_read(reader, size)
    for index in range(n):
        assert tree.leaf_hash_at(index) == leaf(index)


@given(data=st.data(), size=st.integers(min_value=1, max_value=MAX_SIZE))
@PROPERTY_SETTINGS
def test_property_stored_tree_matches_merkle_tree(data: st.DataObject, size: int) -> None:
    tree, reader = opened(size)
    reference = prefix(size)
    assert tree.size == size
    assert tree.root() == reference.root()
    assert reader.calls == []  # the root of the current size is the frontier's
    for _ in range(5):
        at = data.draw(st.integers(min_value=1, max_value=size), label="size")
        index = data.draw(st.integers(min_value=0, max_value=at - 1), label="index")
        old = data.draw(st.integers(min_value=1, max_value=at), label="old_size")
        end = data.draw(st.integers(min_value=0, max_value=size), label="end")

        assert tree.root(at) == reference.root(at)
        assert_one_small_read(reader, at)
        assert tree.inclusion_proof(index, at) == reference.inclusion_proof(index, at)
        assert_one_small_read(reader, at)
        assert tree.inclusion_proof(index) == reference.inclusion_proof(index)
        assert_one_small_read(reader, size)
        assert tree.consistency_proof(old, at) == reference.consistency_proof(old, at)
        assert_one_small_read(reader, at)
        assert tree.consistency_proof(old) == reference.consistency_proof(old)
        assert_one_small_read(reader, size)
        assert tree.compact_range(end) == reference.compact_range(end)
        assert_one_small_read(reader, max(end, 1))
        assert tree.leaf_hash_at(index) == reference.leaf_hash_at(index)
        assert_one_small_read(reader, 1)


@given(data=st.data(), size=st.integers(min_value=1, max_value=2**62))
@PROPERTY_SETTINGS
def test_property_reads_are_one_call_of_log_n_coordinates(data: st.DataObject, size: int) -> None:
    """At sizes no memory could hold: every operation is one read of O(log n) nodes, all of
    them complete perfect subtrees of the tree."""
    reader = FakeReader()
    tree = StoredMerkleTree.open(size, reader)
    assert reader.calls == [compact_range_coordinates(size)]
    reader.calls.clear()
    at = data.draw(st.integers(min_value=1, max_value=size), label="size")
    index = data.draw(st.integers(min_value=0, max_value=at - 1), label="index")
    old = data.draw(st.integers(min_value=1, max_value=at), label="old_size")
    operations: list[Callable[[], object]] = [
        lambda: tree.root(at),
        lambda: tree.inclusion_proof(index, at),
        lambda: tree.consistency_proof(old, at),
        lambda: tree.compact_range(at),
        lambda: tree.leaf_hash_at(index),
    ]
    for operation in operations:
        operation()
        assert len(reader.calls) <= 1
        for call in reader.calls:
            assert len(call) <= 2 * at.bit_length()
            assert len(set(call)) == len(call)
            assert all((i + 1) << level <= at for level, i in call)
        reader.calls.clear()
    assert len(tree.inclusion_proof(index, at)) <= at.bit_length()


# --------------------------------------------------------------------------------------------
# Appending, pending nodes and forget_pending
# --------------------------------------------------------------------------------------------


@given(
    start=st.integers(min_value=0, max_value=1000),
    added=st.integers(min_value=1, max_value=300),
    data=st.data(),
)
@PROPERTY_SETTINGS
def test_property_appends_stay_readable_until_forgotten(
    start: int, added: int, data: st.DataObject
) -> None:
    tree, reader = opened(start)
    reference = prefix(start)
    for i in range(start, start + added):
        before = [len(level) for level in reference._levels]
        reference.append(leaf(i))
        assert tree.append(leaf(i)) == new_nodes(before, reference)
    n = start + added
    assert tree.size == n
    assert tree.root() == reference.root()
    # Before anything is declared persisted the reader still holds only `start` leaves, yet
    # every size is provable: what is above `start` comes from the pending map.
    for _ in range(3):
        at = data.draw(st.integers(min_value=1, max_value=n), label="size")
        index = data.draw(st.integers(min_value=0, max_value=at - 1), label="index")
        old = data.draw(st.integers(min_value=1, max_value=at), label="old_size")
        assert tree.root(at) == reference.root(at)
        assert tree.inclusion_proof(index, at) == reference.inclusion_proof(index, at)
        assert tree.consistency_proof(old, at) == reference.consistency_proof(old, at)
        assert tree.compact_range(at) == reference.compact_range(at)
        assert tree.leaf_hash_at(index) == leaf(index)
    # Part persisted: forget only what the reader now holds.
    persisted = data.draw(st.integers(min_value=start, max_value=n), label="persisted")
    reader.stored = persisted
    tree.forget_pending(persisted)
    assert all((i + 1) << level > persisted for level, i in tree.pending)
    index = data.draw(st.integers(min_value=0, max_value=n - 1), label="index after")
    assert tree.inclusion_proof(index) == reference.inclusion_proof(index)
    assert tree.consistency_proof(max(index, 1)) == reference.consistency_proof(max(index, 1))
    # All persisted.
    reader.stored = n
    tree.forget_pending()
    assert dict(tree.pending) == {}
    assert tree.inclusion_proof(index) == reference.inclusion_proof(index)
    assert tree.root(max(index, 1)) == reference.root(max(index, 1))


def test_pending_nodes_need_no_reader_and_forgetting_them_does() -> None:
    reader = EmptyReader()
    tree = StoredMerkleTree(Frontier(), reader)
    assert tree.root() == EMPTY_ROOT
    for i in range(100):
        tree.append(leaf(i))
    reference = prefix(100)
    # 100 leaves and their 100 - popcount(100) interior nodes.
    assert len(tree.pending) == 100 + 100 - (100).bit_count()
    for index in range(100):
        assert tree.inclusion_proof(index) == reference.inclusion_proof(index)
        assert tree.consistency_proof(index + 1) == reference.consistency_proof(index + 1)
        assert tree.leaf_hash_at(index) == leaf(index)
    assert tree.compact_range(37) == reference.compact_range(37)
    assert tree.leaf_hashes_at([5, 3, 5]) == [leaf(5), leaf(3), leaf(5)]
    assert reader.calls == 0

    tree.forget_pending(64)
    assert tree.inclusion_proof(99) == reference.inclusion_proof(99)  # right of 64, kept
    with pytest.raises(KeyError):
        tree.inclusion_proof(0)  # needs leaf 1 and nodes below 64, now forgotten
    tree.forget_pending()
    assert tree.root() == reference.root()  # the frontier is kept
    assert tree.compact_range(100) == reference.compact_range(100)
    with pytest.raises(KeyError):
        tree.inclusion_proof(99)
    with pytest.raises(KeyError):
        tree.root(99)
    with pytest.raises(KeyError):
        tree.leaf_hash_at(0)


def test_frontier_property_is_a_copy_and_previews_appends() -> None:
    tree, _ = opened(10)
    preview = tree.frontier
    nodes = preview.append(leaf(10))
    assert tree.size == 10
    assert tree.append(leaf(10)) == nodes
    assert tree.root() == preview.root() == REFERENCE.root(11)


def test_stored_tree_rejects_what_merkle_tree_rejects() -> None:
    tree, _ = opened(8)
    with pytest.raises(ValueError, match="size"):
        tree.root(9)
    with pytest.raises(ValueError, match="size"):
        tree.root(-1)
    with pytest.raises(ValueError, match="index"):
        tree.inclusion_proof(8)
    with pytest.raises(ValueError, match="index"):
        tree.inclusion_proof(3, 3)
    with pytest.raises(ValueError, match="index"):
        tree.inclusion_proof(-1)
    with pytest.raises(ValueError, match="old_size"):
        tree.consistency_proof(0)
    with pytest.raises(ValueError, match="old_size"):
        tree.consistency_proof(5, 4)
    with pytest.raises(ValueError, match="size"):
        tree.consistency_proof(1, 9)
    with pytest.raises(ValueError, match="size"):
        tree.compact_range(9)
    with pytest.raises(ValueError, match="index"):
        tree.leaf_hash_at(8)
    with pytest.raises(ValueError, match="index"):
        tree.leaf_hash_at(-1)
    with pytest.raises(ValueError, match="size"):
        tree.forget_pending(9)
    with pytest.raises(ValueError, match="32 bytes"):
        tree.append(b"\x00")
    assert tree.size == 8
    assert tree.consistency_proof(8) == []
    assert tree.compact_range(0) == []
    assert tree.root(0) == EMPTY_ROOT


def test_open_reports_a_missing_frontier_node() -> None:
    with pytest.raises(KeyError):
        StoredMerkleTree.open(5, LevelsReader(REFERENCE, 4))
    assert StoredMerkleTree.open(0, EmptyReader()).root() == EMPTY_ROOT


# --------------------------------------------------------------------------------------------
# Known-answer vectors (RFC 6962 / RFC 9162) through the stored tree
# --------------------------------------------------------------------------------------------


def vector_trees(tree_id: str) -> list[StoredMerkleTree]:
    """The vector tree opened over a reader, and built by appends with nothing persisted."""
    hashes = unhex_all(TREES[tree_id]["leaf_hashes"])
    reference = MerkleTree(hashes)
    opened_tree = StoredMerkleTree.open(len(hashes), LevelsReader(reference, len(hashes)))
    appended = StoredMerkleTree(Frontier(), EmptyReader())
    for item in hashes:
        appended.append(item)
    return [opened_tree, appended]


@pytest.mark.parametrize("tree_id", sorted(TREES))
def test_vector_roots_and_leaves(tree_id: str) -> None:
    vector = TREES[tree_id]
    hashes = unhex_all(vector["leaf_hashes"])
    for tree in vector_trees(tree_id):
        assert tree.size == len(hashes)
        assert [tree.leaf_hash_at(i) for i in range(len(hashes))] == hashes
        for entry in vector["roots"]:
            assert tree.root(entry["size"]) == bytes.fromhex(entry["root"])


def test_vector_node_hashes() -> None:
    rows = TREES["tdev-8"]["node_hashes"]
    for tree in vector_trees("tdev-8"):
        for level, row in enumerate(rows):
            assert tree.compact_range(1 << level) == [bytes.fromhex(row[0])]


@pytest.mark.parametrize("record", [pytest.param(r, id=r["id"]) for r in VALID_INCLUSION_WITH_TREE])
def test_vector_inclusion_proofs(record: dict[str, Any]) -> None:
    expected = unhex_all(record["proof"])
    for tree in vector_trees(record["tree"]):
        size, index = record["tree_size"], record["leaf_index"]
        assert tree.inclusion_proof(index, size) == expected
        assert tree.root(size) == bytes.fromhex(record["root"])
        assert tree.leaf_hash_at(index) == bytes.fromhex(record["leaf_hash"])


@pytest.mark.parametrize(
    "record", [pytest.param(r, id=r["id"]) for r in VALID_CONSISTENCY_WITH_TREE]
)
def test_vector_consistency_proofs(record: dict[str, Any]) -> None:
    expected = unhex_all(record["proof"])
    for tree in vector_trees(record["tree"]):
        old, new = record["first_size"], record["second_size"]
        assert tree.consistency_proof(old, new) == expected
        assert tree.root(old) == bytes.fromhex(record["first_root"])
        assert tree.root(new) == bytes.fromhex(record["second_root"])
