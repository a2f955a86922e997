"""Offers for credential definitions the citizen's ledger does not have (the agent-backed
part of the bad-input corpus: such an offer needs a real issuer to send it).

A stock ACA-Py issuer writes its schema and credential definition to a second embedded
ledger, not the one the citizen's wallet uses; its DID is on the citizen's ledger too, so
the only thing missing there is the definition the offer points at. A second stock
issuer on the citizen's own ledger shows that the wallet keeps working afterwards.

Checked, as for every corpus case: `offers list` and `offers show` mark the offer,
`offers accept` ends with exit 1 and one error line (also with --json), no traceback,
nothing is sent to the issuer and nothing is stored; the offer can be declined.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.stock_issuance import (
    IssuerSetup,
    connect_wallet,
    offer_income,
    publish_income_statement,
)
from tests.hardening.test_corpus import check_one_error
from tests.hardening.test_tampering import OCTOBER as VALUES
from tests.hardening.test_tampering import Wallet as Citizen
from tests.plugins.ledger import new_identity
from tests.plugins.stock_agents import AgentConfig, start_stock_agent

pytestmark = pytest.mark.slow

MARK = "not on your ledger"


@pytest.fixture(scope="module")
def world(session_ledger_factory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    home_ledger, other_ledger = session_ledger_factory(nodes=1), session_ledger_factory(nodes=1)
    root = tmp_path_factory.mktemp("unknown-definitions")
    foreign_id, good_id = new_identity("ENDORSER"), new_identity("ENDORSER")
    for ledger, ident in ((other_ledger, foreign_id), (home_ledger, foreign_id),
                          (home_ledger, good_id)):
        ledger.service.register(ident.did, ident.verkey, "ENDORSER")
    configs = {
        "foreign": AgentConfig(role="issuer", label="Elsewhere Payroll", seed=foreign_id.seed,
                               genesis_path=other_ledger.genesis_path,
                               tails_server_url=other_ledger.tails_server_url),
        "good": AgentConfig(role="issuer", label="Home Payroll", seed=good_id.seed,
                            genesis_path=home_ledger.genesis_path,
                            tails_server_url=home_ledger.tails_server_url),
    }
    agents: dict = {}
    citizen = Citizen(root / "citizen")
    citizen.path.mkdir(mode=0o700)
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            started = dict(zip(configs, pool.map(
                lambda name: start_stock_agent(root / name, configs[name]), configs),
                strict=True))
        agents.update(started)
        with ThreadPoolExecutor(max_workers=2) as pool:
            issuers: dict[str, IssuerSetup] = dict(zip(agents, pool.map(
                lambda name: publish_income_statement(agents[name], revocable=False), agents),
                strict=True))
        citizen("config", "set", "ledger.genesis", home_ledger.genesis_path).check()
        citizen("config", "set", "ledger.tails_server_url",
                home_ledger.tails_server_url).check()
        citizen.json("init", "--label", "Jan", "--no-keyring")
        connections = {}
        for name, agent in agents.items():
            connections[name] = connect_wallet(agent, citizen, name)[1]
        cred_ex_id = offer_income(issuers["foreign"], connections["foreign"], VALUES)
        offer = _wait(lambda: [o for o in citizen.json("offers", "list")
                               if o["cred_def_id"] == issuers["foreign"].cred_def_id])[0]
        yield {"citizen": citizen, "issuers": issuers, "connections": connections,
               "offer": offer, "cred_ex_id": cred_ex_id}
    finally:
        citizen("agent", "stop")
        for agent in agents.values():
            agent.stop()


def _wait(probe, timeout: float = 60.0):
    import time

    deadline = time.monotonic() + timeout
    while not (value := probe()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.5)
    return value


def _issuer_state(world: dict) -> str:
    agent = world["issuers"]["foreign"].agent
    return agent.admin.get(f"/issue-credential-2.0/records/{world['cred_ex_id']}")[
        "cred_ex_record"]["state"]


def test_list_and_show_mark_the_offer(world: dict) -> None:
    citizen, offer = world["citizen"], world["offer"]
    assert offer["on_ledger"] is False
    listed = citizen("offers", "list").check()
    assert MARK in " ".join(listed.stdout.split()) and "Traceback" not in listed.stderr
    shown = " ".join(citizen("offers", "show", offer["id"]).check().stdout.split())
    assert MARK in shown and f"offers decline {offer['id']}" in shown
    assert citizen.json("offers", "show", offer["id"])["on_ledger"] is False


@pytest.mark.parametrize("json_out", [False, True], ids=["human", "json"])
def test_accept_is_one_clear_error_and_stores_nothing(world: dict, json_out: bool) -> None:
    citizen, offer = world["citizen"], world["offer"]
    before = citizen.json("credentials", "list")
    args = ["offers", "accept", offer["id"]] + (["--json"] if json_out else [])
    check_one_error(citizen(*args), 1, MARK, "accept of an unknown definition",
                    json_out=json_out)
    assert citizen.json("credentials", "list") == before
    assert [o["state"] for o in citizen.json("offers", "list") if o["id"] == offer["id"]] == [
        "offer-received"]
    assert _issuer_state(world) == "offer-sent", "a credential request reached the issuer"


def test_declined_and_the_wallet_keeps_working(world: dict) -> None:
    citizen, offer = world["citizen"], world["offer"]
    citizen.json("offers", "decline", offer["id"], "--reason", "unknown definition")
    assert not [o for o in citizen.json("offers", "list") if o["id"] == offer["id"]]
    _wait(lambda: _issuer_state(world) == "abandoned")
    good = world["issuers"]["good"]
    offer_income(good, world["connections"]["good"], {**VALUES, "employer_name": "Home"})
    fresh = _wait(lambda: [o for o in citizen.json("offers", "list")
                           if o["cred_def_id"] == good.cred_def_id])[0]
    assert fresh["on_ledger"] is True
    stored = citizen.json("offers", "accept", fresh["id"])
    assert stored["stored"] is True
    creds = citizen.json("credentials", "list")
    assert [c["cred_def_id"] for c in creds] == [good.cred_def_id]
