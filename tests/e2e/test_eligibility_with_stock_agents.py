"""Proactive eligibility against stock ACA-Py agents on the embedded ledger: a signed
scheme catalogue, a notice when a qualifying credential arrives, local verdicts,
applying from the wallet, and a request that asks more than its stated purpose."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ssi_wallet.catalogue import load_document, sign_document
from tests.e2e.stock_issuance import connection_for, invitation_url, wait_verifier_state
from tests.e2e.test_holder_with_stock_agents import PASSPHRASE, Wallet, _eventually
from tests.plugins.cli import cli_env
from tests.plugins.ledger import RunningLedger, new_identity
from tests.plugins.stock_agents import AgentConfig, StockAgent, start_stock_agent

pytestmark = pytest.mark.slow
ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def parties(ledger: RunningLedger, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[dict]:
    root = tmp_path_factory.mktemp("parties")
    lung_id, svb_id = new_identity("ENDORSER"), new_identity("ENDORSER")
    for ident in (lung_id, svb_id):
        ledger.service.register(ident.did, ident.verkey, "ENDORSER")
    agents: dict[str, StockAgent] = {}
    try:
        agents["lung"] = start_stock_agent(root / "lung", AgentConfig(
            role="issuer", label="Lung specialist", genesis_path=ledger.genesis_path,
            seed=lung_id.seed))
        agents["svb"] = start_stock_agent(root / "svb", AgentConfig(
            role="verifier", label="SVB", genesis_path=ledger.genesis_path, seed=svb_id.seed))
        lung = agents["lung"].admin
        creddefs = {}
        for name, attrs in (("MedicalDeclaration", ["diagnosis_code", "diagnosis_date",
                                                    "specialist_ref", "issue_date"]),
                            ("IncomeStatement", ["month", "net_income_cents"])):
            schema = lung.post("/schemas", {"schema_name": name, "schema_version": "1.0",
                                            "attributes": attrs})
            schema_id = schema.get("schema_id") or schema["sent"]["schema_id"]
            creddef = lung.post("/credential-definitions", {"schema_id": schema_id,
                                                            "tag": "default"}, timeout=120)
            creddefs[name] = creddef.get("credential_definition_id") or creddef["sent"][
                "credential_definition_id"]
        yield {"agents": agents, "svb_seed": svb_id.seed, "svb_did": svb_id.did,
               "creddefs": creddefs, "root": root}
    finally:
        for agent in agents.values():
            agent.stop()


@pytest.fixture(scope="module")
def wallet(ledger: RunningLedger, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wallet]:
    wallet = Wallet(tmp_path_factory.mktemp("citizen"))
    wallet("config", "set", "ledger.genesis", ledger.genesis_path).check()
    wallet.json("init", "--label", "Piet Jansen", "--no-keyring")
    yield wallet
    wallet("agent", "stop")


@pytest.fixture(scope="module")
def schemes(parties, wallet) -> dict[str, Path]:
    svb = parties["agents"]["svb"]
    url, invi_msg_id = invitation_url(svb, "SVB")
    tas = load_document(ROOT / "examples" / "schemes" / "svb-tas.yaml")
    tas["apply"]["invitation_url"] = url
    income = {"scheme": "svb-income-test", "agency": {"name": "SVB"},
              "description": {"en": "Income support test"},
              "credential": {"schema_name": "IncomeStatement"},
              "conditions": [{"attribute": "net_income", "<": "1500.00 EUR"}],
              "asks": {"predicates": ["net_income"]}}
    paths = {}
    for name, doc in (("tas", tas), ("income", income)):
        paths[name] = parties["root"] / f"{name}.json"
        paths[name].write_text(json.dumps(sign_document(doc, parties["svb_seed"])))
    paths["invi_msg_id"] = invi_msg_id
    return paths


def test_a_tampered_catalogue_is_rejected(schemes, wallet, parties) -> None:
    doc = json.loads(schemes["tas"].read_text())
    doc["conditions"][0]["in"].append("J45")  # asthma sneaks in
    tampered = parties["root"] / "tampered.json"
    tampered.write_text(json.dumps(doc))
    result = wallet("schemes", "add", str(tampered))
    assert result.returncode == 1
    assert "signature does not match" in result.stderr
    assert wallet.json("schemes", "list") == []


def test_schemes_added_after_the_ledger_check(schemes, wallet, parties) -> None:
    for name in ("tas", "income"):
        added = wallet.json("schemes", "add", str(schemes[name]))
        assert added["agency_did"] == parties["svb_did"]
    assert [s["id"] for s in wallet.json("schemes", "list")] == ["svb-income-test", "svb-tas"]
    verdicts = {v["scheme"]: v["status"] for v in wallet.json("eligibility")}
    assert verdicts == {"svb-tas": "possibly_eligible", "svb-income-test": "possibly_eligible"}


def _issue(parties, wallet, kind: str, values: dict[str, str]) -> str:
    lung = parties["agents"]["lung"]
    url, invi = invitation_url(lung, "Lung specialist")
    if not hasattr(_issue, "connection"):
        wallet.json("connect", url)
        _issue.connection = connection_for(lung, invi)
    lung.admin.post("/issue-credential-2.0/send-offer", {
        "connection_id": _issue.connection, "auto_issue": True, "auto_remove": False,
        "credential_preview": {"@type": "issue-credential/2.0/credential-preview",
                               "attributes": [{"name": k, "value": v}
                                              for k, v in values.items()]},
        "filter": {"indy": {"cred_def_id": parties["creddefs"][kind]}}})
    offer = _eventually(lambda: wallet.json("offers", "list"))[0]
    return wallet.json("offers", "accept", offer["id"])["credential_id"]


def test_asbestosis_makes_the_citizen_eligible_with_a_notice(schemes, wallet, parties) -> None:
    cred_id = _issue(parties, wallet, "MedicalDeclaration", {
        "diagnosis_code": "J61", "diagnosis_date": "20261015", "specialist_ref": "BIG-123",
        "issue_date": "20261020"})
    mention = _eventually(lambda: "1 new notice" in wallet("credentials", "list").stderr)
    assert mention
    notices = wallet.json("inbox")
    assert [(n["scheme_id"], n["credential_id"]) for n in notices] == [("svb-tas", cred_id)]
    assert "new notice" not in wallet("credentials", "list").stderr
    verdicts = {v["scheme"]: v for v in wallet.json("eligibility")}
    assert verdicts["svb-tas"]["status"] == "eligible"
    assert verdicts["svb-tas"]["credential_id"] == cred_id


def test_income_above_the_minimum_is_not_eligible(schemes, wallet, parties) -> None:
    _issue(parties, wallet, "IncomeStatement", {"month": "202611",
                                                "net_income_cents": "176000"})
    verdict = {v["scheme"]: v for v in wallet.json("eligibility")}["svb-income-test"]
    assert verdict["status"] == "not_eligible"
    assert verdict["reason"] == "not met: net_income < 1500.00 EUR"


def test_apply_from_the_wallet_and_over_asking_is_flagged(schemes, wallet, parties) -> None:
    svb = parties["agents"]["svb"]
    cdef = parties["creddefs"]["MedicalDeclaration"]
    applying = subprocess.Popen(
        [sys.executable, "-m", "ssi_wallet", "apply", "svb-tas", "--yes", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=cli_env(wallet.path, PASSPHRASE))
    try:
        conn = connection_for(svb, str(schemes["invi_msg_id"]))
        restr = [{"cred_def_id": cdef}]
        first = svb.admin.post("/present-proof-2.0/send-request", {
            "connection_id": conn, "auto_verify": True, "auto_remove": False,
            "presentation_request": {"indy": {
                "name": "asbestos-contribution", "version": "1.0",
                "requested_attributes": {
                    "code": {"name": "diagnosis_code", "restrictions": restr},
                    "date": {"name": "diagnosis_date", "restrictions": restr}},
                "requested_predicates": {}}}})["pres_ex_id"]
        out, errors = applying.communicate(timeout=90)
    finally:
        applying.kill()
    assert applying.returncode == 0, errors
    assert json.loads(out)["revealed"] == {"diagnosis_code": "J61",
                                           "diagnosis_date": "20261015"}
    assert wait_verifier_state(svb, first, ("done",))["verified"] == "true"

    greedy = svb.admin.post("/present-proof-2.0/send-request", {
        "connection_id": conn, "auto_verify": True, "presentation_request": {"indy": {
            "name": "asbestos-contribution", "version": "1.0",
            "requested_attributes": {
                "code": {"name": "diagnosis_code", "restrictions": restr},
                "doctor": {"name": "specialist_ref", "restrictions": restr}},
            "requested_predicates": {}}}})["pres_ex_id"]
    request_id = _eventually(lambda: wallet.json("requests", "list"))[0]["id"]
    preview = wallet.json("requests", "show", request_id)
    assert preview["flags"] == [
        "This request asks more than its stated purpose (svb-tas): asks for specialist_ref, "
        "which its stated purpose does not need"]
    human = wallet("requests", "show", request_id).check().stdout
    assert "asks more than its stated purpose" in human
    wallet("requests", "decline", request_id).check()
    assert wait_verifier_state(svb, greedy, ("abandoned",))["state"] == "abandoned"
    time.sleep(0)  # keep the module's order explicit: nothing else follows
