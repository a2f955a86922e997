"""The ledger's data directory: where each file lives, the saved settings, first-time setup.

Layout: ``ledger.json`` (settings and public keys), ``genesis.txn``, ``node_keys.json`` and
``trustee.seed`` (0600 secrets), ``ledger.sqlite`` (the log), ``tails/``, ``ledger.pid``,
``ledger.log``. Ports are chosen once and kept, so a restart reuses them.
"""

from __future__ import annotations

import json
import os
import random
import socket
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .genesis import NodeSpec, build_pool_genesis, new_seed, write_genesis_file, write_secret
from .keys import KeyPair


class LedgerSetupError(Exception):
    """The data directory cannot hold the requested ledger."""


@dataclass
class NodeInfo:
    alias: str
    verkey: str
    client_port: int
    node_port: int


@dataclass
class LedgerSettings:
    """What ``ledger.json`` keeps: public facts only, never seeds."""

    host: str
    base_port: int
    tails_port: int
    trustee_did: str
    trustee_verkey: str
    nodes: list[NodeInfo] = field(default_factory=list)

    @property
    def node_count(self) -> int:
        return len(self.nodes)


class DataDir:
    """Paths inside one ledger data directory."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).expanduser().resolve()

    settings = property(lambda s: s.root / "ledger.json")
    genesis = property(lambda s: s.root / "genesis.txn")
    node_keys = property(lambda s: s.root / "node_keys.json")
    trustee_seed = property(lambda s: s.root / "trustee.seed")
    db = property(lambda s: s.root / "ledger.sqlite")
    tails = property(lambda s: s.root / "tails")
    pid = property(lambda s: s.root / "ledger.pid")
    log = property(lambda s: s.root / "ledger.log")

    def exists(self) -> bool:
        return self.settings.exists()

    def load(self) -> LedgerSettings:
        raw = json.loads(self.settings.read_text())
        raw["nodes"] = [NodeInfo(**n) for n in raw["nodes"]]
        return LedgerSettings(**raw)

    def node_seeds(self) -> dict[str, str]:
        return json.loads(self.node_keys.read_text())

    def read_trustee_seed(self) -> str:
        return self.trustee_seed.read_text().strip()


def is_loopback(host: str) -> bool:
    """True for localhost and 127.0.0.0/8 or ::1 addresses."""
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def pick_base_port(host: str, count: int, tries: int = 200) -> int:
    """A base port with ``count`` consecutive free ports after it."""
    for _ in range(tries):
        base = random.randrange(20000, 40000 - count)
        if all(_port_free(host, base + i) for i in range(count)):
            return base
    raise LedgerSetupError("no free port range found")


def initialize(
    data_dir: DataDir,
    nodes: int = 4,
    host: str = "127.0.0.1",
    base_port: int | None = None,
    trustee_seed: str | None = None,
    node_seeds: list[str] | None = None,
) -> LedgerSettings:
    """Create a new ledger's keys, genesis and settings; keep an existing one.

    Seeds are random unless given (tests only). Raises LedgerSetupError when an existing
    ledger was set up differently from what is asked.
    """
    if host == "localhost":  # genesis files carry addresses, not names
        host = "127.0.0.1"
    if data_dir.exists():
        settings = data_dir.load()
        if settings.node_count != nodes:
            raise LedgerSetupError(
                f"the ledger in {data_dir.root} has {settings.node_count} nodes, not {nodes};"
                " reset it first"
            )
        if host != settings.host:
            raise LedgerSetupError(
                f"the ledger in {data_dir.root} listens on {settings.host}; reset it first"
            )
        if base_port is not None and base_port != settings.base_port:
            raise LedgerSetupError(
                f"the ledger in {data_dir.root} uses base port {settings.base_port}; reset it first"
            )
        return settings
    if nodes not in (1, 4):
        raise LedgerSetupError("nodes must be 1 or 4")
    if not is_loopback(host):
        raise LedgerSetupError(
            f"{host} is not a loopback address: a development ledger stays local"
        )
    data_dir.root.mkdir(parents=True, exist_ok=True)
    os.chmod(data_dir.root, 0o700)
    port_count = 2 * nodes + 1
    if base_port is None:
        base_port = pick_base_port(host, port_count)
    elif not 1024 <= base_port <= 65535 - port_count:
        raise LedgerSetupError(f"base port must be between 1024 and {65535 - port_count}")
    seeds = node_seeds or [new_seed() for _ in range(nodes)]
    specs = [
        NodeSpec(f"Node{i + 1}", seeds[i].encode(), host, base_port + 2 * i, base_port + 2 * i + 1)
        for i in range(nodes)
    ]
    tseed = trustee_seed or new_seed()
    trustee = KeyPair.from_seed(tseed)
    write_secret(data_dir.node_keys, json.dumps({s.alias: s.seed.decode() for s in specs}))
    write_secret(data_dir.trustee_seed, tseed + "\n")
    write_genesis_file(data_dir.genesis, build_pool_genesis(specs, trustee.did))
    settings = LedgerSettings(
        host=host,
        base_port=base_port,
        tails_port=base_port + 2 * nodes,
        trustee_did=trustee.did,
        trustee_verkey=trustee.verkey,
        nodes=[NodeInfo(s.alias, s.keys.verkey, s.client_port, s.node_port) for s in specs],
    )
    tmp = data_dir.settings.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(settings), indent=2))
    os.replace(tmp, data_dir.settings)
    return settings
