"""RFC 6962 / RFC 9162 Merkle tree hashing, proofs and proof verification (SHA-256).

The model
---------
A log is a list of entries ``D[n] = d(0), ..., d(n-1)``. Its Merkle Tree Hash (MTH) is
defined in RFC 9162 §2.1.1 (identical to RFC 6962 §2.1):

* ``MTH({}) = SHA-256()`` — the empty tree hashes the empty string (:data:`EMPTY_ROOT`);
* ``MTH({d(0)}) = SHA-256(0x00 || d(0))`` — a leaf (:func:`leaf_hash`);
* ``MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))`` for ``n > 1``, where ``k`` is
  the largest power of two smaller than ``n`` — an interior node (:func:`node_hash`).

The 0x00 / 0x01 prefixes separate leaves from interior nodes, so a leaf can never be passed
off as a subtree. Leaves may be data of any length; every hash is :data:`HASH_SIZE` bytes.

This module offers two implementations of the same definitions:

* list-based functions (:func:`root_hash`, :func:`inclusion_proof`,
  :func:`consistency_proof`) that follow the recursive definitions of RFC 9162 §2.1.3.1
  (PATH) and §2.1.4.1 (PROOF / SUBPROOF) literally. They are the reference: O(n) per call.
* :class:`MerkleTree`, an append-only tree for the node's hot path. It stores every
  complete perfect subtree (``levels[l][i]`` is MTH of leaves ``i*2^l .. (i+1)*2^l - 1``),
  so an append costs O(1) hashes amortised (O(log n) at worst) and the root or a proof for
  *any* past size costs O(log n) hashes and look-ups. Its output is byte-identical to the
  list-based functions for every size and index; the tests check this.

Verification (:func:`verify_inclusion`, :func:`verify_consistency`) implements RFC 9162
§2.1.3.2 and §2.1.4.2. The verifiers never raise: any malformed input returns ``False``.
They work on sizes and indices up to and beyond ``2**64 - 1`` with O(log size) work, using
only bit operations on the sizes. The edges the RFCs leave open are decided as follows:

* a leaf hash, root or proof element that is not exactly 32 bytes is rejected;
* an inclusion proof with ``index >= size`` (including ``size == 0``) is rejected;
* a consistency proof with ``old_size > new_size`` or ``old_size == 0`` is rejected — as in
  transparency-dev/merkle and golang.org/x/mod/sumdb/tlog. Every log starts empty and the
  empty tree is a prefix of every tree, so a proof from size 0 proves nothing; code that
  compares checkpoints must handle an empty predecessor explicitly, without a proof;
* with ``old_size == new_size`` only an empty proof and equal roots are accepted.

For logs too long to hold in memory there is a third form of the same tree:

* :class:`StoredMerkleTree` keeps only the :class:`Frontier` (the compact range of the whole
  log, ``popcount(size)`` hashes) and the nodes appended since its owner last persisted
  them. Every other node is fetched through a :class:`HashReader` (``openline.store.tree``
  reads them from the database), one batch of O(log n) :data:`Coordinate` per root or
  proof. Its output is byte-identical to :class:`MerkleTree`.

Compact ranges (:meth:`MerkleTree.compact_range`, :func:`root_from_compact_range_and_suffix`)
follow transparency-dev's ``compact`` package: the range ``[0, end)`` is covered by one
perfect subtree per set bit of ``end``, largest (leftmost) first. Given those hashes and the
leaf hashes that follow, anybody can recompute the root without the rest of the log.

The module is pure: no I/O, no clock, no global state.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Protocol, TypeAlias

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "Coordinate",
    "Frontier",
    "HashReader",
    "MerkleTree",
    "StoredMerkleTree",
    "compact_range_coordinates",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root_from_compact_range_and_suffix",
    "root_from_hashes",
    "root_hash",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
"""Length in bytes of every leaf hash, node hash and root (SHA-256)."""

_sha256 = hashlib.sha256
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

# RFC 9162 §2.1.1: MTH({}) = HASH(), the hash of the empty string.
EMPTY_ROOT: bytes = _sha256(b"").digest()
"""Root of the empty tree: SHA-256 of the empty string (RFC 9162 §2.1.1)."""


# --------------------------------------------------------------------------------------------
# Hashing (RFC 9162 §2.1.1)
# --------------------------------------------------------------------------------------------


def leaf_hash(data: bytes) -> bytes:
    """Hash one log entry as a leaf.

    Args:
        data: The entry, of any length.

    Returns:
        ``SHA-256(0x00 || data)`` (RFC 9162 §2.1.1, ``MTH({d(0)})``).
    """
    return _sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash two subtree hashes into their parent.

    The inputs are concatenated as given; their length is not checked here, so that the
    function also reproduces known-answer tests that hash short strings.

    Args:
        left: Hash of the left subtree.
        right: Hash of the right subtree.

    Returns:
        ``SHA-256(0x01 || left || right)`` (RFC 9162 §2.1.1).
    """
    return _sha256(_NODE_PREFIX + left + right).digest()


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _is_count(value: object) -> bool:
    # bool is an int subclass; a flag is never a size or an index.
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_proof(value: object, max_len: int) -> bool:
    if not isinstance(value, Sequence) or isinstance(value, bytes | bytearray | str):
        return False
    return len(value) <= max_len and all(_is_hash(item) for item in value)


def _check_hashes(hashes: Sequence[bytes], what: str) -> None:
    for i, item in enumerate(hashes):
        if not _is_hash(item):
            raise ValueError(f"{what}[{i}] is not a {HASH_SIZE}-byte hash")


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n >= 2``), RFC 9162 §2.1.1."""
    return 1 << ((n - 1).bit_length() - 1)


def _fold(hashes: Sequence[bytes]) -> bytes:
    """Combine the perfect subtrees of a compact range, largest first, into one root.

    The split rule of RFC 9162 §2.1.1 puts the largest perfect subtree on the left and
    everything else on the right, so the root is the right fold of the list.
    """
    acc = hashes[-1]
    for i in range(len(hashes) - 2, -1, -1):
        acc = _sha256(_NODE_PREFIX + hashes[i] + acc).digest()
    return acc


# --------------------------------------------------------------------------------------------
# Reference implementation over lists (RFC 9162 §2.1.1, §2.1.3.1, §2.1.4.1)
# --------------------------------------------------------------------------------------------


def _mth(hashes: Sequence[bytes], lo: int, hi: int) -> bytes:
    """MTH of the leaf hashes ``hashes[lo:hi]`` (``hi > lo``), RFC 9162 §2.1.1."""
    n = hi - lo
    if n == 1:
        return hashes[lo]
    k = _split(n)
    return node_hash(_mth(hashes, lo, lo + k), _mth(hashes, lo + k, hi))


def _path(hashes: Sequence[bytes], m: int, lo: int, hi: int) -> list[bytes]:
    """PATH(m, D[lo:hi]) of RFC 9162 §2.1.3.1, with ``m`` relative to ``lo``."""
    n = hi - lo
    if n == 1:
        # PATH(0, {d(0)}) = {}
        return []
    k = _split(n)
    if m < k:
        # PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])
        return [*_path(hashes, m, lo, lo + k), _mth(hashes, lo + k, hi)]
    # PATH(m, D[n]) = PATH(m - k, D[k:n]) : MTH(D[0:k])
    return [*_path(hashes, m - k, lo + k, hi), _mth(hashes, lo, lo + k)]


def _subproof(hashes: Sequence[bytes], m: int, lo: int, hi: int, b: bool) -> list[bytes]:
    """SUBPROOF(m, D[lo:hi], b) of RFC 9162 §2.1.4.1, with ``m`` relative to ``lo``."""
    n = hi - lo
    if m == n:
        # SUBPROOF(m, D[m], true) = {}; SUBPROOF(m, D[m], false) = {MTH(D[m])}
        return [] if b else [_mth(hashes, lo, hi)]
    k = _split(n)
    if m <= k:
        # SUBPROOF(m, D[n], b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
        return [*_subproof(hashes, m, lo, lo + k, b), _mth(hashes, lo + k, hi)]
    # SUBPROOF(m, D[n], b) = SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
    return [*_subproof(hashes, m - k, lo + k, hi, False), _mth(hashes, lo, lo + k)]


def root_hash(leaves: Sequence[bytes]) -> bytes:
    """Compute the Merkle Tree Hash of a list of entries.

    Args:
        leaves: The entries (leaf *data*, not leaf hashes), in log order.

    Returns:
        ``MTH(D[n])`` as defined in RFC 9162 §2.1.1; :data:`EMPTY_ROOT` for no entries.
    """
    return root_from_hashes([leaf_hash(d) for d in leaves])


def root_from_hashes(leaf_hashes: Sequence[bytes]) -> bytes:
    """Compute the Merkle Tree Hash from the leaf hashes.

    Args:
        leaf_hashes: The leaf hashes (``leaf_hash(d(i))``), in log order.

    Returns:
        The root, as :func:`root_hash` would return for the corresponding entries.

    Raises:
        ValueError: If a leaf hash is not exactly 32 bytes.
    """
    _check_hashes(leaf_hashes, "leaf_hashes")
    if not leaf_hashes:
        return EMPTY_ROOT
    return _mth(leaf_hashes, 0, len(leaf_hashes))


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """Build the inclusion proof (audit path) of one entry.

    Args:
        leaves: All entries of the tree (leaf data), in log order.
        index: Position of the entry, counted from 0.

    Returns:
        ``PATH(index, D[n])`` of RFC 9162 §2.1.3.1, from the leaf's sibling up to the root's
        child, for ``n = len(leaves)``.

    Raises:
        ValueError: If ``index`` is not in ``0 .. len(leaves) - 1``.
    """
    if not 0 <= index < len(leaves):
        raise ValueError(f"index {index} is outside a tree of size {len(leaves)}")
    hashes = [leaf_hash(d) for d in leaves]
    return _path(hashes, index, 0, len(hashes))


def consistency_proof(leaves: Sequence[bytes], old_size: int) -> list[bytes]:
    """Build the consistency proof between a prefix of the log and the whole log.

    Args:
        leaves: All entries of the newer tree (leaf data), in log order.
        old_size: Size of the older tree, a prefix of ``leaves``.

    Returns:
        ``PROOF(old_size, D[n]) = SUBPROOF(old_size, D[n], true)`` of RFC 9162 §2.1.4.1, for
        ``n = len(leaves)``. Empty if ``old_size == n``.

    Raises:
        ValueError: If ``old_size`` is not in ``1 .. len(leaves)``.
    """
    if not 1 <= old_size <= len(leaves):
        raise ValueError(f"old_size {old_size} is not in 1..{len(leaves)}")
    hashes = [leaf_hash(d) for d in leaves]
    return _subproof(hashes, old_size, 0, len(hashes), True)


# --------------------------------------------------------------------------------------------
# Verification (RFC 9162 §2.1.3.2, §2.1.4.2)
# --------------------------------------------------------------------------------------------


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Check that a leaf is at ``index`` in the tree of ``size`` leaves with head ``root``.

    Args:
        leaf_hash: Hash of the entry (``leaf_hash(data)``), 32 bytes.
        index: Position of the entry, counted from 0.
        size: Size of the tree.
        proof: The inclusion proof, from the leaf's sibling upwards.
        root: The tree head to check against, 32 bytes.

    Returns:
        ``True`` only if the proof is valid per RFC 9162 §2.1.3.2. Malformed input (hashes
        that are not 32 bytes, ``index >= size``, negative numbers, a proof longer than any
        proof for ``size``) gives ``False``; this function never raises.
    """
    if not (_is_hash(leaf_hash) and _is_hash(root) and _is_count(index) and _is_count(size)):
        return False
    # RFC 9162 §2.1.3.2 step 1: leaf_index must be below tree_size (this also rejects size 0).
    if index >= size:
        return False
    # A proof for `size` has at most ceil(log2(size)) elements; refuse longer ones before
    # looking at their elements. The loop below would reject them too.
    if not _is_proof(proof, size.bit_length()):
        return False
    # Step 2: fn = leaf_index, sn = tree_size - 1.  Step 3: r = hash.
    fn = index
    sn = size - 1
    r = leaf_hash
    # Step 4: for each value p in the inclusion_path array:
    for p in proof:
        # 4a. If sn is 0, then stop the iteration and fail the proof verification.
        if sn == 0:
            return False
        # 4b. If LSB(fn) is set, or if fn is equal to sn, then:
        if fn & 1 or fn == sn:
            # 4b.i. Set r to HASH(0x01 || p || r).
            r = _sha256(_NODE_PREFIX + p + r).digest()
            # 4b.ii. If LSB(fn) is not set, then right-shift both fn and sn equally until
            # either LSB(fn) is set or fn is 0.
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            # 4b (otherwise). Set r to HASH(0x01 || r || p).
            r = _sha256(_NODE_PREFIX + r + p).digest()
        # 4c. Finally, right-shift both fn and sn one time.
        fn >>= 1
        sn >>= 1
    # Step 5: compare r against root_hash; if sn is 0 and they are equal, the proof is valid.
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Check that the tree of ``old_size`` leaves is a prefix of the tree of ``new_size``.

    Args:
        old_size: Size of the older tree (``first`` in RFC 9162).
        new_size: Size of the newer tree (``second``).
        old_root: Head of the older tree, 32 bytes.
        new_root: Head of the newer tree, 32 bytes.
        proof: The consistency proof.

    Returns:
        ``True`` only if the proof is valid. For ``0 < old_size < new_size`` this is RFC 9162
        §2.1.4.2 (an empty proof fails). ``old_size == new_size`` accepts only an empty proof
        and equal roots. ``old_size == 0`` is always rejected (a proof from the empty tree
        proves nothing; callers handle an empty predecessor explicitly), as is
        ``old_size > new_size``. Malformed input gives ``False``; this function never raises.
    """
    if not (
        _is_count(old_size) and _is_count(new_size) and _is_hash(old_root) and _is_hash(new_root)
    ):
        return False
    if old_size == 0 or old_size > new_size:
        return False
    # A proof for (m, n) has at most ceil(log2(n)) + 1 elements; the loop would reject more.
    if not _is_proof(proof, new_size.bit_length() + 1):
        return False
    if old_size == new_size:
        return len(proof) == 0 and old_root == new_root
    # RFC 9162 §2.1.4.2 step 1: if consistency_path is an empty array, fail.
    if len(proof) == 0:
        return False
    path = list(proof)
    # Step 2: if first is an exact power of 2, prepend first_hash to consistency_path.
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    # Step 3: fn = first - 1, sn = second - 1.
    fn = old_size - 1
    sn = new_size - 1
    # Step 4: if LSB(fn) is set, right-shift both fn and sn equally until LSB(fn) is not set.
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # Step 5: fr = sr = consistency_path[0].
    fr = sr = path[0]
    # Step 6: for each subsequent value c in the consistency_path array:
    for c in path[1:]:
        # 6a. If sn is 0, then stop the iteration and fail the proof verification.
        if sn == 0:
            return False
        # 6b. If LSB(fn) is set, or if fn is equal to sn, then:
        if fn & 1 or fn == sn:
            # 6b.i. Set fr to HASH(0x01 || c || fr); set sr to HASH(0x01 || c || sr).
            fr = _sha256(_NODE_PREFIX + c + fr).digest()
            sr = _sha256(_NODE_PREFIX + c + sr).digest()
            # 6b.ii. If LSB(fn) is not set, then right-shift both fn and sn equally until
            # either LSB(fn) is set or fn is 0.
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            # 6b (otherwise). Set sr to HASH(0x01 || sr || c).
            sr = _sha256(_NODE_PREFIX + sr + c).digest()
        # 6c. Finally, right-shift both fn and sn one time.
        fn >>= 1
        sn >>= 1
    # Step 7: fr == first_hash, sr == second_hash and sn == 0.
    return sn == 0 and fr == old_root and sr == new_root


# --------------------------------------------------------------------------------------------
# Incremental tree
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Stored tree: the frontier in memory, every other node fetched in batches
# --------------------------------------------------------------------------------------------

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
