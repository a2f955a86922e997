"""The three workflows end to end: agencies run by our `agency` commands (stock ACA-Py
0.12.8 on the shared embedded ledger), `verifier serve` receiving their webhooks, and the
citizen played by our own wallet CLI (init, connect, offers accept, requests present /
decline).

Agencies: employer (IncomeStatement), lung (MedicalDeclaration, and an IncomeStatement it
is not trusted for), municipality (verifier: income supplement; issuer: revocable
DebtSupportCertificate), svb (verifier: asbestos contribution; issuer: AsbestosAward),
cjib (verifier: emergency brake). Tests run in order and share the agents.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import yaml

from ssi_wallet.files import LOG_ROTATE_BYTES
from tests.plugins.cli import cli_env
from tests.plugins.homes import CliHome, citizen_wallet, connect_citizen, use_ledger
from tests.plugins.ledger import RunningLedger
from tests.plugins.waiting import eventually as _eventually

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
POLICIES = EXAMPLES / "policies"
CREDS = EXAMPLES / "credentials"
PASSPHRASE = {"SSI_WALLET_PASSPHRASE": "correct horse battery staple"}
TODAY = dt.date.today()


def _month(back: int) -> dt.date:
    day = TODAY.replace(day=1)
    for _ in range(back):
        day = (day - dt.timedelta(days=1)).replace(day=1)
    return day


M1, M2, M3 = _month(1), _month(2), _month(3)


class Home(CliHome):
    """Our CLI on one data directory."""

    env = PASSPHRASE


AGENCY_FILES = {
    "employer": ("RideCo Payroll", ["issuer"], ["income-statement"], [], {}),
    "lung": ("Catharina Hospital", ["issuer"], ["medical-declaration", "income-statement"],
             [], {}),
    "municipality": ("Municipality of Eindhoven", ["issuer", "verifier"],
                     ["debt-support-certificate"], ["income-supplement"],
                     {"social_minimum": [{"from": "2000-01-01", "value": "1500.00 EUR"},
                                         {"from": M1.isoformat(), "value": "1550.00 EUR"}]}),
    "svb": ("SVB", ["issuer", "verifier"], ["asbestos-award"], ["asbestos-contribution"],
            {"tas_contribution": [{"from": "2000-01-01", "value": "10000.00 EUR"}]}),
    "cjib": ("CJIB", ["verifier"], [], ["emergency-brake"], {}),
}


def _agency_yaml(name: str) -> str:
    label, roles, types, policies, figures = AGENCY_FILES[name]
    doc = {"name": name, "label": label, "roles": roles,
           "credential_types": [str(CREDS / f"{t}.yaml") for t in types],
           "policies": [str(POLICIES / f"{p}.yaml") for p in policies],
           "figures": figures}
    return yaml.safe_dump(doc, sort_keys=False)


def _add_settings(home: Home, name: str, settings: dict) -> None:
    path = home.path / "agencies" / name / "agency.yaml"
    doc = yaml.safe_load(path.read_text())
    doc.setdefault("settings", {}).update(settings)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


@pytest.fixture(scope="module")
def agencies(ledger: RunningLedger, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[Home]:
    from ssi_wallet.agency import runtime

    home = Home(tmp_path_factory.mktemp("agencies"))
    use_ledger(home, ledger)
    files = tmp_path_factory.mktemp("agency-files")
    for name in AGENCY_FILES:
        (files / f"{name}.yaml").write_text(_agency_yaml(name))
        home.json("agency", "init", name, "--from", str(files / f"{name}.yaml"))
    did = {name: runtime.public_identity(runtime.load_agency(name, home.path)).did
           for name in AGENCY_FILES}
    trusted = {
        "municipality": {"trusted_employers": [did["employer"], did["lung"]]},
        "svb": {"trusted_specialists": [did["lung"]]},
        "cjib": {"recognised_municipalities": [did["municipality"]],
                 "recheck_interval_seconds": 86400},
    }
    for name, settings in trusted.items():
        _add_settings(home, name, settings)
    home.did = did  # type: ignore[attr-defined]
    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            started = list(pool.map(lambda n: home.json("agency", "start", n, timeout=240),
                                    AGENCY_FILES))
        assert all(s["running"] for s in started)
        for name in trusted:   # `agency start` runs `verifier serve` for a verifier agency
            assert home.json("verifier", "serve", "--agency", name, "--status")["running"]
        yield home
    finally:
        with ThreadPoolExecutor(max_workers=len(AGENCY_FILES)) as pool:
            list(pool.map(lambda n: home("agency", "stop", n), AGENCY_FILES))


@pytest.fixture(scope="module")
def definitions(agencies: Home) -> dict[str, dict]:
    jobs = [("employer", "IncomeStatement", ()), ("lung", "MedicalDeclaration", ()),
            ("lung", "IncomeStatement", ()), ("svb", "AsbestosAward", ()),
            ("municipality", "DebtSupportCertificate",
             ("--revocable", "--registry-size", "10"))]

    def create(job):
        agency, ctype, extra = job
        return agency, ctype, agencies.json("issuer", "creddef", "create", ctype, *extra,
                                            "--agency", agency, timeout=300)

    with ThreadPoolExecutor(max_workers=5) as pool:
        return {f"{a}/{t}": d for a, t, d in pool.map(create, jobs)}


def _citizen(ledger: RunningLedger, tmp_path_factory: pytest.TempPathFactory,
             label: str) -> Iterator[Home]:
    """A citizen's wallet on the shared ledger, its agent stopped afterwards."""
    yield from citizen_wallet(Home(tmp_path_factory.mktemp("citizen")), ledger, label)


@pytest.fixture(scope="module")
def wallet(ledger: RunningLedger, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Home]:
    yield from _citizen(ledger, tmp_path_factory, "Jan de Vries")


def _issuer_connection(agencies: Home, wallet: Home, agency: str) -> str:
    return connect_citizen(agencies, wallet, agency)[1]


def _case_connection(agencies: Home, wallet: Home, agency: str, case: str,
                     *policy: str) -> str:
    """`verifier invite --case`, the citizen connects; serve links the connection."""
    invitation = agencies.json("verifier", "invite", "--agency", agency, "--case", case,
                               *policy)
    assert invitation["case_ref"] == case
    wallet.json("connect", invitation["invitation_url"])
    return _eventually(lambda: agencies.json("verifier", "cases", "show", case, "--agency",
                                             agency)["connection_id"])


def _issue(agencies: Home, wallet: Home, agency: str, connection: str, ctype: str,
           values: dict[str, str]) -> tuple[str, str]:
    """Offer with the issuer CLI, accept with the wallet CLI: (cred_ex_id, credential id)."""
    args = [a for k, v in values.items() for a in ("--attr", f"{k}={v}")]
    offered = agencies.json("issuer", "issue", "--agency", agency, "--connection", connection,
                            "--type", ctype, "--no-wait", *args)
    offer = _eventually(lambda: wallet.json("offers", "list"))[0]
    accepted = wallet.json("offers", "accept", offer["id"])
    return offered["cred_ex_id"], accepted["credential_id"]


def _open_request(wallet: Home) -> dict:
    requests = _eventually(lambda: wallet.json("requests", "list"))
    assert len(requests) == 1, requests
    return requests[0]


def _decisions(agencies: Home, agency: str, case: str, count: int) -> dict:
    def probe():
        shown = agencies.json("verifier", "cases", "show", case, "--agency", agency)
        return shown if len(shown["decisions"]) >= count else None

    return _eventually(probe, timeout=90)


def _income(month: dt.date, net: str) -> dict[str, str]:
    return {"month": month.strftime("%Y-%m"), "net_income_cents": net,
            "gross_income_cents": "2000.00 EUR", "employer_name": "RideCo",
            "employee_ref": "E-1001", "issue_date": (TODAY - dt.timedelta(days=2)).isoformat(),
            "valid_until": (TODAY + dt.timedelta(days=365)).isoformat()}


@pytest.fixture(scope="module")
def municipality_case(agencies: Home, wallet: Home, definitions) -> dict[str, str]:
    employer = _issuer_connection(agencies, wallet, "employer")
    lung = _issuer_connection(agencies, wallet, "lung")
    municipality = _case_connection(agencies, wallet, "municipality", "INC-1")
    return {"employer": employer, "lung": lung, "municipality": municipality}


# ----------------------------------------------------------------------------- income


def test_income_below_minimum_pays_the_difference_once(agencies: Home, wallet: Home,
                                                        municipality_case, tmp_path: Path):
    _issue(agencies, wallet, "employer", municipality_case["employer"], "IncomeStatement",
           _income(M1, "1234.00 EUR"))
    # `request --wait` decides on the event; `serve` gets the webhook too: one decision.
    waiting = subprocess.Popen(
        [sys.executable, "-m", "ssi_wallet", "verifier", "request", "--agency",
         "municipality", "--policy", "income-supplement", "--connection",
         municipality_case["municipality"], "--month", M1.strftime("%Y-%m"), "--wait",
         "--timeout", "120", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=cli_env(agencies.path, PASSPHRASE))
    # Step one: the predicate in zero knowledge, the month revealed.
    request = _open_request(wallet)
    preview = wallet.json("requests", "show", request["id"])
    assert preview["ready"] is True, json.dumps(preview)
    assert preview["revealed"] == {"month": M1.strftime("%Y%m")}
    wallet.json("requests", "present", request["id"], "--yes")
    # Step two, only because the predicate held: the amount of that month's statement.
    request = _open_request(wallet)
    preview = wallet.json("requests", "show", request["id"])
    assert preview["revealed"] == {"month": M1.strftime("%Y%m"),
                                   "net_income_cents": "123400"}, json.dumps(preview)
    wallet.json("requests", "present", request["id"], "--yes")
    out, err = waiting.communicate(timeout=150)
    assert waiting.returncode == 0, err
    done = json.loads(out)
    assert done["case_ref"] == "INC-1"
    decision = done["decision"]
    assert decision["outcome"] == "entitled", decision
    # the minimum valid in that month (1550.00 from M1 on), minus 1234.00
    assert decision["values"]["amount_cents"] == 31600
    assert len(done["steps"]) == 2
    case = _decisions(agencies, "municipality", "INC-1", 2)
    assert [d["outcome"] for d in case["decisions"]] == ["proven", "entitled"]
    assert [(p["month"], p["amount_cents"]) for p in case["payments"]] == [
        (int(M1.strftime("%Y%m")), 31600)]
    audit = case["audit"][1]
    assert audit["policy"] == "income-supplement" and len(audit["policy_sha256"]) == 64
    assert audit["learned"]["revealed"] == {"month": M1.strftime("%Y%m"),
                                            "net_income_cents": "123400"}
    assert {p["attribute"] for p in audit["learned"]["predicates"]} == {
        "net_income_cents", "valid_until", "issue_date"}
    assert audit["issuers"] == [agencies.did["employer"]]

    # The same proof delivered again (the webhook replayed): nothing happens.
    from ssi_wallet.agency import runtime, serve

    config = runtime.load_agency("municipality", agencies.path)
    port, key = serve.webhook_settings(config)
    url = f"http://127.0.0.1:{port}/webhooks/topic/present_proof_v2_0/"
    body = {"pres_ex_id": done["steps"][1], "state": "done", "role": "verifier",
            "verified": "true"}
    assert httpx.post(url, json=body, trust_env=False).status_code == 401
    assert httpx.post(url, json=body, headers={"x-api-key": "wrong"},
                      trust_env=False).status_code == 401
    for _ in range(2):
        replay = httpx.post(url, json=body, headers={"x-api-key": key}, trust_env=False,
                            timeout=30)
        assert replay.status_code == 200 and replay.json()["status"] == "already"

    # A second proof exchange for the same month: no second payment either.
    sent = agencies.json("verifier", "request", "--agency", "municipality", "--policy",
                         "income-supplement", "--connection",
                         municipality_case["municipality"], "--month", M1.strftime("%Y-%m"))
    for _ in range(2):
        request = _open_request(wallet)
        wallet.json("requests", "present", request["id"], "--yes")
    case = _decisions(agencies, "municipality", "INC-1", 4)
    step1 = [e for e in case["exchanges"] if e["pres_ex_id"] == sent["pres_ex_id"]][0]
    assert step1["status"] == "processed"
    assert case["decisions"][-1]["outcome"] == "already_paid"
    assert len(case["payments"]) == 1


def test_verifier_agents_send_serve_whole_records_issuers_trimmed_ones(agencies: Home):
    """A verifier agency's agent runs with --debug-webhooks, so `serve` decides on the
    finished record its webhook carries; an issuer-only agency's events stay trimmed."""
    from ssi_wallet.agency import runtime

    def debug_webhooks(name: str) -> bool | None:
        config = runtime.load_agency(name, agencies.path)
        with runtime.agency_client(config) as client:
            return client.get("/status/config")["config"].get("debug.webhooks")

    assert debug_webhooks("municipality") is True
    assert not debug_webhooks("employer")


def test_every_agent_loads_the_registry_cache(agencies: Home, wallet: Home):
    """ACA-Py logs a plugin it cannot load and starts without it; ours must be there."""
    from ssi_wallet.agency import runtime
    from ssi_wallet.agent.spec import REGISTRY_CACHE_PLUGIN
    from ssi_wallet.holder.agent import holder_client

    clients = [runtime.agency_client(runtime.load_agency(name, agencies.path))
               for name in ("municipality", "employer")]
    clients.append(holder_client(wallet.path))
    for client in clients:
        with client:
            assert REGISTRY_CACHE_PLUGIN in client.get("/plugins")["result"]


def test_income_above_minimum_the_wallet_declines_and_nothing_is_owed(
        agencies: Home, wallet: Home, municipality_case):
    _issue(agencies, wallet, "employer", municipality_case["employer"], "IncomeStatement",
           _income(M2, "1600.00 EUR"))
    before = len(agencies.json("verifier", "cases", "show", "INC-1", "--agency",
                               "municipality")["decisions"])
    agencies.json("verifier", "request", "--agency", "municipality", "--policy",
                  "income-supplement", "--connection", municipality_case["municipality"],
                  "--month", M2.strftime("%Y-%m"))
    request = _open_request(wallet)
    preview = wallet.json("requests", "show", request["id"])
    assert preview["ready"] is False          # the predicate cannot be proven
    wallet.json("requests", "decline", request["id"], "--reason", "not below the minimum")
    case = _decisions(agencies, "municipality", "INC-1", before + 1)
    last = case["decisions"][-1]
    assert last["proof_outcome"] == "declined" and last["outcome"] == "not_entitled"
    assert "nothing is owed" in last["summary"]
    assert case["audit"][-1]["learned"] == {"revealed": {}, "predicates": []}
    assert len(case["payments"]) == 1


def test_untrusted_issuer_not_entitled_and_audited(agencies: Home, wallet: Home,
                                                    municipality_case):
    """Trust is judged at decision time against the agency's current configuration:
    the request still trusted the lung clinic's statement, the configuration no longer
    does when the proof is decided (serve catches up after a restart)."""
    _issue(agencies, wallet, "lung", municipality_case["lung"], "IncomeStatement",
           _income(M3, "900.00 EUR"))
    before = len(agencies.json("verifier", "cases", "show", "INC-1", "--agency",
                               "municipality")["decisions"])
    agencies.json("verifier", "serve", "--agency", "municipality", "--stop")
    # A log grown past the limit is set aside when serve starts again.
    log = Path(agencies.json("verifier", "serve", "--agency", "municipality",
                             "--status")["log"])
    with open(log, "ab") as handle:
        handle.write(b"old line\n" * (LOG_ROTATE_BYTES // 9 + 1))
    grown = log.stat().st_size
    sent = agencies.json("verifier", "request", "--agency", "municipality", "--policy",
                         "income-supplement", "--connection", municipality_case["municipality"],
                         "--month", M3.strftime("%Y-%m"))
    request = _open_request(wallet)
    wallet.json("requests", "present", request["id"], "--yes")
    _add_settings(agencies, "municipality", {"trusted_employers": [agencies.did["employer"]]})
    agencies.json("verifier", "serve", "--agency", "municipality", "--background")
    assert log.with_name(log.name + ".1").stat().st_size == grown
    assert log.stat().st_size < grown
    case = _decisions(agencies, "municipality", "INC-1", before + 1)
    last = [d for d in case["decisions"] if d["pres_ex_id"] == sent["pres_ex_id"]][0]
    assert last["proof_outcome"] == "not_verified" and last["outcome"] == "not_entitled"
    audit = [a for a in case["audit"] if a["pres_ex_id"] == sent["pres_ex_id"]][0]
    assert any("not trusted" in p for p in audit["problems"])
    assert audit["issuers"] == [agencies.did["lung"]]
    assert len(case["payments"]) == 1


# ----------------------------------------------------------------------------- asbestos


def test_asbestos_award_and_the_award_credential_comes_back(agencies: Home, wallet: Home,
                                                             municipality_case):
    _issue(agencies, wallet, "lung", municipality_case["lung"], "MedicalDeclaration",
           {"diagnosis_code": "J61", "diagnosis_date": "2026-09-01",
            "specialist_ref": "BIG-123", "issue_date": TODAY.isoformat()})
    svb = _case_connection(agencies, wallet, "svb", "TAS-1")
    agencies.json("verifier", "request", "--agency", "svb", "--policy",
                  "asbestos-contribution", "--connection", svb)
    request = _open_request(wallet)
    wallet.json("requests", "present", request["id"], "--yes")
    case = _decisions(agencies, "svb", "TAS-1", 1)
    decision = case["decisions"][0]
    assert decision["outcome"] == "awarded", decision
    assert [(a["scheme"], a["amount_cents"]) for a in case["awards"]] == [("TAS", 1000000)]
    assert case["audit"][0]["learned"]["revealed"] == {"diagnosis_code": "J61"}
    # The issue action offers the AsbestosAward over the same connection.
    offer = _eventually(lambda: wallet.json("offers", "list"))[0]
    accepted = wallet.json("offers", "accept", offer["id"])
    award = wallet.json("credentials", "show", accepted["credential_id"])
    assert award["attributes"]["scheme"] == "TAS"
    assert award["attributes"]["amount_cents"] == "1000000"
    assert award["attributes"]["decision_ref"] == decision["values"]["decision_ref"]
    messages = agencies.json("verifier", "cases", "show", "TAS-1", "--agency", "svb")
    assert messages["status"] == "awarded TAS"


def test_the_award_credential_is_relied_on_by_another_agency(agencies: Home, wallet: Home,
                                                             municipality_case,
                                                             tmp_path: Path):
    """A chain across agencies: the municipality accepts the SVB's AsbestosAward."""
    policy = tmp_path / "award-check.yaml"
    policy.write_text(
        "# Does the citizen hold an SVB asbestos award? (a test policy)\n"
        "name: award-check\ncredential: AsbestosAward\nreveal: [scheme]\n"
        "prove: ['amount_cents >= 1.00 EUR']\n"
        f"trusted_issuers: [{{did: {agencies.did['svb']}}}]\nnon_revoked: false\n"
        "workflow: none\n")
    agencies.json("verifier", "policy", "validate", str(policy), "--agency", "municipality")
    waiting = subprocess.Popen(
        [sys.executable, "-m", "ssi_wallet", "verifier", "request", "--agency",
         "municipality", "--policy", str(policy), "--connection",
         municipality_case["municipality"], "--case", "AWARD-1", "--wait", "--timeout", "90",
         "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=cli_env(agencies.path, PASSPHRASE))
    request = _open_request(wallet)
    wallet.json("requests", "present", request["id"], "--yes")
    out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    decision = json.loads(out)["decision"]
    assert decision["outcome"] == "verified" and decision["values"]["scheme"] == "TAS"
    listed = {c["case_ref"] for c in agencies.json("verifier", "cases", "list", "--agency",
                                                   "municipality")}
    assert {"INC-1", "AWARD-1"} <= listed


# ----------------------------------------------------------------------------- brake


def test_emergency_brake_applied_rechecked_and_lifted_by_revocation(
        agencies: Home, wallet: Home, municipality_case):
    cred_ex_id, _ = _issue(
        agencies, wallet, "municipality", municipality_case["municipality"],
        "DebtSupportCertificate",
        {"support_type": "debt-counselling", "municipality": "Eindhoven",
         "start_date": "2026-06-01", "valid_until": (TODAY + dt.timedelta(days=180)).isoformat(),
         "case_ref": "SHV-77"})
    # The citizen connects with his CJIB case invitation; serve requests on connect.
    _case_connection(agencies, wallet, "cjib", "CJIB-1", "--policy",
                     str(POLICIES / "emergency-brake.yaml"))
    request = _open_request(wallet)
    preview = wallet.json("requests", "show", request["id"])
    assert preview["revealed"] == {}          # nothing about the debts
    wallet.json("requests", "present", request["id"], "--yes")
    case = _decisions(agencies, "cjib", "CJIB-1", 1)
    assert case["decisions"][0]["outcome"] == "brake_applied"
    assert case["brake_active"] is True
    assert case["audit"][0]["learned"]["revealed"] == {}

    agencies.json("verifier", "recheck", "--agency", "cjib", "--case", "CJIB-1")
    request = _open_request(wallet)
    wallet.json("requests", "present", request["id"], "--yes")
    case = _decisions(agencies, "cjib", "CJIB-1", 2)
    assert case["decisions"][1]["outcome"] == "brake_continued"

    agencies.json("issuer", "revoke", cred_ex_id, "--publish", "--agency", "municipality")
    time.sleep(1)   # the re-check's non-revocation time must be after the revocation
    agencies.json("verifier", "recheck", "--agency", "cjib", "--case", "CJIB-1")
    request = _open_request(wallet)
    preview = wallet.json("requests", "show", request["id"])
    assert preview["ready"] is False and "revoked" in " ".join(preview["problems"])
    wallet.json("requests", "decline", request["id"])
    case = _decisions(agencies, "cjib", "CJIB-1", 3)
    assert case["decisions"][2]["outcome"] == "brake_lifted"
    assert case["brake_active"] is False
    assert [b["event"] for b in case["brakes"]] == ["applied", "continued", "lifted"]


# ----------------------------------------------------------------------------- schemes


@pytest.fixture(scope="module")
def second_wallet(ledger: RunningLedger, tmp_path_factory: pytest.TempPathFactory
                  ) -> Iterator[Home]:
    yield from _citizen(ledger, tmp_path_factory, "Piet Jansen")


def _svb_store(agencies: Home):
    from ssi_wallet.agency.runtime import load_agency
    from ssi_wallet.agency.verifier import store_for

    return store_for(load_agency("svb", agencies.path))


def test_one_published_scheme_invitation_a_case_per_citizen(
        agencies: Home, wallet: Home, second_wallet: Home, definitions, tmp_path: Path):
    """The SVB publishes ONE multi-use invitation in its signed scheme entry; two citizens
    apply through it and each gets his own case, award and award credential. A citizen
    who connects again gets a new case; a case invitation carries his case over."""
    invitation = agencies.json("verifier", "invite", "--agency", "svb", "--scheme", "TAS",
                               "--policy", "asbestos-contribution")
    assert invitation["multi_use"] is True
    entry = yaml.safe_load((EXAMPLES / "schemes" / "svb-tas.yaml").read_text())
    entry["apply"]["invitation_url"] = invitation["invitation_url"]
    (tmp_path / "tas.yaml").write_text(yaml.safe_dump(entry))
    agencies.json("schemes", "sign", str(tmp_path / "tas.yaml"), "--agency", "svb",
                  "-o", str(tmp_path / "tas.json"))
    citizens = {"jan": wallet, "piet": second_wallet}
    for citizen in citizens.values():
        lung = _issuer_connection(agencies, citizen, "lung")
        _issue(agencies, citizen, "lung", lung, "MedicalDeclaration",
               {"diagnosis_code": "J61", "diagnosis_date": "2026-09-01",
                "specialist_ref": "BIG-123", "issue_date": TODAY.isoformat()})
        citizen.json("schemes", "add", str(tmp_path / "tas.json"))
    with ThreadPoolExecutor(max_workers=2) as pool:   # both apply at the same time
        applied = dict(zip(citizens, pool.map(
            lambda c: c.json("apply", "svb-tas", "--yes", "--timeout", "90"),
            citizens.values()), strict=True))
    store = _svb_store(agencies)

    def cases_made(count: int) -> list[dict]:
        found = store.cases_of_invitation(invitation["invi_msg_id"])
        return found if len(found) == count else []

    cases = _eventually(lambda: cases_made(2))
    assert all(c["origin"] == "scheme" for c in cases)
    mine = {name: _svb_case_of(agencies, store, citizens[name], applied[name]["connection_id"])
            for name in citizens}
    assert sorted(mine.values()) == sorted(c["case_ref"] for c in cases)   # one each
    for name, citizen in citizens.items():
        summary = _decisions(agencies, "svb", mine[name], 1)
        assert [(a["scheme"], a["amount_cents"]) for a in summary["awards"]] == [
            ("TAS", 1000000)]
        assert summary["audit"][0]["learned"]["revealed"] == {"diagnosis_code": "J61"}
        offer = _eventually(lambda c=citizen: [o for o in c.json("offers", "list")
                                               if o["credential_type"] == "AsbestosAward"])
        accepted = citizen.json("offers", "accept", offer[0]["id"])
        award = citizen.json("credentials", "show", accepted["credential_id"])
        assert award["attributes"]["decision_ref"] == \
            summary["decisions"][0]["values"]["decision_ref"]    # his own decision

    # Piet connects through the published invitation again: a new connection, a new case.
    before = {c["case_ref"]: c["connection_id"] for c in cases}
    again = second_wallet.json("connect", invitation["invitation_url"])
    request = _open_request(second_wallet)
    second_wallet.json("requests", "decline", request["id"])
    new_case = _svb_case_of(agencies, store, second_wallet, again["connection_id"])
    assert new_case not in before
    assert _decisions(agencies, "svb", new_case, 1)["awards"] == []
    assert {c["case_ref"]: c["connection_id"] for c in store.cases_of_invitation(
        invitation["invi_msg_id"]) if c["case_ref"] in before} == before   # untouched
    # Continuity is for the agency to establish: a case invitation for his first case.
    carried = agencies.json("verifier", "invite", "--agency", "svb", "--case", mine["piet"])
    assert carried["multi_use"] is False
    moved = second_wallet.json("connect", carried["invitation_url"])
    assert _eventually(lambda: _svb_case_of(agencies, store, second_wallet,
                                            moved["connection_id"]) == mine["piet"])
    assert len(store.cases_of_invitation(invitation["invi_msg_id"])) == 3


def _svb_case_of(agencies: Home, store, citizen: Home, connection_id: str) -> str | None:
    """The SVB's case of a citizen's connection (the DID the wallet knows the SVB by on
    it is the SVB's own DID on the SVB's side of the same connection)."""
    from ssi_wallet.agency.runtime import agency_client, load_agency

    their_did = citizen.json("connections", "show", connection_id)["their_did"]
    with agency_client(load_agency("svb", agencies.path)) as client:
        found = client.get("/connections", params={"my_did": their_did})["results"]
    case = store.case_for_connection(found[0]["connection_id"]) if found else None
    return case["case_ref"] if case else None
