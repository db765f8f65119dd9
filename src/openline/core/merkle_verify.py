"""Merkle proof verification (RFC 9162 §2.1.3.2, §2.1.4.2).

The verifiers never raise: any malformed input returns ``False``. They work on sizes and
indices up to and beyond ``2**64 - 1`` with O(log size) work, using only bit operations on
the sizes. How they decide the edges the RFCs leave open is set out in
:mod:`openline.core.merkle`.
"""

from __future__ import annotations

from collections.abc import Sequence

from openline.core.merkle_hashing import _NODE_PREFIX, _is_count, _is_hash, _is_proof, _sha256

__all__ = ["verify_consistency", "verify_inclusion"]


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
