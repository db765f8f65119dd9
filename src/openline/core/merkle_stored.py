"""The stored Merkle tree, :class:`StoredMerkleTree`, for logs too long to hold in memory.

It keeps only the :class:`~openline.core.merkle_compact.Frontier` and the nodes appended
since its owner last persisted them; every other node is fetched through a
:class:`~openline.core.merkle_compact.HashReader`, one batch of O(log n) coordinates per
root or proof. Its output is byte-identical to :class:`~openline.core.merkle.MerkleTree`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType

from openline.core.merkle_compact import (
    Coordinate,
    Frontier,
    HashReader,
    _cover_coordinates,
    _read_batch,
)
from openline.core.merkle_hashing import EMPTY_ROOT, _fold, _split

__all__ = ["StoredMerkleTree"]


class StoredMerkleTree:
    """Append-only tree whose nodes live in storage; a drop-in for :class:`MerkleTree`.

    In memory it keeps the :class:`Frontier` of the current size and the *pending* nodes:
    the leaves and interior nodes appended through :meth:`append` that its owner has not
    yet declared persisted with :meth:`forget_pending`. Any other node of a complete perfect
    subtree is read through the :class:`HashReader`, which must therefore hold every node
    of the tree of the size it was opened (or last forgotten) at.

    Reads are batched: :meth:`root`, :meth:`leaf_hash_at`, :meth:`inclusion_proof`,
    :meth:`consistency_proof` and :meth:`compact_range` each make at most one
    ``read_hashes`` call, for O(log n) coordinates (at most ``2 * size.bit_length()``; the
    right-edge range of a proof is covered by O(log n) perfect subtrees, and only one such
    range occurs per proof, so O(log² n) never arises). Nodes in the frontier or the pending
    map are not read; :meth:`root` of the current size reads nothing.

    The object is not thread-safe: appends and reads must be serialised by the caller.
    """

    __slots__ = ("_frontier", "_pending", "_reader")

    def __init__(self, frontier: Frontier, reader: HashReader) -> None:
        """Create a tree from its frontier and the storage of the nodes below it.

        Args:
            frontier: The compact range of the stored tree (copied; later changes to the
                argument do not affect the tree).
            reader: Holds every node of the tree of ``frontier.size`` leaves.
        """
        self._frontier = frontier.copy()
        self._reader = reader
        self._pending: dict[Coordinate, bytes] = {}

    @classmethod
    def open(cls, size: int, reader: HashReader) -> StoredMerkleTree:
        """Open a stored tree of ``size`` leaves (one ``read_hashes`` call, for the frontier).

        Args:
            size: Number of leaves in storage.
            reader: Holds every node of the tree of ``size`` leaves.

        Returns:
            The tree, with nothing pending.

        Raises:
            ValueError: If ``size`` is negative or the reader's answer is malformed.
            KeyError: If the reader lacks a frontier node.
        """
        return cls(Frontier.from_reader(size, reader), reader)

    @property
    def size(self) -> int:
        """Number of leaves."""
        return self._frontier.size

    @property
    def frontier(self) -> Frontier:
        """A copy of the current frontier: append to it to learn the nodes of future leaves
        (to persist them with the entries) without changing the tree."""
        return self._frontier.copy()

    @property
    def pending(self) -> Mapping[Coordinate, bytes]:
        """Read-only view of the nodes (leaves included) appended but not yet forgotten."""
        return MappingProxyType(self._pending)

    def append(self, leaf_hash: bytes) -> list[tuple[int, int, bytes]]:
        """Append one leaf.

        The leaf and the nodes it completes stay readable from memory (pending) until
        :meth:`forget_pending`; the caller persists them meanwhile.

        Args:
            leaf_hash: The leaf hash (``leaf_hash(data)``), 32 bytes.

        Returns:
            The interior nodes completed, ``(level, index, hash)`` with ``level >= 1``,
            bottom-up (see :meth:`Frontier.append`).

        Raises:
            ValueError: If ``leaf_hash`` is not exactly 32 bytes.
        """
        index = self._frontier.size
        completed = self._frontier.append(leaf_hash)
        pending = self._pending
        pending[(0, index)] = leaf_hash
        for level, node_index, node in completed:
            pending[(level, node_index)] = node
        return completed

    def forget_pending(self, size: int | None = None) -> None:
        """Declare the pending nodes persisted, so that later reads go to the reader.

        Args:
            size: Forget only the nodes within the first ``size`` leaves (those the reader
                now holds), keeping any appended later; every pending node if ``None``.

        Raises:
            ValueError: If ``size`` is not in ``0 .. self.size``.
        """
        if size is None:
            self._pending.clear()
            return
        n = self._resolve(size)
        # Node (level, index) lies within the first n leaves iff its last leaf is below n.
        self._pending = {
            (level, index): node
            for (level, index), node in self._pending.items()
            if (index + 1) << level > n
        }

    def _resolve(self, size: int | None) -> int:
        if size is None:
            return self.size
        if not 0 <= size <= self.size:
            raise ValueError(f"size {size} is not in 0..{self.size}")
        return size

    def _fetch(self, coordinates: Iterable[Coordinate]) -> dict[Coordinate, bytes]:
        """The hashes of these nodes: from memory when there, the rest in one read."""
        frontier = dict(zip(self._frontier.coordinates(), self._frontier.hashes, strict=True))
        pending = self._pending
        found: dict[Coordinate, bytes] = {}
        # A dict as an ordered set: duplicates are asked once and the batch is deterministic.
        missing: dict[Coordinate, None] = {}
        for coordinate in coordinates:
            node = pending.get(coordinate) or frontier.get(coordinate)
            if node is None:
                missing[coordinate] = None
            else:
                found[coordinate] = node
        if missing:
            batch = list(missing)
            found.update(zip(batch, _read_batch(self._reader, batch), strict=True))
        return found

    def _fold_covers(self, covers: Sequence[Sequence[Coordinate]]) -> list[bytes]:
        """Fetch every coordinate of ``covers`` at once and fold each cover into one hash."""
        hashes = self._fetch(coordinate for cover in covers for coordinate in cover)
        return [_fold([hashes[coordinate] for coordinate in cover]) for cover in covers]

    def root(self, size: int | None = None) -> bytes:
        """Root of the first ``size`` leaves.

        Reads nothing for the current size (the frontier folds into the root); otherwise
        one read of ``popcount(size)`` coordinates.

        Args:
            size: Tree size, ``0 .. self.size``; all leaves if ``None``.

        Returns:
            ``MTH(D[size])`` (RFC 9162 §2.1.1); :data:`EMPTY_ROOT` for size 0.

        Raises:
            ValueError: If ``size`` is out of range.
            KeyError: If the reader lacks a node.
        """
        n = self._resolve(size)
        if n == self.size:
            return self._frontier.root()
        if n == 0:
            return EMPTY_ROOT
        return self._fold_covers([_cover_coordinates(0, n)])[0]

    def leaf_hash_at(self, index: int) -> bytes:
        """Return the leaf hash at ``index`` (one read of one coordinate, unless in memory).

        Args:
            index: Position of the leaf, ``0 .. self.size - 1``.

        Returns:
            The stored leaf hash.

        Raises:
            ValueError: If ``index`` is out of range (negative indices are not allowed).
            KeyError: If the reader lacks the leaf.
        """
        return self.leaf_hashes_at([index])[0]

    def leaf_hashes_at(self, indices: Sequence[int]) -> list[bytes]:
        """Return the leaf hashes at several positions, in one read.

        Args:
            indices: Positions of leaves, each ``0 .. self.size - 1``.

        Returns:
            The leaf hashes, in the order of ``indices``.

        Raises:
            ValueError: If an index is out of range.
            KeyError: If the reader lacks a leaf.
        """
        for index in indices:
            if not 0 <= index < self.size:
                raise ValueError(f"index {index} is outside a tree of size {self.size}")
        hashes = self._fetch((0, index) for index in indices)
        return [hashes[(0, index)] for index in indices]

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """Inclusion proof of leaf ``index`` in the tree of the first ``size`` leaves.

        One read of at most ``2 * size.bit_length()`` coordinates: each step of the PATH
        recursion needs one perfect subtree, except the first step that goes left, whose
        right sibling is the right edge of the tree (popcount of its size subtrees).

        Args:
            index: Position of the leaf, counted from 0.
            size: Tree size; all leaves if ``None``.

        Returns:
            ``PATH(index, D[size])`` of RFC 9162 §2.1.3.1, identical to
            :meth:`MerkleTree.inclusion_proof`.

        Raises:
            ValueError: If ``size`` is out of range or ``index >= size``.
            KeyError: If the reader lacks a node.
        """
        n = self._resolve(size)
        if not 0 <= index < n:
            raise ValueError(f"index {index} is outside a tree of size {n}")
        # Walk the PATH recursion (RFC 9162 §2.1.3.1) from the root down, as MerkleTree does,
        # but only note which subtrees each sibling needs, so that all are read at once.
        covers: list[list[Coordinate]] = []
        lo, hi = 0, n
        while hi - lo > 1:
            k = _split(hi - lo)
            if index < lo + k:
                covers.append(_cover_coordinates(lo + k, hi))
                hi = lo + k
            else:
                covers.append(_cover_coordinates(lo, lo + k))
                lo += k
        proof = self._fold_covers(covers)
        # The sibling of each step comes *after* the deeper part of the path.
        proof.reverse()
        return proof

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """Consistency proof between the first ``old_size`` and ``new_size`` leaves.

        One read of at most ``2 * new_size.bit_length()`` coordinates, for the same reason as
        :meth:`inclusion_proof`.

        Args:
            old_size: Size of the older tree, ``1 .. new_size``.
            new_size: Size of the newer tree; all leaves if ``None``.

        Returns:
            ``PROOF(old_size, D[new_size])`` of RFC 9162 §2.1.4.1, identical to
            :meth:`MerkleTree.consistency_proof`. Empty if the sizes are equal.

        Raises:
            ValueError: If ``new_size`` is out of range or ``old_size`` not in
                ``1 .. new_size``.
            KeyError: If the reader lacks a node.
        """
        n = self._resolve(new_size)
        if not 1 <= old_size <= n:
            raise ValueError(f"old_size {old_size} is not in 1..{n}")
        # Walk the SUBPROOF recursion (RFC 9162 §2.1.4.1) from the root down, noting covers.
        covers: list[list[Coordinate]] = []
        lo, hi = 0, n
        b = True
        while True:
            m = old_size - lo
            if m == hi - lo:
                if not b:
                    covers.append(_cover_coordinates(lo, hi))
                break
            k = _split(hi - lo)
            if m <= k:
                covers.append(_cover_coordinates(lo + k, hi))
                hi = lo + k
            else:
                covers.append(_cover_coordinates(lo, lo + k))
                lo += k
                b = False
        proof = self._fold_covers(covers)
        proof.reverse()
        return proof

    def compact_range(self, end: int) -> list[bytes]:
        """Hashes of the perfect subtrees covering the leaves ``[0, end)``.

        Reads nothing for the current size; otherwise one read of ``popcount(end)``
        coordinates.

        Args:
            end: End of the range, ``0 .. self.size``.

        Returns:
            ``popcount(end)`` hashes, largest subtree first, identical to
            :meth:`MerkleTree.compact_range`; empty for ``end == 0``.

        Raises:
            ValueError: If ``end`` is out of range.
            KeyError: If the reader lacks a node.
        """
        n = self._resolve(end)
        coordinates = _cover_coordinates(0, n)
        hashes = self._fetch(coordinates)
        return [hashes[coordinate] for coordinate in coordinates]
