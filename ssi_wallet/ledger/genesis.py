"""Creating a new ledger: node keys, trustee key, pool genesis and domain genesis.

Every new ledger gets fresh random keys so that a development ledger is never mistaken
for a public one; fixed seeds are accepted only for tests.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from .canonical import dumps
from .keys import KeyPair

TRUSTEE = "0"
STEWARD = "2"
ENDORSER = "101"
NETWORK_MONITOR = "201"


@dataclass
class NodeSpec:
    """One simulated validator: its name, key seed and addresses."""

    alias: str
    seed: bytes
    host: str
    node_port: int
    client_port: int

    @property
    def keys(self) -> KeyPair:
        return KeyPair.from_seed(self.seed)


def write_secret(path: Path, data: str) -> None:
    """Write a file readable by its owner only (created 0600, never world-readable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def new_seed() -> str:
    """A random 32-character seed (hex of 16 random bytes), usable by ACA-Py and indy tools."""
    return secrets.token_hex(16)


def pool_txn(node: NodeSpec, seq_no: int, steward_did: str) -> dict:
    """The genesis NODE transaction (format version 1) for one node."""
    keys = node.keys
    return {
        "reqSignature": {},
        "txn": {
            "data": {
                "data": {
                    "alias": node.alias,
                    "client_ip": node.host,
                    "client_port": node.client_port,
                    "node_ip": node.host,
                    "node_port": node.node_port,
                    "services": ["VALIDATOR"],
                },
                "dest": keys.verkey,
            },
            "metadata": {"from": steward_did},
            "type": "0",
        },
        "txnMetadata": {"seqNo": seq_no, "txnId": secrets.token_hex(32)},
        "ver": "1",
    }


def nym_genesis_txn(
    seq_no: int, did: str, verkey: str, role: str | None, creator: str | None
) -> dict:
    """A domain genesis NYM transaction."""
    data: dict = {"dest": did, "verkey": verkey}
    if role is not None:
        data["role"] = role
    meta: dict = {}
    if creator:
        meta["from"] = creator
    return {
        "reqSignature": {},
        "txn": {"data": data, "metadata": meta, "type": "1"},
        "txnMetadata": {"seqNo": seq_no},
        "ver": "1",
    }


def build_pool_genesis(nodes: list[NodeSpec], steward_did: str) -> list[dict]:
    return [pool_txn(n, i + 1, steward_did) for i, n in enumerate(nodes)]


def write_genesis_file(path: Path, txns: list[dict]) -> None:
    """One JSON transaction a line, as indy-vdr and ACA-Py read it."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(t, sort_keys=True) + "\n" for t in txns))
    os.replace(tmp, path)


def read_genesis_file(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def domain_genesis(trustee: KeyPair) -> list[dict]:
    """The domain ledger starts with the trustee's NYM and nothing else."""
    return [nym_genesis_txn(1, trustee.did, trustee.verkey, TRUSTEE, None)]


def genesis_json_line(txn: dict) -> str:
    return dumps(txn)
