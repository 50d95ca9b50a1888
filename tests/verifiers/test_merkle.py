"""RFC 9162 Merkle trees: the reference vectors, and proofs for every tree shape up to 256 leaves."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verifiers.merkle import (
    EMPTY_ROOT,
    Frontier,
    InvalidProof,
    consistency_path,
    consistency_proof,
    inclusion_path,
    inclusion_proof,
    leaf_hash,
    root_hash,
    subtree_from_nodes,
    verify_consistency,
    verify_inclusion,
)

# The inputs and tree heads of the Certificate Transparency reference test data.
INPUTS = [
    bytes.fromhex(h)
    for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
]
LEAVES = [leaf_hash(d) for d in INPUTS]
ROOTS = {
    0: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    4: "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    5: "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    6: "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    7: "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}
# (leaf index, tree size, audit path)
INCLUSION = [
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
# (old size, new size, proof)
CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]


@pytest.mark.parametrize("size", range(9))
def test_tree_heads_match_the_reference(size: int) -> None:
    assert root_hash(LEAVES[:size]).hex() == ROOTS[size]
    frontier = Frontier()
    for leaf in LEAVES[:size]:
        frontier.append(leaf)
    assert frontier.root().hex() == ROOTS[size]
    assert EMPTY_ROOT.hex() == ROOTS[0]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_inclusion_proofs_match_the_reference(index: int, size: int, path: list[str]) -> None:
    proof = inclusion_proof(index, LEAVES[:size])
    assert [p.hex() for p in proof] == path
    verify_inclusion(index, size, LEAVES[index], proof, bytes.fromhex(ROOTS[size]))


@pytest.mark.parametrize(("old", "new", "path"), CONSISTENCY)
def test_consistency_proofs_match_the_reference(old: int, new: int, path: list[str]) -> None:
    proof = consistency_proof(old, LEAVES[:new])
    assert [p.hex() for p in proof] == path
    verify_consistency(old, new, bytes.fromhex(ROOTS[old]), bytes.fromhex(ROOTS[new]), proof)


def flip(data: bytes, position: int) -> bytes:
    position %= len(data)
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :]


trees = st.integers(min_value=1, max_value=256).map(lambda n: [leaf_hash(i.to_bytes(4, "big")) for i in range(n)])


@settings(max_examples=150, deadline=None)
@given(trees, st.data())
def test_every_inclusion_proof_verifies_and_any_change_fails(leaves: list[bytes], data: st.DataObject) -> None:
    size = len(leaves)
    index = data.draw(st.integers(0, size - 1))
    root = root_hash(leaves)
    proof = inclusion_proof(index, leaves)
    verify_inclusion(index, size, leaves[index], proof, root)
    byte = data.draw(st.integers(0, 31))
    with pytest.raises(InvalidProof):
        verify_inclusion(index, size, flip(leaves[index], byte), proof, root)
    with pytest.raises(InvalidProof):
        verify_inclusion(index, size, leaves[index], proof, flip(root, byte))
    if proof:
        which = data.draw(st.integers(0, len(proof) - 1))
        bad = [flip(p, byte) if i == which else p for i, p in enumerate(proof)]
        with pytest.raises(InvalidProof):
            verify_inclusion(index, size, leaves[index], bad, root)
    # The size is bound by the signed (size, root) pair: at another size, against that size's own
    # root, this proof verifies only where it is that size's proof too.
    other = data.draw(st.integers(index + 1, 300).filter(lambda s: s != size))
    longer = leaves + [leaf_hash(b"more" + i.to_bytes(4, "big")) for i in range(max(0, other - size))]
    if inclusion_proof(index, longer[:other]) != proof:
        with pytest.raises(InvalidProof):
            verify_inclusion(index, other, leaves[index], proof, root_hash(longer[:other]))


@settings(max_examples=150, deadline=None)
@given(trees, st.data())
def test_every_consistency_proof_verifies_and_any_change_fails(leaves: list[bytes], data: st.DataObject) -> None:
    new = len(leaves)
    old = data.draw(st.integers(1, new))
    old_root, new_root = root_hash(leaves[:old]), root_hash(leaves)
    proof = consistency_proof(old, leaves)
    verify_consistency(old, new, old_root, new_root, proof)
    byte = data.draw(st.integers(0, 31))
    with pytest.raises(InvalidProof):
        verify_consistency(old, new, flip(old_root, byte), new_root, proof)
    with pytest.raises(InvalidProof):
        verify_consistency(old, new, old_root, flip(new_root, byte), proof)
    if proof:
        which = data.draw(st.integers(0, len(proof) - 1))
        bad = [flip(p, byte) if i == which else p for i, p in enumerate(proof)]
        with pytest.raises(InvalidProof):
            verify_consistency(old, new, old_root, new_root, bad)
    other = data.draw(st.integers(old, 300).filter(lambda s: s != new))
    longer = leaves + [leaf_hash(b"more" + i.to_bytes(4, "big")) for i in range(max(0, other - new))]
    if other == old or consistency_proof(old, longer[:other]) != proof:
        with pytest.raises(InvalidProof):
            verify_consistency(old, other, old_root, root_hash(longer[:other]), proof)


@settings(max_examples=60, deadline=None)
@given(trees)
def test_the_frontier_gives_the_root_of_every_prefix(leaves: list[bytes]) -> None:
    frontier = Frontier()
    for n, leaf in enumerate(leaves, start=1):
        frontier.append(leaf)
        assert frontier.root() == root_hash(leaves[:n])
    copy = Frontier(frontier.size, frontier.nodes)
    assert copy.root() == frontier.root()


@settings(max_examples=100, deadline=None)
@given(trees, st.data())
def test_proofs_from_stored_perfect_subtrees_equal_proofs_from_all_leaves(
    leaves: list[bytes], data: st.DataObject
) -> None:
    """What the registry stores as the log grows (the perfect subtrees each append completes) is enough
    for every proof, at every earlier size, without reading the leaves in between."""
    frontier, nodes = Frontier(), {(0, i): leaf for i, leaf in enumerate(leaves)}
    for leaf in leaves:
        nodes.update({(level, index): node for level, index, node in frontier.append(leaf)})
    looked_up: list[tuple[int, int]] = []

    def node(level: int, index: int) -> bytes:
        looked_up.append((level, index))
        return nodes[(level, index)]

    subtree = subtree_from_nodes(node)
    size = data.draw(st.integers(1, len(leaves)))
    assert subtree(0, size) == root_hash(leaves[:size])
    index = data.draw(st.integers(0, size - 1))
    assert inclusion_path(index, size, subtree) == inclusion_proof(index, leaves[:size])
    old = data.draw(st.integers(1, size))
    looked_up.clear()
    assert consistency_path(old, size, subtree) == consistency_proof(old, leaves[:size])
    assert len(looked_up) <= 2 * max(1, size.bit_length()) ** 2  # O(log² n) lookups, not O(n)
