# ruff: noqa: F811 - the fixtures imported below are used by name as arguments
"""The wallet's choice among several matching credentials, and consented answers made
several at once inside the wallet's agent, against stock ACA-Py issuer and verifier
agents on the embedded ledger (real AnonCreds, real revocation)."""

from __future__ import annotations

import time

import pytest

from tests.e2e.stock_issuance import offer_income, request_proof, wait_verifier_state
from tests.e2e.test_holder_with_stock_agents import (  # noqa: F401 - module fixtures
    OCTOBER,
    Wallet,
    _eventually,
    _open_request,
    agents,
    connections,
    issuer,
    wallet,
)

pytestmark = pytest.mark.slow

MONTHS = ("202608", "202609", "202610")  # received in this order; the last gets revoked
POLICY = "income-check"


def _request(agents, issuer, connections) -> str:
    cred_def = [{"cred_def_id": issuer.cred_def_id}]
    return request_proof(
        agents["verifier"], connections["verifier"]["agent"], name=POLICY,
        attributes={"month": {"name": "month", "restrictions": cred_def}},
        predicates={"income": {"name": "net_income_cents", "p_type": "<",
                               "p_value": 150000, "restrictions": cred_def}})


@pytest.fixture(scope="module")
def received(issuer, wallet: Wallet, connections) -> dict[str, str]:
    """month -> credential id, three statements accepted one after another."""
    ids = {}
    for month in MONTHS:
        offer_income(issuer, connections["issuer"]["agent"], {**OCTOBER, "month": month})
        offers = _eventually(lambda: wallet.json("offers", "list"))
        assert len(offers) == 1
        ids[month] = wallet.json("offers", "accept", offers[0]["id"])["credential_id"]
    return ids


def test_newest_valid_credential_is_chosen_and_a_revoked_one_skipped_with_a_notice(
        agents, issuer, wallet, connections, received) -> None:
    plan = _plan_now(agents, issuer, connections, wallet)
    assert plan["ready"] is True
    assert [c["credential_id"] for c in plan["attributes"] + plan["predicates"]] == [
        received["202610"]] * 2
    assert plan["attributes"][0]["candidates"] == 3
    wallet("requests", "decline", plan["id"]).check()

    record = agents["issuer"].admin.get("/issue-credential-2.0/records",
                                        params={"role": "issuer"})["results"]
    newest = next(r for r in record if _month_of(r) == "202610")["indy"]
    agents["issuer"].admin.post("/revocation/revoke", {
        "rev_reg_id": newest["rev_reg_id"], "cred_rev_id": newest["cred_rev_id"],
        "publish": True})
    time.sleep(1)  # the request's non-revocation time must be after the revocation

    plan = _plan_now(agents, issuer, connections, wallet)
    assert plan["ready"] is True, plan["problems"]
    chosen = plan["attributes"][0]
    assert chosen["credential_id"] == received["202609"]
    assert chosen["revealed"] == {"month": "202609"}
    assert chosen["skipped"] == [{"credential_id": received["202610"],
                                  "reason": "revoked by its issuer"}]
    assert plan["predicates"][0]["credential_id"] == received["202609"]
    wallet("requests", "present", plan["id"], "--yes").check()
    pres_ex_id = plan["verifier_pres_ex_id"]
    proof = wait_verifier_state(agents["verifier"], pres_ex_id, ("done", "abandoned"))
    assert proof["verified"] == "true"
    revealed = proof["by_format"]["pres"]["indy"]["requested_proof"]["revealed_attrs"]
    assert revealed["month"]["raw"] == "202609"


def test_four_requests_at_once_are_each_answered_once_under_consent(
        agents, issuer, wallet, connections, received) -> None:
    consent = wallet.json("consent", "grant", "--connection", connections["verifier"]["holder"],
                          "--policy", POLICY, "--until", "2099-12-31")
    sent = [_request(agents, issuer, connections) for _ in range(4)]
    for pres_ex_id in sent:
        record = wait_verifier_state(agents["verifier"], pres_ex_id, ("done", "abandoned"),
                                     timeout=120)
        assert record["verified"] == "true", record.get("error_msg")
        revealed = record["by_format"]["pres"]["indy"]["requested_proof"]["revealed_attrs"]
        assert revealed["month"]["raw"] == "202609"  # the newest valid one, still
    assert wallet.json("requests", "list") == []
    answered = [e for e in wallet.json("history")
                if e["kind"] == "disclosure" and e.get("consent_id") == consent["id"]]
    assert len(answered) == 4
    assert len({e["pres_ex_id"] for e in answered}) == 4


def _plan_now(agents, issuer, connections, wallet: Wallet) -> dict:
    pres_ex_id = _request(agents, issuer, connections)
    plan = wallet.json("requests", "show", _open_request(wallet))
    plan["verifier_pres_ex_id"] = pres_ex_id
    return plan


def _month_of(record: dict) -> str | None:
    preview = (record.get("cred_ex_record") or {}).get("cred_offer", {}).get(
        "credential_preview", {})
    return next((a["value"] for a in preview.get("attributes", []) if a["name"] == "month"),
                None)
