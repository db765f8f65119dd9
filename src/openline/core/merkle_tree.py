"""The in-memory incremental Merkle tree, :class:`MerkleTree`, for the node's hot path.

It stores every complete perfect subtree, so an append costs O(1) hashes amortised and the
root or a proof for any past size costs O(log n). Its output is byte-identical to the
reference functions of :mod:`openline.core.merkle_reference`.
"""

from __future__ import annotations

from collections.abc import Iterable

from openline.core.merkle_hashing import (
    _NODE_PREFIX,
    EMPTY_ROOT,
    HASH_SIZE,
    _fold,
    _is_hash,
    _sha256,
    _split,
)

__all__ = ["MerkleTree"]


class MerkleTree:
    """Append-only tree over leaf hashes.

    Keeps every perfect subtree hash (levels), so append is O(log n) amortised and
    root/proofs of any past size are O(log n).

    ``levels[l][i]`` is MTH of the leaves ``i * 2**l`` to ``(i + 1) * 2**l - 1``; it is
    stored as soon as those ``2**l`` leaves are present. ``levels[0]`` holds the leaf hashes.
    The tree keeps about ``2 * size`` hashes in memory.
    """

    __slots__ = ("_levels",)

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        """Create a tree, optionally filled with leaf hashes.

        Args:
            leaf_hashes: Initial leaf hashes (32 bytes each), in log order.

        Raises:
            ValueError: If a leaf hash is not exactly 32 bytes.
        """
        self._levels: list[list[bytes]] = [[]]
        for item in leaf_hashes:
            self.append(item)

    @property
    def size(self) -> int:
        """Number of leaves."""
        return len(self._levels[0])

    def append(self, leaf_hash: bytes) -> None:
        """Append one leaf.

        Args:
            leaf_hash: The leaf hash (``leaf_hash(data)``), 32 bytes.

        Raises:
            ValueError: If ``leaf_hash`` is not exactly 32 bytes.
        """
        if not _is_hash(leaf_hash):
            raise ValueError(f"a leaf hash must be {HASH_SIZE} bytes")
        levels = self._levels
        lower = levels[0]
        lower.append(leaf_hash)
        index = len(lower) - 1
        node = leaf_hash
        level = 0
        # While the new node is a right child, its parent is now complete.
        while index & 1:
            node = _sha256(_NODE_PREFIX + lower[-2] + node).digest()
            level += 1
            if level == len(levels):
                levels.append([])
            lower = levels[level]
            lower.append(node)
            index >>= 1

    def _resolve(self, size: int | None) -> int:
        if size is None:
            return self.size
        if not 0 <= size <= self.size:
            raise ValueError(f"size {size} is not in 0..{self.size}")
        return size

    def _cover(self, lo: int, hi: int) -> list[bytes]:
        """Perfect subtrees covering ``[lo, hi)``, largest first.

        ``lo`` must be a multiple of the largest power of two not above ``hi - lo``, which
        holds for ``lo == 0`` and for every range of the RFC 9162 §2.1.1 recursion.
        """
        n = hi - lo
        levels = self._levels
        out: list[bytes] = []
        pos = lo
        for level in range(n.bit_length() - 1, -1, -1):
            if n >> level & 1:
                out.append(levels[level][pos >> level])
                pos += 1 << level
        return out

    def _range_hash(self, lo: int, hi: int) -> bytes:
        """MTH of the leaves ``[lo, hi)`` (``hi > lo``) for a range of the recursion."""
        return _fold(self._cover(lo, hi))

    def root(self, size: int | None = None) -> bytes:
        """Root of the first ``size`` leaves.

        Args:
            size: Tree size, ``0 .. self.size``; all leaves if ``None``.

        Returns:
            ``MTH(D[size])``; :data:`EMPTY_ROOT` for size 0.

        Raises:
            ValueError: If ``size`` is out of range.
        """
        n = self._resolve(size)
        if n == 0:
            return EMPTY_ROOT
        return self._range_hash(0, n)

    def leaf_hash_at(self, index: int) -> bytes:
        """Return the leaf hash at ``index``.

        Args:
            index: Position of the leaf, ``0 .. self.size - 1``.

        Returns:
            The stored leaf hash.

        Raises:
            ValueError: If ``index`` is out of range (negative indices are not allowed).
        """
        if not 0 <= index < self.size:
            raise ValueError(f"index {index} is outside a tree of size {self.size}")
        return self._levels[0][index]

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """Inclusion proof of leaf ``index`` in the tree of the first ``size`` leaves.

        Args:
            index: Position of the leaf, counted from 0.
            size: Tree size; all leaves if ``None``.

        Returns:
            ``PATH(index, D[size])`` of RFC 9162 §2.1.3.1, identical to
            :func:`inclusion_proof` over the same entries.

        Raises:
            ValueError: If ``size`` is out of range or ``index >= size``.
        """
        n = self._resolve(size)
        if not 0 <= index < n:
            raise ValueError(f"index {index} is outside a tree of size {n}")
        # Walk the PATH recursion (RFC 9162 §2.1.3.1) from the root down; the sibling of
        # each step is appended *after* the deeper part, hence the reverse at the end.
        proof: list[bytes] = []
        lo, hi = 0, n
        while hi - lo > 1:
            k = _split(hi - lo)
            if index < lo + k:
                proof.append(self._range_hash(lo + k, hi))
                hi = lo + k
            else:
                proof.append(self._range_hash(lo, lo + k))
                lo += k
        proof.reverse()
        return proof

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """Consistency proof between the first ``old_size`` and ``new_size`` leaves.

        Args:
            old_size: Size of the older tree, ``1 .. new_size``.
            new_size: Size of the newer tree; all leaves if ``None``.

        Returns:
            ``PROOF(old_size, D[new_size])`` of RFC 9162 §2.1.4.1, identical to
            :func:`consistency_proof` over the same entries. Empty if the sizes are equal.

        Raises:
            ValueError: If ``new_size`` is out of range or ``old_size`` not in
                ``1 .. new_size``.
        """
        n = self._resolve(new_size)
        if not 1 <= old_size <= n:
            raise ValueError(f"old_size {old_size} is not in 1..{n}")
        # Walk the SUBPROOF recursion (RFC 9162 §2.1.4.1) from the root down.
        proof: list[bytes] = []
        lo, hi = 0, n
        b = True
        while True:
            m = old_size - lo
            if m == hi - lo:
                if not b:
                    proof.append(self._range_hash(lo, hi))
                break
            k = _split(hi - lo)
            if m <= k:
                proof.append(self._range_hash(lo + k, hi))
                hi = lo + k
            else:
                proof.append(self._range_hash(lo, lo + k))
                lo += k
                b = False
        proof.reverse()
        return proof

    def compact_range(self, end: int) -> list[bytes]:
        """Hashes of the perfect subtrees covering the leaves ``[0, end)``.

        One hash per set bit of ``end``, left to right (largest subtree first), as in
        transparency-dev's compact ranges. Feed it to
        :func:`root_from_compact_range_and_suffix` together with the leaf hashes after
        ``end`` to recompute a root.

        Args:
            end: End of the range, ``0 .. self.size``.

        Returns:
            ``popcount(end)`` hashes; empty for ``end == 0``.

        Raises:
            ValueError: If ``end`` is out of range.
        """
        n = self._resolve(end)
        return self._cover(0, n)
