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

Where the code lives
--------------------
This module is the import path of all of the above; import from here. The code is in one
module per part, all built on ``merkle_hashing`` (and ``merkle_stored`` on
``merkle_compact`` too):

* ``merkle_hashing``: :func:`leaf_hash`, :func:`node_hash`, :data:`EMPTY_ROOT` and the
  checks and helpers every part shares;
* ``merkle_reference``: the list-based functions;
* ``merkle_verify``: the verifiers;
* ``merkle_tree``: :class:`MerkleTree`;
* ``merkle_compact``: :data:`Coordinate`, :class:`HashReader`, compact ranges and
  :class:`Frontier`;
* ``merkle_stored``: :class:`StoredMerkleTree`.

The modules are pure: no I/O, no clock, no global state.
"""

from __future__ import annotations

from openline.core.merkle_compact import (
    Coordinate,
    Frontier,
    HashReader,
    compact_range_coordinates,
    root_from_compact_range_and_suffix,
)
from openline.core.merkle_hashing import EMPTY_ROOT, HASH_SIZE, leaf_hash, node_hash
from openline.core.merkle_reference import (
    consistency_proof,
    inclusion_proof,
    root_from_hashes,
    root_hash,
)
from openline.core.merkle_stored import StoredMerkleTree
from openline.core.merkle_tree import MerkleTree
from openline.core.merkle_verify import verify_consistency, verify_inclusion

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
