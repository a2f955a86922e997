"""Tampered presentations are rejected: changed revealed values, a swapped credential
definition, a replay on another connection or against another nonce, a changed
predicate, a proof of a credential revoked since.

Set-up (all real): the embedded ledger, a stock ACA-Py issuer (revocable IncomeStatement)
and a stock ACA-Py verifier, our citizen wallet (CLI + its ACA-Py agent). The verifier
sends the request our policy code builds (`build_request`), the citizen presents it with
`ssi-wallet requests present`, the stock verifier verifies it (`verified: true`).

How the forgeries are submitted: an attacker controls what it sends (the presentation
message), not the verifier's code. We take the real presentation from the verifier's
record, alter it, and hand it to
  1. ACA-Py's own verifier code, `IndyCredxVerifier.verify_presentation` (what the stock
     verifier runs on a received presentation: pre-checks of the revealed raw values
     against their encodings, then indy-credx's cryptographic check), with the schema and
     credential definitions fetched from the stock verifier's admin API (from the ledger);
  2. our verifier's decision check, `ssi_wallet.agency.policy.check_presentation`, with
     the altered record as the agency's runtime would read it from the agent.
A forgery must fail (1) — and where it would only be caught by policy (another
connection, another request), (2) must refuse it.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.stock_issuance import (
    connect_wallet,
    issuer_and_verifier,
    offer_income,
    publish_income_statement,
    send_proof_request,
    wait_verifier_state,
)
from tests.plugins.homes import CliHome, use_ledger
from tests.plugins.income import INCOME_RAW as OCTOBER
from tests.plugins.ledger import RunningLedger
from tests.plugins.waiting import eventually as _eventually

pytestmark = pytest.mark.slow

PASSPHRASE = {"SSI_WALLET_PASSPHRASE": "tampering test passphrase"}


class Wallet(CliHome):
    env = PASSPHRASE


@pytest.fixture(scope="module")
def setup(ledger: RunningLedger, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    root = tmp_path_factory.mktemp("tamper")
    wallet = Wallet(root / "citizen")
    wallet.path.mkdir(mode=0o700)
    with issuer_and_verifier(ledger, root, "Municipality") as agents:
        try:
            issuer = publish_income_statement(agents["issuer"], revocable=True)
            other = agents["issuer"].admin.post(
                "/credential-definitions",
                {"schema_id": issuer.schema_id, "tag": "other", "support_revocation": False},
                timeout=120,
            )
            other_cred_def = (
                other.get("credential_definition_id") or other["sent"]["credential_definition_id"]
            )
            use_ledger(wallet, ledger)
            wallet.json("init", "--label", "Jan", "--no-keyring")
            conns = {}
            for role in ("issuer", "verifier"):
                connected, agent_side = connect_wallet(agents[role], wallet, role)
                conns[role] = {"holder": connected["connection_id"], "agent": agent_side}
            offer_income(issuer, conns["issuer"]["agent"], OCTOBER)
            offer = _eventually(lambda: wallet.json("offers", "list"))[0]
            cred_id = wallet.json("offers", "accept", offer["id"])["credential_id"]
            yield {
                "agents": agents,
                "wallet": wallet,
                "issuer": issuer,
                "conns": conns,
                "other_cred_def": other_cred_def,
                "cred_id": cred_id,
            }
        finally:
            wallet("agent", "stop")


def _policy(cred_def_id: str, *, non_revoked: bool = False):
    from ssi_wallet.agency.policy import parse_policy_text

    return parse_policy_text(
        "name: tamper\ncredential: IncomeStatement\nreveal: [month, employer_name]\n"
        "prove:\n  - net_income < 1500.00 EUR\n"
        f"trusted_issuers:\n  - cred_def_id: {cred_def_id}\n"
        f"non_revoked: {'true' if non_revoked else 'false'}\n"
    )


def _present(setup: dict, request: dict[str, Any]) -> dict[str, Any]:
    """The stock verifier sends `request`; the citizen presents; the verifier's record."""
    verifier, wallet = setup["agents"]["verifier"], setup["wallet"]
    pres_ex_id = send_proof_request(verifier, setup["conns"]["verifier"]["agent"], request)
    open_ = _eventually(lambda: wallet.json("requests", "list"))
    wallet.json("requests", "present", open_[0]["id"], "--yes")
    return wait_verifier_state(verifier, pres_ex_id, ("done", "abandoned"))


@pytest.fixture(scope="module")
def genuine(setup: dict) -> dict[str, Any]:
    from ssi_wallet.agency.policy import build_request

    policy = _policy(setup["issuer"].cred_def_id)
    built = build_request(policy, None)
    record = _present(setup, built.request)
    assert record["state"] == "done" and record["verified"] == "true", record
    return {"policy": policy, "sent": built.request, "record": record}


def _ledger_objects(setup: dict, proof: dict[str, Any], extra_cred_defs=()) -> tuple[dict, dict]:
    admin = setup["agents"]["verifier"].admin
    schemas, cred_defs = {}, {}
    for ident in proof["identifiers"]:
        schemas[ident["schema_id"]] = admin.get(f"/schemas/{ident['schema_id']}")["schema"]
    for cd in {i["cred_def_id"] for i in proof["identifiers"]} | set(extra_cred_defs):
        cred_defs[cd] = admin.get(f"/credential-definitions/{cd}")["credential_definition"]
    return schemas, cred_defs


def _acapy_verify(pres_req: dict, pres: dict, schemas: dict, cred_defs: dict) -> tuple[bool, list]:
    """ACA-Py 0.12.8's verifier code, in process (the stock verifier runs the same)."""
    from aries_cloudagent.core.in_memory import InMemoryProfile
    from aries_cloudagent.indy.credx.verifier import IndyCredxVerifier
    from aries_cloudagent.ledger.multiple_ledger.ledger_requests_executor import (
        IndyLedgerRequestsExecutor,
    )

    profile = InMemoryProfile.test_profile()
    # ACA-Py's timestamp pre-check reads each identifier's credential definition from the
    # ledger; it gets the same definitions (fetched from the ledger by the stock verifier
    # above), so only the transport differs from the stock agent's run.
    profile.context.injector.bind_instance(
        IndyLedgerRequestsExecutor, _DefinitionsFromLedger(cred_defs)
    )
    verifier = IndyCredxVerifier(profile)
    return asyncio.run(
        verifier.verify_presentation(
            copy.deepcopy(pres_req), copy.deepcopy(pres), schemas, cred_defs, {}, {}
        )
    )


class _DefinitionsFromLedger:
    """What ACA-Py's verifier asks of its ledger executor, answered with definitions that
    were read from the ledger (unknown ones are absent, as on the ledger)."""

    def __init__(self, cred_defs: dict[str, Any]) -> None:
        self.cred_defs = cred_defs

    async def get_ledger_for_identifier(self, identifier: str, txn_record_type=None):
        return None, self

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def get_credential_definition(self, cred_def_id: str):
        return self.cred_defs.get(cred_def_id)


def _parts(record: dict) -> tuple[dict, dict]:
    return (
        copy.deepcopy(record["by_format"]["pres_request"]["indy"]),
        copy.deepcopy(record["by_format"]["pres"]["indy"]),
    )


def _policy_problems(genuine: dict, record: dict, connection_id: str | None = None) -> list:
    from ssi_wallet.agency.policy import check_presentation

    facts = check_presentation(
        genuine["policy"], None, sent=genuine["sent"], record=record, connection_id=connection_id
    )
    return [] if facts.accepted else facts.problems or ["not accepted"]


def test_the_genuine_presentation_verifies_both_ways(setup, genuine) -> None:
    pres_req, pres = _parts(genuine["record"])
    verified, _ = _acapy_verify(pres_req, pres, *_ledger_objects(setup, pres))
    assert verified is True
    assert _policy_problems(genuine, genuine["record"], setup["conns"]["verifier"]["agent"]) == []


@pytest.mark.parametrize("change", ["raw_only", "raw_and_encoded"])
def test_changed_revealed_value_is_rejected(setup, genuine, change) -> None:
    pres_req, pres = _parts(genuine["record"])
    group = pres["requested_proof"]["revealed_attr_groups"]["reveal"]["values"]
    group["month"]["raw"] = "202611"
    if change == "raw_and_encoded":
        group["month"]["encoded"] = "202611"
    verified, messages = _acapy_verify(pres_req, pres, *_ledger_objects(setup, pres))
    assert verified is False, messages


def test_changed_employer_name_is_rejected(setup, genuine) -> None:
    pres_req, pres = _parts(genuine["record"])
    group = pres["requested_proof"]["revealed_attr_groups"]["reveal"]["values"]
    group["employer_name"]["raw"] = "Government of the Netherlands"
    verified, _ = _acapy_verify(pres_req, pres, *_ledger_objects(setup, pres))
    assert verified is False


def test_swapped_credential_definition_is_rejected(setup, genuine) -> None:
    pres_req, pres = _parts(genuine["record"])
    other = setup["other_cred_def"]
    for ident in pres["identifiers"]:
        ident["cred_def_id"] = other
    schemas, cred_defs = _ledger_objects(setup, pres)
    assert list(cred_defs) == [other]
    verified, _ = _acapy_verify(pres_req, pres, schemas, cred_defs)
    assert verified is False
    # and a record claiming the other definition is refused by policy even if "verified"
    record = copy.deepcopy(genuine["record"])
    record["by_format"]["pres"]["indy"] = pres
    assert _policy_problems(genuine, record)


def test_presentation_replayed_against_another_nonce_is_rejected(setup, genuine) -> None:
    pres_req, pres = _parts(genuine["record"])
    pres_req["nonce"] = str(int(pres_req["nonce"]) + 1)
    verified, _ = _acapy_verify(pres_req, pres, *_ledger_objects(setup, pres))
    assert verified is False
    record = copy.deepcopy(genuine["record"])
    record["by_format"]["pres_request"]["indy"] = pres_req
    assert any("nonce" in p for p in _policy_problems(genuine, record))


def test_presentation_replayed_on_another_connection_is_rejected(setup, genuine) -> None:
    """The same verified record arriving on another connection: policy refuses it; and a
    new request on any connection has a new nonce the old proof cannot answer."""
    record = copy.deepcopy(genuine["record"])
    record["connection_id"] = "another-connection"
    problems = _policy_problems(genuine, record, setup["conns"]["verifier"]["agent"])
    assert any("another connection" in p for p in problems)
    from ssi_wallet.agency.policy import build_request

    fresh = build_request(genuine["policy"], None).request
    _, pres = _parts(genuine["record"])
    verified, _ = _acapy_verify(fresh, pres, *_ledger_objects(setup, pres))
    assert verified is False


def test_stricter_predicate_claim_is_rejected(setup, genuine) -> None:
    pres_req, pres = _parts(genuine["record"])
    for spec in pres_req["requested_predicates"].values():
        spec["p_value"] = 100000  # claim "below 1,000 EUR" with the "below 1,500" proof
    for ge in pres["proof"]["proofs"][0]["primary_proof"].get("ge_proofs", []):
        ge["predicate"]["value"] = 100000
    verified, _ = _acapy_verify(pres_req, pres, *_ledger_objects(setup, pres))
    assert verified is False


def test_self_attested_value_is_refused_by_policy(setup, genuine) -> None:
    record = copy.deepcopy(genuine["record"])
    proof = record["by_format"]["pres"]["indy"]
    proof["requested_proof"]["self_attested_attrs"] = {"reveal": "202610"}
    assert any("self-attested" in p for p in _policy_problems(genuine, record))


def test_proof_of_a_revoked_credential_is_rejected(setup, genuine) -> None:
    """After the issuer revokes: the citizen's wallet refuses to present it, and the
    presentation made before (without proof of non-revocation) does not pass a request
    or a policy that demands non-revocation."""
    issuer, wallet = setup["issuer"], setup["wallet"]
    records = issuer.agent.admin.get("/issue-credential-2.0/records")["results"]
    indy = next(r["indy"] for r in records if (r.get("indy") or {}).get("cred_rev_id"))
    issuer.agent.admin.post(
        "/revocation/revoke",
        {"rev_reg_id": indy["rev_reg_id"], "cred_rev_id": indy["cred_rev_id"], "publish": True},
    )
    from ssi_wallet.agency.policy import build_request

    strict = _policy(issuer.cred_def_id, non_revoked=True)
    time.sleep(2)  # the revocation entry's timestamp must precede the request's interval
    request = build_request(strict, None).request
    verifier = setup["agents"]["verifier"]
    pres_ex_id = send_proof_request(verifier, setup["conns"]["verifier"]["agent"], request)
    open_ = _eventually(
        lambda: (
            [r for r in wallet.json("requests", "list") if r["id"] != pres_ex_id]
            or wallet.json("requests", "list")
        )
    )
    preview = wallet.json("requests", "show", open_[0]["id"])
    assert preview["ready"] is False
    assert any("revoked" in p for p in preview["problems"]), preview["problems"]
    refused = wallet("requests", "present", open_[0]["id"], "--yes")
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    # the old proof (no non-revocation part) against the strict request and policy
    _, pres = _parts(genuine["record"])
    verified, _ = _acapy_verify(request, pres, *_ledger_objects(setup, pres))
    assert verified is False
    old = copy.deepcopy(genuine["record"])
    from ssi_wallet.agency.policy import check_presentation

    facts = check_presentation(strict, None, sent=request, record=old)
    assert not facts.accepted
