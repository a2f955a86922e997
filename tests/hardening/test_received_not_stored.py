"""A credential that arrived but whose storing a kill -9 interrupted is finished exactly
once when the agent starts again (`ssi_wallet/acapy_plugin/received.py`).

The crash series hit it (a kill while `offers accept` ran left the holder's exchange at
`credential-received`, the credential not stored, the issuer waiting). The three windows
of ACA-Py's storing are too narrow to hit on purpose, so each test issues a credential
through real agents, stops the wallet's agent, and winds its wallet records back to the
state a kill in that window leaves (the one fault made by hand here), then starts it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest

from tests.hardening.harness import ENV, Stack, eventually

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = Stack(tmp_path_factory.mktemp("received")).start()
    try:
        yield stack
    finally:
        stack.stop()


def _wind_back(stack: Stack, cred_ex_id: str, window: str) -> None:
    """Make the wallet look as a kill in `window` leaves it (agent stopped)."""
    import os

    from aries_askar import Store

    from ssi_wallet.holder.agent import holder_paths
    from ssi_wallet.holder.wallet_key import load_wallet_key

    os.environ.update(ENV)
    paths = holder_paths(stack.wallet.path)
    key = load_wallet_key(paths.root)

    async def edit() -> None:
        store = await Store.open(paths.store_uri, "raw", key)
        try:
            async with store.transaction() as txn:
                exchange = await txn.fetch("cred_ex_v20", cred_ex_id, for_update=True)
                doc = json.loads(exchange.value)
                doc["state"] = "credential-received"
                await txn.replace("cred_ex_v20", cred_ex_id, json.dumps(doc), exchange.tags)
                details = await txn.fetch_all("indy_cred_ex_v20", {"cred_ex_id": cred_ex_id})
                detail = details[0]
                info = json.loads(detail.value)
                stored = info["cred_id_stored"]
                if window in ("not stored", "stored, not noted"):
                    info["cred_id_stored"] = None
                    await txn.replace("indy_cred_ex_v20", detail.name, json.dumps(info),
                                      detail.tags)
                if window == "not stored":
                    await txn.remove("credential", stored)
                for entry in await txn.fetch_all("ssi_wallet_history",
                                                 {"kind": "credential_received"}):
                    if json.loads(entry.value).get("cred_ex_id") == cred_ex_id:
                        await txn.remove("ssi_wallet_history", entry.name)
                await txn.commit()
        finally:
            await store.close()

    asyncio.run(edit())


@pytest.mark.parametrize("window", ["not stored", "stored, not noted", "noted, not done"])
def test_interrupted_storing_is_finished_once_after_restart(stack: Stack, window: str) -> None:
    ref = f"received-{window.replace(' ', '-').replace(',', '')}"
    stack.offer(ref)
    offer = stack.wallet_offer()
    stored_id = stack.wallet.json("offers", "accept", offer["id"])["credential_id"]
    stack.wallet("agent", "stop").check()
    _wind_back(stack, offer["id"], window)
    stack.wallet.json("agent", "start")

    path = f"/issue-credential-2.0/records/{offer['id']}"
    record = eventually(lambda: (lambda r: r if r["cred_ex_record"]["state"] == "done"
                                 else None)(stack.holder_admin("GET", path)), timeout=60)
    mine = stack.credentials_with(ref)
    assert len(mine) == 1, mine
    if window != "not stored":
        assert mine[0]["id"] == stored_id  # the wallet's copy, not a second one
    assert record["indy"]["cred_id_stored"] == mine[0]["id"]
    received = [e for e in stack.wallet.json("history")
                if e["kind"] == "credential_received" and e.get("cred_ex_id") == offer["id"]]
    assert len(received) == 1, received
