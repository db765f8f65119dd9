"""The reference Merkle functions over lists (RFC 9162 §2.1.1, §2.1.3.1, §2.1.4.1).

:func:`root_hash`, :func:`inclusion_proof` and :func:`consistency_proof` follow the
recursive definitions of MTH, PATH and PROOF / SUBPROOF literally, at O(n) per call. They
are what :class:`~openline.core.merkle.MerkleTree` and
:class:`~openline.core.merkle.StoredMerkleTree` must agree with, byte for byte.
"""

from __future__ import annotations

from collections.abc import Sequence

from openline.core.merkle_hashing import EMPTY_ROOT, _check_hashes, _split, leaf_hash, node_hash

__all__ = ["consistency_proof", "inclusion_proof", "root_from_hashes", "root_hash"]


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
