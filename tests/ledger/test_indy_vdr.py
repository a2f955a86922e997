"""Stock indy-vdr against the embedded ledger: every write and read, and the refusals."""

from __future__ import annotations

import json
import time

import base58
from indy_vdr import ledger as vl
from indy_vdr import open_pool

from ssi_wallet.ledger.canonical import leaf_bytes
from ssi_wallet.ledger.keys import KeyPair
from ssi_wallet.ledger.merkle import verify_audit_path
from tests.ledger.conftest import cred_def_request, nym_request, refused, run, sign, submit


def _nym(
    pool, author: KeyPair, target: KeyPair, role: str | None, abbreviated: bool = False
) -> dict:
    return run(submit(pool, nym_request(author, target, role, abbreviated)))


def test_pool_opens_and_reports_genesis(any_ledger):
    async def go():
        pool = await open_pool(transactions_path=any_ledger.genesis_path)
        status = json.loads(await pool.get_status())
        assert status["mt_size"] == any_ledger.info.nodes
        # a second open in the same process takes the GET_TXN fast path
        pool2 = await open_pool(transactions_path=any_ledger.genesis_path)
        assert json.loads(await pool2.get_status())["mt_root"] == status["mt_root"]
        reply = await pool.submit_request(vl.build_get_txn_request(None, 0, 1))
        assert reply["data"]["ledgerSize"] == any_ledger.info.nodes
        assert reply["data"]["rootHash"] == status["mt_root"]
        assert reply["data"]["txn"]["data"]["data"]["alias"] == "Node1"

    run(go())


def test_every_write_and_read(any_ledger):
    trustee = any_ledger.trustee
    issuer, holder = KeyPair.generate(), KeyPair.generate()

    async def go():
        pool = await open_pool(transactions_path=any_ledger.genesis_path)
        # NYM with an abbreviated verkey, GET_NYM
        r = await submit(pool, nym_request(trustee, issuer, "ENDORSER", abbreviated=True))
        assert r["txnMetadata"]["seqNo"] > 1 and r["txn"]["metadata"]["from"] == trustee.did
        got = await submit(pool, vl.build_get_nym_request(None, issuer.did))
        nym = json.loads(got["data"])
        assert nym["verkey"] == issuer.abbreviated_verkey and nym["role"] == "101"
        assert (await submit(pool, vl.build_get_nym_request(None, holder.did)))["data"] is None

        # ATTRIB by the owner, GET_ATTR
        raw = json.dumps({"endpoint": {"endpoint": "http://127.0.0.1:8020", "routingKeys": []}})
        await submit(
            pool, sign(vl.build_attrib_request(issuer.did, issuer.did, None, raw, None), issuer)
        )
        got = await submit(
            pool, vl.build_get_attrib_request(None, issuer.did, "endpoint", None, None)
        )
        assert json.loads(got["data"])["endpoint"]["endpoint"] == "http://127.0.0.1:8020"

        # SCHEMA, GET_SCHEMA
        name = f"income{time.time_ns()}"
        sid = f"{issuer.did}:2:{name}:1.0"
        schema = {
            "ver": "1.0",
            "id": sid,
            "name": name,
            "version": "1.0",
            "attrNames": ["name", "net_income_cents"],
            "seqNo": None,
        }
        r = await submit(pool, sign(vl.build_schema_request(issuer.did, schema), issuer))
        schema_seq = r["txnMetadata"]["seqNo"]
        assert r["txnMetadata"]["txnId"] == sid
        got = await submit(pool, vl.build_get_schema_request(None, sid))
        assert got["seqNo"] == schema_seq and sorted(got["data"]["attr_names"]) == [
            "name",
            "net_income_cents",
        ]
        missing = await submit(pool, vl.build_get_schema_request(None, f"{issuer.did}:2:nope:1.0"))
        assert missing["seqNo"] is None

        # CLAIM_DEF, GET_CLAIM_DEF
        cdid = f"{issuer.did}:3:CL:{schema_seq}:default"
        cred_def = {
            "ver": "1.0",
            "id": cdid,
            "schemaId": str(schema_seq),
            "type": "CL",
            "tag": "default",
            "value": {
                "primary": {"n": "1", "s": "2", "r": {"name": "3"}, "rctxt": "4", "z": "5"},
                "revocation": {"g": "1 2"},
            },
        }
        await submit(pool, sign(vl.build_cred_def_request(issuer.did, cred_def), issuer))
        got = await submit(pool, vl.build_get_cred_def_request(None, cdid))
        assert (
            got["data"]["primary"]["n"] == "1"
            and got["ref"] == schema_seq
            and got["origin"] == issuer.did
        )

        # REVOC_REG_DEF, GET_REVOC_REG_DEF
        rrid = f"{issuer.did}:4:{cdid}:CL_ACCUM:r1"
        rev_def = {
            "ver": "1.0",
            "id": rrid,
            "revocDefType": "CL_ACCUM",
            "tag": "r1",
            "credDefId": cdid,
            "value": {
                "issuanceType": "ISSUANCE_BY_DEFAULT",
                "maxCredNum": 10,
                "publicKeys": {"accumKey": {"z": "1 0"}},
                "tailsHash": "h",
                "tailsLocation": "http://127.0.0.1/x",
            },
        }
        await submit(pool, sign(vl.build_revoc_reg_def_request(issuer.did, rev_def), issuer))
        got = await submit(pool, vl.build_get_revoc_reg_def_request(None, rrid))
        assert got["data"]["id"] == rrid and got["data"]["value"]["maxCredNum"] == 10

        # REVOC_REG_ENTRY x2, GET_REVOC_REG, GET_REVOC_REG_DELTA (with and without from)
        e1 = await submit(
            pool,
            sign(
                vl.build_revoc_reg_entry_request(
                    issuer.did, rrid, "CL_ACCUM", {"ver": "1.0", "value": {"accum": "a1"}}
                ),
                issuer,
            ),
        )
        t1 = e1["txnMetadata"]["txnTime"]
        time.sleep(1.05)  # txnTime has one-second resolution
        e2 = await submit(
            pool,
            sign(
                vl.build_revoc_reg_entry_request(
                    issuer.did,
                    rrid,
                    "CL_ACCUM",
                    {"ver": "1.0", "value": {"accum": "a2", "prevAccum": "a1", "revoked": [2, 5]}},
                ),
                issuer,
            ),
        )
        t2 = e2["txnMetadata"]["txnTime"]
        got = await submit(pool, vl.build_get_revoc_reg_request(None, rrid, t1))
        assert got["data"]["value"]["accum"] == "a1"
        got = await submit(pool, vl.build_get_revoc_reg_request(None, rrid, t2 + 5))
        assert got["data"]["value"]["accum"] == "a2" and got["txnTime"] == t2
        delta = await submit(pool, vl.build_get_revoc_reg_delta_request(None, rrid, 0, t2 + 5))
        assert delta["data"]["value"]["accum_to"]["value"]["accum"] == "a2"
        assert (
            delta["data"]["value"]["revoked"] == [2, 5]
            and "accum_from" not in delta["data"]["value"]
        )
        delta = await submit(pool, vl.build_get_revoc_reg_delta_request(None, rrid, t1, t1))
        assert delta["data"]["value"]["accum_to"]["value"]["accum"] == "a1"
        assert delta["data"]["value"]["revoked"] == []
        delta = await submit(pool, vl.build_get_revoc_reg_delta_request(None, rrid, t1, t2))
        assert delta["data"]["value"]["accum_from"]["value"]["accum"] == "a1"
        assert delta["data"]["value"]["revoked"] == [2, 5]

        # GET_TXN on the domain ledger: a real RFC 6962 audit path
        got = await submit(pool, vl.build_get_txn_request(None, 1, schema_seq))
        data = dict(got["data"])
        root, size, path = data.pop("rootHash"), data.pop("ledgerSize"), data.pop("auditPath")
        assert data["txn"]["type"] == "101"
        assert verify_audit_path(
            leaf_bytes(data),
            schema_seq - 1,
            size,
            [base58.b58decode(p) for p in path],
            base58.b58decode(root),
        )
        assert (await submit(pool, vl.build_get_txn_request(None, 1, 10**9)))["data"] is None

        # no transaction author agreement on this ledger
        assert (await submit(pool, vl.build_get_txn_author_agreement_request(None, None)))[
            "data"
        ] is None
        assert (await submit(pool, vl.build_get_acceptance_mechanisms_request(None, None, None)))[
            "data"
        ] is None

    run(go())


def test_refusals(any_ledger):
    trustee = any_ledger.trustee
    issuer, nobody, stranger, other = (KeyPair.generate() for _ in range(4))

    async def go():
        pool = await open_pool(transactions_path=any_ledger.genesis_path)
        await submit(pool, nym_request(trustee, issuer, "ENDORSER"))
        await submit(pool, nym_request(trustee, stranger, "ENDORSER"))
        await submit(pool, nym_request(trustee, nobody))

        # unsigned write
        reason = await refused(
            pool, vl.build_nym_request(trustee.did, other.did, other.verkey, None, None)
        )
        assert "MissingSignature" in reason
        # signed with the wrong key
        req = vl.build_nym_request(trustee.did, other.did, other.verkey, None, None)
        req.set_signature(other.sign(req.signature_input))
        assert "insufficient number of valid signatures" in await refused(pool, req)
        # unknown signer
        req = nym_request(other, other)
        assert f"verkey for {other.did} cannot be found" in await refused(pool, req)
        # a DID without a role may not create DIDs, nor a trustee
        reason = await refused(pool, nym_request(nobody, other))
        assert (
            "Rule for this action is: 1 TRUSTEE signature is required"
            " OR 1 STEWARD signature is required"
            " OR 1 ENDORSER signature is required" in reason
        )
        reason = await refused(pool, nym_request(issuer, other, "TRUSTEE"))
        assert "Not enough TRUSTEE signatures" in reason
        # a DID without a role may not write a schema...
        name = f"s{time.time_ns()}"
        schema = {
            "ver": "1.0",
            "id": f"{nobody.did}:2:{name}:1.0",
            "name": name,
            "version": "1.0",
            "attrNames": ["a"],
            "seqNo": None,
        }
        reason = await refused(pool, sign(vl.build_schema_request(nobody.did, schema), nobody))
        assert "UnauthorizedClientRequest" in reason and "Not enough ENDORSER signatures" in reason
        # ...unless an endorser co-signs (multi-signature with the endorser field)
        req = vl.build_schema_request(nobody.did, schema)
        req.set_endorser(issuer.did)
        sign(req, nobody, issuer)
        endorsed = await submit(pool, req)
        assert endorsed["txn"]["metadata"]["endorser"] == issuer.did
        assert {v["from"] for v in endorsed["reqSignature"]["values"]} == {nobody.did, issuer.did}
        # duplicate schema
        schema_i = dict(schema, id=f"{issuer.did}:2:{name}:1.0")
        r = await submit(pool, sign(vl.build_schema_request(issuer.did, schema_i), issuer))
        assert "The action is forbidden" in await refused(
            pool, sign(vl.build_schema_request(issuer.did, schema_i), issuer)
        )
        # ATTRIB on someone else's DID
        raw = json.dumps({"endpoint": {"endpoint": "http://x"}})
        reason = await refused(
            pool, sign(vl.build_attrib_request(stranger.did, issuer.did, None, raw, None), stranger)
        )
        assert "can not edit ATTRIB txn since only owner can modify it" in reason
        # revocation: only the credential definition's owner
        seq = r["txnMetadata"]["seqNo"]
        cdid = f"{issuer.did}:3:CL:{seq}:t"
        await submit(pool, cred_def_request(issuer, seq, "t"))
        rev_value = {
            "issuanceType": "ISSUANCE_BY_DEFAULT",
            "maxCredNum": 5,
            "publicKeys": {"accumKey": {"z": "1"}},
            "tailsHash": "h",
            "tailsLocation": "http://x",
        }
        stranger_def = {
            "ver": "1.0",
            "id": f"{stranger.did}:4:{cdid}:CL_ACCUM:x",
            "revocDefType": "CL_ACCUM",
            "tag": "x",
            "credDefId": cdid,
            "value": rev_value,
        }
        reason = await refused(
            pool, sign(vl.build_revoc_reg_def_request(stranger.did, stranger_def), stranger)
        )
        assert "can not edit REVOC_REG_DEF txn since only owner can modify it" in reason
        rrid = f"{issuer.did}:4:{cdid}:CL_ACCUM:x"
        await submit(
            pool,
            sign(vl.build_revoc_reg_def_request(issuer.did, dict(stranger_def, id=rrid)), issuer),
        )
        entry = {"ver": "1.0", "value": {"accum": "1"}}
        reason = await refused(
            pool,
            sign(vl.build_revoc_reg_entry_request(stranger.did, rrid, "CL_ACCUM", entry), stranger),
        )
        assert "can not edit REVOC_REG_ENTRY txn since only owner can modify it" in reason
        await submit(
            pool,
            sign(vl.build_revoc_reg_entry_request(issuer.did, rrid, "CL_ACCUM", entry), issuer),
        )
        # claim def pointing at something that is not a schema
        reason = await refused(pool, cred_def_request(issuer, 1, "t"))
        assert "Mentioned seqNo (1) isn't seqNo of the schema." in reason
        # an unknown request type
        reason = await refused(
            pool,
            vl.build_custom_request(
                {
                    "identifier": issuer.did,
                    "reqId": time.time_ns(),
                    "protocolVersion": 2,
                    "operation": {"type": "99999"},
                }
            ),
        )
        assert "invalid type" in reason

    run(go())
