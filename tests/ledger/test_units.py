"""Small pure pieces: DID derivation, verkey abbreviation, signing input, merkle tree."""

from __future__ import annotations

import hashlib

import base58
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssi_wallet.ledger.keys import KeyPair, expand_verkey
from ssi_wallet.ledger.merkle import EMPTY_ROOT, MerkleTree, leaf_hash, node_hash, verify_audit_path
from ssi_wallet.ledger.signing import signing_input


def test_sandbox_seeds_give_the_well_known_dids():
    assert KeyPair.from_seed("000000000000000000000000Trustee1").did == "V4SGRU86Z58d6TV7PBUe6f"
    assert KeyPair.from_seed("000000000000000000000000Steward1").did == "Th7MpTaRZVRYnPiabds81Y"


def test_abbreviated_verkey_expands_to_the_full_one():
    kp = KeyPair.from_seed("000000000000000000000000Steward1")
    assert kp.abbreviated_verkey == "~7TYfekw4GUagBnBVCqPjiC"
    assert expand_verkey(kp.did, kp.abbreviated_verkey) == kp.verkey_bytes
    assert expand_verkey(kp.did, kp.verkey) == kp.verkey_bytes
    with pytest.raises(ValueError):
        expand_verkey(kp.did, "~abc")


def test_signing_input_matches_stock_indy_vdr():
    from indy_vdr import ledger as vl

    kp = KeyPair.from_seed("000000000000000000000000Trustee1")
    reqs = [
        vl.build_nym_request(
            kp.did, "Th7MpTaRZVRYnPiabds81Y", "~7TYfekw4GUagBnBVCqPjiC", None, "ENDORSER"
        ),
        vl.build_attrib_request(
            kp.did, kp.did, None, '{"endpoint":{"endpoint":"http://x","routingKeys":[]}}', None
        ),
        vl.build_schema_request(
            kp.did,
            {
                "ver": "1.0",
                "id": f"{kp.did}:2:s:1.0",
                "name": "s",
                "version": "1.0",
                "attrNames": ["a", "b"],
                "seqNo": None,
            },
        ),
        vl.build_revoc_reg_entry_request(
            kp.did,
            f"{kp.did}:4:{kp.did}:3:CL:12:tag:CL_ACCUM:t1",
            "CL_ACCUM",
            {"ver": "1.0", "value": {"accum": "1", "revoked": [1, 2]}},
        ),
    ]
    import json

    for req in reqs:
        assert signing_input(json.loads(req.body)) == req.signature_input


def _mth(leaves: list[bytes]) -> bytes:
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaf_hash(leaves[0])
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(_mth(leaves[:k]), _mth(leaves[k:]))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.binary(max_size=8), min_size=1, max_size=40))
def test_merkle_root_and_audit_paths_follow_rfc6962(leaves):
    tree = MerkleTree()
    for leaf in leaves:
        tree.append(leaf)
    for size in range(1, len(leaves) + 1):
        assert tree.root(size) == _mth(leaves[:size])
        for m in range(size):
            assert verify_audit_path(leaves[m], m, size, tree.audit_path(m, size), tree.root(size))
    tree.truncate(len(leaves) // 2)
    assert tree.root() == _mth(leaves[: len(leaves) // 2])


def test_rfc6962_known_answer():
    # RFC 6962 test vector: empty-string leaf
    assert (
        base58.b58encode(leaf_hash(b"")).decode()
        and leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    )
