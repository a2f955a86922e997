"""Our CLI on one data directory, as the end-to-end tests drive it: the same calls,
the same ledger settings and the same wait for an agency's side of a connection."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar, Protocol

from tests.plugins.cli import CliResult, run_ssi_wallet
from tests.plugins.waiting import eventually

CONNECTED = ("active", "completed")


class LedgerAddress(Protocol):
    """Where a wallet finds the ledger (a `RunningLedger` or the ledger's info)."""

    @property
    def genesis_path(self) -> str: ...

    @property
    def tails_server_url(self) -> str: ...


class CliHome:
    """`ssi-wallet` on one data directory; a test module's subclass sets ``env``
    (its passphrase)."""

    env: ClassVar[dict[str, str]] = {}

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self, *args: str, timeout: float = 180) -> CliResult:
        return run_ssi_wallet(self.path, *args, env=self.env, timeout=timeout)

    def json(self, *args: str, timeout: float = 180) -> Any:
        return self(*args, "--json", timeout=timeout).check().json()


def use_ledger(home: CliHome, ledger: LedgerAddress) -> None:
    """Point a home at the test ledger and its tails server."""
    home("config", "set", "ledger.genesis", ledger.genesis_path).check()
    home("config", "set", "ledger.tails_server_url", ledger.tails_server_url).check()


def agency_connection(
    agencies: CliHome,
    agency: str,
    invi_msg_id: str,
    timeout: float = 60.0,
    error: type[Exception] = AssertionError,
) -> str:
    """The agency's connection id for an invitation, once the citizen's connect has
    reached it (the agency records it a moment after the wallet does)."""

    def probe() -> str | None:
        found = agencies.json(
            "issuer", "connections", "list", "--agency", agency, "--invitation", invi_msg_id
        )
        return found[0]["connection_id"] if found and found[0]["state"] in CONNECTED else None

    return eventually(probe, timeout, error=error)


def start_agency(agencies: CliHome, name: str, source: Path, seed_file: Path) -> None:
    """`agency init` from the agency's file with its DID seed, then `agency start`."""
    agencies.json("agency", "init", name, "--from", str(source), "--seed-file", str(seed_file))
    agencies.json("agency", "start", name)


def connect_citizen(
    agencies: CliHome, wallet: CliHome, agency: str, **wait: Any
) -> tuple[str, str]:
    """The agency invites, the citizen's wallet connects: (the wallet's connection id,
    the agency's), the agency's once it has recorded it (``wait``: `agency_connection`'s
    timeout and error)."""
    invitation = agencies.json("issuer", "invite", "--agency", agency)
    holder = wallet.json("connect", invitation["invitation_url"])["connection_id"]
    return holder, agency_connection(agencies, agency, invitation["invi_msg_id"], **wait)


def citizen_wallet(wallet: CliHome, ledger: LedgerAddress, label: str) -> Iterator[CliHome]:
    """For a module fixture (`yield from`): a citizen's wallet made on the test
    ledger, its agent stopped afterwards."""
    use_ledger(wallet, ledger)
    wallet.json("init", "--label", label, "--no-keyring")
    yield wallet
    wallet("agent", "stop")
