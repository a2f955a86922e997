"""A whole small deployment for the crash and secrets runs, all real processes: an
embedded ledger (1 node), one project agency (issuer + verifier, ACA-Py under our
supervisor) and one citizen wallet (our CLI and its ACA-Py agent), connected.

Used by `scripts/crash_runs.py` and the hardening tests (the soak runs the benchmark's
setup, `bench/ours.py`). Every step goes through the real CLI (`python -m ssi_wallet`),
except reading an agent's records, which uses its admin API with the key from its 0600
runtime file.
"""

from __future__ import annotations

import json
import os
import signal
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.plugins.homes import CliHome, connect_citizen, start_agency, use_ledger
from tests.plugins.waiting import eventually as _eventually

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "hardening harness passphrase (test only)"
ENV = {"SSI_WALLET_PASSPHRASE": PASSPHRASE}
INCOME = {
    "month": "2026-10",
    "net_income_cents": "1234.00 EUR",
    "gross_income_cents": "1600.00 EUR",
    "employer_name": "Town",
    "issue_date": "2026-11-01",
    "valid_until": "2030-12-31",
}


class StepFailed(AssertionError):
    pass


class Home(CliHome):
    env = ENV

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        path.mkdir(parents=True, exist_ok=True, mode=0o700)

    def json(self, *args: str, timeout: float = 180) -> Any:
        result = self(*args, "--json", timeout=timeout)
        if result.returncode != 0:
            raise StepFailed(
                f"ssi-wallet {' '.join(args[:3])} exited {result.returncode}: "
                f"{result.stderr.strip()[-300:]}"
            )
        return result.json()


def eventually(probe: Callable[[], Any], timeout: float = 90.0, interval: float = 0.3) -> Any:
    """The shared wait, failing with StepFailed (what `scripts/crash_runs.py` catches)."""
    return _eventually(probe, timeout, interval, error=StepFailed)


class Stack:
    """Ledger + agency `town` + citizen wallet, connected; see the module docstring."""

    def __init__(self, workdir: Path | None = None, *, payments_url: str | None = None,
                 holder_agent: dict[str, Any] | None = None,
                 agency_agent: dict[str, Any] | None = None,
                 catchup_seconds: int | None = None) -> None:
        """With `payments_url`, the agency also runs the example income-supplement policy
        (two-step, a payment webhook to that URL) for `verifier serve` workflows.
        `holder_agent` / `agency_agent`: agent settings (inbound_port, endpoint), e.g. to
        put a `gate.Gate` in front of an agent's inbound port. `catchup_seconds`: how
        often `verifier serve` catches up (the default is 60 s; a CI test waits less)."""
        self.payments_url = payments_url
        self.catchup_seconds = catchup_seconds
        self.holder_agent = holder_agent or {}
        self.agency_agent = agency_agent or {}
        self.work = Path(workdir or tempfile.mkdtemp(prefix="ssi-hardening-"))
        self.agency = Home(self.work / "agency-home")
        self.wallet = Home(self.work / "citizen-home")
        self.ledger = None
        self.connection = ""  # the agency's connection id to the citizen
        self.holder_connection = ""  # the wallet's

    # ------------------------------------------------------------------ set-up
    def start(self) -> Stack:
        from ssi_wallet.ledger.keys import KeyPair
        from ssi_wallet.ledger.service import LedgerService

        self.ledger = LedgerService(self.work / "ledger")
        info = self.ledger.start(nodes=1, exit_with_pid=os.getpid())
        seed = os.urandom(16).hex()
        keys = KeyPair.from_seed(seed)
        self.ledger.register(keys.did, keys.verkey, "ENDORSER")
        files = self.work / "operator"
        files.mkdir(mode=0o700)
        (files / "did.seed").write_text(seed + "\n")
        (files / "did.seed").chmod(0o600)
        (files / "fresh.yaml").write_text(
            "name: fresh\ncredential: IncomeStatement\nreveal: [month]\n"
            "prove:\n  - net_income < 1500.00 EUR\n"
            f"trusted_issuers:\n  - did: {keys.did}\nnon_revoked: false\n"
        )
        town = (
            "name: town\nlabel: Town hall\nroles: [issuer, verifier]\ncredential_types:\n"
            f"  - {ROOT / 'examples' / 'credentials' / 'income-statement.yaml'}\n"
            f"policies:\n  - {files / 'fresh.yaml'}\n"
        )
        if self.payments_url:
            town += (
                f"  - {ROOT / 'examples' / 'policies' / 'income-supplement.yaml'}\n"
                "figures:\n  social_minimum:\n    - {from: 2026-01-01, value: 1500.00 EUR}\n"
                f"settings:\n  trusted_employers: [{keys.did}]\n"
                f"  payments_webhook: {self.payments_url}\n"
            )
            if self.catchup_seconds:
                town += f"  catchup_interval_seconds: {self.catchup_seconds}\n"
        if self.agency_agent:
            town += "agent:\n" + "".join(f"  {k}: {v}\n" for k, v in self.agency_agent.items())
        (files / "town.yaml").write_text(town)
        for home in (self.agency, self.wallet):
            use_ledger(home, info)
        for key, value in self.holder_agent.items():
            self.wallet("config", "set", f"agent.{key}", str(value)).check()
        start_agency(self.agency, "town", files / "town.yaml", files / "did.seed")
        self.wallet.json("init", "--label", "Jan", "--no-keyring")
        self.holder_connection, self.connection = connect_citizen(
            self.agency, self.wallet, "town", timeout=90.0, error=StepFailed
        )
        self.agency.json(
            "issuer", "creddef", "create", "IncomeStatement", "--agency", "town", timeout=300
        )
        return self

    def stop(self) -> None:
        self.wallet("agent", "stop")
        self.agency("agency", "stop", "town")
        if self.ledger is not None:
            self.ledger.stop()

    # ------------------------------------------------------------------ processes
    def _runtime(self, root: Path) -> dict[str, Any] | None:
        path = root / "run" / "agent.json"
        return json.loads(path.read_text()) if path.is_file() else None

    @property
    def holder_root(self) -> Path:
        return self.wallet.path / "holder"

    @property
    def agency_root(self) -> Path:
        found = sorted((self.agency.path / "agencies").rglob("run/agent.json"))
        return found[0].parent.parent

    def pids(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for name, root in (("holder agent", self.holder_root), ("agency agent", self.agency_root)):
            runtime = self._runtime(root)
            if runtime:
                out[name] = runtime["pid"]
        ledger_pid = self.ledger.pid() if self.ledger else None
        if ledger_pid:
            out["ledger"] = ledger_pid
        return out

    def kill_holder(self) -> int:
        return self._kill_agent(self.holder_root)

    def kill_agency(self) -> int:
        """kill -9 of the agency's ACA-Py agent (not of `verifier serve`)."""
        return self._kill_agent(self.agency_root)

    def _kill_agent(self, root: Path) -> int:
        runtime = self._runtime(root)
        assert runtime, f"no agent runs in {root}"
        os.kill(runtime["pid"], signal.SIGKILL)
        deadline = time.monotonic() + 10
        while Path(f"/proc/{runtime['pid']}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        return runtime["pid"]

    def agency_admin(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._admin(self.agency_root, method, path, **kwargs)

    def holder_admin(self, method: str, path: str, **kwargs: Any) -> Any:
        """The citizen's agent, read directly (to check its side of an exchange)."""
        return self._admin(self.holder_root, method, path, **kwargs)

    def _admin(self, root: Path, method: str, path: str, **kwargs: Any) -> Any:
        runtime = self._runtime(root)
        response = httpx.request(
            method,
            runtime["admin_url"] + path,
            headers={"x-api-key": runtime["api_key"]},
            timeout=60,
            **kwargs,
        )
        response.raise_for_status()
        return response.json()

    # ------------------------------------------------------------------ steps
    def offer(self, employee_ref: str, **overrides: str) -> str:
        args = [
            "issuer",
            "issue",
            "--agency",
            "town",
            "--connection",
            self.connection,
            "--type",
            "IncomeStatement",
            "--no-wait",
        ]
        for name, value in {**INCOME, "employee_ref": employee_ref, **overrides}.items():
            args += ["--attr", f"{name}={value}"]
        return self.agency.json(*args)["cred_ex_id"]

    def wallet_offer(self) -> dict[str, Any]:
        return eventually(lambda: self.wallet.json("offers", "list"))[0]

    def credentials_with(self, employee_ref: str) -> list[dict[str, Any]]:
        return [
            c
            for c in self.wallet.json("credentials", "list")
            if c["attributes"].get("employee_ref") == employee_ref
        ]

    def request(self) -> str:
        return self.agency.json(
            "verifier",
            "request",
            "--agency",
            "town",
            "--policy",
            "fresh",
            "--connection",
            self.connection,
        )["pres_ex_id"]

    def wallet_request(self) -> dict[str, Any]:
        return eventually(lambda: self.wallet.json("requests", "list"))[0]

    def verifier_record(self, pres_ex_id: str) -> dict[str, Any]:
        return self.agency_admin("GET", f"/present-proof-2.0/records/{pres_ex_id}")

    def issuer_record(self, cred_ex_id: str) -> dict[str, Any]:
        return self.agency_admin("GET", f"/issue-credential-2.0/records/{cred_ex_id}")
