"""Merkle trees as Certificate Transparency defines them (RFC 9162, section 2.1): hashes, proofs, checks.

Leaves are SHA-256(0x00 || entry), interior nodes SHA-256(0x01 || left || right); a tree of n leaves
splits at the largest power of two below n. Checks return nothing or raise InvalidProof.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from verifiers.errors import VerificationError

EMPTY_ROOT = hashlib.sha256(b"").digest()


class InvalidProof(VerificationError):
    """An inclusion or consistency proof that does not lead to the expected root."""


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _root(leaves: Sequence[bytes], lo: int, hi: int) -> bytes:
    # Bottom-up: pairing neighbours and carrying an odd last node up gives the RFC's left-balanced tree.
    level = list(leaves[lo:hi])
    if not level:
        return EMPTY_ROOT
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def root_hash(leaves: Sequence[bytes]) -> bytes:
    """MTH over the leaf hashes."""
    return _root(leaves, 0, len(leaves))


SubtreeHash = Callable[[int, int], bytes]
"""MTH(D[lo:hi]): the hash of the subtree over leaves lo to hi - 1, however it is found."""


def subtree_from_nodes(node: Callable[[int, int], bytes]) -> SubtreeHash:
    """A SubtreeHash from the perfect subtrees alone: `node(level, index)` is the hash of leaves
    index * 2**level to (index + 1) * 2**level - 1 (level 0 is a leaf). Any range is split as RFC 9162
    splits a tree, so a proof needs O(log n) perfect subtrees for its full ones and O(log n) more for
    each ragged right edge."""

    def subtree(lo: int, hi: int) -> bytes:
        width = hi - lo
        if width & (width - 1) == 0 and lo % width == 0:
            return node(width.bit_length() - 1, lo // width)
        k = _split(width) if width & (width - 1) else width // 2
        return node_hash(subtree(lo, lo + k), subtree(lo + k, hi))

    return subtree


def inclusion_path(index: int, size: int, subtree: SubtreeHash) -> list[bytes]:
    """PATH(index, D[size]) (RFC 9162 2.1.3.1), with subtree hashes from `subtree`."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    proof: list[bytes] = []
    lo, hi, m = 0, size, index
    while hi - lo > 1:
        k = _split(hi - lo)
        if m < k:
            proof.append(subtree(lo + k, hi))
            hi = lo + k
        else:
            proof.append(subtree(lo, lo + k))
            lo, m = lo + k, m - k
    return proof[::-1]


def consistency_path(old_size: int, size: int, subtree: SubtreeHash) -> list[bytes]:
    """PROOF(old_size, D[size]) (RFC 9162 2.1.4.1), with subtree hashes from `subtree`."""
    if not 0 < old_size <= size:
        raise ValueError(f"no consistency proof from {old_size} to {size}")
    proof: list[bytes] = []
    lo, hi, m, whole = 0, size, old_size, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            proof.append(subtree(lo + k, hi))
            hi = lo + k
        else:
            proof.append(subtree(lo, lo + k))
            lo, m, whole = lo + k, m - k, False
    if not whole:
        proof.append(subtree(lo, hi))
    return proof[::-1]


def _over(leaves: Sequence[bytes]) -> SubtreeHash:
    return lambda lo, hi: _root(leaves, lo, hi)


def inclusion_proof(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PATH(index, D[n]): the audit path of one leaf in the tree of all `leaves`."""
    return inclusion_path(index, len(leaves), _over(leaves))


def consistency_proof(old_size: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PROOF(old_size, D[n]): shows the tree of the first `old_size` leaves is a prefix of this one."""
    return consistency_path(old_size, len(leaves), _over(leaves))


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> None:
    """RFC 9162 2.1.3.2: raise InvalidProof unless `leaf` is at `index` in the tree of `size` with `root`."""
    if not 0 <= index < size:
        raise InvalidProof(f"index {index} is outside a tree of size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise InvalidProof("the proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0 or r != root:
        raise InvalidProof(f"leaf {index} is not in the tree of size {size} with this root")


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> None:
    """RFC 9162 2.1.4.2: raise InvalidProof unless the tree of `old_size` is a prefix of the one of `new_size`."""
    if not 0 < old_size <= new_size:
        raise InvalidProof(f"no consistency between sizes {old_size} and {new_size}")
    if old_size == new_size:
        if proof or old_root != new_root:
            raise InvalidProof("equal sizes need an empty proof and equal roots")
        return
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is itself the first node
        path.insert(0, old_root)
    if not path:
        raise InvalidProof("the proof is empty")
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise InvalidProof("the proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0 or fr != old_root or sr != new_root:
        raise InvalidProof(f"the tree of size {old_size} is not a prefix of the tree of size {new_size}")


class Frontier:
    """The roots of the perfect subtrees that make up a tree of `size` leaves, largest first.

    Enough to append a leaf and to compute the root in O(log n), without the leaves.
    """

    def __init__(self, size: int = 0, nodes: Sequence[bytes] = ()) -> None:
        if len(nodes) != bin(size).count("1"):
            raise ValueError("a frontier has one node per set bit of its size")
        self.size = size
        self.nodes = list(nodes)

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add a leaf; return the perfect subtrees it completes, as (level, index, hash), level 1 upwards."""
        node, k, level, completed = leaf, self.size, 0, []
        while k & 1:
            node = node_hash(self.nodes.pop(), node)
            k >>= 1
            level += 1
            completed.append((level, self.size >> level, node))
        self.nodes.append(node)
        self.size += 1
        return completed

    def root(self) -> bytes:
        if not self.nodes:
            return EMPTY_ROOT
        r = self.nodes[-1]
        for node in reversed(self.nodes[:-1]):
            r = node_hash(node, r)
        return r
