"""Stock ACA-Py 0.12.8 as an issuer on the embedded ledger: schema and a revocable
credential definition, with its tails files uploaded to the ledger's tails server."""

from __future__ import annotations

import hashlib
import time

import base58
import httpx
import pytest

from tests.plugins.stock_agents import AgentConfig, start_stock_agent


@pytest.mark.slow
def test_acapy_issuer_schema_and_revocable_cred_def(ledger, register_did, tmp_path):
    issuer_id = register_did(ledger, "ENDORSER")
    agent = start_stock_agent(
        tmp_path / "issuer",
        AgentConfig(
            role="issuer",
            genesis_path=ledger.genesis_path,
            seed=issuer_id.seed,
            tails_server_url=ledger.tails_server_url,
        ),
    )
    try:
        admin = agent.admin
        assert admin.get("/wallet/did/public")["result"]["did"] == issuer_id.did

        name = f"income{int(time.time())}"
        schema = admin.post(
            "/schemas",
            json={
                "schema_name": name,
                "schema_version": "1.0",
                "attributes": ["name", "net_income_cents"],
            },
        )
        schema_id = schema["sent"]["schema_id"]
        assert schema_id == f"{issuer_id.did}:2:{name}:1.0"
        assert admin.get(f"/schemas/{schema_id}")["schema"]["seqNo"] > 0

        cred_def = admin.post(
            "/credential-definitions",
            json={
                "schema_id": schema_id,
                "tag": "default",
                "support_revocation": True,
                "revocation_registry_size": 4,
            },
            timeout=120,
        )
        cred_def_id = cred_def["sent"]["credential_definition_id"]

        def active():
            resp = admin.http.get(f"/revocation/active-registry/{cred_def_id}")
            if resp.status_code != 200:
                return None
            result = resp.json()["result"]
            return result if result.get("state") == "active" else None

        registry = admin.wait_for(active, timeout=120)
        rev_reg_id = registry["revoc_reg_id"]
        tails_hash = registry["revoc_reg_def"]["value"]["tailsHash"]

        # the registry is on the ledger, its tails file on our tails server with the right hash
        on_ledger = admin.get(f"/revocation/registry/{rev_reg_id}")["result"]
        assert on_ledger["state"] == "active"
        tails = httpx.get(f"{ledger.tails_server_url}/{rev_reg_id}", timeout=10)
        assert tails.status_code == 200
        assert base58.b58encode(hashlib.sha256(tails.content).digest()).decode() == tails_hash
        assert (ledger.data_dir / "tails" / rev_reg_id).is_file()

        kinds = {t["type"] for t in ledger.service.txns() if t["from"] == issuer_id.did}
        assert {"ATTRIB", "SCHEMA", "CLAIM_DEF", "REVOC_REG_DEF", "REVOC_REG_ENTRY"} <= kinds
    except BaseException:
        print(agent.log_tail(80))
        raise
    finally:
        agent.stop()
