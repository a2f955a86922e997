"""Supervision of real ACA-Py agents: start, status, stop, stale pid files, secrets."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ssi_wallet.agent import process, running
from ssi_wallet.agent.admin import AdminClient
from ssi_wallet.agent.events import EventStream
from ssi_wallet.agent.running import log_path, pid_path, run_dir, runtime_path
from ssi_wallet.errors import AlreadyRunningError, NotFoundError, ServiceError
from tests.plugins.agents import AgentPool, SupervisedAgent, make_spec, new_wallet_key

pytestmark = pytest.mark.slow

#: Protected routes from several groups; none may answer without the key.
PROTECTED = [
    ("GET", "/status"),
    ("GET", "/status/config"),
    ("GET", "/connections"),
    ("POST", "/out-of-band/create-invitation"),
    ("POST", "/out-of-band/receive-invitation"),
    ("GET", "/wallet/did"),
    ("POST", "/wallet/did/create"),
    ("GET", "/credentials"),
    ("GET", "/issue-credential-2.0/records"),
    ("GET", "/present-proof-2.0/records"),
    ("GET", "/features"),
]


#: An agency-style public DID seed: a secret like the wallet key.
ALICE_SEED = "ssiwallettestagencyseed000000001"


@pytest.fixture(scope="module")
def alice(supervised_agents: AgentPool) -> SupervisedAgent:
    return supervised_agents.start("alice", seed=ALICE_SEED)


def test_started_agent_is_ready_and_found_by_status(alice: SupervisedAgent) -> None:
    assert process.status(alice.spec.root) == alice.runtime
    assert alice.admin.get("/status/ready") == {"ready": True}
    assert alice.admin.get("/status")["label"] == "Alice"
    assert alice.runtime.admin_url.startswith("http://127.0.0.1:")
    assert alice.runtime.endpoint == alice.runtime.inbound_url
    config = alice.admin.get("/status/config")["config"]
    assert config.get("auto_respond_presentation_request") in (None, False)
    assert config.get("auto_respond_credential_offer") in (None, False)
    assert config.get("preserve_exchange_records") is True


def test_admin_api_refuses_calls_without_the_key(alice: SupervisedAgent) -> None:
    with httpx.Client(base_url=alice.runtime.admin_url, trust_env=False) as http:
        for method, path in PROTECTED:
            assert http.request(method, path, json={}).status_code == 401, (method, path)
            wrong = http.request(method, path, json={}, headers={"x-api-key": "0" * 64})
            assert wrong.status_code == 401, (method, path)
    bad = AdminClient(alice.runtime.admin_url, "0" * 64)
    with pytest.raises(ServiceError, match="refused the admin API key"):
        bad.get("/connections")
    with pytest.raises(ServiceError, match="refused the admin API key"):
        EventStream(alice.runtime.admin_url, "0" * 64).open()


def test_runtime_files_are_private(alice: SupervisedAgent) -> None:
    root = alice.spec.root
    assert stat.S_IMODE(runtime_path(root).stat().st_mode) == 0o600
    assert stat.S_IMODE(pid_path(root).stat().st_mode) == 0o600
    assert stat.S_IMODE(log_path(root).stat().st_mode) == 0o600
    assert stat.S_IMODE(run_dir(root).stat().st_mode) == 0o700
    doc = json.loads(runtime_path(root).read_text())
    assert doc["pid"] == alice.runtime.pid and doc["api_key"] == alice.runtime.api_key
    assert alice.spec.wallet_key not in runtime_path(root).read_text()
    assert (root / "wallet" / "alice" / "sqlite.db").exists()


def test_no_secret_in_argv_environment_or_log(alice: SupervisedAgent) -> None:
    pid = alice.runtime.pid
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    environ = Path(f"/proc/{pid}/environ").read_bytes()
    alice.admin.post("/wallet/did/create", json={})  # something for the log to say
    log = log_path(alice.spec.root).read_bytes()
    config = json.dumps(alice.admin.get("/status/config")).encode()
    assert alice.admin.get("/wallet/did/public")["result"]["did"]  # the seed arrived
    for secret in (alice.spec.wallet_key, alice.runtime.api_key, ALICE_SEED):
        for where, blob in (("cmdline", cmdline), ("environ", environ), ("log", log),
                            ("/status/config", config)):
            assert secret.encode() not in blob, f"secret in {where}"
    assert b"ACAPY_WALLET_KEY" not in environ and b"ACAPY_ADMIN_API_KEY" not in environ
    assert b"aries_cloudagent" in cmdline and b"--arg-file" in cmdline
    assert alice.spec.wallet_key not in repr(alice.spec) and ALICE_SEED not in repr(alice.spec)
    assert alice.runtime.api_key not in repr(alice.runtime)


def test_second_start_is_refused_and_ensure_running_reuses(alice: SupervisedAgent) -> None:
    with pytest.raises(AlreadyRunningError):
        process.start(alice.spec)
    runtime, started = process.ensure_running(alice.spec)
    assert (runtime, started) == (alice.runtime, False)


def test_admin_errors_map_to_project_errors(alice: SupervisedAgent) -> None:
    with pytest.raises(NotFoundError, match="Record not found"):
        alice.admin.get("/connections/00000000-0000-0000-0000-000000000000")
    with pytest.raises(ServiceError, match=r"HTTP 422") as err:
        alice.admin.post("/out-of-band/receive-invitation", json={"bogus": 1})
    assert "\n" not in str(err.value)
    assert alice.runtime.api_key not in str(err.value)


def test_lifecycle_restart_stale_pid_and_wallet_survival(
        supervised_agents: AgentPool, monkeypatch: pytest.MonkeyPatch) -> None:
    # Secrets of the CLI's own environment must not reach the agent.
    monkeypatch.setenv("SSI_WALLET_PASSPHRASE", "do-not-inherit-me")
    monkeypatch.setenv("ACAPY_WALLET_KEY", "do-not-inherit-me-either")
    spec = supervised_agents.spec("bob")
    t0 = time.monotonic()
    first = process.start(spec)
    start_seconds = time.monotonic() - t0
    assert b"do-not-inherit" not in Path(f"/proc/{first.pid}/environ").read_bytes()
    with AdminClient.from_runtime(first) as admin:
        did = admin.post("/wallet/did/create", json={})["result"]["did"]

    # Graceful stop: process gone, files gone, a second stop is a no-op.
    assert process.stop(spec.root) is True
    assert not running.alive(first.pid, None)
    assert process.status(spec.root) is None
    assert not runtime_path(spec.root).exists() and not pid_path(spec.root).exists()
    assert process.stop(spec.root) is False

    # Restart: new port and key, same wallet.
    second, started = process.ensure_running(spec)
    assert started and second.api_key != first.api_key
    with AdminClient.from_runtime(second) as admin:
        assert did in [d["did"] for d in admin.get("/wallet/did")["results"]]

    # kill -9: the runtime file is stale; status notices and cleans up; start works.
    os.kill(second.pid, signal.SIGKILL)
    _wait_dead(second.pid)
    assert runtime_path(spec.root).exists()
    assert process.status(spec.root) is None
    assert not runtime_path(spec.root).exists()
    with pytest.raises(ServiceError, match="not running"):
        AdminClient.from_runtime(second).get("/status")
    third = process.start(spec)
    with AdminClient.from_runtime(third) as admin:
        assert did in [d["did"] for d in admin.get("/wallet/did")["results"]]

    # An agent that ignores SIGTERM (here: stopped) is killed after the grace period.
    os.kill(third.pid, signal.SIGSTOP)
    t1 = time.monotonic()
    assert process.stop(spec.root, grace=1.0) is True
    assert 0.9 < time.monotonic() - t1 < 8
    assert not running.alive(third.pid, None)
    print(f"\nagent start (existing wallet excluded): first start {start_seconds:.2f} s")


STARTER = """
import json, sys
from pathlib import Path
from ssi_wallet.agent import process
from ssi_wallet.agent.spec import AgentSpec
doc = json.load(sys.stdin)
runtime = process.start(AgentSpec(**{**doc, "root": Path(doc["root"])}))
print(runtime.pid)
"""


def test_agent_outlives_the_process_that_started_it_and_wrong_key_fails_cleanly(
        supervised_agents: AgentPool) -> None:
    spec = supervised_agents.spec("carol")
    # Started by a short-lived "CLI" process (the key goes in on stdin, not argv).
    doc = {"name": spec.name, "root": str(spec.root), "label": spec.label,
           "wallet_name": spec.wallet_name, "wallet_key": spec.wallet_key}
    starter = subprocess.run([sys.executable, "-c", STARTER], input=json.dumps(doc),
                             capture_output=True, text=True, timeout=120, cwd=Path.cwd())
    assert starter.returncode == 0, starter.stderr
    pid = int(starter.stdout.strip())
    runtime = process.status(spec.root)
    assert runtime is not None and runtime.pid == pid
    assert running.stat_fields(pid)[1] != str(os.getpid())  # not our child
    assert os.getsid(pid) == pid  # a session of its own
    with AdminClient.from_runtime(runtime) as admin:
        assert admin.get("/status")["label"] == "Carol"
    assert process.stop(spec.root) is True
    assert not running.alive(pid, None)

    # The same wallet with a wrong key: one line, nothing left behind.
    wrong = make_spec(spec.root, "carol", wallet_key=new_wallet_key())
    with pytest.raises(ServiceError) as err:
        process.start(wrong, timeout=30)
    message = str(err.value)
    assert "\n" not in message and "Error opening store" in message, message
    assert wrong.wallet_key not in message
    assert not runtime_path(spec.root).exists() and not pid_path(spec.root).exists()
    assert not _acapy_pids_for(spec.root)
    # The right key still opens it.
    runtime = process.start(spec)
    assert process.status(spec.root) == runtime
    process.stop(spec.root)


def test_fixed_port_in_use_is_reported(supervised_agents: AgentPool) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        spec = supervised_agents.spec("dave", admin_port=port)  # inbound: any free port
        t0 = time.monotonic()
        with pytest.raises(ServiceError, match=f"port {port} is in use"):
            process.start(spec, timeout=30)
        assert time.monotonic() - t0 < 10  # found at once, not retried nor timed out
    assert not runtime_path(spec.root).exists() and not _acapy_pids_for(spec.root)


def test_port_taken_between_choice_and_bind_is_retried(
        supervised_agents: AgentPool, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    taken = blocker.getsockname()[1]
    choose = process._choose_ports
    calls = []

    def racy(spec):  # the first choice loses the race for the inbound port
        ports = choose(spec)
        calls.append(ports)
        return (ports[0], taken) if len(calls) == 1 else ports

    monkeypatch.setattr(process, "_choose_ports", racy)
    spec = supervised_agents.spec("erin")
    try:
        runtime = process.start(spec, timeout=60)
        assert len(calls) == 2
        assert not runtime.inbound_url.endswith(f":{taken}")
        assert process.status(spec.root) == runtime
    finally:
        blocker.close()
        process.stop(spec.root)


def _wait_dead(pid: int, timeout: float = 10) -> None:
    end = time.monotonic() + timeout
    while running.alive(pid, None):
        process._reap(pid)
        assert time.monotonic() < end, f"{pid} still alive"
        time.sleep(0.05)


def _acapy_pids_for(root: Path) -> list[int]:
    """ACA-Py processes whose ACAPY_HOME is `root` (any we might have leaked)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if b"aries_cloudagent" not in (entry / "cmdline").read_bytes():
                continue
            if f"ACAPY_HOME={root.resolve()}".encode() in (entry / "environ").read_bytes():
                if running.alive(int(entry.name), None):
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


def test_cli_interpreter_is_the_agents() -> None:
    # The agent runs from the CLI's own environment: no separate install to drift.
    assert process.acapy_command()[0] == sys.executable
    assert subprocess.run([*process.acapy_command(), "--version"], capture_output=True,
                          text=True, timeout=60).stdout.strip().endswith("0.12.8")


def test_restart_keeps_the_inbound_port(supervised_agents: AgentPool) -> None:
    """Peers keep our DIDComm endpoint in their connections: a restart must not move it."""
    spec = supervised_agents.spec("frank")
    first = process.start(spec, timeout=60)
    try:
        process.stop(spec.root)
        again = process.start(spec, timeout=60)
        assert again.inbound_url == first.inbound_url
        assert again.endpoint == first.endpoint
    finally:
        process.stop(spec.root)
