"""Supervision pieces that need no ACA-Py: arguments, pid reuse, error mapping."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from ssi_wallet.agent import process, running
from ssi_wallet.agent.admin import AdminClient
from ssi_wallet.agent.events import EventStream
from ssi_wallet.agent.running import pid_path, runtime_path
from ssi_wallet.agent.spec import PostgresStorage
from ssi_wallet.errors import ServiceError, UsageError
from ssi_wallet.files import write_json
from tests.plugins.agents import make_spec


def test_arguments_hold_no_secret(tmp_path: Path) -> None:
    spec = make_spec(tmp_path, "issuer", seed="0" * 31 + "1",
                     storage=PostgresStorage(url="localhost:5432", account="acapy",
                                             password="pg-secret"),
                     flags=("--auto-store-credential",),
                     webhook_urls=("http://127.0.0.1:9/hook",))
    argv, secret = process.build_arguments(spec, 1001, 1002, "http://127.0.0.1:1002")
    joined = " ".join(argv)
    for value in (spec.wallet_key, spec.seed, "pg-secret"):
        assert value not in joined
    assert secret["wallet-key"] == spec.wallet_key and secret["seed"] == spec.seed
    assert json.loads(secret["wallet-storage-creds"])["password"] == "pg-secret"
    assert "--no-ledger" in argv and "--preserve-exchange-records" in argv
    assert argv[argv.index("--admin") + 1:argv.index("--admin") + 3] == ["127.0.0.1", "1001"]
    assert "--auto-store-credential" in argv
    for auto in ("--auto-respond-presentation-request", "--auto-respond-credential-offer",
                 "--auto-accept-invites"):
        assert auto not in argv
    assert "pg-secret" not in repr(spec) and spec.wallet_key not in repr(spec)


def test_secret_settings_survive_yaml(tmp_path: Path) -> None:
    """Values YAML would retype (1e5, yes, 0x10) reach ACA-Py as the same strings."""
    import yaml

    for value in ("1e5", "yes", "0x10", "12345", "a: b", "#x"):
        line = f"wallet-key: {json.dumps(value)}\n"
        assert str(yaml.safe_load(line)["wallet-key"]) == value


def test_spec_rejects_values_argparse_would_misread(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        make_spec(tmp_path, "x", wallet_key="-abc")
    with pytest.raises(UsageError):
        make_spec(tmp_path, "x", label="--admin-insecure-mode")
    with pytest.raises(UsageError):
        make_spec(tmp_path, "x", wallet_key="")


def test_reused_pid_is_not_taken_for_the_agent(tmp_path: Path) -> None:
    """A pid file naming a live process that is not our ACA-Py: stale, never signalled."""
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        root = tmp_path / "agent"
        (root / "run").mkdir(parents=True)
        write_json(runtime_path(root), {"pid": sleeper.pid, "admin_url": "http://127.0.0.1:9",
                                        "api_key": "00", "start_ticks": None}, secret=True)
        write_json(pid_path(root), {"pid": sleeper.pid, "start_ticks": None}, secret=True)
        assert process.status(root) is None
        assert not runtime_path(root).exists() and not pid_path(root).exists()
        write_json(pid_path(root), {"pid": sleeper.pid, "start_ticks": None}, secret=True)
        assert process.stop(root, grace=0.1) is False
        assert sleeper.poll() is None  # untouched
    finally:
        sleeper.kill()
        sleeper.wait()


def test_same_pid_other_start_time_is_not_the_agent() -> None:
    ticks = running.start_ticks(os.getpid())
    assert ticks is not None
    assert running.alive(os.getpid(), ticks)
    assert not running.alive(os.getpid(), ticks + 1)


def test_admin_client_reports_an_agent_that_is_not_running() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.monotonic()
    with AdminClient(f"http://127.0.0.1:{port}", "00" * 32, name="holder agent") as admin:
        with pytest.raises(ServiceError, match="holder agent not running"):
            admin.get("/status")
    with pytest.raises(ServiceError, match="not running"):
        EventStream(f"http://127.0.0.1:{port}", "00", open_timeout=2).open()
    assert time.monotonic() - t0 < 5


def test_log_summary_picks_the_error_and_redacts(tmp_path: Path) -> None:
    log = tmp_path / "agent.log"
    log.write_text(
        "old run: ignored\n"
        ":: banner ::\n"
        "2026 aries_cloudagent.commands.start ERROR Exception during startup:\n"
        "Traceback (most recent call last):\n"
        '  File "x.py", line 1, in f\n'
        "aries_cloudagent.core.error.ProfileError: Error opening store SECRETKEY\n"
        "\nShutting down\n")
    summary = process._log_summary(log, len("old run: ignored\n"), ("SECRETKEY",))
    assert summary == "aries_cloudagent.core.error.ProfileError: Error opening store ***"


def test_status_of_an_empty_root_is_none(tmp_path: Path) -> None:
    assert process.status(tmp_path / "nothing") is None
    assert process.stop(tmp_path / "nothing") is False
