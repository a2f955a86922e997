"""Fixtures for a running embedded ledger in a temporary directory.

Every ledger started here is a real server process, started in the background and
stopped by PID at teardown; it also stops by itself if the test process dies.
Well-known sandbox seeds are allowed here (tests only).

- ``ledger`` (session): a shared 4-node ledger for tests that only add to it.
- ``ledger_factory``: start more ledgers (1 or 4 nodes) with their own data dirs.
- ``register_did``: put a fresh DID with a role on a ledger; returns its keys and seed.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ssi_wallet.ledger.keys import KeyPair
from ssi_wallet.ledger.service import LedgerInfo, LedgerService
from ssi_wallet.ledger.state import (
    ATTRIB,
    CLAIM_DEF,
    NYM,
    REVOC_REG_DEF,
    REVOC_REG_ENTRY,
    SCHEMA,
)

# The transaction types a ledger writes (the product's constants), for tests that
# send every kind of request.
WRITE_TYPES = (NYM, ATTRIB, SCHEMA, CLAIM_DEF, REVOC_REG_DEF, REVOC_REG_ENTRY)


@dataclass
class RunningLedger:
    """A started ledger: its service handle, info and trustee keys."""

    service: LedgerService
    info: LedgerInfo

    @property
    def data_dir(self) -> Path:
        return self.service.dd.root

    @property
    def genesis_path(self) -> str:
        return self.info.genesis_path

    @property
    def tails_server_url(self) -> str:
        return self.info.tails_server_url

    @property
    def trustee(self) -> KeyPair:
        return KeyPair.from_seed(self.service.dd.read_trustee_seed())

    def stop(self) -> None:
        self.service.stop()

    def restart(self) -> None:
        self.service.stop()
        self.info = self.service.start(exit_with_pid=os.getpid())


@dataclass
class Identity:
    """A DID on the ledger: its seed (for ACA-Py ``--seed``) and keys."""

    seed: str
    keys: KeyPair
    role: str | None

    @property
    def did(self) -> str:
        return self.keys.did

    @property
    def verkey(self) -> str:
        return self.keys.verkey


LedgerFactory = Callable[..., RunningLedger]


@pytest.fixture(scope="session")
def ledger_registry() -> Iterator[list[LedgerService]]:
    started: list[LedgerService] = []
    yield started
    for service in started:
        service.stop()


@pytest.fixture(scope="session")
def session_ledger_factory(
    tmp_path_factory: pytest.TempPathFactory, ledger_registry: list[LedgerService]
) -> LedgerFactory:
    """Start ledgers that live for the whole session (stopped at the end)."""

    def _start(nodes: int = 4, data_dir: Path | None = None) -> RunningLedger:
        service = LedgerService(data_dir or tmp_path_factory.mktemp(f"ledger{nodes}"))
        ledger_registry.append(service)
        return RunningLedger(service, service.start(nodes=nodes, exit_with_pid=os.getpid()))

    return _start


@pytest.fixture
def ledger_factory(tmp_path: Path) -> Iterator[LedgerFactory]:
    """Start ledgers for one test; each is stopped by PID when the test ends."""
    started: list[LedgerService] = []

    def _start(nodes: int = 4, data_dir: Path | None = None) -> RunningLedger:
        service = LedgerService(data_dir or tmp_path / f"ledger{len(started)}")
        started.append(service)
        return RunningLedger(service, service.start(nodes=nodes, exit_with_pid=os.getpid()))

    yield _start
    for service in started:
        service.stop()


@pytest.fixture(scope="session")
def ledger(session_ledger_factory: LedgerFactory) -> RunningLedger:
    """A shared 4-node ledger for the session."""
    return session_ledger_factory(nodes=4)


def new_identity(role: str | None = "ENDORSER") -> Identity:
    seed = secrets.token_hex(16)
    return Identity(seed, KeyPair.from_seed(seed), role)


@pytest.fixture
def register_did() -> Callable[..., Identity]:
    """``register_did(ledger, role="ENDORSER")`` writes a fresh DID signed by the trustee."""

    def _register(on: RunningLedger, role: str | None = "ENDORSER") -> Identity:
        ident = new_identity(role)
        on.service.register(ident.did, ident.verkey, role or "none")
        return ident

    return _register
