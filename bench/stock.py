"""The stock baseline: three plain `aca-py start` agents (issuer, holder, verifier) with
ACA-Py's own automation flags, on the embedded ledger, driven through their admin APIs;
completion seen on the agents' `/ws` event streams (no polling).

Flags: issuer --auto-accept-requests --auto-respond-credential-request; holder
--auto-accept-invites --auto-accept-requests --auto-respond-credential-offer
--auto-store-credential --auto-respond-presentation-request; verifier
--auto-accept-requests --auto-verify-presentation. All --log-level warning (our agents'
level too), exchange records removed when done (ACA-Py's default; `preserve=True` keeps
them, as our agents do, for the soak's memory comparison).
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.common import INCOME_VALUES, income_check
from bench.events import EventHub, on

#: An exchange not finished after this many seconds counts as an error (a stalled
#: exchange would otherwise hold its worker, and the level, for minutes).
EXCHANGE_TIMEOUT = 45

FLAGS = {
    "issuer": ("--auto-accept-requests", "--auto-respond-credential-request"),
    "holder": (
        "--auto-accept-invites",
        "--auto-accept-requests",
        "--auto-respond-credential-offer",
        "--auto-store-credential",
        "--auto-respond-presentation-request",
    ),
    "verifier": ("--auto-accept-requests", "--auto-verify-presentation"),
}
HANDSHAKES = ["https://didcomm.org/didexchange/1.0"]
ATTRS = list(INCOME_VALUES)
VALUES = INCOME_VALUES


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Admin:
    """A minimal admin-API client (keep-alive, JSON)."""

    def __init__(self, url: str, key: str) -> None:
        self.url, self.key = url, key
        self.http = httpx.Client(
            base_url=url, headers={"x-api-key": key}, timeout=120, trust_env=False
        )

    def get(self, path: str, **params: Any) -> Any:
        r = self.http.get(path, params=params or None)
        r.raise_for_status()
        return r.json()

    def post(self, path: str, body: Any = None, **params: Any) -> Any:
        r = self.http.post(path, json=body if body is not None else {}, params=params or None)
        if r.status_code >= 400:
            raise RuntimeError(f"POST {path}: {r.status_code} {r.text[:300]}")
        return r.json() if r.content else None


@dataclass
class StockAgent:
    role: str
    proc: subprocess.Popen
    admin: Admin
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def hub(self) -> EventHub:
        return EventHub(self.admin.url, self.admin.key, self.role)

    def stop(self) -> None:
        self.admin.http.close()
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


def start_agent(
    workdir: Path,
    role: str,
    *,
    genesis: str,
    tails_url: str | None = None,
    seed: str | None = None,
    extra_flags: tuple[str, ...] = (),
) -> StockAgent:
    workdir.mkdir(parents=True, exist_ok=True)
    inbound, admin_port = _free_port(), _free_port()
    key = secrets.token_hex(16)
    args = [
        sys.executable,
        "-m",
        "aries_cloudagent",
        "start",
        "--label",
        f"stock-{role}",
        "--inbound-transport",
        "http",
        "127.0.0.1",
        str(inbound),
        "--outbound-transport",
        "http",
        "--endpoint",
        f"http://127.0.0.1:{inbound}",
        "--admin",
        "127.0.0.1",
        str(admin_port),
        "--wallet-type",
        "askar",
        "--wallet-name",
        f"stock-{role}",
        "--auto-provision",
        "--log-level",
        "warning",
        "--genesis-file",
        genesis,
        *FLAGS[role],
        *extra_flags,
    ]
    if tails_url:
        args += ["--tails-server-base-url", tails_url, "--tails-server-upload-url", tails_url]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACAPY_", "SSI_WALLET"))}
    env.update(
        ACAPY_HOME=str(workdir),
        ACAPY_WALLET_KEY=secrets.token_hex(16),
        ACAPY_ADMIN_API_KEY=key,
        HOME=str(workdir),
    )
    if seed:
        env["ACAPY_WALLET_SEED"] = seed
    log = workdir / "agent.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=workdir,
            start_new_session=True,
        )
    agent = StockAgent(role, proc, Admin(f"http://127.0.0.1:{admin_port}", key), log)
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"stock {role} exited: {log.read_text()[-500:]}")
        try:
            if agent.admin.http.get("/status/ready", timeout=2).json().get("ready"):
                return agent
        except (httpx.HTTPError, ValueError):
            pass
        if time.monotonic() > deadline:
            agent.stop()
            raise RuntimeError(f"stock {role} not ready: {log.read_text()[-500:]}")
        time.sleep(0.2)


class StockSetup:
    """Issuer, holder and verifier, connected, with a plain and a revocable definition."""

    def __init__(self, workdir: Path, ledger, log=print, *, preserve: bool = False) -> None:
        self.workdir, self.ledger, self.log = workdir, ledger, log
        self.preserve = preserve  # keep exchange records (--preserve-exchange-records)
        self.agents: dict[str, StockAgent] = {}
        self.hubs: dict[str, EventHub] = {}
        self.cred_defs: dict[bool, str] = {}

    def __enter__(self) -> StockSetup:
        from concurrent.futures import ThreadPoolExecutor

        from ssi_wallet.ledger.keys import KeyPair

        info = self.ledger.info()
        seeds = {}
        for role in ("issuer", "verifier"):
            seeds[role] = secrets.token_hex(16)
            kp = KeyPair.from_seed(seeds[role])
            self.ledger.register(kp.did, kp.verkey, "ENDORSER")
        try:
            with ThreadPoolExecutor(3) as pool:
                futures = {
                    role: pool.submit(
                        start_agent,
                        self.workdir / role,
                        role,
                        genesis=info.genesis_path,
                        tails_url=info.tails_server_url if role == "issuer" else None,
                        seed=seeds.get(role),
                        extra_flags=("--preserve-exchange-records",) if self.preserve else (),
                    )
                    for role in ("issuer", "holder", "verifier")
                }
                for role, fut in futures.items():
                    self.agents[role] = fut.result()
            for role, agent in self.agents.items():
                self.hubs[role] = agent.hub().__enter__()
            self.conn = {"issuer": self.connect("issuer"), "verifier": self.connect("verifier")}
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        for hub in self.hubs.values():
            hub.__exit__()
        for agent in self.agents.values():
            agent.stop()

    @property
    def pids(self) -> dict[str, int]:
        return {role: agent.pid for role, agent in self.agents.items()}

    def connect(self, role: str) -> str:
        """A new connection role -> holder; returns the role's connection id."""
        agent, holder = self.agents[role], self.agents["holder"]
        inv = agent.admin.post(
            "/out-of-band/create-invitation",
            {"handshake_protocols": HANDSHAKES, "use_public_did": False},
            auto_accept="true",
        )
        waiting = self.hubs[role].expect(
            on("connections", invitation_msg_id=inv["invi_msg_id"], state=("active", "completed"))
        )
        holder.admin.post("/out-of-band/receive-invitation", inv["invitation"], auto_accept="true")
        return waiting.result(timeout=60)["connection_id"]

    def make_cred_def(self, revocable: bool, registry_size: int) -> str:
        issuer = self.agents["issuer"].admin
        if not hasattr(self, "schema_id"):
            self.schema_id = issuer.post(
                "/schemas",
                {"schema_name": "IncomeStatement", "schema_version": "1.0", "attributes": ATTRS},
            )["sent"]["schema_id"]
        body: dict[str, Any] = {
            "schema_id": self.schema_id,
            "support_revocation": revocable,
            "tag": "revocable" if revocable else "default",
        }
        if revocable:
            body["revocation_registry_size"] = registry_size
        cred_def_id = issuer.post("/credential-definitions", body)["sent"][
            "credential_definition_id"
        ]
        if revocable:
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:  # setup only, not measured
                try:
                    active = issuer.get(f"/revocation/active-registry/{cred_def_id}")
                    if active.get("result", {}).get("state") == "active":
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.5)
            else:
                raise RuntimeError("stock issuer: no active revocation registry")
        self.cred_defs[revocable] = cred_def_id
        return cred_def_id

    # ---------------------------------------------------------------- one iteration

    def issue(self, cred_def_id: str, connection_id: str | None = None) -> float:
        """Offer -> stored in the holder's wallet (holder's record `done`), seconds."""
        issuer = self.agents["issuer"].admin
        t0 = time.perf_counter()
        record = issuer.post(
            "/issue-credential-2.0/send-offer",
            {
                "connection_id": connection_id or self.conn["issuer"],
                "auto_issue": True,
                "auto_remove": not self.preserve,
                "credential_preview": {
                    "@type": "issue-credential/2.0/credential-preview",
                    "attributes": [{"name": k, "value": v} for k, v in VALUES.items()],
                },
                "filter": {"indy": {"cred_def_id": cred_def_id}},
            },
        )
        done = self.hubs["holder"].expect(
            on("issue_credential_v2_0", thread_id=record["thread_id"], state="done")
        )
        done.result(timeout=EXCHANGE_TIMEOUT)
        return time.perf_counter() - t0

    def prove(self, cred_def_id: str, revocable: bool) -> float:
        """Request sent -> verified (verifier's record `done`, verified true), seconds."""
        verifier = self.agents["verifier"].admin
        now = int(time.time())
        request = income_check(cred_def_id)
        if revocable:
            request["non_revoked"] = {"from": now, "to": now}
        t0 = time.perf_counter()
        record = verifier.post(
            "/present-proof-2.0/send-request",
            {
                "connection_id": self.conn["verifier"],
                "auto_verify": True,
                "auto_remove": not self.preserve,
                "presentation_request": {"indy": request},
            },
        )
        done = self.hubs["verifier"].expect(
            on("present_proof_v2_0", pres_ex_id=record["pres_ex_id"], state=("done", "abandoned"))
        )
        payload = done.result(timeout=EXCHANGE_TIMEOUT)
        elapsed = time.perf_counter() - t0
        if payload.get("verified") != "true":
            raise RuntimeError(
                f"stock proof not verified: {payload.get('state')} {payload.get('error_msg')}"
            )
        return elapsed

    def iteration(self, revocable: bool):
        cred_def_id = self.cred_defs[revocable]

        def run(_worker: int, _index: int) -> dict[str, float]:
            return {
                "issuance_s": self.issue(cred_def_id),
                "proof_s": self.prove(cred_def_id, revocable),
            }

        return run

    def fresh_connection_issuance(self, count: int, revocable: bool = False) -> dict[str, Any]:
        from bench.common import summary_ms

        cred_def_id = self.cred_defs[revocable]
        times = []
        for _ in range(count):
            connection_id = self.connect("issuer")  # not timed
            times.append(self.issue(cred_def_id, connection_id))
        return summary_ms(times)
