"""Ledger test helpers: signing stock indy-vdr requests, and a 1- and 4-node ledger.

The ledger fixtures themselves come from tests/plugins/ledger.py (a root plugin).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.plugins.ledger import RunningLedger


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def sign(req: Any, *signers: Any) -> Any:
    """Sign a stock indy_vdr Request: one signer -> signature, several -> signatures."""
    if len(signers) == 1:
        req.set_signature(signers[0].sign(req.signature_input))
    else:
        for kp in signers:
            req.set_multi_signature(kp.did, kp.sign(req.signature_input))
    return req


def nym_request(author: Any, target: Any, role: str | None = None,
                abbreviated: bool = False) -> Any:
    """A NYM for ``target`` (with its full or abbreviated verkey), signed by ``author``."""
    from indy_vdr import ledger as vl

    verkey = target.abbreviated_verkey if abbreviated else target.verkey
    return sign(vl.build_nym_request(author.did, target.did, verkey, None, role), author)


def schema_request(issuer: Any, name: str, attrs: list[str], version: str = "1.0") -> Any:
    """A signed SCHEMA `name` with `attrs`, written by `issuer`."""
    from indy_vdr import ledger as vl

    schema = {"ver": "1.0", "id": f"{issuer.did}:2:{name}:{version}", "name": name,
              "version": version, "attrNames": attrs, "seqNo": None}
    return sign(vl.build_schema_request(issuer.did, schema), issuer)


def cred_def_request(issuer: Any, schema_seq: int | str, tag: str) -> Any:
    """A signed CLAIM_DEF for the schema at ``schema_seq``, with a stand-in key: enough
    for the ledger, which checks who writes it and what it points at, not the key."""
    from indy_vdr import ledger as vl

    cred_def = {
        "ver": "1.0",
        "id": f"{issuer.did}:3:CL:{schema_seq}:{tag}",
        "schemaId": str(schema_seq),
        "type": "CL",
        "tag": tag,
        "value": {"primary": {"n": "1"}},
    }
    return sign(vl.build_cred_def_request(issuer.did, cred_def), issuer)


async def submit(pool: Any, req: Any) -> dict:
    return await pool.submit_request(req)


async def refused(pool: Any, req: Any) -> str:
    """Submit a request that must be refused; return the node's reason."""
    from indy_vdr import VdrError

    with pytest.raises(VdrError) as info:
        await pool.submit_request(req)
    err = info.value
    extra = getattr(err, "extra", None) or ""
    try:
        return json.loads(extra).get("reason", str(err))
    except (ValueError, AttributeError):
        return f"{err} {extra}"


@pytest.fixture(scope="session", params=[1, 4], ids=["1node", "4nodes"])
def any_ledger(
    request: pytest.FixtureRequest, session_ledger_factory: Any, ledger: RunningLedger
) -> Any:
    """The shared 4-node ledger, and a 1-node one."""
    if request.param == 4:
        return ledger
    return session_ledger_factory(nodes=1)
