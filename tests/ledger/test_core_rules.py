"""Authorization and validation rules, in process (the same code the nodes run)."""

from __future__ import annotations

import hashlib
import itertools
import json

import base58
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ssi_wallet.ledger.core import LedgerCore
from ssi_wallet.ledger.genesis import nym_genesis_txn
from ssi_wallet.ledger.keys import KeyPair
from ssi_wallet.ledger.signing import signing_input
from ssi_wallet.ledger.storage import TxnStore
from tests.plugins.ledger import WRITE_TYPES

_req_ids = itertools.count(1)


@pytest.fixture
def core(tmp_path):
    trustee = KeyPair.from_seed("000000000000000000000000Trustee1")
    store = TxnStore(tmp_path / "l.sqlite", "NORMAL")
    c = LedgerCore(store, [], [nym_genesis_txn(1, trustee.did, trustee.verkey, "0", None)])
    c.trustee = trustee
    yield c
    store.close()


def req(author: KeyPair, op: dict, *signers: KeyPair, endorser: str | None = None) -> dict:
    r = {"identifier": author.did, "reqId": next(_req_ids), "protocolVersion": 2, "operation": op}
    if endorser:
        r["endorser"] = endorser
    signers = signers or (author,)
    msg = signing_input(r)
    if len(signers) == 1 and not endorser:
        r["signature"] = base58.b58encode(signers[0].sign(msg)).decode()
    else:
        r["signatures"] = {s.did: base58.b58encode(s.sign(msg)).decode() for s in signers}
    return r


def ok(core, r) -> dict:
    reply = core.handle(r)
    assert reply["op"] == "REPLY", reply
    return reply["result"]


def refused(core, r, op="REJECT") -> str:
    reply = core.handle(r)
    assert reply["op"] == op, reply
    assert reply["reqId"] == r["reqId"]
    return reply["reason"]


def nym(author, target, role=None, verkey=None):
    op = {"type": "1", "dest": target.did, "verkey": verkey or target.verkey}
    if role is not None:
        op["role"] = role
    return req(author, op)


def test_roles_create_dids_as_indy_node_allows(core):
    t = core.trustee
    steward, endorser, owner, other = (KeyPair.generate() for _ in range(4))
    ok(core, nym(t, steward, "2"))
    ok(core, nym(steward, endorser, "101"))
    ok(core, nym(endorser, owner))
    reason = refused(core, nym(steward, other, "2"))
    assert reason.startswith("client request invalid: UnauthorizedClientRequest(")
    assert "Not enough TRUSTEE signatures" in reason
    reason = refused(core, nym(endorser, other, "101"))
    assert (
        "Rule for this action is: 1 TRUSTEE signature is required OR 1 STEWARD signature" in reason
    )
    # demoting needs a trustee
    assert "Not enough TRUSTEE signatures" in refused(core, nym(steward, endorser, ""))
    ok(core, nym(t, endorser, ""))
    assert core.state.role_of(endorser.did) == ""


def test_verkey_rotation_only_by_the_owner(core):
    t, owner, new_key, stranger = core.trustee, *(KeyPair.generate() for _ in range(3))
    ok(core, nym(t, owner))
    ok(core, nym(t, stranger, "101"))
    rotate = req(stranger, {"type": "1", "dest": owner.did, "verkey": new_key.verkey})
    assert "can not touch verkey field since only the owner can modify it" in refused(core, rotate)
    ok(core, req(owner, {"type": "1", "dest": owner.did, "verkey": new_key.verkey}))
    # the old key no longer signs for the DID
    stale = req(owner, {"type": "100", "dest": owner.did, "raw": '{"a": 1}'})
    assert "insufficient number of valid signatures" in refused(core, stale, "REQNACK")


def test_attrib_raw_hash_enc_and_reads(core):
    t, owner = core.trustee, KeyPair.generate()
    ok(core, nym(t, owner))
    ok(
        core,
        req(owner, {"type": "100", "dest": owner.did, "raw": '{"endpoint": {"endpoint": "x"}}'}),
    )
    digest = hashlib.sha256(b"secret").hexdigest()
    ok(core, req(owner, {"type": "100", "dest": owner.did, "hash": digest}))
    ok(core, req(owner, {"type": "100", "dest": owner.did, "enc": "ciphertext"}))
    read = core.handle(
        {
            "identifier": None,
            "reqId": 1,
            "operation": {"type": "104", "dest": owner.did, "raw": "endpoint"},
        }
    )
    assert json.loads(read["result"]["data"])["endpoint"]["endpoint"] == "x"
    read = core.handle(
        {
            "identifier": None,
            "reqId": 2,
            "operation": {"type": "104", "dest": owner.did, "hash": digest},
        }
    )
    assert read["result"]["data"] == digest
    read = core.handle(
        {
            "identifier": None,
            "reqId": 3,
            "operation": {"type": "104", "dest": owner.did, "enc": "ciphertext"},
        }
    )
    assert read["result"]["data"] == "ciphertext"
    both = req(owner, {"type": "100", "dest": owner.did, "raw": '{"a":1}', "hash": digest})
    assert "one and only one of raw, enc, hash" in refused(core, both, "REQNACK")
    assert "non-empty JSON object" in refused(
        core, req(owner, {"type": "100", "dest": owner.did, "raw": "{}"}), "REQNACK"
    )
    unknown = KeyPair.generate()
    assert "dest should be added before adding attribute for it" in refused(
        core, req(owner, {"type": "100", "dest": unknown.did, "raw": '{"a":1}'})
    )


def test_endorsement_rules(core):
    t = core.trustee
    author, endorser, steward = (KeyPair.generate() for _ in range(3))
    ok(core, nym(t, author))
    ok(core, nym(t, endorser, "101"))
    ok(core, nym(t, steward, "2"))
    schema = {"type": "101", "data": {"name": "s", "version": "1.0", "attr_names": ["a"]}}
    # the endorser must sign
    r = req(author, schema, author, endorser=endorser.did)
    assert refused(core, r) and "Endorser must sign the transaction" in refused(core, r)
    # the endorser must be an ENDORSER
    r = req(author, schema, author, steward, endorser=steward.did)
    assert "Endorser must have one of the following roles" in refused(core, r)
    # co-signed by a privileged DID without naming it as endorser
    r = req(author, schema, author, endorser)
    assert "'Endorser' field must be explicitly set for the endorsed transaction" in refused(
        core, r
    )
    # the author must sign too
    r = req(author, schema, endorser, endorser=endorser.did)
    assert "Author must sign the transaction" in refused(core, r)
    result = ok(core, req(author, schema, author, endorser, endorser=endorser.did))
    assert result["txnMetadata"]["txnId"] == f"{author.did}:2:s:1.0"


def test_malformed_requests_are_nacked_not_raised(core):
    t = core.trustee
    for bad in (
        {"operation": {"type": "1"}},
        {"reqId": True, "operation": {"type": "1"}},
        {"reqId": 5, "operation": {"type": "1", "dest": "not base58 0OIl"}},
        {"reqId": 6, "identifier": 7, "operation": {"type": "105"}},
        {"reqId": 7, "operation": {"type": "3", "ledgerId": 9, "data": 1}},
        {"reqId": 8, "operation": {"type": "3", "data": 0}},
        {"reqId": 9, "operation": {"type": "116", "revocRegDefId": "x"}},
        {"reqId": 10, "operation": {"type": "101", "data": {"name": "s"}}, "identifier": t.did},
    ):
        assert core.handle(bad)["op"] == "REQNACK", bad


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
_types = st.sampled_from(  # every write and read type the ledger knows, and two it does not
    [*WRITE_TYPES, "3", "6", "7", "104", "105", "107", "108", "115", "116", "117", "0", "x"]
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    op_type=_types,
    fields=st.dictionaries(
        st.sampled_from(
            [
                "dest",
                "verkey",
                "role",
                "raw",
                "hash",
                "enc",
                "data",
                "ref",
                "tag",
                "origin",
                "signature_type",
                "id",
                "credDefId",
                "revocDefType",
                "value",
                "revocRegDefId",
                "timestamp",
                "from",
                "to",
                "ledgerId",
            ]
        ),
        _json,
        max_size=6,
    ),
    identifier=st.none() | st.text(max_size=30) | st.integers(),
    req_id=st.integers() | st.text(max_size=3) | st.none(),
    extra=st.dictionaries(
        st.sampled_from(["signature", "signatures", "endorser", "protocolVersion"]),
        _json,
        max_size=2,
    ),
)
def test_any_request_gets_an_answer(core, op_type, fields, identifier, req_id, extra):
    request = {
        "identifier": identifier,
        "reqId": req_id,
        "operation": {"type": op_type, **fields},
        **extra,
    }
    reply = core.handle(request)
    assert reply["op"] in ("REPLY", "REQNACK", "REJECT")
    json.dumps(reply)
