"""Our agents' registry cache plugin (`ssi_wallet.acapy_registry_cache`) on stock
ACA-Py's ledger class, against the embedded ledger over ZMQ: a revocation registry
definition is read from the ledger once, and served from the cache after."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from indy_vdr import ledger as vl
from indy_vdr import open_pool

from ssi_wallet.ledger.keys import KeyPair
from tests.ledger.conftest import (
    cred_def_request,
    nym_request,
    run,
    schema_request,
    sign,
    submit,
)


def _publish_registry(genesis_path: str, trustee: KeyPair) -> tuple[str, dict]:
    """Write an issuer, a schema, a credential definition and a registry definition;
    the registry's id and value as written."""
    issuer = KeyPair.generate()

    async def go() -> tuple[str, dict]:
        pool = await open_pool(transactions_path=genesis_path)
        await submit(pool, nym_request(trustee, issuer, "ENDORSER"))
        written = await submit(pool, schema_request(issuer, f"income{time.time_ns()}",
                                                    ["net_income_cents"]))
        schema_seq = written["txnMetadata"]["seqNo"]
        await submit(pool, cred_def_request(issuer, schema_seq, "default"))
        cred_def_id = f"{issuer.did}:3:CL:{schema_seq}:default"
        rev_reg_id = f"{issuer.did}:4:{cred_def_id}:CL_ACCUM:r1"
        value = {"issuanceType": "ISSUANCE_BY_DEFAULT", "maxCredNum": 10,
                 "publicKeys": {"accumKey": {"z": "1 0"}}, "tailsHash": "h",
                 "tailsLocation": "http://127.0.0.1/tails/r1"}
        definition = {"ver": "1.0", "id": rev_reg_id, "revocDefType": "CL_ACCUM",
                      "tag": "r1", "credDefId": cred_def_id, "value": value}
        await submit(pool, sign(vl.build_revoc_reg_def_request(issuer.did, definition),
                                issuer))
        return rev_reg_id, value

    return run(go())


@pytest.mark.slow
def test_registry_definition_read_once_then_from_the_cache(
        ledger_factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from aries_cloudagent.cache.in_memory import InMemoryCache
    from aries_cloudagent.core.in_memory import InMemoryProfile
    from aries_cloudagent.ledger.indy_vdr import IndyVdrLedger, IndyVdrLedgerPool

    from ssi_wallet.acapy_registry_cache import install

    monkeypatch.setenv("HOME", str(tmp_path))  # ACA-Py keeps its pool's genesis there
    ledger = ledger_factory(nodes=1)
    rev_reg_id, value = _publish_registry(ledger.genesis_path, ledger.trustee)
    # restored after the test: other tests in this process see stock ACA-Py
    monkeypatch.setattr(IndyVdrLedger, "get_revoc_reg_def", IndyVdrLedger.get_revoc_reg_def)
    install()
    install()  # one cache layer, however often the plugin is set up
    assert not hasattr(IndyVdrLedger.get_revoc_reg_def.__wrapped__, "ssi_wallet_cached")
    genesis = Path(ledger.genesis_path).read_text()

    async def go() -> None:
        pool = IndyVdrLedgerPool("registry-cache", genesis_transactions=genesis,
                                 cache=InMemoryCache())
        agent_ledger = IndyVdrLedger(pool, InMemoryProfile.test_profile())
        async with agent_ledger:
            first = await agent_ledger.get_revoc_reg_def(rev_reg_id)
            assert first["id"] == rev_reg_id and first["value"] == value
            first["value"]["maxCredNum"] = 1  # a caller's copy, not the cache's
            ledger.stop()
            again = await agent_ledger.get_revoc_reg_def(rev_reg_id)
        assert again["value"] == value
        assert again["txnTime"] > 0

    run(go())
