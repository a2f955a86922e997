"""`ssi-wallet ledger ...` end to end through the real CLI (subprocesses)."""

from __future__ import annotations

import os
import stat

from ssi_wallet.ledger.keys import KeyPair


def test_ledger_cli_lifecycle(run_cli, wallet_home):
    started = run_cli("ledger", "start", "--nodes", "1", "--json").check().json()
    try:
        for key in (
            "genesis_path",
            "trustee_did",
            "trustee_seed_file",
            "tails_server_url",
            "nodes",
            "txn_count",
        ):
            assert key in started
        assert started["nodes"] == 1 and started["data_dir"] == str(wallet_home / "ledger")
        assert stat.S_IMODE(os.stat(started["trustee_seed_file"]).st_mode) == 0o600
        assert (
            KeyPair.from_seed(open(started["trustee_seed_file"]).read().strip()).did
            == started["trustee_did"]
        )

        again = run_cli("ledger", "start", "--json")
        assert again.returncode == 1 and "already running" in again.stderr
        assert again.json()["error"]["code"] == "already_running"

        status = run_cli("ledger", "status", "--json").check().json()
        assert status["running"] and all(n["answering"] for n in status["nodes"])

        kp = KeyPair.generate()
        reg = run_cli(
            "ledger", "register", kp.did, kp.abbreviated_verkey, "--role", "ENDORSER", "--json"
        ).check()
        assert reg.json()["seq_no"] == 2
        bad = run_cli("ledger", "register", kp.did, "nonsense")
        assert bad.returncode == 2 and bad.stderr.count("\n") <= 2

        rows = run_cli("ledger", "txns", "--type", "NYM", "--json").check().json()
        assert [r["seq_no"] for r in rows["txns"]] == [1, 2]
        assert run_cli("ledger", "txns", "--type", "SCHEMA", "--json").check().json()["count"] == 0
        assert run_cli("ledger", "info", "--json").check().json()["txn_count"] == 2

        stopped = run_cli("ledger", "stop", "--json").check().json()
        assert stopped["stopped"]
        restarted = run_cli("ledger", "start", "--json").check().json()
        assert restarted["node_ports"] == started["node_ports"] and restarted["txn_count"] == 2
    finally:
        run_cli("ledger", "stop")
    assert run_cli("ledger", "reset").returncode != 0  # no terminal, no --yes: refuses
    assert run_cli("ledger", "reset", "--yes", "--json").check().json()["removed"]
    assert not (wallet_home / "ledger").exists()


def test_stale_pid_file_is_handled(run_cli, wallet_home):
    run_cli("ledger", "start", "--nodes", "1", "--json").check()
    pid_file = wallet_home / "ledger" / "ledger.pid"
    run_cli("ledger", "stop").check()
    pid_file.write_text("999999\n")  # a process that does not exist
    assert run_cli("ledger", "status", "--json").check().json()["running"] is False
    try:
        assert run_cli("ledger", "start", "--json").check().json()["running"]
    finally:
        run_cli("ledger", "stop").check()


def test_foreground_run_stops_on_sigterm(run_cli, wallet_home):
    import json
    import signal
    import subprocess
    import sys

    from tests.plugins.cli import cli_env

    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ssi_wallet",
            "ledger",
            "start",
            "--foreground",
            "--nodes",
            "1",
            "--json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=cli_env(wallet_home),
    )
    try:
        text = ""
        while True:  # the one JSON document, printed once the node answers
            line = proc.stdout.readline()
            assert line, "foreground ledger exited early"
            text += line
            if line.startswith("}"):
                break
        doc = json.loads(text)
        assert doc["foreground"] and doc["pid"] == proc.pid
        assert run_cli("ledger", "status", "--json").check().json()["running"]
        again = run_cli("ledger", "start")
        assert again.returncode == 1 and "already running" in again.stderr
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    assert not (wallet_home / "ledger" / "ledger.pid").exists()
