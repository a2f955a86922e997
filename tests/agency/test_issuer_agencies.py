"""Issuer agencies end to end: stock ACA-Py agents run by our `agency` commands on the
shared embedded ledger, the citizen played by our own wallet CLI.

Covers: agency start/status/stop with the DID registered as ENDORSER; schema and
(revocable) credential definition created once and reused; invite -> `ssi-wallet
connect`; `issuer issue` -> `offers accept` -> stored; a 50-row batch with 3 bad rows
and a re-run that issues nothing twice; revoke -> the holder sees it revoked.

Batch rows share connections (a row is one credential to one connection; a citizen may
get several), so the 50 rows go to two citizens' connections of one wallet agent.
"""

from __future__ import annotations

import csv
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.plugins.homes import CONNECTED, CliHome, agency_connection, citizen_wallet, use_ledger
from tests.plugins.income import INCOME, INCOME_RAW
from tests.plugins.ledger import RunningLedger
from tests.plugins.waiting import eventually as _eventually

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PASSPHRASE = {"SSI_WALLET_PASSPHRASE": "correct horse battery staple"}

# The revocable debt-support definition (registry of 10); made, then asked for again.
DEBT_DEF = ("issuer", "creddef", "create", "DebtSupportCertificate", "--revocable",
            "--registry-size", "10", "--agency", "debt")


class Home(CliHome):
    """Our CLI on one data directory."""

    env = PASSPHRASE


@pytest.fixture(scope="module")
def agencies(ledger: RunningLedger, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Home]:
    """A home with two issuer agencies: employer (IncomeStatement) and debt-support
    (DebtSupportCertificate, revocable), both started."""
    home = Home(tmp_path_factory.mktemp("agencies"))
    use_ledger(home, ledger)
    files = tmp_path_factory.mktemp("agency-files")
    (files / "debt.yaml").write_text(
        "name: debt\nlabel: Debt support Eindhoven\nroles: [issuer]\n"
        f"credential_types:\n  - {EXAMPLES / 'credentials' / 'debt-support-certificate.yaml'}\n"
    )
    home.json("agency", "init", "employer", "--from", str(EXAMPLES / "agencies" / "employer.yaml"))
    home.json("agency", "init", "debt", "--from", str(files / "debt.yaml"))
    try:
        for name in ("employer", "debt"):
            started = home.json("agency", "start", name)
            assert started["running"] is True
        yield home
    finally:
        for name in ("employer", "debt"):
            home("agency", "stop", name)


@pytest.fixture(scope="module")
def wallet(ledger: RunningLedger, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Home]:
    yield from citizen_wallet(Home(tmp_path_factory.mktemp("citizen")), ledger, "Jan de Vries")


def _connect(agencies: Home, wallet: Home, agency: str) -> str:
    """Invite from the agency, connect with our wallet; the agency's connection id."""
    invitation = agencies.json("issuer", "invite", "--agency", agency)
    assert invitation["invitation_url"].startswith("http://127.0.0.1:")
    connected = wallet.json("connect", invitation["invitation_url"])
    assert connected["state"] in CONNECTED
    return agency_connection(agencies, agency, invitation["invi_msg_id"])


@pytest.fixture(scope="module")
def employer_connections(agencies: Home, wallet: Home) -> list[str]:
    return [_connect(agencies, wallet, "employer") for _ in range(2)]


@pytest.fixture(scope="module")
def income_def(agencies: Home) -> dict:
    return agencies.json("issuer", "creddef", "create", "IncomeStatement", "--agency", "employer")


@pytest.fixture(scope="module")
def debt_def(agencies: Home) -> dict:
    return agencies.json(*DEBT_DEF)


def _issue(agency: str, connection: str, type_name: str, attrs: dict[str, str],
           *flags: str) -> list[str]:
    """The arguments of `issuer issue` for one credential, ``flags`` before the values."""
    values = [a for k, v in attrs.items() for a in ("--attr", f"{k}={v}")]
    return ["issuer", "issue", "--agency", agency, "--connection", connection,
            "--type", type_name, *flags, *values]


def _accept_in_background(wallet: Home, count: int) -> tuple[threading.Thread, list]:
    """Accept `count` offers with our CLI (`offers accept`) as they arrive."""
    accepted: list = []

    def run() -> None:
        deadline = time.monotonic() + 120
        while len(accepted) < count and time.monotonic() < deadline:
            for offer in wallet.json("offers", "list"):
                accepted.append(wallet.json("offers", "accept", offer["id"]))
            time.sleep(0.3)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, accepted


class AutoAccept:
    """A citizen who says yes to every offer, one after another as a person's wallet
    does, over the holder agent's admin API (`offers accept` is tested separately).

    One at a time on purpose: a holder agent that accepts 20 offers at once was seen to
    time out opening askar sessions (10 s) and lose a credential (record stuck at
    credential-received); the batch's concurrency is on the issuer's side."""

    def __init__(self, wallet: Home) -> None:
        from ssi_wallet.agent import process
        from ssi_wallet.agent.admin import AdminClient

        runtime = process.status(wallet.path / "holder")
        assert runtime is not None
        self.client = AdminClient.from_runtime(runtime)
        self.stop = threading.Event()
        self.accepted = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                records = self.client.get(
                    "/issue-credential-2.0/records", params={"state": "offer-received"}
                )["results"]
                for record in records:
                    cred_ex_id = record["cred_ex_record"]["cred_ex_id"]
                    self.client.post(
                        f"/issue-credential-2.0/records/{cred_ex_id}/send-request", json={}
                    )
                    self._stored(cred_ex_id)
                    self.accepted += 1
            except Exception:  # noqa: BLE001 - a busy agent; try again
                pass
            self.stop.wait(0.2)

    def _stored(self, cred_ex_id: str) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not self.stop.is_set():
            record = self.client.get(f"/issue-credential-2.0/records/{cred_ex_id}")
            if record["cred_ex_record"]["state"] in ("done", "abandoned"):
                return
            time.sleep(0.05)

    def __enter__(self) -> AutoAccept:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=10)
        self.client.close()


# ----------------------------------------------------------------------------- tests


def test_agency_runs_with_its_did_registered_as_endorser(agencies: Home, ledger: RunningLedger):
    status = agencies.json("agency", "status", "employer")
    assert status["running"] is True
    assert status["roles"] == ["issuer"]
    assert status["instances"][0]["public_did"] == status["did"]
    nyms = ledger.service.txns(["NYM"])
    assert any(status["did"] in json.dumps(t) for t in nyms)
    listed = {a["name"]: a for a in agencies.json("agency", "list")}
    assert set(listed) == {"employer", "debt"} and listed["employer"]["running"] == [True]
    seed = agencies.path / "agencies" / "employer" / "secrets" / "did.seed"
    key = agencies.path / "agencies" / "employer" / "secrets" / "wallet.key"
    assert seed.stat().st_mode & 0o077 == 0 and key.stat().st_mode & 0o077 == 0
    copied = (agencies.path / "agencies" / "employer" / "agency.yaml").read_text()
    assert str(EXAMPLES / "credentials" / "income-statement.yaml") in copied
    # The seed and wallet key never reach the agent's command line.
    pid = status["instances"][0]["pid"]
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    assert seed.read_text().strip() not in cmdline and key.read_text().strip() not in cmdline
    # Starting again is a no-op.
    again = agencies.json("agency", "start", "employer")
    assert again["started"] == [False]


def test_schema_and_revocable_definition_are_reused(agencies: Home, debt_def: dict):
    assert debt_def["revocable"] is True and debt_def["tag"] == "revocable"
    print(f"revocable credential definition (registry of 10): {debt_def['seconds']} s")
    again = agencies.json(*DEBT_DEF)
    assert again["cred_def_id"] == debt_def["cred_def_id"] and again["reused"] is True
    schema = agencies.json(
        "issuer",
        "schema",
        "publish",
        str(EXAMPLES / "credentials" / "debt-support-certificate.yaml"),
        "--agency",
        "debt",
    )
    assert schema["reused"] is True and schema["schema_id"] == debt_def["schema_id"]


def test_issue_is_checked_against_the_type(
    agencies: Home, income_def: dict, employer_connections: list[str]
):
    bad = agencies(
        *_issue("employer", employer_connections[0], "IncomeStatement",
                {"month": "2026-13", "colour": "blue"}),
        "--json",
    )
    assert bad.returncode == 1
    message = bad.json()["error"]["message"]
    assert "unknown attribute(s) colour" in message and "net_income_cents is missing" in message
    assert "month" in message


def test_issue_to_a_connection_not_ready_says_so(agencies: Home, income_def: dict):
    """The agency offers without asking about the connection first (one admin call less
    per credential); when ACA-Py refuses, the refusal is explained plainly."""
    attrs = {"month": "2026-10", "net_income_cents": "1234.00 EUR",
             "gross_income_cents": "2000.00 EUR", "employer_name": "RideCo",
             "employee_ref": "E-1", "issue_date": "2026-11-01", "valid_until": "2027-11-01"}
    invitation = agencies.json("issuer", "invite", "--agency", "employer")
    (waiting,) = agencies.json("issuer", "connections", "list", "--agency", "employer",
                               "--invitation", invitation["invi_msg_id"])
    assert waiting["state"] not in CONNECTED
    unused = agencies(*_issue("employer", waiting["connection_id"], "IncomeStatement", attrs),
                      "--json")
    assert unused.returncode == 2, unused.stderr
    assert unused.json()["error"]["message"] == (
        f"connection {waiting['connection_id']} is not active (state {waiting['state']})")
    unknown = agencies(*_issue("employer", "0c9e8a41-0000-4000-8000-000000000000",
                               "IncomeStatement", attrs), "--json")
    assert unknown.returncode == 1, unknown.stderr
    assert "has no connection 0c9e8a41-0000-4000-8000-000000000000" in (
        unknown.json()["error"]["message"])


def test_issue_waits_until_the_citizen_stored_it(
    agencies: Home, wallet: Home, income_def: dict, employer_connections: list[str]
):
    before = len(wallet.json("credentials", "list"))
    thread, accepted = _accept_in_background(wallet, 1)
    issued = agencies.json(
        *_issue("employer", employer_connections[0], "IncomeStatement", INCOME)
    )
    thread.join(timeout=60)
    assert issued["issued"] is True and issued["state"] in ("done", "credential-issued")
    assert accepted and accepted[0]["stored"] is True
    creds = wallet.json("credentials", "list")
    assert len(creds) == before + 1
    mine = [c for c in creds if c["id"] == accepted[0]["credential_id"]]
    assert mine[0]["attributes"] == INCOME_RAW
    assert mine[0]["cred_def_id"] == income_def["cred_def_id"]
    listed = agencies.json("issuer", "credentials", "list", "--agency", "employer")
    assert issued["cred_ex_id"] in {r["cred_ex_id"] for r in listed}


def test_issue_no_wait_then_the_list_catches_up(
    agencies: Home, wallet: Home, income_def: dict, employer_connections: list[str]
):
    offered = agencies.json(
        *_issue("employer", employer_connections[1], "IncomeStatement", INCOME, "--no-wait")
    )
    assert offered["issued"] is False and offered["state"] == "offer-sent"
    offer = _eventually(lambda: wallet.json("offers", "list"))[0]
    assert wallet.json("offers", "accept", offer["id"])["stored"] is True

    def state():
        rows = agencies.json("issuer", "credentials", "list", "--agency", "employer")
        return {r["cred_ex_id"]: r["state"] for r in rows}[offered["cred_ex_id"]] == "done"

    _eventually(state, timeout=30)


def _batch_file(path: Path, connections: list[str]) -> Path:
    columns = ["connection_id", "row_id", *INCOME]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for i in range(50):
            values = dict(
                INCOME, employee_ref=f"E-{2000 + i}", net_income_cents=f"{1000 + i}.50 EUR"
            )
            if i == 7:
                values["net_income_cents"] = "a lot"  # not money
            if i == 23:
                values["month"] = ""  # missing
            if i == 41:
                values["issue_date"] = "2026-02-30"  # impossible date
            writer.writerow([connections[i % 2], f"oct-{i}", *values.values()])
    return path


def test_batch_of_50_with_3_bad_rows_and_an_idempotent_rerun(
    agencies: Home, wallet: Home, income_def: dict, employer_connections: list[str], tmp_path: Path
):
    batch = _batch_file(tmp_path / "october.csv", employer_connections)
    issue_batch = ("issuer", "issue-batch", str(batch), "--agency", "employer",
                   "--type", "IncomeStatement")
    before = len(wallet.json("credentials", "list"))
    with AutoAccept(wallet):
        started = time.monotonic()
        first = agencies.json(*issue_batch, "--report", str(tmp_path / "report.csv"),
                              timeout=400)
        seconds = time.monotonic() - started
    print(
        f"batch of 47 credentials: {seconds:.1f} s wall, {first['seconds']} s in the "
        f"command; offers sent in {first['send_seconds']} s ({first['offers_per_second']}/s)"
    )
    assert first["total"] == 50
    assert first["counts"] == {"issued": 47, "invalid": 3}, first["counts"]
    bad = {r["line"]: r["error"] for r in first["rows"] if r["status"] == "invalid"}
    assert set(bad) == {9, 25, 43}  # header is line 1, row i is line i + 2
    assert "net_income_cents" in bad[9] and "month is missing" in bad[25]
    assert "issue_date" in bad[43]
    report = list(csv.DictReader((tmp_path / "report.csv").open()))
    assert len(report) == 50 and sum(r["status"] == "issued" for r in report) == 47
    _eventually(lambda: len(wallet.json("credentials", "list")) == before + 47)

    rerun = agencies.json(*issue_batch, timeout=200)
    assert rerun["counts"] == {"skipped": 47, "invalid": 3}, rerun["counts"]
    time.sleep(2)
    assert len(wallet.json("credentials", "list")) == before + 47
    stored = [
        r
        for r in agencies.json("issuer", "credentials", "list", "--agency", "employer")
        if r["batch"] == "october.csv"
    ]
    assert len(stored) == 47
    assert len({r["row_key"] for r in stored}) == 47
    assert all(r["state"] in ("done", "credential-issued") for r in stored)


def test_revoked_certificate_shows_revoked_in_the_wallet(
    agencies: Home, wallet: Home, debt_def: dict, tmp_path: Path
):
    connection = _connect(agencies, wallet, "debt")
    thread, accepted = _accept_in_background(wallet, 1)
    issued = agencies.json(*_issue("debt", connection, "DebtSupportCertificate", {
        "support_type": "debt-counselling",
        "municipality": "Eindhoven",
        "start_date": "2026-09-01",
        "valid_until": "2027-08-31",
        "case_ref": "SH-77",
    }))
    thread.join(timeout=60)
    credential_id = accepted[0]["credential_id"]
    assert issued["rev_reg_id"] and issued["cred_rev_id"]

    def status():
        return {s["id"]: s for s in wallet.json("credentials", "status")}[credential_id]

    assert status()["revoked"] is False
    pending = agencies.json("issuer", "revoke", issued["cred_ex_id"], "--agency", "debt")
    assert pending["revocation"] == "pending"
    assert status()["revoked"] is False  # not published yet
    published = agencies.json("issuer", "publish-revocations", "--agency", "debt")
    assert issued["cred_ex_id"] in published["published"]
    _eventually(lambda: status()["revoked"] is True, timeout=30)
    listed = {
        r["cred_ex_id"]: r
        for r in agencies.json("issuer", "credentials", "list", "--agency", "debt")
    }
    assert listed[issued["cred_ex_id"]]["revocation"] == "revoked"
    again = agencies.json("issuer", "revoke", issued["cred_ex_id"], "--agency", "debt", "--publish")
    assert again["changed"] is False
    ended = tmp_path / "ended.csv"
    ended.write_text(f"cred_ex_id\n{issued['cred_ex_id']}\nno-such-exchange\n")
    by_csv = agencies.json("issuer", "revoke", "--csv", str(ended), "--publish", "--agency", "debt")
    by_line = {r["line"]: r for r in by_csv["results"]}
    assert by_line[2]["changed"] is False and by_line[2]["revocation"] == "revoked"
    assert "issued no credential no-such-exchange" in by_line[3]["error"]


def test_agency_stop_and_status(agencies: Home):
    # The debt agency is done with (revocation ran before): stop it, see it stopped, and
    # see that issuing now says how to start it.
    stopped = agencies.json("agency", "stop", "debt")
    assert stopped["stopped"] == [True]
    status = agencies.json("agency", "status", "debt")
    assert status["running"] is False and status["did"]
    assert agencies.json("agency", "stop", "debt")["stopped"] == [False]
    refused = agencies("issuer", "credentials", "list", "--agency", "debt", "--json")
    assert refused.returncode == 1
    assert refused.json()["error"]["hint"] == "start it with: ssi-wallet agency start debt"


def test_a_row_sent_just_before_a_crash_is_not_sent_again(
    agencies: Home, wallet: Home, income_def: dict, employer_connections: list[str], tmp_path: Path
):
    from ssi_wallet.agency.batch import COMMENT_PREFIX, read_rows
    from ssi_wallet.agency.credential_types import find_credential_type
    from ssi_wallet.agency.issuance import Issuer
    from ssi_wallet.agency.runtime import load_agency

    path = tmp_path / "crash.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["connection_id", "row_id", *INCOME])
        writer.writerow([employer_connections[1], "crash-1", *INCOME.values()])
    config = load_agency("employer", agencies.path)
    before = len(wallet.json("credentials", "list"))
    with Issuer.open(config) as issuer:
        ctype = find_credential_type(config, "IncomeStatement")
        (row,), _ = read_rows(path, ctype)
        # What a batch does for a row, up to the moment it would record the exchange id.
        claimed, fresh = issuer.store.claim_row(
            row_key=row.key,
            connection_id=row.connection_id,
            type_name=ctype.name,
            cred_def_id=income_def["cred_def_id"],
            batch="crash.csv",
            line=row.line,
        )
        assert fresh
        sent = issuer.offer(
            row.connection_id,
            ctype,
            row.raw,
            income_def["cred_def_id"],
            comment=COMMENT_PREFIX + row.key,
        )
    with AutoAccept(wallet):
        rerun = agencies.json(
            "issuer", "issue-batch", str(path), "--agency", "employer", "--type", "IncomeStatement"
        )
        assert rerun["counts"] == {"skipped": 1}
        assert rerun["rows"][0]["cred_ex_id"] == sent["cred_ex_id"]
        _eventually(lambda: len(wallet.json("credentials", "list")) == before + 1)
    time.sleep(1)
    assert len(wallet.json("credentials", "list")) == before + 1
    listed = [
        r
        for r in agencies.json("issuer", "credentials", "list", "--agency", "employer")
        if r["row_key"] == row.key
    ]
    assert len(listed) == 1 and listed[0]["cred_ex_id"] == sent["cred_ex_id"]
