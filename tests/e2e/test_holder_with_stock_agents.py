"""The citizen's wallet (our CLI) against stock ACA-Py issuer and verifier agents on the
embedded ledger: issuance, predicate proofs, selective disclosure, decline, revocation,
agent restart. Everything real: agents over HTTP, the ledger over ZMQ, AnonCreds."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from functools import partial

import pytest

from tests.e2e.stock_issuance import (
    IssuerSetup,
    connect_wallet,
    issuer_and_verifier,
    offer_income,
    publish_income_statement,
    request_proof,
    wait_verifier_state,
)
from tests.plugins.homes import CliHome, use_ledger
from tests.plugins.income import INCOME_RAW as OCTOBER
from tests.plugins.ledger import RunningLedger
from tests.plugins.stock_agents import StockAgent
from tests.plugins.waiting import eventually

pytestmark = pytest.mark.slow

PASSPHRASE = {"SSI_WALLET_PASSPHRASE": "correct horse battery staple"}


class Wallet(CliHome):
    """Our CLI on one data directory."""

    env = PASSPHRASE


@pytest.fixture(scope="module")
def agents(ledger: RunningLedger, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[dict[str, StockAgent]]:
    with issuer_and_verifier(ledger, tmp_path_factory.mktemp("stock"),
                             "Municipality of Eindhoven") as started:
        yield started


@pytest.fixture(scope="module")
def issuer(agents: dict[str, StockAgent]) -> IssuerSetup:
    return publish_income_statement(agents["issuer"], revocable=True)


@pytest.fixture(scope="module")
def wallet(ledger: RunningLedger, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wallet]:
    wallet = Wallet(tmp_path_factory.mktemp("citizen"))
    use_ledger(wallet, ledger)
    created = wallet.json("init", "--label", "Jan de Vries", "--no-keyring")
    assert created["key_storage"] == "passphrase"
    yield wallet
    wallet("agent", "stop")


@pytest.fixture(scope="module")
def connections(agents: dict[str, StockAgent], wallet: Wallet) -> dict[str, dict[str, str]]:
    ids: dict[str, dict[str, str]] = {}
    for role in ("issuer", "verifier"):
        connected, agent_side = connect_wallet(agents[role], wallet,
                                               agents[role].config.label or role)
        assert connected["state"] in ("active", "completed")
        assert connected["their_label"] == agents[role].config.label
        ids[role] = {"holder": connected["connection_id"], "agent": agent_side}
    return ids


@pytest.fixture(scope="module")
def credential_id(issuer: IssuerSetup, wallet: Wallet,
                  connections: dict[str, dict[str, str]]) -> str:
    offer_income(issuer, connections["issuer"]["agent"], OCTOBER)
    offers = _eventually(lambda: wallet.json("offers", "list"))
    assert len(offers) == 1
    offer = offers[0]
    assert offer["connection_id"] == connections["issuer"]["holder"]
    assert offer["cred_def_id"] == issuer.cred_def_id
    assert offer["attributes"] == OCTOBER
    shown = wallet("offers", "show", offer["id"]).check().stdout
    assert "EUR 1,234.00" in shown and "October 2026" in shown and "RideCo Payroll" in shown
    accepted = wallet.json("offers", "accept", offer["id"])
    assert accepted["credential_id"]
    return accepted["credential_id"]


def test_an_offer_taken_or_unknown_is_refused_plainly(credential_id: str,
                                                     wallet: Wallet) -> None:
    """Accepting is one call into the wallet's agent; its refusals still read as the
    user's mistake (exit 2) or a missing offer (exit 1), one line, no traceback."""
    from ssi_wallet.holder.agent import holder_client

    with holder_client(wallet.path) as client:
        found = client.get("/issue-credential-2.0/records", params={"role": "holder"})
    (taken,) = [r["cred_ex_record"] for r in found["results"]]
    assert taken["state"] == "done"
    again = wallet("offers", "accept", taken["cred_ex_id"])
    assert again.returncode == 2, again.stderr
    assert "is done, not open" in again.stderr and "Traceback" not in again.stderr
    unknown = wallet("offers", "accept", "3f1c0d5e-0000-4000-8000-000000000000")
    assert unknown.returncode == 1, unknown.stderr
    assert "no offer 3f1c0d5e-0000-4000-8000-000000000000" in unknown.stderr
    assert [c["id"] for c in wallet.json("credentials", "list")] == [credential_id]


def _income_below_1500(issuer: IssuerSetup) -> dict:
    """The predicate-only request: net income below EUR 1,500.00, nothing revealed."""
    return {"income": {"name": "net_income_cents", "p_type": "<", "p_value": 150000,
                       "restrictions": [{"cred_def_id": issuer.cred_def_id}]}}


def test_offer_accepted_and_listed_with_the_right_values(credential_id: str,
                                                         issuer: IssuerSetup,
                                                         wallet: Wallet) -> None:
    creds = wallet.json("credentials", "list")
    assert [c["id"] for c in creds] == [credential_id]
    assert creds[0]["cred_def_id"] == issuer.cred_def_id
    assert creds[0]["attributes"] == OCTOBER
    assert wallet.json("offers", "list") == []
    assert wallet.json("credentials", "show", credential_id)["attributes"] == OCTOBER
    shown = wallet("credentials", "list").check().stdout  # the table, drawn without rich
    assert shown.startswith("Credentials (1)\n")
    assert credential_id in shown and issuer.cred_def_id.split(":")[0] in shown
    assert "revocable" in shown


def test_predicate_only_proof_reveals_nothing(agents, issuer, wallet, connections,
                                              credential_id) -> None:
    verifier = agents["verifier"]
    pres_ex_id = request_proof(verifier, connections["verifier"]["agent"],
                               predicates=_income_below_1500(issuer))
    request_id = _open_request(wallet)
    preview = wallet.json("requests", "show", request_id)
    assert preview["ready"] is True
    assert preview["revealed"] == {}
    assert preview["predicates"][0]["description"] == (
        "net income for October 2026 is below EUR 1,500.00; the amount itself stays hidden")
    assert preview["predicates"][0]["credential_id"] == credential_id
    assert preview["verifier"]["label"] == "Municipality of Eindhoven"
    sent = wallet.json("requests", "present", request_id, "--yes")
    assert sent["revealed"] == {}
    record = wait_verifier_state(verifier, pres_ex_id, ("done", "abandoned"))
    assert record["verified"] == "true"
    proof = record["by_format"]["pres"]["indy"]["requested_proof"]
    assert proof["revealed_attrs"] == {}
    assert list(proof["predicates"]) == ["income"]


def test_one_revealed_attribute_reveals_that_one_only(agents, issuer, wallet, connections,
                                                      credential_id) -> None:
    verifier = agents["verifier"]
    pres_ex_id = request_proof(verifier, connections["verifier"]["agent"], attributes={
        "employer": {"name": "employer_name",
                     "restrictions": [{"cred_def_id": issuer.cred_def_id}]}})
    request_id = _open_request(wallet)
    preview = wallet("requests", "show", request_id).check().stdout
    assert "reveals employer_name = RideCo" in preview
    wallet("requests", "present", request_id, "--yes").check()
    record = wait_verifier_state(verifier, pres_ex_id, ("done", "abandoned"))
    assert record["verified"] == "true"
    revealed = record["by_format"]["pres"]["indy"]["requested_proof"]["revealed_attrs"]
    assert {ref: value["raw"] for ref, value in revealed.items()} == {"employer": "RideCo"}
    history = wallet.json("history")
    disclosures = [e for e in history if e["kind"] == "disclosure"]
    assert disclosures[-1]["revealed"] == {"employer_name": "RideCo"}
    assert disclosures[-2]["revealed"] == {}
    assert disclosures[-2]["predicates"] == [
        {"name": "net_income_cents", "p_type": "<", "p_value": 150000}]
    (received,) = [e for e in history if e["kind"] == "credential_received"
                   and e["credential_id"] == credential_id]
    assert received["cred_def_id"] == issuer.cred_def_id
    assert sorted(received["attributes"]) == sorted(OCTOBER)
    assert received["counterparty"] == agents["issuer"].config.label
    assert disclosures[-1]["counterparty"] == "Municipality of Eindhoven"
    assert disclosures[-1]["cred_def_ids"] == [issuer.cred_def_id]
    assert disclosures[-1]["pres_ex_id"] and disclosures[-1]["connection_id"] == (
        connections["verifier"]["holder"])


def test_decline_reaches_the_verifier_as_abandoned(agents, wallet, connections,
                                                   credential_id) -> None:
    verifier = agents["verifier"]
    pres_ex_id = request_proof(verifier, connections["verifier"]["agent"], attributes={
        "ref": {"name": "employee_ref"}})
    request_id = _open_request(wallet)
    wallet("requests", "decline", request_id, "--reason", "not needed").check()
    record = wait_verifier_state(verifier, pres_ex_id, ("abandoned",))
    assert record["state"] == "abandoned"
    assert any(e["kind"] == "declined" for e in wallet.json("history"))


def test_agent_restart_keeps_everything(wallet, credential_id) -> None:
    before = wallet.json("credentials", "list")
    history = wallet.json("history")
    assert wallet.json("agent", "stop")["stopped"] is True
    assert wallet.json("agent", "status")["running"] is False
    assert wallet.json("agent", "start")["started"] is True
    assert wallet.json("credentials", "list") == before
    assert wallet.json("history") == history


def test_standing_consent_answers_same_scope_only(agents, issuer, wallet, connections,
                                                 credential_id) -> None:
    verifier, conn = agents["verifier"], connections["verifier"]
    predicate = {"income": {"name": "net_income_cents", "p_type": "<", "p_value": 150000,
                            "restrictions": [{"cred_def_id": issuer.cred_def_id}]}}
    month = {"month": {"name": "month",
                       "restrictions": [{"cred_def_id": issuer.cred_def_id}]}}
    first = request_proof(verifier, conn["agent"], attributes=month, predicates=predicate,
                          name="income-check")
    wallet("requests", "present", _open_request(wallet), "--yes").check()
    assert wait_verifier_state(verifier, first, ("done",))["verified"] == "true"
    consent = wallet.json("consent", "grant", "--connection", conn["holder"],
                          "--policy", "income-check", "--until", "2099-12-31")
    assert consent["state"] == "active"

    # Same scope: answered by the wallet's agent with no command running.
    second = request_proof(verifier, conn["agent"], attributes=month, predicates=predicate,
                           name="income-check")
    record = wait_verifier_state(verifier, second, ("done", "abandoned"))
    assert record["verified"] == "true"
    assert wallet.json("requests", "list") == []
    answered = [e for e in wallet.json("history") if e.get("pres_ex_id")
                and e["kind"] == "disclosure" and e.get("consent_id") == consent["id"]]
    assert len(answered) == 1 and answered[0]["revealed"] == {"month": "202610"}

    # One attribute more: waits for the citizen.
    more = {**month, "employer": {"name": "employer_name",
                                  "restrictions": [{"cred_def_id": issuer.cred_def_id}]}}
    third = request_proof(verifier, conn["agent"], attributes=more, predicates=predicate,
                          name="income-check")
    waiting = _open_request(wallet)
    time.sleep(2)  # give the consent check every chance to (wrongly) answer
    assert verifier.admin.get(f"/present-proof-2.0/records/{third}")["state"] == "request-sent"
    wallet("requests", "decline", waiting).check()

    # After revoking, the same scope is no longer answered automatically.
    wallet("consent", "revoke", consent["id"]).check()
    fourth = request_proof(verifier, conn["agent"], attributes=month, predicates=predicate,
                           name="income-check")
    pending = _open_request(wallet)
    time.sleep(2)
    assert verifier.admin.get(f"/present-proof-2.0/records/{fourth}")["state"] == "request-sent"
    assert [c["state"] for c in wallet.json("consent", "list")] == ["revoked"]
    wallet("requests", "decline", pending).check()


def test_revocation_is_seen_and_never_used_silently(agents, issuer, wallet, connections,
                                                    credential_id) -> None:
    issuer_agent, verifier = agents["issuer"], agents["verifier"]
    record = issuer_agent.admin.get("/issue-credential-2.0/records",
                                    params={"role": "issuer"})["results"][0]
    indy = record["indy"]
    issuer_agent.admin.post("/revocation/revoke", {
        "rev_reg_id": indy["rev_reg_id"], "cred_rev_id": indy["cred_rev_id"], "publish": True})
    statuses = wallet.json("credentials", "status")
    assert [(s["id"], s["revoked"], s["valid"]) for s in statuses] == [
        (credential_id, True, False)]
    time.sleep(1)  # the request's non-revocation time must be after the revocation
    pres_ex_id = request_proof(verifier, connections["verifier"]["agent"],
                               predicates=_income_below_1500(issuer))
    request_id = _open_request(wallet)
    preview = wallet.json("requests", "show", request_id)
    assert preview["ready"] is False
    assert "revoked" in preview["problems"][0]
    refused = wallet("requests", "present", request_id, "--yes")
    assert refused.returncode != 0
    assert "revoked" in refused.stderr
    wallet("requests", "decline", request_id).check()
    record = wait_verifier_state(verifier, pres_ex_id, ("abandoned", "done"))
    assert record.get("verified") != "true"


def _open_request(wallet: Wallet) -> str:
    requests = _eventually(lambda: wallet.json("requests", "list"))
    assert len(requests) == 1, json.dumps(requests)
    return requests[0]["id"]


_eventually = partial(eventually, timeout=20.0)  # until the message has crossed
