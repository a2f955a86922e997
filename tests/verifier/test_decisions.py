"""Deciding proof exchanges against a fake agent: exactly once, replays, crashes mid-
workflow, payments unique per case and month, the brake's history, the action outbox."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from ssi_wallet.agency import verifier, workflows
from ssi_wallet.agency.cases import open_case_store
from ssi_wallet.agency.config import parse_agency_config
from ssi_wallet.agency.policy import load_policy
from ssi_wallet.errors import NotFoundError, ServiceError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EMPLOYER = "Th7MpTaRZVRYnPiabds81Y"
MUNI = "7Tqg6BwSSWapxgUDm9KKgg"


class FakeAgent:
    """Just enough of ACA-Py's admin API: connections, send-request, records, messages."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        self.posts: list[tuple[str, Any]] = []
        self.fail_messages = 0
        self.counter = 0
        self.listings = 0  # GETs of the whole record list
        self.reads: list[str] = []  # GETs of one record

    def get(self, path: str, params: dict | None = None) -> Any:
        if path.startswith("/connections/"):
            return {"connection_id": path.rsplit("/", 1)[1], "state": "active"}
        if path == "/present-proof-2.0/records":
            self.listings += 1
            return {"results": [r for r in self.records.values()
                                if r["state"] == (params or {}).get("state")]}
        pres_ex_id = path.rsplit("/", 1)[1]
        self.reads.append(pres_ex_id)
        if pres_ex_id not in self.records:
            raise NotFoundError(f"no record {pres_ex_id}")
        return self.records[pres_ex_id]

    def post(self, path: str, json: Any = None, params: dict | None = None) -> Any:
        self.posts.append((path, json))
        if path == "/present-proof-2.0/send-request":
            self.counter += 1
            pres_ex_id = f"pres-{self.counter}"
            self.records[pres_ex_id] = {
                "pres_ex_id": pres_ex_id, "state": "request-sent",
                "connection_id": json["connection_id"],
                "by_format": {"pres_request": json["presentation_request"]}}
            return {"pres_ex_id": pres_ex_id, "state": "request-sent"}
        if path.endswith("/send-message"):
            if self.fail_messages:
                self.fail_messages -= 1
                raise ServiceError("agent busy")
            return {}
        raise AssertionError(path)

    def answer(self, pres_ex_id: str, *, revealed: dict[str, str] | None = None,
               issuer: str = EMPLOYER, schema: str = "IncomeStatement",
               verified: str = "true", declined: bool = False) -> None:
        record = self.records[pres_ex_id]
        if declined:
            record["state"] = "abandoned"
            return
        request = record["by_format"]["pres_request"]["indy"]
        group = {}
        for referent, spec in request["requested_attributes"].items():
            group[referent] = {"sub_proof_index": 0, "values": {
                n: {"raw": revealed[n], "encoded": "1"} for n in spec["names"]}}
        record.update(state="done", verified=verified)
        record["by_format"]["pres"] = {"indy": {
            "requested_proof": {"revealed_attr_groups": group, "revealed_attrs": {},
                                "self_attested_attrs": {}, "unrevealed_attrs": {},
                                "predicates": {r: {"sub_proof_index": 0}
                                               for r in request["requested_predicates"]}},
            "identifiers": [{"schema_id": f"{issuer}:2:{schema}:1.0",
                             "cred_def_id": f"{issuer}:3:CL:9:default",
                             "rev_reg_id": None, "timestamp": None}]}}


def _agency(tmp_path: Path, name: str, **settings):
    doc = {"name": name, "roles": ["verifier"],
           "figures": {"social_minimum": [{"from": "2000-01-01", "value": "1500.00 EUR"},
                                          {"from": "2026-10-01", "value": "1550.00 EUR"}],
                       "tas_contribution": [{"from": "2000-01-01", "value": "10000 EUR"}]},
           "settings": {"trusted_employers": [EMPLOYER],
                        "recognised_municipalities": [MUNI], **settings}}
    root = tmp_path / name
    root.mkdir(exist_ok=True)
    return parse_agency_config(doc, root / "agency.yaml")


@pytest.fixture
def setup(tmp_path: Path):
    config = _agency(tmp_path, "municipality")
    return config, FakeAgent(), open_case_store(config)


INCOME = load_policy(EXAMPLES / "policies" / "income-supplement.yaml")
BRAKE = load_policy(EXAMPLES / "policies" / "emergency-brake.yaml")
TAS = load_policy(EXAMPLES / "policies" / "asbestos-contribution.yaml")


def two_steps(config, agent, store, connection: str, month: int, net: str, **answer):
    """Step one (predicate proven, month revealed), then step two (the amount)."""
    sent = verifier.send_request(config, agent, INCOME, connection_id=connection, month=month)
    agent.answer(sent["pres_ex_id"], revealed={"month": str(month)}, **answer)
    first = verifier.process_exchange(config, agent, sent["pres_ex_id"])
    if first.decision["outcome"] != "proven":
        return sent, first
    child = store.child_of(sent["pres_ex_id"])
    assert child is not None and child.purpose == "then_reveal"
    assert child.request["requested_attributes"]["reveal"]["restrictions"][0][
        "attr::month::value"] == str(month)
    agent.answer(child.pres_ex_id, revealed={"month": str(month), "net_income_cents": net},
                 **answer)
    return sent, verifier.process_exchange(config, agent, child.pres_ex_id)


def test_payment_once_per_proof_and_per_month(setup) -> None:
    config, agent, store = setup
    sent, first = two_steps(config, agent, store, "c1", 202610, "123400")
    assert sent["case_ref"] == "C-c1"
    assert first.status == "decided"
    assert first.decision["outcome"] == "entitled"
    assert first.decision["values"]["amount_cents"] == 31600      # 1550.00 - 1234.00
    again = verifier.process_exchange(config, agent, first.pres_ex_id)
    assert again.status == "already" and again.decision == first.decision
    assert verifier.process_exchange(config, agent, sent["pres_ex_id"]).status == "already"
    audit = store.audit_of(first.pres_ex_id)["learned"]
    assert audit["revealed"] == {"month": "202610", "net_income_cents": "123400"}
    assert {p["attribute"] for p in audit["predicates"]} == {"net_income_cents",
                                                             "valid_until", "issue_date"}
    # another exchange for the same month pays nothing
    _, other = two_steps(config, agent, store, "c1", 202610, "100000")
    assert other.decision["outcome"] == "already_paid"
    assert store.payments_count("C-c1") == 1
    # September: the older minimum (1500.00) applies
    _, decided = two_steps(config, agent, store, "c1", 202609, "140000")
    assert decided.decision["values"]["amount_cents"] == 10000
    assert store.payments_count("C-c1") == 2


def test_the_record_the_agent_sent_is_decided_without_reading_it_back(setup) -> None:
    """`serve` passes the finished record its webhook carried (the agent runs with
    --debug-webhooks); a record of another exchange is not taken for this one."""
    config, agent, store = setup
    sent = verifier.send_request(config, agent, INCOME, connection_id="c7", month=202610)
    agent.answer(sent["pres_ex_id"], revealed={"month": "202610"})
    other = verifier.send_request(config, agent, INCOME, connection_id="c8", month=202610)
    agent.answer(other["pres_ex_id"], revealed={"month": "202610"})
    agent.reads.clear()
    given = verifier.process_exchange(config, agent, sent["pres_ex_id"],
                                      record=dict(agent.records[sent["pres_ex_id"]]))
    assert given.decision["outcome"] == "proven" and agent.reads == []
    mixed_up = verifier.process_exchange(config, agent, other["pres_ex_id"],
                                         record=dict(agent.records[sent["pres_ex_id"]]))
    assert mixed_up.decision["outcome"] == "proven"
    assert agent.reads == [other["pres_ex_id"]]
    assert store.audit_of(other["pres_ex_id"])["learned"]["revealed"] == {"month": "202610"}


def test_declined_is_not_entitled_and_learns_nothing(setup) -> None:
    config, agent, store = setup
    sent = verifier.send_request(config, agent, INCOME, connection_id="c2", month=202610)
    agent.answer(sent["pres_ex_id"], declined=True)
    out = verifier.process_exchange(config, agent, sent["pres_ex_id"])
    assert out.decision["outcome"] == "not_entitled"
    assert store.audit_of(sent["pres_ex_id"])["learned"] == {"revealed": {}, "predicates": []}
    assert store.payments_count() == 0
    # the declined outcome's action (a message) ran from the outbox
    assert [p for p, _ in agent.posts if p.endswith("send-message")]


def test_untrusted_issuer_is_not_entitled_and_audited(setup) -> None:
    config, agent, store = setup
    sent, out = two_steps(config, agent, store, "c3", 202610, "1000", issuer=MUNI)
    assert out.decision["outcome"] == "not_entitled"
    assert store.child_of(sent["pres_ex_id"]) is None     # no second step
    audit = store.audit_of(sent["pres_ex_id"])
    assert audit["proof_outcome"] == "not_verified" and audit["issuers"] == [MUNI]
    assert any("not trusted" in p for p in audit["problems"])
    assert store.payments_count() == 0


def test_crash_mid_workflow_leaves_nothing_and_is_retried(setup, monkeypatch) -> None:
    config, agent, store = setup
    first = verifier.send_request(config, agent, INCOME, connection_id="c4", month=202610)
    agent.answer(first["pres_ex_id"], revealed={"month": "202610"})
    verifier.process_exchange(config, agent, first["pres_ex_id"])
    child = store.child_of(first["pres_ex_id"])
    sent = {"pres_ex_id": child.pres_ex_id}
    agent.answer(child.pres_ex_id, revealed={"month": "202610", "net_income_cents": "123400"})
    real = workflows.decide

    def crash(ctx):
        real(ctx)                      # the payment row is written ...
        raise RuntimeError("power cut")  # ... and the process dies before the commit

    monkeypatch.setattr(workflows, "decide", crash)
    with pytest.raises(RuntimeError):
        verifier.process_exchange(config, agent, sent["pres_ex_id"])
    assert store.payments_count() == 0
    assert store.get_exchange(sent["pres_ex_id"]).status == "requested"
    monkeypatch.setattr(workflows, "decide", real)
    caught = verifier.catch_up(config, agent)          # what serve does when it starts
    assert [o.decision["outcome"] for o in caught] == ["entitled"]
    assert store.payments_count() == 1
    assert verifier.catch_up(config, agent) == []


def test_failed_action_is_retried_from_the_outbox(setup) -> None:
    config, agent, store = setup
    agent.fail_messages = 1
    sent, out = two_steps(config, agent, store, "c5", 202610, "123400")
    sent = {"pres_ex_id": out.pres_ex_id}
    assert [a["ok"] for a in out.actions if a["kind"] == "message"] == [False]
    verifier.catch_up(config, agent)
    statuses = {a["kind"]: a["status"] for a in store.actions_of(sent["pres_ex_id"])}
    assert statuses["message"] == "done"
    assert sum(p.endswith("send-message") for p, _ in agent.posts) == 2   # failed, then ok
    verifier.catch_up(config, agent)
    assert sum(p.endswith("send-message") for p, _ in agent.posts) == 2   # never again


def test_catch_up_reads_open_exchanges_not_the_whole_history(setup, monkeypatch) -> None:
    """Catch-up (every minute in serve) listed every finished record the agent keeps, which
    grows with each exchange; with few open exchanges it now reads just those."""
    config, agent, store = setup
    two_steps(config, agent, store, "c6", 202610, "123400")  # history: decided before
    waiting = verifier.send_request(config, agent, INCOME, connection_id="c7", month=202610)
    ended = verifier.send_request(config, agent, INCOME, connection_id="c8", month=202610)
    agent.answer(ended["pres_ex_id"], revealed={"month": "202610"})  # while nobody listened
    gone = verifier.send_request(config, agent, INCOME, connection_id="c9", month=202610)
    del agent.records[gone["pres_ex_id"]]  # the agent no longer has it
    caught = verifier.catch_up(config, agent)
    assert [o.pres_ex_id for o in caught] == [ended["pres_ex_id"]]
    assert agent.listings == 0
    assert store.get_exchange(waiting["pres_ex_id"]).status == "requested"
    monkeypatch.setattr(verifier, "CATCH_UP_BY_ID", 1)  # many open: one listing per state
    agent.answer(waiting["pres_ex_id"], revealed={"month": "202610"})
    caught = verifier.catch_up(config, agent)
    assert [o.pres_ex_id for o in caught] == [waiting["pres_ex_id"]]
    assert agent.listings == len(verifier.FINAL_STATES) + 1  # and presentation-received


def test_brake_applied_continued_lifted(tmp_path: Path) -> None:
    config = _agency(tmp_path, "cjib")
    agent, store = FakeAgent(), open_case_store(config)
    store.add_invitation("CJIB-9", "invi-1", workflow="emergency_brake",
                         policy_path=str(BRAKE.path))
    linked = verifier.on_connection(config, agent, {"state": "active", "connection_id": "c9",
                                                    "invitation_msg_id": "invi-1"})
    assert linked["case_ref"] == "CJIB-9" and linked["request"]["case_ref"] == "CJIB-9"
    # a redelivered connections event does not ask twice
    again = verifier.on_connection(config, agent, {"state": "active", "connection_id": "c9",
                                                   "invitation_msg_id": "invi-1"})
    assert "request" not in again
    first = linked["request"]["pres_ex_id"]
    agent.answer(first, issuer=MUNI, schema="DebtSupportCertificate", revealed={})
    assert verifier.process_exchange(config, agent, first).decision["outcome"] == \
        "brake_applied"
    assert store.brake_active("CJIB-9")
    assert verifier.recheck_due(config, agent, interval=3600) == []   # not due yet
    sent = verifier.recheck_due(config, agent, interval=0)
    assert [s["case_ref"] for s in sent] == ["CJIB-9"]
    agent.answer(sent[0]["pres_ex_id"], issuer=MUNI, schema="DebtSupportCertificate",
                 revealed={})
    assert verifier.process_exchange(config, agent, sent[0]["pres_ex_id"]).decision[
        "outcome"] == "brake_continued"
    revoked = verifier.recheck(config, agent, "CJIB-9")
    agent.answer(revoked["pres_ex_id"], issuer=MUNI, schema="DebtSupportCertificate",
                 revealed={}, verified="false")
    out = verifier.process_exchange(config, agent, revoked["pres_ex_id"])
    assert out.decision["outcome"] == "brake_lifted"
    summary = store.case_summary("CJIB-9")
    assert [b["event"] for b in summary["brakes"]] == ["applied", "continued", "lifted"]
    assert summary["brake_active"] is False


def test_scheme_invitation_opens_a_case_per_connection(tmp_path: Path) -> None:
    """One published (multi-use) invitation, several connections: each its own case and
    its own request; a redelivered event asks nothing twice; reconnecting opens a new
    case, and only a case invitation carries a case over to a new connection."""
    config = _agency(tmp_path, "svb", trusted_specialists=[MUNI])
    agent, store = FakeAgent(), open_case_store(config)
    store.add_scheme_invitation("invi-s", case_prefix="TAS", workflow="asbestos_contribution",
                                policy_path=str(TAS.path))

    def connect(connection_id: str, invitation: str = "invi-s") -> dict:
        return verifier.on_connection(config, agent, {
            "state": "active", "connection_id": connection_id,
            "invitation_msg_id": invitation})

    piet, jan = connect("c-piet"), connect("c-jan")
    assert (piet["case_ref"], jan["case_ref"]) == ("TAS-c-piet", "TAS-c-jan")
    assert piet["request"]["connection_id"] == "c-piet"
    assert jan["request"]["case_ref"] == "TAS-c-jan"
    assert "request" not in connect("c-piet")          # redelivered: no second request
    outcomes = {}
    for linked, code in ((piet, "J61"), (jan, "C45.0")):
        sent = linked["request"]["pres_ex_id"]
        agent.answer(sent, issuer=MUNI, schema="MedicalDeclaration",
                     revealed={"diagnosis_code": code})
        outcomes[linked["case_ref"]] = verifier.process_exchange(config, agent, sent,
                                                                 run_actions=False)
    assert {k: o.decision["outcome"] for k, o in outcomes.items()} == {
        "TAS-c-piet": "awarded", "TAS-c-jan": "awarded"}
    for case_ref, connection in (("TAS-c-piet", "c-piet"), ("TAS-c-jan", "c-jan")):
        summary = store.case_summary(case_ref)
        assert summary["connection_id"] == connection and summary["origin"] == "scheme"
        assert [a["scheme"] for a in summary["awards"]] == ["TAS"]
    assert {c["case_ref"] for c in store.cases_of_invitation("invi-s")} == {
        "TAS-c-jan", "TAS-c-piet"}
    # Piet connects again (a new connection): a new case, the old one is untouched.
    again = connect("c-piet-2")
    assert again["case_ref"] == "TAS-c-piet-2" and "request" in again
    assert store.case_summary("TAS-c-piet")["connection_id"] == "c-piet"
    # Continuity is the agency's to establish: a case invitation for his first case.
    store.add_invitation("TAS-c-piet", "invi-case", workflow="asbestos_contribution",
                         policy_path=None)
    moved = connect("c-piet-3", "invi-case")
    assert moved["case_ref"] == "TAS-c-piet"
    assert store.case_summary("TAS-c-piet")["connection_id"] == "c-piet-3"
    assert len(store.cases_of_invitation("invi-s")) == 3


def test_brake_needs_the_case_invitation(tmp_path: Path) -> None:
    config = _agency(tmp_path, "cjib")
    agent = FakeAgent()
    sent = verifier.send_request(config, agent, BRAKE, connection_id="c10")
    agent.answer(sent["pres_ex_id"], issuer=MUNI, schema="DebtSupportCertificate",
                 revealed={})
    out = verifier.process_exchange(config, agent, sent["pres_ex_id"])
    assert out.decision["outcome"] == "not_applied"


def test_unknown_exchange_is_not_ours(setup) -> None:
    config, agent, _ = setup
    assert verifier.process_exchange(config, agent, "someone-elses").status == "unknown"


def test_as_of_date_is_recorded(setup) -> None:
    config, agent, store = setup
    sent = verifier.send_request(config, agent, INCOME, connection_id="c11", month=202603)
    assert store.get_exchange(sent["pres_ex_id"]).as_of == dt.date(2026, 3, 1)


def _concurrent_deciders(config, agent, store) -> None:
    """Two deciders (serve and `request --wait`) on the same finished exchange at once:
    exactly one decides, one payment."""
    import threading

    first = verifier.send_request(config, agent, INCOME, connection_id="cc", month=202610)
    agent.answer(first["pres_ex_id"], revealed={"month": "202610"})
    verifier.process_exchange(config, agent, first["pres_ex_id"])
    child = store.child_of(first["pres_ex_id"])
    agent.answer(child.pres_ex_id, revealed={"month": "202610", "net_income_cents": "123400"})
    results: list[str] = []
    barrier = threading.Barrier(4)

    def decide() -> None:
        barrier.wait()
        results.append(verifier.process_exchange(config, agent, child.pres_ex_id).status)

    threads = [threading.Thread(target=decide) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["already", "already", "already", "decided"]
    assert store.payments_count("C-cc") == 1


def test_concurrent_deciders_on_sqlite(setup) -> None:
    _concurrent_deciders(*setup)


def test_the_case_store_on_postgresql(postgres_database: str, tmp_path: Path) -> None:
    doc = {"name": "municipality", "roles": ["verifier"], "case_store": postgres_database,
           "figures": {"social_minimum": [{"from": "2000-01-01", "value": "1500.00 EUR"}]},
           "settings": {"trusted_employers": [EMPLOYER]}}
    root = tmp_path / "municipality"
    root.mkdir()
    config = parse_agency_config(doc, root / "agency.yaml")
    agent, store = FakeAgent(), open_case_store(config)
    assert store.db.dialect == "postgresql"
    _, out = two_steps(config, agent, store, "c1", 202610, "123400")
    assert out.decision["outcome"] == "entitled"
    assert out.decision["values"]["amount_cents"] == 26600
    assert verifier.process_exchange(config, agent, out.pres_ex_id).status == "already"
    _, again = two_steps(config, agent, store, "c1", 202610, "100000")
    assert again.decision["outcome"] == "already_paid"
    _concurrent_deciders(config, agent, store)
    summary = store.case_summary("C-c1")
    assert len(summary["payments"]) == 1 and len(summary["audit"]) == 4


def test_case_shown_for_people(setup) -> None:
    from rich.console import Console

    from ssi_wallet.cli.verifier_cmd import _render_case

    config, agent, store = setup
    two_steps(config, agent, store, "c1", 202610, "123400")
    console = Console(record=True, width=200)
    _render_case(console, store.case_summary("C-c1"))
    text = console.export_text()
    assert "payment October 2026: EUR 316.00" in text
    assert "entitled for October 2026: pay EUR 316.00" in text
    assert "month=October 2026, net_income_cents=EUR 1,234.00" in text
