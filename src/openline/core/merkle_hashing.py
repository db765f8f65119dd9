"""Merkle tree hashing (RFC 9162 §2.1.1): leaf and node hashes, and the shared checks.

The 0x00 / 0x01 prefixes separate leaves from interior nodes, so a leaf can never be passed
off as a subtree. This module also holds the small helpers every tree form of
:mod:`openline.core.merkle` shares: the size, index, hash and proof checks, the split rule
of the recursion and the fold of a compact range into a root. It is the bottom layer of the
Merkle modules and imports none of them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

__all__ = ["EMPTY_ROOT", "HASH_SIZE", "leaf_hash", "node_hash"]

HASH_SIZE = 32
"""Length in bytes of every leaf hash, node hash and root (SHA-256)."""

_sha256 = hashlib.sha256
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

# RFC 9162 §2.1.1: MTH({}) = HASH(), the hash of the empty string.
EMPTY_ROOT: bytes = _sha256(b"").digest()
"""Root of the empty tree: SHA-256 of the empty string (RFC 9162 §2.1.1)."""


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
