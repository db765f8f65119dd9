"""Tests for openline.core.merkle: known-answer vectors, edge rules and properties."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openline.core.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    MerkleTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_compact_range_and_suffix,
    root_from_hashes,
    root_hash,
    verify_consistency,
    verify_inclusion,
)

VECTORS_PATH = Path(__file__).parent.parent / "vectors" / "rfc6962.json"
VECTORS: dict[str, Any] = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
TREES: dict[str, dict[str, Any]] = {tree["id"]: tree for tree in VECTORS["trees"]}
POLICY_DEPENDENT: list[dict[str, Any]] = VECTORS["policy_dependent"]["consistency"]


def unhex(value: str) -> bytes:
    return bytes.fromhex(value)


def unhex_all(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(value) for value in values]


def params(records: list[dict[str, Any]]) -> list[Any]:
    return [pytest.param(record, id=record["id"]) for record in records]


def tree_leaves(tree_id: str) -> list[bytes]:
    return unhex_all(TREES[tree_id]["leaves"])


def flip(value: bytes, bit: int = 0) -> bytes:
    """Return ``value`` with one bit of its first byte inverted."""
    return bytes([value[0] ^ (1 << bit)]) + value[1:]


VALID_INCLUSION_WITH_TREE = [r for r in VECTORS["inclusion"] if r["valid"] and "tree" in r]
VALID_CONSISTENCY_WITH_TREE = [r for r in VECTORS["consistency"] if r["valid"] and "tree" in r]


# --------------------------------------------------------------------------------------------
# The vector file itself
# --------------------------------------------------------------------------------------------


def test_vector_file_is_complete() -> None:
    assert VECTORS["format"] == "openline-vectors/rfc6962/1"
    assert len(VECTORS["hasher"]) == 5
    assert sorted(TREES) == ["cctv-16", "tdev-8"]
    assert len(VECTORS["inclusion"]) == 71
    assert sum(r["valid"] for r in VECTORS["inclusion"]) == 7
    assert len(VECTORS["consistency"]) == 77
    assert sum(r["valid"] for r in VECTORS["consistency"]) == 5
    assert len(POLICY_DEPENDENT) == 3
    ids = [
        r["id"]
        for section in (VECTORS["hasher"], VECTORS["inclusion"], VECTORS["consistency"])
        for r in section
    ]
    assert len(ids) == len(set(ids))
    assert len(VALID_INCLUSION_WITH_TREE) == 6
    assert len(VALID_CONSISTENCY_WITH_TREE) == 5


# --------------------------------------------------------------------------------------------
# Checks 1: hasher records and trees
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("record", params(VECTORS["hasher"]))
def test_hasher(record: dict[str, Any]) -> None:
    expected = unhex(record["hash"])
    if record["kind"] == "empty":
        assert expected == EMPTY_ROOT
        assert root_hash([]) == EMPTY_ROOT
        assert root_from_hashes([]) == EMPTY_ROOT
        assert MerkleTree().root() == EMPTY_ROOT
    elif record["kind"] == "leaf":
        assert leaf_hash(unhex(record["input"])) == expected
    else:
        assert record["kind"] == "node"
        assert node_hash(unhex(record["left"]), unhex(record["right"])) == expected


@pytest.mark.parametrize("tree_id", sorted(TREES))
def test_tree_leaf_hashes(tree_id: str) -> None:
    tree = TREES[tree_id]
    leaves = tree_leaves(tree_id)
    assert [leaf_hash(leaf) for leaf in leaves] == unhex_all(tree["leaf_hashes"])
    merkle = MerkleTree(unhex_all(tree["leaf_hashes"]))
    assert merkle.size == len(leaves)
    for i, expected in enumerate(unhex_all(tree["leaf_hashes"])):
        assert merkle.leaf_hash_at(i) == expected


@pytest.mark.parametrize("tree_id", sorted(TREES))
def test_tree_roots(tree_id: str) -> None:
    tree = TREES[tree_id]
    leaves = tree_leaves(tree_id)
    hashes = unhex_all(tree["leaf_hashes"])
    merkle = MerkleTree(hashes)
    assert tree["roots"]
    for entry in tree["roots"]:
        size, expected = entry["size"], unhex(entry["root"])
        assert root_hash(leaves[:size]) == expected
        assert root_from_hashes(hashes[:size]) == expected
        assert merkle.root(size) == expected
        assert MerkleTree(hashes[:size]).root() == expected


def test_tree_node_hashes() -> None:
    tree = TREES["tdev-8"]
    leaves = tree_leaves("tdev-8")
    hashes = unhex_all(tree["leaf_hashes"])
    checked = 0
    for level, row in enumerate(tree["node_hashes"]):
        width = 1 << level
        assert len(row) == len(leaves) // width
        for i, expected in enumerate(unhex_all(row)):
            assert root_hash(leaves[i * width : (i + 1) * width]) == expected
            assert MerkleTree(hashes[i * width : (i + 1) * width]).root() == expected
            checked += 1
    assert checked == 15
    # The top of the compact range of [0, 2^l) is node_hashes[l][0].
    merkle = MerkleTree(hashes)
    for level, row in enumerate(tree["node_hashes"]):
        assert merkle.compact_range(1 << level) == [unhex(row[0])]


# --------------------------------------------------------------------------------------------
# Checks 2: every inclusion and consistency record
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("record", params(VECTORS["inclusion"]))
def test_inclusion_vector(record: dict[str, Any]) -> None:
    verdict = verify_inclusion(
        unhex(record["leaf_hash"]),
        record["leaf_index"],
        record["tree_size"],
        unhex_all(record["proof"]),
        unhex(record["root"]),
    )
    assert verdict is record["valid"]


@pytest.mark.parametrize("record", params(VECTORS["consistency"]))
def test_consistency_vector(record: dict[str, Any]) -> None:
    verdict = verify_consistency(
        record["first_size"],
        record["second_size"],
        unhex(record["first_root"]),
        unhex(record["second_root"]),
        unhex_all(record["proof"]),
    )
    assert verdict is record["valid"]


# --------------------------------------------------------------------------------------------
# Checks 3: the provers reproduce the valid proofs exactly
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("record", params(VALID_INCLUSION_WITH_TREE))
def test_inclusion_prover_vector(record: dict[str, Any]) -> None:
    leaves = tree_leaves(record["tree"])
    size, index = record["tree_size"], record["leaf_index"]
    expected = unhex_all(record["proof"])
    assert leaf_hash(leaves[index]) == unhex(record["leaf_hash"])
    assert root_hash(leaves[:size]) == unhex(record["root"])
    assert inclusion_proof(leaves[:size], index) == expected
    merkle = MerkleTree(leaf_hash(leaf) for leaf in leaves)
    assert merkle.inclusion_proof(index, size) == expected
    assert MerkleTree(merkle.leaf_hash_at(i) for i in range(size)).inclusion_proof(index) == (
        expected
    )


@pytest.mark.parametrize("record", params(VALID_CONSISTENCY_WITH_TREE))
def test_consistency_prover_vector(record: dict[str, Any]) -> None:
    leaves = tree_leaves(record["tree"])
    old, new = record["first_size"], record["second_size"]
    expected = unhex_all(record["proof"])
    assert root_hash(leaves[:old]) == unhex(record["first_root"])
    assert root_hash(leaves[:new]) == unhex(record["second_root"])
    assert consistency_proof(leaves[:new], old) == expected
    merkle = MerkleTree(leaf_hash(leaf) for leaf in leaves)
    assert merkle.consistency_proof(old, new) == expected
    assert MerkleTree(merkle.leaf_hash_at(i) for i in range(new)).consistency_proof(old) == (
        expected
    )


# --------------------------------------------------------------------------------------------
# Policy-dependent records: the project's verdict, documented
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("record", params(POLICY_DEPENDENT))
def test_policy_dependent_consistency(record: dict[str, Any]) -> None:
    """Upstream accepts each of these; openline rejects each, for a stated reason.

    * ``first_size == 0``: a consistency check from the empty tree is rejected (the rule of
      transparency-dev/merkle and x/mod tlog). The empty tree is a prefix of every tree, so
      such a proof carries no information; checkpoint comparison treats an empty
      predecessor explicitly instead of asking the verifier.
    * a root that is not 32 bytes is rejected even when both roots are equal.
    """
    first_root, second_root = unhex(record["first_root"]), unhex(record["second_root"])
    assert record["valid"] is True  # the upstream verdict differs from ours
    ours = verify_consistency(
        record["first_size"],
        record["second_size"],
        first_root,
        second_root,
        unhex_all(record["proof"]),
    )
    assert ours is False
    if record["first_size"] == 0:
        assert record["source_convention"] == {"empty_first": "accept"}
        assert first_root == EMPTY_ROOT
    else:
        assert record["source_convention"] == {"hash_size": None}
        assert len(first_root) != HASH_SIZE
        assert len(first_root) == 12
        assert first_root == second_root
        # The same case with 32-byte roots is accepted: only the length rule rejects it.
        padded = first_root.ljust(HASH_SIZE, b"\x00")
        sizes = (record["first_size"], record["second_size"])
        assert verify_consistency(*sizes, padded, padded, []) is True


def test_consistency_from_size_zero_is_always_rejected() -> None:
    one = MerkleTree([leaf_hash(b"a")])
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, []) is False
    assert verify_consistency(0, 1, EMPTY_ROOT, one.root(), []) is False
    assert verify_consistency(0, 1, EMPTY_ROOT, one.root(), [one.root()]) is False
    with pytest.raises(ValueError, match="old_size"):
        one.consistency_proof(0)
    with pytest.raises(ValueError, match="old_size"):
        consistency_proof([b"a"], 0)


# --------------------------------------------------------------------------------------------
# Edge rules and errors
# --------------------------------------------------------------------------------------------


def test_provers_reject_out_of_range_arguments() -> None:
    leaves = [b"a", b"b", b"c"]
    for index in (-1, 3, 4):
        with pytest.raises(ValueError, match="index"):
            inclusion_proof(leaves, index)
    with pytest.raises(ValueError, match="index"):
        inclusion_proof([], 0)
    for old_size in (-1, 0, 4):
        with pytest.raises(ValueError, match="old_size"):
            consistency_proof(leaves, old_size)
    assert consistency_proof(leaves, 3) == []


def test_merkle_tree_rejects_out_of_range_arguments() -> None:
    tree = MerkleTree(leaf_hash(bytes([i])) for i in range(5))
    for bad in (b"", b"\x00" * 31, b"\x00" * 33):
        with pytest.raises(ValueError, match="32 bytes"):
            tree.append(bad)
    with pytest.raises(ValueError, match="32 bytes"):
        MerkleTree([b"short"])
    assert tree.size == 5
    for size in (-1, 6):
        with pytest.raises(ValueError, match="size"):
            tree.root(size)
        with pytest.raises(ValueError, match="size"):
            tree.compact_range(size)
        with pytest.raises(ValueError, match="size"):
            tree.inclusion_proof(0, size)
        with pytest.raises(ValueError, match="size"):
            tree.consistency_proof(1, size)
    for index in (-1, 5):
        with pytest.raises(ValueError, match="index"):
            tree.leaf_hash_at(index)
        with pytest.raises(ValueError, match="index"):
            tree.inclusion_proof(index)
    with pytest.raises(ValueError, match="index"):
        tree.inclusion_proof(3, 3)
    with pytest.raises(ValueError, match="old_size"):
        tree.consistency_proof(4, 3)
    assert tree.consistency_proof(3, 3) == []
    assert tree.root(0) == EMPTY_ROOT
    assert tree.compact_range(0) == []


def test_root_from_hashes_rejects_bad_hashes() -> None:
    with pytest.raises(ValueError, match="32-byte"):
        root_from_hashes([leaf_hash(b"a"), b"\x00" * 31])


def test_compact_range_suffix_rejects_bad_input() -> None:
    tree = MerkleTree(leaf_hash(bytes([i])) for i in range(6))
    prefix = tree.compact_range(6)
    assert len(prefix) == 2
    with pytest.raises(ValueError, match="compact range"):
        root_from_compact_range_and_suffix(prefix[:1], 6, [])
    with pytest.raises(ValueError, match="compact range"):
        root_from_compact_range_and_suffix(prefix, 7, [])
    with pytest.raises(ValueError, match="negative"):
        root_from_compact_range_and_suffix([], -1, [])
    with pytest.raises(ValueError, match="prefix"):
        root_from_compact_range_and_suffix([prefix[0], b"\x00" * 31], 6, [])
    with pytest.raises(ValueError, match="suffix"):
        root_from_compact_range_and_suffix(prefix, 6, [b"\x00" * 33])
    assert root_from_compact_range_and_suffix([], 0, []) == EMPTY_ROOT
    assert root_from_compact_range_and_suffix(prefix, 6, []) == tree.root()


GOOD = leaf_hash(b"x")
BAD_INCLUSION: list[Any] = [
    pytest.param((GOOD, 0, 1, [], GOOD), True, id="control-valid"),
    pytest.param((GOOD, -1, 1, [], GOOD), False, id="negative-index"),
    pytest.param((GOOD, 0, -1, [], GOOD), False, id="negative-size"),
    pytest.param((GOOD, 0, 0, [], GOOD), False, id="size-zero"),
    pytest.param((GOOD, False, True, [], GOOD), False, id="bools"),
    pytest.param((GOOD, 0, 1, [], GOOD[:31]), False, id="short-root"),
    pytest.param((GOOD + b"\x00", 0, 1, [], GOOD + b"\x00"), False, id="long-leaf-and-root"),
    pytest.param((GOOD.hex(), 0, 1, [], GOOD.hex()), False, id="hex-strings"),
    pytest.param((None, 0, 1, [], None), False, id="none"),
    pytest.param((GOOD, 0, 2, GOOD, GOOD), False, id="proof-is-bytes"),
    pytest.param((GOOD, 0, 2, None, GOOD), False, id="proof-is-none"),
    pytest.param((GOOD, 0, 2, [GOOD[:16]], GOOD), False, id="short-proof-element"),
    pytest.param((GOOD, 0, 2, [GOOD, GOOD, GOOD], GOOD), False, id="proof-too-long"),
    pytest.param((GOOD, 0, 1.0, [], GOOD), False, id="float-size"),
]


@pytest.mark.parametrize(("args", "expected"), BAD_INCLUSION)
def test_verify_inclusion_never_raises(args: tuple[Any, ...], expected: bool) -> None:
    assert verify_inclusion(*args) is expected


BAD_CONSISTENCY: list[Any] = [
    pytest.param((1, 1, GOOD, GOOD, []), True, id="control-valid"),
    pytest.param((-1, 1, GOOD, GOOD, []), False, id="negative-old-size"),
    pytest.param((1, -1, GOOD, GOOD, []), False, id="negative-new-size"),
    pytest.param((2, 1, GOOD, GOOD, []), False, id="old-size-above-new-size"),
    pytest.param((True, True, GOOD, GOOD, []), False, id="bools"),
    pytest.param((1, 1, GOOD, GOOD, [GOOD]), False, id="equal-sizes-non-empty-proof"),
    pytest.param((1, 1, GOOD, flip(GOOD), []), False, id="equal-sizes-different-roots"),
    pytest.param((1, 2, GOOD, GOOD, []), False, id="empty-proof"),
    pytest.param((1, 2, GOOD, GOOD, None), False, id="proof-is-none"),
    pytest.param((1, 2, GOOD, GOOD, GOOD), False, id="proof-is-bytes"),
    pytest.param((1, 2, GOOD, GOOD, [GOOD[:1]]), False, id="short-proof-element"),
    pytest.param((1, 2, GOOD, GOOD, [GOOD] * 4), False, id="proof-too-long"),
    pytest.param((1, 1, GOOD.hex(), GOOD.hex(), []), False, id="hex-strings"),
    pytest.param((1, 1, None, None, []), False, id="none"),
]


@pytest.mark.parametrize(("args", "expected"), BAD_CONSISTENCY)
def test_verify_consistency_never_raises(args: tuple[Any, ...], expected: bool) -> None:
    assert verify_consistency(*args) is expected


# --------------------------------------------------------------------------------------------
# Sizes up to 2^64 - 1, built from a tree whose leaves are all equal
# --------------------------------------------------------------------------------------------
#
# When every leaf is the same, MTH(D[a:b]) depends only on b - a, so the RFC 6962 recursions
# need O(log^2 n) distinct sub-results even for n = 2^64 - 1. These helpers follow the RFC
# definitions independently of the module under test (apart from node_hash).

UNIFORM_LEAF = leaf_hash(b"uniform")


@cache
def uniform_mth(n: int) -> bytes:
    if n == 1:
        return UNIFORM_LEAF
    k = 1 << ((n - 1).bit_length() - 1)
    return node_hash(uniform_mth(k), uniform_mth(n - k))


def uniform_path(m: int, n: int) -> list[bytes]:
    if n == 1:
        return []
    k = 1 << ((n - 1).bit_length() - 1)
    if m < k:
        return [*uniform_path(m, k), uniform_mth(n - k)]
    return [*uniform_path(m - k, n - k), uniform_mth(k)]


def uniform_subproof(m: int, n: int, b: bool) -> list[bytes]:
    if m == n:
        return [] if b else [uniform_mth(n)]
    k = 1 << ((n - 1).bit_length() - 1)
    if m <= k:
        return [*uniform_subproof(m, k, b), uniform_mth(n - k)]
    return [*uniform_subproof(m - k, n - k, False), uniform_mth(k)]


def test_uniform_helpers_agree_with_module() -> None:
    for n in range(1, 20):
        tree = MerkleTree([UNIFORM_LEAF] * n)
        assert uniform_mth(n) == tree.root()
        for m in range(n):
            assert uniform_path(m, n) == tree.inclusion_proof(m)
        for m in range(1, n + 1):
            assert uniform_subproof(m, n, True) == tree.consistency_proof(m)


HUGE = 2**64 - 1


@pytest.mark.parametrize(
    ("index", "size"),
    [(HUGE - 1, HUGE), (0, HUGE), (2**63, HUGE), (12345, 2**63 + 1), (2**64 - 2, 2**64)],
)
def test_verify_inclusion_huge_sizes(index: int, size: int) -> None:
    proof = uniform_path(index, size)
    root = uniform_mth(size)
    assert len(proof) <= 64
    assert verify_inclusion(UNIFORM_LEAF, index, size, proof, root) is True
    assert verify_inclusion(UNIFORM_LEAF, index, size, proof, flip(root)) is False
    assert verify_inclusion(UNIFORM_LEAF, index, size, proof[:-1], root) is False
    assert verify_inclusion(UNIFORM_LEAF, index, size, [*proof, root], root) is False
    assert verify_inclusion(UNIFORM_LEAF, size, size, proof, root) is False


@pytest.mark.parametrize(
    ("old", "new"),
    [(1, HUGE), (HUGE - 1, HUGE), (2**63, HUGE), (2**63 + 3, HUGE), (7, 2**40 + 5)],
)
def test_verify_consistency_huge_sizes(old: int, new: int) -> None:
    proof = uniform_subproof(old, new, True)
    old_root, new_root = uniform_mth(old), uniform_mth(new)
    assert len(proof) <= 65
    assert verify_consistency(old, new, old_root, new_root, proof) is True
    assert verify_consistency(old, new, old_root, flip(new_root), proof) is False
    assert verify_consistency(old, new, flip(old_root), new_root, proof) is False
    assert verify_consistency(old, new, old_root, new_root, proof[:-1]) is False
    assert verify_consistency(old, new, old_root, new_root, [*proof, new_root]) is False
    assert verify_consistency(new, old, new_root, old_root, proof) is False


# --------------------------------------------------------------------------------------------
# Exhaustive agreement on small trees
# --------------------------------------------------------------------------------------------


def test_merkle_tree_matches_reference_exhaustively() -> None:
    leaves = [f"leaf {i}".encode() for i in range(40)]
    hashes = [leaf_hash(leaf) for leaf in leaves]
    tree = MerkleTree()
    for n in range(len(leaves) + 1):
        assert tree.size == n
        assert tree.root() == root_hash(leaves[:n])
        for index in range(n):
            proof = inclusion_proof(leaves[:n], index)
            assert tree.inclusion_proof(index) == proof
            assert verify_inclusion(hashes[index], index, n, proof, tree.root()) is True
        for old in range(1, n + 1):
            proof = consistency_proof(leaves[:n], old)
            assert tree.consistency_proof(old) == proof
            assert verify_consistency(old, n, tree.root(old), tree.root(), proof) is True
        if n < len(leaves):
            tree.append(hashes[n])
    full = MerkleTree(hashes)
    for n in range(len(leaves) + 1):
        assert full.root(n) == tree.root(n)


# --------------------------------------------------------------------------------------------
# Properties (Hypothesis)
# --------------------------------------------------------------------------------------------

# Distinct leaves: with repeated leaves, some altered proofs are legitimately still valid
# (e.g. two equal neighbours make index i and i ^ 1 indistinguishable).
LEAF_LISTS = st.lists(st.binary(max_size=12), unique=True, max_size=70)
NON_EMPTY_LEAF_LISTS = st.lists(st.binary(max_size=12), unique=True, min_size=1, max_size=70)
PROPERTY_SETTINGS = settings(max_examples=50, deadline=None)


@PROPERTY_SETTINGS
@given(leaves=LEAF_LISTS)
def test_property_roots_match_reference(leaves: list[bytes]) -> None:
    hashes = [leaf_hash(leaf) for leaf in leaves]
    tree = MerkleTree(hashes)
    incremental = MerkleTree()
    for item in hashes:
        incremental.append(item)
    assert tree.size == incremental.size == len(leaves)
    for size in range(len(leaves) + 1):
        expected = root_hash(leaves[:size])
        assert root_from_hashes(hashes[:size]) == expected
        assert tree.root(size) == expected
        assert incremental.root(size) == expected
    assert tree.root() == root_hash(leaves)
    for index, item in enumerate(hashes):
        assert tree.leaf_hash_at(index) == item


@PROPERTY_SETTINGS
@given(leaves=NON_EMPTY_LEAF_LISTS, data=st.data())
def test_property_inclusion(leaves: list[bytes], data: st.DataObject) -> None:
    hashes = [leaf_hash(leaf) for leaf in leaves]
    tree = MerkleTree(hashes)
    size = data.draw(st.integers(min_value=1, max_value=len(leaves)), label="size")
    root = tree.root(size)
    for index in range(size):
        proof = tree.inclusion_proof(index, size)
        assert proof == inclusion_proof(leaves[:size], index)
        leaf = hashes[index]
        assert verify_inclusion(leaf, index, size, proof, root) is True
        # Altered proof: each element with a bit flipped, one element fewer, one more.
        for i in range(len(proof)):
            altered = [*proof[:i], flip(proof[i], i % 8), *proof[i + 1 :]]
            assert verify_inclusion(leaf, index, size, altered, root) is False
        if proof:
            assert verify_inclusion(leaf, index, size, proof[:-1], root) is False
            assert verify_inclusion(leaf, index, size, proof[1:], root) is False
        assert verify_inclusion(leaf, index, size, [*proof, root], root) is False
        assert verify_inclusion(leaf, index, size, [root, *proof], root) is False
        # Altered index.
        for other in {index - 1, index + 1, index ^ 1, size, -1}:
            if other != index:
                assert verify_inclusion(leaf, other, size, proof, root) is False
        # Altered root or leaf.
        assert verify_inclusion(leaf, index, size, proof, flip(root)) is False
        assert verify_inclusion(flip(leaf), index, size, proof, root) is False
        assert verify_inclusion(leaf, index, size, proof, root[:31]) is False


@PROPERTY_SETTINGS
@given(leaves=NON_EMPTY_LEAF_LISTS, data=st.data())
def test_property_consistency(leaves: list[bytes], data: st.DataObject) -> None:
    hashes = [leaf_hash(leaf) for leaf in leaves]
    tree = MerkleTree(hashes)
    n = len(leaves)
    new_root = tree.root()
    for m in range(1, n + 1):
        proof = tree.consistency_proof(m)
        assert proof == consistency_proof(leaves, m)
        old_root = tree.root(m)
        assert verify_consistency(m, n, old_root, new_root, proof) is True
        # Altered proof.
        for i in range(len(proof)):
            altered = [*proof[:i], flip(proof[i], i % 8), *proof[i + 1 :]]
            assert verify_consistency(m, n, old_root, new_root, altered) is False
        if proof:
            assert verify_consistency(m, n, old_root, new_root, proof[:-1]) is False
            assert verify_consistency(m, n, old_root, new_root, proof[1:]) is False
        assert verify_consistency(m, n, old_root, new_root, [*proof, new_root]) is False
        assert verify_consistency(m, n, old_root, new_root, [old_root, *proof]) is False
        # Altered roots.
        assert verify_consistency(m, n, flip(old_root), new_root, proof) is False
        assert verify_consistency(m, n, old_root, flip(new_root), proof) is False
        if m != n:
            assert verify_consistency(m, n, new_root, old_root, proof) is False
        # Altered old size (the new size is bound by the signed checkpoint, not the proof:
        # some other new sizes do verify, exactly as with inclusion proofs).
        for other in {m - 1, m + 1, 0}:
            if other != m:
                assert verify_consistency(other, n, old_root, new_root, proof) is False
    # Past sizes: the tree and the reference prover agree for every old size.
    new = data.draw(st.integers(min_value=1, max_value=n), label="new_size")
    for m in range(1, new + 1):
        assert tree.consistency_proof(m, new) == consistency_proof(leaves[:new], m)


@PROPERTY_SETTINGS
@given(leaves=LEAF_LISTS, data=st.data())
def test_property_compact_range(leaves: list[bytes], data: st.DataObject) -> None:
    hashes = [leaf_hash(leaf) for leaf in leaves]
    tree = MerkleTree(hashes)
    n = len(hashes)
    for end in range(n + 1):
        prefix = tree.compact_range(end)
        assert len(prefix) == end.bit_count()
        # Each element is the root of a perfect subtree, largest first, left to right.
        start = 0
        for level in range(end.bit_length() - 1, -1, -1):
            if end >> level & 1:
                width = 1 << level
                assert prefix.pop(0) == root_from_hashes(hashes[start : start + width])
                start += width
        assert prefix == []
        prefix = tree.compact_range(end)
        assert root_from_compact_range_and_suffix(prefix, end, hashes[end:]) == tree.root()
        stop = data.draw(st.integers(min_value=end, max_value=n), label=f"stop after {end}")
        assert root_from_compact_range_and_suffix(prefix, end, hashes[end:stop]) == tree.root(stop)
