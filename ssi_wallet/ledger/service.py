"""The ledger as a service for the CLI: start, stop, status, info, register, txns, reset.

The server runs as its own process (``python -m ssi_wallet.ledger serve``), supervised by
PID through a pid file in the data directory. Heavy modules (zmq, nacl) are imported
inside functions so importing this module stays cheap.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ssi_wallet.errors import AlreadyRunningError, NotFoundError, ServiceError, UsageError

from .supervise import is_our_server, log_tail, terminate

START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0
ROLE_CODES = {
    "TRUSTEE": "0",
    "STEWARD": "2",
    "ENDORSER": "101",
    "NETWORK_MONITOR": "201",
    "NONE": None,
}
TYPE_CODES = {
    "NODE": "0",
    "NYM": "1",
    "ATTRIB": "100",
    "SCHEMA": "101",
    "CLAIM_DEF": "102",
    "REVOC_REG_DEF": "113",
    "REVOC_REG_ENTRY": "114",
}
TYPE_NAMES = {v: k for k, v in TYPE_CODES.items()}


def default_data_dir() -> Path:
    """``$SSI_WALLET_HOME/ledger`` (or the platform data directory's ``ledger``)."""
    from ssi_wallet.config import data_home

    return data_home() / "ledger"


@dataclass
class LedgerInfo:
    """What a caller needs to point ACA-Py or indy-vdr at the ledger."""

    data_dir: str
    running: bool
    pid: int | None
    genesis_path: str
    trustee_did: str
    trustee_seed_file: str
    tails_server_url: str
    host: str
    base_port: int
    nodes: int
    node_ports: list[int]
    txn_count: int

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class LedgerService:
    """Operations on the ledger kept in one data directory."""

    def __init__(self, data_dir: Path | None = None) -> None:
        from .datadir import DataDir

        self.dd = DataDir(data_dir or default_data_dir())

    # ---- process supervision ---------------------------------------------------
    def pid(self) -> int | None:
        """PID of the running server for this data directory, or None (stale files removed)."""
        try:
            pid = int(self.dd.pid.read_text().strip())
        except (OSError, ValueError):
            return None
        if is_our_server(pid, self.dd.root):
            return pid
        self.dd.pid.unlink(missing_ok=True)
        return None

    @contextmanager
    def _lock(self) -> Iterator[None]:
        self.dd.root.mkdir(parents=True, exist_ok=True)
        with open(self.dd.root / ".lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _initialize(self, nodes: int | None, host: str | None, port: int | None) -> None:
        from .datadir import LedgerSetupError, initialize

        if self.dd.exists():
            settings = self.dd.load()
            nodes = settings.node_count if nodes is None else nodes
            host = settings.host if host is None else host
        try:
            initialize(self.dd, nodes=nodes or 4, host=host or "127.0.0.1", base_port=port)
        except LedgerSetupError as exc:
            raise UsageError(str(exc)) from None

    def start(
        self,
        nodes: int | None = None,
        host: str | None = None,
        port: int | None = None,
        timeout: float = START_TIMEOUT,
        synchronous: str = "FULL",
        exit_with_pid: int | None = None,
    ) -> LedgerInfo:
        """Start in the background; return once every node answers a ping.

        ``synchronous`` is SQLite's: FULL (default) fsyncs every accepted write before
        its reply; NORMAL survives a killed process but not a power cut (benchmarks).
        ``exit_with_pid`` ties the server's life to a process (test fixtures: no leaks
        when the test runner is killed).
        """
        if synchronous not in ("FULL", "NORMAL"):
            raise UsageError("synchronous must be FULL or NORMAL")
        with self._lock():
            running = self.pid()
            if running:
                raise AlreadyRunningError(
                    f"the ledger in {self.dd.root} is already running (pid {running})"
                )
            self._initialize(nodes, host, port)
            self._check_ports()
            log = open(self.dd.log, "ab")
            try:
                proc = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "ssi_wallet.ledger",
                        "serve",
                        "--data-dir",
                        str(self.dd.root),
                        "--synchronous",
                        synchronous,
                        *(["--exit-with-pid", str(exit_with_pid)] if exit_with_pid else []),
                    ],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    close_fds=True,
                    cwd=str(self.dd.root),
                    env=_child_env(),
                )
            finally:
                log.close()
            self.dd.pid.write_text(f"{proc.pid}\n")
            try:
                self._wait_ready(proc, timeout)
            except BaseException:
                terminate(proc.pid, STOP_TIMEOUT)
                proc.wait(timeout=1)
                self.dd.pid.unlink(missing_ok=True)
                raise
        return self.info()

    def ensure_running(
        self, nodes: int | None = None, host: str | None = None, port: int | None = None
    ) -> LedgerInfo:
        """Start unless already running (safe when several callers race)."""
        try:
            return self.start(nodes=nodes, host=host, port=port)
        except AlreadyRunningError:
            return self.info()

    def run_foreground(
        self,
        nodes: int | None = None,
        host: str | None = None,
        port: int | None = None,
        on_ready: Any = None,
    ) -> None:
        """Run the server in this process until SIGTERM/SIGINT."""
        import logging

        with self._lock():
            running = self.pid()
            if running:
                raise AlreadyRunningError(
                    f"the ledger in {self.dd.root} is already running (pid {running})"
                )
            self._initialize(nodes, host, port)
            self._check_ports()
            self.dd.pid.write_text(f"{os.getpid()}\n")
        from .server import run

        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        try:
            run(self.dd, on_ready=(lambda: on_ready(self.info())) if on_ready else None)
        finally:
            self.dd.pid.unlink(missing_ok=True)

    def _check_ports(self) -> None:
        settings = self.dd.load()
        for port in [n.client_port for n in settings.nodes] + [settings.tails_port]:
            with socket.socket() as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    s.bind((settings.host, port))
                except OSError:
                    raise ServiceError(
                        f"port {settings.host}:{port} is in use; the ledger cannot start",
                        hint="stop what uses it, or reset the ledger to pick new ports",
                    ) from None

    def _wait_ready(self, proc: subprocess.Popen, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise ServiceError(
                    f"the ledger exited during start-up (code {proc.returncode})",
                    hint=f"see {self.dd.log}:\n{log_tail(self.dd.log)}",
                )
            if all(self.ping(timeout=0.5).values()) and self._tails_up():
                return
            time.sleep(0.05)
        raise ServiceError(
            f"the ledger did not answer within {timeout:.0f} s", hint=f"see {self.dd.log}"
        )

    def _tails_up(self) -> bool:
        settings = self.dd.load()
        try:
            with socket.create_connection((settings.host, settings.tails_port), timeout=0.5):
                return True
        except OSError:
            return False

    def ping(self, timeout: float = 1.0) -> dict[str, bool]:
        """Which nodes answer a ping now."""
        from .client import NodeClient

        settings = self.dd.load()
        with NodeClient(
            settings.host, [(n.alias, n.client_port, n.verkey) for n in settings.nodes]
        ) as client:
            return client.ping(timeout)

    def stop(self, timeout: float = STOP_TIMEOUT) -> dict[str, Any]:
        """SIGTERM, wait, then SIGKILL; a stale pid file is cleaned up."""
        pid = self.pid()
        if pid is None:
            return {"data_dir": str(self.dd.root), "was_running": False, "stopped": False}
        forced = terminate(pid, timeout)
        self.dd.pid.unlink(missing_ok=True)
        return {
            "data_dir": str(self.dd.root),
            "was_running": True,
            "stopped": True,
            "pid": pid,
            "killed": forced,
        }

    # ---- information --------------------------------------------------------------
    def _require_ledger(self) -> None:
        if not self.dd.exists():
            raise NotFoundError(
                f"no ledger in {self.dd.root}", hint="start one with: ssi-wallet ledger start"
            )

    def status(self) -> dict[str, Any]:
        if not self.dd.exists():
            return {
                "data_dir": str(self.dd.root),
                "exists": False,
                "running": False,
                "pid": None,
                "nodes": [],
            }
        settings = self.dd.load()
        pid = self.pid()
        answering = self.ping(timeout=1.0) if pid else {}
        return {
            "data_dir": str(self.dd.root),
            "exists": True,
            "running": pid is not None,
            "pid": pid,
            "nodes": [
                {
                    "alias": n.alias,
                    "client_port": n.client_port,
                    "answering": answering.get(n.alias, False),
                }
                for n in settings.nodes
            ],
            "tails_server_url": f"http://{settings.host}:{settings.tails_port}",
        }

    def info(self) -> LedgerInfo:
        self._require_ledger()
        from .storage import count_txns

        settings = self.dd.load()
        count = count_txns(self.dd.db) if self.dd.db.exists() else 0
        pid = self.pid()
        return LedgerInfo(
            data_dir=str(self.dd.root),
            running=pid is not None,
            pid=pid,
            genesis_path=str(self.dd.genesis),
            trustee_did=settings.trustee_did,
            trustee_seed_file=str(self.dd.trustee_seed),
            tails_server_url=f"http://{settings.host}:{settings.tails_port}",
            host=settings.host,
            base_port=settings.base_port,
            nodes=settings.node_count,
            node_ports=[n.client_port for n in settings.nodes],
            txn_count=count,
        )

    def txns(self, types: list[str] | None = None) -> list[dict[str, Any]]:
        """Domain transactions, optionally of some types (names like SCHEMA, or codes)."""
        self._require_ledger()
        from .storage import list_txns

        codes = None
        if types:
            codes = []
            for t in types:
                code = TYPE_CODES.get(t.upper(), t if t in TYPE_NAMES else None)
                if code is None:
                    raise UsageError(
                        f"unknown transaction type {t!r}",
                        hint="use one of: " + ", ".join(n for n in TYPE_CODES if n != "NODE"),
                    )
                codes.append(code)
        if not self.dd.db.exists():
            return []
        out = []
        for t in list_txns(self.dd.db, codes):
            txn = json.loads(t.txn)
            out.append(
                {
                    "seq_no": t.seq_no,
                    "type": TYPE_NAMES.get(t.type, t.type),
                    "txn_id": t.txn_id,
                    "txn_time": t.txn_time,
                    "from": txn["txn"].get("metadata", {}).get("from"),
                    "summary": _summary(t.type, txn["txn"].get("data", {})),
                }
            )
        return out

    # ---- writes -------------------------------------------------------------------
    def register(self, did: str, verkey: str, role: str | None = "ENDORSER") -> dict[str, Any]:
        """Write a NYM signed by the trustee."""
        self._require_ledger()
        import base58

        from .client import NodeClient
        from .keys import KeyPair, expand_verkey, is_valid_did
        from .signing import signing_input

        role_key = (role or "none").upper()
        if role_key not in ROLE_CODES:
            raise UsageError(
                f"unknown role {role!r}", hint="use ENDORSER, STEWARD, TRUSTEE or none"
            )
        if not is_valid_did(did):
            raise UsageError(f"{did!r} is not an Indy DID (base58 of 16 bytes)")
        try:
            expand_verkey(did, verkey)
        except ValueError:
            raise UsageError(f"{verkey!r} is not a valid verkey for {did}") from None
        if not self.pid():
            raise ServiceError(
                f"the ledger in {self.dd.root} is not running", hint="ssi-wallet ledger start"
            )
        settings = self.dd.load()
        trustee = KeyPair.from_seed(self.dd.read_trustee_seed())
        request: dict[str, Any] = {
            "identifier": trustee.did,
            "operation": {"dest": did, "role": ROLE_CODES[role_key], "type": "1", "verkey": verkey},
            "protocolVersion": 2,
            "reqId": time.time_ns(),
        }
        request["signature"] = base58.b58encode(trustee.sign(signing_input(request))).decode()
        with NodeClient(
            settings.host, [(n.alias, n.client_port, n.verkey) for n in settings.nodes]
        ) as client:
            try:
                reply = client.submit(request)
            except TimeoutError:
                raise ServiceError("the ledger did not answer the NYM request") from None
        if reply["op"] != "REPLY":
            raise ServiceError(f"the ledger refused the NYM: {reply.get('reason')}")
        meta = reply["result"]["txnMetadata"]
        return {
            "did": did,
            "verkey": verkey,
            "role": role_key if role_key != "NONE" else None,
            "seq_no": meta["seqNo"],
            "txn_time": meta["txnTime"],
        }

    def reset(self) -> dict[str, Any]:
        """Stop the ledger and delete its data directory (only if it is a ledger's)."""
        root = self.dd.root
        if not root.exists():
            return {"data_dir": str(root), "removed": False}
        known = {
            "ledger.json",
            "genesis.txn",
            "node_keys.json",
            "trustee.seed",
            "ledger.sqlite",
            "ledger.pid",
            "ledger.log",
            "tails",
            ".lock",
            "ledger.sqlite-wal",
            "ledger.sqlite-shm",
            "ledger.tmp",
        }
        names = {p.name for p in root.iterdir() if not p.name.endswith(".tmp")}
        if names - known:
            raise UsageError(
                f"{root} holds files the ledger did not create"
                f" ({', '.join(sorted(names - known))});"
                " not deleting it"
            )
        stopped = self.stop()
        shutil.rmtree(root)
        return {"data_dir": str(root), "removed": True, "was_running": stopped["was_running"]}


def _child_env() -> dict[str, str]:
    """The environment for the server: ours, with this package importable from any cwd."""
    import ssi_wallet

    env = dict(os.environ)
    src = str(Path(ssi_wallet.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
    return env


def _summary(code: str, data: dict) -> str:
    if code == "1":
        role = {"0": "TRUSTEE", "2": "STEWARD", "101": "ENDORSER", "201": "NETWORK_MONITOR"}.get(
            data.get("role"), ""
        )
        return f"{data.get('dest')} {role}".strip()
    if code == "100":
        return f"{data.get('dest')} " + (
            "raw" if "raw" in data else "hash" if "hash" in data else "enc"
        )
    if code == "101":
        d = data.get("data", {})
        return f"{d.get('name')} {d.get('version')} ({len(d.get('attr_names', []))} attributes)"
    if code == "102":
        return f"schema #{data.get('ref')} tag {data.get('tag')}" + (
            " revocable" if "revocation" in data.get("data", {}) else ""
        )
    if code == "113":
        return f"{data.get('id')} (max {data.get('value', {}).get('maxCredNum')})"
    if code == "114":
        v = data.get("value", {})
        issued, revoked = len(v.get("issued") or []), len(v.get("revoked") or [])
        return f"{data.get('revocRegDefId')} +{issued} -{revoked}"
    return ""
