"""Start stock ACA-Py 0.12.8 agents configured by a test, and talk to their admin API.

Roles differ only in flags: an issuer or verifier gets a public DID (``seed``) and,
for an issuer, the tails server; a holder gets none. Agents run as subprocesses with
their own ``ACAPY_HOME`` under the test's tmp dir, secrets in the environment (not in
argv), and are stopped by PID: SIGTERM, a short wait, then SIGKILL.

    agent = stock_agent_factory(AgentConfig(role="issuer", seed=..., genesis_path=...,
                                            tails_server_url=...))
    agent.admin.post("/schemas", json={...})
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.plugins.waiting import eventually

READY_TIMEOUT = 60.0
DEFAULT_AUTO_FLAGS: dict[str, tuple[str, ...]] = {
    "issuer": (
        "--auto-accept-invites",
        "--auto-accept-requests",
        "--auto-respond-messages",
        "--auto-ping-connection",
        "--auto-respond-credential-proposal",
        "--auto-respond-credential-request",
    ),
    "verifier": (
        "--auto-accept-invites",
        "--auto-accept-requests",
        "--auto-respond-messages",
        "--auto-ping-connection",
        "--auto-verify-presentation",
    ),
    "holder": (
        "--auto-accept-invites",
        "--auto-accept-requests",
        "--auto-respond-messages",
        "--auto-ping-connection",
        "--auto-store-credential",
    ),
}


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@dataclass
class AgentConfig:
    """How to start one stock agent. ``auto_flags=None`` takes the role's defaults."""

    role: str = "holder"  # issuer | verifier | holder
    label: str | None = None
    genesis_path: str | None = None  # None: --no-ledger
    seed: str | None = None  # public DID seed (issuer/verifier)
    tails_server_url: str | None = None
    auto_flags: tuple[str, ...] | None = None
    extra_args: tuple[str, ...] = ()
    log_level: str = "warning"
    host: str = "127.0.0.1"


class AdminClient:
    """A small admin-API client: JSON in, JSON out, errors raised with the body."""

    def __init__(self, base_url: str, api_key: str, timeout: float = 60.0) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, headers={"X-API-Key": api_key}, timeout=timeout)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        resp = self.http.request(method, path, **kwargs)
        if resp.status_code >= 400:
            raise AssertionError(f"{method} {path} -> {resp.status_code}: {resp.text}")
        return resp.json() if resp.content else None

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.request("POST", path, json=json if json is not None else {}, **kwargs)

    def wait_for(
        self, probe: Callable[[], Any], timeout: float = 60.0, interval: float = 0.2
    ) -> Any:
        """Call ``probe`` until it returns something truthy (and return that)."""
        return eventually(probe, timeout, interval, error=TimeoutError)

    def close(self) -> None:
        self.http.close()


@dataclass
class StockAgent:
    """A running agent: admin URL and key, DIDComm endpoint, PID and log file."""

    config: AgentConfig
    proc: subprocess.Popen
    admin_url: str
    api_key: str
    endpoint: str
    log_path: Path
    admin: AdminClient = field(init=False)

    def __post_init__(self) -> None:
        self.admin = AdminClient(self.admin_url, self.api_key)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 5.0) -> None:
        self.admin.close()
        if self.proc.poll() is not None:
            return
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


def start_stock_agent(workdir: Path, config: AgentConfig) -> StockAgent:
    """Start ``python -m aries_cloudagent start`` as configured; return once it is ready."""
    workdir.mkdir(parents=True, exist_ok=True)
    host = config.host
    inbound, admin_port = free_port(host), free_port(host)
    api_key = secrets.token_hex(16)
    label = config.label or f"{config.role}-{secrets.token_hex(3)}"
    endpoint = f"http://{host}:{inbound}"
    args = [
        sys.executable,
        "-m",
        "aries_cloudagent",
        "start",
        "--label",
        label,
        "--inbound-transport",
        "http",
        host,
        str(inbound),
        "--outbound-transport",
        "http",
        "--endpoint",
        endpoint,
        "--admin",
        host,
        str(admin_port),
        "--wallet-type",
        "askar",
        "--wallet-name",
        f"{label}-wallet",
        "--auto-provision",
        "--log-level",
        config.log_level,
    ]
    if config.genesis_path:
        args += ["--genesis-file", config.genesis_path]
    else:
        args += ["--no-ledger"]
    if config.tails_server_url:
        args += [
            "--tails-server-base-url",
            config.tails_server_url,
            "--tails-server-upload-url",
            config.tails_server_url,
        ]
    flags = (
        DEFAULT_AUTO_FLAGS.get(config.role, ()) if config.auto_flags is None else config.auto_flags
    )
    args += list(flags) + list(config.extra_args)
    env = dict(os.environ)
    env.update(
        ACAPY_HOME=str(workdir / "acapy-home"),
        ACAPY_WALLET_KEY=secrets.token_hex(16),
        ACAPY_ADMIN_API_KEY=api_key,
        HOME=str(workdir),
    )
    if config.seed:
        env["ACAPY_WALLET_SEED"] = config.seed
    log_path = workdir / f"{label}.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=str(workdir),
            start_new_session=True,
        )
    agent = StockAgent(config, proc, f"http://{host}:{admin_port}", api_key, endpoint, log_path)
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        if proc.poll() is not None:
            agent.stop()
            raise RuntimeError(f"ACA-Py exited with {proc.returncode}:\n{agent.log_tail()}")
        try:
            if agent.admin.http.get("/status/ready", timeout=1).json().get("ready"):
                return agent
        except (httpx.HTTPError, ValueError):
            pass
        if time.monotonic() > deadline:
            agent.stop()
            raise RuntimeError(f"ACA-Py not ready within {READY_TIMEOUT} s:\n{agent.log_tail()}")
        time.sleep(0.2)


AgentFactory = Callable[[AgentConfig], StockAgent]


@pytest.fixture
def stock_agent_factory(tmp_path: Path) -> Iterator[AgentFactory]:
    """Start stock agents for one test; all are stopped by PID at teardown."""
    agents: list[StockAgent] = []

    def _start(config: AgentConfig) -> StockAgent:
        agent = start_stock_agent(tmp_path / f"agent{len(agents)}", config)
        agents.append(agent)
        return agent

    yield _start
    for agent in agents:
        agent.stop()
