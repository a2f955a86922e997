"""An agency scaled out on a real PostgreSQL server (Debian's, started by the test set-up
on loopback): its ACA-Py wallet in PostgreSQL (`postgres_storage`) shared by two agent
instances, and its store (issued credentials) in PostgreSQL too. A credential offered
through the second instance reaches our wallet over the connection the first made."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.agency.test_issuer_agencies import AutoAccept, Home
from tests.plugins.homes import agency_connection, citizen_wallet, use_ledger
from tests.plugins.income import INCOME, INCOME_RAW
from tests.plugins.ledger import RunningLedger
from tests.plugins.postgres import PostgresServer

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def pg_agency(
    ledger: RunningLedger, postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Home]:
    home = Home(tmp_path_factory.mktemp("pg-agency"))
    use_ledger(home, ledger)
    store_url = postgres_server.create_database("employer_store")
    # The YAML names account and host only; the password is a 0600 secret file.
    without_password = store_url.replace(f":{postgres_server.password}@", "@")
    source = tmp_path_factory.mktemp("pg-files") / "employer-pg.yaml"
    source.write_text(
        "name: employer-pg\nlabel: RideCo Payroll (scaled)\nroles: [issuer]\n"
        "agent:\n"
        f"  wallet_storage: postgres://{postgres_server.user}@127.0.0.1:{postgres_server.port}\n"
        "  instances: 2\n"
        f"case_store: {without_password}\n"
        f"credential_types:\n  - {EXAMPLES / 'credentials' / 'income-statement.yaml'}\n"
    )
    home.json("agency", "init", "employer-pg", "--from", str(source))
    secrets = home.path / "agencies" / "employer-pg" / "secrets"
    secrets.mkdir(mode=0o700, exist_ok=True)
    fd = os.open(secrets / "postgres.password", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(postgres_server.password + "\n")
    try:
        yield home
    finally:
        home("agency", "stop", "employer-pg")


@pytest.fixture(scope="module")
def citizen(ledger: RunningLedger, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Home]:
    yield from citizen_wallet(Home(tmp_path_factory.mktemp("pg-citizen")), ledger, "Fatima")


def test_two_instances_share_a_postgres_wallet_and_store(
    pg_agency: Home, citizen: Home, postgres_server: PostgresServer
):
    import psycopg

    t0 = time.monotonic()
    started = pg_agency.json("agency", "start", "employer-pg", timeout=300)
    print(f"agency on PostgreSQL, 2 instances, started in {time.monotonic() - t0:.1f} s")
    assert started["started"] == [True, True]
    assert [i["running"] for i in started["instances"]] == [True, True]
    assert {i["public_did"] for i in started["instances"]} == {started["did"]}
    assert postgres_server.password not in str(started)
    admin_urls = {i["admin_url"] for i in started["instances"]}
    assert len(admin_urls) == 2

    t0 = time.monotonic()
    creddef = pg_agency.json(
        "issuer", "creddef", "create", "IncomeStatement", "--agency", "employer-pg"
    )
    print(f"credential definition in {time.monotonic() - t0:.1f} s")
    t0 = time.monotonic()
    invitation = pg_agency.json("issuer", "invite", "--agency", "employer-pg")
    citizen.json("connect", invitation["invitation_url"])
    connection_id = agency_connection(pg_agency, "employer-pg", invitation["invi_msg_id"],
                                      timeout=30)
    print(f"connected in {time.monotonic() - t0:.1f} s")
    t0 = time.monotonic()

    # The second instance sees the connection the first made, and issues over it.
    os.environ["SSI_WALLET_HOME"] = str(pg_agency.path)
    try:
        from ssi_wallet.agency.credential_types import find_credential_type
        from ssi_wallet.agency.issuance import Issuer
        from ssi_wallet.agency.runtime import load_agency

        config = load_agency("employer-pg", pg_agency.path)
        with Issuer.open(config, instance=1) as second, AutoAccept(citizen):
            assert second.client.admin_url != Issuer.open(config).client.admin_url
            assert second.client.get(f"/connections/{connection_id}")["state"] in (
                "active",
                "completed",
            )
            result = second.issue(
                connection_id, find_credential_type(config, "IncomeStatement"), INCOME, timeout=90
            )
        print(f"issued through instance 1 in {time.monotonic() - t0:.1f} s")
        assert result["issued"] is True
        assert result["cred_def_id"] == creddef["cred_def_id"]
    finally:
        os.environ.pop("SSI_WALLET_HOME", None)
    creds = citizen.json("credentials", "list")
    assert [c["attributes"] for c in creds] == [INCOME_RAW]

    # The store lives in PostgreSQL, not in the agency directory.
    assert not (pg_agency.path / "agencies" / "employer-pg" / "agency.db").exists()
    with psycopg.connect(postgres_server.url("employer_store")) as conn:
        rows = conn.execute(
            "SELECT cred_ex_id, state FROM issued_credentials WHERE agency = 'employer-pg'"
        ).fetchall()
        defs = conn.execute("SELECT cred_def_id FROM issuer_creddefs").fetchall()
    assert rows == [(result["cred_ex_id"], result["state"])]
    assert defs == [(creddef["cred_def_id"],)]
    listed = pg_agency.json("issuer", "credentials", "list", "--agency", "employer-pg")
    assert [r["cred_ex_id"] for r in listed] == [result["cred_ex_id"]]

    t0 = time.monotonic()
    stopped = pg_agency.json("agency", "stop", "employer-pg")
    print(f"stopped in {time.monotonic() - t0:.1f} s")
    assert stopped["stopped"] == [True, True]
    # Restarted on the same PostgreSQL wallet: same DID, definition still reused.
    t0 = time.monotonic()
    again = pg_agency.json("agency", "start", "employer-pg", timeout=300)
    print(f"restarted in {time.monotonic() - t0:.1f} s")
    assert again["did"] == started["did"]
    reused = pg_agency.json(
        "issuer", "creddef", "create", "IncomeStatement", "--agency", "employer-pg"
    )
    assert reused["reused"] is True and reused["cred_def_id"] == creddef["cred_def_id"]
