"""Test helpers that play an issuer and a verifier with stock ACA-Py agents, through
their admin APIs, configured by the tests (not by project code)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.plugins.homes import CliHome
from tests.plugins.income import INCOME_RAW
from tests.plugins.ledger import RunningLedger, new_identity
from tests.plugins.stock_agents import AgentConfig, StockAgent, start_stock_agent

INCOME_ATTRS = list(INCOME_RAW)


@contextmanager
def issuer_and_verifier(ledger: RunningLedger, root: Path,
                        verifier_label: str) -> Iterator[dict[str, StockAgent]]:
    """A stock issuer ("RideCo Payroll", a fresh DID registered as endorser, the ledger's
    tails server) and a stock verifier, both stopped afterwards."""
    issuer_id = new_identity("ENDORSER")
    ledger.service.register(issuer_id.did, issuer_id.verkey, "ENDORSER")
    started: dict[str, StockAgent] = {}
    try:
        started["issuer"] = start_stock_agent(root / "issuer", AgentConfig(
            role="issuer", label="RideCo Payroll", genesis_path=ledger.genesis_path,
            seed=issuer_id.seed, tails_server_url=ledger.tails_server_url))
        started["verifier"] = start_stock_agent(root / "verifier", AgentConfig(
            role="verifier", label=verifier_label, genesis_path=ledger.genesis_path))
        yield started
    finally:
        for agent in started.values():
            agent.stop()


@dataclass
class IssuerSetup:
    agent: StockAgent
    schema_id: str
    cred_def_id: str


def publish_income_statement(issuer: StockAgent, *, revocable: bool, version: str = "1.0",
                             registry_size: int = 10) -> IssuerSetup:
    schema = issuer.admin.post("/schemas", {"schema_name": "IncomeStatement",
                                            "schema_version": version,
                                            "attributes": INCOME_ATTRS})
    schema_id = schema.get("schema_id") or schema["sent"]["schema_id"]
    body: dict[str, Any] = {"schema_id": schema_id, "tag": "default",
                            "support_revocation": revocable}
    if revocable:
        body["revocation_registry_size"] = registry_size
    creddef = issuer.admin.post("/credential-definitions", body, timeout=120)
    cred_def_id = creddef.get("credential_definition_id") or creddef["sent"][
        "credential_definition_id"]
    if revocable:
        issuer.admin.wait_for(
            lambda: _active_registry(issuer, cred_def_id), timeout=90, interval=0.3)
    return IssuerSetup(issuer, schema_id, cred_def_id)


def _active_registry(agent: StockAgent, cred_def_id: str) -> bool:
    try:
        result = agent.admin.get(f"/revocation/active-registry/{cred_def_id}")
    except AssertionError:
        return False
    return (result.get("result") or {}).get("state") == "active"


def invitation_url(agent: StockAgent, label: str) -> tuple[str, str]:
    """An out-of-band invitation URL from a stock agent, and its message id."""
    invitation = agent.admin.post(
        "/out-of-band/create-invitation",
        {"handshake_protocols": ["https://didcomm.org/didexchange/1.0"],
         "use_public_did": False, "my_label": label},
        params={"auto_accept": "true"},
    )
    return invitation["invitation_url"], invitation["invi_msg_id"]


def connection_for(agent: StockAgent, invi_msg_id: str) -> str:
    def probe() -> str | None:
        results = agent.admin.get("/connections",
                                  params={"invitation_msg_id": invi_msg_id})["results"]
        active = [r for r in results if r["state"] in ("active", "completed")]
        return active[0]["connection_id"] if active else None

    return agent.admin.wait_for(probe, timeout=30)


def connect_wallet(agent: StockAgent, wallet: CliHome, label: str) -> tuple[dict, str]:
    """The citizen's wallet connects to a stock agent's invitation: what `connect`
    answered, and the agent's connection id once active."""
    url, invi_msg_id = invitation_url(agent, label)
    connected = wallet.json("connect", url)
    return connected, connection_for(agent, invi_msg_id)


def offer_income(issuer: IssuerSetup, connection_id: str, values: dict[str, str]) -> str:
    record = issuer.agent.admin.post("/issue-credential-2.0/send-offer", {
        "connection_id": connection_id,
        "auto_issue": True,
        "auto_remove": False,
        "credential_preview": {
            "@type": "issue-credential/2.0/credential-preview",
            "attributes": [{"name": k, "value": v} for k, v in values.items()],
        },
        "filter": {"indy": {"cred_def_id": issuer.cred_def_id}},
    })
    return record["cred_ex_id"]


def request_proof(verifier: StockAgent, connection_id: str, *,
                  attributes: dict[str, Any] | None = None,
                  predicates: dict[str, Any] | None = None,
                  non_revoked: bool = True, name: str = "proof") -> str:
    now = int(time.time())
    indy: dict[str, Any] = {
        "name": name, "version": "1.0",
        "requested_attributes": attributes or {},
        "requested_predicates": predicates or {},
    }
    if non_revoked:
        indy["non_revoked"] = {"from": now, "to": now}
    return send_proof_request(verifier, connection_id, indy)


def send_proof_request(verifier: StockAgent, connection_id: str, indy: dict[str, Any]) -> str:
    """The stock verifier sends an indy proof request (verified on arrival, record kept)."""
    record = verifier.admin.post("/present-proof-2.0/send-request", {
        "connection_id": connection_id, "auto_verify": True, "auto_remove": False,
        "presentation_request": {"indy": indy},
    })
    return record["pres_ex_id"]


def wait_verifier_state(verifier: StockAgent, pres_ex_id: str, states: tuple[str, ...],
                        timeout: float = 60) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        record = verifier.admin.get(f"/present-proof-2.0/records/{pres_ex_id}")
        return record if record["state"] in states else None

    return verifier.admin.wait_for(probe, timeout=timeout)
