"""Compact ranges: node coordinates, the frontier of a log, and roots rebuilt from them.

The range ``[0, end)`` is covered by one perfect subtree per set bit of ``end``, largest
(leftmost) first, as in transparency-dev's ``compact`` package. Given those hashes and the
leaf hashes that follow, anybody can recompute the root without the rest of the log
(:func:`root_from_compact_range_and_suffix`); a :class:`Frontier` is the compact range of a
whole log, enough to append and to compute the current root.

Nodes are named by :data:`Coordinate`, and those not held in memory are read through a
:class:`HashReader`, the interface a store implements (``openline.store.tree``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeAlias

from openline.core.merkle_hashing import (
    _NODE_PREFIX,
    EMPTY_ROOT,
    HASH_SIZE,
    _check_hashes,
    _fold,
    _is_count,
    _is_hash,
    _sha256,
)

__all__ = [
    "Coordinate",
    "Frontier",
    "HashReader",
    "compact_range_coordinates",
    "root_from_compact_range_and_suffix",
]

Coordinate: TypeAlias = tuple[int, int]
"""A node as ``(level, index)``: the MTH of the leaves ``index * 2**level`` to
``(index + 1) * 2**level - 1``, i.e. ``MerkleTree`` ``levels[level][index]``. Level 0 is a leaf
hash. A node exists once all of its ``2**level`` leaves do, and never changes afterwards."""


class HashReader(Protocol):
    """Where a :class:`StoredMerkleTree` finds the nodes it does not hold in memory."""

    def read_hashes(self, coordinates: Sequence[Coordinate]) -> Sequence[bytes]:
        """Fetch the hashes of a batch of nodes in one go.

        Args:
            coordinates: Distinct coordinates of complete nodes, in no particular order.

        Returns:
            One hash per coordinate, in the same order.

        Raises:
            KeyError: If a node is not stored (a ``ValueError`` is allowed too).
        """
        ...


def _cover_coordinates(lo: int, hi: int) -> list[Coordinate]:
    """Perfect subtrees covering ``[lo, hi)``, largest first (as :meth:`MerkleTree._cover`).

    ``lo`` must be a multiple of the largest power of two not above ``hi - lo``, which holds
    for ``lo == 0`` and for every range of the RFC 9162 §2.1.1 recursion.
    """
    n = hi - lo
    out: list[Coordinate] = []
    pos = lo
    for level in range(n.bit_length() - 1, -1, -1):
        if n >> level & 1:
            out.append((level, pos >> level))
            pos += 1 << level
    return out


def compact_range_coordinates(size: int) -> list[Coordinate]:
    """Coordinates of the compact range of ``[0, size)``.

    Args:
        size: Number of leaves covered, ``>= 0``.

    Returns:
        One coordinate per set bit of ``size``, largest subtree (leftmost) first, the order of
        :meth:`MerkleTree.compact_range`; empty for ``size == 0``.

    Raises:
        ValueError: If ``size`` is not a non-negative integer.
    """
    if not _is_count(size):
        raise ValueError(f"size {size!r} is not a non-negative integer")
    return _cover_coordinates(0, size)


def root_from_compact_range_and_suffix(
    prefix: Sequence[bytes], prefix_size: int, suffix_leaf_hashes: Sequence[bytes]
) -> bytes:
    """Compute a root from the compact range of a prefix and the leaf hashes that follow it.

    Args:
        prefix: The compact range of ``[0, prefix_size)``, as returned by
            :meth:`MerkleTree.compact_range`: ``popcount(prefix_size)`` hashes, largest
            subtree first.
        prefix_size: Number of leaves the prefix covers.
        suffix_leaf_hashes: Leaf hashes of ``[prefix_size, prefix_size + len(suffix))``.

    Returns:
        The root of the tree of ``prefix_size + len(suffix_leaf_hashes)`` leaves;
        :data:`EMPTY_ROOT` if that is 0.

    Raises:
        ValueError: If ``prefix_size`` is negative, ``prefix`` does not hold exactly
            ``popcount(prefix_size)`` hashes, or any hash is not 32 bytes.
    """
    if prefix_size < 0:
        raise ValueError(f"prefix_size {prefix_size} is negative")
    if len(prefix) != prefix_size.bit_count():
        raise ValueError(
            f"a compact range of size {prefix_size} has {prefix_size.bit_count()} hashes, "
            f"not {len(prefix)}"
        )
    _check_hashes(prefix, "prefix")
    _check_hashes(suffix_leaf_hashes, "suffix_leaf_hashes")
    # The stack holds one perfect subtree per set bit of `size`, largest first. Appending a
    # leaf merges it with the subtree of each trailing 1-bit, as in a binary increment.
    stack = list(prefix)
    size = prefix_size
    for item in suffix_leaf_hashes:
        node = item
        carry = size
        while carry & 1:
            node = _sha256(_NODE_PREFIX + stack.pop() + node).digest()
            carry >>= 1
        stack.append(node)
        size += 1
    if not stack:
        return EMPTY_ROOT
    return _fold(stack)


def _read_batch(reader: HashReader, coordinates: Sequence[Coordinate]) -> list[bytes]:
    """One ``read_hashes`` call, with its answer checked: a short or malformed answer would
    otherwise surface as a wrong root rather than as the storage fault it is."""
    hashes = list(reader.read_hashes(coordinates))
    if len(hashes) != len(coordinates):
        raise ValueError(
            f"the reader returned {len(hashes)} hashes for {len(coordinates)} coordinates"
        )
    for coordinate, item in zip(coordinates, hashes, strict=True):
        if not _is_hash(item):
            raise ValueError(f"the stored hash of node {coordinate} is not {HASH_SIZE} bytes")
    return hashes


class Frontier:
    """The compact range of a whole log: what is needed to append and to compute the root.

    ``[0, size)`` is covered by one perfect subtree per set bit of ``size``, largest
    (leftmost) first, as :meth:`MerkleTree.compact_range` returns it. Appending a leaf merges
    it with the subtree of each trailing 1-bit of ``size``, as in a binary increment, so the
    frontier never holds more than ``size.bit_length()`` hashes.
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        """Create a frontier from a known compact range.

        Args:
            size: Number of leaves covered.
            hashes: The compact range of ``[0, size)``: ``popcount(size)`` hashes, largest
                subtree first, at :func:`compact_range_coordinates` ``(size)``.

        Raises:
            ValueError: If ``size`` is negative, ``hashes`` does not hold exactly
                ``popcount(size)`` hashes, or a hash is not 32 bytes.
        """
        if not _is_count(size):
            raise ValueError(f"size {size!r} is not a non-negative integer")
        if len(hashes) != size.bit_count():
            raise ValueError(
                f"a compact range of size {size} has {size.bit_count()} hashes, not {len(hashes)}"
            )
        _check_hashes(hashes, "hashes")
        self._size = size
        self._hashes = list(hashes)

    @classmethod
    def from_reader(cls, size: int, reader: HashReader) -> Frontier:
        """Read the frontier of a stored tree.

        Args:
            size: Number of leaves of the stored tree.
            reader: Where its nodes are; asked once for the ``popcount(size)`` coordinates of
                :func:`compact_range_coordinates` (not at all for size 0).

        Returns:
            The frontier of ``[0, size)``.

        Raises:
            ValueError: If ``size`` is negative or the reader's answer is malformed.
            KeyError: If the reader lacks a node (as raised by the reader).
        """
        coordinates = compact_range_coordinates(size)
        hashes = _read_batch(reader, coordinates) if coordinates else []
        return cls(size, hashes)

    @property
    def size(self) -> int:
        """Number of leaves covered."""
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        """The compact range, largest subtree first (``popcount(size)`` hashes)."""
        return tuple(self._hashes)

    def coordinates(self) -> list[Coordinate]:
        """The coordinates of :attr:`hashes`, in the same order."""
        return _cover_coordinates(0, self._size)

    def append(self, leaf_hash: bytes) -> list[tuple[int, int, bytes]]:
        """Append one leaf.

        Args:
            leaf_hash: The leaf hash (``leaf_hash(data)``), 32 bytes.

        Returns:
            The interior nodes this leaf completed, as ``(level, index, hash)`` with
            ``level >= 1``, bottom-up: those of ``MerkleTree.levels`` that the same append
            would add. Empty when the new leaf is a left child (even index).

        Raises:
            ValueError: If ``leaf_hash`` is not exactly 32 bytes.
        """
        if not _is_hash(leaf_hash):
            raise ValueError(f"a leaf hash must be {HASH_SIZE} bytes")
        stack = self._hashes
        node = leaf_hash
        index = self._size
        level = 0
        completed: list[tuple[int, int, bytes]] = []
        # While the new node is a right child (odd index), it completes its parent
        # (RFC 9162 §2.1.1: MTH of a perfect range is the hash of its two halves).
        while index & 1:
            node = _sha256(_NODE_PREFIX + stack.pop() + node).digest()
            index >>= 1
            level += 1
            completed.append((level, index, node))
        stack.append(node)
        self._size += 1
        return completed

    def root(self) -> bytes:
        """Root of the ``size`` leaves: ``MTH(D[size])``; :data:`EMPTY_ROOT` for size 0."""
        if not self._hashes:
            return EMPTY_ROOT
        return _fold(self._hashes)

    def copy(self) -> Frontier:
        """An independent frontier at the same size (appending to it leaves this one alone)."""
        twin = Frontier.__new__(Frontier)
        twin._size = self._size
        twin._hashes = list(self._hashes)
        return twin

    def __repr__(self) -> str:
        return f"Frontier(size={self._size})"
